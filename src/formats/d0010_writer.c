/*
 * d0010_writer.c - D0010 writer (see d0010_writer.h).
 */
#include "formats/d0010_writer.h"

#include "formats/outbuf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct mb_d0010_writer {
    mb_outbuf *o;
    const mb_tz *tz;
    char file_id[16];
    mb_time created;
    uint64_t records; /* between ZHV and ZPT */
    int have_mpan, have_meter;
};

static void put_local(mb_outbuf *o, const mb_tz *tz, mb_time utc)
{
    int64_t local = utc + mb_tz_offset(tz, utc);
    int64_t days = mb_floor_div(local, 86400);
    int64_t sod = local - days * 86400;
    int y, m, d;
    mb_civil_from_days(days, &y, &m, &d);
    mb_outbuf_put_uint(o, (uint64_t)y, 4);
    mb_outbuf_put_uint(o, (uint64_t)m, 2);
    mb_outbuf_put_uint(o, (uint64_t)d, 2);
    mb_outbuf_put_uint(o, (uint64_t)(sod / 3600), 2);
    mb_outbuf_put_uint(o, (uint64_t)(sod / 60 % 60), 2);
    mb_outbuf_put_uint(o, (uint64_t)(sod % 60), 2);
}

static mb_status check_field(const char *what, const char *s, size_t max,
                             mb_error *err)
{
    if (!s || !*s || strlen(s) > max || strpbrk(s, "|\r\n"))
        return mb_error_set(err, MB_EINVAL,
                            "D0010 %s '%s' is empty, longer than %zu "
                            "characters or holds '|' or a line break",
                            what, s ? s : "", max);
    return MB_OK;
}

static void put_field(mb_outbuf *o, const char *s)
{
    mb_outbuf_puts(o, s);
    mb_outbuf_putc(o, '|');
}

mb_status mb_d0010_writer_open(const char *path, const mb_d0010_header *h,
                               mb_d0010_writer **out, mb_error *err)
{
    mb_status st;
    if ((st = check_field("file id", h->file_id, 10, err)) ||
        (st = check_field("from role", h->from_role, 1, err)) ||
        (st = check_field("from id", h->from_id, 4, err)) ||
        (st = check_field("to role", h->to_role, 1, err)) ||
        (st = check_field("to id", h->to_id, 4, err)))
        return st;
    mb_d0010_writer *w = calloc(1, sizeof *w);
    if (!w)
        return mb_error_set(err, MB_ENOMEM, "out of memory for %s", path);
    if ((st = mb_outbuf_open(path, &w->o, err))) {
        free(w);
        return st;
    }
    w->tz = h->tz;
    w->created = h->created;
    strcpy(w->file_id, h->file_id);
    mb_outbuf *o = w->o;
    mb_outbuf_puts(o, "ZHV|");
    put_field(o, h->file_id);
    put_field(o, "D0010002");
    put_field(o, h->from_role);
    put_field(o, h->from_id);
    put_field(o, h->to_role);
    put_field(o, h->to_id);
    put_local(o, w->tz, h->created);
    mb_outbuf_puts(o, "||||OPER|\n");
    *out = w;
    return MB_OK;
}

static bool mpan_valid(const char *s)
{
    static const int primes[12] = {3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43};
    if (strlen(s) != 13)
        return false;
    int sum = 0;
    for (int i = 0; i < 13; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    for (int i = 0; i < 12; i++)
        sum += (s[i] - '0') * primes[i];
    return sum % 11 % 10 == s[12] - '0';
}

mb_status mb_d0010_write_mpan(mb_d0010_writer *w, const char *mpan,
                              mb_error *err)
{
    if (!mpan_valid(mpan))
        return mb_error_set(err, MB_EINVAL,
                            "'%s' is not an MPAN core (13 digits with a valid "
                            "check digit)", mpan);
    mb_outbuf_puts(w->o, "026|");
    put_field(w->o, mpan);
    mb_outbuf_puts(w->o, "V|\n");
    w->records++;
    w->have_mpan = 1;
    w->have_meter = 0;
    return MB_OK;
}

mb_status mb_d0010_write_meter(mb_d0010_writer *w, const char *serial,
                               char reading_type, mb_error *err)
{
    mb_status st;
    if (!w->have_mpan)
        return mb_error_set(err, MB_EINVAL, "D0010 028 record before any 026");
    if ((st = check_field("meter serial", serial, 10, err)))
        return st;
    mb_outbuf_puts(w->o, "028|");
    put_field(w->o, serial);
    mb_outbuf_putc(w->o, reading_type);
    mb_outbuf_puts(w->o, "|\n");
    w->records++;
    w->have_meter = 1;
    return MB_OK;
}

mb_status mb_d0010_write_read(mb_d0010_writer *w, const char *reg,
                              mb_time read_at, mb_decimal value, mb_error *err)
{
    mb_status st;
    if (!w->have_meter)
        return mb_error_set(err, MB_EINVAL, "D0010 030 record before any 028");
    if ((st = check_field("register", reg, 2, err)))
        return st;
    mb_outbuf *o = w->o;
    mb_outbuf_puts(o, "030|");
    put_field(o, reg);
    put_local(o, w->tz, read_at);
    mb_outbuf_putc(o, '|');
    mb_outbuf_put_decimal(o, value);
    mb_outbuf_puts(o, "|||T|N|\n");
    w->records++;
    return MB_OK;
}

mb_status mb_d0010_writer_close(mb_d0010_writer *w, mb_error *err)
{
    mb_outbuf *o = w->o;
    mb_outbuf_puts(o, "ZPT|");
    put_field(o, w->file_id);
    mb_outbuf_put_uint(o, w->records, 1);
    mb_outbuf_puts(o, "||1|");
    put_local(o, w->tz, w->created);
    mb_outbuf_puts(o, "|\n");
    mb_status st = mb_outbuf_close(o, err);
    free(w);
    return st;
}

void mb_d0010_writer_discard(mb_d0010_writer *w)
{
    if (!w)
        return;
    mb_outbuf_discard(w->o);
    free(w);
}

uint64_t mb_d0010_writer_size(const mb_d0010_writer *w)
{
    return mb_outbuf_size(w->o);
}
