/*
 * cmd_report.c - `meterbase report`: portfolio consumption by local month,
 * the largest consumers and data quality, from any store.
 */
#include "analytics/report.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "core/datetime.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: meterbase report [--store URI] [--from DATE] [--to DATE]\n"
    "                        [--top N] [--meters N]\n\n"
    "Portfolio figures: consumption (import) and export by month in each\n"
    "meter's local time, split into actual, estimated and substituted; the\n"
    "largest consumers; counts per quality flag. Totals are exact.\n\n"
    "  --from, --to DATE  range of local dates, both included (default all)\n"
    "  --top N            largest consumers to list (default 10)\n"
    "  --meters N         only the first N meters by id (default all)\n"
    "  --store URI        store to read (default $METERBASE_STORE)\n";

int mb_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", required_argument, 0, 's'},
        {"from", required_argument, 0, 'f'},
        {"to", required_argument, 0, 't'},
        {"top", required_argument, 0, 'n'},
        {"meters", required_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *uri = NULL;
    /* Without dates: everything (years 1900 to 2200). */
    int64_t from_day = mb_days_from_civil(1900, 1, 1);
    int64_t to_day = mb_days_from_civil(2200, 1, 1);
    mb_report_opts o = {.top = 10};
    int ch;
    char *end;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': uri = optarg; break;
        case 'f':
        case 't':
            if (mb_cli_parse_day(optarg, ch == 'f' ? &from_day : &to_day)) {
                fprintf(stderr, "meterbase report: --%s: expected a date "
                        "YYYY-MM-DD, got '%s'\n", ch == 'f' ? "from" : "to",
                        optarg);
                return MB_EXIT_USAGE;
            }
            break;
        case 'n':
        case 'm': {
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || !*optarg) {
                fprintf(stderr, "meterbase report: expected a number, got "
                        "'%s'\n", optarg);
                return MB_EXIT_USAGE;
            }
            if (ch == 'n')
                o.top = v;
            else
                o.max_meters = v;
            break;
        }
        case 'h': fputs(usage, stdout); return MB_EXIT_OK;
        default: fputs(usage, stderr); return MB_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fputs(usage, stderr);
        return MB_EXIT_USAGE;
    }
    o.from_day = from_day;
    o.to_day = to_day;
    mb_store *s = mb_cli_open_store("report", uri);
    if (!s)
        return MB_EXIT_FAIL;
    mb_report *r;
    mb_error err;
    mb_status st = mb_report_build(s, &o, &r, &err);
    mb_store_close(s);
    if (st) {
        mb_cli_error("report", &err);
        return MB_EXIT_FAIL;
    }
    mb_cli_print_report(r, stdout);
    mb_report_free(r);
    return MB_EXIT_OK;
}
