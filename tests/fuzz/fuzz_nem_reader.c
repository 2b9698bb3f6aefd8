/*
 * fuzz_nem_reader.c - libFuzzer harness for the NEM12/NEM13 reader: every
 * input is read from memory in strict and in lenient mode, through a sink
 * that touches every delivered value, so that out-of-bounds reads of the
 * lent arrays show up under AddressSanitizer.
 */
#include "formats/input.h"
#include "formats/reader.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static mb_status on_block(void *ctx, const mb_interval_block *b, mb_error *e)
{
    (void)e;
    uint64_t *sum = ctx;
    for (uint32_t i = 0; i < b->count; i++) {
        *sum += (uint64_t)b->values[i].units + (uint64_t)b->quality[i].flag;
        if (b->reason_text && b->reason_text[i])
            *sum += strlen(b->reason_text[i]);
    }
    *sum += strlen(b->meter) + strlen(b->channel);
    return MB_OK;
}

static mb_status on_reg(void *ctx, const mb_register_read *r, mb_error *e)
{
    (void)e;
    uint64_t *sum = ctx;
    *sum += (uint64_t)r->value.units + strlen(r->meter) + strlen(r->serial);
    if (r->reason_text)
        *sum += strlen(r->reason_text);
    return MB_OK;
}

static void on_warning(void *ctx, const mb_error *w)
{
    *(uint64_t *)ctx += strlen(w->msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int lenient = 0; lenient < 2; lenient++) {
        uint64_t sum = 0;
        mb_reader_sink sink = {&sum, NULL, on_block, on_reg, on_warning};
        mb_read_opts opts = {MB_FORMAT_AUTO, lenient};
        mb_read_stats stats = {0};
        mb_error err;
        mb_input *in;
        if (mb_input_open_mem("fuzz", data, size, &in, &err))
            return 0;
        mb_nem_read(in, &opts, &sink, &stats, &err);
        mb_input_close(in);
    }
    return 0;
}
