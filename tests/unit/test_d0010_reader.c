/*
 * test_d0010_reader.c - the UK D0010 reader (src/formats/d0010_reader.c):
 * a golden Economy 7 file with every record type, UK local time to UTC on
 * both sides of the clock changes, strict errors with their exact
 * file:line:field messages, and lenient skipping of bad groups.
 */
#include "formats/reader.h"

#include <stdlib.h>
#include <unistd.h>

#include "collect.h"
#include "mbtest.h"

#define HDR "ZHV|DS0000IE16|D0010002|N|UPLD|R|EELC|20260701120000||||OPER|\n"

/* 2026-07-01 12:00 BST = 11:00 UTC */
#define CREATED ((mb_version)1782903600 * 1000000)

static const char golden[] =
    HDR
    "026|1200012345679|V|\n"
    "027|01|access arranged|\n"
    "028|E7METER001|R|\n"
    "030|DY|20260115000000|12345.6|||T|P|\n"
    "030|NT|20260115000000|6789.0|||T|P|\n"
    "032|07|V|\n"
    "033|01||\n"
    "026|1900000000013|F|\n"
    "028|S95105287|D|\n"
    "029|02||\n"
    "030|01|20260701000000|81641.0|||F|N|\n"
    "ZPT|DS0000IE16|11||2|20260701120100|\n";

static collect c;

static void test_golden(void)
{
    mb_read_stats s;
    mb_error err;
    MB_CHECK(collect_run(mb_d0010_read, "g.d0010", golden, false, &c, &s,
                         &err) == MB_OK);
    MB_CHECK_STR(err.msg, "");
    MB_CHECK(c.nbegin == 1);
    MB_CHECK(c.created == CREATED);
    MB_CHECK_STR(c.from, "UPLD");
    MB_CHECK_STR(c.to, "EELC");
    MB_CHECK(c.nreads == 3 && c.nblocks == 0);
    MB_CHECK(s.registers == 3 && s.records == 13 && s.lines == 13 &&
             s.skipped == 0);

    cread *r = &c.reads[0];
    MB_CHECK_STR(r->meter, "1200012345679");
    MB_CHECK_STR(r->reg, "DY");
    MB_CHECK_STR(r->serial, "E7METER001");
    MB_CHECK_STR(r->zone, "Europe/London");
    MB_CHECK(r->unit == MB_UNIT_KWH);
    MB_CHECK(r->read_at == 1768435200); /* 2026-01-15 00:00 GMT = UTC */
    MB_CHECK_STR(dec(r->value), "12345.6");
    MB_CHECK(r->read_type == 'R');
    MB_CHECK(r->quality.flag == MB_Q_ACTUAL && r->quality.method == 0 &&
             r->quality.reason == MB_REASON_NONE);
    MB_CHECK(r->version == CREATED);
    MB_CHECK_STR(r->reason_text, "");

    r = &c.reads[1];
    MB_CHECK_STR(r->reg, "NT");
    MB_CHECK_STR(dec(r->value), "6789.0");
    MB_CHECK(r->quality.reason == 7); /* from the 032 that follows it */

    r = &c.reads[2];
    MB_CHECK_STR(r->meter, "1900000000013");
    MB_CHECK_STR(r->serial, "S95105287");
    MB_CHECK_STR(r->reg, "01");
    MB_CHECK(r->read_at == 1782860400); /* 2026-07-01 00:00 BST */
    MB_CHECK(r->read_type == 'D' && r->quality.flag == MB_Q_ESTIMATED);
    MB_CHECK_STR(r->reason_text, "meter reading flag F: reading not valid");
}

/* Reading times in the repeated hour take the earlier (BST) instant. */
static void test_clock_change(void)
{
    static const char text[] =
        HDR
        "026|1200012345679|V|\n"
        "028|M1|R|\n"
        "030|01|20261025013000|10.0|||T|N|\n"
        "030|01|20261025023000|11.0|||T|N|\n"
        "030|01|20260329003000|12.0|||T|N|\n"
        "030|01|20260329023000|13.0|||T|N|\n"
        "ZPT|DS0000IE16|6||1|20260701120100|\n";
    mb_read_stats s;
    mb_error err;
    MB_CHECK(collect_run(mb_d0010_read, "c.d0010", text, false, &c, &s,
                         &err) == MB_OK);
    MB_CHECK(c.nreads == 4);
    MB_CHECK(c.reads[0].read_at == 1792891800 - 3600); /* 00:30Z */
    MB_CHECK(c.reads[1].read_at == 1792891800 + 3600); /* 02:30 GMT */
    MB_CHECK(c.reads[2].read_at == 1774742400 + 1800); /* 00:30 GMT */
    MB_CHECK(c.reads[3].read_at == 1774742400 + 5400); /* 02:30 BST */

    /* 01:30 on 2026-03-29 does not exist in UK local time */
    static const char gap[] =
        HDR
        "026|1200012345679|V|\n"
        "028|M1|R|\n"
        "030|01|20260329013000|12.0|||T|N|\n"
        "ZPT|DS0000IE16|3||1|20260701120100|\n";
    MB_CHECK(collect_run(mb_d0010_read, "gap.d0010", gap, false, &c, &s,
                         &err) == MB_EFORMAT);
    MB_CHECK(!strncmp(err.msg, "gap.d0010:4: field reading date-time: ", 38));
    MB_CHECK(err.line == 4);
    MB_CHECK_STR(err.field, "reading date-time");
}

static void expect_error(const char *text, const char *msg)
{
    mb_read_stats s;
    mb_error err;
    MB_CHECK(collect_run(mb_d0010_read, "t.d0010", text, false, &c, &s,
                         &err) == MB_EFORMAT);
    MB_CHECK_STR(err.msg, msg);
}

static void test_errors(void)
{
    expect_error(HDR "026|1200012345670|V|\n",
                 "t.d0010:2: field MPAN core: expected 13 digits with a "
                 "valid check digit, got '1200012345670'");
    expect_error(HDR "026|120001234567|V|\n",
                 "t.d0010:2: field MPAN core: expected 13 digits with a "
                 "valid check digit, got '120001234567'");
    expect_error(HDR "026|1200012345679|V|\n028|M1|R|\n"
                     "030|01|20260115000000|1.0|||T|N|\n"
                     "ZPT|DS0000IE16|4||1|20260701120100|\n",
                 "t.d0010:5: field record count: footer says 4 records, the "
                 "file has 3 between ZHV and ZPT");
    expect_error(HDR "026|1200012345679|V|\n028|M1|R|\n"
                     "030|01|20260115000000|1.0|||T|N|\n",
                 "t.d0010:4: missing ZPT footer: the file is truncated");
    expect_error(HDR "026|1200012345679|V|\n"
                     "030|01|20260115000000|1.0|||T|N|\n",
                 "t.d0010:3: field record type: 030 record out of order: it "
                 "must follow a 028 record");
    expect_error(HDR "028|M1|R|\n",
                 "t.d0010:2: field record type: 028 record out of order: it "
                 "must follow a 026 record");
    expect_error("026|1200012345679|V|\n",
                 "t.d0010:1: field record type: expected the ZHV header "
                 "first");
    expect_error(HDR "ZPT|DS0000IE16|0||0|20260701120100|\n026|1200012345679|V|\n",
                 "t.d0010:3: data after the ZPT footer");
    expect_error(HDR "ZPT|OTHER|0||0|20260701120100|\n",
                 "t.d0010:2: field file identifier: 'OTHER' does not match "
                 "the ZHV header's");
    expect_error(HDR "026|1200012345679|V|\n028|M1|R|\n"
                     "030|01|20260115000000|-1.0|||T|N|\n",
                 "t.d0010:4: field register reading: expected a "
                 "non-negative decimal, got '-1.0'");
    expect_error(HDR "026|1200012345679|V|\n028|M1|R|\n"
                     "030|01|2026011500|1.0|||T|N|\n",
                 "t.d0010:4: field reading date-time: expected a date-time "
                 "YYYYMMDDhhmmss, got '2026011500'");
    expect_error(HDR "031|x|\n",
                 "t.d0010:2: field record type: unknown D0010 record type "
                 "'031' (expected 026, 027, 028, 029, 030, 032, 033 or ZPT)");
    expect_error("ZHV|F1|D0150001|N|UPLD|R|EELC|20260701120000|\n",
                 "t.d0010:1: field flow identifier: expected D0010 and a "
                 "3-digit version, got 'D0150001'");
    expect_error("", "t.d0010:1: empty file: expected a ZHV header");
}

/* Lenient: a bad 026 is skipped with its 028 and 030; the file's other
 * groups and the footer check still apply. */
static void test_lenient(void)
{
    static const char text[] =
        HDR
        "026|1200012345670|V|\n"
        "028|M0|R|\n"
        "030|01|20260115000000|1.0|||T|N|\n"
        "026|1200012345679|V|\n"
        "028|M1|R|\n"
        "030|01|20260115000000|x|||T|N|\n"
        "030|02|20260115000000|2.0|||T|N|\n"
        "ZPT|DS0000IE16|7||2|20260701120100|\n";
    mb_read_stats s;
    mb_error err;
    MB_CHECK(collect_run(mb_d0010_read, "l.d0010", text, true, &c, &s,
                         &err) == MB_OK);
    MB_CHECK(c.nreads == 1);
    MB_CHECK_STR(c.reads[0].reg, "02");
    MB_CHECK(s.skipped == 4 && s.warnings == 2 && c.nwarnings == 2);
    MB_CHECK_STR(c.warning[0], "l.d0010:2: field MPAN core: expected 13 "
                               "digits with a valid check digit, got "
                               "'1200012345670'");
    MB_CHECK_STR(c.warning[1], "l.d0010:7: field register reading: expected "
                               "a non-negative decimal, got 'x'");
    /* a wrong footer count is an error even when lenient */
    static const char count[] = HDR "026|1200012345679|V|\n"
                                    "ZPT|DS0000IE16|2||1|20260701120100|\n";
    MB_CHECK(collect_run(mb_d0010_read, "l.d0010", count, true, &c, &s,
                         &err) == MB_EFORMAT);
}

int main(void)
{
    if (access("/usr/share/zoneinfo/Europe/London", R_OK) &&
        !getenv("TZDIR")) {
        printf("skipped: no tz database (Europe/London)\n");
        return MB_SKIP;
    }
    MB_RUN(test_golden);
    MB_RUN(test_clock_change);
    MB_RUN(test_errors);
    MB_RUN(test_lenient);
    return MB_DONE();
}
