/*
 * ha_client.c - the load and check client of the high-availability suite
 * (tests/cli/heavy_ha.sh), built on the project's CQL client (cql.h).
 *
 * It plays an ingest service against a replicated keyspace, with files of
 * synthetic half-hourly readings that are a pure function of the file
 * number, so any run can be checked against what must be there:
 *
 *   schema   create the keyspace (replication factor --rf) and tables
 *   ingest   apply files --first.. one after another until --count files
 *            or until --stop-file exists; a file is its readings (async,
 *            idempotent upserts USING TIMESTAMP from the file's version)
 *            and then its row in the file registry, all at --cl. Only when
 *            the registry row is acknowledged is the file acknowledged
 *            (appended to --ack). A file with any failed write stays
 *            pending and is applied again later (replay is harmless) until
 *            --retry-for seconds after the last new file.
 *   counter  non-idempotent counter increments (never retried by the
 *            client) until --stop-file; then checks that the counter is
 *            between the increments acknowledged and those attempted:
 *            nothing took effect twice, nothing acknowledged was lost.
 *   verify   reads back every acknowledged file at --cl and compares with
 *            what the generator says: lost = missing or wrong readings
 *            plus missing registry rows; prints both digests.
 *
 * Every command ends with one "key=value" summary line on stdout; the
 * exit status is 0 when everything asked for succeeded, 1 otherwise, 2 on
 * usage errors.
 */
#include "core/digest.h"
#include "cql/cql.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 48 /* half-hours a day */

typedef struct opts {
    const char *hosts, *ks, *ack, *stop_file, *key;
    mb_cql_consistency cl;
    long first, count;
    int meters, rf, retry_for, inflight, pause_ms;
    bool quiet;
} opts;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char ts[32];
    time_t t = time(NULL);
    strftime(ts, sizeof ts, "%H:%M:%S", localtime(&t));
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[ha %s] ", ts);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- the synthetic files ---------------------------------------------- */

static void meter_id(long file, int k, char *buf, size_t cap)
{
    snprintf(buf, cap, "f%06ld-m%03d", file, k);
}

static int file_day(long file)
{
    return 19700 + (int)(file % 30);
}

static int64_t reading_value(long file, int k, int slot)
{
    uint64_t x = (uint64_t)file * 1000003u + (uint64_t)k * 7919u +
                 (uint64_t)slot * 104729u;
    x ^= x >> 17;
    x *= 0xed5ad4bbu;
    x ^= x >> 11;
    return (int64_t)(x % 5000000u); /* Wh, up to 5 MWh */
}

/* Microseconds: the file's version, never the ingest clock. */
static int64_t file_version(long file)
{
    return (1700000000LL + file) * 1000000LL;
}

static void digest_reading(mb_digest *d, const char *meter, int day, int slot,
                           int64_t value)
{
    char line[96];
    int n = snprintf(line, sizeof line, "%s,%d,%d,%lld\n", meter, day, slot,
                     (long long)value);
    mb_digest_update(d, line, (size_t)n);
}

/* ---- connection --------------------------------------------------------- */

static mb_cql_cluster *connect(const opts *o)
{
    mb_cql_config cfg = {0};
    cfg.contact_points = o->hosts;
    cfg.max_in_flight = o->inflight;
    mb_cql_cluster *cl;
    mb_error err;
    if (mb_cql_cluster_open(&cfg, &cl, &err)) {
        say("cannot connect to %s: %s", o->hosts, err.msg);
        return NULL;
    }
    return cl;
}

static mb_cql_prepared *prepare(mb_cql_cluster *cl, const char *fmt,
                                const char *ks)
{
    char cql[512];
    snprintf(cql, sizeof cql, fmt, ks, ks);
    mb_cql_prepared *p;
    mb_error err;
    if (mb_cql_prepare(cl, cql, &p, &err)) {
        say("cannot prepare %s: %s", cql, err.msg);
        return NULL;
    }
    return p;
}

/* ---- async bookkeeping ------------------------------------------------- */

/* Counters of one batch of async writes; written by the I/O thread in the
 * callbacks, read by the caller after mb_cql_wait_all (which orders them). */
typedef struct tally {
    long attempted, acked, failed;
    int64_t fail_ms_max;
    char first_error[512];
} tally;

typedef struct op {
    tally *t;
    int64_t t0;
} op;

static void on_done(void *ctx, mb_status st, mb_cql_result *res,
                    const mb_error *err)
{
    op *o = ctx;
    mb_cql_result_free(res);
    if (!st) {
        o->t->acked++;
        return;
    }
    int64_t ms = now_ms() - o->t0;
    if (ms > o->t->fail_ms_max)
        o->t->fail_ms_max = ms;
    if (!o->t->failed++)
        snprintf(o->t->first_error, sizeof o->t->first_error, "%s",
                 err->msg);
}

static bool send_async(mb_cql_cluster *cl, const mb_cql_stmt *st, tally *t,
                       op *o)
{
    mb_error err;
    o->t = t;
    o->t0 = now_ms();
    t->attempted++;
    if (mb_cql_execute_async(cl, st, on_done, o, &err)) {
        on_done(o, err.status, NULL, &err);
        return false;
    }
    return true;
}

/* ---- schema ------------------------------------------------------------ */

static int cmd_schema(const opts *o)
{
    mb_cql_cluster *cl = connect(o);
    if (!cl)
        return 1;
    char cql[3][512];
    snprintf(cql[0], sizeof cql[0], "CREATE KEYSPACE IF NOT EXISTS %s WITH "
             "replication = {'class': 'SimpleStrategy', "
             "'replication_factor': %d}", o->ks, o->rf);
    snprintf(cql[1], sizeof cql[1], "CREATE TABLE IF NOT EXISTS %s.readings "
             "(meter text, day int, slot int, value bigint, file int, "
             "PRIMARY KEY ((meter, day), slot))", o->ks);
    snprintf(cql[2], sizeof cql[2], "CREATE TABLE IF NOT EXISTS %s.files "
             "(file int PRIMARY KEY, readings int)", o->ks);
    int rc = 0;
    for (int i = 0; i < 3 && !rc; i++) {
        mb_cql_result *res = NULL;
        mb_error err;
        if (mb_cql_query(cl, cql[i], MB_CQL_ALL, &res, &err)) {
            say("%s: %s", cql[i], err.msg);
            rc = 1;
        }
        mb_cql_result_free(res);
    }
    char counters[512];
    snprintf(counters, sizeof counters, "CREATE TABLE IF NOT EXISTS "
             "%s.counters (k text PRIMARY KEY, n counter)", o->ks);
    mb_cql_result *res = NULL;
    mb_error err;
    if (!rc && mb_cql_query(cl, counters, MB_CQL_ALL, &res, &err)) {
        say("%s: %s", counters, err.msg);
        rc = 1;
    }
    mb_cql_result_free(res);
    mb_cql_cluster_close(cl);
    printf("schema: keyspace=%s rf=%d %s\n", o->ks, o->rf, rc ? "FAILED" : "ok");
    return rc;
}

/* ---- ingest ------------------------------------------------------------ */

typedef struct ingest {
    const opts *o;
    mb_cql_cluster *cl;
    mb_cql_stmt *ins, *reg;
    op *ops;
    FILE *ack;
    tally total;        /* every write attempted */
    long files_ok, files_failed_attempts, replays;
} ingest;

/* Applies one file; true when it is acknowledged. A failure is logged
 * when the file first fails and whenever its error changes. */
static bool apply_file(ingest *g, long file, char *last_error, size_t cap)
{
    const opts *o = g->o;
    tally t = {0};
    mb_error err;
    int nrows = o->meters * SLOTS, i = 0;
    mb_cql_stmt_set_timestamp(g->ins, file_version(file));
    for (int k = 0; k < o->meters; k++) {
        char meter[32];
        meter_id(file, k, meter, sizeof meter);
        for (int s = 0; s < SLOTS; s++, i++) {
            if (mb_cql_stmt_bind_text(g->ins, 0, meter, &err) ||
                mb_cql_stmt_bind_int(g->ins, 1, file_day(file), &err) ||
                mb_cql_stmt_bind_int(g->ins, 2, s, &err) ||
                mb_cql_stmt_bind_int(g->ins, 3, reading_value(file, k, s),
                                     &err) ||
                mb_cql_stmt_bind_int(g->ins, 4, file, &err)) {
                say("bind: %s", err.msg);
                return false;
            }
            send_async(g->cl, g->ins, &t, &g->ops[i]);
        }
    }
    mb_cql_wait_all(g->cl, &err);
    if (!t.failed) { /* every reading is in: record the file */
        mb_cql_stmt_set_timestamp(g->reg, file_version(file));
        if (mb_cql_stmt_bind_int(g->reg, 0, file, &err) ||
            mb_cql_stmt_bind_int(g->reg, 1, nrows, &err)) {
            say("bind: %s", err.msg);
            return false;
        }
        send_async(g->cl, g->reg, &t, &g->ops[nrows]);
        mb_cql_wait_all(g->cl, &err);
    }
    g->total.attempted += t.attempted;
    g->total.acked += t.acked;
    g->total.failed += t.failed;
    if (t.fail_ms_max > g->total.fail_ms_max)
        g->total.fail_ms_max = t.fail_ms_max;
    if (t.failed) {
        if (!g->total.first_error[0])
            snprintf(g->total.first_error, sizeof g->total.first_error, "%s",
                     t.first_error);
        g->files_failed_attempts++;
        /* the message names the node first: compare what follows */
        const char *what = strstr(t.first_error, ": ");
        what = what ? what : t.first_error;
        if (!o->quiet && strncmp(last_error, what, cap - 1))
            say("file %ld pending: %ld of %ld writes failed (slowest failure "
                "%lld ms): %s", file, t.failed, t.attempted,
                (long long)t.fail_ms_max, t.first_error);
        snprintf(last_error, cap, "%s", what);
        return false;
    }
    fprintf(g->ack, "%ld\n", file);
    fflush(g->ack);
    g->files_ok++;
    return true;
}

static bool stop_requested(const opts *o)
{
    return o->stop_file && access(o->stop_file, F_OK) == 0;
}

static int cmd_ingest(const opts *o)
{
    if (!o->ack || (o->count <= 0 && !o->stop_file)) {
        fprintf(stderr, "ingest needs --ack and --count or --stop-file\n");
        return 2;
    }
    ingest g = {.o = o};
    g.ack = fopen(o->ack, "a");
    if (!g.ack) {
        say("cannot open %s", o->ack);
        return 1;
    }
    g.cl = connect(o);
    if (!g.cl) {
        fclose(g.ack);
        return 1;
    }
    mb_cql_prepared *pins = prepare(g.cl, "INSERT INTO %s.readings (meter, "
                                    "day, slot, value, file) VALUES "
                                    "(?, ?, ?, ?, ?)", o->ks);
    mb_cql_prepared *preg = prepare(g.cl, "INSERT INTO %s.files (file, "
                                    "readings) VALUES (?, ?)", o->ks);
    g.ops = calloc((size_t)o->meters * SLOTS + 1, sizeof *g.ops);
    enum { MAXPENDING = 10000, ERRCAP = 160 };
    long *pending = calloc(MAXPENDING, sizeof *pending);
    char (*perr)[ERRCAP] = calloc(MAXPENDING, sizeof *perr);
    size_t npending = 0;
    int rc = 1;
    if (!pins || !preg || !g.ops || !pending || !perr)
        goto out;
    g.ins = mb_cql_stmt_new_prepared(pins);
    g.reg = mb_cql_stmt_new_prepared(preg);
    if (!g.ins || !g.reg)
        goto out;
    mb_cql_stmt_set_consistency(g.ins, o->cl);
    mb_cql_stmt_set_consistency(g.reg, o->cl);
    mb_cql_stmt_set_idempotent(g.ins, true);
    mb_cql_stmt_set_idempotent(g.reg, true);
    int64_t t0 = now_ms(), last_new = t0, next_replay = 0;
    int backoff_ms = 250;
    long next = o->first, started = 0;
    for (;;) {
        bool more = o->count > 0 ? started < o->count : !stop_requested(o);
        if (more && npending < MAXPENDING) {
            long f = next++;
            started++;
            last_new = now_ms();
            perr[npending][0] = '\0';
            if (!apply_file(&g, f, perr[npending], ERRCAP))
                pending[npending++] = f;
            if (o->pause_ms)
                usleep((useconds_t)o->pause_ms * 1000);
        } else if (!npending) {
            break;
        } else if (now_ms() - last_new > (int64_t)o->retry_for * 1000) {
            break;
        } else {
            usleep(100000);
        }
        if (!npending || now_ms() < next_replay)
            continue;
        /* replay pending files, oldest first, while new ones flow; back
         * off (up to 4 s) while they keep failing */
        size_t keep = 0;
        for (size_t i = 0; i < npending; i++) {
            g.replays++;
            if (!apply_file(&g, pending[i], perr[i], ERRCAP)) {
                if (keep != i)
                    memcpy(perr[keep], perr[i], ERRCAP);
                pending[keep++] = pending[i];
            }
        }
        backoff_ms = keep < npending ? 250 : backoff_ms < 4000 ? backoff_ms * 2 : 4000;
        npending = keep;
        next_replay = now_ms() + backoff_ms;
    }
    mb_cql_stats st;
    mb_cql_cluster_stats(g.cl, &st);
    char nodes[16][128];
    size_t nn = mb_cql_cluster_nodes(g.cl, nodes, 16), up = 0;
    for (size_t i = 0; i < nn; i++)
        up += strstr(nodes[i], " up ") != NULL;
    double secs = (double)(now_ms() - t0) / 1000.0;
    printf("ingest: cl=%s files=%ld applied=%ld pending=%zu "
           "file_attempts_failed=%ld replays=%ld writes_attempted=%ld "
           "writes_failed=%ld retried=%llu client_timeouts=%llu "
           "slowest_failure_ms=%lld nodes=%zu nodes_up=%zu seconds=%.1f "
           "writes_per_s=%.0f%s%s\n",
           mb_cql_consistency_name(o->cl), started, g.files_ok, npending,
           g.files_failed_attempts, g.replays, g.total.attempted,
           g.total.failed, (unsigned long long)st.retried,
           (unsigned long long)st.timeouts, (long long)g.total.fail_ms_max,
           nn, up, secs, secs > 0 ? (double)g.total.attempted / secs : 0.0,
           g.total.first_error[0] ? " first_error=" : "",
           g.total.first_error);
    for (size_t i = 0; i < npending; i++)
        printf("pending: %ld\n", pending[i]);
    rc = npending ? 1 : 0;
out:
    mb_cql_stmt_free(g.ins);
    mb_cql_stmt_free(g.reg);
    mb_cql_prepared_free(pins);
    mb_cql_prepared_free(preg);
    mb_cql_cluster_close(g.cl);
    fclose(g.ack);
    free(g.ops);
    free(pending);
    free(perr);
    return rc;
}

/* ---- counter ----------------------------------------------------------- */

static int64_t read_counter(mb_cql_cluster *cl, const opts *o, bool *ok)
{
    char cql[256];
    snprintf(cql, sizeof cql, "SELECT n FROM %s.counters WHERE k = '%s'",
             o->ks, o->key);
    mb_cql_result *res = NULL;
    mb_error err;
    int64_t n = 0;
    *ok = false;
    if (mb_cql_query(cl, cql, o->cl, &res, &err)) {
        say("reading the counter: %s", err.msg);
    } else {
        *ok = true;
        if (mb_cql_result_row_count(res) == 1) {
            mb_cql_cell c = mb_cql_result_cell(res, 0, 0);
            if (!mb_cql_cell_is_null(&c) && mb_cql_cell_int64(&c, &n, &err))
                *ok = false;
        }
    }
    mb_cql_result_free(res);
    return n;
}

static int cmd_counter(const opts *o)
{
    if (!o->stop_file || !o->key) {
        fprintf(stderr, "counter needs --stop-file and --key\n");
        return 2;
    }
    mb_cql_cluster *cl = connect(o);
    if (!cl)
        return 1;
    int rc = 1;
    mb_cql_prepared *p = prepare(cl, "UPDATE %s.counters SET n = n + 1 "
                                 "WHERE k = ?", o->ks);
    mb_cql_stmt *st = p ? mb_cql_stmt_new_prepared(p) : NULL;
    op *ops = calloc(64, sizeof *ops);
    tally t = {0};
    mb_error err;
    bool ok;
    if (!st || !ops || mb_cql_stmt_bind_text(st, 0, o->key, &err))
        goto out;
    mb_cql_stmt_set_consistency(st, o->cl);
    /* an increment applied twice counts twice: never idempotent */
    mb_cql_stmt_set_idempotent(st, false);
    int64_t before = read_counter(cl, o, &ok);
    if (!ok)
        goto out;
    while (!stop_requested(o)) {
        for (int i = 0; i < 64; i++)
            send_async(cl, st, &t, &ops[i]);
        mb_cql_wait_all(cl, &err);
    }
    int64_t after = 0;
    for (int i = 0; i < 20 && !(after = read_counter(cl, o, &ok), ok); i++)
        sleep(1);
    int64_t delta = after - before;
    mb_cql_stats s;
    mb_cql_cluster_stats(cl, &s);
    bool good = ok && delta >= t.acked && delta <= t.attempted;
    printf("counter: cl=%s attempted=%ld acked=%ld failed=%ld retried=%llu "
           "counted=%lld twice=%lld lost=%lld %s%s%s\n",
           mb_cql_consistency_name(o->cl), t.attempted, t.acked, t.failed,
           (unsigned long long)s.retried, (long long)delta,
           (long long)(delta > t.attempted ? delta - t.attempted : 0),
           (long long)(delta < t.acked ? t.acked - delta : 0),
           good ? "ok" : "FAILED", t.first_error[0] ? " first_error=" : "",
           t.first_error);
    rc = good ? 0 : 1;
out:
    free(ops);
    mb_cql_stmt_free(st);
    mb_cql_prepared_free(p);
    mb_cql_cluster_close(cl);
    return rc;
}

/* ---- verify ------------------------------------------------------------ */

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

static int cmd_verify(const opts *o)
{
    if (!o->ack) {
        fprintf(stderr, "verify needs --ack\n");
        return 2;
    }
    FILE *f = fopen(o->ack, "r");
    if (!f) {
        say("cannot open %s", o->ack);
        return 1;
    }
    size_t n = 0, cap = 1024;
    long *files = malloc(cap * sizeof *files), x;
    while (files && fscanf(f, "%ld", &x) == 1) {
        if (n == cap) {
            long *g = realloc(files, (cap *= 2) * sizeof *g);
            if (!g) {
                free(files);
                files = NULL;
                break;
            }
            files = g;
        }
        files[n++] = x;
    }
    fclose(f);
    if (!files)
        return 1;
    qsort(files, n, sizeof *files, cmp_long);
    size_t u = 0; /* a file acknowledged twice (replayed) counts once */
    for (size_t i = 0; i < n; i++)
        if (!u || files[u - 1] != files[i])
            files[u++] = files[i];
    n = u;
    mb_cql_cluster *cl = connect(o);
    if (!cl) {
        free(files);
        return 1;
    }
    mb_cql_prepared *psel = prepare(cl, "SELECT slot, value, "
                                    "writetime(value) FROM %s.readings "
                                    "WHERE meter = ? AND day = ?", o->ks);
    mb_cql_prepared *preg = prepare(cl, "SELECT readings FROM %s.files "
                                    "WHERE file = ?", o->ks);
    mb_cql_stmt *sel = psel ? mb_cql_stmt_new_prepared(psel) : NULL;
    mb_cql_stmt *reg = preg ? mb_cql_stmt_new_prepared(preg) : NULL;
    mb_digest *want = NULL, *got = NULL;
    mb_error err;
    int rc = 1;
    long expected = 0, missing = 0, wrong = 0, noreg = 0, readfail = 0;
    if (!sel || !reg || mb_digest_new(&want, &err) ||
        mb_digest_new(&got, &err))
        goto out;
    mb_cql_stmt_set_consistency(sel, o->cl);
    mb_cql_stmt_set_consistency(reg, o->cl);
    mb_cql_stmt_set_idempotent(sel, true);
    mb_cql_stmt_set_idempotent(reg, true);
    for (size_t i = 0; i < n; i++) {
        long file = files[i];
        mb_cql_result *res = NULL;
        if (mb_cql_stmt_bind_int(reg, 0, file, &err) ||
            mb_cql_execute(cl, reg, &res, &err)) {
            if (!readfail++)
                say("file %ld: registry read failed: %s", file, err.msg);
        } else if (mb_cql_result_row_count(res) != 1) {
            noreg++;
        }
        mb_cql_result_free(res);
        for (int k = 0; k < o->meters; k++) {
            char meter[32];
            meter_id(file, k, meter, sizeof meter);
            for (int s = 0; s < SLOTS; s++)
                digest_reading(want, meter, file_day(file), s,
                               reading_value(file, k, s));
            expected += SLOTS;
            res = NULL;
            if (mb_cql_stmt_bind_text(sel, 0, meter, &err) ||
                mb_cql_stmt_bind_int(sel, 1, file_day(file), &err) ||
                mb_cql_execute(cl, sel, &res, &err)) {
                if (!readfail++)
                    say("%s: read failed: %s", meter, err.msg);
                missing += SLOTS; /* unknown: counted as not verified */
                continue;
            }
            size_t rows = mb_cql_result_row_count(res), r = 0;
            for (int s = 0; s < SLOTS; s++) {
                int32_t slot = -1;
                int64_t v = 0, wt = 0;
                mb_cql_cell c0, c1, c2;
                if (r < rows) {
                    c0 = mb_cql_result_cell(res, r, 0);
                    c1 = mb_cql_result_cell(res, r, 1);
                    c2 = mb_cql_result_cell(res, r, 2);
                    mb_cql_cell_int32(&c0, &slot, NULL);
                    mb_cql_cell_int64(&c1, &v, NULL);
                    mb_cql_cell_int64(&c2, &wt, NULL);
                }
                if (slot != s) {
                    missing++;
                    continue;
                }
                r++;
                digest_reading(got, meter, file_day(file), s, v);
                if (v != reading_value(file, k, s) ||
                    wt != file_version(file))
                    wrong++;
            }
            mb_cql_result_free(res);
        }
    }
    char hw[MB_DIGEST_HEX], hg[MB_DIGEST_HEX];
    mb_digest_final(want, hw);
    mb_digest_final(got, hg);
    want = got = NULL;
    long lost = missing + wrong + noreg;
    printf("verify: cl=%s files=%zu readings=%ld missing=%ld wrong=%ld "
           "unregistered=%ld read_failures=%ld lost=%ld digest=%s "
           "expected=%s %s\n", mb_cql_consistency_name(o->cl), n, expected,
           missing, wrong, noreg, readfail, lost, hg, hw,
           lost == 0 && readfail == 0 && !strcmp(hg, hw) ? "ok" : "FAILED");
    rc = lost == 0 && readfail == 0 && !strcmp(hg, hw) ? 0 : 1;
out:
    if (want)
        mb_digest_final(want, hw);
    if (got)
        mb_digest_final(got, hg);
    mb_cql_stmt_free(sel);
    mb_cql_stmt_free(reg);
    mb_cql_prepared_free(psel);
    mb_cql_prepared_free(preg);
    mb_cql_cluster_close(cl);
    free(files);
    return rc;
}

/* ---- main -------------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ha_client schema|ingest|counter|verify [options]\n"
            "  --hosts H,H     contact points (default 127.0.0.1)\n"
            "  --keyspace KS   (default mb_ha)      --rf N (schema, default 3)\n"
            "  --cl LEVEL      consistency (default QUORUM)\n"
            "  --first N --count N --meters N (readings per file: N*48)\n"
            "  --stop-file F   ingest/counter run until F exists\n"
            "  --retry-for S   keep replaying pending files S seconds\n"
            "  --ack F         acknowledged files (appended / read)\n"
            "  --pause-ms N    ingest: pause between new files\n"
            "  --key K         counter row   --inflight N   --quiet\n");
}

int main(int argc, char **argv)
{
    opts o = {.hosts = "127.0.0.1", .ks = "mb_ha", .cl = MB_CQL_QUORUM,
              .meters = 20, .rf = 3, .retry_for = 60, .inflight = 256};
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        mb_error err;
        if (!strcmp(a, "--quiet")) {
            o.quiet = true;
            continue;
        }
        if (!v) {
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--hosts"))
            o.hosts = v;
        else if (!strcmp(a, "--keyspace"))
            o.ks = v;
        else if (!strcmp(a, "--ack"))
            o.ack = v;
        else if (!strcmp(a, "--stop-file"))
            o.stop_file = v;
        else if (!strcmp(a, "--key"))
            o.key = v;
        else if (!strcmp(a, "--first"))
            o.first = atol(v);
        else if (!strcmp(a, "--count"))
            o.count = atol(v);
        else if (!strcmp(a, "--meters"))
            o.meters = atoi(v);
        else if (!strcmp(a, "--rf"))
            o.rf = atoi(v);
        else if (!strcmp(a, "--retry-for"))
            o.retry_for = atoi(v);
        else if (!strcmp(a, "--inflight"))
            o.inflight = atoi(v);
        else if (!strcmp(a, "--pause-ms"))
            o.pause_ms = atoi(v);
        else if (!strcmp(a, "--cl")) {
            if (mb_cql_consistency_parse(v, &o.cl, &err)) {
                fprintf(stderr, "%s\n", err.msg);
                return 2;
            }
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (o.meters < 1 || o.meters > 999 || o.inflight < 1 || o.pause_ms < 0) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(cmd, "schema"))
        return cmd_schema(&o);
    if (!strcmp(cmd, "ingest"))
        return cmd_ingest(&o);
    if (!strcmp(cmd, "counter"))
        return cmd_counter(&o);
    if (!strcmp(cmd, "verify"))
        return cmd_verify(&o);
    usage(stderr);
    return 2;
}
