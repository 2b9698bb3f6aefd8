/*
 * decimal.h - exact decimal quantities as scaled 64-bit integers.
 *
 * A meter value such as "18.300" is kept as units = 18300, scale = 3; its
 * value is units * 10^-scale. Parsing keeps the scale that was written, so
 * printing gives back the same digits ("18.300" stays "18.300"; ".362"
 * prints as "0.362"). Arithmetic is exact: a result that does not fit in
 * 64 bits is an MB_ERANGE error, never a wrap-around. Sums for billing are
 * therefore free of binary floating-point drift.
 */
#ifndef MB_DECIMAL_H
#define MB_DECIMAL_H

#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB_DECIMAL_MAX_SCALE 18
/* Longest text mb_decimal_format writes, with its NUL: sign, 19 digits,
 * point, leading "0." and zeros for scale 18. */
#define MB_DECIMAL_STRLEN 48

typedef struct mb_decimal {
    int64_t units;
    int32_t scale; /* 0 .. MB_DECIMAL_MAX_SCALE */
} mb_decimal;

/* Parse [+-]digits[.digits] or [+-].digits. No exponent, no spaces, no
 * thousands separators. Returns MB_EFORMAT for bad syntax, MB_ERANGE when
 * the digits do not fit in 64 bits or more than 18 decimals are given. */
mb_status mb_decimal_parse(const char *s, size_t len, mb_decimal *out);

/* Write the value with exactly `scale` decimals; returns the length. cap
 * must be at least MB_DECIMAL_STRLEN. */
size_t mb_decimal_format(mb_decimal d, char *buf, size_t cap);

/* Same value at a larger scale (exact), or MB_ERANGE on overflow. A smaller
 * scale is allowed only when the dropped digits are zeros. */
mb_status mb_decimal_rescale(mb_decimal d, int32_t scale, mb_decimal *out);

/* Multiply by 10^pow10 (pow10 may be negative: it then raises the scale).
 * Used to convert Wh to kWh exactly. */
mb_status mb_decimal_shift(mb_decimal d, int32_t pow10, mb_decimal *out);

/* a + b and a - b at the larger of the two scales. */
mb_status mb_decimal_add(mb_decimal a, mb_decimal b, mb_decimal *out);
mb_status mb_decimal_sub(mb_decimal a, mb_decimal b, mb_decimal *out);

/* -1, 0, 1 comparing values (1.50 equals 1.5). */
int mb_decimal_cmp(mb_decimal a, mb_decimal b);

/* The same value with trailing fractional zeros removed. */
mb_decimal mb_decimal_normalize(mb_decimal d);

static inline bool mb_decimal_is_zero(mb_decimal d) { return d.units == 0; }

/* Accumulator for long exact sums (e.g. a year of a portfolio): 128-bit
 * units at a fixed scale. */
typedef struct mb_decimal_sum {
    __int128 units;
    int32_t scale;
} mb_decimal_sum;

void mb_decimal_sum_init(mb_decimal_sum *s);
/* Adds d, raising the accumulator's scale when d has more decimals. */
mb_status mb_decimal_sum_add(mb_decimal_sum *s, mb_decimal d);
/* Adds another accumulator into s. */
mb_status mb_decimal_sum_merge(mb_decimal_sum *s, const mb_decimal_sum *o);
/* Formats the sum exactly (up to 40 digits); cap >= 64. */
size_t mb_decimal_sum_format(const mb_decimal_sum *s, char *buf, size_t cap);
/* The sum as an mb_decimal, or MB_ERANGE if it no longer fits in 64 bits. */
mb_status mb_decimal_sum_get(const mb_decimal_sum *s, mb_decimal *out);

#endif
