/*
 * nem_writer.c - NEM12/NEM13 writer (see nem_writer.h). Record layouts
 * follow AEMO's "Meter Data File Format Specification NEM12 & NEM13".
 */
#include "formats/nem_writer.h"

#include "core/datetime.h"
#include "formats/outbuf.h"

#include <stdlib.h>
#include <string.h>

#define NEM_MARKET_OFFSET 36000 /* UTC+10, all year */

struct mb_nem_writer {
    mb_outbuf *o;
    bool nem13;
    int32_t interval; /* of the current NEM12 channel, 0 before a 200 */
};

/* Market-time stamp of an instant: YYYYMMDD, YYYYMMDDhhmm or
 * YYYYMMDDhhmmss for ndigits 8, 12, 14. */
static void put_stamp(mb_outbuf *o, mb_time utc, int ndigits)
{
    int64_t local = utc + NEM_MARKET_OFFSET;
    int64_t days = mb_floor_div(local, 86400);
    int64_t sod = local - days * 86400;
    int y, m, d;
    mb_civil_from_days(days, &y, &m, &d);
    mb_outbuf_put_uint(o, (uint64_t)y, 4);
    mb_outbuf_put_uint(o, (uint64_t)m, 2);
    mb_outbuf_put_uint(o, (uint64_t)d, 2);
    if (ndigits >= 12) {
        mb_outbuf_put_uint(o, (uint64_t)(sod / 3600), 2);
        mb_outbuf_put_uint(o, (uint64_t)(sod / 60 % 60), 2);
    }
    if (ndigits >= 14)
        mb_outbuf_put_uint(o, (uint64_t)(sod % 60), 2);
}

static void put_field(mb_outbuf *o, const char *s)
{
    mb_outbuf_putc(o, ',');
    if (s)
        mb_outbuf_puts(o, s);
}

/* ",QualityMethod,ReasonCode," of one quality: the last comma opens an
 * empty ReasonDescription. */
static void put_quality(mb_outbuf *o, mb_quality q)
{
    mb_outbuf_putc(o, ',');
    mb_outbuf_putc(o, q.flag);
    if (q.method)
        mb_outbuf_put_uint(o, q.method, 2);
    mb_outbuf_putc(o, ',');
    if (q.reason != MB_REASON_NONE)
        mb_outbuf_put_uint(o, q.reason, 1);
    mb_outbuf_putc(o, ',');
}

static bool same_quality(mb_quality a, mb_quality b)
{
    return a.flag == b.flag && a.method == b.method && a.reason == b.reason;
}

static mb_status check_id(const char *what, const char *s, size_t max,
                          mb_error *err)
{
    if (!s || !*s || strlen(s) > max || strpbrk(s, ",\r\n"))
        return mb_error_set(err, MB_EINVAL,
                            "NEM %s '%s' is empty, longer than %zu characters "
                            "or holds a comma or line break",
                            what, s ? s : "", max);
    return MB_OK;
}

mb_status mb_nem_writer_open(const char *path, const mb_nem_header *h,
                             mb_nem_writer **out, mb_error *err)
{
    mb_status st;
    if ((st = check_id("FromParticipant", h->from, 10, err)) ||
        (st = check_id("ToParticipant", h->to, 10, err)))
        return st;
    mb_nem_writer *w = calloc(1, sizeof *w);
    if (!w)
        return mb_error_set(err, MB_ENOMEM, "out of memory for %s", path);
    if ((st = mb_outbuf_open(path, &w->o, err))) {
        free(w);
        return st;
    }
    w->nem13 = h->nem13;
    mb_outbuf_puts(w->o, h->nem13 ? "100,NEM13," : "100,NEM12,");
    put_stamp(w->o, h->created, 12);
    put_field(w->o, h->from);
    put_field(w->o, h->to);
    mb_outbuf_putc(w->o, '\n');
    *out = w;
    return MB_OK;
}

/* The identity fields shared by 200 and 250: NMI..MeterSerialNumber. */
static mb_status put_channel(mb_outbuf *o, const mb_nem_channel *c,
                             mb_error *err)
{
    mb_status st;
    if ((st = check_id("NMI", c->nmi, 10, err)) ||
        (st = check_id("NMIConfiguration", c->config, 240, err)) ||
        (st = check_id("NMISuffix", c->suffix, 2, err)))
        return st;
    put_field(o, c->nmi);
    put_field(o, c->config);
    put_field(o, c->register_id);
    put_field(o, c->suffix);
    put_field(o, c->stream);
    put_field(o, c->serial);
    return MB_OK;
}

mb_status mb_nem12_write_channel(mb_nem_writer *w, const mb_nem_channel *c,
                                 mb_error *err)
{
    if (w->nem13)
        return mb_error_set(err, MB_EINVAL, "200 record in a NEM13 file");
    if (c->interval != 300 && c->interval != 900 && c->interval != 1800)
        return mb_error_set(err, MB_EINVAL,
                            "NEM12 interval length must be 5, 15 or 30 "
                            "minutes, not %d seconds", (int)c->interval);
    mb_outbuf_puts(w->o, "200");
    mb_status st = put_channel(w->o, c, err);
    if (st)
        return st;
    put_field(w->o, mb_unit_name(c->unit));
    mb_outbuf_putc(w->o, ',');
    mb_outbuf_put_uint(w->o, (uint64_t)(c->interval / 60), 1);
    mb_outbuf_puts(w->o, ",\n");
    w->interval = c->interval;
    return MB_OK;
}

mb_status mb_nem12_write_day(mb_nem_writer *w, const mb_interval_block *b,
                             mb_error *err)
{
    if (!w->interval)
        return mb_error_set(err, MB_EINVAL, "300 record before any 200");
    if (b->interval != w->interval ||
        (int64_t)b->count * b->interval != 86400 ||
        (b->start + NEM_MARKET_OFFSET) % 86400 != 0 || b->count == 0)
        return mb_error_set(err, MB_EINVAL,
                            "NEM12 day of %s %s must start at a market "
                            "midnight and hold %d values of %d seconds",
                            b->meter, b->channel, 86400 / w->interval,
                            (int)w->interval);
    mb_outbuf *o = w->o;
    mb_outbuf_puts(o, "300,");
    put_stamp(o, b->start, 8);
    for (uint32_t i = 0; i < b->count; i++) {
        mb_outbuf_putc(o, ',');
        mb_outbuf_put_decimal(o, b->values[i]);
    }
    bool mixed = false;
    for (uint32_t i = 1; i < b->count && !mixed; i++)
        mixed = !same_quality(b->quality[i], b->quality[0]);
    if (mixed)
        mb_outbuf_puts(o, ",V,,,");
    else {
        put_quality(o, b->quality[0]);
        mb_outbuf_putc(o, ',');
    }
    put_stamp(o, (mb_time)(b->version / 1000000), 14);
    mb_outbuf_puts(o, ",\n");
    for (uint32_t i = 0; mixed && i < b->count;) {
        uint32_t j = i + 1;
        while (j < b->count && same_quality(b->quality[j], b->quality[i]))
            j++;
        mb_outbuf_puts(o, "400,");
        mb_outbuf_put_uint(o, i + 1, 1);
        mb_outbuf_putc(o, ',');
        mb_outbuf_put_uint(o, j, 1);
        put_quality(o, b->quality[i]);
        mb_outbuf_putc(o, '\n');
        i = j;
    }
    return MB_OK;
}

static void put_read(mb_outbuf *o, mb_decimal v, mb_time at, mb_quality q)
{
    mb_outbuf_putc(o, ',');
    mb_outbuf_put_decimal(o, v);
    mb_outbuf_putc(o, ',');
    put_stamp(o, at, 14);
    put_quality(o, q);
}

mb_status mb_nem13_write_read(mb_nem_writer *w, const mb_nem13_read *r,
                              mb_error *err)
{
    if (!w->nem13)
        return mb_error_set(err, MB_EINVAL, "250 record in a NEM12 file");
    mb_decimal qty;
    mb_status st = mb_decimal_sub(r->cur, r->prev, &qty);
    if (st)
        return mb_error_set(err, st, "register quantity of %s %s overflows",
                            r->channel->nmi, r->channel->suffix);
    mb_outbuf *o = w->o;
    mb_outbuf_puts(o, "250");
    if ((st = put_channel(o, r->channel, err)))
        return st;
    mb_outbuf_putc(o, ',');
    mb_outbuf_putc(o, r->direction);
    put_read(o, r->prev, r->prev_at, r->prev_q);
    put_read(o, r->cur, r->cur_at, r->cur_q);
    mb_outbuf_putc(o, ',');
    mb_outbuf_put_decimal(o, qty);
    put_field(o, mb_unit_name(r->channel->unit));
    mb_outbuf_puts(o, ",,");
    put_stamp(o, (mb_time)(r->version / 1000000), 14);
    mb_outbuf_puts(o, ",\n");
    return MB_OK;
}

mb_status mb_nem_writer_close(mb_nem_writer *w, mb_error *err)
{
    mb_outbuf_puts(w->o, "900\n");
    mb_status st = mb_outbuf_close(w->o, err);
    free(w);
    return st;
}

void mb_nem_writer_discard(mb_nem_writer *w)
{
    if (!w)
        return;
    mb_outbuf_discard(w->o);
    free(w);
}

uint64_t mb_nem_writer_size(const mb_nem_writer *w)
{
    return mb_outbuf_size(w->o);
}
