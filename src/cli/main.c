/*
 * main.c - the meterbase command: dispatches to one subcommand.
 *
 * Subcommands live in cmd_<name>.c, one file each; this file only holds the
 * table, the global --help and --version.
 */
#include "cli/commands.h"
#include "version.h"

#include <stdio.h>
#include <string.h>

static const mb_command commands[] = {
    {"demo", mb_cmd_demo, "generate, ingest and report a sample portfolio"},
    {"gen", mb_cmd_gen, "write a deterministic synthetic portfolio"},
    {"parse", mb_cmd_parse, "read meter data files, write canonical readings"},
    {"ingest", mb_cmd_ingest, "apply files to the store, each whole or not at all"},
    {"files", mb_cmd_files, "list the files the store has seen, with outcomes"},
    {"reads", mb_cmd_reads, "one meter's readings, per interval, day or month"},
    {"report", mb_cmd_report, "portfolio consumption by month, top consumers, quality"},
    {"verify", mb_cmd_verify, "check the store and print a digest of its content"},
    {"cql", mb_cmd_cql, "run one CQL statement against Cassandra"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: meterbase COMMAND [OPTIONS] [ARGS]\n\n"
                 "Smart-meter data platform: ingest, store and serve meter "
                 "readings.\n\ncommands:\n");
    for (const mb_command *c = commands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fprintf(out, "\n'meterbase COMMAND --help' describes one command.\n"
                 "Exit status: 0 success, 1 data problems, 2 usage error, "
                 "3 operational failure.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return MB_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return MB_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("meterbase %s\n", MB_VERSION_STRING);
        return MB_EXIT_OK;
    }
    for (const mb_command *c = commands; c->name; c++)
        if (!strcmp(argv[1], c->name))
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "meterbase: unknown command '%s' (see meterbase --help)\n",
            argv[1]);
    return MB_EXIT_USAGE;
}
