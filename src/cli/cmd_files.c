/*
 * cmd_files.c - `meterbase files`: the ingest history with outcomes.
 */
#include "cli/cli.h"
#include "cli/commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: meterbase files [--store URI] [--rejected]\n\n"
    "List every file the store has seen, oldest first: when, outcome,\n"
    "format, size, readings and their effect, the digest, and for rejected\n"
    "files the reason.\n\n"
    "  --store URI   store to read (default $METERBASE_STORE)\n"
    "  --rejected    only rejected files\n";

typedef struct {
    int only_rejected;
    unsigned long n;
} files_ctx;

static mb_status print_file(void *ctx, const mb_file_record *r, mb_error *err)
{
    (void)err;
    files_ctx *c = ctx;
    if (c->only_rejected && r->outcome != MB_FILE_REJECTED)
        return MB_OK;
    char when[32], size[32];
    time_t t = (time_t)r->seen_at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%s  %-8s  %-5s  %9s  %.12s  %s\n", when,
           r->outcome == MB_FILE_APPLIED ? "applied" : "rejected",
           mb_format_name(r->format), mb_cli_bytes((double)r->size, size, sizeof size),
           r->digest, r->name);
    if (r->outcome == MB_FILE_APPLIED)
        printf("%*s%llu values, %llu register reads: new %llu, changed %llu, "
               "unchanged %llu\n", 22, "", (unsigned long long)r->values,
               (unsigned long long)r->registers,
               (unsigned long long)r->added, (unsigned long long)r->changed,
               (unsigned long long)r->unchanged);
    else
        printf("%*sreason: %s\n", 22, "", r->error);
    c->n++;
    return MB_OK;
}

int mb_cmd_files(int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", required_argument, 0, 's'},
        {"rejected", no_argument, 0, 'r'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *uri = NULL;
    files_ctx c = {0};
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': uri = optarg; break;
        case 'r': c.only_rejected = 1; break;
        case 'h': fputs(usage, stdout); return MB_EXIT_OK;
        default: fputs(usage, stderr); return MB_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fputs(usage, stderr);
        return MB_EXIT_USAGE;
    }
    mb_store *s = mb_cli_open_store("files", uri);
    if (!s)
        return MB_EXIT_FAIL;
    mb_error err;
    mb_status st = mb_store_files(s, print_file, &c, &err);
    mb_store_close(s);
    if (st) {
        mb_cli_error("files", &err);
        return MB_EXIT_FAIL;
    }
    printf("%lu file%s\n", c.n, c.n == 1 ? "" : "s");
    return MB_EXIT_OK;
}
