/*
 * test_tz.c - time zones (src/core/tz.h): the TZif reader and POSIX TZ
 * rules on hand-built files, then the system tz database, cross-checked
 * hour by hour against glibc's localtime_r as an independent oracle (the
 * library itself never uses it). Without /usr/share/zoneinfo (or $TZDIR)
 * the system part is skipped.
 */
#include "core/tz.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "mbtest.h"

#define HOUR 3600
#define DAY 86400

static mb_time at(int y, int m, int d, int h, int mi)
{
    return mb_days_from_civil(y, m, d) * DAY + h * HOUR + mi * 60;
}

/* ---- hand-built TZif files ---------------------------------------------- */

typedef struct bytes {
    unsigned char b[4096];
    size_t n;
} bytes;

static void put8(bytes *o, unsigned v) { o->b[o->n++] = (unsigned char)v; }
static void put32(bytes *o, uint32_t v)
{
    for (int i = 3; i >= 0; i--)
        put8(o, (v >> (8 * i)) & 0xff);
}
static void put64(bytes *o, int64_t v)
{
    put32(o, (uint32_t)((uint64_t)v >> 32));
    put32(o, (uint32_t)v);
}

static void header(bytes *o, unsigned ver, uint32_t timecnt, uint32_t typecnt,
                   uint32_t leapcnt)
{
    memcpy(o->b + o->n, "TZif", 4);
    o->n += 4;
    put8(o, ver);
    for (int i = 0; i < 15; i++)
        put8(o, 0);
    put32(o, 0);       /* isutcnt */
    put32(o, 0);       /* isstdcnt */
    put32(o, leapcnt);
    put32(o, timecnt);
    put32(o, typecnt);
    put32(o, 4);       /* charcnt: "XXX\0" */
}

static void block(bytes *o, int tsize, int n, const int64_t *times,
                  const unsigned char *idx, int ntypes, const int32_t *offs)
{
    for (int i = 0; i < n; i++)
        tsize == 8 ? put64(o, times[i]) : put32(o, (uint32_t)times[i]);
    for (int i = 0; i < n; i++)
        put8(o, idx[i]);
    for (int i = 0; i < ntypes; i++) {
        put32(o, (uint32_t)offs[i]);
        put8(o, offs[i] != offs[0]);
        put8(o, 0);
    }
    memcpy(o->b + o->n, "XXX", 4);
    o->n += 4;
}

/* A TZif file: version 1 (ver 0, 32-bit data only, footer NULL) or a
 * slim-style version 2+ file (minimal v1 block, 64-bit data, footer). */
static bytes tzif(unsigned ver, int n, const int64_t *times,
                  const unsigned char *idx, int ntypes, const int32_t *offs,
                  const char *footer)
{
    bytes o = {{0}, 0};
    if (ver == 0) {
        header(&o, 0, (uint32_t)n, (uint32_t)ntypes, 0);
        block(&o, 4, n, times, idx, ntypes, offs);
        return o;
    }
    int32_t zero = 0;
    header(&o, ver, 0, 1, 0);
    block(&o, 4, 0, NULL, NULL, 1, &zero);
    header(&o, ver, (uint32_t)n, (uint32_t)ntypes, 0);
    block(&o, 8, n, times, idx, ntypes, offs);
    put8(&o, '\n');
    memcpy(o.b + o.n, footer, strlen(footer));
    o.n += strlen(footer);
    put8(&o, '\n');
    return o;
}

static mb_tz *footer_zone(const char *footer)
{
    int32_t off0 = 0;
    bytes f = tzif('3', 0, NULL, NULL, 1, &off0, footer);
    mb_tz *tz = NULL;
    mb_error err;
    if (mb_tz_parse_tzif(f.b, f.n, footer, &tz, &err) != MB_OK)
        fprintf(stderr, "%s\n", err.msg);
    return tz;
}

/* The zone's local days and day lengths. */
static int32_t day_len(const mb_tz *tz, int y, int m, int d)
{
    mb_time start;
    int32_t len = -1;
    mb_error err;
    if (mb_tz_day_bounds(tz, mb_days_from_civil(y, m, d), &start, &len, &err) != MB_OK)
        fprintf(stderr, "%s\n", err.msg);
    return len;
}

/* Europe/London's behaviour, asserted on any zone that should have it. */
static void check_london(const mb_tz *tz)
{
    mb_error err;
    mb_time start, u;
    int32_t len;
    MB_CHECK(mb_tz_day_bounds(tz, mb_days_from_civil(2026, 3, 29), &start, &len, &err) == MB_OK);
    MB_CHECK(start == at(2026, 3, 29, 0, 0) && len == 23 * HOUR && len / 1800 == 46);
    MB_CHECK(mb_tz_day_bounds(tz, mb_days_from_civil(2026, 10, 25), &start, &len, &err) == MB_OK);
    MB_CHECK(start == at(2026, 10, 24, 23, 0) && len == 25 * HOUR && len / 1800 == 50);
    MB_CHECK(day_len(tz, 2026, 6, 1) == DAY && day_len(tz, 2026, 12, 25) == DAY);

    int64_t amb = at(2026, 10, 25, 1, 30);
    MB_CHECK(mb_tz_local_to_utc(tz, amb, MB_TZ_EARLIER, &u, &err) == MB_OK);
    MB_CHECK(u == at(2026, 10, 25, 0, 30));
    MB_CHECK(mb_tz_local_to_utc(tz, amb, MB_TZ_LATER, &u, &err) == MB_OK);
    MB_CHECK(u == at(2026, 10, 25, 1, 30));

    mb_error_clear(&err);
    MB_CHECK(mb_tz_local_to_utc(tz, at(2026, 3, 29, 1, 30), MB_TZ_EARLIER, &u, &err) == MB_ERANGE);
    MB_CHECK(strstr(err.msg, "2026-03-29 01:30:00") != NULL);
    MB_CHECK(strstr(err.msg, mb_tz_name(tz)) != NULL);
    MB_CHECK(mb_tz_local_to_utc(tz, at(2026, 3, 29, 2, 0), MB_TZ_EARLIER, &u, &err) == MB_OK);
    MB_CHECK(u == at(2026, 3, 29, 1, 0));
    MB_CHECK(mb_tz_local_to_utc(tz, at(2026, 7, 1, 12, 0), MB_TZ_LATER, &u, &err) == MB_OK);
    MB_CHECK(u == at(2026, 7, 1, 11, 0));

    /* 2080: last Sundays are March 31 and October 27, at 01:00Z */
    MB_CHECK(mb_tz_offset(tz, at(2080, 3, 31, 1, 0) - 1) == 0);
    MB_CHECK(mb_tz_offset(tz, at(2080, 3, 31, 1, 0)) == HOUR);
    MB_CHECK(mb_tz_offset(tz, at(2080, 10, 27, 1, 0) - 1) == HOUR);
    MB_CHECK(mb_tz_offset(tz, at(2080, 10, 27, 1, 0)) == 0);
    MB_CHECK(day_len(tz, 2080, 3, 31) == 23 * HOUR);
    MB_CHECK(day_len(tz, 2080, 10, 27) == 25 * HOUR);
    /* far beyond the precomputed years */
    MB_CHECK(mb_tz_offset(tz, at(4321, 7, 1, 0, 0)) == HOUR);
    MB_CHECK(mb_tz_offset(tz, at(4321, 1, 1, 0, 0)) == 0);
    MB_CHECK(mb_tz_local_day(tz, at(2026, 6, 30, 23, 30)) == mb_days_from_civil(2026, 7, 1));
    MB_CHECK(mb_tz_local_day(tz, at(2026, 12, 31, 23, 30)) == mb_days_from_civil(2026, 12, 31));
}

static void test_slim_footer(void)
{
    mb_tz *tz = footer_zone("GMT0BST,M3.5.0/1,M10.5.0");
    MB_CHECK(tz != NULL);
    if (!tz)
        return;
    check_london(tz);
    /* no transitions in the file: the rule governs all time */
    MB_CHECK(mb_tz_offset(tz, at(1899, 7, 1, 0, 0)) == HOUR);
    MB_CHECK(mb_tz_offset(tz, at(1899, 12, 1, 0, 0)) == 0);
    mb_tz_free(tz);
}

static void test_footer_forms(void)
{
    /* v3: DST all year (start Jan 1 00:00, end Dec 31 25:00) */
    mb_tz *tz = footer_zone("EST5EDT,0/0,J365/25");
    MB_CHECK(tz != NULL);
    for (int m = 1; tz && m <= 12; m++)
        MB_CHECK(mb_tz_offset(tz, at(2026, m, 1, 0, 0)) == -4 * HOUR);
    if (tz) {
        MB_CHECK(mb_tz_offset(tz, at(2027, 1, 1, 4, 59)) == -4 * HOUR);
        MB_CHECK(mb_tz_offset(tz, at(2027, 1, 1, 5, 0)) == -4 * HOUR);
        MB_CHECK(day_len(tz, 2026, 12, 31) == DAY);
    }
    mb_tz_free(tz);

    /* negative rule times (America/Nuuk since 2023) */
    tz = footer_zone("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
    MB_CHECK(tz != NULL);
    if (tz) {
        MB_CHECK(mb_tz_offset(tz, at(2026, 3, 29, 1, 0) - 1) == -2 * HOUR);
        MB_CHECK(mb_tz_offset(tz, at(2026, 3, 29, 1, 0)) == -HOUR);
        MB_CHECK(mb_tz_offset(tz, at(2026, 10, 25, 1, 0) - 1) == -HOUR);
        MB_CHECK(mb_tz_offset(tz, at(2026, 10, 25, 1, 0)) == -2 * HOUR);
        MB_CHECK(day_len(tz, 2026, 3, 28) == 23 * HOUR); /* 23:00 -> 00:00 */
        MB_CHECK(day_len(tz, 2026, 10, 24) == 25 * HOUR);
    }
    mb_tz_free(tz);

    /* zero-based day n counts February 29; Jn never does */
    tz = footer_zone("AAA0BBB,59/0,J300/0");
    MB_CHECK(tz != NULL);
    if (tz) {
        MB_CHECK(mb_tz_offset(tz, at(2024, 2, 29, 0, 0) - 1) == 0);
        MB_CHECK(mb_tz_offset(tz, at(2024, 2, 29, 0, 0)) == HOUR);
        MB_CHECK(mb_tz_offset(tz, at(2026, 3, 1, 0, 0) - 1) == 0);
        MB_CHECK(mb_tz_offset(tz, at(2026, 3, 1, 0, 0)) == HOUR);
        /* J300 = October 27 in any year, 00:00 DST = 23:00Z the day before */
        MB_CHECK(mb_tz_offset(tz, at(2024, 10, 26, 23, 0) - 1) == HOUR);
        MB_CHECK(mb_tz_offset(tz, at(2024, 10, 26, 23, 0)) == 0);
    }
    mb_tz_free(tz);
    tz = footer_zone("AAA0BBB,J60/0,J300/0");
    MB_CHECK(tz != NULL);
    if (tz) {
        MB_CHECK(mb_tz_offset(tz, at(2024, 2, 29, 12, 0)) == 0);
        MB_CHECK(mb_tz_offset(tz, at(2024, 3, 1, 0, 0)) == HOUR);
    }
    mb_tz_free(tz);

    /* southern hemisphere, explicit DST offset, <> names, minutes */
    tz = footer_zone("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
    MB_CHECK(tz != NULL);
    if (tz) {
        MB_CHECK(mb_tz_offset(tz, at(2026, 1, 15, 0, 0)) == 11 * HOUR);
        MB_CHECK(mb_tz_offset(tz, at(2026, 7, 15, 0, 0)) == 10 * HOUR + 1800);
        MB_CHECK(day_len(tz, 2026, 4, 5) == DAY + 1800);
        MB_CHECK(day_len(tz, 2026, 10, 4) == DAY - 1800);
    }
    mb_tz_free(tz);

    /* no DST: a fixed rule */
    tz = footer_zone("<+0530>-5:30");
    MB_CHECK(tz != NULL && mb_tz_offset(tz, at(2090, 1, 1, 0, 0)) == 19800);
    mb_tz_free(tz);
}

static void test_v1_and_transitions(void)
{
    int64_t times[] = {1000000000, 1100000000};
    unsigned char idx[] = {1, 0};
    int32_t offs[] = {0, 3600};
    bytes f = tzif(0, 2, times, idx, 2, offs, NULL);
    mb_tz *tz = NULL;
    mb_error err;
    MB_CHECK(mb_tz_parse_tzif(f.b, f.n, "v1", &tz, &err) == MB_OK);
    if (tz) {
        MB_CHECK(mb_tz_offset(tz, 999999999) == 0);
        MB_CHECK(mb_tz_offset(tz, 1000000000) == 3600);
        MB_CHECK(mb_tz_offset(tz, 1099999999) == 3600);
        MB_CHECK(mb_tz_offset(tz, 1100000000) == 0);
        MB_CHECK(mb_tz_offset(tz, INT64_MAX) == 0 && mb_tz_offset(tz, INT64_MIN) == 0);
        MB_CHECK_STR(mb_tz_name(tz), "v1");
    }
    mb_tz_free(tz);

    /* transitions then a footer: the footer takes over after the last */
    int64_t t2[] = {at(1990, 3, 25, 1, 0), at(1990, 10, 28, 1, 0)};
    bytes g = tzif('2', 2, t2, idx, 2, offs, "GMT0BST,M3.5.0/1,M10.5.0");
    MB_CHECK(mb_tz_parse_tzif(g.b, g.n, "v2", &tz, &err) == MB_OK);
    if (tz) {
        MB_CHECK(mb_tz_offset(tz, at(1990, 1, 1, 0, 0)) == 0);
        MB_CHECK(mb_tz_offset(tz, at(1990, 7, 1, 0, 0)) == 3600);
        MB_CHECK(mb_tz_offset(tz, at(1991, 7, 1, 0, 0)) == 3600);
        MB_CHECK(mb_tz_offset(tz, at(1991, 12, 1, 0, 0)) == 0);
        check_london(tz);
    }
    mb_tz_free(tz);
}

static void expect_bad(const bytes *f, const char *what)
{
    mb_tz *tz = (mb_tz *)1;
    mb_error err;
    mb_error_clear(&err);
    if (mb_tz_parse_tzif(f->b, f->n, "bad", &tz, &err) == MB_OK || tz != NULL ||
        err.msg[0] == '\0') {
        fprintf(stderr, "accepted %s\n", what);
        MB_CHECK(0);
    }
    mb_tz_free(tz == (mb_tz *)1 ? NULL : tz);
}

static void test_corrupt(void)
{
    int64_t times[] = {1000000000, 1100000000};
    unsigned char idx[] = {1, 0};
    int32_t offs[] = {0, 3600};
    bytes good = tzif('2', 2, times, idx, 2, offs, "GMT0BST,M3.5.0/1,M10.5.0");
    size_t footer_at = good.n - strlen("\nGMT0BST,M3.5.0/1,M10.5.0\n");
    for (size_t n = 0; n < good.n; n++) {
        bytes t = good;
        t.n = n;
        if (n != footer_at + 1 && n != good.n - 1) /* a cut footer may still parse */
            expect_bad(&t, "truncated file");
    }
    bytes b = good;
    b.b[0] = 'X';
    expect_bad(&b, "bad magic");
    int64_t desc[] = {1100000000, 1000000000};
    b = tzif('2', 2, desc, idx, 2, offs, "");
    expect_bad(&b, "descending transitions");
    unsigned char badidx[] = {2, 0};
    b = tzif('2', 2, times, badidx, 2, offs, "");
    expect_bad(&b, "bad type index");
    int32_t huge[] = {0, 100000};
    b = tzif('2', 2, times, idx, 2, huge, "");
    expect_bad(&b, "offset out of range");
    static const char *const rules[] = {
        "GMT0BST,M13.5.0,M10.5.0", "GMT0BST,M3.6.0,M10.5.0", "GMT0BST,M3.5.7,M10.5.0",
        "GMT0BST,J0,J365", "GMT0BST,366,J365", "GMT0BST,M3.5.0/168,M10.5.0",
        "GMT0BST,M3.5.0", "GMT", "0", "GMT25", "<>0", "<GMT0", "GMT0BST,M3.5.0,M10.5.0x",
    };
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
        b = tzif('2', 2, times, idx, 2, offs, rules[i]);
        expect_bad(&b, rules[i]);
    }
    b = tzif('2', 2, times, idx, 2, offs, "GMT0");
    b.n--; /* footer without its closing newline */
    expect_bad(&b, "unterminated footer");
    b = tzif('2', 2, times, idx, 2, offs, "GMT0");
    b.b[20 + 8 + 3] = 1; /* v1 header leapcnt */
    expect_bad(&b, "leap seconds");
}

static void test_fixed(void)
{
    mb_error err;
    const mb_tz *nem = mb_tz_get("+10:00", &err);
    MB_CHECK(nem != NULL);
    if (!nem)
        return;
    MB_CHECK(nem == mb_tz_get("+10:00", &err));
    MB_CHECK_STR(mb_tz_name(nem), "+10:00");
    MB_CHECK(mb_tz_offset(nem, at(2026, 1, 1, 0, 0)) == 36000);
    MB_CHECK(mb_tz_local_day(nem, at(2026, 1, 1, 14, 0)) == mb_days_from_civil(2026, 1, 2));
    MB_CHECK(day_len(nem, 2026, 10, 4) == DAY);
    mb_time start, u;
    int32_t len;
    MB_CHECK(mb_tz_day_bounds(nem, mb_days_from_civil(2026, 1, 2), &start, &len, &err) == MB_OK);
    MB_CHECK(start == at(2026, 1, 1, 14, 0) && len == DAY);
    MB_CHECK(mb_tz_local_to_utc(nem, at(2026, 1, 2, 0, 0), MB_TZ_LATER, &u, &err) == MB_OK);
    MB_CHECK(u == at(2026, 1, 1, 14, 0));
    const mb_tz *ist = mb_tz_get("-05:30", &err);
    MB_CHECK(ist && mb_tz_offset(ist, 0) == -19800);
    const mb_tz *z = mb_tz_get("Z", &err);
    MB_CHECK(z && mb_tz_offset(z, 12345) == 0);
    const mb_tz *compact = mb_tz_get("+1000", &err);
    MB_CHECK(compact && mb_tz_offset(compact, 0) == 36000);
    MB_CHECK(mb_tz_get("+25:00", &err) == NULL && err.status == MB_EINVAL);
    MB_CHECK(mb_tz_get("+10:0", &err) == NULL && err.status == MB_EINVAL);
}

static void test_bad_names(void)
{
    static const char *const names[] = {
        "", "/etc/passwd", "../../../etc/passwd", "Europe/../../etc/passwd",
        "Europe/./London", "Europe//London", "Europe/London/", ".hidden",
        "Europe/Lon don", "Europe\\London", "No/Such_Zone", "Europe",
        "zone1970.tab", "Etc/UTC/x",
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        mb_error err;
        mb_error_clear(&err);
        if (mb_tz_get(names[i], &err) != NULL || err.status == MB_OK || !err.msg[0]) {
            fprintf(stderr, "accepted zone name \"%s\"\n", names[i]);
            MB_CHECK(0);
        }
    }
    mb_error err;
    MB_CHECK(mb_tz_get("No/Such_Zone", &err) == NULL && err.status == MB_ENOTFOUND);
    MB_CHECK(mb_tz_get("../x", &err) == NULL && err.status == MB_EINVAL);
    MB_CHECK(mb_tz_get(NULL, &err) == NULL && err.status == MB_EINVAL);
}

/* ---- the system tz database ------------------------------------------------ */

static void test_system_london(void)
{
    mb_error err;
    const mb_tz *tz = mb_tz_get("Europe/London", &err);
    MB_CHECK(tz != NULL);
    if (!tz)
        return;
    MB_CHECK(tz == mb_tz_get("Europe/London", &err));
    MB_CHECK_STR(mb_tz_name(tz), "Europe/London");
    check_london(tz);
}

static void test_system_zones(void)
{
    mb_error err;
    const mb_tz *syd = mb_tz_get("Australia/Sydney", &err);
    const mb_tz *ny = mb_tz_get("America/New_York", &err);
    const mb_tz *bne = mb_tz_get("Australia/Brisbane", &err);
    const mb_tz *kol = mb_tz_get("Asia/Kolkata", &err);
    const mb_tz *utc = mb_tz_get("UTC", &err);
    MB_CHECK(syd && ny && bne && kol && utc);
    if (!(syd && ny && bne && kol && utc))
        return;
    MB_CHECK(day_len(syd, 2026, 4, 5) == 25 * HOUR);
    MB_CHECK(day_len(syd, 2026, 10, 4) == 23 * HOUR);
    MB_CHECK(mb_tz_offset(syd, at(2026, 1, 1, 0, 0)) == 11 * HOUR);
    MB_CHECK(mb_tz_offset(syd, at(2080, 7, 1, 0, 0)) == 10 * HOUR);
    MB_CHECK(day_len(ny, 2026, 3, 8) == 23 * HOUR);
    MB_CHECK(day_len(ny, 2026, 11, 1) == 25 * HOUR);
    MB_CHECK(mb_tz_offset(ny, at(2080, 7, 1, 0, 0)) == -4 * HOUR);
    for (int m = 1; m <= 12; m++) {
        MB_CHECK(day_len(bne, 2026, m, 1) == DAY);
        MB_CHECK(mb_tz_offset(bne, at(2026, m, 1, 0, 0)) == 10 * HOUR);
        MB_CHECK(mb_tz_offset(kol, at(2080, m, 1, 0, 0)) == 19800);
        MB_CHECK(mb_tz_offset(utc, at(2026, m, 1, 0, 0)) == 0);
    }
    mb_time u;
    MB_CHECK(mb_tz_local_to_utc(kol, at(2026, 1, 1, 5, 30), MB_TZ_EARLIER, &u, &err) == MB_OK);
    MB_CHECK(u == at(2026, 1, 1, 0, 0));
}

/* Compare offsets with glibc hour by hour, and check local <-> UTC and day
 * bounds for consistency, over a year range. */
static int cross_check(const char *name, int y0, int y1, int step_h)
{
    mb_error err;
    const mb_tz *tz = mb_tz_get(name, &err);
    if (!tz) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    char env[128];
    snprintf(env, sizeof env, ":%s", name);
    setenv("TZ", env, 1);
    tzset();
    int bad = 0;
    for (mb_time t = at(y0, 1, 1, 0, 0); t < at(y1 + 1, 1, 1, 0, 0) && bad < 5;
         t += step_h * HOUR + (step_h > 1 ? 60 : 0)) {
        struct tm tm;
        time_t tt = (time_t)t;
        localtime_r(&tt, &tm);
        int32_t off = mb_tz_offset(tz, t);
        if (off != tm.tm_gmtoff) {
            fprintf(stderr, "%s at %lld: offset %d, glibc %ld\n", name,
                    (long long)t, off, tm.tm_gmtoff);
            bad++;
        }
        mb_time e = 0, l = 0;
        if (mb_tz_local_to_utc(tz, t + off, MB_TZ_EARLIER, &e, &err) != MB_OK ||
            mb_tz_local_to_utc(tz, t + off, MB_TZ_LATER, &l, &err) != MB_OK ||
            e > t || l < t || (e != t && l != t)) {
            fprintf(stderr, "%s at %lld: local->utc gave %lld..%lld\n", name,
                    (long long)t, (long long)e, (long long)l);
            bad++;
        }
    }
    int64_t d0 = mb_days_from_civil(y0, 1, 1), d1 = mb_days_from_civil(y1 + 1, 1, 1);
    mb_time start = 0, next = 0;
    int32_t len = 0;
    for (int64_t d = d0; d < d1 && bad < 5; d++) {
        /* A day can be skipped whole (Pacific/Apia, 2011-12-30): length 0. */
        if (mb_tz_day_bounds(tz, d, &start, &len, &err) != MB_OK ||
            (d > d0 && start != next) ||
            (len != 0 && (mb_tz_local_day(tz, start) != d ||
                          mb_tz_local_day(tz, start - 1) >= d ||
                          mb_tz_local_day(tz, start + len - 1) != d ||
                          len < 22 * HOUR || len > 26 * HOUR))) {
            fprintf(stderr, "%s: bad bounds for day %lld: %lld + %d\n", name,
                    (long long)d, (long long)start, len);
            bad++;
        }
        next = start + len;
    }
    return bad;
}

static void test_against_glibc(void)
{
    static const char *const zones[] = {
        "Europe/London", "Australia/Sydney", "America/New_York",
        "Australia/Brisbane", "Asia/Kolkata", "UTC", "Europe/Dublin",
        "America/Nuuk", "Australia/Lord_Howe", "Pacific/Chatham",
        "America/St_Johns", "Africa/Casablanca", "Antarctica/Troll",
        "America/Santiago", "Pacific/Apia", "Asia/Tehran",
    };
    for (size_t i = 0; i < sizeof zones / sizeof *zones; i++) {
        int bad = cross_check(zones[i], 2026, 2026, 1) +
                  cross_check(zones[i], 2080, 2080, 1) +
                  cross_check(zones[i], 1970, 2050, 5);
        if (bad)
            fprintf(stderr, "FAIL cross-check %s\n", zones[i]);
        MB_CHECK(bad == 0);
    }
}

static void *get_zones(void *arg)
{
    static const char *const names[] = {"Europe/London", "Australia/Sydney",
                                        "+10:00", "America/New_York"};
    const mb_tz **out = arg;
    for (int k = 0; k < 200; k++)
        for (int i = 0; i < 4; i++)
            out[i] = mb_tz_get(names[i], NULL);
    return NULL;
}

static void test_threads(void)
{
    mb_tz_cache_clear();
    pthread_t th[4];
    const mb_tz *got[4][4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, get_zones, got[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 1; i < 4; i++)
        for (int k = 0; k < 4; k++)
            MB_CHECK(got[i][k] != NULL && got[i][k] == got[0][k]);
}

int main(void)
{
    MB_RUN(test_slim_footer);
    MB_RUN(test_footer_forms);
    MB_RUN(test_v1_and_transitions);
    MB_RUN(test_corrupt);
    MB_RUN(test_fixed);
    const char *dir = getenv("TZDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/Europe/London", dir && *dir ? dir : "/usr/share/zoneinfo");
    if (access(path, R_OK) != 0) {
        printf("skipping system zone tests: no tz database (%s); install tzdata\n", path);
        mb_tz_cache_clear();
        return MB_DONE() ? 1 : MB_SKIP;
    }
    MB_RUN(test_bad_names);
    MB_RUN(test_system_london);
    MB_RUN(test_system_zones);
    MB_RUN(test_against_glibc);
    MB_RUN(test_threads);
    mb_tz_cache_clear();
    return MB_DONE();
}
