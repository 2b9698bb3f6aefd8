/*
 * model.h - the canonical reading model every format maps onto.
 *
 * Readers deliver interval data in blocks (one meter, one channel, evenly
 * spaced intervals: typically one NEM12 300 record, i.e. one local day) and
 * register reads one at a time. Every value carries its quality and the
 * version taken from the source data (never the clock at ingest time).
 * Strings and arrays in these structs are borrowed: they are valid only
 * during the callback that receives them.
 */
#ifndef MB_MODEL_H
#define MB_MODEL_H

#include "core/datetime.h"
#include "core/decimal.h"
#include "core/unit.h"

#include <stdint.h>

#define MB_ID_MAX 64 /* longest meter, channel or register id, in bytes */

/* UTC instant, seconds since 1970-01-01T00:00:00Z. */
/* mb_time (core/datetime.h): UTC instant, seconds since the epoch. */

/* Version of a reading: microseconds since the epoch, UTC, from the source
 * (NEM12 UpdateDateTime, file creation time, device time stamp). The newest
 * version wins; an equal version is the same event. 0 means unknown. */
typedef int64_t mb_version;

/* Quality flags (NEM12 letters; UK reads map onto the same set). */
enum {
    MB_Q_ACTUAL = 'A',
    MB_Q_ESTIMATED = 'E',
    MB_Q_SUBSTITUTED = 'S',
    MB_Q_FINAL = 'F',     /* final substitution */
    MB_Q_NULL = 'N',      /* no data */
};

#define MB_REASON_NONE 0xFFFF

/* Position 0..4 of a flag in the order A E S F N (unknown flags count as
 * N), for per-quality counters. */
static inline int mb_quality_index(char flag)
{
    switch (flag) {
    case MB_Q_ACTUAL: return 0;
    case MB_Q_ESTIMATED: return 1;
    case MB_Q_SUBSTITUTED: return 2;
    case MB_Q_FINAL: return 3;
    default: return 4;
    }
}

typedef struct mb_quality {
    char flag;        /* one of MB_Q_* */
    uint8_t method;   /* method flag (NEM 11..79), 0 when none */
    uint16_t reason;  /* reason code (0..999), MB_REASON_NONE when none */
} mb_quality;

/* A run of evenly spaced interval values for one meter and channel. */
typedef struct mb_interval_block {
    const char *meter;      /* NMI, MPAN or other id, <= MB_ID_MAX bytes */
    const char *channel;    /* NEM suffix (E1, B1, Q1...) or register id */
    const char *zone;       /* zone the data is local to: IANA name or a
                               fixed offset such as "+10:00" (NEM) */
    mb_unit unit;           /* values are already in this canonical unit */
    mb_time start;          /* start of the first interval, UTC */
    int32_t interval;       /* length of each interval, seconds */
    uint32_t count;         /* number of values */
    const mb_decimal *values;
    const mb_quality *quality;        /* count entries */
    const char *const *reason_text;   /* NULL, or count entries (each may
                                         be NULL) */
    mb_version version;
} mb_interval_block;

/* A cumulative register read (NEM13, UK D0010). */
typedef struct mb_register_read {
    const char *meter;       /* NMI or MPAN */
    const char *reg;         /* register id (NEM13 suffix, D0010 register) */
    const char *serial;      /* meter serial number, "" when not given */
    const char *zone;        /* as in mb_interval_block */
    mb_unit unit;
    mb_time read_at;         /* instant of the read, UTC */
    mb_decimal value;        /* cumulative register value */
    char read_type;          /* source read type code, 0 when none */
    mb_quality quality;
    const char *reason_text; /* NULL when none */
    mb_version version;
} mb_register_read;

#endif
