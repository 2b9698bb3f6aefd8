/*
 * cmd_compact.c - `meterbase compact`: archive complete months of the
 * store into month rows (docs/store.md, "Month archive").
 */
#include "cli/cli.h"
#include "cli/commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char usage[] =
    "usage: meterbase compact [--store URI] [--keep-days N]\n\n"
    "Archive complete months: every local month that ended at least N days\n"
    "(default 40) before the newest day holding interval data is rewritten\n"
    "into one row per meter channel, so that reading a long range takes a\n"
    "few seeks instead of one per day. The content does not change (the\n"
    "digest of `meterbase verify` stays the same); later data for an\n"
    "archived month is merged into it. Each month is archived in one\n"
    "transaction: an interrupted run leaves whole months archived and the\n"
    "next run goes on from there. `meterbase ingest` runs this with the\n"
    "default after its last file.\n\n"
    "  --store URI     store to compact (default $METERBASE_STORE, else\n"
    "                  ~/.local/share/meterbase/meterbase.db)\n"
    "  --keep-days N   leave months that ended fewer than N days before the\n"
    "                  newest day as day rows (0: archive every complete\n"
    "                  month)\n\n"
    "Exit status: 0 done, 2 usage error, 3 operational failure.\n";

int mb_cmd_compact(int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", required_argument, 0, 's'},
        {"keep-days", required_argument, 0, 'k'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *uri = NULL;
    long keep = MB_COMPACT_KEEP_DAYS;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': uri = optarg; break;
        case 'k': {
            char *end;
            errno = 0;
            keep = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || keep < 0 ||
                keep > 100000) {
                fprintf(stderr, "meterbase compact: --keep-days wants a "
                        "number of days from 0 to 100000, not '%s'\n",
                        optarg);
                return MB_EXIT_USAGE;
            }
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
    mb_store *s = mb_cli_open_store("compact", uri);
    if (!s)
        return MB_EXIT_FAIL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    mb_error err;
    mb_compact_stats cs;
    mb_status st = mb_store_compact(s, (int32_t)keep, &cs, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    mb_store_close(s);
    if (st) {
        mb_cli_error("compact", &err);
        return MB_EXIT_FAIL;
    }
    char b1[32], b2[32];
    printf("archived: %llu months, %s month rows from %s day rows in "
           "%.2f s\n", (unsigned long long)cs.months,
           mb_cli_count(cs.rows, b1, sizeof b1),
           mb_cli_count(cs.days, b2, sizeof b2),
           (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return MB_EXIT_OK;
}
