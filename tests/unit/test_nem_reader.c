/*
 * test_nem_reader.c - the NEM12/NEM13 reader: AEMO's example files (from
 * MB_TEST_SHARED, skipped when absent), golden outputs of our own fixtures
 * in tests/data/nem, and inline records for each rejection rule.
 */
#include "formats/input.h"
#include "formats/reader.h"
#include "mbtest.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#define SHARED MB_TEST_SHARED "/data/nem/"

/* ---- a sink that keeps what it was given -------------------------------- */

typedef struct {
    char meter[16], channel[8];
    mb_unit unit;
    mb_time start;
    int32_t interval;
    uint32_t count;
    char first[MB_DECIMAL_STRLEN], last[MB_DECIMAL_STRLEN];
    mb_quality q[288];
    char text0[64]; /* reason text of value 1, "" when none */
    mb_version version;
} block;

typedef struct {
    char meter[16], reg[8], serial[16], value[MB_DECIMAL_STRLEN];
    mb_unit unit;
    mb_time read_at;
    mb_quality q;
    char text[64];
    mb_version version;
} reg;

typedef struct {
    int begins, nblocks, nregs, nwarn;
    mb_source_info info;
    char from[64];
    block blocks[80];
    reg regs[8];
    char warn[4][800];
    char *dump;   /* golden text, when dumping */
    size_t dump_len;
    mb_status fail_with; /* intervals callback returns this */
} got;

static void out(got *g, const char *fmt, ...)
{
    if (!g->dump)
        return;
    va_list ap;
    va_start(ap, fmt);
    g->dump_len += (size_t)vsnprintf(g->dump + g->dump_len,
                                     65536 - g->dump_len, fmt, ap);
    va_end(ap);
}

static mb_status on_begin(void *ctx, const mb_source_info *info, mb_error *e)
{
    (void)e;
    got *g = ctx;
    g->begins++;
    g->info = *info;
    snprintf(g->from, sizeof g->from, "%s", info->from);
    out(g, "begin %s created=%lld from=%s to=%s\n",
        info->format == MB_FORMAT_NEM13 ? "nem13" : "nem12",
        (long long)info->created, info->from, info->to);
    return MB_OK;
}

static mb_status on_block(void *ctx, const mb_interval_block *b, mb_error *e)
{
    got *g = ctx;
    if (g->fail_with)
        return mb_error_set(e, g->fail_with, "sink refused");
    out(g, "block %s/%s %s zone=%s start=%lld interval=%d count=%u "
           "version=%lld\n",
        b->meter, b->channel, mb_unit_name(b->unit), b->zone,
        (long long)b->start, b->interval, b->count, (long long)b->version);
    for (uint32_t i = 0; i < b->count; i++) {
        char v[MB_DECIMAL_STRLEN];
        mb_decimal_format(b->values[i], v, sizeof v);
        out(g, "  %u %s %c%u", i + 1, v, b->quality[i].flag,
            b->quality[i].method);
        if (b->quality[i].reason != MB_REASON_NONE)
            out(g, " reason=%u", b->quality[i].reason);
        if (b->reason_text && b->reason_text[i])
            out(g, " text='%s'", b->reason_text[i]);
        out(g, "\n");
    }
    if (g->nblocks == 80)
        return MB_OK;
    block *k = &g->blocks[g->nblocks++];
    snprintf(k->meter, sizeof k->meter, "%s", b->meter);
    snprintf(k->channel, sizeof k->channel, "%s", b->channel);
    k->unit = b->unit;
    k->start = b->start;
    k->interval = b->interval;
    k->count = b->count;
    mb_decimal_format(b->values[0], k->first, sizeof k->first);
    mb_decimal_format(b->values[b->count - 1], k->last, sizeof k->last);
    memcpy(k->q, b->quality, b->count * sizeof b->quality[0]);
    snprintf(k->text0, sizeof k->text0, "%s",
             b->reason_text && b->reason_text[0] ? b->reason_text[0] : "");
    k->version = b->version;
    return MB_OK;
}

static mb_status on_reg(void *ctx, const mb_register_read *r, mb_error *e)
{
    (void)e;
    got *g = ctx;
    char v[MB_DECIMAL_STRLEN];
    mb_decimal_format(r->value, v, sizeof v);
    out(g, "reg %s/%s serial=%s %s zone=%s at=%lld value=%s %c%u",
        r->meter, r->reg, r->serial, mb_unit_name(r->unit), r->zone,
        (long long)r->read_at, v, r->quality.flag, r->quality.method);
    if (r->quality.reason != MB_REASON_NONE)
        out(g, " reason=%u", r->quality.reason);
    if (r->reason_text)
        out(g, " text='%s'", r->reason_text);
    out(g, " version=%lld\n", (long long)r->version);
    if (g->nregs == 8)
        return MB_OK;
    reg *k = &g->regs[g->nregs++];
    snprintf(k->meter, sizeof k->meter, "%s", r->meter);
    snprintf(k->reg, sizeof k->reg, "%s", r->reg);
    snprintf(k->serial, sizeof k->serial, "%s", r->serial);
    snprintf(k->value, sizeof k->value, "%s", v);
    snprintf(k->text, sizeof k->text, "%s", r->reason_text ? r->reason_text : "");
    k->unit = r->unit;
    k->read_at = r->read_at;
    k->q = r->quality;
    k->version = r->version;
    return MB_OK;
}

static void on_warning(void *ctx, const mb_error *w)
{
    got *g = ctx;
    out(g, "warning %s\n", w->msg);
    if (g->nwarn < 4)
        snprintf(g->warn[g->nwarn], sizeof g->warn[0], "%s", w->msg);
    g->nwarn++;
}

typedef struct {
    got *g;
    bool lenient;
    mb_read_stats *stats;
} run_ctx;

static mb_status run_input(void *ctx, mb_input *in, mb_error *err)
{
    run_ctx *c = ctx;
    mb_reader_sink sink = {c->g, on_begin, on_block, on_reg, on_warning};
    mb_read_opts opts = {MB_FORMAT_AUTO, c->lenient};
    return mb_nem_read(in, &opts, &sink, c->stats, err);
}

static mb_status read_file(const char *path, bool lenient, got *g,
                           mb_read_stats *st, mb_error *err)
{
    memset(st, 0, sizeof *st);
    run_ctx c = {g, lenient, st};
    mb_error_clear(err);
    return mb_input_foreach(path, run_input, &c, err);
}

static mb_status read_text(const char *text, bool lenient, got *g,
                           mb_read_stats *st, mb_error *err)
{
    mb_input *in;
    memset(st, 0, sizeof *st);
    mb_error_clear(err);
    mb_status s = mb_input_open_mem("t.csv", text, strlen(text), &in, err);
    if (s)
        return s;
    run_ctx c = {g, lenient, st};
    s = run_input(&c, in, err);
    mb_input_close(in);
    return s;
}

static got *fresh(void)
{
    got *g = calloc(1, sizeof *g);
    if (!g)
        abort();
    return g;
}

static int has(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

/* ---- AEMO example files -------------------------------------------------- */

static void test_shared_valid_all(void)
{
    static const char *files[] = {
        "Example_NEM12_actual_interval.csv",
        "Example_NEM12_different_interval_length.csv",
        "Example_NEM12_month_solar.csv",
        "Example_NEM12_multiple_meters.csv",
        "Example_NEM12_multiple_quality.csv",
        "Example_NEM12_no_scheduled_read.csv",
        "Example_NEM12_partialchannel.csv",
        "Example_NEM12_substituted_interval.csv",
        "Example_NEM12_upper_case_units.csv",
        "Example_NEM13_consumption_data.csv",
        "Example_NEM13_forward_estimate.csv",
        "Example_WesternPower.csv",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, SHARED "valid/%s", files[i]);
        got *g = fresh();
        mb_read_stats st;
        mb_error err;
        mb_status s = read_file(path, false, g, &st, &err);
        if (s)
            fprintf(stderr, "%s: %s\n", files[i], err.msg);
        MB_CHECK(s == MB_OK);
        MB_CHECK(st.skipped == 0);
        MB_CHECK(g->begins == 1);
        MB_CHECK(g->nblocks + g->nregs > 0);
        free(g);
    }
}

static void test_actual_interval(void)
{
    got *g = fresh();
    mb_read_stats st;
    mb_error err;
    MB_CHECK(read_file(SHARED "valid/Example_NEM12_actual_interval.csv", false,
                       g, &st, &err) == MB_OK);
    MB_CHECK(g->info.format == MB_FORMAT_NEM12);
    MB_CHECK(g->info.created == 1083375300LL * 1000000); /* 200405011135 */
    MB_CHECK_STR(g->from, "MDA1");
    MB_CHECK(g->nblocks == 2);
    block *b = &g->blocks[0];
    MB_CHECK_STR(b->meter, "VABD000163");
    MB_CHECK_STR(b->channel, "E1");
    MB_CHECK(b->unit == MB_UNIT_KWH);
    MB_CHECK(b->start == 1075557600);  /* 2004-02-01 00:00 +10:00 */
    MB_CHECK(b->interval == 1800);
    MB_CHECK(b->count == 48);
    MB_CHECK_STR(b->first, "1.111");
    MB_CHECK_STR(b->last, "1.111");
    MB_CHECK(b->q[0].flag == 'A' && b->q[0].method == 0 &&
             b->q[0].reason == MB_REASON_NONE);
    MB_CHECK(b->version == 1075687225LL * 1000000); /* 20040202120025 */
    MB_CHECK_STR(g->blocks[1].channel, "Q1");
    MB_CHECK(g->blocks[1].unit == MB_UNIT_KVARH);
    MB_CHECK_STR(g->blocks[1].first, "2.222");
    MB_CHECK(st.values == 96 && st.records == 6 && st.lines == 6);
    free(g);
}

static void test_multiple_meters_wh(void)
{
    got *g = fresh();
    mb_read_stats st;
    mb_error err;
    MB_CHECK(read_file(SHARED "valid/Example_NEM12_multiple_meters.csv", false,
                       g, &st, &err) == MB_OK);
    MB_CHECK(g->nblocks == 12);
    MB_CHECK(st.values == 12 * 96);
    block *b = &g->blocks[0];
    MB_CHECK_STR(b->meter, "NCDE001111");
    MB_CHECK(b->unit == MB_UNIT_KWH); /* Wh converted exactly */
    MB_CHECK_STR(b->first, "0.010");
    MB_CHECK(b->interval == 900 && b->count == 96);
    MB_CHECK(b->start == 1070460000); /* 20031204 */
    MB_CHECK(g->blocks[1].start == 1070460000 + 86400);
    MB_CHECK(b->version == 1070637092LL * 1000000);
    MB_CHECK_STR(g->blocks[4].channel, "Q1");
    MB_CHECK(g->blocks[4].unit == MB_UNIT_KVARH);
    MB_CHECK_STR(g->blocks[4].first, "0.050");
    MB_CHECK_STR(g->blocks[11].meter, "NDDD001888");
    MB_CHECK_STR(g->blocks[11].channel, "K2");
    free(g);
}

static void test_multiple_quality(void)
{
    got *g = fresh();
    mb_read_stats st;
    mb_error err;
    MB_CHECK(read_file(SHARED "valid/Example_NEM12_multiple_quality.csv",
                       false, g, &st, &err) == MB_OK);
    MB_CHECK(g->nblocks == 1);
    block *b = &g->blocks[0];
    MB_CHECK_STR(b->first, "18.023");
    MB_CHECK_STR(b->last, "14.733");
    MB_CHECK(b->q[0].flag == 'F' && b->q[0].method == 14 &&
             b->q[0].reason == 76);
    MB_CHECK(b->q[19].flag == 'F');
    MB_CHECK(b->q[20].flag == 'A' && b->q[20].reason == MB_REASON_NONE);
    MB_CHECK(b->q[23].flag == 'A');
    MB_CHECK(b->q[24].flag == 'S' && b->q[24].method == 14 &&
             b->q[24].reason == 1);
    MB_CHECK(b->q[47].flag == 'S');
    MB_CHECK(b->version == 1082284500LL * 1000000); /* 20040418203500 */
    MB_CHECK(st.records == 7);
    free(g);
}

static void test_substituted_and_solar(void)
{
    got *g = fresh();
    mb_read_stats st;
    mb_error err;
    MB_CHECK(read_file(SHARED "valid/Example_NEM12_substituted_interval.csv",
                       false, g, &st, &err) == MB_OK);
    MB_CHECK(g->nblocks == 2);
    MB_CHECK(g->blocks[0].q[0].flag == 'F' && g->blocks[0].q[0].method == 14 &&
             g->blocks[0].q[0].reason == 32);
    MB_CHECK_STR(g->blocks[1].first, "34.567");
    MB_CHECK_STR(g->blocks[1].last, "2311.765");
    MB_CHECK(g->blocks[0].version == 1059793045LL * 1000000);
    free(g);

    g = fresh();
    MB_CHECK(read_file(SHARED "valid/Example_NEM12_month_solar.csv", false, g,
                       &st, &err) == MB_OK);
    MB_CHECK(st.values == 62 * 288);
    MB_CHECK(g->nblocks == 62);
    MB_CHECK(g->blocks[0].interval == 300 && g->blocks[0].count == 288);
    MB_CHECK(g->blocks[0].start == 1677592800); /* 20230301 */
    MB_CHECK(g->blocks[0].version == 1677731538LL * 1000000);
    MB_CHECK_STR(g->blocks[61].channel, "E1");
    MB_CHECK_STR(g->blocks[61].last, "0.024");
    free(g);
}

static void test_quirky_valid(void)
{
    got *g = fresh();
    mb_read_stats st;
    mb_error err;
    /* 10-minute voltage stream without a UOM; empty UpdateDateTime. */
    MB_CHECK(read_file(SHARED "valid/Example_NEM12_different_interval_length"
                              ".csv", false, g, &st, &err) == MB_OK);
    MB_CHECK(g->nblocks == 3);
    block *v = &g->blocks[2];
    MB_CHECK_STR(v->channel, "V1");
    MB_CHECK(v->interval == 600 && v->count == 144);
    MB_CHECK(v->unit == MB_UNIT_UNKNOWN);
    MB_CHECK_STR(v->first, "239.13");
    MB_CHECK_STR(v->last, "230.01");
    MB_CHECK(v->version == 1662616680LL * 1000000); /* the 100 DateTime */
    MB_CHECK(g->nwarn == 1 && has(g->warn[0], "field UOM"));
    MB_CHECK(st.skipped == 0);
    free(g);

    /* 200 without NextScheduledReadDate; 6-character NMI. */
    g = fresh();
    MB_CHECK(read_file(SHARED "valid/Example_NEM12_no_scheduled_read.csv",
                       false, g, &st, &err) == MB_OK);
    MB_CHECK(g->nblocks == 1);
    MB_CHECK_STR(g->blocks[0].meter, "NMI111");
    MB_CHECK_STR(g->blocks[0].first, "3.76");
    MB_CHECK(g->blocks[0].count == 96);
    MB_CHECK(g->blocks[0].version == 1567619818LL * 1000000);
    free(g);

    /* Spreadsheet padding; 12-digit UpdateDateTime; no MSATSLoadDateTime. */
    g = fresh();
    MB_CHECK(read_file(SHARED "valid/Example_WesternPower.csv", false, g, &st,
                       &err) == MB_OK);
    MB_CHECK(g->nblocks == 4);
    MB_CHECK_STR(g->blocks[3].channel, "K1");
    MB_CHECK(g->blocks[3].unit == MB_UNIT_KVARH);
    MB_CHECK(g->blocks[0].start == 1679061600);
    MB_CHECK(g->blocks[0].version == 1701342840LL * 1000000);
    free(g);
}

static void test_nem13_shared(void)
{
    got *g = fresh();
    mb_read_stats st;
    mb_error err;
    MB_CHECK(read_file(SHARED "valid/Example_NEM13_consumption_data.csv", false,
                       g, &st, &err) == MB_OK);
    MB_CHECK(g->info.format == MB_FORMAT_NEM13);
    MB_CHECK(g->nregs == 2 && st.registers == 2);
    reg *a = &g->regs[0], *b = &g->regs[1];
    MB_CHECK_STR(a->meter, "VABC005890");
    MB_CHECK_STR(a->reg, "11");
    MB_CHECK_STR(a->serial, "METSER123");
    MB_CHECK_STR(a->value, "6342.8");
    MB_CHECK(a->read_at == 1065310255); /* 20031005093055 */
    MB_CHECK_STR(b->value, "7654.9");
    MB_CHECK(b->read_at == 1073433813);
    MB_CHECK(a->unit == MB_UNIT_KWH && a->q.flag == 'A');
    /* " 20040108100333": the leading space AEMO's example carries. */
    MB_CHECK(a->version == 1073520213LL * 1000000);
    free(g);

    g = fresh();
    MB_CHECK(read_file(SHARED "valid/Example_NEM13_forward_estimate.csv", false,
                       g, &st, &err) == MB_OK);
    MB_CHECK(g->nregs == 4);
    MB_CHECK(g->regs[1].q.flag == 'E' && g->regs[1].q.method == 64);
    MB_CHECK_STR(g->regs[3].value, "10015");
    MB_CHECK_STR(g->regs[3].serial, "MET5678");
    MB_CHECK(st.records == 6);
    free(g);
}

static void expect_reject(const char *file, const char *want)
{
    char path[512];
    snprintf(path, sizeof path, SHARED "invalid/%s", file);
    got *g = fresh();
    mb_read_stats st;
    mb_error err;
    MB_CHECK(read_file(path, false, g, &st, &err) == MB_EFORMAT);
    if (!has(err.msg, want))
        fprintf(stderr, "%s: message '%s' lacks '%s'\n", file, err.msg, want);
    MB_CHECK(has(err.msg, want));
    free(g);
}

static void test_shared_invalid_strict(void)
{
    expect_reject("Example_NEM12_15min_200_30min_300.csv",
                  ":3: field IntervalValue49: expected 96 interval values for "
                  "IntervalLength 15, got 48");
    expect_reject("Example_NEM12_15min_200_30min_400.csv",
                  ":3: field QualityMethod: expected 400 records covering "
                  "intervals 1..96");
    expect_reject("Example_NEM12_30min_200_15min_300.csv",
                  "expected 48 interval values for IntervalLength 30, got 96");
    expect_reject("Example_NEM12_30min_200_15min_400.csv",
                  "expected 48 interval values for IntervalLength 30, got 96");
    expect_reject("Example_NEM12_incomplete_interval.csv",
                  ":3: field IntervalValue1: expected 48 interval values for "
                  "IntervalLength 30, got 0");
    expect_reject("Example_NEM12_missing_header.csv",
                  ":1: expected a record, got a blank line");
    expect_reject("Example_NEM12_powercor.csv", "blank line");
    expect_reject("Example_NEM12_powercor_missing_fields.csv", "blank line");
    expect_reject("Example_empty_file.csv", "empty file");

    got *g = fresh();
    mb_read_stats st;
    mb_error err;
    MB_CHECK(read_file(SHARED "invalid/Example_NEM12_empty.csv", false, g, &st,
                       &err) == MB_OK);
    MB_CHECK(g->nblocks == 0 && g->nwarn == 1);
    MB_CHECK(has(g->warn[0], "no data"));
    free(g);
}

static void test_shared_invalid_lenient(void)
{
    got *g = fresh();
    mb_read_stats st;
    mb_error err;
    MB_CHECK(read_file(SHARED "invalid/Example_NEM12_missing_header.csv", true,
                       g, &st, &err) == MB_OK);
    MB_CHECK(g->nblocks == 2 && st.skipped == 0);
    MB_CHECK(g->blocks[0].version == 1075687225LL * 1000000);
    MB_CHECK(g->info.created == 0);
    free(g);

    g = fresh(); /* blank lines, no headers, two blocks */
    MB_CHECK(read_file(SHARED "invalid/Example_NEM12_powercor.csv", true, g,
                       &st, &err) == MB_OK);
    MB_CHECK(g->nblocks == 4 && st.skipped == 0);
    MB_CHECK_STR(g->blocks[2].first, "3.333");
    MB_CHECK_STR(g->blocks[3].first, "4.444");
    free(g);

    static const char *rejected[] = {
        "Example_NEM12_15min_200_30min_300.csv",
        "Example_NEM12_15min_200_30min_400.csv",
        "Example_NEM12_30min_200_15min_300.csv",
        "Example_NEM12_30min_200_15min_400.csv",
        "Example_NEM12_powercor_missing_fields.csv",
    };
    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, SHARED "invalid/%s", rejected[i]);
        g = fresh();
        MB_CHECK(read_file(path, true, g, &st, &err) == MB_OK);
        MB_CHECK(g->nblocks == 0);
        MB_CHECK(st.skipped > 0);
        free(g);
    }

    g = fresh(); /* the bad day is skipped, the three good ones read */
    MB_CHECK(read_file(SHARED "invalid/Example_NEM12_incomplete_interval.csv",
                       true, g, &st, &err) == MB_OK);
    MB_CHECK(g->nblocks == 3 && st.skipped == 1);
    MB_CHECK(has(g->warn[0], "IntervalValue1"));
    free(g);

    g = fresh(); /* versions cannot be had: every 300 is skipped */
    MB_CHECK(read_file(SHARED "invalid/Example_NEM12_powercor_missing_fields"
                              ".csv", true, g, &st, &err) == MB_OK);
    MB_CHECK(st.skipped == 4);
    free(g);
}

/* ---- golden outputs of our fixtures ------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 65536);
    size_t n = buf ? fread(buf, 1, 65535, f) : 0;
    (void)n;
    fclose(f);
    return buf;
}

static void golden(const char *name)
{
    char in[512], exp[512];
    snprintf(in, sizeof in, MB_TEST_SRCDIR "/data/nem/%s.csv", name);
    snprintf(exp, sizeof exp, MB_TEST_SRCDIR "/data/nem/%s.expected", name);
    got *g = fresh();
    g->dump = calloc(1, 65536);
    mb_read_stats st;
    mb_error err;
    mb_status s = read_file(in, false, g, &st, &err);
    if (s)
        fprintf(stderr, "%s\n", err.msg);
    MB_CHECK(s == MB_OK);
    if (getenv("MB_UPDATE_GOLDEN")) { /* regenerate, then review the diff */
        FILE *f = fopen(exp, "wb");
        MB_CHECK(f && fputs(g->dump, f) >= 0);
        if (f)
            fclose(f);
    }
    char *want = slurp(exp);
    MB_CHECK(want != NULL);
    if (want && strcmp(want, g->dump)) {
        fprintf(stderr, "%s: output differs from %s; got:\n%s", name, exp,
                g->dump);
        MB_CHECK(!"golden output");
    }
    free(want);
    free(g->dump);
    free(g);
}

static void test_golden(void)
{
    golden("nem12_quality");
    golden("nem13_reads");
}

/* ---- rejection rules, one record at a time ------------------------------ */

static char *values(int n, const char *v)
{
    static char buf[8192];
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        strcat(buf, i ? "," : "");
        strcat(buf, v);
    }
    return buf;
}

/* A NEM12 file: header, a 30-minute kWh 200, then `body` and a 900. */
static char *file(const char *body)
{
    static char buf[16384];
    snprintf(buf, sizeof buf,
             "100,NEM12,202601011030,MDP1,RET1\n"
             "200,NMI0000001,E1,1,E1,N1,SER1,kWh,30,\n%s900\n",
             body);
    return buf;
}

static char *day(const char *date, const char *vals, const char *tail)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "300,%s,%s,%s\n", date, vals, tail);
    return buf;
}

static void reject(const char *text, const char *want)
{
    got *g = fresh();
    mb_read_stats st;
    mb_error err;
    mb_status s = read_text(text, false, g, &st, &err);
    MB_CHECK(s == MB_EFORMAT);
    if (getenv("NEM_DEBUG"))
        fprintf(stderr, "reject: %s\n", err.msg);
    if (!has(err.msg, want))
        fprintf(stderr, "message '%s' lacks '%s'\n", err.msg, want);
    MB_CHECK(has(err.msg, want));
    /* Lenient: the same message as a warning, and a skip. */
    free(g);
    g = fresh();
    s = read_text(text, true, g, &st, &err);
    if (s == MB_OK) {
        if (getenv("NEM_DEBUG"))
            fprintf(stderr, "  lenient: skipped %llu, %d warnings: %s\n",
                    (unsigned long long)st.skipped, g->nwarn, g->warn[0]);
        MB_CHECK(st.skipped > 0);
        MB_CHECK(g->nwarn > 0);
    }
    free(g);
}

/* Rejected when strict; lenient mode reads it with a warning, no skip. */
static void quirk(const char *text, const char *want)
{
    got *g = fresh();
    mb_read_stats st;
    mb_error err;
    MB_CHECK(read_text(text, false, g, &st, &err) == MB_EFORMAT);
    MB_CHECK(has(err.msg, want));
    free(g);
    g = fresh();
    MB_CHECK(read_text(text, true, g, &st, &err) == MB_OK);
    MB_CHECK(st.skipped == 0 && g->nwarn == 1 && g->nblocks == 1);
    free(g);
}

static void accept(const char *text, got *g, mb_read_stats *st)
{
    mb_error err;
    mb_status s = read_text(text, false, g, st, &err);
    if (s)
        fprintf(stderr, "unexpected: %s\n", err.msg);
    MB_CHECK(s == MB_OK);
}

static void test_structure_errors(void)
{
    char v48[4096];
    snprintf(v48, sizeof v48, "%s", values(48, "1.5"));
    reject("", "t.csv:1: expected a 100 header record, got an empty file");
    reject("100,NEM12,202601011030,MDP1,RET1\n",
           "t.csv:1: file ends without a 900 end-of-data record");
    reject("\x7f" "ELF\x02\x01\x01\x00\x00\x00", "binary data");
    reject("PK\x03\x04\x14\x00", "binary data");
    reject(file("700,1,2\n"), "t.csv:3: field RecordIndicator: expected a "
                              "record type");
    reject("100,NEM12,202601011030,A,B\n300,20260101,1\n900\n",
           "t.csv:2: expected a 200 record before this 300 record");
    reject(file("400,1,48,A,,\n"), "t.csv:3: expected a 400 record only after "
                                   "a 300 record with QualityMethod V");
    reject(file("250,NMI1,11,1,11,11,S,E,1,20260101000000,A,,,2,"
                "20260102000000,A,,,1,kWh,,20260102000000,\n"),
           "expected a NEM12 200, 300, 400 or 500 record, got a 250 record");
    {
        char t[8192];
        snprintf(t, sizeof t, "%s%s", file(day("20260101", v48, "A,,,,")),
                 "200,NMI0000001,E1,1,E1,N1,SER1,kWh,30,\n");
        reject(t, "t.csv:5: expected nothing after the 900 end record");
    }
    {
        char t[8192];
        snprintf(t, sizeof t, "200,NMI0000001,E1,1,E1,N1,SER1,kWh,30,\n%s900\n",
                 day("20260101", v48, "A,,,20260102000000,"));
        quirk(t, "t.csv:1: expected a 100 header record first, got a 200 "
                 "record");
        snprintf(t, sizeof t, "%s", file(day("20260101", v48, "A,,,,")));
        memmove(t + 1, t, strlen(t) + 1);
        t[0] = '\n';
        quirk(t, "t.csv:1: expected a record, got a blank line");
    }
    reject("100,NEM14,202601011030,A,B\n900\n",
           "field VersionHeader: expected NEM12 or NEM13, got 'NEM14'");
    reject("100,NEM12,2.01108E+11,A,B\n900\n",
           "field DateTime: expected a date-time YYYYMMDDhhmmss, got "
           "'2.01108E+11' (a spreadsheet seems to have reformatted it)");
    reject("100,NEM12,202601011030,A,B,extra\n900\n",
           "expected at most 5 fields");
    reject(file("900,x\n"), "expected at most 1 fields");
}

static void test_200_errors(void)
{
    reject("100,NEM12,202601011030,A,B\n200,NMI00000001,E1,1,E1,N1,S,kWh,30,"
           "\n900\n",
           "t.csv:2: field NMI: expected 1 to 10 letters or digits, got "
           "'NMI00000001'");
    reject("100,NEM12,202601011030,A,B\n200,NMI0000001,E1,1,E1,N1,S,XYZ,30,"
           "\n900\n",
           "field UOM: expected a unit of measure");
    reject("100,NEM12,202601011030,A,B\n200,NMI0000001,E1,1,E1,N1,S,kWh,20,"
           "\n900\n",
           "field IntervalLength: expected 5, 10, 15 or 30 minutes, got '20'");
    reject("100,NEM12,202601011030,A,B\n200,NMI0000001,E1,1,E1,N1,S,kWh\n"
           "900\n",
           "field IntervalLength: expected a field, got end of record");
    reject("100,NEM12,202601011030,A,B\n200,NMI0000001,E1,1,E1X,N1,S,kWh,30,"
           "\n900\n",
           "field NMISuffix: expected 2 letters or digits, got 'E1X'");
    reject("100,NEM12,202601011030,A,B\n200,NMI0000001,E1,1,E1,N1,S,kWh,30,"
           "20260230\n900\n",
           "field NextScheduledReadDate: expected a date YYYYMMDD, got "
           "'20260230'");
}

static void test_300_errors(void)
{
    char v48[4096], v47[4096], t[8192];
    snprintf(v48, sizeof v48, "%s", values(48, "1.5"));
    snprintf(v47, sizeof v47, "%s", values(47, "1.5"));
    reject(file(day("20260230", v48, "A,,,,")),
           "t.csv:3: field IntervalDate: expected a date YYYYMMDD, got "
           "'20260230'");
    reject(file(day("2.02601E+7", v48, "A,,,,")),
           "field IntervalDate: expected a date YYYYMMDD, got '2.02601E+7' "
           "(a spreadsheet");
    reject(file(day("20260101", v47, "A,,,,")),
           "field IntervalValue48: expected 48 interval values for "
           "IntervalLength 30, got 47");
    snprintf(t, sizeof t, "%s,1", v48);
    reject(file(day("20260101", t, "A,,,,")),
           "field IntervalValue49: expected 48 interval values for "
           "IntervalLength 30, got 49");
    reject(file(day("20260101", v48, "")),
           "field QualityMethod: expected a quality");
    reject(file("300,20260101,1.5,1.5\n"), "got 2");
    reject(file("300\n"), "field IntervalDate: expected a date YYYYMMDD, "
                          "got nothing"); /* found by the fuzzer */
    reject(file("300,\n"), "field IntervalDate");
    reject(file("300,20260101\n"), "field IntervalValue1: expected 48");
    /* Bad values at position 17. */
    static const char *bad[] = {"1.2.3", "abc", "-1", "+1", "1e3", "0.1234567",
                                "1234567890", "", " 1", "1x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char head[256]; /* values() reuses one buffer: one call at a time */
        snprintf(head, sizeof head, "%s", values(16, "1"));
        snprintf(t, sizeof t, "%s,%s,%s", head, bad[i], values(31, "2"));
        char want[128];
        snprintf(want, sizeof want, "field IntervalValue17: expected a "
                                    "decimal number >= 0");
        reject(file(day("20260101", t, "A,,,,")), want);
    }
    reject(file(day("20260101", v48, "X,,,,")),
           "field QualityMethod: expected a quality A, N, V or S/F/E");
    reject(file(day("20260101", v48, "S5,,,,")), "field QualityMethod");
    reject(file(day("20260101", v48, "A14,,,,")), "field QualityMethod");
    reject(file(day("20260101", v48, "E99,,,,")), "field QualityMethod");
    reject(file(day("20260101", v48, "A,1000,,,")),
           "field ReasonCode: expected a reason code 0..999, got '1000'");
    reject(file(day("20260101", v48, "A,,,20260101250000,")),
           "field UpdateDateTime: expected a date-time YYYYMMDDhhmmss, got "
           "'20260101250000'");
    reject(file(day("20260101", v48, "A,,,2.02601E+13,")),
           "field UpdateDateTime: expected a date-time YYYYMMDDhhmmss, got "
           "'2.02601E+13' (a spreadsheet");
    reject(file(day("20260101", v48, "A,,,20260102000000,x")),
           "field MSATSLoadDateTime");
    reject(file(day("20260101", v48, "A,,,20260102000000,,x")),
           "expected at most 5 fields");
    reject(file(day("20260101", v48, "A,")),
           "field ReasonDescription: expected a field, got end of record");
    /* No header and no UpdateDateTime: no version to give (lenient). */
    got *g = fresh();
    mb_read_stats st;
    mb_error err;
    snprintf(t, sizeof t, "200,NMI0000001,E1,1,E1,N1,S,kWh,30,\n%s900\n",
             day("20260101", v48, "A,,,,"));
    MB_CHECK(read_text(t, true, g, &st, &err) == MB_OK);
    MB_CHECK(st.skipped == 1 && g->nblocks == 0);
    MB_CHECK(g->nwarn == 2 && has(g->warn[1], "field UpdateDateTime"));
    free(g);
}

static void test_400_errors(void)
{
    char v48[4096], t[8192];
    snprintf(v48, sizeof v48, "%s", values(48, "1.5"));
    const char *v = day("20260101", v48, "V,,,20260102000000,");
    static const struct {
        const char *r400, *want;
    } cases[] = {
        {"400,0,48,A,,\n", "field StartInterval: expected an interval number "
                           "1..48, got '0'"},
        {"400,1,49,A,,\n", "field EndInterval: expected an interval number "
                           "1..48, got '49'"},
        {"400,10,5,A,,\n", "field EndInterval: expected an interval number >= "
                           "StartInterval 10, got 5"},
        {"400,1,30,A,,\n400,20,48,A,,\n", "t.csv:5: field StartInterval: "
                                          "expected intervals not yet covered"},
        {"400,1,30,A,,\n400,32,48,A,,\n", "t.csv:3: field QualityMethod: "
                                          "expected 400 records covering "
                                          "intervals 1..48 of this V record, "
                                          "got none for intervals 31..31"},
        {"", "got none for intervals 1..48"},
        {"400,1,48,V,,\n", "field QualityMethod: expected a quality A, N or "
                           "S/F/E"},
        {"400,1,48,A,,,x\n", "expected at most 6 fields"},
        {"400,1,x,A,,\n", "field EndInterval"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(t, sizeof t, "%s%s", v, cases[i].r400);
        reject(file(t), cases[i].want);
    }
    /* Out-of-order 400s that cover every interval once are fine. */
    got *g = fresh();
    mb_read_stats st;
    snprintf(t, sizeof t, "%s400,25,48,E52,,\n400,1,24,A,,\n", v);
    accept(file(t), g, &st);
    MB_CHECK(g->nblocks == 1 && g->blocks[0].q[0].flag == 'A' &&
             g->blocks[0].q[47].flag == 'E' && g->blocks[0].q[47].method == 52);
    free(g);
}

static void test_other_records(void)
{
    char v48[4096], t[8192];
    snprintf(v48, sizeof v48, "%s", values(48, "1.5"));
    const char *d = day("20260101", v48, "A,,,20260102000000,");
    snprintf(t, sizeof t, "%s500,X,,,\n", d);
    reject(file(t), "field TransCode: expected a transaction code");
    snprintf(t, sizeof t, "%s500,N,SO1,2026010112,\n", d);
    reject(file(t), "field ReadDateTime");
    snprintf(t, sizeof t, "%s500,N,SO1,20260101120000,-5\n", d);
    reject(file(t), "field IndexRead");
    got *g = fresh();
    mb_read_stats st;
    snprintf(t, sizeof t, "%s500,N,SO1,20260101120000,1234.5\n", d);
    accept(file(t), g, &st);
    MB_CHECK(g->nblocks == 1 && st.records == 5);
    free(g);

    const char *h13 = "100,NEM13,202601011030,A,B\n";
    const char *r250 = "250,NMI2,11,1,11,11,S,E,5,20260101000000,A,,,6,"
                       "20260102000000,A,,,1,kWh,,20260102000000,\n";
    snprintf(t, sizeof t, "%s550,N,,E,\n900\n", h13);
    reject(t, "expected a 250 record before this 550 record");
    snprintf(t, sizeof t, "%s%s550,Q,,E,\n900\n", h13, r250);
    reject(t, "field PreviousTransCode");
    snprintf(t, sizeof t, "%s%s300,20260101,1\n900\n", h13, r250);
    reject(t, "expected a NEM13 250 or 550 record, got a 300 record");
    snprintf(t, sizeof t, "%s250,NMI2,11,1,11,11,S,X,5,20260101000000,A,,,6,"
                          "20260102000000,A,,,1,kWh,,20260102000000,\n900\n",
             h13);
    reject(t, "field DirectionIndicator: expected E or I, got 'X'");
    snprintf(t, sizeof t, "%s250,NMI2,11,1,11,11,S,E,-5,20260101000000,A,,,6,"
                          "20260102000000,A,,,1,kWh,,20260102000000,\n900\n",
             h13);
    reject(t, "field PreviousRegisterRead");
    snprintf(t, sizeof t, "%s250,NMI2,11,1,11,11,S,E,5,20260101000000,A,,,6,"
                          "20260102000000,A,,,1,kWh,\n900\n",
             h13);
    reject(t, "field UpdateDateTime: expected a field, got end of record");
}

static void test_negative_and_units(void)
{
    char t[8192];
    /* Power factor may be negative (leading); energy may not. */
    snprintf(t, sizeof t,
             "100,NEM12,202601011030,A,B\n"
             "200,NMI0000001,E1,1,E1,N1,S,pf,30,\n%s900\n",
             day("20260101", values(48, "-0.95"), "A,,,,"));
    got *g = fresh();
    mb_read_stats st;
    accept(t, g, &st);
    MB_CHECK(g->nblocks == 1 && g->blocks[0].unit == MB_UNIT_PF);
    MB_CHECK_STR(g->blocks[0].first, "-0.95");
    free(g);
    reject(file(day("20260101", values(48, "-0.95"), "A,,,,")),
           "field IntervalValue1: expected a decimal number >= 0");

    /* MWh is multiplied exactly; long values take the careful path. */
    snprintf(t, sizeof t,
             "100,NEM12,202601011030,A,B\n"
             "200,NMI0000001,E1,1,E1,N1,S,MWh,30,\n%s900\n",
             day("20260101", values(48, "000000012.500000"), "A,,,,"));
    g = fresh();
    accept(t, g, &st);
    MB_CHECK_STR(g->blocks[0].first, "12500.000");
    free(g);

    /* The byte loop near the end of the line and the 8-byte path agree. */
    snprintf(t, sizeof t, "%s,0.5,12345678,.000001,999999999.999999",
             values(44, "7.25"));
    reject(file(day("20260101", t, "A")),
           "field ReasonCode: expected a field, got end of record");
    g = fresh();
    accept(file(day("20260101", t, "A,,,20260102000000")), g, &st);
    MB_CHECK(g->nblocks == 1);
    MB_CHECK_STR(g->blocks[0].first, "7.25");
    MB_CHECK_STR(g->blocks[0].last, "999999999.999999");
    free(g);
}

/* Values of every shape go through the 8-byte path, the byte loop or the
 * careful path; all must agree with mb_decimal_parse. */
static char vtext[48][24];

static mb_status check_values(void *ctx, const mb_interval_block *b,
                              mb_error *e)
{
    (void)e;
    int *bad = ctx;
    for (uint32_t i = 0; i < b->count; i++) {
        mb_decimal d;
        if (mb_decimal_parse(vtext[i], strlen(vtext[i]), &d) ||
            d.units != b->values[i].units || d.scale != b->values[i].scale) {
            fprintf(stderr, "value %u '%s' read as %lld scale %d\n", i + 1,
                    vtext[i], (long long)b->values[i].units,
                    b->values[i].scale);
            (*bad)++;
        }
    }
    return MB_OK;
}

static void test_value_paths(void)
{
    unsigned seed = 12345;
    int bad = 0;
    for (int round = 0; round < 300; round++) {
        char t[8192] = "";
        for (int i = 0; i < 48; i++) {
            seed = seed * 1103515245u + 12345u;
            int ni = (int)(seed >> 8) % 10, nf = (int)(seed >> 16) % 7;
            if (!ni && !nf)
                ni = 1;
            char *o = vtext[i];
            for (int k = 0; k < ni; k++) {
                seed = seed * 1103515245u + 12345u;
                *o++ = (char)('0' + (seed >> 16) % 10);
            }
            if (nf || (seed >> 24) % 2) {
                *o++ = '.';
                for (int k = 0; k < nf; k++) {
                    seed = seed * 1103515245u + 12345u;
                    *o++ = (char)('0' + (seed >> 16) % 10);
                }
            }
            *o = '\0';
            strcat(t, i ? "," : "");
            strcat(t, vtext[i]);
        }
        char text[16384];
        snprintf(text, sizeof text, "%s", file(day("20260101", t, "A,,,,")));
        mb_input *in;
        mb_error err;
        MB_CHECK(mb_input_open_mem("v.csv", text, strlen(text), &in, &err) ==
                 MB_OK);
        mb_reader_sink sink = {&bad, NULL, check_values, NULL, NULL};
        mb_read_opts opts = {MB_FORMAT_NEM12, false};
        mb_read_stats st = {0};
        mb_status s = mb_nem_read(in, &opts, &sink, &st, &err);
        if (s)
            fprintf(stderr, "%s\n", err.msg);
        MB_CHECK(s == MB_OK && st.values == 48);
        mb_input_close(in);
    }
    MB_CHECK(bad == 0);
}

static void test_lenient_skips(void)
{
    char v48[4096], t[16384];
    snprintf(v48, sizeof v48, "%s", values(48, "1"));
    char good1[4096], bad[4096], good2[4096];
    snprintf(good1, sizeof good1, "%s",
             day("20260101", v48, "A,,,20260102000000,"));
    snprintf(bad, sizeof bad, "%s", day("20260102", v48,
                                        "V,,,20260103000000,"));
    snprintf(good2, sizeof good2, "%s",
             day("20260103", v48, "A,,,20260104000000,"));
    /* The V day's 400s overlap: the day and its 400s are dropped. */
    snprintf(t, sizeof t, "%s%s400,1,30,A,,\n400,20,48,A,,\n400,1,1,A,,\n%s",
             good1, bad, good2);
    got *g = fresh();
    mb_read_stats st;
    mb_error err;
    MB_CHECK(read_text(file(t), true, g, &st, &err) == MB_OK);
    MB_CHECK(g->nblocks == 2);
    MB_CHECK(st.skipped == 4);
    MB_CHECK(g->nwarn == 1 && has(g->warn[0], "t.csv:6: field StartInterval"));
    MB_CHECK(g->blocks[1].start == 1767189600 + 2 * 86400);
    free(g);

    /* A bad 200 takes its 300s with it; the next 200 reads. */
    snprintf(t, sizeof t,
             "100,NEM12,202601011030,A,B\n"
             "200,NMI0000001,E1,1,E1,N1,S,XWh,30,\n%s%s"
             "200,NMI0000002,E1,1,E1,N1,S,kWh,30,\n%s900\n",
             good1, good2, good1);
    g = fresh();
    MB_CHECK(read_text(t, true, g, &st, &err) == MB_OK);
    MB_CHECK(g->nblocks == 1 && st.skipped == 3);
    MB_CHECK_STR(g->blocks[0].meter, "NMI0000002");
    free(g);

    /* Several blocks, one without a header; a missing 900 is a skip. */
    snprintf(t, sizeof t, "%s100,NEM12,202601021030,A,B\n"
                          "200,NMI0000003,E1,1,E1,N1,S,kWh,30,\n%s",
             file(good1), good2);
    g = fresh();
    MB_CHECK(read_text(t, true, g, &st, &err) == MB_OK);
    MB_CHECK(g->nblocks == 2 && st.skipped == 1);
    MB_CHECK(has(g->warn[1], "900 end-of-data"));
    free(g);
}

static void test_text_and_quirks(void)
{
    /* CRLF line ends, a byte order mark and spaces around date fields. */
    char t[16384];
    snprintf(t, sizeof t,
             "\xEF\xBB\xBF" "100,NEM12, 202601011030 ,MDP1,RET1\r\n"
             "200,NMI0000001,E1,1,E1,N1,SER1,kWh,30,\r\n"
             "300,20260101,%s,A,,, 20260102000000,\r\n900\r\n",
             values(48, "0.5"));
    got *g = fresh();
    mb_read_stats st;
    accept(t, g, &st);
    MB_CHECK(g->nblocks == 1);
    MB_CHECK(g->blocks[0].version == 1767189600LL * 1000000 + 86400000000LL);
    free(g);

    /* A sink that refuses stops the reader with its own status. */
    g = fresh();
    g->fail_with = MB_EIO;
    mb_error err;
    snprintf(t, sizeof t, "%s", file(day("20260101", values(48, "1"),
                                         "A,,,,")));
    MB_CHECK(read_text(t, true, g, &st, &err) == MB_EIO);
    MB_CHECK_STR(err.msg, "sink refused");
    free(g);
}

int main(void)
{
    MB_RUN(test_golden);
    MB_RUN(test_structure_errors);
    MB_RUN(test_200_errors);
    MB_RUN(test_300_errors);
    MB_RUN(test_400_errors);
    MB_RUN(test_other_records);
    MB_RUN(test_negative_and_units);
    MB_RUN(test_value_paths);
    MB_RUN(test_lenient_skips);
    MB_RUN(test_text_and_quirks);
    if (access(SHARED "valid", R_OK) != 0) {
        printf("skipping the AEMO examples: %s not found\n", SHARED);
        int rc = MB_DONE();
        return rc ? rc : MB_SKIP;
    }
    MB_RUN(test_shared_valid_all);
    MB_RUN(test_actual_interval);
    MB_RUN(test_multiple_meters_wh);
    MB_RUN(test_multiple_quality);
    MB_RUN(test_substituted_and_solar);
    MB_RUN(test_quirky_valid);
    MB_RUN(test_nem13_shared);
    MB_RUN(test_shared_invalid_strict);
    MB_RUN(test_shared_invalid_lenient);
    return MB_DONE();
}
