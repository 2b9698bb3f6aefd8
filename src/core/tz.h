/*
 * tz.h - time zones from the system tz database.
 *
 * Zones come from TZif files (RFC 8536, versions 1 to 4) under $TZDIR or
 * /usr/share/zoneinfo, read by our own parser: transitions are searched by
 * bisection, and instants after the last transition follow the POSIX TZ
 * rule in the file's footer (slim tzdata files rely on it), with the rule's
 * transitions precomputed for a few centuries. Fixed offsets ("+10:00",
 * "-05:30", "Z") are zones without transitions; NEM market time is
 * "+10:00". No libc localtime/mktime/TZ environment is used, so everything
 * here is thread-safe. Local wall-clock times are seconds as made by
 * datetime.h (days_from_civil * 86400 + seconds of day).
 */
#ifndef MB_TZ_H
#define MB_TZ_H

#include <stdint.h>

#include "core/datetime.h"
#include "core/error.h"

typedef struct mb_tz mb_tz;

/* Which instant an ambiguous local time (clocks going back) means. */
typedef enum { MB_TZ_EARLIER, MB_TZ_LATER } mb_tz_fold;

/* The zone called name, from a process-wide cache: the zone lives until
 * mb_tz_cache_clear(). Thread-safe. name is an IANA name ("Europe/London",
 * "Australia/Brisbane", "UTC") or a fixed offset ("+10:00", "-05:30",
 * "+1000", "Z"). NULL with MB_EINVAL for a name that is not a zone name
 * (absolute path, "..", odd characters), MB_ENOTFOUND for a missing file,
 * MB_EFORMAT for a file that is not valid TZif, MB_EIO for read errors. */
const mb_tz *mb_tz_get(const char *name, mb_error *err);

/* Free every cached zone. No zone from mb_tz_get may be in use. */
void mb_tz_cache_clear(void);

/* The name the zone was asked for with. */
const char *mb_tz_name(const mb_tz *tz);

/* Seconds east of UTC in force at instant utc. */
int32_t mb_tz_offset(const mb_tz *tz, mb_time utc);

/* Local wall-clock seconds -> instant. An ambiguous local time (clocks
 * going back) gives the earlier or later instant as fold says; a local
 * time skipped by clocks going forward is MB_ERANGE with a message naming
 * the local time and the zone. */
mb_status mb_tz_local_to_utc(const mb_tz *tz, int64_t local, mb_tz_fold fold,
                             mb_time *utc, mb_error *err);

/* The local calendar date containing instant utc, as days since 1970-01-01
 * (see mb_civil_from_days). */
int64_t mb_tz_local_day(const mb_tz *tz, mb_time utc);

/* Local day `days` (days since 1970-01-01): the instant it starts (local
 * midnight; the first instant after it when midnight is skipped; the
 * earlier one when midnight happens twice) and its length in seconds
 * (86400, or 82800 / 90000 on days with a one-hour clock change).
 * MB_ERANGE for days beyond +-10^12. */
mb_status mb_tz_day_bounds(const mb_tz *tz, int64_t days, mb_time *start,
                           int32_t *length, mb_error *err);

/* Lower level, for tests and fuzzing: parse the TZif file in buf[0..len)
 * into a new zone called name, not cached. Free it with mb_tz_free. */
mb_status mb_tz_parse_tzif(const unsigned char *buf, size_t len,
                           const char *name, mb_tz **out, mb_error *err);
void mb_tz_free(mb_tz *tz);

#endif
