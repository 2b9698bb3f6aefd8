/*
 * cli.h - helpers shared by the subcommands: the --store option, error
 * reporting and number formatting for human-readable output.
 */
#ifndef MB_CLI_H
#define MB_CLI_H

#include "core/error.h"
#include "store/store.h"

#include <stdint.h>
#include <stdio.h>

/* Print "meterbase CMD: message" on stderr. */
void mb_cli_error(const char *cmd, const mb_error *err);

/* Exit status for a failed operation: data problems are 1, bad arguments
 * 2, everything else 3. */
int mb_cli_exit_for(mb_status st);

/* Open the store named by uri (NULL: $METERBASE_STORE or the default
 * path). Prints the error and returns NULL on failure. */
mb_store *mb_cli_open_store(const char *cmd, const char *uri);

/* A local date "YYYY-MM-DD" as days since 1970-01-01; -1 if malformed. */
int mb_cli_parse_day(const char *s, int64_t *day);

/* "1,234,567" into buf (cap >= 32); returns buf. */
const char *mb_cli_count(uint64_t n, char *buf, size_t cap);

/* "12.3 MB" style sizes into buf; returns buf. */
const char *mb_cli_bytes(double bytes, char *buf, size_t cap);

typedef struct mb_report mb_report;
/* The portfolio report as text: months, largest consumers, quality. */
void mb_cli_print_report(const mb_report *r, FILE *out);

#endif
