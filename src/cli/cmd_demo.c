/*
 * cmd_demo.c - `meterbase demo`: the main job. A walk through the platform
 * on a generated portfolio, with the same commands a user would type:
 *
 *   1. gen     a portfolio with faults (gaps, spikes, negative values,
 *              duplicated files, later corrections)
 *   2. ingest  the daily files, with the progress bar; bad files rejected
 *   3. replay  a file again: recognised, nothing changes
 *   4. correct the later corrections: the newer version wins, the old one
 *              stays in the history
 *   5. verify and report: integrity, digest, monthly consumption, largest
 *              consumers, data quality
 *
 * Everything lives in one folder (default /tmp/meterbase-demo), laid anew
 * on every run so the demo always tells the same story.
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "core/datetime.h"
#include "core/tz.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: meterbase demo [--dir DIR] [--meters N] [--days D] [--seed S]\n\n"
    "Generate a portfolio (default 2,000 meters x 90 days of half-hourly\n"
    "NEM12 with faults), ingest it into a fresh embedded store, replay a\n"
    "file, apply later corrections, then verify and report. DIR (default\n"
    "/tmp/meterbase-demo) is emptied and reused; the store is DIR/demo.db,\n"
    "so you can explore it afterwards:\n"
    "  meterbase reads NCDE000001 --store DIR/demo.db --from 2024-01-01 \\\n"
    "      --to 2024-01-31 --granularity day\n";

/* Run a subcommand in this process, echoing it like a shell would. */
static int run(char **argv)
{
    int argc = 0;
    printf("\n$ meterbase");
    for (; argv[argc]; argc++)
        if (argc < 12)
            printf(" %s", argv[argc]);
    if (argc > 12)
        printf(" ... (%d more)", argc - 12);
    printf("\n");
    fflush(stdout);
    optind = 0; /* let the subcommand's getopt start afresh */
    int rc = 0;
    if (!strcmp(argv[0], "gen")) rc = mb_cmd_gen(argc, argv);
    else if (!strcmp(argv[0], "ingest")) rc = mb_cmd_ingest(argc, argv);
    else if (!strcmp(argv[0], "verify")) rc = mb_cmd_verify(argc, argv);
    else if (!strcmp(argv[0], "report")) rc = mb_cmd_report(argc, argv);
    else if (!strcmp(argv[0], "reads")) rc = mb_cmd_reads(argc, argv);
    fflush(stdout);
    return rc;
}

static void step(const char *title)
{
    printf("\n== %s\n", title);
}

static int rm_tree(const char *path)
{
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", path);
    return system(cmd);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of dir whose names end in .csv, split by "_corr" in the name. */
static int list_files(const char *dir, char ***first, int *nfirst,
                      char ***corr, int *ncorr)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    *nfirst = *ncorr = 0;
    *first = *corr = NULL;
    int cap = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".csv"))
            continue;
        if (*nfirst + *ncorr + 2 > cap) {
            cap = cap ? cap * 2 : 256;
            char **a = realloc(*first, (size_t)cap * sizeof *a);
            if (a)
                *first = a;
            char **b = realloc(*corr, (size_t)cap * sizeof *b);
            if (b)
                *corr = b;
            if (!a || !b) {
                closedir(d);
                return -1;
            }
        }
        char *path = malloc(strlen(dir) + n + 2);
        if (!path) {
            closedir(d);
            return -1;
        }
        sprintf(path, "%s/%s", dir, e->d_name);
        if (strstr(e->d_name, "_corr"))
            (*corr)[(*ncorr)++] = path;
        else
            (*first)[(*nfirst)++] = path;
    }
    closedir(d);
    qsort(*first, (size_t)*nfirst, sizeof **first, cmp_str);
    qsort(*corr, (size_t)*ncorr, sizeof **corr, cmp_str);
    return 0;
}

static void free_list(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Store content digest, or "" when verify fails. */
static void digest_of(const char *db, char hex[65])
{
    hex[0] = '\0';
    mb_store *s = mb_cli_open_store("demo", db);
    if (!s)
        return;
    mb_store_digest d;
    mb_error err;
    if (!mb_store_verify(s, &d, &err))
        memcpy(hex, d.hex, 65);
    mb_store_close(s);
}

/* The first correction in the manifest: meter and local date. */
static int first_correction(const char *dir, char *meter, size_t mcap,
                            char *date, size_t dcap)
{
    char path[PATH_MAX], line[512];
    snprintf(path, sizeof path, "%s/manifest.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int found = -1;
    while (found && fgets(line, sizeof line, f)) {
        char m[80], d[16];
        if (sscanf(line, "fault correction %79s %15s", m, d) == 2) {
            snprintf(meter, mcap, "%s", m);
            snprintf(date, dcap, "%s", d);
            found = 0;
        }
    }
    fclose(f);
    return found;
}

typedef struct {
    const mb_tz *tz;
    mb_time last_start;
    int shown, changed, resent;
    mb_interval_row cur;
    char cur_val[MB_DECIMAL_STRLEN];
} hist_ctx;

static void quality_text(const mb_quality *q, char *buf, size_t cap)
{
    if (q->method)
        snprintf(buf, cap, "%c%02u", q->flag, q->method);
    else
        snprintf(buf, cap, "%c", q->flag);
}

/* Print each interval whose value or quality a newer version changed: the
 * current version and the superseded one kept in the history. */
static mb_status show_history(void *ctx, const mb_interval_row *r,
                              mb_error *err)
{
    (void)err;
    hist_ctx *c = ctx;
    if (r->current) {
        c->cur = *r;
        mb_decimal_format(r->value, c->cur_val, sizeof c->cur_val);
        return MB_OK;
    }
    if (!mb_decimal_cmp(r->value, c->cur.value) &&
        r->quality.flag == c->cur.quality.flag) {
        c->resent++;
        return MB_OK;
    }
    c->changed++;
    if (c->shown >= 6)
        return MB_OK;
    c->shown++;
    char start[40], was[MB_DECIMAL_STRLEN], vnow[40], vold[40], qn[8], qo[8];
    mb_time_format_iso(r->start, mb_tz_offset(c->tz, r->start), start,
                       sizeof start);
    mb_decimal_format(r->value, was, sizeof was);
    mb_time_format_iso(c->cur.version / 1000000, 0, vnow, sizeof vnow);
    mb_time_format_iso(r->version / 1000000, 0, vold, sizeof vold);
    quality_text(&c->cur.quality, qn, sizeof qn);
    quality_text(&r->quality, qo, sizeof qo);
    printf("  %s  now %8s kWh, quality %-3s version %s\n"
           "  %*s  was %8s kWh, quality %-3s version %s (history)\n",
           start, c->cur_val, qn, vnow, (int)strlen(start), "", was, qo,
           vold);
    return MB_OK;
}

typedef struct {
    int rejected;
} rej_ctx;

static mb_status show_rejected(void *ctx, const mb_file_record *rec,
                               mb_error *err)
{
    (void)err;
    rej_ctx *c = ctx;
    if (rec->outcome != MB_FILE_REJECTED)
        return MB_OK;
    if (c->rejected++ < 3)
        printf("  rejected: %s\n", rec->error);
    return MB_OK;
}

int mb_cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dir", required_argument, 0, 'd'},
        {"meters", required_argument, 0, 'm'},
        {"days", required_argument, 0, 'D'},
        {"seed", required_argument, 0, 's'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *dir = "/tmp/meterbase-demo", *meters = "2000", *days = "90",
               *seed = "42";
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': dir = optarg; break;
        case 'm': meters = optarg; break;
        case 'D': days = optarg; break;
        case 's': seed = optarg; break;
        case 'h': fputs(usage, stdout); return MB_EXIT_OK;
        default: fputs(usage, stderr); return MB_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fputs(usage, stderr);
        return MB_EXIT_USAGE;
    }
    char files[PATH_MAX], db[PATH_MAX], quar[PATH_MAX], replay[PATH_MAX];
    snprintf(files, sizeof files, "%s/files", dir);
    snprintf(db, sizeof db, "%s/demo.db", dir);
    snprintf(quar, sizeof quar, "%s/quarantine", dir);
    snprintf(replay, sizeof replay, "%s/replay-crlf.csv", dir);
    if (rm_tree(dir) != 0 || (mkdir(dir, 0755) != 0 && errno != EEXIST)) {
        fprintf(stderr, "meterbase demo: cannot lay out %s: %s\n", dir,
                strerror(errno));
        return MB_EXIT_FAIL;
    }
    printf("meterbase demo: a portfolio of %s meters over %s days, in %s\n",
           meters, days, dir);

    step("1. Generate a portfolio: half-hourly NEM12 files, one a day, with "
         "faults");
    char *gen[] = {"gen", "--meters", (char *)meters, "--days", (char *)days,
                   "--seed", (char *)seed, "--faults", "0.02", "--start",
                   "2024-01-01", "--out", files, NULL};
    if (run(gen) != MB_EXIT_OK)
        return MB_EXIT_FAIL;

    char **first, **corr;
    int nfirst, ncorr;
    if (list_files(files, &first, &nfirst, &corr, &ncorr)) {
        fprintf(stderr, "meterbase demo: cannot list %s\n", files);
        return MB_EXIT_FAIL;
    }
    int rc = MB_EXIT_OK;
    step("2. Ingest the daily files. Duplicated files are recognised by "
         "content;\n   files with negative values are rejected and "
         "quarantined, the rest applied");
    char **ing = calloc((size_t)nfirst + 8, sizeof *ing);
    char **cor = calloc((size_t)ncorr + 8, sizeof *cor);
    if (!ing || !cor) {
        rc = MB_EXIT_FAIL;
        goto out;
    }
    int k = 0;
    ing[k++] = "ingest";
    ing[k++] = "--store";
    ing[k++] = db;
    ing[k++] = "--quarantine";
    ing[k++] = quar;
    ing[k++] = "--quiet";
    for (int i = 0; i < nfirst; i++)
        ing[k++] = first[i];
    if (run(ing) == MB_EXIT_FAIL) {
        rc = MB_EXIT_FAIL;
        goto out;
    }

    {
        rej_ctx rc2 = {0};
        mb_error err;
        mb_store *s = mb_cli_open_store("demo", db);
        if (s && !mb_store_files(s, show_rejected, &rc2, &err) &&
            rc2.rejected > 3)
            printf("  ... and %d more: `meterbase files --store %s "
                   "--rejected`; copies in %s\n", rc2.rejected - 3, db, quar);
        if (s)
            mb_store_close(s);
    }

    step("3. Replay: the first day's file again, re-saved with CRLF line "
         "ends\n   (new bytes, same readings): every value is unchanged");
    char before[65], after[65];
    digest_of(db, before);
    char cmd[3 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "sed 's/$/\\r/' '%s' > '%s'", first[0], replay);
    if (system(cmd) != 0) {
        rc = MB_EXIT_FAIL;
        goto out;
    }
    char *rep[] = {"ingest", "--store", db, replay, NULL};
    run(rep);
    digest_of(db, after);
    printf("content digest before %.16s..., after %.16s...: %s\n", before,
           after, strcmp(before, after) ? "CHANGED" : "identical");

    char meter[80], date[16];
    int have_corr = !first_correction(files, meter, sizeof meter, date,
                                      sizeof date);
    step("4. Corrections arrive later with newer versions (UpdateDateTime)");
    k = 0;
    cor[k++] = "ingest";
    cor[k++] = "--store";
    cor[k++] = db;
    cor[k++] = "--quiet";
    for (int i = 0; i < ncorr; i++)
        cor[k++] = corr[i];
    if (ncorr && run(cor) == MB_EXIT_FAIL) {
        rc = MB_EXIT_FAIL;
        goto out;
    }
    if (have_corr) {
        int y, m, d;
        mb_error err;
        mb_store *s = mb_cli_open_store("demo", db);
        if (s && !mb_date_parse(date, strlen(date), &y, &m, &d, &err)) {
            hist_ctx hc = {.tz = mb_tz_get("+10:00", &err)};
            mb_time t0 = mb_days_from_civil(y, m, d) * 86400 - 10 * 3600;
            mb_range_query q = {.meter = meter, .channel = "E1", .from = t0,
                                .to = t0 + 86400, .history = true};
            printf("\nmeter %s, %s, channel E1: corrected intervals\n", meter,
                   date);
            if (hc.tz && !mb_store_read(s, &q, show_history, &hc, &err))
                printf("  %d intervals corrected, %d re-sent unchanged under "
                       "the newer version;\n  `meterbase reads %s --from %s "
                       "--to %s --history` lists every version\n",
                       hc.changed, hc.resent, meter, date, date);
        }
        if (s)
            mb_store_close(s);
    }

    step("5. Verify the store and report on the portfolio");
    char *ver[] = {"verify", "--store", db, NULL};
    if (run(ver) != MB_EXIT_OK)
        rc = MB_EXIT_FAIL;
    char *rep2[] = {"report", "--store", db, "--top", "5", NULL};
    if (run(rep2) != MB_EXIT_OK)
        rc = MB_EXIT_FAIL;
    printf("\nThe store is %s; try `meterbase files --store %s` or "
           "`meterbase reads %s --store %s --from 2024-01-01 --to "
           "2024-01-31 --granularity day`.\n", db, db,
           have_corr ? meter : "NCDE000001", db);
out:
    free(ing);
    free(cor);
    free_list(first, nfirst);
    free_list(corr, ncorr);
    return rc;
}
