/*
 * unit.c - unit spellings to canonical units (see unit.h).
 */
#include "core/unit.h"

#include <strings.h>

static const char *const names[MB_UNIT_COUNT] = {
    "", "kWh", "kVArh", "kVAh", "kW", "kVAr", "kVA", "V", "A", "pf", "m3", "MJ",
};

/* Base spellings without a metric prefix; the prefix is handled apart. */
static const struct {
    const char *base;
    mb_unit unit;
    int32_t base_pow10; /* pow10 of the unprefixed base to the canonical unit */
} bases[] = {
    {"wh", MB_UNIT_KWH, -3},   {"varh", MB_UNIT_KVARH, -3},
    {"vah", MB_UNIT_KVAH, -3}, {"w", MB_UNIT_KW, -3},
    {"var", MB_UNIT_KVAR, -3}, {"va", MB_UNIT_KVA, -3},
    {"v", MB_UNIT_V, 0},       {"a", MB_UNIT_A, 0},
};

mb_status mb_unit_parse(const char *s, size_t len, mb_unit *unit,
                        int32_t *pow10)
{
    if (len == 2 && !strncasecmp(s, "pf", 2)) {
        *unit = MB_UNIT_PF;
        *pow10 = 0;
        return MB_OK;
    }
    if (len == 2 && !strncasecmp(s, "m3", 2)) {
        *unit = MB_UNIT_M3;
        *pow10 = 0;
        return MB_OK;
    }
    if (len == 2 && !strncasecmp(s, "mj", 2)) {
        *unit = MB_UNIT_MJ;
        *pow10 = 0;
        return MB_OK;
    }
    for (int pass = 0; pass < 2; pass++) {
        /* pass 0: no prefix; pass 1: one of k (kilo) or M (mega). */
        int32_t prefix = 0;
        const char *b = s;
        size_t blen = len;
        if (pass == 1) {
            if (len < 2)
                break;
            if (s[0] == 'k' || s[0] == 'K')
                prefix = 3;
            else if (s[0] == 'M')
                prefix = 6;
            else
                break;
            b++;
            blen--;
        }
        for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
            size_t n = 0;
            while (bases[i].base[n])
                n++;
            if (n == blen && !strncasecmp(b, bases[i].base, n)) {
                *unit = bases[i].unit;
                *pow10 = bases[i].base_pow10 + prefix;
                return MB_OK;
            }
        }
    }
    return MB_EFORMAT;
}

const char *mb_unit_name(mb_unit unit)
{
    return (unsigned)unit < MB_UNIT_COUNT ? names[unit] : "";
}
