/*
 * commands.h - the subcommands of the meterbase command line.
 *
 * Each command is a function taking the arguments after its name
 * (argv[0] is the command name) and returning the process exit status:
 *   0  success
 *   1  the data had problems (records skipped, files rejected)
 *   2  usage error (bad option or argument)
 *   3  operational failure (I/O, store, server unavailable)
 */
#ifndef MB_CLI_COMMANDS_H
#define MB_CLI_COMMANDS_H

enum { MB_EXIT_OK = 0, MB_EXIT_DATA = 1, MB_EXIT_USAGE = 2, MB_EXIT_FAIL = 3 };

typedef struct mb_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} mb_command;

int mb_cmd_demo(int argc, char **argv);
int mb_cmd_parse(int argc, char **argv);
int mb_cmd_ingest(int argc, char **argv);
int mb_cmd_files(int argc, char **argv);
int mb_cmd_reads(int argc, char **argv);
int mb_cmd_report(int argc, char **argv);
int mb_cmd_verify(int argc, char **argv);
int mb_cmd_gen(int argc, char **argv);
int mb_cmd_cql(int argc, char **argv);

#endif
