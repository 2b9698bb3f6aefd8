/*
 * csv_writer.h - canonical text output of readings: meterbase's CSV
 * layouts (which csv_reader.c reads back) and JSON Lines with the same
 * field names. This is what `meterbase parse` prints.
 *
 * Interval blocks become one line per value:
 *   meter,channel,start,end,value,unit,quality,method,reason,version[,zone]
 * register reads one line each:
 *   meter,register,read_at,value,unit,read_type,quality,version[,serial,zone]
 * Times carry the UTC offset in force at that instant in the block's zone,
 * values print exactly as mb_decimal_format does, versions as UTC ISO 8601
 * with microseconds when they have a fraction; absent optional values are
 * empty (CSV) or null (JSON). A CSV header line is written before the
 * first row of each layout, and again whenever the layout changes.
 *
 * Output is buffered: to a FILE* (written in large chunks; the FILE* stays
 * the caller's) or to memory (mb_csv_writer_mem). Formatting avoids
 * printf on the per-value path.
 */
#ifndef MB_CSV_WRITER_H
#define MB_CSV_WRITER_H

#include "formats/reader.h"

#include <stdio.h>

typedef enum mb_write_format {
    MB_WRITE_CSV,
    MB_WRITE_JSONL,
} mb_write_format;

/* Flags for mb_csv_writer_new. */
enum {
    /* Also write the zone column (both layouts) and the meter serial
     * (register layout), so that reading the output back loses nothing
     * but reason texts. */
    MB_WRITE_FULL = 1u << 0,
};

typedef struct mb_csv_writer mb_csv_writer;

/* A writer to out, or to memory when out is NULL. */
mb_status mb_csv_writer_new(FILE *out, mb_write_format format, unsigned flags,
                            mb_csv_writer **w, mb_error *err);

/* One line (object) per value of the block. */
mb_status mb_csv_writer_intervals(mb_csv_writer *w, const mb_interval_block *b,
                                  mb_error *err);
/* One line (object) for the read. */
mb_status mb_csv_writer_register(mb_csv_writer *w, const mb_register_read *r,
                                 mb_error *err);

/* Write buffered output to the FILE* and fflush it (no-op for memory). */
mb_status mb_csv_writer_flush(mb_csv_writer *w, mb_error *err);

/* Memory writers: everything written so far (not NUL-terminated). */
const char *mb_csv_writer_mem(const mb_csv_writer *w, size_t *len);

/* Free the writer without flushing; the FILE* is not closed. */
void mb_csv_writer_free(mb_csv_writer *w);

/* A reader sink that writes every block and read it receives to w. */
mb_reader_sink mb_csv_writer_sink(mb_csv_writer *w);

#endif
