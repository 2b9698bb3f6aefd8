/*
 * write_harness.h - the body of the reader harnesses that round through the
 * canonical writer (fuzz_csv_reader.c, fuzz_d0010_reader.c): any bytes are
 * read strictly and leniently without crashing, and whatever is read is
 * written as CSV and then as JSON Lines.
 */
#ifndef MB_FUZZ_WRITE_HARNESS_H
#define MB_FUZZ_WRITE_HARNESS_H

#include "formats/csv_writer.h"
#include "formats/reader.h"

#include <stdint.h>

typedef mb_status reader_fn(mb_input *in, const mb_read_opts *opts,
                            const mb_reader_sink *sink, mb_read_stats *stats,
                            mb_error *err);

static int read_and_write(const uint8_t *data, size_t size, const char *name,
                          mb_format format, reader_fn *read)
{
    for (int pass = 0; pass < 2; pass++) {
        mb_error err;
        mb_csv_writer *w;
        if (mb_csv_writer_new(NULL, pass ? MB_WRITE_JSONL : MB_WRITE_CSV,
                              MB_WRITE_FULL, &w, &err))
            return 0;
        mb_input *in;
        if (mb_input_open_mem(name, data, size, &in, &err) == MB_OK) {
            mb_reader_sink sink = mb_csv_writer_sink(w);
            mb_read_opts opts = {format, pass == 1};
            mb_read_stats stats = {0};
            (void)read(in, &opts, &sink, &stats, &err);
            mb_input_close(in);
        }
        mb_csv_writer_free(w);
    }
    return 0;
}

#endif
