/*
 * fuzz_csv_reader.c - libFuzzer harness for the CSV reader
 * (src/formats/csv_reader.c): any bytes are read strictly and leniently
 * without crashing, and whatever is read is written as CSV and JSON Lines
 * by the canonical writer.
 */
#include <stdint.h>

#include "formats/csv_writer.h"
#include "formats/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int pass = 0; pass < 2; pass++) {
        mb_error err;
        mb_csv_writer *w;
        if (mb_csv_writer_new(NULL, pass ? MB_WRITE_JSONL : MB_WRITE_CSV,
                              MB_WRITE_FULL, &w, &err))
            return 0;
        mb_input *in;
        if (mb_input_open_mem("fuzz.csv", data, size, &in, &err) == MB_OK) {
            mb_reader_sink sink = mb_csv_writer_sink(w);
            mb_read_opts opts = {MB_FORMAT_CSV, pass == 1};
            mb_read_stats stats = {0};
            (void)mb_csv_read(in, &opts, &sink, &stats, &err);
            mb_input_close(in);
        }
        mb_csv_writer_free(w);
    }
    return 0;
}
