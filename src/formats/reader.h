/*
 * reader.h - what every format reader shares: options, the sink that
 * receives records, format detection, and reading a path of any format.
 *
 * Readers are streaming push parsers: they pull lines from an mb_input and
 * push canonical records (core/model.h) into an mb_reader_sink, so memory
 * stays flat whatever the file size. Strict mode stops at the first bad
 * record with an error naming file, line and field; lenient mode reports
 * the bad record through sink->warning, skips it, counts it and goes on.
 */
#ifndef MB_READER_H
#define MB_READER_H

#include "core/model.h"
#include "formats/input.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum mb_format {
    MB_FORMAT_AUTO = 0, /* detect from content */
    MB_FORMAT_NEM12,
    MB_FORMAT_NEM13,
    MB_FORMAT_D0010,
    MB_FORMAT_CSV,
} mb_format;

/* "nem12", "nem13", "d0010", "csv", "auto". */
const char *mb_format_name(mb_format f);
mb_status mb_format_parse(const char *name, mb_format *out, mb_error *err);

/* Detect the format of an input from its first bytes (not consumed).
 * NEM12 and NEM13 share the 100 header: its version field tells them
 * apart; without a header the first record type decides. */
mb_status mb_format_detect(mb_input *in, mb_format *out, mb_error *err);

/* What a file says about itself (NEM 100 header, D0010 header). */
typedef struct mb_source_info {
    const char *name;      /* input name (path, or "archive.zip:member") */
    mb_format format;
    mb_version created;    /* file creation time, 0 when not given */
    const char *from;      /* sending participant, "" when not given */
    const char *to;        /* receiving participant, "" when not given */
} mb_source_info;

/* Receiver of records. Any callback may be NULL. A callback returning non-
 * OK stops the reader, which returns that status (err already filled). */
typedef struct mb_reader_sink {
    void *ctx;
    mb_status (*begin)(void *ctx, const mb_source_info *info, mb_error *err);
    mb_status (*intervals)(void *ctx, const mb_interval_block *b,
                           mb_error *err);
    mb_status (*reg)(void *ctx, const mb_register_read *r, mb_error *err);
    /* A skipped record (lenient) or a notice (e.g. "file has no data");
     * w->msg names file, line and field like an error. */
    void (*warning)(void *ctx, const mb_error *w);
} mb_reader_sink;

typedef struct mb_read_opts {
    mb_format format;  /* MB_FORMAT_AUTO to detect */
    bool lenient;
} mb_read_opts;

/* Counters a reader keeps for one input. */
typedef struct mb_read_stats {
    uint64_t lines;
    uint64_t records;    /* records accepted */
    uint64_t values;     /* interval values delivered */
    uint64_t registers;  /* register reads delivered */
    uint64_t skipped;    /* records skipped (lenient) */
    uint64_t warnings;
} mb_read_stats;

/* The per-format readers; each reads one input to its end. */
mb_status mb_nem_read(mb_input *in, const mb_read_opts *opts,
                      const mb_reader_sink *sink, mb_read_stats *stats,
                      mb_error *err);   /* NEM12 and NEM13 */
mb_status mb_d0010_read(mb_input *in, const mb_read_opts *opts,
                        const mb_reader_sink *sink, mb_read_stats *stats,
                        mb_error *err);
mb_status mb_csv_read(mb_input *in, const mb_read_opts *opts,
                      const mb_reader_sink *sink, mb_read_stats *stats,
                      mb_error *err);

/* Read one input, detecting its format unless opts->format says it. */
mb_status mb_read_input(mb_input *in, const mb_read_opts *opts,
                        const mb_reader_sink *sink, mb_read_stats *stats,
                        mb_error *err);

/* Read every logical input of a path ("-" for stdin; .gz and .zip
 * transparently). stats accumulate over all inputs. */
mb_status mb_read_path(const char *path, const mb_read_opts *opts,
                       const mb_reader_sink *sink, mb_read_stats *stats,
                       mb_error *err);

#endif
