/*
 * dayrow.c - encoding and decoding of the embedded store's day rows.
 *
 * Layout (all integers LEB128 varints; "s" ones zigzag-signed):
 *   u8  layout (MB_DAYROW_LAYOUT)
 *   v   n              slots spanned (last present slot + 1)
 *   ..  present        bitmap, (n + 7) / 8 bytes, slot k = bit k % 8 of
 *                      byte k / 8; bit n - 1 is set
 *   s   version        base version, scale and quality: those of the
 *   u8  scale          first present slot
 *   u8  flag, u8 method
 *   v   reason
 *   s   units          one per present slot, in slot order
 *   v   nexc           exceptions, in increasing slot order:
 *     v slot, u8 mask (1 version, 2 scale, 4 quality, 8 text), then the
 *     fields the mask names: s version; u8 scale; u8 flag, u8 method,
 *     v reason; v length and the text bytes.
 * A row is decoded into a caller's slot array whose size is the number of
 * intervals in the day, so the decoder also rejects rows too long for it.
 */
#include "store/dayrow.h"

#include <string.h>

enum { EXC_VERSION = 1, EXC_SCALE = 2, EXC_QUALITY = 4, EXC_TEXT = 8 };

static uint8_t *put_u(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static uint8_t *put_s(uint8_t *p, int64_t v)
{
    return put_u(p, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

typedef struct cursor {
    const uint8_t *p, *end;
    bool bad;
} cursor;

static uint64_t get_u(cursor *c)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (c->p >= c->end) {
            c->bad = true;
            return 0;
        }
        uint8_t b = *c->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    c->bad = true;
    return 0;
}

static int64_t get_s(cursor *c)
{
    uint64_t u = get_u(c);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static uint8_t get_b(cursor *c)
{
    if (c->p >= c->end) {
        c->bad = true;
        return 0;
    }
    return *c->p++;
}

static bool same_quality(const mb_dayslot *a, const mb_dayslot *b)
{
    return a->flag == b->flag && a->method == b->method &&
           a->reason == b->reason;
}

static unsigned exc_mask(const mb_dayslot *base, const mb_dayslot *s)
{
    return (s->version != base->version ? EXC_VERSION : 0) |
           (s->scale != base->scale ? EXC_SCALE : 0) |
           (!same_quality(s, base) ? EXC_QUALITY : 0) |
           (s->text ? EXC_TEXT : 0);
}

size_t mb_dayrow_bound(const mb_dayslot *slots, uint32_t n)
{
    size_t b = 48 + (size_t)(n + 7) / 8;
    for (uint32_t k = 0; k < n; k++)
        b += 10 + 5 + 1 + 10 + 1 + 5 + 5 + slots[k].text_len;
    return b;
}

size_t mb_dayrow_encode(const mb_dayslot *slots, uint32_t n, uint8_t *out)
{
    uint8_t *p = out;
    *p++ = MB_DAYROW_LAYOUT;
    p = put_u(p, n);
    uint8_t *bits = p;
    memset(bits, 0, (n + 7) / 8);
    p += (n + 7) / 8;
    const mb_dayslot *base = NULL;
    uint32_t nexc = 0;
    for (uint32_t k = 0; k < n; k++) {
        if (!slots[k].flag)
            continue;
        bits[k / 8] |= (uint8_t)(1u << (k % 8));
        if (!base)
            base = &slots[k];
        else if (exc_mask(base, &slots[k]))
            nexc++;
    }
    p = put_s(p, base->version);
    *p++ = base->scale;
    *p++ = (uint8_t)base->flag;
    *p++ = base->method;
    p = put_u(p, base->reason);
    for (uint32_t k = 0; k < n; k++)
        if (slots[k].flag)
            p = put_s(p, slots[k].units);
    /* The base slot never differs from itself except for its text. */
    if (base->text)
        nexc++;
    p = put_u(p, nexc);
    for (uint32_t k = 0; k < n; k++) {
        const mb_dayslot *s = &slots[k];
        unsigned m = s->flag ? exc_mask(base, s) : 0;
        if (!m)
            continue;
        p = put_u(p, k);
        *p++ = (uint8_t)m;
        if (m & EXC_VERSION)
            p = put_s(p, s->version);
        if (m & EXC_SCALE)
            *p++ = s->scale;
        if (m & EXC_QUALITY) {
            *p++ = (uint8_t)s->flag;
            *p++ = s->method;
            p = put_u(p, s->reason);
        }
        if (m & EXC_TEXT) {
            p = put_u(p, s->text_len);
            memcpy(p, s->text, s->text_len);
            p += s->text_len;
        }
    }
    return (size_t)(p - out);
}

static bool flag_ok(uint8_t f)
{
    return f == MB_Q_ACTUAL || f == MB_Q_ESTIMATED || f == MB_Q_SUBSTITUTED ||
           f == MB_Q_FINAL || f == MB_Q_NULL;
}

static bool quality_ok(const mb_dayslot *s)
{
    return flag_ok((uint8_t)s->flag) && s->scale <= MB_DECIMAL_MAX_SCALE &&
           (s->reason <= 999 || s->reason == MB_REASON_NONE);
}

mb_status mb_dayrow_decode(const void *buf, size_t len, mb_dayslot *slots,
                           uint32_t cap, uint32_t *n, mb_error *err)
{
    cursor c = {buf, (const uint8_t *)buf + len, false};
    memset(slots, 0, (size_t)cap * sizeof *slots);
    *n = 0;
    if (get_b(&c) != MB_DAYROW_LAYOUT)
        return mb_error_set(err, MB_EFORMAT, "day row: unknown layout");
    uint64_t nn = get_u(&c);
    if (c.bad || nn == 0 || nn > cap)
        return mb_error_set(err, MB_EFORMAT, "day row: %llu slots, day has "
                            "%u", (unsigned long long)nn, cap);
    uint32_t ns = (uint32_t)nn;
    size_t nbytes = (ns + 7) / 8;
    if ((size_t)(c.end - c.p) < nbytes)
        return mb_error_set(err, MB_EFORMAT, "day row: truncated bitmap");
    const uint8_t *bits = c.p;
    c.p += nbytes;
    if (!(bits[(ns - 1) / 8] & (1u << ((ns - 1) % 8))) ||
        (ns % 8 && bits[nbytes - 1] >> (ns % 8)))
        return mb_error_set(err, MB_EFORMAT, "day row: bad bitmap");
    mb_dayslot base = {0};
    base.version = get_s(&c);
    uint8_t scale = get_b(&c);
    base.flag = (char)get_b(&c);
    base.method = get_b(&c);
    uint64_t reason = get_u(&c);
    base.scale = scale;
    base.reason = (uint16_t)reason;
    if (c.bad || reason > 0xFFFF || !quality_ok(&base))
        return mb_error_set(err, MB_EFORMAT, "day row: bad base quality");
    for (uint32_t k = 0; k < ns; k++) {
        if (!(bits[k / 8] & (1u << (k % 8))))
            continue;
        slots[k] = base;
        slots[k].units = get_s(&c);
    }
    uint64_t nexc = get_u(&c);
    if (c.bad || nexc > ns)
        return mb_error_set(err, MB_EFORMAT, "day row: truncated values");
    int64_t prev = -1;
    for (uint64_t e = 0; e < nexc; e++) {
        uint64_t k = get_u(&c);
        uint8_t m = get_b(&c);
        if (c.bad || (int64_t)k <= prev || k >= ns || !slots[k].flag ||
            !m || (m & ~15u))
            return mb_error_set(err, MB_EFORMAT, "day row: bad exception");
        prev = (int64_t)k;
        mb_dayslot *s = &slots[k];
        if (m & EXC_VERSION)
            s->version = get_s(&c);
        if (m & EXC_SCALE)
            s->scale = get_b(&c);
        if (m & EXC_QUALITY) {
            s->flag = (char)get_b(&c);
            s->method = get_b(&c);
            reason = get_u(&c);
            s->reason = (uint16_t)reason;
            if (reason > 0xFFFF)
                c.bad = true;
        }
        if (m & EXC_TEXT) {
            uint64_t tl = get_u(&c);
            if (c.bad || tl > (uint64_t)(c.end - c.p))
                return mb_error_set(err, MB_EFORMAT, "day row: bad text");
            s->text = (const char *)c.p;
            s->text_len = (uint32_t)tl;
            c.p += tl;
        }
        if (c.bad || !quality_ok(s))
            return mb_error_set(err, MB_EFORMAT, "day row: bad exception");
    }
    if (c.p != c.end)
        return mb_error_set(err, MB_EFORMAT, "day row: %zu trailing bytes",
                            (size_t)(c.end - c.p));
    *n = ns;
    return MB_OK;
}

int mb_dayslot_cmp(const mb_dayslot *a, const mb_dayslot *b)
{
    if (a->units != b->units)
        return a->units < b->units ? -1 : 1;
    if (a->scale != b->scale)
        return a->scale < b->scale ? -1 : 1;
    if (a->flag != b->flag)
        return (unsigned char)a->flag < (unsigned char)b->flag ? -1 : 1;
    if (a->method != b->method)
        return a->method < b->method ? -1 : 1;
    if (a->reason != b->reason)
        return a->reason < b->reason ? -1 : 1;
    if (!a->text || !b->text)
        return (a->text != NULL) - (b->text != NULL);
    size_t n = a->text_len < b->text_len ? a->text_len : b->text_len;
    int c = memcmp(a->text, b->text, n);
    if (c)
        return c < 0 ? -1 : 1;
    return (a->text_len > b->text_len) - (a->text_len < b->text_len);
}
