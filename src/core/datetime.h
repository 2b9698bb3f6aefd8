/*
 * datetime.h - civil calendar arithmetic and ISO 8601 text, no time zones.
 *
 * Instants are mb_time values: seconds since 1970-01-01T00:00:00Z, no leap
 * seconds. Dates are counted as days since 1970-01-01 in the proleptic
 * Gregorian calendar. "Local" wall-clock times are the same arithmetic
 * applied to a local date and time (days * 86400 + seconds of day); tz.h
 * turns them into instants. The parsers here sit on hot paths of the file
 * readers, so they never use sscanf/strtol and only format a message when
 * the input is bad.
 */
#ifndef MB_DATETIME_H
#define MB_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef int64_t mb_time; /* UTC instant: seconds since 1970-01-01T00:00:00Z */

/* Proleptic Gregorian date -> days since 1970-01-01 (no validation). */
int64_t mb_days_from_civil(int y, int m, int d);
/* Days since 1970-01-01 -> date. */
void mb_civil_from_days(int64_t days, int *y, int *m, int *d);
/* Day of the week of a day number: 0 = Monday .. 6 = Sunday. */
int mb_weekday(int64_t days);
/* True for leap years of the Gregorian calendar. */
bool mb_is_leap(int y);
/* Days in month m (1..12) of year y; 0 for a month out of range. */
int mb_days_in_month(int y, int m);
/* True when y-m-d is a real calendar date. */
bool mb_date_valid(int y, int m, int d);
/* Floor division for day/second arithmetic on negative values (b > 0). */
int64_t mb_floor_div(int64_t a, int64_t b);

/* "2026-03-29T01:30:00+01:00": utc shown at offset offset_s (seconds east
 * of UTC). Offset zero prints "+00:00", never "Z"; an offset with seconds
 * (old local mean times) prints "+HH:MM:SS". Returns the length written
 * (without the NUL); buf needs 32 bytes. */
size_t mb_time_format_iso(mb_time utc, int32_t offset_s, char *buf, size_t cap);

/* Parse "YYYY-MM-DDTHH:MM[:SS]" (or ' ' instead of 'T') followed by an
 * offset as accepted by mb_offset_parse; the whole of s[0..len) must match.
 * Gives the instant and the offset written in the text. MB_EFORMAT on bad
 * syntax or an impossible date/time. */
mb_status mb_time_parse_iso(const char *s, size_t len, mb_time *utc,
                            int32_t *offset_s, mb_error *err);

/* Parse a UTC offset: "Z", "+HH", "+HH:MM", "+HHMM", "+HH:MM:SS" (or '-'),
 * hours 0..23. Gives seconds east of UTC. */
mb_status mb_offset_parse(const char *s, size_t len, int32_t *offset_s,
                          mb_error *err);

/* Parse compact "YYYYMMDD", "YYYYMMDDhhmm" or "YYYYMMDDhhmmss" (NEM12
 * style) as local wall-clock seconds:
 * days_from_civil * 86400 + h * 3600 + m * 60 + s.
 * MB_EFORMAT for any other length, non-digits or impossible dates/times. */
mb_status mb_local_parse_compact(const char *s, size_t len, int64_t *local,
                                 mb_error *err);

/* Parse "YYYY-MM-DD" (exactly ten characters, a real date). */
mb_status mb_date_parse(const char *s, size_t len, int *y, int *m, int *d,
                        mb_error *err);

#endif
