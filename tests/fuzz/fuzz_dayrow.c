/*
 * fuzz_dayrow.c - libFuzzer harness for the embedded store's day rows.
 *
 * The first input byte gives the number of slots of the day (1..256), the
 * rest is a stored row. Whatever decodes must encode back to a row that
 * decodes to the same slots.
 */
#include "store/dayrow.h"

#include <stdlib.h>
#include <string.h>

static bool same(const mb_dayslot *a, const mb_dayslot *b)
{
    return a->flag == b->flag && a->units == b->units &&
           a->version == b->version && a->scale == b->scale &&
           a->method == b->method && a->reason == b->reason &&
           a->text_len == b->text_len &&
           (!a->text_len || !memcmp(a->text, b->text, a->text_len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint32_t cap = (uint32_t)data[0] + 1;
    mb_dayslot a[256], b[256];
    uint32_t n, m;
    if (mb_dayrow_decode(data + 1, size - 1, a, cap, &n, NULL) != MB_OK)
        return 0;
    uint8_t *buf = malloc(mb_dayrow_bound(a, n));
    if (!buf)
        return 0;
    size_t len = mb_dayrow_encode(a, n, buf);
    if (mb_dayrow_decode(buf, len, b, cap, &m, NULL) != MB_OK || m != n)
        abort();
    for (uint32_t k = 0; k < n; k++)
        if (!same(&a[k], &b[k]))
            abort();
    free(buf);
    return 0;
}
