/*
 * test_store_conformance.c - the data contract of store.h, for any backend.
 *
 * Written against store.h alone, so the same binary checks every backend:
 *   test_store_conformance [URI]      (or env MB_STORE_URI)
 * A URI containing "{}" gets a fresh store per test ("{}" replaced by a
 * unique name: /tmp/x/{}.db, cassandra://127.0.0.1:9042/mb_{}); without
 * "{}" all tests share one store, use meter ids unique to the run, and the
 * tests that need an empty store are skipped. Without a URI each test gets
 * a fresh embedded store in a temporary directory.
 */
#include "core/datetime.h"
#include "store/store.h"

#include "mbtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char uri_pattern[1024];
static bool shared_store;   /* every test runs in one store */
static char run_id[32];     /* prefix of meter ids: unique to this run */
static char tmpdir[256];
static int store_seq;

static void die(const char *what, const mb_error *e)
{
    fprintf(stderr, "%s: %s\n", what, e->msg);
    exit(2);
}

/* A store for one test: fresh unless the URI is shared. */
static mb_store *open_store(void)
{
    char uri[1200], name[64];
    snprintf(name, sizeof name, "t%d_%s", ++store_seq, run_id);
    const char *mark = strstr(uri_pattern, "{}");
    if (mark)
        snprintf(uri, sizeof uri, "%.*s%s%s", (int)(mark - uri_pattern),
                 uri_pattern, name, mark + 2);
    else
        snprintf(uri, sizeof uri, "%s", uri_pattern);
    mb_store *s;
    mb_error e;
    if (mb_store_open(uri, &s, &e))
        die(uri, &e);
    return s;
}

/* Meter ids unique to the run, so a shared store works too. */
static const char *meter_id(const char *base)
{
    static char buf[8][MB_ID_MAX + 1];
    static int next;
    char *b = buf[next++ % 8];
    snprintf(b, MB_ID_MAX + 1, "%s%s", base, run_id);
    return b;
}

static mb_time utc(int y, int m, int d, int hh, int mm)
{
    return mb_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60;
}

/* ---- building input ----------------------------------------------------- */

#define MAXV 400

typedef struct block {
    mb_interval_block b;
    mb_decimal v[MAXV];
    mb_quality q[MAXV];
    const char *text[MAXV];
} block;

/* values: space-separated decimals; all quality A. */
static void make_block(block *bk, const char *meter, const char *channel,
                       const char *zone, mb_time start, int32_t interval,
                       const char *values, mb_version version)
{
    memset(bk, 0, sizeof *bk);
    uint32_t n = 0;
    for (const char *p = values; *p;) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if (e == p)
            break;
        if (mb_decimal_parse(p, (size_t)(e - p), &bk->v[n]) != MB_OK) {
            fprintf(stderr, "bad test value %.*s\n", (int)(e - p), p);
            exit(2);
        }
        bk->q[n] = (mb_quality){MB_Q_ACTUAL, 0, MB_REASON_NONE};
        n++;
        p = e;
    }
    bk->b = (mb_interval_block){
        .meter = meter, .channel = channel, .zone = zone,
        .unit = MB_UNIT_KWH, .start = start, .interval = interval,
        .count = n, .values = bk->v, .quality = bk->q, .version = version};
}

/* n values: base + i/1000, at scale 3. */
static void make_run(block *bk, const char *meter, const char *channel,
                     const char *zone, mb_time start, int32_t interval,
                     uint32_t n, int64_t base, mb_version version)
{
    make_block(bk, meter, channel, zone, start, interval, "", version);
    for (uint32_t i = 0; i < n; i++) {
        bk->v[i] = (mb_decimal){base + i, 3};
        bk->q[i] = (mb_quality){MB_Q_ACTUAL, 0, MB_REASON_NONE};
    }
    bk->b.count = n;
}

static void file_rec(mb_file_record *f, const char *tag)
{
    /* A digest from the tag: not SHA-256 of anything, just unique. */
    memset(f, 0, sizeof *f);
    unsigned long h = 5381;
    for (const char *p = tag; *p; p++)
        h = h * 33 + (unsigned char)*p;
    for (const char *p = run_id; *p; p++)
        h = h * 33 + (unsigned char)*p;
    snprintf(f->digest, sizeof f->digest, "%016lx%016lx%016lx%016lx", h,
             h * 3, h * 5, h * 7);
    f->name = tag;
    f->size = 100;
    f->format = MB_FORMAT_NEM12;
    f->outcome = MB_FILE_APPLIED;
    f->seen_at = 1700000000;
}

/* Apply blocks (and register reads) as one batch recorded as file `tag`. */
static mb_apply_stats apply(mb_store *s, const char *tag, block **blocks,
                            int nb, const mb_register_read *regs, int nr)
{
    mb_batch *b;
    mb_error e;
    mb_apply_stats st = {0};
    if (mb_store_begin(s, &b, &e))
        die("begin", &e);
    uint64_t values = 0;
    for (int i = 0; i < nb; i++) {
        if (mb_batch_intervals(b, &blocks[i]->b, &e))
            die("intervals", &e);
        values += blocks[i]->b.count;
    }
    for (int i = 0; i < nr; i++)
        if (mb_batch_register(b, &regs[i], &e))
            die("register", &e);
    mb_file_record f;
    file_rec(&f, tag);
    f.values = values;
    f.registers = (uint64_t)nr;
    if (mb_batch_commit(b, &f, &st, &e))
        die("commit", &e);
    return st;
}

static mb_apply_stats apply1(mb_store *s, const char *tag, block *bk)
{
    return apply(s, tag, &bk, 1, NULL, 0);
}

/* ---- reading back ------------------------------------------------------- */

typedef struct got {
    char channel[MB_ID_MAX + 1];
    char zone[64];
    mb_time start;
    int32_t interval;
    char value[MB_DECIMAL_STRLEN];
    mb_quality quality;
    char text[64];
    mb_version version;
    bool current;
    mb_unit unit;
} got;

typedef struct rows {
    got r[2000];
    int n;
} rows;

static mb_status collect(void *ctx, const mb_interval_row *row, mb_error *e)
{
    (void)e;
    rows *rs = ctx;
    if (rs->n >= 2000)
        return MB_OK;
    got *g = &rs->r[rs->n++];
    snprintf(g->channel, sizeof g->channel, "%s", row->channel);
    snprintf(g->zone, sizeof g->zone, "%s", row->zone);
    g->start = row->start;
    g->interval = row->interval;
    mb_decimal_format(row->value, g->value, sizeof g->value);
    g->quality = row->quality;
    snprintf(g->text, sizeof g->text, "%s",
             row->reason_text ? row->reason_text : "");
    g->version = row->version;
    g->current = row->current;
    g->unit = row->unit;
    return MB_OK;
}

static rows *read_range(mb_store *s, const char *meter, const char *channel,
                        mb_time from, mb_time to, bool history)
{
    static rows rs;
    rs.n = 0;
    mb_range_query q = {meter, channel, from, to, history};
    mb_error e;
    if (mb_store_read(s, &q, collect, &rs, &e))
        die("read", &e);
    return &rs;
}

static rows *read_all(mb_store *s, const char *meter, const char *channel)
{
    return read_range(s, meter, channel, utc(2000, 1, 1, 0, 0),
                      utc(2100, 1, 1, 0, 0), false);
}

static void digest(mb_store *s, mb_store_digest *d)
{
    mb_error e;
    if (mb_store_verify(s, d, &e))
        die("verify", &e);
}

/* ---- the tests ---------------------------------------------------------- */

static void test_exact_values(void)
{
    mb_store *s = open_store();
    const char *m = meter_id("EXACT");
    block bk;
    /* Different scales in one day row; negative; large; zero scales. */
    make_block(&bk, m, "E1", "+10:00", utc(2024, 1, 1, 14, 0), 1800,
               "1.5 1.250 0.000 -2.75 123456789.123456 7 0.001", 100);
    bk.q[1] = (mb_quality){MB_Q_ESTIMATED, 51, MB_REASON_NONE};
    bk.q[2] = (mb_quality){MB_Q_SUBSTITUTED, 52, 9};
    bk.q[3] = (mb_quality){MB_Q_NULL, 0, MB_REASON_NONE};
    const char *texts[7] = {NULL, NULL, "meter stuck", NULL, NULL, "", NULL};
    bk.b.reason_text = texts;
    mb_apply_stats st = apply1(s, "exact", &bk);
    MB_CHECK(st.added == 7 && st.changed == 0 && st.unchanged == 0);
    rows *r = read_all(s, m, "E1");
    MB_CHECK(r->n == 7);
    const char *want[7] = {"1.5", "1.250", "0.000", "-2.75",
                           "123456789.123456", "7", "0.001"};
    for (int i = 0; i < r->n && i < 7; i++) {
        MB_CHECK_STR(r->r[i].value, want[i]);
        MB_CHECK(r->r[i].start == utc(2024, 1, 1, 14, 0) + i * 1800);
        MB_CHECK(r->r[i].interval == 1800);
        MB_CHECK(r->r[i].version == 100);
        MB_CHECK(r->r[i].current);
        MB_CHECK(r->r[i].unit == MB_UNIT_KWH);
        MB_CHECK_STR(r->r[i].channel, "E1");
        MB_CHECK_STR(r->r[i].zone, "+10:00");
    }
    MB_CHECK(r->r[1].quality.flag == 'E' && r->r[1].quality.method == 51);
    MB_CHECK(r->r[2].quality.flag == 'S' && r->r[2].quality.reason == 9);
    MB_CHECK(r->r[0].quality.reason == MB_REASON_NONE);
    MB_CHECK(r->r[3].quality.flag == 'N');
    MB_CHECK_STR(r->r[2].text, "meter stuck");
    MB_CHECK_STR(r->r[5].text, "");
    /* An unknown meter reads as nothing. */
    MB_CHECK(read_all(s, meter_id("NOSUCH"), NULL)->n == 0);
    mb_store_close(s);
}

static void test_versions(void)
{
    mb_store *s = open_store();
    const char *m = meter_id("VERS");
    mb_time t0 = utc(2024, 2, 1, 14, 0);
    block a, b, c, d;
    make_block(&a, m, "E1", "+10:00", t0, 1800, "1 2 3 4", 200);
    make_block(&b, m, "E1", "+10:00", t0 + 1800, 1800, "20 30", 300);
    make_block(&c, m, "E1", "+10:00", t0 + 1800, 1800, "20 30", 300);
    make_block(&d, m, "E1", "+10:00", t0, 1800, "0.5 0.6 0.7 0.8", 100);
    mb_apply_stats st = apply1(s, "v-a", &a);
    MB_CHECK(st.added == 4);
    /* newest version wins */
    st = apply1(s, "v-b", &b);
    MB_CHECK(st.added == 0 && st.changed == 2 && st.unchanged == 0);
    /* equal version: the same event, nothing changes */
    st = apply1(s, "v-c", &c);
    MB_CHECK(st.added == 0 && st.changed == 0 && st.unchanged == 2);
    /* an older version arriving later changes nothing in the view */
    st = apply1(s, "v-d", &d);
    MB_CHECK(st.added == 0 && st.changed == 0 && st.unchanged == 4);
    rows *r = read_all(s, m, "E1");
    MB_CHECK(r->n == 4);
    if (r->n == 4) {
        MB_CHECK_STR(r->r[0].value, "1");
        MB_CHECK_STR(r->r[1].value, "20");
        MB_CHECK_STR(r->r[2].value, "30");
        MB_CHECK_STR(r->r[3].value, "4");
        MB_CHECK(r->r[0].version == 200 && r->r[1].version == 300);
    }
    /* history: current first, then superseded versions oldest first */
    r = read_range(s, m, "E1", t0, t0 + 4 * 1800, true);
    /* t0: 1@200 cur, 0.5@100; t1: 20@300 cur, 0.6@100, 2@200;
     * t2: 30@300, 0.7@100, 3@200; t3: 4@200, 0.8@100 */
    MB_CHECK(r->n == 10);
    if (r->n == 10) {
        MB_CHECK(r->r[0].current && !strcmp(r->r[0].value, "1"));
        MB_CHECK(!r->r[1].current && !strcmp(r->r[1].value, "0.5") &&
                 r->r[1].version == 100);
        MB_CHECK(r->r[2].current && !strcmp(r->r[2].value, "20"));
        MB_CHECK(!r->r[3].current && r->r[3].version == 100 &&
                 !strcmp(r->r[3].value, "0.6"));
        MB_CHECK(!r->r[4].current && r->r[4].version == 200 &&
                 !strcmp(r->r[4].value, "2"));
        MB_CHECK(r->r[5].start == t0 + 2 * 1800 && r->r[5].current);
        MB_CHECK(r->r[9].start == t0 + 3 * 1800 && !r->r[9].current);
    }
    mb_store_close(s);
}

static void test_range_and_channels(void)
{
    mb_store *s = open_store();
    const char *m = meter_id("RANGE");
    mb_time t0 = utc(2024, 3, 1, 14, 0); /* local midnight, +10:00 */
    block e1, b1, q1;
    make_run(&e1, m, "E1", "+10:00", t0, 1800, 96, 1000, 1);
    make_run(&b1, m, "B1", "+10:00", t0, 1800, 48, 5000, 1);
    make_run(&q1, m, "Q1", "+10:00", t0 + 86400, 900, 10, 9000, 1);
    q1.b.unit = MB_UNIT_KVARH;
    block *all[3] = {&e1, &b1, &q1};
    mb_apply_stats st = apply(s, "range", all, 3, NULL, 0);
    MB_CHECK(st.added == 96 + 48 + 10);
    /* [from, to): from included, to excluded, across the day boundary */
    rows *r = read_range(s, m, "E1", t0 + 47 * 1800, t0 + 50 * 1800, false);
    MB_CHECK(r->n == 3);
    if (r->n == 3) {
        MB_CHECK(r->r[0].start == t0 + 47 * 1800);
        MB_CHECK(r->r[2].start == t0 + 49 * 1800);
        MB_CHECK_STR(r->r[0].value, "1.047");
    }
    MB_CHECK(read_range(s, m, "E1", t0 + 1, t0 + 1800, false)->n == 0);
    MB_CHECK(read_range(s, m, "E1", t0, t0, false)->n == 0);
    MB_CHECK(read_range(s, m, "E1", t0, t0 + 1, false)->n == 1);
    /* all channels: by channel, then start */
    r = read_all(s, m, NULL);
    MB_CHECK(r->n == 154);
    if (r->n == 154) {
        MB_CHECK_STR(r->r[0].channel, "B1");
        MB_CHECK_STR(r->r[47].channel, "B1");
        MB_CHECK_STR(r->r[48].channel, "E1");
        MB_CHECK_STR(r->r[144].channel, "Q1");
        MB_CHECK(r->r[144].interval == 900);
        MB_CHECK(r->r[144].unit == MB_UNIT_KVARH);
        for (int i = 1; i < 48; i++)
            MB_CHECK(r->r[i].start > r->r[i - 1].start);
    }
    mb_store_close(s);
}

static void test_split_days(void)
{
    /* A block that starts mid-day and runs into the next day, merged with
     * one that overlaps it. */
    mb_store *s = open_store();
    const char *m = meter_id("SPLIT");
    mb_time t0 = utc(2024, 4, 1, 14, 0) + 40 * 1800; /* 20:00 local */
    block a, b;
    make_run(&a, m, "E1", "+10:00", t0, 1800, 30, 0, 10);
    make_run(&b, m, "E1", "+10:00", t0 + 20 * 1800, 1800, 20, 500, 20);
    mb_apply_stats st = apply1(s, "split-a", &a);
    MB_CHECK(st.added == 30);
    st = apply1(s, "split-b", &b);
    MB_CHECK(st.added == 10 && st.changed == 10);
    rows *r = read_all(s, m, "E1");
    MB_CHECK(r->n == 40);
    for (int i = 0; i < r->n; i++) {
        MB_CHECK(r->r[i].start == t0 + i * 1800);
        MB_CHECK(r->r[i].version == (i < 20 ? 10 : 20));
    }
    mb_store_close(s);
}

typedef struct {
    int n;
    char reg[8][8], value[8][MB_DECIMAL_STRLEN];
    bool current[8];
    mb_version version[8];
    char flag[8];
} test_regs;

static mb_status collect_reg(void *ctx, const mb_register_row *row,
                             mb_error *e)
{
    (void)e;
    test_regs *g = ctx;
    if (g->n >= 8)
        return MB_OK;
    snprintf(g->reg[g->n], 8, "%s", row->reg);
    mb_decimal_format(row->value, g->value[g->n], MB_DECIMAL_STRLEN);
    g->current[g->n] = row->current;
    g->version[g->n] = row->version;
    g->flag[g->n] = row->quality.flag;
    g->n++;
    return MB_OK;
}

static void test_registers(void)
{
    mb_store *s = open_store();
    const char *m = meter_id("REG");
    mb_time t = utc(2024, 5, 1, 9, 30);
    mb_register_read r1 = {
        .meter = m, .reg = "11", .serial = "SER1", .zone = "Europe/London",
        .unit = MB_UNIT_KWH, .read_at = t, .value = {123456, 1},
        .read_type = 'A', .quality = {MB_Q_ACTUAL, 0, MB_REASON_NONE},
        .version = 50};
    mb_register_read r2 = r1;
    r2.read_at = t + 86400;
    r2.value = (mb_decimal){123999, 1};
    mb_register_read r3 = r1; /* newer version of the first read */
    r3.value = (mb_decimal){123460, 1};
    r3.quality.flag = MB_Q_ESTIMATED;
    r3.version = 60;
    mb_register_read r4 = r1; /* other register */
    r4.reg = "12";
    r4.value = (mb_decimal){5, 0};
    mb_register_read in1[3] = {r1, r2, r4};
    mb_apply_stats st = apply(s, "reg-1", NULL, 0, in1, 3);
    MB_CHECK(st.added == 3);
    st = apply(s, "reg-2", NULL, 0, &r3, 1);
    MB_CHECK(st.changed == 1);
    st = apply(s, "reg-3", NULL, 0, &r1, 1); /* older: history */
    MB_CHECK(st.unchanged == 1 && st.changed == 0);
    st = apply(s, "reg-4", NULL, 0, &r3, 1); /* same: unchanged */
    MB_CHECK(st.unchanged == 1);

    test_regs got = {0};
    mb_range_query q = {m, NULL, t, t + 2 * 86400, false};
    mb_error e;
    if (mb_store_read_registers(s, &q, collect_reg, &got, &e))
        die("read registers", &e);
    MB_CHECK(got.n == 3);
    if (got.n == 3) {
        MB_CHECK_STR(got.reg[0], "11");
        MB_CHECK_STR(got.value[0], "12346.0");
        MB_CHECK(got.flag[0] == 'E' && got.version[0] == 60);
        MB_CHECK_STR(got.value[1], "12399.9");
        MB_CHECK_STR(got.reg[2], "12");
    }
    memset(&got, 0, sizeof got);
    q.channel = "11";
    q.history = true;
    q.to = t + 1;
    if (mb_store_read_registers(s, &q, collect_reg, &got, &e))
        die("read registers", &e);
    MB_CHECK(got.n == 2);
    if (got.n == 2) {
        MB_CHECK(got.current[0] && got.version[0] == 60);
        MB_CHECK(!got.current[1] && got.version[1] == 50);
        MB_CHECK_STR(got.value[1], "12345.6");
    }
    mb_store_close(s);
}

static void test_abort_and_files(void)
{
    mb_store *s = open_store();
    const char *m = meter_id("ABORT");
    block bk;
    make_run(&bk, m, "E1", "+10:00", utc(2024, 6, 1, 14, 0), 1800, 48, 1, 1);
    mb_batch *b;
    mb_error e;
    MB_CHECK(mb_store_begin(s, &b, &e) == MB_OK);
    MB_CHECK(mb_batch_intervals(b, &bk.b, &e) == MB_OK);
    mb_batch_abort(b);
    MB_CHECK(read_all(s, m, NULL)->n == 0);

    /* commit records the file with its effect */
    mb_file_record f, got;
    bool found;
    file_rec(&f, "files-1");
    MB_CHECK(mb_store_file_get(s, f.digest, &got, &found, &e) == MB_OK);
    MB_CHECK(!found);
    apply1(s, "files-1", &bk);
    MB_CHECK(mb_store_file_get(s, f.digest, &got, &found, &e) == MB_OK);
    MB_CHECK(found && got.outcome == MB_FILE_APPLIED);
    MB_CHECK(found && got.added == 48 && got.values == 48);
    MB_CHECK(found && got.format == MB_FORMAT_NEM12 && got.size == 100);
    MB_CHECK_STR(found ? got.name : NULL, "files-1");
    MB_CHECK(read_all(s, m, NULL)->n == 48);

    /* a rejected file; an applied one is never downgraded */
    mb_file_record rj;
    file_rec(&rj, "files-bad");
    rj.outcome = MB_FILE_REJECTED;
    rj.error = "line 3: bad record";
    MB_CHECK(mb_store_file_reject(s, &rj, &e) == MB_OK);
    MB_CHECK(mb_store_file_get(s, rj.digest, &got, &found, &e) == MB_OK);
    MB_CHECK(found && got.outcome == MB_FILE_REJECTED);
    MB_CHECK_STR(found ? got.error : NULL, "line 3: bad record");
    file_rec(&rj, "files-1");
    rj.outcome = MB_FILE_REJECTED;
    rj.error = "late rejection";
    MB_CHECK(mb_store_file_reject(s, &rj, &e) == MB_OK);
    MB_CHECK(mb_store_file_get(s, rj.digest, &got, &found, &e) == MB_OK);
    MB_CHECK(found && got.outcome == MB_FILE_APPLIED && got.added == 48);
    /* a rejected file later applied becomes applied */
    block bk2;
    make_run(&bk2, m, "E2", "+10:00", utc(2024, 6, 1, 14, 0), 1800, 4, 1, 1);
    apply1(s, "files-bad", &bk2);
    file_rec(&rj, "files-bad");
    MB_CHECK(mb_store_file_get(s, rj.digest, &got, &found, &e) == MB_OK);
    MB_CHECK(found && got.outcome == MB_FILE_APPLIED && got.added == 4);
    MB_CHECK_STR(found ? got.error : NULL, "");
    mb_store_close(s);
}

typedef struct file_list {
    int n, applied, rejected;
} file_list;

static mb_status count_file(void *ctx, const mb_file_record *r, mb_error *e)
{
    (void)e;
    file_list *fl = ctx;
    fl->n++;
    fl->applied += r->outcome == MB_FILE_APPLIED;
    fl->rejected += r->outcome == MB_FILE_REJECTED;
    return MB_OK;
}

static void test_file_listing(void)
{
    if (shared_store)
        return;
    mb_store *s = open_store();
    block bk;
    make_run(&bk, meter_id("FL"), "E1", "+10:00", utc(2024, 6, 2, 14, 0),
             1800, 4, 1, 1);
    apply1(s, "fl-1", &bk);
    mb_file_record rj;
    file_rec(&rj, "fl-2");
    rj.outcome = MB_FILE_REJECTED;
    rj.error = "bad";
    mb_error e;
    MB_CHECK(mb_store_file_reject(s, &rj, &e) == MB_OK);
    file_list fl = {0};
    MB_CHECK(mb_store_files(s, count_file, &fl, &e) == MB_OK);
    MB_CHECK(fl.n == 2 && fl.applied == 1 && fl.rejected == 1);
    mb_store_close(s);
}

/* Six files touching overlapping identities with various versions. */
#define NFILES 6
static void make_files(block f[NFILES][3])
{
    const char *m1 = meter_id("ORDA"), *m2 = meter_id("ORDB");
    mb_time t0 = utc(2024, 7, 1, 14, 0);
    for (int i = 0; i < NFILES; i++) {
        mb_version v = 1000 + (i % 3) * 10; /* versions repeat */
        make_run(&f[i][0], m1, "E1", "+10:00", t0 + i * 7 * 1800, 1800, 60,
                 i * 100, v);
        make_run(&f[i][1], m2, "E1", "Europe/London",
                 utc(2024, 10, 26, 23, 0) + i * 3600, 1800, 30, i * 50,
                 2000 - i);
        make_run(&f[i][2], m1, "B1", "+10:00", t0, 300, 288, i, 5 + i);
    }
    /* Equal version, different content: the tie must resolve the same
     * whatever the order. */
    f[5][0].v[0] = (mb_decimal){777, 0};
    f[5][0].b.version = f[2][0].b.version;
    f[5][0].b.start = f[2][0].b.start;
}

static void apply_order(mb_store *s, block f[NFILES][3], const int *order,
                        int rep)
{
    for (int k = 0; k < NFILES; k++) {
        int i = order[k];
        block *bs[3] = {&f[i][0], &f[i][1], &f[i][2]};
        char tag[32];
        snprintf(tag, sizeof tag, "ord-%d-%d", i, rep);
        apply(s, tag, bs, 3, NULL, 0);
    }
}

static void test_replay_orders(void)
{
    if (shared_store) {
        printf("skip test_replay_orders: needs a fresh store per test\n");
        return;
    }
    static block f[NFILES][3];
    make_files(f);
    static const int orders[3][NFILES] = {
        {0, 1, 2, 3, 4, 5}, {5, 4, 3, 2, 1, 0}, {3, 0, 5, 1, 4, 2}};
    mb_store_digest first = {0};
    for (int o = 0; o < 3; o++) {
        mb_store *s = open_store();
        mb_store_digest d1, d2;
        apply_order(s, f, orders[o], 0);
        digest(s, &d1);
        /* replaying everything again, in another order, changes nothing */
        apply_order(s, f, orders[(o + 1) % 3], 1);
        digest(s, &d2);
        MB_CHECK_STR(d2.hex, d1.hex);
        MB_CHECK(d1.values == d2.values && d1.series == d2.series);
        if (o == 0)
            first = d1;
        MB_CHECK_STR(d1.hex, first.hex);
        MB_CHECK(d1.series == 3);
        mb_store_close(s);
    }
    /* An empty store has a digest too, and it differs. */
    mb_store *s = open_store();
    mb_store_digest d;
    digest(s, &d);
    MB_CHECK(d.values == 0 && d.series == 0);
    MB_CHECK(strcmp(d.hex, first.hex) != 0);
    mb_store_close(s);
}

static void test_locks(void)
{
    mb_store *s = open_store();
    mb_store *s2 = open_store(); /* same store when shared; fine either way */
    char name[64];
    snprintf(name, sizeof name, "file:%s", run_id);
    bool taken;
    mb_error e;
    MB_CHECK(mb_store_lock(s, name, "alice", 60000, &taken, &e) == MB_OK);
    MB_CHECK(taken);
    MB_CHECK(mb_store_lock(s, name, "bob", 60000, &taken, &e) == MB_OK);
    MB_CHECK(!taken);
    /* taking a lock we hold renews it */
    MB_CHECK(mb_store_lock(s, name, "alice", 60000, &taken, &e) == MB_OK);
    MB_CHECK(taken);
    MB_CHECK(mb_store_lock_renew(s, name, "alice", 200, &e) == MB_OK);
    MB_CHECK(mb_store_lock_renew(s, name, "bob", 200, &e) == MB_EBUSY);
    /* unlock by a non-owner does nothing */
    MB_CHECK(mb_store_unlock(s, name, "bob", &e) == MB_OK);
    MB_CHECK(mb_store_lock(s, name, "bob", 60000, &taken, &e) == MB_OK);
    MB_CHECK(!taken);
    /* expiry, then someone else takes it */
    usleep(400 * 1000);
    MB_CHECK(mb_store_lock(s, name, "bob", 60000, &taken, &e) == MB_OK);
    MB_CHECK(taken);
    MB_CHECK(mb_store_lock_renew(s, name, "alice", 1000, &e) == MB_EBUSY);
    MB_CHECK(mb_store_unlock(s, name, "alice", &e) == MB_OK);
    MB_CHECK(mb_store_lock(s, name, "carol", 60000, &taken, &e) == MB_OK);
    MB_CHECK(!taken);
    MB_CHECK(mb_store_unlock(s, name, "bob", &e) == MB_OK);
    MB_CHECK(mb_store_lock(s, name, "carol", 60000, &taken, &e) == MB_OK);
    MB_CHECK(taken);
    /* the holder is visible to others, and gone once released */
    char holder[64];
    bool held;
    MB_CHECK(mb_store_lock_holder(s, name, holder, sizeof holder, &held, &e) == MB_OK);
    MB_CHECK(held);
    MB_CHECK_STR(holder, "carol");
    MB_CHECK(mb_store_unlock(s, name, "carol", &e) == MB_OK);
    MB_CHECK(mb_store_lock_holder(s, name, holder, sizeof holder, &held, &e) == MB_OK);
    MB_CHECK(!held);
    mb_store_close(s2);
    mb_store_close(s);
}

typedef struct series_list {
    int n;
    char meter[8][MB_ID_MAX + 1], channel[8][MB_ID_MAX + 1];
    bool is_register[8];
    mb_time first[8], last[8];
    mb_unit unit[8];
} series_list;

static mb_status collect_series(void *ctx, const mb_series_info *si,
                                mb_error *e)
{
    (void)e;
    series_list *l = ctx;
    if (strstr(si->meter, run_id) == NULL || strncmp(si->meter, "SER", 3))
        return MB_OK;
    if (l->n < 8) {
        snprintf(l->meter[l->n], MB_ID_MAX + 1, "%s", si->meter);
        snprintf(l->channel[l->n], MB_ID_MAX + 1, "%s", si->channel);
        l->is_register[l->n] = si->is_register;
        l->first[l->n] = si->first;
        l->last[l->n] = si->last;
        l->unit[l->n] = si->unit;
    }
    l->n++;
    return MB_OK;
}

static void test_series(void)
{
    mb_store *s = open_store();
    const char *ma = meter_id("SERA"), *mb = meter_id("SERB");
    mb_time t0 = utc(2024, 8, 1, 14, 0);
    block a, b, c;
    make_run(&a, mb, "E1", "+10:00", t0 + 3600, 1800, 100, 0, 1);
    make_run(&b, ma, "E2", "+10:00", t0, 1800, 10, 0, 1);
    make_run(&c, ma, "E1", "+10:00", t0 + 86400 * 3, 1800, 5, 0, 1);
    mb_register_read r = {
        .meter = ma, .reg = "R1", .serial = "", .zone = "+10:00",
        .unit = MB_UNIT_KWH, .read_at = t0 + 77, .value = {1, 0},
        .quality = {MB_Q_ACTUAL, 0, MB_REASON_NONE}, .version = 1};
    block *all[3] = {&a, &b, &c};
    apply(s, "series", all, 3, &r, 1);
    series_list l = {0};
    mb_error e;
    MB_CHECK(mb_store_series(s, collect_series, &l, &e) == MB_OK);
    MB_CHECK(l.n == 4);
    if (l.n == 4) {
        MB_CHECK_STR(l.meter[0], ma);
        MB_CHECK_STR(l.channel[0], "E1");
        MB_CHECK(l.first[0] == t0 + 86400 * 3);
        MB_CHECK(l.last[0] == t0 + 86400 * 3 + 4 * 1800);
        MB_CHECK_STR(l.channel[1], "E2");
        MB_CHECK_STR(l.channel[2], "R1");
        MB_CHECK(l.is_register[2] && !l.is_register[1]);
        MB_CHECK(l.first[2] == t0 + 77 && l.last[2] == t0 + 77);
        MB_CHECK_STR(l.meter[3], mb);
        MB_CHECK(l.first[3] == t0 + 3600 && l.last[3] == t0 + 3600 + 99 * 1800);
    }
    mb_store_close(s);
}

static void test_clock_change(void)
{
    /* Europe/London: 2024-03-31 has 46 half hours (clocks forward at
     * 01:00 UTC), 2024-10-27 has 50 (clocks back at 01:00 UTC). */
    mb_store *s = open_store();
    const char *m = meter_id("GB");
    block spring, autumn, normal;
    make_run(&spring, m, "AI", "Europe/London", utc(2024, 3, 31, 0, 0),
             1800, 46, 100, 1);
    make_run(&autumn, m, "AI", "Europe/London", utc(2024, 10, 26, 23, 0),
             1800, 50, 200, 1);
    make_run(&normal, m, "AI", "Europe/London", utc(2024, 10, 28, 0, 0),
             1800, 48, 300, 1);
    block *all[3] = {&spring, &autumn, &normal};
    mb_apply_stats st = apply(s, "gb", all, 3, NULL, 0);
    MB_CHECK(st.added == 46 + 50 + 48);
    rows *r = read_range(s, m, "AI", utc(2024, 3, 31, 0, 0),
                         utc(2024, 3, 31, 23, 0), false);
    MB_CHECK(r->n == 46);
    if (r->n == 46) {
        MB_CHECK(r->r[45].start == utc(2024, 3, 31, 22, 30));
        MB_CHECK_STR(r->r[45].value, "0.145");
        MB_CHECK_STR(r->r[45].zone, "Europe/London");
    }
    r = read_range(s, m, "AI", utc(2024, 10, 26, 23, 0),
                   utc(2024, 10, 29, 0, 0), false);
    MB_CHECK(r->n == 50 + 48);
    for (int i = 0; i < r->n; i++)
        MB_CHECK(r->r[i].start == utc(2024, 10, 26, 23, 0) + i * 1800);
    if (r->n == 98) {
        MB_CHECK_STR(r->r[49].value, "0.249");
        MB_CHECK_STR(r->r[50].value, "0.300");
    }
    /* replaying the autumn day with a newer version replaces all 50 */
    autumn.b.version = 2;
    st = apply1(s, "gb-2", &autumn);
    MB_CHECK(st.changed == 50 && st.added == 0);
    mb_store_close(s);
}

static void test_nem_days(void)
{
    /* NEM market time is UTC+10 all year: a local day is 14:00 to 14:00
     * UTC, 48 half hours, also when Sydney changes its clocks. */
    mb_store *s = open_store();
    const char *m = meter_id("NEM");
    block d1, d2;
    make_run(&d1, m, "E1", "+10:00", utc(2024, 10, 5, 14, 0), 1800, 48, 0, 1);
    make_run(&d2, m, "E1", "+10:00", utc(2024, 10, 6, 14, 0), 1800, 48, 48,
             1);
    block *all[2] = {&d1, &d2};
    MB_CHECK(apply(s, "nem", all, 2, NULL, 0).added == 96);
    rows *r = read_range(s, m, "E1", utc(2024, 10, 6, 14, 0),
                         utc(2024, 10, 7, 14, 0), false);
    MB_CHECK(r->n == 48);
    if (r->n == 48) {
        MB_CHECK_STR(r->r[0].value, "0.048");
        MB_CHECK(r->r[47].start == utc(2024, 10, 7, 13, 30));
    }
    /* 5-minute data of the same meter: another series (288 a day) */
    block fm;
    make_run(&fm, m, "E1", "+10:00", utc(2024, 10, 5, 14, 0), 300, 288, 0, 1);
    MB_CHECK(apply1(s, "nem-5", &fm).added == 288);
    MB_CHECK(read_range(s, m, "E1", utc(2024, 10, 5, 14, 0),
                        utc(2024, 10, 6, 14, 0), false)->n == 48 + 288);
    mb_store_close(s);
}

static void test_bad_input(void)
{
    mb_store *s = open_store();
    block bk;
    make_run(&bk, meter_id("BAD"), "E1", "+10:00", utc(2024, 9, 1, 14, 0),
             1800, 4, 0, 1);
    mb_batch *b;
    mb_error e;
    MB_CHECK(mb_store_begin(s, &b, &e) == MB_OK);
    mb_batch *b2;
    MB_CHECK(mb_store_begin(s, &b2, &e) == MB_EINVAL); /* one at a time */
    block bad = bk;
    bad.b.interval = 0;
    MB_CHECK(mb_batch_intervals(b, &bad.b, &e) == MB_EINVAL);
    bad = bk;
    bad.b.meter = "";
    MB_CHECK(mb_batch_intervals(b, &bad.b, &e) == MB_EINVAL);
    bad = bk;
    bad.b.values = bad.v;
    bad.b.quality = bad.q;
    bad.q[1].flag = 'X';
    MB_CHECK(mb_batch_intervals(b, &bad.b, &e) == MB_EINVAL);
    bad = bk;
    bad.b.values = bad.v;
    bad.b.quality = bad.q;
    bad.v[0].scale = 19;
    MB_CHECK(mb_batch_intervals(b, &bad.b, &e) == MB_EINVAL);
    mb_batch_abort(b);
    mb_store *none;
    /* a Cassandra URI without keyspace is refused before connecting */
    MB_CHECK(mb_store_open("cassandra://127.0.0.1:9042", &none, &e) ==
             MB_EINVAL);
    MB_CHECK(strstr(e.msg, "KEYSPACE") != NULL);
    mb_store_close(s);
}

int main(int argc, char **argv)
{
    const char *uri = argc > 1 ? argv[1] : getenv("MB_STORE_URI");
    snprintf(run_id, sizeof run_id, "%lx%x", (unsigned long)time(NULL),
             (unsigned)getpid());
    if (uri && *uri) {
        snprintf(uri_pattern, sizeof uri_pattern, "%s", uri);
        shared_store = strstr(uri, "{}") == NULL;
    } else {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/mb-store-conf-XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            return 2;
        }
        snprintf(uri_pattern, sizeof uri_pattern, "%s/{}.db", tmpdir);
    }
    MB_RUN(test_exact_values);
    MB_RUN(test_versions);
    MB_RUN(test_range_and_channels);
    MB_RUN(test_split_days);
    MB_RUN(test_registers);
    MB_RUN(test_abort_and_files);
    MB_RUN(test_file_listing);
    MB_RUN(test_replay_orders);
    MB_RUN(test_locks);
    MB_RUN(test_series);
    MB_RUN(test_clock_change);
    MB_RUN(test_nem_days);
    MB_RUN(test_bad_input);
    if (*tmpdir) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    return MB_DONE();
}
