/*
 * nem_reader.c - streaming reader for AEMO NEM12 (interval) and NEM13
 * (accumulated) meter data files; mb_nem_read in formats/reader.h.
 *
 * A file is a sequence of comma-separated records: 100 header, then per
 * meter stream a 200 (NEM12) followed by 300 day records (each with its
 * 400 quality records when its quality is V, and optional 500 meter-read
 * records), or 250 register-read records (NEM13, with optional 550s), and a
 * 900 end record. Each 300 becomes one mb_interval_block, each 250 two
 * mb_register_read (previous and current read). Times are NEM market time,
 * the fixed zone UTC+10.
 *
 * Speed: lines come zero-copy from mb_input; the 300 record is parsed in a
 * single pass, eight bytes at a time for the usual short values, into
 * arrays that live in the reader state and are lent to the sink. Other
 * records are split in place into (pointer, length) fields. Nothing is
 * allocated per record.
 *
 * Versions: a record's UpdateDateTime, else the 100 header's DateTime; a
 * record with neither is an error. Structure: strict mode wants exactly one
 * 100..900 block and no blank lines; lenient mode accepts blank lines, a
 * missing 100 header and several blocks with a warning each, and counts a
 * missing 900 as a skipped record.
 *
 * Decisions where the specification leaves room (see also the unit tests):
 *  - IntervalLength 5, 10, 15 or 30 (the spec names 5, 15 and 30; AEMO's
 *    own examples use 10 for a voltage stream).
 *  - Values are Numeric(15.6): at most 9 integer digits (leading zeros not
 *    counted) and 6 decimals, no exponent, no sign. Negative values are
 *    rejected except for power factor (pf), the one NEM12 quantity that is
 *    signed (leading/lagging); energy direction is in the suffix instead.
 *  - NMI: 1 to 10 letters or digits. An 11th character (the NMI checksum
 *    of other AEMO transactions) is not part of NEM12/NEM13 and rejected.
 *  - Fields other than interval values may carry surrounding spaces (AEMO's
 *    NEM13 examples do); trailing empty fields (spreadsheet padding) are
 *    ignored; MSATSLoadDateTime may be absent. Date-times are
 *    YYYYMMDDhhmmss or YYYYMMDDhhmm.
 *  - An empty UOM (seen on AEMO's voltage example) gives MB_UNIT_UNKNOWN
 *    and a warning; an unknown UOM is an error.
 *  - 500 and 550 records are validated and otherwise ignored: the model
 *    has no place for transaction codes and service orders.
 *  - Lenient mode reports a bad record once and skips it together with the
 *    records that depend on it (a bad 200 takes its 300/400/500 records, a
 *    bad 300 or 400 the whole day); every dropped record counts in
 *    stats->skipped.
 */
#include "formats/reader.h"

#include "core/datetime.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEM_ZONE "+10:00"
#define NEM_OFFSET (10 * 3600) /* market time is UTC+10 all year */
#define MAX_VALUES 288         /* 5-minute intervals in a day */
#define MAX_FIELDS 32          /* widest record (250) has 24 fields */
#define DESC_MAX 240           /* ReasonDescription is Varchar(240) */

typedef struct {
    const char *p;
    size_t n;
} field;

/* A date or date-time text and the instant it gave. */
typedef struct {
    char text[14];
    size_t n; /* 0: none yet */
    mb_time utc;
} stamp;

enum { ST_START, ST_BLOCK, ST_ENDED };
enum { SKIP_NONE, SKIP_DAY, SKIP_STREAM };

typedef struct nem {
    const char *name;
    bool lenient;
    mb_format want;    /* format the caller asked for, or AUTO */
    mb_format format;  /* of the current block */
    const mb_reader_sink *sink;
    mb_read_stats *stats;
    mb_error *err;
    bool rec_error;    /* err holds a record error (lenient may skip) */
    long line;

    int state;
    bool begun;        /* sink->begin called */
    bool header;       /* current block has a 100 header */
    mb_version created;
    uint64_t data_records;
    int skip;          /* SKIP_*: records depending on a bad one */
    bool warned_blank;

    /* current 200 */
    bool have_200;
    char nmi[16], suffix[8];
    mb_unit unit;
    int32_t pow10;
    bool allow_negative;
    int minutes;
    uint32_t n;

    /* the last date, date-time and unit texts parsed, which repeat from
     * record to record (the same day for every NMI of a file, one
     * UpdateDateTime, one unit) */
    stamp date_seen, time_seen;
    char uom_text[16];
    size_t uom_n;
    mb_unit uom_unit;
    int32_t uom_pow10;

    /* current NEM13 250, for its 550s */
    bool have_250;

    /* pending 300 with quality V, waiting for its 400s */
    bool pending;
    long pending_line;
    uint32_t pending_400s;
    mb_time start;
    mb_version version;
    bool has_text;

    field f[MAX_FIELDS];
    int nf;
    bool extra;        /* non-empty fields beyond MAX_FIELDS */

    uint32_t comma[MAX_VALUES];    /* offsets of a 300's value commas */
    mb_decimal values[MAX_VALUES];
    mb_quality quality[MAX_VALUES];
    const char *reason_text[MAX_VALUES];
    uint32_t text_off[MAX_VALUES]; /* 1 + offset into text, 0 for none */
    size_t text_len;
    char text[(MAX_VALUES + 1) * (DESC_MAX + 1)];
} nem;

/* ---- messages ----------------------------------------------------------- */

/* Quote input for a message: at most 40 bytes, control bytes escaped. */
static const char *show(char *buf, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == 40) {
            o += (size_t)snprintf(buf + o, cap - o, "...");
            break;
        }
        if (c < 0x20 || c >= 0x7f)
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
        else
            buf[o++] = (char)c;
    }
    buf[o] = '\0';
    return buf;
}

static mb_status bad(nem *r, const char *fieldname, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static mb_status bad(nem *r, const char *fieldname, const char *fmt, ...)
{
    char text[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    r->rec_error = true;
    return mb_error_at(r->err, MB_EFORMAT, r->name, r->line, fieldname, "%s",
                       text);
}

/* "expected WHAT, got 'FIELD'" (or "got nothing" for an empty field). */
static mb_status bad_field(nem *r, const char *fieldname, const field *f,
                           const char *what)
{
    char q[200];
    if (!f->n)
        return bad(r, fieldname, "expected %s, got nothing", what);
    const char *hint = "";
    if (memchr(f->p, 'E', f->n) && memchr(f->p, '+', f->n))
        hint = " (a spreadsheet seems to have reformatted it)";
    return bad(r, fieldname, "expected %s, got '%s'%s", what,
               show(q, sizeof q, f->p, f->n), hint);
}

static void warn(nem *r, const char *fieldname, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void warn(nem *r, const char *fieldname, const char *fmt, ...)
{
    r->stats->warnings++;
    if (!r->sink->warning)
        return;
    char text[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    mb_error w;
    mb_error_at(&w, MB_EFORMAT, r->name, r->line, fieldname, "%s", text);
    r->sink->warning(r->sink->ctx, &w);
}

/* ---- fields ------------------------------------------------------------- */

static bool is_digit(char c) { return (unsigned)(c - '0') <= 9; }

static bool is_alnum(char c)
{
    return is_digit(c) || (unsigned)((c | 0x20) - 'a') <= 25;
}

static field trim(const char *p, size_t n)
{
    while (n && p[0] == ' ')
        p++, n--;
    while (n && p[n - 1] == ' ')
        n--;
    return (field){p, n};
}

/* Split s[0..n) at commas into r->f, trimming spaces. Fields beyond
 * MAX_FIELDS must be empty (padding); r->extra says when they are not. */
static void split(nem *r, const char *s, size_t n)
{
    const char *end = s + n;
    r->nf = 0;
    r->extra = false;
    for (;;) {
        const char *c = memchr(s, ',', (size_t)(end - s));
        const char *fe = c ? c : end;
        if (r->nf == MAX_FIELDS) {
            for (const char *q = s; q < end; q++)
                if (*q != ',' && *q != ' ')
                    r->extra = true;
            return;
        }
        r->f[r->nf++] = trim(s, (size_t)(fe - s));
        if (!c)
            return;
        s = c + 1;
    }
}

/* The record's fields must be `want` at most (optional ones may be
 * absent), and anything after that empty padding. */
static mb_status check_extra(nem *r, int want, const char *last)
{
    for (int i = want; i < r->nf; i++)
        if (r->f[i].n) {
            char q[200];
            return bad(r, NULL,
                       "expected at most %d fields (the last is %s), got "
                       "'%s' in field %d",
                       want, last, show(q, sizeof q, r->f[i].p, r->f[i].n),
                       i + 1);
        }
    if (r->extra)
        return bad(r, NULL, "expected at most %d fields (the last is %s), "
                   "got more", want, last);
    return MB_OK;
}

/* Field i must be present (it may be empty). */
static mb_status need(nem *r, int i, const char *fieldname)
{
    if (i < r->nf)
        return MB_OK;
    return bad(r, fieldname, "expected a field, got end of record");
}

/* Identifier of min..max characters; alnum_only restricts it to letters
 * and digits, otherwise printable ASCII. */
static mb_status id_field(nem *r, const field *f, const char *fieldname,
                          size_t min, size_t max, bool alnum_only)
{
    char what[120];
    bool ok = f->n >= min && f->n <= max;
    for (size_t i = 0; ok && i < f->n; i++)
        ok = alnum_only ? is_alnum(f->p[i])
                        : f->p[i] > 0x20 && f->p[i] < 0x7f;
    if (ok)
        return MB_OK;
    if (min == max)
        snprintf(what, sizeof what, "%zu %s", min,
                 alnum_only ? "letters or digits" : "characters");
    else
        snprintf(what, sizeof what, "%zu to %zu %s", min, max,
                 alnum_only ? "letters or digits" : "printable characters");
    return bad_field(r, fieldname, f, what);
}

/* ---- dates and times ---------------------------------------------------- */

static int two(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

static inline uint64_t load8(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Text f of n_a or n_b bytes as the UTC instant of that market time, from
 * the cache when it is the text parsed last time. */
static bool stamp_parse(stamp *c, const field *f, size_t n_a, size_t n_b,
                        mb_time *utc)
{
    /* Every stamp is 8 to 14 bytes: compare the first and the last 8. */
    if (c->n && f->n == c->n && load8(f->p) == load8(c->text) &&
        load8(f->p + f->n - 8) == load8(c->text + c->n - 8)) {
        *utc = c->utc;
        return true;
    }
    int64_t local = 0;
    if ((f->n != n_a && f->n != n_b) ||
        mb_local_parse_compact(f->p, f->n, &local, NULL))
        return false;
    *utc = c->utc = local - NEM_OFFSET;
    memcpy(c->text, f->p, f->n);
    c->n = f->n;
    return true;
}

/* IntervalDate and other YYYYMMDD fields: UTC instant of 00:00 market
 * time that day. */
static mb_status date_field(nem *r, const field *f, const char *fieldname,
                            mb_time *utc)
{
    if (!stamp_parse(&r->date_seen, f, 8, 8, utc))
        return bad_field(r, fieldname, f, "a date YYYYMMDD");
    return MB_OK;
}

static mb_status datetime_field(nem *r, const field *f, const char *fieldname,
                                mb_time *utc)
{
    if (!stamp_parse(&r->time_seen, f, 12, 14, utc))
        return bad_field(r, fieldname, f, "a date-time YYYYMMDDhhmmss");
    return MB_OK;
}

/* Version of a record: its UpdateDateTime, else the 100 DateTime. */
static mb_status version_field(nem *r, const field *f, mb_version *v)
{
    if (!f->n) {
        if (!r->header)
            return bad(r, "UpdateDateTime",
                       "expected a date-time YYYYMMDDhhmmss (the file has "
                       "no 100 header to date the data), got nothing");
        *v = r->created;
        return MB_OK;
    }
    mb_time t = 0;
    mb_status st = datetime_field(r, f, "UpdateDateTime", &t);
    if (!st)
        *v = (mb_version)t * 1000000;
    return st;
}

/* ---- values and quality ------------------------------------------------- */

/* Any value that missed the fast path: signs, long digit runs, junk. */
static mb_status value_slow(nem *r, const field *f, const char *fieldname,
                            bool allow_negative, mb_decimal *out)
{
    static const int64_t lim[7] = {
        1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL,
        10000000000000LL, 100000000000000LL, 1000000000000000LL};
    const char *what = allow_negative
                           ? "a decimal number (at most 9 digits before "
                             "and 6 after the point)"
                           : "a decimal number >= 0 (at most 9 digits "
                             "before and 6 after the point)";
    if (!f->n || f->p[0] == '+' || (f->p[0] == '-' && !allow_negative) ||
        mb_decimal_parse(f->p, f->n, out) || out->scale > 6 ||
        out->units >= lim[out->scale] || out->units <= -lim[out->scale])
        return bad_field(r, fieldname, f, what);
    return MB_OK;
}

static bool is_upper(char c) { return (unsigned)(c - 'A') <= 25; }

/* QualityMethod: A, N or V alone; S, F or E with a 2-digit method. */
static mb_status quality_field(nem *r, const field *f, const char *fieldname,
                               bool allow_v, mb_quality *q)
{
    const char *what = allow_v ? "a quality A, N, V or S/F/E with a method "
                                 "11..79 (e.g. 'A', 'S53')"
                               : "a quality A, N or S/F/E with a method "
                                 "11..79 (e.g. 'A', 'E52')";
    if (!f->n)
        return bad_field(r, fieldname, f, what);
    char c = f->p[0];
    if (f->n == 1 && (c == 'A' || c == 'N' || (c == 'V' && allow_v))) {
        q->flag = c;
        q->method = 0;
        return MB_OK;
    }
    if (f->n == 3 && (c == 'S' || c == 'F' || c == 'E') &&
        is_digit(f->p[1]) && is_digit(f->p[2])) {
        int m = two(f->p + 1);
        if (m >= 11 && m <= 79) {
            q->flag = c;
            q->method = (uint8_t)m;
            return MB_OK;
        }
    }
    return bad_field(r, fieldname, f, what);
}

static mb_status reason_field(nem *r, const field *f, const char *fieldname,
                              uint16_t *reason)
{
    if (!f->n) {
        *reason = MB_REASON_NONE;
        return MB_OK;
    }
    unsigned v = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (f->n > 3 || !is_digit(f->p[i]))
            return bad_field(r, fieldname, f, "a reason code 0..999");
        v = v * 10 + (unsigned)(f->p[i] - '0');
    }
    *reason = (uint16_t)v;
    return MB_OK;
}

static mb_status desc_field(nem *r, const field *f, const char *fieldname)
{
    if (f->n > DESC_MAX)
        return bad_field(r, fieldname, f, "at most 240 characters");
    return MB_OK;
}

static mb_status uom_field(nem *r, const field *f, mb_unit *unit,
                           int32_t *pow10)
{
    if (!f->n) {
        *unit = MB_UNIT_UNKNOWN;
        *pow10 = 0;
        warn(r, "UOM", "no unit of measure given; values are delivered "
                       "without a unit");
        return MB_OK;
    }
    if (f->n == r->uom_n && !memcmp(f->p, r->uom_text, f->n)) {
        *unit = r->uom_unit;
        *pow10 = r->uom_pow10;
        return MB_OK;
    }
    if (mb_unit_parse(f->p, f->n, unit, pow10))
        return bad_field(r, "UOM", f, "a unit of measure such as kWh, Wh, "
                                      "kVArh, kW, V or pf");
    if (f->n <= sizeof r->uom_text) {
        memcpy(r->uom_text, f->p, f->n);
        r->uom_n = f->n;
        r->uom_unit = *unit;
        r->uom_pow10 = *pow10;
    }
    return MB_OK;
}

/* ---- sink --------------------------------------------------------------- */

static mb_status begin(nem *r)
{
    if (r->begun)
        return MB_OK;
    r->begun = true;
    if (!r->sink->begin)
        return MB_OK;
    mb_source_info info = {r->name, r->format, r->created, "", ""};
    char from[MB_ID_MAX + 1], to[MB_ID_MAX + 1];
    if (r->header) {
        snprintf(from, sizeof from, "%.*s", (int)r->f[3].n, r->f[3].p);
        snprintf(to, sizeof to, "%.*s", (int)r->f[4].n, r->f[4].p);
        info.from = from;
        info.to = to;
    }
    return r->sink->begin(r->sink->ctx, &info, r->err);
}

/* Hand the current day to the sink (unit conversion done here). */
static mb_status deliver(nem *r)
{
    if (r->pow10)
        for (uint32_t i = 0; i < r->n; i++)
            if (mb_decimal_shift(r->values[i], r->pow10, &r->values[i]))
                return bad(r, "IntervalValue", "value %u does not fit "
                           "once converted to %s", i + 1,
                           mb_unit_name(r->unit));
    if (r->has_text)
        for (uint32_t i = 0; i < r->n; i++)
            r->reason_text[i] =
                r->text_off[i] ? r->text + r->text_off[i] - 1 : NULL;
    mb_interval_block b = {
        .meter = r->nmi,
        .channel = r->suffix,
        .zone = NEM_ZONE,
        .unit = r->unit,
        .start = r->start,
        .interval = r->minutes * 60,
        .count = r->n,
        .values = r->values,
        .quality = r->quality,
        .reason_text = r->has_text ? r->reason_text : NULL,
        .version = r->version,
    };
    r->stats->values += r->n;
    return r->sink->intervals ? r->sink->intervals(r->sink->ctx, &b, r->err)
                              : MB_OK;
}

/* Copy a description into the text arena; returns its 1-based offset. */
static uint32_t keep_text(nem *r, const field *f)
{
    uint32_t off = (uint32_t)r->text_len + 1;
    memcpy(r->text + r->text_len, f->p, f->n);
    r->text[r->text_len + f->n] = '\0';
    r->text_len += f->n + 1;
    r->has_text = true;
    return off;
}

/* The V day is complete: check the 400s covered it, deliver it. */
static mb_status finish_day(nem *r)
{
    r->pending = false;
    for (uint32_t i = 0; i < r->n; i++)
        if (!r->quality[i].flag) {
            uint32_t j = i;
            while (j + 1 < r->n && !r->quality[j + 1].flag)
                j++;
            long line = r->line;
            r->line = r->pending_line; /* the error is the 300's */
            mb_status st = bad(r, "QualityMethod",
                               "expected 400 records covering intervals "
                               "1..%u of this V record, got none for "
                               "intervals %u..%u",
                               r->n, i + 1, j + 1);
            r->line = line;
            return st;
        }
    r->stats->records += 1 + r->pending_400s;
    return deliver(r);
}

/* ---- records ------------------------------------------------------------ */

static mb_status rec_100(nem *r)
{
    mb_status st;
    if ((st = need(r, 1, "VersionHeader")) || (st = need(r, 2, "DateTime")))
        return st;
    const field *v = &r->f[1];
    mb_format fmt;
    if (v->n == 5 && !memcmp(v->p, "NEM12", 5))
        fmt = MB_FORMAT_NEM12;
    else if (v->n == 5 && !memcmp(v->p, "NEM13", 5))
        fmt = MB_FORMAT_NEM13;
    else
        return bad_field(r, "VersionHeader", v, "NEM12 or NEM13");
    if (r->want != MB_FORMAT_AUTO && r->want != fmt)
        return bad_field(r, "VersionHeader", v,
                         r->want == MB_FORMAT_NEM12 ? "NEM12 (as requested)"
                                                    : "NEM13 (as requested)");
    mb_time t = 0;
    if ((st = datetime_field(r, &r->f[2], "DateTime", &t)))
        return st;
    for (int i = 3; i < 5 && i < r->nf; i++)
        if ((st = id_field(r, &r->f[i], i == 3 ? "FromParticipant"
                                               : "ToParticipant",
                           0, MB_ID_MAX, false)))
            return st;
    if ((st = check_extra(r, 5, "ToParticipant")))
        return st;
    while (r->nf < 5)
        r->f[r->nf++] = (field){"", 0};
    r->format = fmt;
    r->header = true;
    r->created = (mb_version)t * 1000000;
    r->state = ST_BLOCK;
    r->have_200 = r->have_250 = false;
    r->stats->records++;
    return begin(r);
}

/* Fields 2..7 of a 200 or 250 record: NMI, NMIConfiguration, RegisterID,
 * NMISuffix, MDMDataStreamIdentifier, MeterSerialNumber. */
static mb_status stream_ids(nem *r)
{
    mb_status st;
    if ((st = id_field(r, &r->f[1], "NMI", 1, 10, true)) ||
        (st = id_field(r, &r->f[2], "NMIConfiguration", 1, DESC_MAX, true)) ||
        (st = id_field(r, &r->f[3], "RegisterID", 0, 10, false)) ||
        (st = id_field(r, &r->f[4], "NMISuffix", 2, 2, true)) ||
        (st = id_field(r, &r->f[5], "MDMDataStreamIdentifier", 0, 2, true)))
        return st;
    return id_field(r, &r->f[6], "MeterSerialNumber", 0, 12, false);
}

static mb_status rec_200(nem *r)
{
    mb_status st;
    r->have_200 = false;
    if ((st = need(r, 8, "IntervalLength")) ||
        (st = stream_ids(r)))
        return st;
    const field *il = &r->f[8];
    int minutes = il->n == 1 && il->p[0] == '5' ? 5
                  : il->n == 2 && !memcmp(il->p, "10", 2) ? 10
                  : il->n == 2 && !memcmp(il->p, "15", 2) ? 15
                  : il->n == 2 && !memcmp(il->p, "30", 2) ? 30
                                                          : 0;
    if (!minutes)
        return bad_field(r, "IntervalLength", il, "5, 10, 15 or 30 minutes");
    if (r->nf > 9 && r->f[9].n) {
        mb_time t = 0;
        if ((st = date_field(r, &r->f[9], "NextScheduledReadDate", &t)))
            return st;
    }
    if ((st = check_extra(r, 10, "NextScheduledReadDate")))
        return st;
    if ((st = uom_field(r, &r->f[7], &r->unit, &r->pow10)))
        return st;
    memcpy(r->nmi, r->f[1].p, r->f[1].n);
    r->nmi[r->f[1].n] = '\0';
    memcpy(r->suffix, r->f[4].p, 2);
    r->suffix[2] = '\0';
    r->allow_negative = r->unit == MB_UNIT_PF;
    r->minutes = minutes;
    r->n = (uint32_t)(1440 / minutes);
    r->have_200 = true;
    r->stats->records++;
    return MB_OK;
}

/* Eight digit bytes (0..9, the most significant first in memory) as a
 * number, without a loop (the SWAR method of simdjson and fast_float). */
static inline uint64_t eight_digits(uint64_t v)
{
    v = v * 10 + (v >> 8);
    return (((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
            (((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
           32;
}

/* Offsets of the first `want` commas in s[0..len); returns how many were
 * found. Eight bytes at a time, so that the values' bounds are known
 * before any is parsed and the parses do not wait for each other. */
static uint32_t find_commas(const char *s, size_t len, uint32_t *pos,
                            uint32_t want)
{
    uint32_t k = 0;
    size_t i = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; i + 8 <= len && k < want; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t y = w ^ 0x2C2C2C2C2C2C2C2CULL; /* commas become zero */
        uint64_t m = ~(((y & 0x7F7F7F7F7F7F7F7FULL) + 0x7F7F7F7F7F7F7F7FULL) |
                       y) &
                     0x8080808080808080ULL;
        for (; m && k < want; m &= m - 1)
            pos[k++] = (uint32_t)(i + ((unsigned)__builtin_ctzll(m) >> 3));
    }
#endif
    for (; i < len && k < want; i++)
        if (s[i] == ',')
            pos[k++] = (uint32_t)i;
    return k;
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The low n bytes (1..8) of w, first in memory lowest, as digits[.digits]
 * with at most 6 decimals. False when they are anything else. */
static inline bool word_value(uint64_t w, size_t n, mb_decimal *out)
{
    uint64_t keep = ~0ULL >> ((8 - n) * 8);
    uint64_t x = (w ^ 0x3030303030303030ULL) & keep; /* digits: 0..9 */
    uint64_t nd = ((x + 0x7676767676767676ULL) | w) & 0x8080808080808080ULL &
                  keep;
    unsigned nf = 0;
    if (nd) {
        /* One non-digit, a '.', not alone and with at most 6 decimals:
         * close the gap it leaves. */
        unsigned dot = (unsigned)__builtin_ctzll(nd) >> 3;
        nf = (unsigned)n - dot - 1;
        if ((nd & (nd - 1)) || (uint8_t)(w >> (dot * 8)) != '.' || n == 1 ||
            nf > 6)
            return false;
        uint64_t low = (1ULL << (dot * 8)) - 1;
        x = (x & low) | ((x >> 8) & ~low);
        n--;
    }
    out->units = (int64_t)eight_digits(x << ((8 - n) * 8));
    out->scale = (int32_t)nf;
    return true;
}
#endif

/* The common interval value s[0..n): digits[.digits] with at most 9 and
 * 6 of them. False when it needs the careful path (value_slow), which
 * also reports it. `avail` bytes are readable from s (n <= avail). */
static inline bool fast_value(const char *s, size_t n, size_t avail,
                              mb_decimal *out)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n - 1 < 8 && avail >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        return word_value(w, n, out);
    }
#endif
    (void)avail;
    size_t i = 0, ni, nf = 0;
    uint64_t acc = 0;
    while (i < n && is_digit(s[i]))
        acc = acc * 10 + (uint64_t)(s[i++] - '0');
    ni = i;
    if (i < n && s[i] == '.') {
        size_t fs = ++i;
        while (i < n && is_digit(s[i]))
            acc = acc * 10 + (uint64_t)(s[i++] - '0');
        nf = i - fs;
    }
    if (i != n || !(ni + nf) || ni > 9 || nf > 6)
        return false;
    out->units = (int64_t)acc;
    out->scale = (int32_t)nf;
    return true;
}

/* The usual 300 record: each of the n values is under 8 bytes, plain
 * digits[.digits], and followed by a comma. One 8-byte load per value
 * finds its comma and parses it. Returns where the field after the n-th
 * value starts, or NULL when any value needs the general path (which then
 * parses, or reports, the record from the start). */
static const char *fast_values(const char *p, const char *end, uint32_t n,
                               mb_decimal *out)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (uint32_t i = 0; i < n; i++) {
        if (end - p < 8)
            return NULL;
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t y = w ^ 0x2C2C2C2C2C2C2C2CULL; /* commas become zero */
        /* The lowest flagged byte is the first comma (higher flags may be
         * false positives, which ctz never sees). */
        uint64_t m = (y - 0x0101010101010101ULL) & ~y & 0x8080808080808080ULL;
        size_t len = m ? (size_t)(__builtin_ctzll(m) >> 3) : 0;
        if (!len || !word_value(w, len, &out[i]))
            return NULL;
        p += len + 1;
    }
    return p;
#else
    (void)p, (void)end, (void)n, (void)out;
    return NULL;
#endif
}

/* How many values a 300 record holds: fields from the third on up to the
 * first one that is not a number. */
static uint32_t count_values(const char *p, const char *end)
{
    uint32_t k = 0;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *fe = c ? c : end;
        mb_decimal d;
        if (fe == p || mb_decimal_parse(p, (size_t)(fe - p), &d) == MB_EFORMAT)
            break;
        k++;
        if (!c)
            break;
        p = c + 1;
    }
    return k;
}

static mb_status wrong_count(nem *r, const char *vals, const char *end)
{
    uint32_t got = count_values(vals, end);
    char fname[32];
    snprintf(fname, sizeof fname, "IntervalValue%u",
             (got < r->n ? got : r->n) + 1);
    return bad(r, fname,
               "expected %u interval values for IntervalLength %d, got %u",
               r->n, r->minutes, got);
}

/* The values of a 300 record, any shape: every field checked, and the
 * first that is not a value reported. *next gets where the field after
 * the last value starts. */
static mb_status general_values(nem *r, const char *vals, const char *end,
                                const char **next)
{
    mb_status st;
    size_t vlen = (size_t)(end - vals);
    uint32_t n = r->n, k = find_commas(vals, vlen, r->comma, n);
    uint32_t have = k < n ? k + 1 : n; /* fields there are for values */
    for (uint32_t i = 0; i < have; i++) {
        uint32_t fs = i ? r->comma[i - 1] + 1 : 0;
        uint32_t fe = i < k ? r->comma[i] : (uint32_t)vlen;
        if (fast_value(vals + fs, fe - fs, vlen - fs, &r->values[i]))
            continue;
        field vf = {vals + fs, fe - fs};
        mb_decimal d;
        if (vf.n && is_upper(vf.p[0]) &&
            mb_decimal_parse(vf.p, vf.n, &d) == MB_EFORMAT)
            return wrong_count(r, vals, end); /* reached QualityMethod */
        char fname[32];
        snprintf(fname, sizeof fname, "IntervalValue%u", i + 1);
        if ((st = value_slow(r, &vf, fname, r->allow_negative,
                             &r->values[i])))
            return st;
    }
    if (have < n)
        return wrong_count(r, vals, end);
    if (k < n)
        return bad(r, "QualityMethod", "expected a field, got end of record");
    *next = vals + r->comma[n - 1] + 1;
    return MB_OK;
}

static mb_status rec_300(nem *r, const char *line, size_t len)
{
    mb_status st;
    if (!r->have_200)
        return bad(r, NULL, "expected a 200 record before this 300 record");
    const char *end = line + len, *p = len > 4 ? line + 4 : end;
    const char *c = memchr(p, ',', (size_t)(end - p));
    field df = trim(p, (size_t)((c ? c : end) - p));
    if ((st = date_field(r, &df, "IntervalDate", &r->start)))
        return st;
    if (!c)
        return wrong_count(r, end, end);
    const char *vals = c + 1;
    if (!(p = fast_values(vals, end, r->n, r->values)) &&
        (st = general_values(r, vals, end, &p)))
        return st;
    {
        const char *fc = memchr(p, ',', (size_t)(end - p));
        field vf = {p, (size_t)((fc ? fc : end) - p)};
        mb_decimal d;
        if (vf.n && mb_decimal_parse(vf.p, vf.n, &d) != MB_EFORMAT)
            return wrong_count(r, vals, end); /* more values than expected */
    }
    /* QualityMethod, ReasonCode, ReasonDescription, UpdateDateTime and the
     * optional MSATSLoadDateTime. */
    split(r, p, (size_t)(end - p));
    mb_quality q;
    field *f = r->f;
    mb_version version = 0;
    if ((st = quality_field(r, &f[0], "QualityMethod", true, &q)) ||
        (st = need(r, 1, "ReasonCode")) ||
        (st = reason_field(r, &f[1], "ReasonCode", &q.reason)) ||
        (st = need(r, 2, "ReasonDescription")) ||
        (st = desc_field(r, &f[2], "ReasonDescription")) ||
        (st = need(r, 3, "UpdateDateTime")) ||
        (st = version_field(r, &f[3], &version)))
        return st;
    if (r->nf > 4 && f[4].n) {
        mb_time t = 0;
        if ((st = datetime_field(r, &f[4], "MSATSLoadDateTime", &t)))
            return st;
    }
    if ((st = check_extra(r, 5, "MSATSLoadDateTime")))
        return st;
    r->version = version;
    r->has_text = false;
    r->text_len = 0;
    if (q.flag == 'V') {
        memset(r->quality, 0, r->n * sizeof r->quality[0]);
        memset(r->text_off, 0, r->n * sizeof r->text_off[0]);
        r->pending = true;
        r->pending_line = r->line;
        r->pending_400s = 0;
        return MB_OK;
    }
    for (uint32_t i = 0; i < r->n; i++)
        r->quality[i] = q;
    if (f[2].n) {
        uint32_t off = keep_text(r, &f[2]);
        for (uint32_t i = 0; i < r->n; i++)
            r->text_off[i] = off;
    }
    r->stats->records++;
    return deliver(r);
}

static mb_status interval_index(nem *r, const field *f, const char *fieldname,
                                uint32_t *out)
{
    uint32_t v = 0;
    bool ok = f->n && f->n <= 4;
    for (size_t i = 0; ok && i < f->n; i++) {
        ok = is_digit(f->p[i]);
        v = v * 10 + (uint32_t)(f->p[i] - '0');
    }
    if (ok && v >= 1 && v <= r->n) {
        *out = v;
        return MB_OK;
    }
    char what[80];
    snprintf(what, sizeof what, "an interval number 1..%u", r->n);
    return bad_field(r, fieldname, f, what);
}

static mb_status rec_400(nem *r)
{
    mb_status st;
    uint32_t from = 0, to = 0;
    mb_quality q;
    if ((st = need(r, 3, "QualityMethod")) ||
        (st = interval_index(r, &r->f[1], "StartInterval", &from)) ||
        (st = interval_index(r, &r->f[2], "EndInterval", &to)))
        return st;
    if (to < from)
        return bad(r, "EndInterval", "expected an interval number >= "
                   "StartInterval %u, got %u", from, to);
    if ((st = quality_field(r, &r->f[3], "QualityMethod", false, &q)))
        return st;
    q.reason = MB_REASON_NONE;
    if (r->nf > 4 && (st = reason_field(r, &r->f[4], "ReasonCode",
                                        &q.reason)))
        return st;
    if (r->nf > 5 && (st = desc_field(r, &r->f[5], "ReasonDescription")))
        return st;
    if ((st = check_extra(r, 6, "ReasonDescription")))
        return st;
    for (uint32_t i = from - 1; i < to; i++)
        if (r->quality[i].flag)
            return bad(r, "StartInterval", "expected intervals not yet "
                       "covered by an earlier 400 record, got %u..%u which "
                       "overlaps at interval %u", from, to, i + 1);
    uint32_t off = r->nf > 5 && r->f[5].n ? keep_text(r, &r->f[5]) : 0;
    for (uint32_t i = from - 1; i < to; i++) {
        r->quality[i] = q;
        r->text_off[i] = off;
    }
    r->pending_400s++;
    return MB_OK;
}

static bool trans_code(const field *f)
{
    return f->n == 1 && strchr("ACGDENOSR", f->p[0]);
}

/* 500: TransCode, RetServiceOrder, ReadDateTime, IndexRead. */
static mb_status rec_500(nem *r)
{
    mb_status st;
    if (!r->have_200)
        return bad(r, NULL, "expected a 200 record before this 500 record");
    if ((st = need(r, 1, "TransCode")))
        return st;
    if (!trans_code(&r->f[1]))
        return bad_field(r, "TransCode", &r->f[1],
                         "a transaction code A, C, G, D, E, N, O, S or R");
    if (r->nf > 2 &&
        (st = id_field(r, &r->f[2], "RetServiceOrder", 0, 15, true)))
        return st;
    mb_time t = 0;
    if (r->nf > 3 && r->f[3].n &&
        (st = datetime_field(r, &r->f[3], "ReadDateTime", &t)))
        return st;
    mb_decimal d;
    if ((r->nf > 4 && r->f[4].n &&
         (st = value_slow(r, &r->f[4], "IndexRead", false, &d))) ||
        (st = check_extra(r, 5, "IndexRead")))
        return st;
    r->stats->records++;
    return MB_OK;
}

/* One side (previous or current) of a 250 record. */
static mb_status register_side(nem *r, int base, const char *names[5],
                               mb_register_read *rr)
{
    mb_status st;
    mb_time t = 0;
    if ((st = value_slow(r, &r->f[base], names[0], false, &rr->value)) ||
        (st = datetime_field(r, &r->f[base + 1], names[1], &t)) ||
        (st = quality_field(r, &r->f[base + 2], names[2], false,
                            &rr->quality)) ||
        (st = reason_field(r, &r->f[base + 3], names[3],
                           &rr->quality.reason)) ||
        (st = desc_field(r, &r->f[base + 4], names[4])))
        return st;
    rr->read_at = t;
    return MB_OK;
}

/* Both reads of a 250 are checked before either is delivered. */
static mb_status rec_250(nem *r)
{
    mb_status st;
    static const char *prev[5] = {
        "PreviousRegisterRead", "PreviousRegisterReadDateTime",
        "PreviousQualityMethod", "PreviousReasonCode",
        "PreviousReasonDescription"};
    static const char *cur[5] = {
        "CurrentRegisterRead", "CurrentRegisterReadDateTime",
        "CurrentQualityMethod", "CurrentReasonCode",
        "CurrentReasonDescription"};
    r->have_250 = false;
    if ((st = need(r, 21, "UpdateDateTime")) ||
        (st = stream_ids(r)))
        return st;
    const field *dir = &r->f[7];
    if (!(dir->n == 1 && (dir->p[0] == 'E' || dir->p[0] == 'I')))
        return bad_field(r, "DirectionIndicator", dir, "E or I");
    mb_register_read a = {0}, b = {0};
    mb_decimal qty;
    mb_version version = 0;
    mb_unit unit;
    int32_t pow10;
    mb_time t = 0;
    if ((st = register_side(r, 8, prev, &a)) ||
        (st = register_side(r, 13, cur, &b)) ||
        (st = value_slow(r, &r->f[18], "Quantity", false, &qty)))
        return st;
    if (r->f[20].n &&
        (st = date_field(r, &r->f[20], "NextScheduledReadDate", &t)))
        return st;
    if ((st = version_field(r, &r->f[21], &version)))
        return st;
    if (r->nf > 22 && r->f[22].n &&
        (st = datetime_field(r, &r->f[22], "MSATSLoadDateTime", &t)))
        return st;
    if ((st = check_extra(r, 23, "MSATSLoadDateTime")) ||
        (st = uom_field(r, &r->f[19], &unit, &pow10)))
        return st;
    if (mb_decimal_shift(a.value, pow10, &a.value) ||
        mb_decimal_shift(b.value, pow10, &b.value))
        return bad(r, "UOM", "register reads do not fit once converted to "
                   "%s", mb_unit_name(unit));
    memcpy(r->nmi, r->f[1].p, r->f[1].n);
    r->nmi[r->f[1].n] = '\0';
    memcpy(r->suffix, r->f[4].p, 2);
    r->suffix[2] = '\0';
    char serial[16];
    memcpy(serial, r->f[6].p, r->f[6].n);
    serial[r->f[6].n] = '\0';
    /* Fields are not NUL-terminated in the line: copy the strings. */
    char *descs[2] = {NULL, NULL};
    char descbuf[2][DESC_MAX + 1];
    for (int k = 0; k < 2; k++) {
        const field *d = &r->f[k ? 17 : 12];
        if (d->n) {
            memcpy(descbuf[k], d->p, d->n);
            descbuf[k][d->n] = '\0';
            descs[k] = descbuf[k];
        }
    }
    mb_register_read *reads[2] = {&a, &b};
    r->have_250 = true;
    r->stats->records++;
    for (int k = 0; k < 2; k++) {
        mb_register_read *x = reads[k];
        x->meter = r->nmi;
        x->reg = r->suffix;
        x->serial = serial;
        x->zone = NEM_ZONE;
        x->unit = unit;
        x->reason_text = descs[k];
        x->version = version;
        r->stats->registers++;
        if (r->sink->reg && (st = r->sink->reg(r->sink->ctx, x, r->err)))
            return st;
    }
    return MB_OK;
}

/* 550: PreviousTransCode, PreviousRetServiceOrder, CurrentTransCode,
 * CurrentRetServiceOrder. */
static mb_status rec_550(nem *r)
{
    mb_status st;
    if (!r->have_250)
        return bad(r, NULL, "expected a 250 record before this 550 record");
    static const char *names[4] = {"PreviousTransCode",
                                   "PreviousRetServiceOrder",
                                   "CurrentTransCode", "CurrentRetServiceOrder"};
    for (int i = 1; i < 5 && i < r->nf; i++) {
        const field *f = &r->f[i];
        if (i % 2 && f->n && !trans_code(f))
            return bad_field(r, names[i - 1], f,
                             "a transaction code A, C, G, D, E, N, O, S or R");
        if (!(i % 2) && (st = id_field(r, f, names[i - 1], 0, 15, true)))
            return st;
    }
    if ((st = check_extra(r, 5, "CurrentRetServiceOrder")))
        return st;
    r->stats->records++;
    return MB_OK;
}

/* ---- the record loop ---------------------------------------------------- */

static int record_type(const char *line, size_t len)
{
    if (len < 3 || (len > 3 && line[3] != ',') || !is_digit(line[0]) ||
        !is_digit(line[1]) || !is_digit(line[2]))
        return -1;
    int t = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    switch (t) {
    case 100: case 200: case 250: case 300: case 400: case 500: case 550:
    case 900:
        return t;
    }
    return -1;
}

static mb_status unknown_record(nem *r, const char *line, size_t len)
{
    char q[200];
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
            return bad(r, NULL, "expected a NEM12/NEM13 record, got binary "
                       "data '%s'", show(q, sizeof q, line, len));
    const char *c = memchr(line, ',', len);
    return bad(r, "RecordIndicator",
               "expected a record type 100, 200, 300, 400, 500, 250, 550 "
               "or 900, got '%s'",
               show(q, sizeof q, line, c ? (size_t)(c - line) : len));
}

/* A data record arrived outside a block: start one without a header
 * (lenient) or refuse. */
static mb_status open_block(nem *r, int type)
{
    if (r->state == ST_BLOCK)
        return MB_OK;
    if (!r->lenient)
        return bad(r, NULL, r->state == ST_START
                   ? "expected a 100 header record first, got a %d record"
                   : "expected nothing after the 900 end record, got a %d "
                     "record (several 100..900 blocks need lenient mode)",
                   type);
    warn(r, NULL, r->state == ST_START
         ? "no 100 header record: versions come from each record's "
           "UpdateDateTime"
         : "another block without a 100 header after the 900 end record");
    r->header = false;
    r->created = 0;
    r->format = r->want != MB_FORMAT_AUTO
                    ? r->want
                    : type == 250 || type == 550 ? MB_FORMAT_NEM13
                                                 : MB_FORMAT_NEM12;
    r->have_200 = r->have_250 = false;
    r->state = ST_BLOCK;
    return begin(r);
}

/* Lenient mode: report the bad record held in err and count it and the
 * `more` records that depend on it as skipped. */
static void drop(nem *r, uint64_t more)
{
    if (r->sink->warning)
        r->sink->warning(r->sink->ctx, r->err);
    r->stats->warnings++;
    r->stats->skipped += 1 + more;
    mb_error_clear(r->err);
    r->rec_error = false;
}

/* Close a pending V day; in lenient mode a bad one is dropped. */
static mb_status close_day(nem *r)
{
    uint32_t n400 = r->pending_400s;
    mb_status st = finish_day(r);
    if (st && r->rec_error && r->lenient) {
        drop(r, n400);
        st = MB_OK;
    }
    return st;
}

static mb_status record(nem *r, int type, const char *line, size_t len)
{
    mb_status st;
    if (r->pending && type != 400 && (st = close_day(r)))
        return st;
    if (r->skip == SKIP_DAY && type != 400)
        r->skip = SKIP_NONE;
    if (r->skip == SKIP_STREAM && type != 300 && type != 400 && type != 500 &&
        type != 550)
        r->skip = SKIP_NONE;
    if (r->skip) {
        r->stats->skipped++;
        return MB_OK;
    }
    if (type < 0)
        return unknown_record(r, line, len);
    if (type == 100) {
        if (r->state != ST_START && !r->lenient)
            return bad(r, NULL, r->state == ST_BLOCK
                       ? "expected a 900 end record before another 100 "
                         "header"
                       : "expected nothing after the 900 end record, got a "
                         "100 header (several 100..900 blocks need lenient "
                         "mode)");
        split(r, line, len);
        if (r->state != ST_START)
            warn(r, NULL, "another 100..900 block in the same file");
        return rec_100(r);
    }
    if (type == 900) {
        if (r->state != ST_BLOCK)
            return bad(r, NULL, r->state == ST_START
                       ? "expected a 100 header record first, got a 900 "
                         "end record"
                       : "expected nothing after the 900 end record, got "
                         "another 900");
        split(r, line, len);
        if ((st = check_extra(r, 1, "RecordIndicator")))
            return st;
        r->state = ST_ENDED;
        r->stats->records++;
        return MB_OK;
    }
    if ((st = open_block(r, type)))
        return st;
    bool nem13 = type == 250 || type == 550;
    if (nem13 != (r->format == MB_FORMAT_NEM13))
        return bad(r, NULL, "expected a %s record, got a %d record",
                   r->format == MB_FORMAT_NEM13 ? "NEM13 250 or 550"
                                                : "NEM12 200, 300, 400 or 500",
                   type);
    r->data_records++;
    if (type == 300)
        return rec_300(r, line, len);
    if (type == 400 && !r->pending)
        return bad(r, NULL, "expected a 400 record only after a 300 record "
                            "with QualityMethod V");
    split(r, line, len);
    switch (type) {
    case 200: return rec_200(r);
    case 400: return rec_400(r);
    case 500: return rec_500(r);
    case 250: return rec_250(r);
    default: return rec_550(r);
    }
}

/* Lenient mode: drop a bad record and what depends on it. */
static void skip_record(nem *r, int type)
{
    if (type == 400 && r->pending) {
        drop(r, 1 + r->pending_400s); /* the day and its 400s */
        r->pending = false;
        r->skip = SKIP_DAY;
        return;
    }
    drop(r, 0);
    if (type == 300 && r->have_200)
        r->skip = SKIP_DAY;
    else if (type == 200 || type == 250)
        r->skip = SKIP_STREAM;
}

mb_status mb_nem_read(mb_input *in, const mb_read_opts *opts,
                      const mb_reader_sink *sink, mb_read_stats *stats,
                      mb_error *err)
{
    static const mb_reader_sink no_sink;
    mb_read_stats local_stats = {0};
    mb_error local_err;
    nem *r = malloc(sizeof *r);
    if (!r)
        return mb_error_set(err, MB_ENOMEM, "%s: out of memory",
                            mb_input_name(in));
    memset(r, 0, offsetof(nem, f));
    r->name = mb_input_name(in);
    r->lenient = opts && opts->lenient;
    r->want = opts ? opts->format : MB_FORMAT_AUTO;
    r->format = r->want == MB_FORMAT_NEM13 ? MB_FORMAT_NEM13 : MB_FORMAT_NEM12;
    r->sink = sink ? sink : &no_sink;
    r->stats = stats ? stats : &local_stats;
    r->err = err ? err : &local_err;
    r->state = ST_START;
    uint64_t skipped_before = r->stats->skipped; /* stats may accumulate */

    mb_status st = MB_OK;
    bool any = false;
    for (;;) {
        const char *line;
        size_t len;
        if ((st = mb_input_line(in, &line, &len, r->err)))
            break;
        if (!line)
            break;
        r->line = mb_input_lineno(in);
        r->stats->lines++;
        any = true;
        if (r->line == 1 && len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3))
            line += 3, len -= 3; /* UTF-8 byte order mark */
        field whole = trim(line, len);
        if (!whole.n) {
            if (!r->lenient) {
                st = bad(r, NULL, "expected a record, got a blank line");
                break;
            }
            if (!r->warned_blank)
                warn(r, NULL, "blank line ignored (and any further ones)");
            r->warned_blank = true;
            continue;
        }
        int type = record_type(line, len);
        r->rec_error = false;
        st = record(r, type, line, len);
        if (st && r->rec_error && r->lenient) {
            skip_record(r, type);
            st = MB_OK;
            continue;
        }
        if (st)
            break;
    }
    if (!st && r->pending)
        st = close_day(r);
    if (!st && !any)
        st = mb_error_at(r->err, MB_EFORMAT, r->name, 1, NULL,
                         "expected a 100 header record, got an empty file");
    if (!st && r->state != ST_ENDED) {
        r->line = mb_input_lineno(in);
        st = bad(r, NULL, "file ends without a 900 end-of-data record");
        if (r->lenient) {
            drop(r, 0);
            st = MB_OK;
        }
    }
    if (!st && !r->data_records && r->stats->skipped == skipped_before)
        warn(r, NULL, "file has no data records");
    free(r);
    return st;
}
