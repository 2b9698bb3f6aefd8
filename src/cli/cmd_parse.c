/*
 * cmd_parse.c - `meterbase parse`: read files of any supported format and
 * write canonical readings (CSV or JSON Lines), or a summary per file and
 * channel.
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/parse_summary.h"
#include "formats/csv_writer.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: meterbase parse [--format F] [--output csv|jsonl] [--lenient]\n"
    "                       [--summary] FILE...\n\n"
    "Read meter data files (NEM12, NEM13, UK D0010, meterbase CSV; '-' is\n"
    "standard input; .gz and .zip are read transparently, every zip member\n"
    "in turn) and write one line per interval value:\n"
    "  meter,channel,start,end,value,unit,quality,method,reason,version\n"
    "and one line per register read:\n"
    "  meter,register,read_at,value,unit,read_type,quality,version\n"
    "(see docs/formats.md). Times carry the meter's local offset; values\n"
    "are exact decimals.\n\n"
    "  --format F      nem12, nem13, d0010 or csv (default: detect)\n"
    "  --output O      csv (default) or jsonl\n"
    "  --full          also the zone and meter serial columns\n"
    "  --lenient       skip bad records (each reported on stderr) instead of\n"
    "                  stopping the file at the first one\n"
    "  --summary       per file and channel: meters, days, interval values,\n"
    "                  exact total per unit, counts per quality flag\n\n"
    "Errors name file, line and field. Exit status: 0 all read, 1 a file\n"
    "had bad data (stopped, or records skipped with --lenient), 2 usage,\n"
    "3 I/O failure.\n";

/* Readers push into either the summary or the writer. */
typedef struct {
    mb_summary *summary;
    mb_csv_writer *w;
} parse_ctx;

static void on_warning(void *ctx, const mb_error *w)
{
    (void)ctx;
    fprintf(stderr, "meterbase parse: warning: %s\n", w->msg);
}

static mb_status on_begin(void *ctx, const mb_source_info *i, mb_error *e)
{
    parse_ctx *c = ctx;
    return c->summary ? mb_summary_begin(c->summary, i, e) : MB_OK;
}

static mb_status on_block(void *ctx, const mb_interval_block *b, mb_error *e)
{
    parse_ctx *c = ctx;
    return c->summary ? mb_summary_intervals(c->summary, b, e)
                      : mb_csv_writer_intervals(c->w, b, e);
}

static mb_status on_reg(void *ctx, const mb_register_read *r, mb_error *e)
{
    parse_ctx *c = ctx;
    return c->summary ? mb_summary_register(c->summary, r, e)
                      : mb_csv_writer_register(c->w, r, e);
}

int mb_cmd_parse(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'},
        {"full", no_argument, 0, 'F'},
        {"lenient", no_argument, 0, 'l'},
        {"summary", no_argument, 0, 's'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    mb_read_opts ro = {0};
    mb_write_format wf = MB_WRITE_CSV;
    unsigned flags = 0;
    int summary = 0;
    mb_error err;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (mb_format_parse(optarg, &ro.format, &err)) {
                mb_cli_error("parse", &err);
                return MB_EXIT_USAGE;
            }
            break;
        case 'o':
            if (!strcmp(optarg, "csv")) wf = MB_WRITE_CSV;
            else if (!strcmp(optarg, "jsonl")) wf = MB_WRITE_JSONL;
            else {
                fprintf(stderr, "meterbase parse: --output: expected csv or "
                        "jsonl, got '%s'\n", optarg);
                return MB_EXIT_USAGE;
            }
            break;
        case 'F': flags |= MB_WRITE_FULL; break;
        case 'l': ro.lenient = true; break;
        case 's': summary = 1; break;
        case 'h': fputs(usage, stdout); return MB_EXIT_OK;
        default: fputs(usage, stderr); return MB_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fputs(usage, stderr);
        return MB_EXIT_USAGE;
    }

    parse_ctx pc = {0};
    mb_status ost = summary ? mb_summary_new(stdout, &pc.summary, &err)
                            : mb_csv_writer_new(stdout, wf, flags, &pc.w, &err);
    if (ost) {
        mb_cli_error("parse", &err);
        return MB_EXIT_FAIL;
    }
    mb_reader_sink sink = {&pc, on_begin, on_block, on_reg, on_warning};
    int rc = MB_EXIT_OK;
    uint64_t skipped = 0;
    for (int i = optind; i < argc; i++) {
        mb_read_stats rs = {0};
        mb_status st = mb_read_path(argv[i], &ro, &sink, &rs, &err);
        skipped += rs.skipped;
        if (pc.summary)
            mb_summary_flush(pc.summary);
        if (st) {
            if (pc.w)
                mb_csv_writer_flush(pc.w, NULL);
            mb_cli_error("parse", &err);
            int code = mb_cli_exit_for(st);
            if (code == MB_EXIT_USAGE)
                code = MB_EXIT_DATA;
            if (code > rc)
                rc = code;
        }
    }
    if (pc.w) {
        if (mb_csv_writer_flush(pc.w, &err)) {
            mb_cli_error("parse", &err);
            rc = MB_EXIT_FAIL;
        }
        mb_csv_writer_free(pc.w);
    }
    mb_summary_free(pc.summary);
    if (skipped) {
        fprintf(stderr, "meterbase parse: %llu bad records skipped\n",
                (unsigned long long)skipped);
        if (rc == MB_EXIT_OK)
            rc = MB_EXIT_DATA;
    }
    return rc;
}
