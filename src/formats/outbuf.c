/*
 * outbuf.c - buffered file output with hand-made number formatting (see
 * outbuf.h).
 */
#include "formats/outbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUTBUF_CAP (1u << 20)
#define OUTBUF_ROOM 64 /* longest single number we append */

struct mb_outbuf {
    FILE *f;
    char *path;
    int err;           /* first errno, 0 when none */
    size_t len;
    uint64_t total;
    char buf[OUTBUF_CAP];
};

mb_status mb_outbuf_open(const char *path, mb_outbuf **out, mb_error *err)
{
    mb_outbuf *o = malloc(sizeof *o);
    if (!o)
        return mb_error_set(err, MB_ENOMEM, "out of memory for %s", path);
    o->path = strdup(path);
    if (!o->path) {
        free(o);
        return mb_error_set(err, MB_ENOMEM, "out of memory for %s", path);
    }
    o->f = fopen(path, "wb");
    if (!o->f) {
        int e = errno;
        free(o->path);
        free(o);
        return mb_error_set(err, MB_EIO, "cannot create %s: %s", path,
                            strerror(e));
    }
    o->err = 0;
    o->len = 0;
    o->total = 0;
    *out = o;
    return MB_OK;
}

static void flush(mb_outbuf *o)
{
    if (o->len && !o->err && fwrite(o->buf, 1, o->len, o->f) != o->len)
        o->err = errno ? errno : EIO;
    o->total += o->len;
    o->len = 0;
}

mb_status mb_outbuf_close(mb_outbuf *o, mb_error *err)
{
    if (!o)
        return MB_OK;
    flush(o);
    if (fclose(o->f) != 0 && !o->err)
        o->err = errno ? errno : EIO;
    mb_status st = MB_OK;
    if (o->err)
        st = mb_error_set(err, MB_EIO, "cannot write %s: %s", o->path,
                          strerror(o->err));
    free(o->path);
    free(o);
    return st;
}

void mb_outbuf_discard(mb_outbuf *o)
{
    if (!o)
        return;
    fclose(o->f);
    remove(o->path);
    free(o->path);
    free(o);
}

uint64_t mb_outbuf_size(const mb_outbuf *o) { return o->total + o->len; }

static char *room(mb_outbuf *o, size_t n)
{
    if (o->len + n > OUTBUF_CAP)
        flush(o);
    return o->buf + o->len;
}

void mb_outbuf_put(mb_outbuf *o, const char *s, size_t len)
{
    if (len > OUTBUF_CAP / 2) {
        flush(o);
        if (!o->err && fwrite(s, 1, len, o->f) != len)
            o->err = errno ? errno : EIO;
        o->total += len;
        return;
    }
    memcpy(room(o, len), s, len);
    o->len += len;
}

void mb_outbuf_puts(mb_outbuf *o, const char *s) { mb_outbuf_put(o, s, strlen(s)); }

void mb_outbuf_putc(mb_outbuf *o, char c)
{
    *room(o, 1) = c;
    o->len++;
}

/* Digits of v right-aligned in tmp; returns the first digit. */
static char *digits(char *end, uint64_t v, int width)
{
    char *p = end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
        width--;
    } while (v || width > 0);
    return p;
}

void mb_outbuf_put_uint(mb_outbuf *o, uint64_t v, int width)
{
    char tmp[OUTBUF_ROOM], *end = tmp + sizeof tmp;
    if (width > 40)
        width = 40;
    char *p = digits(end, v, width);
    mb_outbuf_put(o, p, (size_t)(end - p));
}

void mb_outbuf_put_int(mb_outbuf *o, int64_t v)
{
    if (v < 0) {
        mb_outbuf_putc(o, '-');
        mb_outbuf_put_uint(o, (uint64_t)0 - (uint64_t)v, 1);
    } else {
        mb_outbuf_put_uint(o, (uint64_t)v, 1);
    }
}

void mb_outbuf_put_decimal(mb_outbuf *o, mb_decimal d)
{
    static const uint64_t pow10[19] = {
        1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
        10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
        100000000000ULL, 1000000000000ULL, 10000000000000ULL,
        100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
        100000000000000000ULL, 1000000000000000000ULL};
    int scale = d.scale < 0 ? 0 : d.scale > 18 ? 18 : d.scale;
    uint64_t mag = d.units < 0 ? (uint64_t)0 - (uint64_t)d.units
                               : (uint64_t)d.units;
    char tmp[OUTBUF_ROOM], *end = tmp + sizeof tmp, *p = end;
    if (scale) {
        p = digits(end, mag % pow10[scale], scale);
        *--p = '.';
    }
    p = digits(p, mag / pow10[scale], 1);
    if (d.units < 0)
        *--p = '-';
    mb_outbuf_put(o, p, (size_t)(end - p));
}
