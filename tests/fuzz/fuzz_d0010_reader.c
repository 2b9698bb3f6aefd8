/*
 * fuzz_d0010_reader.c - libFuzzer harness for the D0010 reader
 * (src/formats/d0010_reader.c), read strictly and leniently and written
 * back by the canonical writer (write_harness.h).
 */
#include "write_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return read_and_write(data, size, "fuzz.d0010", MB_FORMAT_D0010,
                          mb_d0010_read);
}
