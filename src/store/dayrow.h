/*
 * dayrow.h - the packed row of the embedded store: one local day of one
 * interval series (meter, channel, interval length).
 *
 * A day of half-hourly data is 46, 48 or 50 slots; slot k holds the value
 * whose interval starts k intervals after the local day's start. Each slot
 * keeps the value exactly (units and scale), its quality and version, and
 * the reason text when the source gave one. Rows are encoded compactly
 * (about two bytes per typical value; the layout is in docs/store.md):
 * what most slots share (version, scale, quality) is written once, the
 * slots that differ are listed as exceptions.
 */
#ifndef MB_DAYROW_H
#define MB_DAYROW_H

#include "core/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* First byte of every encoded row: the layout version. */
#define MB_DAYROW_LAYOUT 1

typedef struct mb_dayslot {
    int64_t units;        /* value = units * 10^-scale */
    mb_version version;
    uint16_t reason;      /* MB_REASON_NONE when none */
    uint8_t scale;
    uint8_t method;
    char flag;            /* quality flag; 0 marks an empty slot */
    uint32_t text_len;
    const char *text;     /* reason text, NULL when none; borrowed */
} mb_dayslot;

/* Decode buf[0..len) into slots[0..cap), which is cleared first (empty
 * slots have flag 0). *n receives the number of slots the row spans (last
 * present slot + 1). Text pointers point into buf. MB_EFORMAT, with a
 * message, for anything that is not a well-formed row of at most cap
 * slots. */
mb_status mb_dayrow_decode(const void *buf, size_t len, mb_dayslot *slots,
                           uint32_t cap, uint32_t *n, mb_error *err);

/* Upper bound of the encoded size of slots[0..n). */
size_t mb_dayrow_bound(const mb_dayslot *slots, uint32_t n);

/* Encode slots[0..n) (n > 0, slot n-1 present) into out, which holds at
 * least mb_dayrow_bound bytes; returns the length. */
size_t mb_dayrow_encode(const mb_dayslot *slots, uint32_t n, uint8_t *out);

/* Order of two versions of the same identity that carry the same version
 * number: compares units, scale, quality and reason text, so that the
 * winner of a tie does not depend on arrival order. 0 when identical. */
int mb_dayslot_cmp(const mb_dayslot *a, const mb_dayslot *b);

#endif
