/*
 * cmd_ingest.c - `meterbase ingest`: apply files and folders to a store.
 *
 * A progress bar on a terminal (files, MB/s, readings/s, ETA), a plain log
 * line per file otherwise, and a summary at the end. The work itself is
 * src/ingest/ingest.c.
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "ingest/ingest.h"

#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: meterbase ingest [--store URI] [--format F] [--lenient]\n"
    "                        [--quarantine DIR] [--quiet] FILE|DIR...\n\n"
    "Apply meter data files (NEM12, NEM13, D0010, CSV; .gz and .zip too) to\n"
    "the store, each file whole or not at all. Folders are searched\n"
    "recursively. A file whose content was applied before is skipped as\n"
    "already seen; a file with bad data is rejected, recorded with its reason\n"
    "(see `meterbase files`) and copied to the quarantine folder, and the\n"
    "others go on.\n\n"
    "  --store URI        store to write (default $METERBASE_STORE, else\n"
    "                     ~/.local/share/meterbase/meterbase.db)\n"
    "  --format F         nem12, nem13, d0010 or csv (default: detect)\n"
    "  --lenient          skip bad records (each reported) instead of\n"
    "                     rejecting the file\n"
    "  --quarantine DIR   where rejected files go (default: 'quarantine'\n"
    "                     beside the store file)\n"
    "  --quiet            no line per file, only the progress bar (on a\n"
    "                     terminal) and the summary; `meterbase files\n"
    "                     --rejected` lists rejections with their reasons\n\n"
    "Exit status: 0 all applied or already seen, 1 some file rejected or\n"
    "records skipped, 2 usage error, 3 operational failure (nothing of the\n"
    "file in hand was applied).\n";

typedef struct {
    int tty, quiet;
    double t0, last_draw;
    int nfiles;
} progress;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw(progress *p, const mb_ingest_totals *t, int force)
{
    double now = now_s();
    if (!p->tty || (!force && now - p->last_draw < 0.1))
        return;
    p->last_draw = now;
    double el = now - p->t0 > 1e-6 ? now - p->t0 : 1e-6;
    double frac = t->bytes_total ? (double)t->bytes_done / (double)t->bytes_total : 1;
    if (frac > 1)
        frac = 1;
    char bar[31];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
    bar[30] = '\0';
    double eta = frac > 0.001 ? el * (1 - frac) / frac : 0;
    fprintf(stderr, "\r[%s] %llu/%d files  %6.1f MB/s  %7.2fM readings/s  ETA %d:%02d ",
            bar, (unsigned long long)t->files, p->nfiles,
            (double)t->bytes_done / 1e6 / el,
            (double)(t->values + t->registers) / 1e6 / el, (int)eta / 60,
            (int)eta % 60);
    fflush(stderr);
}

static void on_progress(void *ctx, const mb_ingest_totals *t)
{
    draw(ctx, t, 0);
}

static void on_file(void *ctx, const mb_ingest_event *ev,
                    const mb_ingest_totals *t)
{
    progress *p = ctx;
    if (p->tty)
        fprintf(stderr, "\r\033[K");
    char v[32], a[32], c[32], u[32];
    switch (ev->result) {
    case MB_INGEST_APPLIED:
        if (!p->quiet && !p->tty)
            fprintf(stderr, "applied   %s: %s values, %llu register reads "
                    "(new %s, changed %s, unchanged %s)%s\n",
                    ev->path, mb_cli_count(ev->rec->values, v, sizeof v),
                    (unsigned long long)ev->rec->registers,
                    mb_cli_count(ev->rec->added, a, sizeof a),
                    mb_cli_count(ev->rec->changed, c, sizeof c),
                    mb_cli_count(ev->rec->unchanged, u, sizeof u),
                    ev->skipped ? " with skipped records" : "");
        break;
    case MB_INGEST_SEEN:
        if (!p->quiet && !p->tty)
            fprintf(stderr, "seen      %s: same content as %s, applied before\n",
                    ev->path, ev->rec->name);
        break;
    case MB_INGEST_REJECTED:
        if (!p->quiet)
            fprintf(stderr, "rejected  %s\n", ev->rec->error);
        break;
    case MB_INGEST_BUSY:
        fprintf(stderr, "busy      %s: another ingest holds this file\n",
                ev->path);
        break;
    }
    draw(p, t, 1);
}

static void on_warning(void *ctx, const mb_error *w)
{
    progress *p = ctx;
    if (p->tty)
        fprintf(stderr, "\r\033[K");
    fprintf(stderr, "warning   %s\n", w->msg);
}

/* quarantine/ beside an embedded store file, else in the data folder. */
static void default_quarantine(const char *uri, char *buf, size_t cap)
{
    char def[4096];
    if (!uri || strstr(uri, "://"))
        uri = mb_store_default_uri(def, sizeof def);
    if (!strncmp(uri, "file:", 5))
        uri += 5;
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", uri);
    snprintf(buf, cap, "%s/quarantine", dirname(copy));
}

int mb_cmd_ingest(int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", required_argument, 0, 's'},
        {"format", required_argument, 0, 'f'},
        {"lenient", no_argument, 0, 'l'},
        {"quarantine", required_argument, 0, 'q'},
        {"quiet", no_argument, 0, 'Q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *uri = NULL;
    char qdir[4096] = "";
    mb_ingest_opts io = {0};
    progress p = {.tty = isatty(STDERR_FILENO)};
    mb_error err;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': uri = optarg; break;
        case 'f':
            if (mb_format_parse(optarg, &io.format, &err)) {
                mb_cli_error("ingest", &err);
                return MB_EXIT_USAGE;
            }
            break;
        case 'l': io.lenient = true; break;
        case 'q': snprintf(qdir, sizeof qdir, "%s", optarg); break;
        case 'Q': p.quiet = 1; break;
        case 'h': fputs(usage, stdout); return MB_EXIT_OK;
        default: fputs(usage, stderr); return MB_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fputs(usage, stderr);
        return MB_EXIT_USAGE;
    }
    if (!qdir[0])
        default_quarantine(uri, qdir, sizeof qdir);
    char **files;
    int n;
    mb_ingest_totals t = {0};
    if (mb_ingest_list(argv + optind, argc - optind, &files, &n,
                       &t.bytes_total, &err)) {
        mb_cli_error("ingest", &err);
        return mb_cli_exit_for(err.status);
    }
    mb_store *s = mb_cli_open_store("ingest", uri);
    if (!s) {
        mb_ingest_free_list(files, n);
        return MB_EXIT_FAIL;
    }
    io.quarantine = qdir;
    io.ctx = &p;
    io.on_file = on_file;
    io.on_progress = on_progress;
    io.on_warning = on_warning;
    p.t0 = now_s();
    p.nfiles = n;
    mb_status st = mb_ingest_files(s, files, n, &io, &t, &err);
    double el = now_s() - p.t0;
    if (p.tty)
        fprintf(stderr, "\r\033[K");
    mb_store_close(s);
    mb_ingest_free_list(files, n);

    char b1[32], b2[32], b3[32], b4[32], b5[32];
    printf("files:    %llu applied, %llu already seen, %llu rejected%s%s\n",
           (unsigned long long)t.applied, (unsigned long long)t.seen,
           (unsigned long long)t.rejected, t.busy ? ", busy: " : "",
           t.busy ? mb_cli_count(t.busy, b1, sizeof b1) : "");
    printf("readings: %s new, %s changed, %s unchanged (%s interval values, "
           "%s register reads)\n",
           mb_cli_count(t.added, b1, sizeof b1),
           mb_cli_count(t.changed, b2, sizeof b2),
           mb_cli_count(t.unchanged, b3, sizeof b3),
           mb_cli_count(t.values, b4, sizeof b4),
           mb_cli_count(t.registers, b5, sizeof b5));
    printf("time:     %.2f s, %s, %.1f MB/s, %.2fM readings/s\n", el,
           mb_cli_bytes((double)t.bytes_done, b2, sizeof b2),
           (double)t.bytes_done / 1e6 / (el > 0 ? el : 1),
           (double)(t.values + t.registers) / 1e6 / (el > 0 ? el : 1));
    if (t.rejected)
        printf("rejected files were copied to %s with their reasons\n", qdir);
    if (t.skipped)
        printf("skipped:  %llu bad records (lenient)\n",
               (unsigned long long)t.skipped);
    if (st) {
        mb_cli_error("ingest", &err);
        return MB_EXIT_FAIL;
    }
    return t.rejected || t.skipped || t.busy ? MB_EXIT_DATA : MB_EXIT_OK;
}
