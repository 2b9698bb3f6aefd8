/*
 * parse_summary.h - per file and channel statistics for `meterbase parse
 * --summary`: meters, days, interval values, exact totals per unit and
 * counts per quality flag, gathered in one streaming pass.
 */
#ifndef MB_PARSE_SUMMARY_H
#define MB_PARSE_SUMMARY_H

#include "formats/reader.h"

#include <stdio.h>

typedef struct mb_summary mb_summary;

mb_status mb_summary_new(FILE *out, mb_summary **s, mb_error *err);
/* Prints the pending file section (if any) and frees. */
void mb_summary_free(mb_summary *s);

/* Sink callbacks; ctx is the mb_summary. Each begin() prints the section
 * of the previous input. */
mb_status mb_summary_begin(void *ctx, const mb_source_info *info,
                           mb_error *err);
mb_status mb_summary_intervals(void *ctx, const mb_interval_block *b,
                               mb_error *err);
mb_status mb_summary_register(void *ctx, const mb_register_read *r,
                              mb_error *err);

/* Print the current input's section now (end of an input). */
void mb_summary_flush(mb_summary *s);

#endif
