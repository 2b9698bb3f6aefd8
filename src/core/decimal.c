/*
 * decimal.c - exact scaled-integer decimals (see decimal.h).
 *
 * The parser is on the hot path of every reader (48 values per NEM12 300
 * record), so it is a single pass over the bytes with overflow checks done
 * by the compiler builtins.
 */
#include "core/decimal.h"

#include <string.h>

static const int64_t pow10_tab[19] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL,
    100000000LL, 1000000000LL, 10000000000LL, 100000000000LL,
    1000000000000LL, 10000000000000LL, 100000000000000LL,
    1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
    1000000000000000000LL};

mb_status mb_decimal_parse(const char *s, size_t len, mb_decimal *out)
{
    size_t i = 0;
    int neg = 0;
    if (len && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    /* Accumulate as a negative number so INT64_MIN parses too. */
    int64_t acc = 0;
    int32_t scale = 0;
    int digits = 0, point = 0;
    for (; i < len; i++) {
        unsigned c = (unsigned char)s[i];
        if (c - '0' <= 9) {
            if (__builtin_mul_overflow(acc, 10, &acc) ||
                __builtin_sub_overflow(acc, (int64_t)(c - '0'), &acc))
                return MB_ERANGE;
            digits++;
            if (point && ++scale > MB_DECIMAL_MAX_SCALE)
                return MB_ERANGE;
        } else if (c == '.' && !point) {
            point = 1;
        } else {
            return MB_EFORMAT;
        }
    }
    if (!digits)
        return MB_EFORMAT;
    if (!neg) {
        if (acc == INT64_MIN)
            return MB_ERANGE;
        acc = -acc;
    }
    out->units = acc;
    out->scale = scale;
    return MB_OK;
}

/* Writes sign, magnitude and `scale` decimals; shared by both formatters. */
static size_t format_mag(unsigned __int128 mag, int neg, int32_t scale,
                         char *buf, size_t cap)
{
    char tmp[64];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(mag % 10));
        mag /= 10;
        if (scale && (int32_t)n == scale)
            tmp[n++] = '.';
    } while (mag || (int32_t)n <= scale);
    if (tmp[n - 1] == '.')
        tmp[n++] = '0';
    if (neg)
        tmp[n++] = '-';
    if (n + 1 > cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

size_t mb_decimal_format(mb_decimal d, char *buf, size_t cap)
{
    uint64_t mag = d.units < 0 ? (uint64_t)0 - (uint64_t)d.units
                               : (uint64_t)d.units;
    return format_mag(mag, d.units < 0, d.scale, buf, cap);
}

mb_status mb_decimal_rescale(mb_decimal d, int32_t scale, mb_decimal *out)
{
    if (scale < 0 || scale > MB_DECIMAL_MAX_SCALE)
        return MB_ERANGE;
    if (scale >= d.scale) {
        int64_t u;
        if (__builtin_mul_overflow(d.units, pow10_tab[scale - d.scale], &u))
            return MB_ERANGE;
        out->units = u;
    } else {
        int64_t f = pow10_tab[d.scale - scale];
        if (d.units % f)
            return MB_ERANGE;
        out->units = d.units / f;
    }
    out->scale = scale;
    return MB_OK;
}

mb_status mb_decimal_shift(mb_decimal d, int32_t pow10, mb_decimal *out)
{
    if (pow10 <= 0) {
        int32_t scale = d.scale - pow10;
        if (scale > MB_DECIMAL_MAX_SCALE)
            return MB_ERANGE;
        out->units = d.units;
        out->scale = scale;
        return MB_OK;
    }
    /* Lower the scale first, then multiply what remains. */
    int32_t drop = pow10 < d.scale ? pow10 : d.scale;
    int64_t u = d.units;
    if (pow10 - drop > 18 ||
        __builtin_mul_overflow(u, pow10_tab[pow10 - drop], &u))
        return MB_ERANGE;
    out->units = u;
    out->scale = d.scale - drop;
    return MB_OK;
}

static mb_status align(mb_decimal *a, mb_decimal *b)
{
    int32_t s = a->scale > b->scale ? a->scale : b->scale;
    if (mb_decimal_rescale(*a, s, a) || mb_decimal_rescale(*b, s, b))
        return MB_ERANGE;
    return MB_OK;
}

mb_status mb_decimal_add(mb_decimal a, mb_decimal b, mb_decimal *out)
{
    if (align(&a, &b))
        return MB_ERANGE;
    if (__builtin_add_overflow(a.units, b.units, &out->units))
        return MB_ERANGE;
    out->scale = a.scale;
    return MB_OK;
}

mb_status mb_decimal_sub(mb_decimal a, mb_decimal b, mb_decimal *out)
{
    if (align(&a, &b))
        return MB_ERANGE;
    if (__builtin_sub_overflow(a.units, b.units, &out->units))
        return MB_ERANGE;
    out->scale = a.scale;
    return MB_OK;
}

int mb_decimal_cmp(mb_decimal a, mb_decimal b)
{
    /* Compare in 128 bits so no rescaling can overflow. */
    __int128 x = a.units, y = b.units;
    for (int32_t s = a.scale; s < b.scale; s++)
        x *= 10;
    for (int32_t s = b.scale; s < a.scale; s++)
        y *= 10;
    return (x > y) - (x < y);
}

mb_decimal mb_decimal_normalize(mb_decimal d)
{
    while (d.scale > 0 && d.units % 10 == 0) {
        d.units /= 10;
        d.scale--;
    }
    return d;
}

void mb_decimal_sum_init(mb_decimal_sum *s)
{
    s->units = 0;
    s->scale = 0;
}

/* 10^37 bounds the accumulator so that one more scaling step cannot
 * overflow the 128-bit integer. */
static int sum_too_big(__int128 v)
{
    const __int128 lim = (__int128)pow10_tab[18] * pow10_tab[18] * 10;
    return v > lim || v < -lim;
}

static mb_status sum_raise(mb_decimal_sum *s, int32_t scale)
{
    while (s->scale < scale) {
        s->units *= 10;
        s->scale++;
        if (sum_too_big(s->units))
            return MB_ERANGE;
    }
    return MB_OK;
}

mb_status mb_decimal_sum_add(mb_decimal_sum *s, mb_decimal d)
{
    if (sum_raise(s, d.scale))
        return MB_ERANGE;
    __int128 u = d.units;
    for (int32_t k = d.scale; k < s->scale; k++)
        u *= 10;
    s->units += u;
    return sum_too_big(s->units) ? MB_ERANGE : MB_OK;
}

mb_status mb_decimal_sum_merge(mb_decimal_sum *s, const mb_decimal_sum *o)
{
    mb_decimal_sum b = *o;
    if (sum_raise(s, b.scale) || sum_raise(&b, s->scale))
        return MB_ERANGE;
    s->units += b.units;
    return sum_too_big(s->units) ? MB_ERANGE : MB_OK;
}

size_t mb_decimal_sum_format(const mb_decimal_sum *s, char *buf, size_t cap)
{
    unsigned __int128 mag = s->units < 0
                                ? (unsigned __int128)0 - (unsigned __int128)s->units
                                : (unsigned __int128)s->units;
    return format_mag(mag, s->units < 0, s->scale, buf, cap);
}

mb_status mb_decimal_sum_get(const mb_decimal_sum *s, mb_decimal *out)
{
    if (s->units > INT64_MAX || s->units < INT64_MIN)
        return MB_ERANGE;
    out->units = (int64_t)s->units;
    out->scale = s->scale;
    return MB_OK;
}
