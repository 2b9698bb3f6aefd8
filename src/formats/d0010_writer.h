/*
 * d0010_writer.h - writes UK DTC D0010 "Meter Register Readings" flows.
 *
 * Layout (pipe separated, every record ends with '|'):
 *   ZHV|file id|D0010002|from role|from id|to role|to id|created||||OPER|
 *   026|MPAN core|V|                                  one per MPAN
 *   028|meter serial|reading type|                    one per meter
 *   030|register|YYYYMMDDhhmmss|reading|||T|N|        one per register read
 *   ZPT|file id|record count||1|created|
 * The record count in ZPT counts the records between ZHV and ZPT. Times are
 * UK local time (the zone given at open, normally Europe/London).
 */
#ifndef MB_D0010_WRITER_H
#define MB_D0010_WRITER_H

#include "core/model.h"
#include "core/tz.h"

typedef struct mb_d0010_writer mb_d0010_writer;

typedef struct mb_d0010_header {
    const char *file_id;   /* up to 10 characters */
    const char *from_role; /* market role codes, e.g. "D" data collector */
    const char *from_id;   /* market participant ids, e.g. "UDMS" */
    const char *to_role;
    const char *to_id;
    mb_time created;
    const mb_tz *tz;       /* zone of every time written */
} mb_d0010_header;

mb_status mb_d0010_writer_open(const char *path, const mb_d0010_header *h,
                               mb_d0010_writer **out, mb_error *err);

/* 026: the MPAN core (13 digits) the following meters belong to. */
mb_status mb_d0010_write_mpan(mb_d0010_writer *w, const char *mpan,
                              mb_error *err);

/* 028: a meter of the current MPAN and its reading type (e.g. 'C'
 * customer, 'D' data collector, 'R' routine). */
mb_status mb_d0010_write_meter(mb_d0010_writer *w, const char *serial,
                               char reading_type, mb_error *err);

/* 030: one register read of the current meter. */
mb_status mb_d0010_write_read(mb_d0010_writer *w, const char *reg,
                              mb_time read_at, mb_decimal value,
                              mb_error *err);

/* ZPT, flush and close; returns the first error. */
mb_status mb_d0010_writer_close(mb_d0010_writer *w, mb_error *err);
void mb_d0010_writer_discard(mb_d0010_writer *w);

/* Bytes written so far. */
uint64_t mb_d0010_writer_size(const mb_d0010_writer *w);

#endif
