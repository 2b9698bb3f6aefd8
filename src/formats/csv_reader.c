/*
 * csv_reader.c - streaming reader for meterbase's own plain CSV layouts,
 * which are also what `meterbase parse` prints (csv_writer.h), so parse
 * output can be read back. docs/formats.md describes the layouts.
 *
 * Interval data:  meter,channel,start,end,value,unit,quality,method,reason,
 *                 version[,zone]   ("interval" in minutes may replace end)
 * Register reads: meter,register,read_at,value,unit,read_type,quality,
 *                 version[,serial][,zone]
 *
 * Columns are found by the header (any order; unknown or repeated columns
 * are errors; quality, method, reason, version, read_type, serial and zone
 * may be left out). The first line is the header; a later line naming
 * only columns, "meter" among them, is a new header and may switch the
 * layout mid-file. Fields follow RFC 4180 quoting, except
 * that a quoted field cannot span lines. Consecutive interval rows of one
 * meter, channel, unit, version, zone and interval length with contiguous
 * starts are grouped into one mb_interval_block, at most MAX_BLOCK values
 * and never across local midnight of the zone.
 */
#include "formats/reader.h"

#include "core/datetime.h"
#include "core/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_BLOCK 288     /* values per delivered block */
#define MAX_FIELD 128     /* longest meaningful field, in bytes */
#define ZONE_MAX 64

enum col {
    C_METER, C_CHANNEL, C_START, C_END, C_INTERVAL, C_VALUE, C_UNIT,
    C_QUALITY, C_METHOD, C_REASON, C_VERSION, C_ZONE, C_REGISTER, C_READ_AT,
    C_READ_TYPE, C_SERIAL, C_COUNT
};

static const char *const col_names[C_COUNT] = {
    "meter", "channel", "start", "end", "interval", "value", "unit",
    "quality", "method", "reason", "version", "zone", "register", "read_at",
    "read_type", "serial"};

typedef struct field {
    const char *p;
    size_t n;
} field;

typedef struct block {
    char meter[MB_ID_MAX + 1], channel[MB_ID_MAX + 1], zone[ZONE_MAX + 1];
    mb_unit unit;
    mb_time start;
    int32_t interval;
    mb_version version;
    int64_t day;          /* local day of start in tz */
    uint32_t count;
    mb_decimal values[MAX_BLOCK];
    mb_quality quality[MAX_BLOCK];
} block;

typedef struct csv {
    const mb_read_opts *opts;
    const mb_reader_sink *sink;
    mb_read_stats *stats;
    const char *name;
    long line;
    bool registers;          /* the current header is the register layout */
    int ncols;
    int idx[C_COUNT];        /* column of each field, -1 when absent */
    field f[C_COUNT];
    char scratch[C_COUNT][MAX_FIELD + 1];
    /* zone of the previous row, to skip repeated look-ups */
    char zone[ZONE_MAX + 1];
    const mb_tz *tz;
    block b;
} csv;

/* Split a line per RFC 4180 into at most C_COUNT fields. Quoted fields
 * are unescaped into scratch; unquoted fields are trimmed of blanks. */
static mb_status split(csv *c, const char *line, size_t len, int *nf,
                       mb_error *err)
{
    const char *p = line, *end = line + len;
    int n = 0;
    for (;;) {
        if (n == C_COUNT)
            return mb_error_at(err, MB_EFORMAT, c->name, c->line, NULL,
                               "more than %d fields", C_COUNT);
        field *f = &c->f[n];
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p < end && *p == '"') {
            char *out = c->scratch[n];
            size_t k = 0;
            for (p++;; p++) {
                if (p == end)
                    return mb_error_at(err, MB_EFORMAT, c->name, c->line,
                                       NULL, "field %d: unterminated quoted "
                                       "field (fields cannot span lines)",
                                       n + 1);
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"')
                        p++;
                    else
                        break;
                }
                if (k == MAX_FIELD)
                    return mb_error_at(err, MB_EFORMAT, c->name, c->line,
                                       NULL, "field %d: longer than %d bytes",
                                       n + 1, MAX_FIELD);
                out[k++] = *p;
            }
            p++; /* closing quote */
            while (p < end && (*p == ' ' || *p == '\t'))
                p++;
            if (p < end && *p != ',')
                return mb_error_at(err, MB_EFORMAT, c->name, c->line, NULL,
                                   "field %d: text after a closing quote",
                                   n + 1);
            out[k] = '\0';
            f->p = out;
            f->n = k;
        } else {
            const char *e = memchr(p, ',', (size_t)(end - p));
            if (!e)
                e = end;
            if (memchr(p, '"', (size_t)(e - p)))
                return mb_error_at(err, MB_EFORMAT, c->name, c->line, NULL,
                                   "field %d: quote inside an unquoted field",
                                   n + 1);
            f->p = p;
            f->n = (size_t)(e - p);
            while (f->n && (p[f->n - 1] == ' ' || p[f->n - 1] == '\t'))
                f->n--;
            p = e;
        }
        n++;
        if (p == end)
            break;
        p++; /* comma */
    }
    *nf = n;
    return MB_OK;
}

static mb_status bad(csv *c, int col, mb_error *err, const char *what)
{
    field f = c->f[c->idx[col]];
    int n = f.n > 40 ? 40 : (int)f.n;
    return mb_error_at(err, MB_EFORMAT, c->name, c->line, col_names[col],
                       "expected %s, got '%.*s'", what, n, f.p);
}

/* The column a header field names, C_COUNT when none. */
static int column(field f)
{
    int k = 0;
    while (k < C_COUNT && (strlen(col_names[k]) != f.n ||
                           strncasecmp(col_names[k], f.p, f.n)))
        k++;
    return k;
}

static mb_status header(csv *c, int nf, mb_error *err)
{
    for (int i = 0; i < C_COUNT; i++)
        c->idx[i] = -1;
    for (int i = 0; i < nf; i++) {
        int k = column(c->f[i]);
        int n = c->f[i].n > 40 ? 40 : (int)c->f[i].n;
        if (k == C_COUNT)
            return mb_error_at(err, MB_EFORMAT, c->name, c->line, "header",
                               "unknown column '%.*s'", n, c->f[i].p);
        if (c->idx[k] >= 0)
            return mb_error_at(err, MB_EFORMAT, c->name, c->line, "header",
                               "column '%s' appears twice", col_names[k]);
        c->idx[k] = i;
    }
    c->ncols = nf;
    c->registers = c->idx[C_REGISTER] >= 0 || c->idx[C_READ_AT] >= 0;
    static const int interval_req[] = {C_METER, C_CHANNEL, C_START, C_VALUE,
                                       C_UNIT};
    static const int register_req[] = {C_METER, C_REGISTER, C_READ_AT,
                                       C_VALUE, C_UNIT};
    static const int interval_no[] = {C_REGISTER, C_READ_AT, C_READ_TYPE,
                                      C_SERIAL};
    static const int register_no[] = {C_CHANNEL, C_START, C_END, C_INTERVAL,
                                      C_METHOD, C_REASON};
    const int *req = c->registers ? register_req : interval_req;
    const int *no = c->registers ? register_no : interval_no;
    size_t nno = c->registers ? 6 : 4;
    const char *layout = c->registers ? "register-read" : "interval";
    for (size_t i = 0; i < 5; i++)
        if (c->idx[req[i]] < 0)
            return mb_error_at(err, MB_EFORMAT, c->name, c->line, "header",
                               "the %s layout needs a '%s' column", layout,
                               col_names[req[i]]);
    for (size_t i = 0; i < nno; i++)
        if (c->idx[no[i]] >= 0)
            return mb_error_at(err, MB_EFORMAT, c->name, c->line, "header",
                               "column '%s' does not belong in the %s layout",
                               col_names[no[i]], layout);
    if (!c->registers &&
        (c->idx[C_END] >= 0) == (c->idx[C_INTERVAL] >= 0))
        return mb_error_at(err, MB_EFORMAT, c->name, c->line, "header",
                           "the interval layout needs exactly one of 'end' "
                           "and 'interval'");
    return MB_OK;
}

/* The field of a column, empty when the column is absent. */
static field get(const csv *c, int col)
{
    field none = {"", 0};
    return c->idx[col] >= 0 ? c->f[c->idx[col]] : none;
}

static mb_status id(csv *c, int col, char *dst, bool required, mb_error *err)
{
    field f = get(c, col);
    bool ok = f.n <= MB_ID_MAX && (f.n || !required);
    for (size_t i = 0; ok && i < f.n; i++)
        ok = (unsigned char)f.p[i] >= 0x20 && f.p[i] != 0x7f;
    if (!ok)
        return bad(c, col, err, "1 to 64 printable characters");
    memcpy(dst, f.p, f.n);
    dst[f.n] = '\0';
    return MB_OK;
}

static bool number(field f, unsigned max, unsigned *out)
{
    unsigned v = 0;
    if (f.n == 0 || f.n > 4)
        return false;
    for (size_t i = 0; i < f.n; i++) {
        if ((unsigned)(f.p[i] - '0') > 9)
            return false;
        v = v * 10 + (unsigned)(f.p[i] - '0');
    }
    *out = v;
    return v <= max;
}

static mb_status instant(csv *c, int col, mb_time *t, int32_t *off,
                         mb_error *err)
{
    field f = get(c, col);
    if (mb_time_parse_iso(f.p, f.n, t, off, NULL))
        return bad(c, col, err, "an ISO 8601 date-time with UTC offset, "
                   "e.g. 2026-03-29T00:30:00+00:00");
    return MB_OK;
}

/* Version: empty is 0 (unknown); else an ISO 8601 instant with offset and
 * up to 6 decimals of seconds. */
static mb_status version(csv *c, mb_version *out, mb_error *err)
{
    field f = get(c, C_VERSION);
    *out = 0;
    if (f.n == 0)
        return MB_OK;
    char buf[48];
    size_t i = f.n < 19 ? f.n : 19, n = i;
    int64_t us = 0;
    int digits = 0;
    if (f.n >= sizeof buf)
        return bad(c, C_VERSION, err, "an ISO 8601 instant with offset");
    memcpy(buf, f.p, i);
    if (i < f.n && f.p[i] == '.') {
        for (i++; i < f.n && (unsigned)(f.p[i] - '0') <= 9; i++) {
            if (++digits > 6)
                return bad(c, C_VERSION, err, "at most 6 decimals of seconds");
            us = us * 10 + (f.p[i] - '0');
        }
        if (digits == 0)
            return bad(c, C_VERSION, err, "digits after the decimal point");
        for (int k = digits; k < 6; k++)
            us *= 10;
    }
    memcpy(buf + n, f.p + i, f.n - i);
    n += f.n - i;
    mb_time t;
    int32_t off;
    if (mb_time_parse_iso(buf, n, &t, &off, NULL) ||
        t > INT64_MAX / 1000000 - 1 || t < INT64_MIN / 1000000 + 1)
        return bad(c, C_VERSION, err, "an ISO 8601 instant with offset, "
                   "e.g. 2026-03-30T06:00:00.250000+00:00");
    *out = t * 1000000 + us;
    return MB_OK;
}

/* "+01:00" (or "+HH:MM:SS"): the offset part of an ISO 8601 time. */
static void format_offset(int32_t off, char *buf)
{
    char iso[40];
    size_t n = mb_time_format_iso(0, off, iso, sizeof iso);
    /* "YYYY-MM-DDTHH:MM:SS" is 19 characters; the offset follows */
    memcpy(buf, iso + 19, n - 19);
    buf[n - 19] = '\0';
}

/* The row's zone: the zone column, or the fixed offset written with the
 * row's time. The offset written must be the zone's at that instant. */
static mb_status zone(csv *c, int tcol, mb_time t, int32_t off, mb_error *err)
{
    field f = get(c, C_ZONE);
    char name[ZONE_MAX + 1];
    if (f.n == 0) {
        format_offset(off, name);
    } else {
        if (f.n > ZONE_MAX)
            return bad(c, C_ZONE, err, "a time zone name");
        memcpy(name, f.p, f.n);
        name[f.n] = '\0';
    }
    if (!c->tz || strcmp(name, c->zone)) {
        mb_error e;
        const mb_tz *tz = mb_tz_get(name, &e);
        if (!tz) {
            if (e.status != MB_EINVAL && e.status != MB_ENOTFOUND &&
                e.status != MB_EFORMAT)
                return mb_error_set(err, e.status, "%s", e.msg);
            return bad(c, C_ZONE, err, "an IANA time zone name such as "
                       "Europe/London");
        }
        c->tz = tz;
        memcpy(c->zone, name, sizeof name);
    }
    int32_t want = mb_tz_offset(c->tz, t);
    if (want != off) {
        char a[ZONE_MAX + 1], b[ZONE_MAX + 1];
        format_offset(off, a);
        format_offset(want, b);
        return mb_error_at(err, MB_EFORMAT, c->name, c->line, col_names[tcol],
                           "offset %s is not the offset of zone %s at that "
                           "instant (%s)", a, c->zone, b);
    }
    return MB_OK;
}

/* Value in the canonical unit, and the unit. */
static mb_status value(csv *c, mb_decimal *v, mb_unit *unit, mb_error *err)
{
    field fu = get(c, C_UNIT), fv = get(c, C_VALUE);
    int32_t pow10;
    if (mb_unit_parse(fu.p, fu.n, unit, &pow10))
        return bad(c, C_UNIT, err, "a unit such as kWh, Wh, kVArh, kW");
    mb_decimal d;
    mb_status st = mb_decimal_parse(fv.p, fv.n, &d);
    if (st == MB_OK)
        st = mb_decimal_shift(d, pow10, v);
    if (st)
        return bad(c, C_VALUE, err, st == MB_ERANGE
                   ? "a decimal within 18 digits and 18 decimals"
                   : "a decimal number such as 1.234");
    return MB_OK;
}

static mb_status quality(csv *c, mb_quality *q, mb_error *err)
{
    field f = get(c, C_QUALITY);
    q->flag = MB_Q_ACTUAL;
    q->method = 0;
    q->reason = MB_REASON_NONE;
    if (f.n) {
        if (f.n != 1 || !strchr("AESFN", f.p[0]))
            return bad(c, C_QUALITY, err, "one of A, E, S, F, N");
        q->flag = f.p[0];
    }
    unsigned v;
    f = get(c, C_METHOD);
    if (f.n) {
        if (!number(f, 255, &v))
            return bad(c, C_METHOD, err, "a method flag 0..255");
        q->method = (uint8_t)v;
    }
    f = get(c, C_REASON);
    if (f.n) {
        if (!number(f, 999, &v))
            return bad(c, C_REASON, err, "a reason code 0..999");
        q->reason = (uint16_t)v;
    }
    return MB_OK;
}

static mb_status flush(csv *c, mb_error *err)
{
    block *b = &c->b;
    if (!b->count)
        return MB_OK;
    mb_interval_block out = {b->meter,   b->channel, b->zone,   b->unit,
                             b->start,   b->interval, b->count, b->values,
                             b->quality, NULL,       b->version};
    b->count = 0;
    c->stats->values += out.count;
    return c->sink->intervals ? c->sink->intervals(c->sink->ctx, &out, err)
                              : MB_OK;
}

/* One parsed interval row. */
typedef struct irow {
    char meter[MB_ID_MAX + 1], channel[MB_ID_MAX + 1];
    mb_time start;
    int32_t len;
    mb_decimal v;
    mb_unit unit;
    mb_quality q;
    mb_version ver;
} irow;

static mb_status interval_row(csv *c, irow *r, mb_error *err)
{
    mb_time end;
    int32_t off, off2;
    mb_status st;
    if ((st = id(c, C_METER, r->meter, true, err)) ||
        (st = id(c, C_CHANNEL, r->channel, true, err)) ||
        (st = instant(c, C_START, &r->start, &off, err)))
        return st;
    if (c->idx[C_END] >= 0) {
        if ((st = instant(c, C_END, &end, &off2, err)))
            return st;
        if (end <= r->start || end - r->start > 86400)
            return mb_error_at(err, MB_EFORMAT, c->name, c->line, "end",
                               "the interval must be longer than 0 and at "
                               "most a day, not %lld seconds",
                               (long long)(end - r->start));
        r->len = (int32_t)(end - r->start);
    } else {
        unsigned m;
        if (!number(get(c, C_INTERVAL), 1440, &m) || m == 0)
            return bad(c, C_INTERVAL, err, "minutes 1..1440");
        r->len = (int32_t)m * 60;
    }
    if ((st = value(c, &r->v, &r->unit, err)) ||
        (st = quality(c, &r->q, err)) || (st = version(c, &r->ver, err)))
        return st;
    return zone(c, C_START, r->start, off, err);
}

/* Add a row to the block being built, delivering the block first when the
 * row does not continue it. */
static mb_status append(csv *c, const irow *r, mb_error *err)
{
    block *b = &c->b;
    int64_t day = mb_tz_local_day(c->tz, r->start);
    if (!(b->count && b->count < MAX_BLOCK && b->interval == r->len &&
          b->start + (mb_time)b->count * r->len == r->start &&
          b->day == day && b->unit == r->unit && b->version == r->ver &&
          !strcmp(b->meter, r->meter) && !strcmp(b->channel, r->channel) &&
          !strcmp(b->zone, c->zone))) {
        mb_status st = flush(c, err);
        if (st)
            return st;
        memcpy(b->meter, r->meter, sizeof b->meter);
        memcpy(b->channel, r->channel, sizeof b->channel);
        memcpy(b->zone, c->zone, sizeof b->zone);
        b->unit = r->unit;
        b->start = r->start;
        b->interval = r->len;
        b->version = r->ver;
        b->day = day;
    }
    b->values[b->count] = r->v;
    b->quality[b->count] = r->q;
    b->count++;
    return MB_OK;
}

/* One parsed register row; r's strings point into rr. */
typedef struct rrow {
    char meter[MB_ID_MAX + 1], reg[MB_ID_MAX + 1], serial[MB_ID_MAX + 1];
    mb_register_read r;
} rrow;

static mb_status register_row(csv *c, rrow *rr, mb_error *err)
{
    mb_register_read *r = &rr->r;
    int32_t off;
    mb_status st;
    if ((st = id(c, C_METER, rr->meter, true, err)) ||
        (st = id(c, C_REGISTER, rr->reg, true, err)) ||
        (st = id(c, C_SERIAL, rr->serial, false, err)) ||
        (st = instant(c, C_READ_AT, &r->read_at, &off, err)) ||
        (st = value(c, &r->value, &r->unit, err)) ||
        (st = quality(c, &r->quality, err)) ||
        (st = version(c, &r->version, err)) ||
        (st = zone(c, C_READ_AT, r->read_at, off, err)))
        return st;
    field t = get(c, C_READ_TYPE);
    if (t.n > 1 || (t.n && ((unsigned char)t.p[0] <= 0x20 ||
                            (unsigned char)t.p[0] >= 0x7f)))
        return bad(c, C_READ_TYPE, err, "one character");
    r->read_type = t.n ? t.p[0] : 0;
    r->meter = rr->meter;
    r->reg = rr->reg;
    r->serial = rr->serial;
    r->zone = c->zone;
    r->reason_text = NULL;
    return MB_OK;
}

/* Parse a data row (MB_EFORMAT: the row is bad) into *ir or *rr. */
static mb_status row(csv *c, int nf, irow *ir, rrow *rr, mb_error *err)
{
    if (nf != c->ncols)
        return mb_error_at(err, MB_EFORMAT, c->name, c->line, NULL,
                           "row has %d fields, the header has %d", nf,
                           c->ncols);
    return c->registers ? register_row(c, rr, err) : interval_row(c, ir, err);
}

/* After the first line, a line is a header when every field names a
 * column and one of them is "meter". */
static bool is_header(const csv *c, int nf)
{
    bool meter = false;
    for (int i = 0; i < nf; i++) {
        int k = column(c->f[i]);
        if (k == C_COUNT)
            return false;
        meter |= k == C_METER;
    }
    return meter;
}

mb_status mb_csv_read(mb_input *in, const mb_read_opts *opts,
                      const mb_reader_sink *sink, mb_read_stats *stats,
                      mb_error *err)
{
    mb_error local;
    if (!err)
        err = &local;
    csv *c = calloc(1, sizeof *c);
    if (!c)
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    c->opts = opts;
    c->sink = sink;
    c->stats = stats;
    c->name = mb_input_name(in);
    mb_status st = MB_OK;
    bool first = true;
    if (sink->begin) {
        mb_source_info info = {c->name, MB_FORMAT_CSV, 0, "", ""};
        st = sink->begin(sink->ctx, &info, err);
    }
    while (st == MB_OK) {
        const char *line;
        size_t len;
        if ((st = mb_input_line(in, &line, &len, err)) || !line)
            break;
        c->line = mb_input_lineno(in);
        stats->lines++;
        if (first && len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) {
            line += 3;
            len -= 3;
        }
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == len)
            continue;
        int nf = 0;
        st = split(c, line, len, &nf, err);
        if (first || (st == MB_OK && is_header(c, nf))) {
            if (st || (st = flush(c, err)) || (st = header(c, nf, err)))
                break;
            first = false;
            continue;
        }
        irow ir;
        rrow rr;
        if (st == MB_OK)
            st = row(c, nf, &ir, &rr, err);
        if (st == MB_OK) {
            stats->records++;
            if (!c->registers) {
                st = append(c, &ir, err);
            } else {
                stats->registers++;
                if (sink->reg)
                    st = sink->reg(sink->ctx, &rr.r, err);
            }
        } else if (st == MB_EFORMAT && opts->lenient) {
            /* a bad row: report it, skip it, go on */
            stats->skipped++;
            stats->warnings++;
            if (sink->warning)
                sink->warning(sink->ctx, err);
            mb_error_clear(err);
            st = MB_OK;
        }
    }
    if (st == MB_OK)
        st = flush(c, err);
    if (st == MB_OK && first)
        st = mb_error_at(err, MB_EFORMAT, c->name, 1, "header",
                         "empty file: expected a header line naming the "
                         "columns");
    free(c);
    return st;
}
