/*
 * csv_writer.c - canonical CSV and JSON Lines output (see csv_writer.h).
 *
 * Per value the writer copies a per-block prefix (meter, channel) and
 * suffix (version, zone), formats the value with mb_decimal_format and the
 * times from a cache: a time is formatted in full (mb_time_format_iso)
 * only when its local date or offset differs from the previous one,
 * otherwise just the hh:mm:ss digits are patched. The end of one interval
 * is the start of the next, so each instant is formatted once.
 */
#include "formats/csv_writer.h"

#include "core/datetime.h"
#include "core/tz.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FILE_BUF (1u << 16)
#define PIECE 512 /* an escaped id or zone: 64 bytes, 6 each at worst */
#define TIME_MAX 40

enum { LAYOUT_NONE, LAYOUT_INTERVALS, LAYOUT_REGISTERS };

struct mb_csv_writer {
    FILE *out;               /* NULL: memory */
    mb_write_format format;
    unsigned flags;
    int layout;              /* of the last CSV header written */
    char *buf;
    size_t len, cap;
    /* time cache */
    bool tvalid;
    int64_t tday;
    int32_t toff;
    char ttext[TIME_MAX];
    size_t tlen;
};

mb_status mb_csv_writer_new(FILE *out, mb_write_format format, unsigned flags,
                            mb_csv_writer **w, mb_error *err)
{
    mb_csv_writer *n = calloc(1, sizeof *n);
    if (n)
        n->buf = malloc(FILE_BUF);
    if (!n || !n->buf) {
        free(n);
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
    n->out = out;
    n->format = format;
    n->flags = flags;
    n->cap = FILE_BUF;
    *w = n;
    return MB_OK;
}

void mb_csv_writer_free(mb_csv_writer *w)
{
    if (w) {
        free(w->buf);
        free(w);
    }
}

const char *mb_csv_writer_mem(const mb_csv_writer *w, size_t *len)
{
    *len = w->len;
    return w->buf;
}

static mb_status drain(mb_csv_writer *w, mb_error *err)
{
    if (w->len && fwrite(w->buf, 1, w->len, w->out) != w->len)
        return mb_error_set(err, MB_EIO, "writing output: %s",
                            strerror(errno));
    w->len = 0;
    return MB_OK;
}

mb_status mb_csv_writer_flush(mb_csv_writer *w, mb_error *err)
{
    if (!w->out)
        return MB_OK;
    mb_status st = drain(w, err);
    if (st == MB_OK && fflush(w->out))
        return mb_error_set(err, MB_EIO, "writing output: %s",
                            strerror(errno));
    return st;
}

/* Room for need more bytes at buf + len. */
static mb_status reserve(mb_csv_writer *w, size_t need, mb_error *err)
{
    if (w->len + need <= w->cap)
        return MB_OK;
    if (w->out) {
        mb_status st = drain(w, err);
        if (st || need <= w->cap)
            return st;
    }
    size_t cap = w->cap * 2 > w->len + need ? w->cap * 2 : w->len + need;
    char *b = realloc(w->buf, cap);
    if (!b)
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    w->buf = b;
    w->cap = cap;
    return MB_OK;
}

static char *put(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)

static char *put_uint(char *o, unsigned v)
{
    char t[12];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *o++ = t[--n];
    return o;
}

/* A string field: CSV quotes it when it holds a comma, quote, line break
 * or edge blank (the reader trims unquoted fields); JSON escapes it. */
static char *put_str(const mb_csv_writer *w, char *o, const char *s)
{
    size_t n = strlen(s);
    if (w->format == MB_WRITE_JSONL) {
        static const char hex[] = "0123456789abcdef";
        *o++ = '"';
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '"' || c == '\\') {
                *o++ = '\\';
                *o++ = (char)c;
            } else if (c < 0x20) {
                o = PUT_LIT(o, "\\u00");
                *o++ = hex[c >> 4];
                *o++ = hex[c & 15];
            } else {
                *o++ = (char)c;
            }
        }
        *o++ = '"';
        return o;
    }
    bool quote = n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' ||
                       s[n - 1] == '\t');
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote)
        return put(o, s, n);
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            *o++ = '"';
        *o++ = s[i];
    }
    *o++ = '"';
    return o;
}

static mb_status check_id(const char *s, const char *what, mb_error *err)
{
    if (s && strlen(s) <= MB_ID_MAX)
        return MB_OK;
    return mb_error_set(err, MB_EINVAL, "cannot write a %s %s", what,
                        s ? "longer than 64 bytes" : "that is missing");
}

/* ISO 8601 text of t at the offset of tz (UTC when tz is NULL). */
static size_t put_time(mb_csv_writer *w, const mb_tz *tz, mb_time t, char *o)
{
    int32_t off = tz ? mb_tz_offset(tz, t) : 0;
    int64_t local = t + off;
    int64_t day = mb_floor_div(local, 86400);
    int sod = (int)(local - day * 86400);
    if (!w->tvalid || day != w->tday || off != w->toff ||
        w->ttext[13] != ':') { /* years beyond 9999 shift the digits */
        w->tlen = mb_time_format_iso(t, off, w->ttext, sizeof w->ttext);
        w->tday = day;
        w->toff = off;
        w->tvalid = true;
    } else {
        /* same date and offset: only "hh:mm:ss" at 11..18 changes */
        int h = sod / 3600, m = sod / 60 % 60, s = sod % 60;
        char *p = w->ttext + 11;
        p[0] = (char)('0' + h / 10);
        p[1] = (char)('0' + h % 10);
        p[3] = (char)('0' + m / 10);
        p[4] = (char)('0' + m % 10);
        p[6] = (char)('0' + s / 10);
        p[7] = (char)('0' + s % 10);
    }
    memcpy(o, w->ttext, w->tlen);
    return w->tlen;
}

/* Version as UTC ISO 8601, ".ffffff" when it has a fraction; empty (CSV)
 * or null (JSON) when 0. */
static char *put_version(const mb_csv_writer *w, char *o, mb_version v)
{
    bool json = w->format == MB_WRITE_JSONL;
    if (v == 0)
        return json ? PUT_LIT(o, "null") : o;
    int64_t s = mb_floor_div(v, 1000000);
    unsigned us = (unsigned)(v - s * 1000000);
    char t[TIME_MAX];
    size_t n = mb_time_format_iso(s, 0, t, sizeof t);
    if (json)
        *o++ = '"';
    o = put(o, t, 19);
    if (us) {
        *o++ = '.';
        for (unsigned d = 100000; d; d /= 10)
            *o++ = (char)('0' + us / d % 10);
    }
    o = put(o, t + 19, n - 19);
    if (json)
        *o++ = '"';
    return o;
}

static mb_status header(mb_csv_writer *w, int layout, mb_error *err)
{
    if (w->format != MB_WRITE_CSV || w->layout == layout)
        return MB_OK;
    bool full = w->flags & MB_WRITE_FULL;
    const char *h =
        layout == LAYOUT_INTERVALS
            ? (full ? "meter,channel,start,end,value,unit,quality,method,"
                      "reason,version,zone\n"
                    : "meter,channel,start,end,value,unit,quality,method,"
                      "reason,version\n")
            : (full ? "meter,register,read_at,value,unit,read_type,quality,"
                      "version,serial,zone\n"
                    : "meter,register,read_at,value,unit,read_type,quality,"
                      "version\n");
    size_t n = strlen(h);
    mb_status st = reserve(w, n, err);
    if (st)
        return st;
    memcpy(w->buf + w->len, h, n);
    w->len += n;
    w->layout = layout;
    return MB_OK;
}

static mb_status zone_of(const char *zone, const mb_tz **tz, mb_error *err)
{
    *tz = NULL;
    if (!zone || !*zone)
        return MB_OK; /* UTC */
    mb_status st = check_id(zone, "zone", err);
    if (st == MB_OK && !(*tz = mb_tz_get(zone, err)))
        st = err ? err->status : MB_ENOTFOUND;
    return st;
}

mb_status mb_csv_writer_intervals(mb_csv_writer *w, const mb_interval_block *b,
                                  mb_error *err)
{
    const mb_tz *tz;
    mb_status st;
    if ((st = check_id(b->meter, "meter", err)) ||
        (st = check_id(b->channel, "channel", err)) ||
        (st = zone_of(b->zone, &tz, err)) ||
        (st = header(w, LAYOUT_INTERVALS, err)))
        return st;
    bool json = w->format == MB_WRITE_JSONL;
    bool full = w->flags & MB_WRITE_FULL;
    /* prefix: meter and channel; suffix: version and zone */
    char pre[2 * PIECE + 64], suf[PIECE + 128];
    char *o = pre;
    if (json)
        o = PUT_LIT(o, "{\"meter\":");
    o = put_str(w, o, b->meter);
    o = json ? PUT_LIT(o, ",\"channel\":") : PUT_LIT(o, ",");
    o = put_str(w, o, b->channel);
    o = json ? PUT_LIT(o, ",\"start\":\"") : PUT_LIT(o, ",");
    size_t npre = (size_t)(o - pre);
    o = suf;
    o = json ? PUT_LIT(o, ",\"version\":") : PUT_LIT(o, ",");
    o = put_version(w, o, b->version);
    if (full) {
        o = json ? PUT_LIT(o, ",\"zone\":") : PUT_LIT(o, ",");
        o = put_str(w, o, b->zone ? b->zone : "");
    }
    o = json ? PUT_LIT(o, "}\n") : PUT_LIT(o, "\n");
    size_t nsuf = (size_t)(o - suf);
    const char *unit = mb_unit_name(b->unit);
    size_t nunit = strlen(unit);

    char tstart[TIME_MAX], tend[TIME_MAX];
    size_t nstart = put_time(w, tz, b->start, tstart), nend;
    for (uint32_t i = 0; i < b->count; i++) {
        mb_time end = b->start + (mb_time)(i + 1) * b->interval;
        nend = put_time(w, tz, end, tend);
        if ((st = reserve(w, npre + nsuf + 2 * TIME_MAX + MB_DECIMAL_STRLEN +
                                 nunit + 128, err)))
            return st;
        o = w->buf + w->len;
        o = put(o, pre, npre);
        o = put(o, tstart, nstart);
        o = json ? PUT_LIT(o, "\",\"end\":\"") : PUT_LIT(o, ",");
        o = put(o, tend, nend);
        o = json ? PUT_LIT(o, "\",\"value\":") : PUT_LIT(o, ",");
        o += mb_decimal_format(b->values[i], o, MB_DECIMAL_STRLEN);
        o = json ? PUT_LIT(o, ",\"unit\":\"") : PUT_LIT(o, ",");
        o = put(o, unit, nunit);
        o = json ? PUT_LIT(o, "\",\"quality\":\"") : PUT_LIT(o, ",");
        mb_quality q = b->quality[i];
        *o++ = q.flag;
        o = json ? PUT_LIT(o, "\",\"method\":") : PUT_LIT(o, ",");
        if (q.method)
            o = put_uint(o, q.method);
        else if (json)
            o = PUT_LIT(o, "null");
        o = json ? PUT_LIT(o, ",\"reason\":") : PUT_LIT(o, ",");
        if (q.reason != MB_REASON_NONE)
            o = put_uint(o, q.reason);
        else if (json)
            o = PUT_LIT(o, "null");
        o = put(o, suf, nsuf);
        w->len = (size_t)(o - w->buf);
        memcpy(tstart, tend, nend);
        nstart = nend;
    }
    return MB_OK;
}

mb_status mb_csv_writer_register(mb_csv_writer *w, const mb_register_read *r,
                                 mb_error *err)
{
    const mb_tz *tz;
    mb_status st;
    const char *serial = r->serial ? r->serial : "";
    if ((st = check_id(r->meter, "meter", err)) ||
        (st = check_id(r->reg, "register", err)) ||
        (st = check_id(serial, "serial", err)) ||
        (st = zone_of(r->zone, &tz, err)) ||
        (st = header(w, LAYOUT_REGISTERS, err)) ||
        (st = reserve(w, 5 * PIECE + 2 * TIME_MAX + MB_DECIMAL_STRLEN + 256,
                      err)))
        return st;
    bool json = w->format == MB_WRITE_JSONL;
    char *o = w->buf + w->len;
    if (json)
        o = PUT_LIT(o, "{\"meter\":");
    o = put_str(w, o, r->meter);
    o = json ? PUT_LIT(o, ",\"register\":") : PUT_LIT(o, ",");
    o = put_str(w, o, r->reg);
    o = json ? PUT_LIT(o, ",\"read_at\":\"") : PUT_LIT(o, ",");
    o += put_time(w, tz, r->read_at, o);
    o = json ? PUT_LIT(o, "\",\"value\":") : PUT_LIT(o, ",");
    o += mb_decimal_format(r->value, o, MB_DECIMAL_STRLEN);
    o = json ? PUT_LIT(o, ",\"unit\":\"") : PUT_LIT(o, ",");
    const char *unit = mb_unit_name(r->unit);
    o = put(o, unit, strlen(unit));
    o = json ? PUT_LIT(o, "\",\"read_type\":") : PUT_LIT(o, ",");
    if (r->read_type) {
        char t[2] = {r->read_type, '\0'};
        o = json ? put_str(w, o, t) : put(o, t, 1);
    } else if (json) {
        o = PUT_LIT(o, "null");
    }
    o = json ? PUT_LIT(o, ",\"quality\":\"") : PUT_LIT(o, ",");
    *o++ = r->quality.flag;
    o = json ? PUT_LIT(o, "\",\"version\":") : PUT_LIT(o, ",");
    o = put_version(w, o, r->version);
    if (w->flags & MB_WRITE_FULL) {
        o = json ? PUT_LIT(o, ",\"serial\":") : PUT_LIT(o, ",");
        o = put_str(w, o, serial);
        o = json ? PUT_LIT(o, ",\"zone\":") : PUT_LIT(o, ",");
        o = put_str(w, o, r->zone ? r->zone : "");
    }
    o = json ? PUT_LIT(o, "}\n") : PUT_LIT(o, "\n");
    w->len = (size_t)(o - w->buf);
    return MB_OK;
}

static mb_status sink_intervals(void *ctx, const mb_interval_block *b,
                                mb_error *err)
{
    return mb_csv_writer_intervals(ctx, b, err);
}

static mb_status sink_reg(void *ctx, const mb_register_read *r, mb_error *err)
{
    return mb_csv_writer_register(ctx, r, err);
}

mb_reader_sink mb_csv_writer_sink(mb_csv_writer *w)
{
    mb_reader_sink s = {w, NULL, sink_intervals, sink_reg, NULL};
    return s;
}
