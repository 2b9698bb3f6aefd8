/*
 * unit.h - units of measure, canonicalised.
 *
 * Source files spell units freely ("KWH", "kWh", "Wh", "MVArh"). Each
 * spelling maps to one canonical unit and a power of ten: "Wh" is kWh with
 * pow10 = -3, so 1500 Wh becomes 1.500 kWh exactly (see mb_decimal_shift).
 * Case is ignored except where it changes the meaning ("MWh" mega against
 * "mWh", which no meter standard uses and is rejected).
 */
#ifndef MB_UNIT_H
#define MB_UNIT_H

#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

typedef enum mb_unit {
    MB_UNIT_UNKNOWN = 0,
    MB_UNIT_KWH,   /* active energy */
    MB_UNIT_KVARH, /* reactive energy */
    MB_UNIT_KVAH,  /* apparent energy */
    MB_UNIT_KW,    /* active power (demand) */
    MB_UNIT_KVAR,  /* reactive power */
    MB_UNIT_KVA,   /* apparent power */
    MB_UNIT_V,     /* voltage */
    MB_UNIT_A,     /* current */
    MB_UNIT_PF,    /* power factor */
    MB_UNIT_M3,    /* gas or water volume */
    MB_UNIT_MJ,    /* gas energy */
    MB_UNIT_COUNT
} mb_unit;

/* Canonicalise a unit spelling. On success *pow10 is the power of ten that
 * turns a value in the given spelling into the canonical unit (Wh -> -3,
 * MWh -> +3, kWh -> 0). MB_EFORMAT for an unknown unit. */
mb_status mb_unit_parse(const char *s, size_t len, mb_unit *unit,
                        int32_t *pow10);

/* Canonical symbol: "kWh", "kVArh", ... ("" for MB_UNIT_UNKNOWN). */
const char *mb_unit_name(mb_unit unit);

#endif
