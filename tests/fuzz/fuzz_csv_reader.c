/*
 * fuzz_csv_reader.c - libFuzzer harness for the CSV reader
 * (src/formats/csv_reader.c), read strictly and leniently and written back
 * by the canonical writer (write_harness.h).
 */
#include "write_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return read_and_write(data, size, "fuzz.csv", MB_FORMAT_CSV, mb_csv_read);
}
