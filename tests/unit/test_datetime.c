/*
 * test_datetime.c - civil calendar arithmetic and ISO 8601 parsing and
 * formatting (src/core/datetime.h).
 */
#include "core/datetime.h"

#include "mbtest.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_known_days(void)
{
    MB_CHECK(mb_days_from_civil(1970, 1, 1) == 0);
    MB_CHECK(mb_days_from_civil(1969, 12, 31) == -1);
    MB_CHECK(mb_days_from_civil(2000, 3, 1) == 11017);
    MB_CHECK(mb_days_from_civil(2026, 3, 29) == 20541);
    MB_CHECK(mb_days_from_civil(1, 1, 1) == -719162);
    MB_CHECK(mb_weekday(0) == 3);                                 /* Thursday */
    MB_CHECK(mb_weekday(mb_days_from_civil(2026, 3, 29)) == 6);   /* Sunday */
    MB_CHECK(mb_weekday(mb_days_from_civil(1900, 1, 1)) == 0);    /* Monday */
    MB_CHECK(mb_weekday(-1) == 2);
}

static void test_round_trip(void)
{
    int py, pm, pd;
    mb_civil_from_days(-1000001, &py, &pm, &pd);
    int bad = 0;
    for (int64_t days = -1000000; days <= 3000000; days++) {
        int y, m, d;
        mb_civil_from_days(days, &y, &m, &d);
        if (mb_days_from_civil(y, m, d) != days || !mb_date_valid(y, m, d))
            bad++;
        /* consecutive days: next day of the month, or the 1st after the last */
        bool next = (y == py && m == pm && d == pd + 1) ||
                    (d == 1 && pd == mb_days_in_month(py, pm) &&
                     ((y == py && m == pm + 1) || (y == py + 1 && m == 1 && pm == 12)));
        if (!next)
            bad++;
        if (mb_weekday(days) != (mb_weekday(days - 1) + 1) % 7)
            bad++;
        py = y, pm = m, pd = d;
    }
    MB_CHECK(bad == 0);
}

static void test_valid(void)
{
    MB_CHECK(mb_date_valid(2024, 2, 29));
    MB_CHECK(mb_date_valid(2000, 2, 29));
    MB_CHECK(!mb_date_valid(2026, 2, 29));
    MB_CHECK(!mb_date_valid(2100, 2, 29));
    MB_CHECK(!mb_date_valid(2024, 2, 30));
    MB_CHECK(!mb_date_valid(2026, 4, 31));
    MB_CHECK(!mb_date_valid(2026, 13, 1));
    MB_CHECK(!mb_date_valid(2026, 0, 1));
    MB_CHECK(!mb_date_valid(2026, 1, 0));
    MB_CHECK(mb_date_valid(2026, 12, 31));
}

static void test_compact(void)
{
    mb_error err;
    int64_t local = 0, day = mb_days_from_civil(2026, 3, 29) * 86400;
    MB_CHECK(mb_local_parse_compact(S("20260329"), &local, &err) == MB_OK);
    MB_CHECK(local == day);
    MB_CHECK(mb_local_parse_compact(S("202603290130"), &local, &err) == MB_OK);
    MB_CHECK(local == day + 5400);
    MB_CHECK(mb_local_parse_compact(S("20260329013045"), &local, &err) == MB_OK);
    MB_CHECK(local == day + 5445);
    MB_CHECK(mb_local_parse_compact(S("20240229235959"), &local, &err) == MB_OK);
    static const char *const bad[] = {
        "20260229", "20240230", "20261301", "20260001", "20260100",
        "202601012400", "202601012500", "202601011260", "20260101120060",
        "2026010112", "2026a329", "2026032", "202603299", "-2026032",
        "20260329 130", "", "2026-03-29",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mb_error_clear(&err);
        if (mb_local_parse_compact(bad[i], strlen(bad[i]), &local, &err) !=
                MB_EFORMAT ||
            err.status != MB_EFORMAT || !strstr(err.msg, "bad date-time")) {
            fprintf(stderr, "accepted \"%s\"\n", bad[i]);
            MB_CHECK(0);
        }
    }
}

static void test_date_parse(void)
{
    mb_error err;
    int y, m, d;
    MB_CHECK(mb_date_parse(S("2026-03-29"), &y, &m, &d, &err) == MB_OK);
    MB_CHECK(y == 2026 && m == 3 && d == 29);
    MB_CHECK(mb_date_parse(S("2024-02-29"), &y, &m, &d, &err) == MB_OK);
    MB_CHECK(mb_date_parse(S("2026-02-29"), &y, &m, &d, &err) == MB_EFORMAT);
    MB_CHECK(strstr(err.msg, "2026-02-29") != NULL);
    MB_CHECK(mb_date_parse(S("2024-02-30"), &y, &m, &d, &err) == MB_EFORMAT);
    MB_CHECK(mb_date_parse(S("2026-13-01"), &y, &m, &d, &err) == MB_EFORMAT);
    MB_CHECK(mb_date_parse(S("2026-3-29"), &y, &m, &d, &err) == MB_EFORMAT);
    MB_CHECK(mb_date_parse(S("2026/03/29"), &y, &m, &d, &err) == MB_EFORMAT);
    MB_CHECK(mb_date_parse(S("2026-03-29T"), &y, &m, &d, &err) == MB_EFORMAT);
}

static void test_iso_parse(void)
{
    mb_error err;
    mb_time t;
    int32_t off;
    mb_time base = mb_days_from_civil(2026, 3, 29) * 86400;
    MB_CHECK(mb_time_parse_iso(S("2026-03-29T01:30:00+01:00"), &t, &off, &err) == MB_OK);
    MB_CHECK(t == base + 1800 && off == 3600);
    MB_CHECK(mb_time_parse_iso(S("2026-03-29 01:30Z"), &t, &off, &err) == MB_OK);
    MB_CHECK(t == base + 5400 && off == 0);
    MB_CHECK(mb_time_parse_iso(S("2026-03-29t01:30:15-05:00"), &t, &off, &err) == MB_OK);
    MB_CHECK(t == base + 5415 + 18000 && off == -18000);
    MB_CHECK(mb_time_parse_iso(S("2026-03-29T10:00+0530"), &t, &off, &err) == MB_OK);
    MB_CHECK(t == base + 36000 - 19800 && off == 19800);
    MB_CHECK(mb_time_parse_iso(S("2026-03-29T10:00:00+10"), &t, &off, &err) == MB_OK);
    MB_CHECK(t == base && off == 36000);
    MB_CHECK(mb_time_parse_iso(S("1847-12-01T00:00:00-00:01:15"), &t, &off, &err) == MB_OK);
    MB_CHECK(off == -75);
    static const char *const bad[] = {
        "2026-03-29T01:30:00",        /* no offset */
        "2026-03-29T24:00:00Z",       "2026-03-29T25:00Z",
        "2026-03-29T12:60Z",          "2026-03-29T12:00:60Z",
        "2026-02-29T12:00Z",          "2026-13-01T00:00Z",
        "2026-03-29T01:30:00+24:00",  "2026-03-29T01:30:00+01:60",
        "2026-03-29T01:30:00+1:00",   "2026-03-29T01:30:00Zjunk",
        "2026-03-29X01:30Z",          "2026-03-29T01:30:Z",
        "2026-03-29T1:30Z",           "2026-03-29",
        "",                           "2026-03-29T01:30:00.5Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mb_error_clear(&err);
        if (mb_time_parse_iso(bad[i], strlen(bad[i]), &t, &off, &err) != MB_EFORMAT ||
            err.status != MB_EFORMAT) {
            fprintf(stderr, "accepted \"%s\"\n", bad[i]);
            MB_CHECK(0);
        }
    }
}

static void test_iso_format(void)
{
    char buf[32];
    mb_time base = mb_days_from_civil(2026, 3, 29) * 86400;
    size_t n = mb_time_format_iso(base + 1800, 3600, buf, sizeof buf);
    MB_CHECK_STR(buf, "2026-03-29T01:30:00+01:00");
    MB_CHECK(n == strlen(buf));
    mb_time_format_iso(base, 0, buf, sizeof buf);
    MB_CHECK_STR(buf, "2026-03-29T00:00:00+00:00");
    mb_time_format_iso(base, -19800, buf, sizeof buf);
    MB_CHECK_STR(buf, "2026-03-28T18:30:00-05:30");
    mb_time_format_iso(-1, 0, buf, sizeof buf);
    MB_CHECK_STR(buf, "1969-12-31T23:59:59+00:00");
    mb_time_format_iso(-3881520000 + 75, -75, buf, sizeof buf);
    MB_CHECK_STR(buf, "1847-01-01T00:00:00-00:01:15");
    n = mb_time_format_iso(base, 0, buf, 11);
    MB_CHECK(n == 10);
    MB_CHECK_STR(buf, "2026-03-29");
}

static void test_iso_round_trip(void)
{
    static const int32_t offs[] = {0, 3600, -18000, 19800, 36000, -75, 45900};
    int bad = 0;
    for (mb_time t = -2208988800; t < 4102444800; t += 7777777 + 13) {
        for (size_t k = 0; k < sizeof offs / sizeof *offs; k++) {
            char buf[32];
            size_t n = mb_time_format_iso(t, offs[k], buf, sizeof buf);
            mb_time back;
            int32_t off;
            if (mb_time_parse_iso(buf, n, &back, &off, NULL) != MB_OK ||
                back != t || off != offs[k]) {
                fprintf(stderr, "round trip failed: %s\n", buf);
                bad++;
            }
        }
    }
    MB_CHECK(bad == 0);
}

int main(void)
{
    MB_RUN(test_known_days);
    MB_RUN(test_round_trip);
    MB_RUN(test_valid);
    MB_RUN(test_compact);
    MB_RUN(test_date_parse);
    MB_RUN(test_iso_parse);
    MB_RUN(test_iso_format);
    MB_RUN(test_iso_round_trip);
    return MB_DONE();
}
