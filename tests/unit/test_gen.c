/*
 * test_gen.c - the synthetic portfolio generator: same arguments give the
 * same bytes, values are sane, clock-change days have 46/50 half-hours,
 * and every format round-trips: the generated files, read back by
 * mb_read_path, give exactly the values, qualities and versions the model
 * meant.
 */
#include "mbtest.h"

#include "core/digest.h"
#include "gen/emit.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmproot[] = "/tmp/mb_test_gen_XXXXXX";

static mb_gen_config config(mb_gen_ids ids, const char *zone)
{
    mb_gen_config c = {
        .seed = 42,
        .meters = 40,
        .days = 3,
        .first_day = mb_days_from_civil(2024, 3, 30),
        .interval = 1800,
        .zone = zone,
        .southern = ids == MB_GEN_IDS_NMI,
        .ids = ids,
        .fault_ppm = 100000,
    };
    return c;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted file names of dir; *n gets their count. Free with free_names. */
static char **list_dir(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    *n = 0;
    if (!d)
        return NULL;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') {
            names = realloc(names, (*n + 1) * sizeof *names);
            names[(*n)++] = strdup(de->d_name);
        }
    closedir(d);
    qsort(names, *n, sizeof *names, cmp_str);
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void rm_dir(const char *dir)
{
    size_t n;
    char **names = list_dir(dir, &n), path[512];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    free_names(names, n);
    rmdir(dir);
}

/* Generate into tmproot/name; returns the directory path (static). */
static const char *generate(const char *name, const mb_gen_config *cfg,
                            mb_format fmt, uint32_t per_file,
                            mb_gen_model *m, mb_gen_summary *sum)
{
    static char dir[256];
    snprintf(dir, sizeof dir, "%s/%s", tmproot, name);
    rm_dir(dir);
    mkdir(dir, 0777);
    mb_error err;
    mb_error_clear(&err);
    mb_gen_output o = {fmt, per_file, dir};
    if (mb_gen_model_init(m, cfg, &err) || mb_gen_emit(m, &o, sum, &err)) {
        fprintf(stderr, "generate %s: %s\n", name, err.msg);
        return NULL;
    }
    return dir;
}

/* One digest over the names and contents of every file of dir. */
static void digest_dir(const char *dir, char hex[MB_DIGEST_HEX])
{
    size_t n;
    char **names = list_dir(dir, &n), path[512], fhex[MB_DIGEST_HEX];
    mb_digest *d;
    mb_error err;
    if (mb_digest_new(&d, &err)) {
        hex[0] = '\0';
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t size;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        MB_CHECK(mb_digest_file(path, fhex, &size, &err) == MB_OK);
        mb_digest_update(d, names[i], strlen(names[i]) + 1);
        mb_digest_update(d, fhex, strlen(fhex));
    }
    mb_digest_final(d, hex);
    free_names(names, n);
}

static void test_same_seed_same_bytes(void)
{
    static const mb_format fmts[] = {MB_FORMAT_NEM12, MB_FORMAT_NEM13,
                                     MB_FORMAT_D0010, MB_FORMAT_CSV};
    static mb_gen_model m;
    mb_gen_summary sum;
    for (size_t f = 0; f < 4; f++) {
        bool uk = fmts[f] == MB_FORMAT_D0010 || fmts[f] == MB_FORMAT_CSV;
        mb_gen_config c = config(uk ? MB_GEN_IDS_MPAN : MB_GEN_IDS_NMI,
                                 uk ? "Europe/London" : "+10:00");
        c.days = 40;
        char a[MB_DIGEST_HEX], b[MB_DIGEST_HEX], x[MB_DIGEST_HEX];
        const char *dir = generate("a", &c, fmts[f], 15, &m, &sum);
        MB_CHECK(dir && sum.files > 1);
        if (!dir)
            continue;
        digest_dir(dir, a);
        dir = generate("b", &c, fmts[f], 15, &m, &sum);
        MB_CHECK(dir != NULL);
        if (!dir)
            continue;
        digest_dir(dir, b);
        MB_CHECK_STR(a, b);
        c.seed++;
        dir = generate("b", &c, fmts[f], 15, &m, &sum);
        MB_CHECK(dir != NULL);
        if (dir)
            digest_dir(dir, x);
        MB_CHECK(strcmp(a, x) != 0);
    }
}

/* ---- value sanity and clock changes --------------------------------- */

static void test_values_sane(void)
{
    static mb_gen_model m;
    mb_error err;
    mb_gen_config c = config(MB_GEN_IDS_NMI, "+10:00");
    c.days = 365;
    c.first_day = mb_days_from_civil(2024, 1, 1);
    MB_CHECK(mb_gen_model_init(&m, &c, &err) == MB_OK);
    static mb_gen_series s;
    mb_gen_day d;
    mb_gen_meter mt;
    int solar = 0, cl = 0, business = 0;
    int64_t january = 0, july = 0;
    for (uint32_t i = 0; i < 200; i++) {
        mb_gen_meter_init(&m, i, &mt);
        solar += mt.has[MB_GEN_B1];
        cl += mt.has[MB_GEN_E2];
        business += mt.business;
        MB_CHECK(strlen(mt.id) == 10 && !strncmp(mt.id, "NCDE", 4));
        for (uint32_t day = 0; day < 365; day += 7) {
            MB_CHECK(mb_gen_day_init(&m, day, &d, &err) == MB_OK);
            MB_CHECK(d.count == 48);
            for (int ch = 0; ch < MB_GEN_CHANNELS; ch++) {
                if (!mt.has[ch])
                    continue;
                mb_gen_series_fill(&m, &mt, &d, (mb_gen_channel)ch,
                                   MB_GEN_CLEAN, &s);
                int64_t total = 0;
                for (uint32_t k = 0; k < s.count; k++) {
                    MB_CHECK(s.wh[k] >= 0 && s.wh[k] < 100000);
                    MB_CHECK(s.q[k].flag == MB_Q_ACTUAL);
                    total += s.wh[k];
                    if (ch == MB_GEN_B1 && (k < 8 || k > 42))
                        MB_CHECK(s.wh[k] == 0); /* no sun at night */
                }
                if (ch == MB_GEN_E1) {
                    MB_CHECK(total > 1000 && total < 600000);
                    if (!mt.business && day < 31)
                        january += total;
                    if (!mt.business && day >= 182 && day < 213)
                        july += total;
                    /* evening peak above the small hours */
                    if (!mt.business)
                        MB_CHECK(s.wh[37] + s.wh[38] > s.wh[6] + s.wh[7]);
                }
            }
        }
    }
    MB_CHECK(solar > 20 && solar < 120);
    MB_CHECK(cl > 10 && cl < 100);
    MB_CHECK(business > 10 && business < 60);
    MB_CHECK(july > january); /* southern winter uses more */
}

static void test_mpan_check_digit(void)
{
    static mb_gen_model m;
    mb_error err;
    mb_gen_config c = config(MB_GEN_IDS_MPAN, "Europe/London");
    MB_CHECK(mb_gen_model_init(&m, &c, &err) == MB_OK);
    static const int primes[12] = {3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43};
    mb_gen_meter mt;
    for (uint32_t i = 0; i < 1000; i += 37) {
        mb_gen_meter_init(&m, i, &mt);
        MB_CHECK(strlen(mt.id) == 13);
        int sum = 0;
        for (int k = 0; k < 12; k++)
            sum += (mt.id[k] - '0') * primes[k];
        MB_CHECK(mt.id[12] - '0' == sum % 11 % 10);
        MB_CHECK(!mt.has[MB_GEN_E2]);
    }
}

static void test_clock_change_days(void)
{
    static mb_gen_model m;
    mb_error err;
    mb_gen_config c = config(MB_GEN_IDS_MPAN, "Europe/London");
    c.first_day = mb_days_from_civil(2024, 3, 30);
    c.days = 220; /* to 2024-11-04, over both changes */
    MB_CHECK(mb_gen_model_init(&m, &c, &err) == MB_OK);
    mb_gen_day d;
    int seen46 = 0, seen50 = 0;
    for (uint32_t day = 0; day < c.days; day++) {
        MB_CHECK(mb_gen_day_init(&m, day, &d, &err) == MB_OK);
        if (d.date == mb_days_from_civil(2024, 3, 31)) {
            MB_CHECK(d.count == 46);
            seen46 = 1;
            MB_CHECK(d.minute[1] == 30 && d.minute[2] == 120);
        } else if (d.date == mb_days_from_civil(2024, 10, 27)) {
            MB_CHECK(d.count == 50);
            seen50 = 1;
            MB_CHECK(d.minute[2] == 60 && d.minute[3] == 90 &&
                     d.minute[4] == 60);
        } else {
            MB_CHECK(d.count == 48);
        }
    }
    MB_CHECK(seen46 && seen50);
    c.interval = 300;
    c.first_day = mb_days_from_civil(2024, 10, 27);
    c.days = 1;
    MB_CHECK(mb_gen_model_init(&m, &c, &err) == MB_OK);
    MB_CHECK(mb_gen_day_init(&m, 0, &d, &err) == MB_OK);
    MB_CHECK(d.count == 300);
}

/* ---- round trip through the readers ---------------------------------- */

#define RT_MAX_DAYS 64

typedef struct verify {
    const mb_gen_model *m;
    mb_format fmt;
    mb_gen_day days[RT_MAX_DAYS + 1]; /* one more: the end of the range */
    int64_t *cum;      /* [meter][day 0..days][register]: register values */
    uint64_t values, reads, bad;
    /* cache of the last series compared */
    int cached;
    uint32_t c_meter, c_day;
    int c_channel;
    mb_gen_view c_view;
    mb_gen_meter mt;
    mb_gen_series s;
    /* NEM13: the previous read of the current 250 */
    int have_prev;
    mb_register_read prev;
} verify;

static int meter_index(const verify *v, const char *id, uint32_t *index)
{
    unsigned long n;
    if (v->m->cfg.ids == MB_GEN_IDS_MPAN) {
        if (strlen(id) != 13)
            return -1;
        char digits[11];
        memcpy(digits, id + 2, 10);
        digits[10] = '\0';
        n = strtoul(digits, NULL, 10) - 1000000000ul;
    } else {
        n = strtoul(id + (strncmp(id, "NCDE", 4) ? 3 : 4), NULL, 10);
    }
    if (n >= v->m->cfg.meters)
        return -1;
    mb_gen_meter mt;
    mb_gen_meter_init(v->m, (uint32_t)n, &mt);
    if (strcmp(mt.id, id))
        return -1;
    *index = (uint32_t)n;
    return 0;
}

static int day_of(const verify *v, mb_time t, uint32_t *day)
{
    int64_t k = mb_tz_local_day(v->m->tz, t) - v->m->cfg.first_day;
    if (k < 0 || k > (int64_t)v->m->cfg.days)
        return -1;
    *day = (uint32_t)k;
    return 0;
}

static void fail(verify *v, const char *what, const char *meter,
                 const char *ch)
{
    if (v->bad++ < 10)
        fprintf(stderr, "round trip %s: %s %s %s\n",
                mb_format_name(v->fmt), what, meter, ch);
}

static mb_status rt_intervals(void *ctx, const mb_interval_block *b,
                              mb_error *err)
{
    (void)err;
    verify *v = ctx;
    uint32_t mi, day;
    int ch = -1;
    for (int c = 0; c < MB_GEN_CHANNELS; c++)
        if (!strcmp(b->channel, mb_gen_channel_name((mb_gen_channel)c)))
            ch = c;
    if (meter_index(v, b->meter, &mi) || ch < 0 ||
        b->interval != v->m->cfg.interval || b->unit != MB_UNIT_KWH ||
        strcmp(b->zone, v->m->cfg.zone)) {
        fail(v, "unknown meter, channel, interval, unit or zone", b->meter,
             b->channel);
        return MB_OK;
    }
    for (uint32_t k = 0; k < b->count; k++) {
        mb_time t = b->start + (mb_time)k * b->interval;
        if (day_of(v, t, &day) || day >= v->m->cfg.days) {
            fail(v, "interval outside the range", b->meter, b->channel);
            continue;
        }
        const mb_gen_day *d = &v->days[day];
        mb_gen_view view = b->version == d->version_corrected
                               ? MB_GEN_CORRECTED
                               : MB_GEN_FIRST;
        if (view == MB_GEN_FIRST && b->version != d->version_first) {
            if (v->bad < 3)
                fprintf(stderr, "version %lld, expected %lld or %lld\n",
                        (long long)b->version, (long long)d->version_first,
                        (long long)d->version_corrected);
            fail(v, "version", b->meter, b->channel);
            continue;
        }
        if (!v->cached || v->c_meter != mi || v->c_day != day ||
            v->c_channel != ch || v->c_view != view) {
            mb_gen_meter_init(v->m, mi, &v->mt);
            if (!v->mt.has[ch]) {
                fail(v, "channel the meter does not have", b->meter,
                     b->channel);
                continue;
            }
            mb_gen_series_fill(v->m, &v->mt, d, (mb_gen_channel)ch, view,
                               &v->s);
            v->cached = 1;
            v->c_meter = mi;
            v->c_day = day;
            v->c_channel = ch;
            v->c_view = view;
        }
        uint32_t i = (uint32_t)((t - d->start) / b->interval);
        mb_decimal want = {v->s.wh[i], 3};
        mb_quality q = b->quality[k], wq = v->s.q[i];
        if (mb_decimal_cmp(b->values[k], want) || b->values[k].scale != 3)
            fail(v, "value", b->meter, b->channel);
        else if (q.flag != wq.flag || q.method != wq.method ||
                 q.reason != wq.reason)
            fail(v, "quality", b->meter, b->channel);
        v->values++;
    }
    return MB_OK;
}

static mb_status rt_reg(void *ctx, const mb_register_read *r, mb_error *err)
{
    (void)err;
    verify *v = ctx;
    const mb_gen_config *c = &v->m->cfg;
    uint32_t mi, k;
    int reg = -1;
    bool uk = v->fmt == MB_FORMAT_D0010;
    if (uk)
        reg = !strcmp(r->reg, MB_GEN_D0010_DAY)     ? MB_GEN_REG_DAY
              : !strcmp(r->reg, MB_GEN_D0010_NIGHT) ? MB_GEN_REG_NIGHT
                                                    : -1;
    else
        for (int ch = 0; ch < MB_GEN_CHANNELS; ch++)
            if (!strcmp(r->reg, mb_gen_nem13_suffix((mb_gen_channel)ch)))
                reg = ch == MB_GEN_E1   ? MB_GEN_REG_E1
                      : ch == MB_GEN_B1 ? MB_GEN_REG_B1
                                        : MB_GEN_REG_E2;
    if (meter_index(v, r->meter, &mi) || reg < 0 ||
        day_of(v, r->read_at, &k) || v->days[k].start != r->read_at ||
        r->unit != MB_UNIT_KWH || r->quality.flag != MB_Q_ACTUAL) {
        fail(v, "unknown meter, register, read time, unit or quality",
             r->meter, r->reg);
        return MB_OK;
    }
    int64_t want = v->cum[((size_t)mi * (c->days + 1) + k) *
                              MB_GEN_REGISTERS + (size_t)reg];
    if (mb_decimal_cmp(r->value, (mb_decimal){want, 3}))
        fail(v, "register value", r->meter, r->reg);
    v->reads++;
    mb_gen_meter_init(v->m, mi, &v->mt);
    v->cached = 0;
    if (uk) {
        if (k == 0 || r->version != (mb_version)v->days[k - 1].created_first *
                                            1000000)
            fail(v, "register version", r->meter, r->reg);
        return MB_OK;
    }
    if (!v->have_prev) { /* NEM13: prev, then current of the same 250 */
        v->prev = *r;
        v->have_prev = 1;
        return MB_OK;
    }
    v->have_prev = 0;
    if (k == 0 || r->version != v->days[k - 1].version_first ||
        v->prev.version != r->version || v->prev.read_at >= r->read_at ||
        !mb_gen_read_due(v->m, &v->mt, k - 1))
        fail(v, "register version or read order", r->meter, r->reg);
    return MB_OK;
}

/* What the model says the files hold. */
static void expected(verify *v, uint64_t *values, uint64_t *reads)
{
    const mb_gen_config *c = &v->m->cfg;
    mb_gen_meter mt;
    int64_t totals[MB_GEN_REGISTERS];
    *values = *reads = 0;
    for (uint32_t i = 0; i < c->meters; i++) {
        mb_gen_meter_init(v->m, i, &mt);
        int64_t *cum = v->cum + (size_t)i * (c->days + 1) * MB_GEN_REGISTERS;
        memcpy(cum, mt.reg_base, sizeof mt.reg_base);
        for (uint32_t day = 0; day < c->days; day++) {
            const mb_gen_day *d = &v->days[day];
            mb_gen_day_totals(v->m, &mt, d, totals);
            for (int r = 0; r < MB_GEN_REGISTERS; r++)
                cum[(day + 1) * MB_GEN_REGISTERS + r] =
                    cum[day * MB_GEN_REGISTERS + r] + totals[r];
            int nch = mt.has[0] + mt.has[1] + mt.has[2];
            if (v->fmt == MB_FORMAT_NEM13 || v->fmt == MB_FORMAT_D0010) {
                if (mb_gen_read_due(v->m, &mt, day))
                    *reads += v->fmt == MB_FORMAT_D0010 ? 2 : 2 * nch;
                continue;
            }
            mb_gen_fault f = mb_gen_fault_of(v->m, &mt, d).kind;
            if (f == MB_GEN_FAULT_MISSING ||
                (f == MB_GEN_FAULT_NEGATIVE && v->fmt == MB_FORMAT_NEM12))
                continue;
            *values += (uint64_t)nch * d->count;
            if (f == MB_GEN_FAULT_CORRECTION)
                *values += d->count;
        }
    }
}

static void round_trip(mb_format fmt, mb_gen_ids ids, const char *zone,
                       int64_t first_day, uint32_t days, int32_t interval)
{
    static mb_gen_model m;
    static verify v;
    mb_gen_summary sum;
    mb_gen_config c = config(ids, zone);
    c.first_day = first_day;
    c.days = days;
    c.interval = interval;
    c.meters = 60;
    c.fault_ppm = fmt == MB_FORMAT_NEM12 || fmt == MB_FORMAT_CSV ? 150000
                                                                 : 50000;
    const char *dir = generate("rt", &c, fmt, 25, &m, &sum);
    MB_CHECK(dir != NULL);
    if (!dir)
        return;
    memset(&v, 0, sizeof v);
    v.m = &m;
    v.fmt = fmt;
    mb_error err;
    for (uint32_t d = 0; d <= days; d++)
        MB_CHECK(mb_gen_day_init(&m, d, &v.days[d], &err) == MB_OK);
    v.cum = calloc((size_t)c.meters * (days + 1) * MB_GEN_REGISTERS,
                   sizeof *v.cum);
    uint64_t want_values, want_reads;
    expected(&v, &want_values, &want_reads);

    mb_reader_sink sink = {&v, NULL, rt_intervals, rt_reg, NULL};
    mb_read_opts opts = {fmt, false};
    size_t n;
    char **names = list_dir(dir, &n), path[512], orig[512];
    int neg_files = 0, dup_files = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(names[i], "manifest.txt"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        const char *dup = strstr(names[i], "_dup.");
        if (dup) { /* an exact copy of its original */
            char a[MB_DIGEST_HEX], b[MB_DIGEST_HEX];
            uint64_t sa, sb;
            snprintf(orig, sizeof orig, "%s/%.*s%s", dir,
                     (int)(dup - names[i]), names[i], dup + 4);
            MB_CHECK(mb_digest_file(path, a, &sa, &err) == MB_OK);
            MB_CHECK(mb_digest_file(orig, b, &sb, &err) == MB_OK);
            MB_CHECK_STR(a, b);
            dup_files++;
            continue;
        }
        mb_read_stats st = {0};
        mb_status rs = mb_read_path(path, &opts, &sink, &st, &err);
        if (strstr(names[i], "_neg.") && fmt == MB_FORMAT_NEM12) {
            MB_CHECK(rs == MB_EFORMAT); /* strict readers reject it */
            neg_files++;
        } else {
            if (rs)
                fprintf(stderr, "%s\n", err.msg);
            MB_CHECK(rs == MB_OK);
        }
    }
    free_names(names, n);
    printf("round trip %s %s: %llu values, %llu register reads, %llu "
           "faults, %d duplicate and %d negative files\n",
           mb_format_name(fmt), zone, (unsigned long long)v.values,
           (unsigned long long)v.reads,
           (unsigned long long)(sum.faults[1] + sum.faults[2] +
                                sum.faults[3] + sum.faults[4] +
                                sum.faults[5]),
           dup_files, neg_files);
    MB_CHECK(v.bad == 0);
    MB_CHECK(v.values == want_values);
    MB_CHECK(v.reads == want_reads);
    MB_CHECK((uint64_t)dup_files == sum.duplicates);
    MB_CHECK(fmt != MB_FORMAT_NEM12 || neg_files > 0);
    free(v.cum);
}

static void test_round_trip_nem12(void)
{
    round_trip(MB_FORMAT_NEM12, MB_GEN_IDS_NMI, "+10:00",
               mb_days_from_civil(2024, 6, 28), 5, 1800);
    round_trip(MB_FORMAT_NEM12, MB_GEN_IDS_NMI, "+10:00",
               mb_days_from_civil(2024, 1, 1), 2, 300);
}

static void test_round_trip_nem13(void)
{
    round_trip(MB_FORMAT_NEM13, MB_GEN_IDS_NMI, "+10:00",
               mb_days_from_civil(2024, 1, 1), 62, 1800);
}

static void test_round_trip_d0010(void)
{
    /* over the spring and autumn clock changes */
    round_trip(MB_FORMAT_D0010, MB_GEN_IDS_MPAN, "Europe/London",
               mb_days_from_civil(2024, 3, 20), 40, 1800);
    round_trip(MB_FORMAT_D0010, MB_GEN_IDS_MPAN, "Europe/London",
               mb_days_from_civil(2024, 10, 20), 14, 1800);
}

static void test_round_trip_csv(void)
{
    round_trip(MB_FORMAT_CSV, MB_GEN_IDS_MPAN, "Europe/London",
               mb_days_from_civil(2024, 3, 30), 3, 1800);
    round_trip(MB_FORMAT_CSV, MB_GEN_IDS_MPAN, "Europe/London",
               mb_days_from_civil(2024, 10, 26), 3, 300);
    round_trip(MB_FORMAT_CSV, MB_GEN_IDS_NMI, "+10:00",
               mb_days_from_civil(2024, 1, 1), 2, 900);
}

int main(void)
{
    if (!mkdtemp(tmproot)) {
        perror("mkdtemp");
        return 1;
    }
    MB_RUN(test_same_seed_same_bytes);
    MB_RUN(test_values_sane);
    MB_RUN(test_mpan_check_digit);
    MB_RUN(test_clock_change_days);
    MB_RUN(test_round_trip_nem12);
    MB_RUN(test_round_trip_nem13);
    MB_RUN(test_round_trip_d0010);
    MB_RUN(test_round_trip_csv);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/a", tmproot);
    rm_dir(dir);
    snprintf(dir, sizeof dir, "%s/b", tmproot);
    rm_dir(dir);
    snprintf(dir, sizeof dir, "%s/rt", tmproot);
    rm_dir(dir);
    rmdir(tmproot);
    return MB_DONE();
}
