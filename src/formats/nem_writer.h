/*
 * nem_writer.h - writes AEMO NEM12 (interval) and NEM13 (accumulation)
 * files from the canonical reading model.
 *
 * A file is 100 header, then records, then 900. NEM12 records come as one
 * 200 record per meter channel (mb_nem12_write_channel) followed by its
 * days (mb_nem12_write_day: a 300 record, plus 400 records when the day
 * mixes qualities). NEM13 records are 250 records, a previous and a current
 * read of a cumulative register. NEM files are always in market time
 * (UTC+10 all year): the writer turns instants and versions into market
 * time itself. Output goes through a large buffer with hand-formatted
 * numbers (see outbuf.h), so writing keeps up with the readers.
 */
#ifndef MB_NEM_WRITER_H
#define MB_NEM_WRITER_H

#include "core/model.h"

#include <stdbool.h>

typedef struct mb_nem_writer mb_nem_writer;

/* Header of a file: 100,NEM12|NEM13,DateTime,FromParticipant,ToParticipant. */
typedef struct mb_nem_header {
    bool nem13;         /* false: NEM12 */
    mb_time created;    /* file creation instant (written as market time) */
    const char *from;   /* participant ids, at most 10 characters */
    const char *to;
} mb_nem_header;

/* Identity of a NEM12 channel (200 record) or NEM13 register (250). */
typedef struct mb_nem_channel {
    const char *nmi;         /* 10 characters */
    const char *config;      /* NMIConfiguration, e.g. "E1B1E2" */
    const char *register_id; /* e.g. "1" */
    const char *suffix;      /* NMISuffix, e.g. "E1" (NEM12) or "11" */
    const char *stream;      /* MDMDataStreamIdentifier, "" for none */
    const char *serial;      /* MeterSerialNumber */
    mb_unit unit;
    int32_t interval;        /* NEM12: interval length in seconds (300, 900,
                                1800); unused by NEM13 */
} mb_nem_channel;

/* A NEM13 250 record: two reads of one register. */
typedef struct mb_nem13_read {
    const mb_nem_channel *channel;
    char direction;           /* 'E' export from the grid (consumption),
                                 'I' import to the grid (solar) */
    mb_decimal prev, cur;     /* register values, in channel->unit */
    mb_time prev_at, cur_at;
    mb_quality prev_q, cur_q;
    mb_version version;       /* UpdateDateTime */
} mb_nem13_read;

/* Create path and write the 100 header. */
mb_status mb_nem_writer_open(const char *path, const mb_nem_header *h,
                             mb_nem_writer **out, mb_error *err);

/* NEM12: a 200 record; the days that follow belong to this channel. */
mb_status mb_nem12_write_channel(mb_nem_writer *w, const mb_nem_channel *c,
                                 mb_error *err);

/* NEM12: one market day of the current channel. b must start at a market
 * midnight, hold 86400 / interval values at the channel's interval, and
 * carry a version (UpdateDateTime). Values are written with their own
 * scale; a day whose qualities differ gets QualityMethod V and 400s. */
mb_status mb_nem12_write_day(mb_nem_writer *w, const mb_interval_block *b,
                             mb_error *err);

/* NEM13: one 250 record. Quantity is cur - prev, exactly. */
mb_status mb_nem13_write_read(mb_nem_writer *w, const mb_nem13_read *r,
                              mb_error *err);

/* Write 900, flush and close; returns the first error. */
mb_status mb_nem_writer_close(mb_nem_writer *w, mb_error *err);

/* Close and remove the file (clean-up after an error). NULL is a no-op. */
void mb_nem_writer_discard(mb_nem_writer *w);

/* Bytes written so far. */
uint64_t mb_nem_writer_size(const mb_nem_writer *w);

#endif
