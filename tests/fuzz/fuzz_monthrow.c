/*
 * fuzz_monthrow.c - libFuzzer harness for the month rows of the embedded
 * store's archive.
 *
 * The input is a stored month row. Whatever splits must encode back to a
 * row that splits into the same days; each day row is then decoded
 * as one of a half-hourly day (errors are fine, crashes are not).
 */
#include "store/dayrow.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mb_monthday a[MB_MONTH_DAYS], b[MB_MONTH_DAYS];
    uint32_t n, m;
    if (mb_monthrow_split(data, size, a, &n, NULL) != MB_OK)
        return 0;
    uint8_t *buf = malloc(mb_monthrow_bound(a, n));
    if (!buf)
        return 0;
    size_t len = mb_monthrow_encode(a, n, buf);
    if (mb_monthrow_split(buf, len, b, &m, NULL) != MB_OK || m != n)
        abort();
    for (uint32_t k = 0; k < n; k++)
        if (a[k].day != b[k].day || a[k].len != b[k].len ||
            memcmp(a[k].row, b[k].row, a[k].len))
            abort();
    free(buf);
    mb_dayslot slots[50];
    uint32_t ns;
    for (uint32_t k = 0; k < n; k++)
        (void)mb_dayrow_decode(a[k].row, a[k].len, slots, 50, &ns, NULL);
    return 0;
}
