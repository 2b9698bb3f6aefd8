/*
 * cql_types.c - values of the CQL types: encoding bound values, reading
 * and printing result cells, and the result accessors of cql.h.
 *
 * Encoding converts an mb_cql_value to the parameter's declared type (from
 * prepared metadata) or to the value's own hint; decoding never trusts the
 * cell: every getter checks the cell's type and length, so cells of a
 * malformed or hostile frame give MB_EPROTO (or "<invalid ...>" when
 * printed), never a bad read. varint and decimal are arbitrary precision
 * and travel as decimal text at the API.
 */
#include "cql/cql_codec.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- value constructors ---------------------------------------------- */

mb_cql_value mb_cql_null(void)
{
    return (mb_cql_value){.kind = MB_CQL_VAL_NULL};
}

mb_cql_value mb_cql_unset(void)
{
    return (mb_cql_value){.kind = MB_CQL_VAL_UNSET};
}

mb_cql_value mb_cql_int(int64_t v)
{
    return (mb_cql_value){.kind = MB_CQL_VAL_INT, .u.i = v};
}

mb_cql_value mb_cql_typed_int(mb_cql_type_id hint, int64_t v)
{
    return (mb_cql_value){.kind = MB_CQL_VAL_INT, .hint = hint, .u.i = v};
}

mb_cql_value mb_cql_double(double v)
{
    return (mb_cql_value){.kind = MB_CQL_VAL_DOUBLE, .u.d = v};
}

mb_cql_value mb_cql_bool(bool v)
{
    return (mb_cql_value){.kind = MB_CQL_VAL_BOOL, .u.b = v};
}

mb_cql_value mb_cql_text_n(const char *s, size_t n)
{
    return (mb_cql_value){.kind = MB_CQL_VAL_TEXT, .u.bytes = {s, n}};
}

mb_cql_value mb_cql_text(const char *s)
{
    return mb_cql_text_n(s, strlen(s));
}

mb_cql_value mb_cql_typed_text(mb_cql_type_id hint, const char *s)
{
    mb_cql_value v = mb_cql_text(s);
    v.hint = hint;
    return v;
}

mb_cql_value mb_cql_blob(const void *p, size_t n)
{
    return (mb_cql_value){.kind = MB_CQL_VAL_BLOB, .u.bytes = {p, n}};
}

mb_cql_value mb_cql_uuid(const uint8_t uuid[16])
{
    mb_cql_value v = {.kind = MB_CQL_VAL_UUID};
    memcpy(v.u.uuid, uuid, 16);
    return v;
}

mb_cql_value mb_cql_list(const mb_cql_value *items, size_t n)
{
    return (mb_cql_value){.kind = MB_CQL_VAL_LIST, .u.coll = {items, n}};
}

mb_cql_value mb_cql_set(const mb_cql_value *items, size_t n)
{
    return (mb_cql_value){.kind = MB_CQL_VAL_SET, .u.coll = {items, n}};
}

mb_cql_value mb_cql_map(const mb_cql_value *kv, size_t npairs)
{
    return (mb_cql_value){.kind = MB_CQL_VAL_MAP, .u.coll = {kv, npairs}};
}

/* ---- varint and decimal ---------------------------------------------- */

/* Big-endian two's complement from a magnitude (little-endian bytes). */
static void put_twos(mb_cql_buf *b, const uint8_t *mag, size_t n, bool neg)
{
    while (n > 1 && mag[n - 1] == 0)
        n--;
    uint8_t *tmp = malloc(n + 1);
    if (!tmp) {
        b->oom = true;
        return;
    }
    /* tmp: big-endian, one spare leading byte */
    tmp[0] = 0;
    for (size_t i = 0; i < n; i++)
        tmp[1 + i] = mag[n - 1 - i];
    if (neg) {
        unsigned carry = 1;
        for (size_t i = n + 1; i-- > 0;) {
            unsigned v = (uint8_t)~tmp[i] + carry;
            tmp[i] = (uint8_t)v;
            carry = v >> 8;
        }
    }
    size_t s = 0; /* drop redundant sign bytes */
    while (s < n && ((tmp[s] == 0 && !(tmp[s + 1] & 0x80)) ||
                     (tmp[s] == 0xFF && (tmp[s + 1] & 0x80))))
        s++;
    mb_cql_put(b, tmp + s, n + 1 - s);
    free(tmp);
}

mb_status mb_cql_varint_from_text(mb_cql_buf *b, const char *s, size_t n,
                                  mb_error *err)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i == n)
        return mb_error_set(err, MB_EINVAL, "'%.*s' is not an integer",
                            (int)n, s);
    uint8_t *mag = calloc(n / 2 + 2, 1); /* log2(10)/8 < 1/2 byte a digit */
    if (!mag)
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    size_t len = 1;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            free(mag);
            return mb_error_set(err, MB_EINVAL, "'%.*s' is not an integer",
                                (int)n, s);
        }
        unsigned carry = (unsigned)(s[i] - '0');
        for (size_t k = 0; k < len; k++) {
            unsigned v = mag[k] * 10u + carry;
            mag[k] = (uint8_t)v;
            carry = v >> 8;
        }
        if (carry)
            mag[len++] = (uint8_t)carry;
    }
    put_twos(b, mag, len, neg);
    free(mag);
    return b->oom ? mb_error_set(err, MB_ENOMEM, "out of memory") : MB_OK;
}

static void varint_from_int(mb_cql_buf *b, int64_t v)
{
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint8_t mag[8];
    for (int i = 0; i < 8; i++, m >>= 8)
        mag[i] = (uint8_t)m;
    put_twos(b, mag, 8, v < 0);
}

bool mb_cql_varint_to_text(mb_cql_buf *b, const uint8_t *p, size_t n)
{
    if (n == 0) {
        mb_cql_put(b, "0", 1);
        return true;
    }
    bool neg = p[0] & 0x80;
    uint8_t *mag = malloc(n);
    char *digits = malloc(n * 3 + 2); /* 256^n < 10^(3n) */
    if (!mag || !digits) {
        free(mag);
        free(digits);
        b->oom = true;
        return false;
    }
    memcpy(mag, p, n);
    if (neg) {
        unsigned carry = 1;
        for (size_t i = n; i-- > 0;) {
            unsigned v = (uint8_t)~mag[i] + carry;
            mag[i] = (uint8_t)v;
            carry = v >> 8;
        }
    }
    size_t nd = 0, start = 0;
    while (start < n && mag[start] == 0)
        start++;
    while (start < n) {
        unsigned rem = 0;
        for (size_t i = start; i < n; i++) {
            unsigned v = rem << 8 | mag[i];
            mag[i] = (uint8_t)(v / 10);
            rem = v % 10;
        }
        digits[nd++] = (char)('0' + rem);
        while (start < n && mag[start] == 0)
            start++;
    }
    if (!nd)
        digits[nd++] = '0';
    if (neg)
        mb_cql_put(b, "-", 1);
    for (size_t i = nd; i-- > 0;)
        mb_cql_put(b, &digits[i], 1);
    free(mag);
    free(digits);
    return !b->oom;
}

/* "[-+]digits[.digits][e[-+]digits]" -> [int scale][varint unscaled] */
static mb_status decimal_from_text(mb_cql_buf *b, const char *s, size_t n,
                                   mb_error *err)
{
    char *digits = malloc(n + 2);
    if (!digits)
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    size_t i = 0, nd = 0;
    long long frac = 0, exp = 0;
    bool dot = false, any = false, bad = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        digits[nd++] = s[i++];
    for (; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            digits[nd++] = s[i];
            frac += dot;
            any = true;
        } else if (s[i] == '.' && !dot) {
            dot = true;
        } else {
            break;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        char *end;
        char tmp[24];
        size_t el = n - i - 1;
        if (el == 0 || el >= sizeof tmp) {
            bad = true;
        } else {
            memcpy(tmp, s + i + 1, el);
            tmp[el] = '\0';
            exp = strtoll(tmp, &end, 10);
            bad = *end != '\0' || exp > INT32_MAX || exp < INT32_MIN;
        }
        i = n;
    }
    long long scale = frac - exp;
    if (!any || bad || i != n || scale > INT32_MAX || scale < INT32_MIN) {
        free(digits);
        return mb_error_set(err, MB_EINVAL, "'%.*s' is not a decimal number",
                            (int)n, s);
    }
    mb_cql_put_int(b, (int32_t)scale);
    mb_status st = mb_cql_varint_from_text(b, digits, nd, err);
    free(digits);
    return st;
}

/* Java BigDecimal.toString style: plain unless the exponent is extreme. */
static bool decimal_to_text(mb_cql_buf *b, const uint8_t *p, size_t n)
{
    if (n < 4)
        return false;
    int32_t scale = (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                              (uint32_t)p[2] << 8 | p[3]);
    mb_cql_buf d = {0};
    if (!mb_cql_varint_to_text(&d, p + 4, n - 4)) {
        mb_cql_buf_free(&d);
        b->oom = true;
        return false;
    }
    const char *digits = (const char *)d.p;
    size_t len = d.len;
    if (digits[0] == '-') {
        mb_cql_put(b, "-", 1);
        digits++;
        len--;
    }
    long long adjusted = -(long long)scale + (long long)len - 1;
    if (scale == 0) {
        mb_cql_put(b, digits, len);
    } else if (scale > 0 && adjusted >= -6) {
        if ((long long)len > scale) {
            mb_cql_put(b, digits, len - (size_t)scale);
            mb_cql_put(b, ".", 1);
            mb_cql_put(b, digits + len - (size_t)scale, (size_t)scale);
        } else {
            mb_cql_put(b, "0.", 2);
            for (long long z = scale - (long long)len; z > 0; z--)
                mb_cql_put(b, "0", 1);
            mb_cql_put(b, digits, len);
        }
    } else {
        char e[32];
        mb_cql_put(b, digits, 1);
        if (len > 1) {
            mb_cql_put(b, ".", 1);
            mb_cql_put(b, digits + 1, len - 1);
        }
        int k = snprintf(e, sizeof e, "E%s%lld", adjusted >= 0 ? "+" : "",
                         adjusted);
        mb_cql_put(b, e, (size_t)k);
    }
    mb_cql_buf_free(&d);
    return !b->oom;
}

/* ---- encoding -------------------------------------------------------- */

static const char *kind_name(mb_cql_val_kind k)
{
    static const char *const names[] = {"null", "unset", "integer", "double",
                                        "boolean", "text", "blob", "uuid",
                                        "list", "set", "map"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static mb_cql_type_id default_type(mb_cql_val_kind k)
{
    switch (k) {
    case MB_CQL_VAL_INT: return MB_CQL_BIGINT;
    case MB_CQL_VAL_DOUBLE: return MB_CQL_DOUBLE;
    case MB_CQL_VAL_BOOL: return MB_CQL_BOOLEAN;
    case MB_CQL_VAL_TEXT: return MB_CQL_TEXT;
    case MB_CQL_VAL_UUID: return MB_CQL_UUID;
    case MB_CQL_VAL_LIST: return MB_CQL_LIST;
    case MB_CQL_VAL_SET: return MB_CQL_SET;
    case MB_CQL_VAL_MAP: return MB_CQL_MAP;
    default: return MB_CQL_BLOB;
    }
}

static mb_status mismatch(mb_error *err, const mb_cql_value *v,
                          mb_cql_type_id t)
{
    return mb_error_set(err, MB_EINVAL, "cannot bind a %s value to a %s "
                        "parameter", kind_name(v->kind), mb_cql_type_name(t));
}

static mb_status int_range(mb_error *err, int64_t v, int64_t lo, int64_t hi,
                           mb_cql_type_id t)
{
    if (v < lo || v > hi)
        return mb_error_set(err, MB_ERANGE, "value %lld is out of range for "
                            "%s", (long long)v, mb_cql_type_name(t));
    return MB_OK;
}

static void put_be(mb_cql_buf *b, uint64_t v, int nbytes)
{
    uint8_t x[8];
    for (int i = nbytes - 1; i >= 0; i--, v >>= 8)
        x[i] = (uint8_t)v;
    mb_cql_put(b, x, (size_t)nbytes);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool uuid_parse(const char *s, size_t n, uint8_t out[16])
{
    if (n != 36)
        return false;
    size_t o = 0;
    for (size_t i = 0; i < 36;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i++] != '-')
                return false;
            continue;
        }
        int h = hexval(s[i]), l = hexval(s[i + 1]);
        if (h < 0 || l < 0)
            return false;
        out[o++] = (uint8_t)(h << 4 | l);
        i += 2;
    }
    return true;
}

static mb_status encode_body(mb_cql_buf *b, const mb_cql_type *target,
                             const mb_cql_value *v, int depth, mb_error *err);

/* A [value]: int length then the body. */
static mb_status encode_value(mb_cql_buf *b, const mb_cql_type *target,
                              const mb_cql_value *v, int depth, mb_error *err)
{
    if (v->kind == MB_CQL_VAL_NULL || v->kind == MB_CQL_VAL_UNSET) {
        if (depth > 0)
            return mb_error_set(err, MB_EINVAL, "collections cannot hold "
                                "null or unset elements");
        mb_cql_put_int(b, v->kind == MB_CQL_VAL_NULL ? -1 : -2);
        return MB_OK;
    }
    if (depth > MB_CQL_MAX_TYPE_DEPTH)
        return mb_error_set(err, MB_EINVAL, "value nested too deeply");
    size_t at = b->len;
    mb_cql_put_int(b, 0);
    mb_status st = encode_body(b, target, v, depth, err);
    if (st)
        return st;
    if (b->oom)
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    if (b->len - at - 4 > INT32_MAX)
        return mb_error_set(err, MB_ERANGE, "value over 2 GiB");
    mb_cql_set_int_at(b, at, (int32_t)(b->len - at - 4));
    return MB_OK;
}

static mb_status encode_coll(mb_cql_buf *b, const mb_cql_type *target,
                             mb_cql_type_id tid, const mb_cql_value *v,
                             int depth, mb_error *err)
{
    bool is_map = tid == MB_CQL_MAP;
    if (is_map ? v->kind != MB_CQL_VAL_MAP
               : v->kind != MB_CQL_VAL_LIST && v->kind != MB_CQL_VAL_SET)
        return mismatch(err, v, tid);
    if (v->u.coll.n > INT32_MAX)
        return mb_error_set(err, MB_ERANGE, "collection too large");
    if (target && target->nsub < (is_map ? 2u : 1u))
        return mb_error_set(err, MB_EPROTO, "collection type without "
                            "element type");
    mb_cql_put_int(b, (int32_t)v->u.coll.n);
    size_t items = v->u.coll.n * (is_map ? 2 : 1);
    for (size_t i = 0; i < items; i++) {
        const mb_cql_type *sub = target ? &target->sub[is_map ? i % 2 : 0]
                                        : NULL;
        mb_status st = encode_value(b, sub, &v->u.coll.items[i], depth + 1,
                                    err);
        if (st)
            return st;
    }
    return MB_OK;
}

static mb_status encode_body(mb_cql_buf *b, const mb_cql_type *target,
                             const mb_cql_value *v, int depth, mb_error *err)
{
    mb_cql_type_id tid = target ? target->id
                                : v->hint ? v->hint : default_type(v->kind);
    const mb_cql_val_kind k = v->kind;
    int64_t i = v->u.i;
    mb_status st;
    if (k == MB_CQL_VAL_BLOB && tid != MB_CQL_ASCII) {
        /* raw bytes: a blob, or a value the caller encoded already */
        mb_cql_put(b, v->u.bytes.p, v->u.bytes.n);
        return MB_OK;
    }
    switch (tid) {
    case MB_CQL_ASCII:
        if (k != MB_CQL_VAL_TEXT && k != MB_CQL_VAL_BLOB)
            return mismatch(err, v, tid);
        for (size_t j = 0; j < v->u.bytes.n; j++)
            if (((const uint8_t *)v->u.bytes.p)[j] > 127)
                return mb_error_set(err, MB_EINVAL, "non-ASCII byte in an "
                                    "ascii value");
        mb_cql_put(b, v->u.bytes.p, v->u.bytes.n);
        return MB_OK;
    case MB_CQL_TEXT:
    case MB_CQL_BLOB:
        if (k != MB_CQL_VAL_TEXT)
            return mismatch(err, v, tid);
        mb_cql_put(b, v->u.bytes.p, v->u.bytes.n);
        return MB_OK;
    case MB_CQL_BOOLEAN:
        if (k != MB_CQL_VAL_BOOL)
            return mismatch(err, v, tid);
        mb_cql_put_byte(b, v->u.b ? 1 : 0);
        return MB_OK;
    case MB_CQL_TINYINT:
    case MB_CQL_SMALLINT:
    case MB_CQL_INT:
    case MB_CQL_DATE: {
        if (k != MB_CQL_VAL_INT)
            return mismatch(err, v, tid);
        int bits = tid == MB_CQL_TINYINT ? 8 : tid == MB_CQL_SMALLINT ? 16 : 32;
        int64_t lim = (int64_t)1 << (bits - 1);
        if ((st = int_range(err, i, -lim, lim - 1, tid)))
            return st;
        uint64_t u = (uint64_t)i;
        if (tid == MB_CQL_DATE)
            u = (uint64_t)(i + ((int64_t)1 << 31));
        put_be(b, u, bits / 8);
        return MB_OK;
    }
    case MB_CQL_BIGINT:
    case MB_CQL_COUNTER:
    case MB_CQL_TIMESTAMP:
    case MB_CQL_TIME:
        if (k != MB_CQL_VAL_INT)
            return mismatch(err, v, tid);
        if (tid == MB_CQL_TIME &&
            (st = int_range(err, i, 0, 86399999999999LL, tid)))
            return st;
        put_be(b, (uint64_t)i, 8);
        return MB_OK;
    case MB_CQL_VARINT:
        if (k == MB_CQL_VAL_INT) {
            varint_from_int(b, i);
            return MB_OK;
        }
        if (k == MB_CQL_VAL_TEXT)
            return mb_cql_varint_from_text(b, v->u.bytes.p, v->u.bytes.n, err);
        return mismatch(err, v, tid);
    case MB_CQL_DECIMAL:
        if (k == MB_CQL_VAL_INT) {
            mb_cql_put_int(b, 0);
            varint_from_int(b, i);
            return MB_OK;
        }
        if (k == MB_CQL_VAL_DOUBLE) {
            char tmp[40];
            if (!isfinite(v->u.d))
                return mb_error_set(err, MB_ERANGE, "decimal cannot hold "
                                    "%g", v->u.d);
            int n = snprintf(tmp, sizeof tmp, "%.17g", v->u.d);
            return decimal_from_text(b, tmp, (size_t)n, err);
        }
        if (k == MB_CQL_VAL_TEXT)
            return decimal_from_text(b, v->u.bytes.p, v->u.bytes.n, err);
        return mismatch(err, v, tid);
    case MB_CQL_DOUBLE:
    case MB_CQL_FLOAT: {
        double d;
        if (k == MB_CQL_VAL_DOUBLE)
            d = v->u.d;
        else if (k == MB_CQL_VAL_INT)
            d = (double)i;
        else
            return mismatch(err, v, tid);
        if (tid == MB_CQL_DOUBLE) {
            uint64_t u;
            memcpy(&u, &d, 8);
            put_be(b, u, 8);
        } else {
            float f = (float)d;
            uint32_t u;
            memcpy(&u, &f, 4);
            put_be(b, u, 4);
        }
        return MB_OK;
    }
    case MB_CQL_UUID:
    case MB_CQL_TIMEUUID: {
        uint8_t u[16];
        if (k == MB_CQL_VAL_UUID)
            memcpy(u, v->u.uuid, 16);
        else if (k != MB_CQL_VAL_TEXT ||
                 !uuid_parse(v->u.bytes.p, v->u.bytes.n, u))
            return k == MB_CQL_VAL_TEXT
                       ? mb_error_set(err, MB_EINVAL, "'%.*s' is not a uuid",
                                      (int)v->u.bytes.n,
                                      (const char *)v->u.bytes.p)
                       : mismatch(err, v, tid);
        mb_cql_put(b, u, 16);
        return MB_OK;
    }
    case MB_CQL_INET: {
        char tmp[64];
        uint8_t a[16];
        if (k != MB_CQL_VAL_TEXT)
            return mismatch(err, v, tid);
        snprintf(tmp, sizeof tmp, "%.*s", (int)v->u.bytes.n,
                 (const char *)v->u.bytes.p);
        if (inet_pton(AF_INET, tmp, a) == 1)
            mb_cql_put(b, a, 4);
        else if (inet_pton(AF_INET6, tmp, a) == 1)
            mb_cql_put(b, a, 16);
        else
            return mb_error_set(err, MB_EINVAL, "'%s' is not an IP address",
                                tmp);
        return MB_OK;
    }
    case MB_CQL_LIST:
    case MB_CQL_SET:
    case MB_CQL_MAP:
        return encode_coll(b, target, tid, v, depth, err);
    default:
        return mb_error_set(err, MB_EINVAL, "binding %s values needs a blob "
                            "holding the encoded value", mb_cql_type_name(tid));
    }
}

mb_status mb_cql_value_encode(mb_cql_buf *b, const mb_cql_type *target,
                              const mb_cql_value *v, mb_error *err)
{
    size_t at = b->len;
    mb_status st = encode_value(b, target, v, 0, err);
    if (!st && b->oom)
        st = mb_error_set(err, MB_ENOMEM, "out of memory");
    if (st && !b->oom)
        b->len = at;
    return st;
}

/* ---- cells ----------------------------------------------------------- */

bool mb_cql_cell_is_null(const mb_cql_cell *c)
{
    return c->len < 0;
}

static mb_status cell_bad(const mb_cql_cell *c, const char *want,
                          mb_error *err)
{
    if (c->len < 0)
        return mb_error_set(err, MB_ENOTFOUND, "value is null");
    return mb_error_set(err, c->type ? MB_EINVAL : MB_EPROTO,
                        "cannot read a %s cell of %d bytes as %s",
                        mb_cql_type_name(c->type ? c->type->id : MB_CQL_BLOB),
                        c->len, want);
}

static int64_t be_signed(const uint8_t *p, int n)
{
    uint64_t u = (p[0] & 0x80) ? ~(uint64_t)0 : 0;
    for (int i = 0; i < n; i++)
        u = u << 8 | p[i];
    return (int64_t)u;
}

mb_status mb_cql_cell_int64(const mb_cql_cell *c, int64_t *out, mb_error *err)
{
    if (c->len <= 0 || !c->type)
        return cell_bad(c, "integer", err);
    int n = c->len;
    switch (c->type->id) {
    case MB_CQL_TINYINT:
        if (n != 1) break;
        *out = be_signed(c->data, 1);
        return MB_OK;
    case MB_CQL_SMALLINT:
        if (n != 2) break;
        *out = be_signed(c->data, 2);
        return MB_OK;
    case MB_CQL_INT:
        if (n != 4) break;
        *out = be_signed(c->data, 4);
        return MB_OK;
    case MB_CQL_DATE:
        if (n != 4) break;
        *out = (int64_t)((uint64_t)be_signed(c->data, 4) & 0xFFFFFFFFu) -
               ((int64_t)1 << 31);
        return MB_OK;
    case MB_CQL_BIGINT:
    case MB_CQL_COUNTER:
    case MB_CQL_TIMESTAMP:
    case MB_CQL_TIME:
        if (n != 8) break;
        *out = be_signed(c->data, 8);
        return MB_OK;
    case MB_CQL_VARINT:
        if (n > 8) break;
        *out = be_signed(c->data, n);
        return MB_OK;
    default:
        break;
    }
    return cell_bad(c, "integer", err);
}

mb_status mb_cql_cell_int32(const mb_cql_cell *c, int32_t *out, mb_error *err)
{
    int64_t v = 0;
    mb_status st = mb_cql_cell_int64(c, &v, err);
    if (st)
        return st;
    if (v < INT32_MIN || v > INT32_MAX)
        return mb_error_set(err, MB_ERANGE, "%lld does not fit in 32 bits",
                            (long long)v);
    *out = (int32_t)v;
    return MB_OK;
}

mb_status mb_cql_cell_double(const mb_cql_cell *c, double *out, mb_error *err)
{
    if (c->len < 0 || !c->type)
        return cell_bad(c, "floating point", err);
    if (c->type->id == MB_CQL_DOUBLE && c->len == 8) {
        uint64_t u = (uint64_t)be_signed(c->data, 8);
        memcpy(out, &u, 8);
        return MB_OK;
    }
    if (c->type->id == MB_CQL_FLOAT && c->len == 4) {
        uint32_t u = (uint32_t)be_signed(c->data, 4);
        float f;
        memcpy(&f, &u, 4);
        *out = f;
        return MB_OK;
    }
    return cell_bad(c, "floating point", err);
}

mb_status mb_cql_cell_bool(const mb_cql_cell *c, bool *out, mb_error *err)
{
    if (c->len != 1 || !c->type || c->type->id != MB_CQL_BOOLEAN)
        return cell_bad(c, "boolean", err);
    *out = c->data[0] != 0;
    return MB_OK;
}

mb_status mb_cql_cell_bytes(const mb_cql_cell *c, const uint8_t **p,
                            size_t *n, mb_error *err)
{
    if (c->len < 0)
        return cell_bad(c, "bytes", err);
    *p = c->len ? c->data : (const uint8_t *)"";
    *n = (size_t)c->len;
    return MB_OK;
}

mb_status mb_cql_cell_uuid(const mb_cql_cell *c, uint8_t out[16],
                           mb_error *err)
{
    if (c->len != 16 || !c->type ||
        (c->type->id != MB_CQL_UUID && c->type->id != MB_CQL_TIMEUUID))
        return cell_bad(c, "uuid", err);
    memcpy(out, c->data, 16);
    return MB_OK;
}

mb_status mb_cql_cell_iter(const mb_cql_cell *c, mb_cql_iter *it,
                           size_t *count, mb_error *err)
{
    memset(it, 0, sizeof *it);
    if (c->len < 0 || !c->type)
        return cell_bad(c, "collection", err);
    it->parent = *c;
    switch (c->type->id) {
    case MB_CQL_LIST:
    case MB_CQL_SET:
    case MB_CQL_MAP: {
        mb_cql_rd r = {c->data, (size_t)c->len, 0, false};
        int32_t n = mb_cql_get_int(&r);
        if (r.bad || n < 0 || c->type->nsub < (c->type->id == MB_CQL_MAP ? 2u : 1u))
            return cell_bad(c, "collection", err);
        it->count = (size_t)n;
        it->pos = 4;
        break;
    }
    case MB_CQL_TUPLE:
    case MB_CQL_UDT:
        it->count = c->type->nsub;
        break;
    default:
        return cell_bad(c, "collection", err);
    }
    if (count)
        *count = it->count;
    return MB_OK;
}

bool mb_cql_iter_next(mb_cql_iter *it, mb_cql_cell *elem, mb_cql_cell *val)
{
    const mb_cql_cell *c = &it->parent;
    if (!c->type || it->index >= it->count || c->len < 0)
        return false;
    mb_cql_rd r = {c->data, (size_t)c->len, it->pos, false};
    const mb_cql_type *t = c->type;
    if (t->id == MB_CQL_UDT && r.pos == r.len)
        return false; /* a udt value may carry fewer fields than its type */
    const mb_cql_type *et = t->id == MB_CQL_TUPLE || t->id == MB_CQL_UDT
                                ? &t->sub[it->index] : &t->sub[0];
    elem->type = et;
    elem->len = mb_cql_get_bytes(&r, &elem->data);
    if (t->id == MB_CQL_MAP) {
        mb_cql_cell dummy, *v = val ? val : &dummy;
        v->type = &t->sub[1];
        v->len = mb_cql_get_bytes(&r, &v->data);
    }
    if (r.bad)
        return false;
    it->pos = r.pos;
    it->index++;
    return true;
}

/* ---- printing -------------------------------------------------------- */

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static void put_text(mb_cql_buf *b, const char *s)
{
    mb_cql_put(b, s, strlen(s));
}

static void put_hex(mb_cql_buf *b, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (!mb_cql_buf_reserve(b, n * 2))
        return;
    for (size_t i = 0; i < n; i++) {
        b->p[b->len++] = hex[p[i] >> 4];
        b->p[b->len++] = hex[p[i] & 15];
    }
}

static void put_double(mb_cql_buf *b, double d, int maxprec)
{
    char tmp[64];
    if (isnan(d)) {
        put_text(b, "NaN");
        return;
    }
    if (isinf(d)) {
        put_text(b, d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    for (int prec = 1; prec <= maxprec; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        double back = strtod(tmp, NULL);
        if (maxprec == 9 ? (float)back == (float)d : back == d)
            break;
    }
    put_text(b, tmp);
}

static void format_cell(mb_cql_buf *b, const mb_cql_cell *c, bool quoted);

static void format_invalid(mb_cql_buf *b, const mb_cql_cell *c)
{
    char tmp[96];
    snprintf(tmp, sizeof tmp, "<invalid %s: %d bytes>",
             mb_cql_type_name(c->type ? c->type->id : MB_CQL_BLOB), c->len);
    put_text(b, tmp);
}

static void format_coll(mb_cql_buf *b, const mb_cql_cell *c)
{
    mb_cql_iter it;
    mb_cql_cell e, v;
    if (mb_cql_cell_iter(c, &it, NULL, NULL)) {
        format_invalid(b, c);
        return;
    }
    mb_cql_type_id id = c->type->id;
    const char *open = id == MB_CQL_LIST ? "[" : id == MB_CQL_TUPLE ? "(" : "{";
    const char *close = id == MB_CQL_LIST ? "]" : id == MB_CQL_TUPLE ? ")" : "}";
    put_text(b, open);
    while (mb_cql_iter_next(&it, &e, &v)) {
        if (it.index > 1)
            put_text(b, ", ");
        if (id == MB_CQL_UDT) {
            const char *name = c->type->field_names[it.index - 1];
            put_text(b, name ? name : "?");
            put_text(b, ": ");
        }
        format_cell(b, &e, true);
        if (id == MB_CQL_MAP) {
            put_text(b, ": ");
            format_cell(b, &v, true);
        }
    }
    if (it.index < it.count && id != MB_CQL_UDT)
        put_text(b, "...<truncated>");
    put_text(b, close);
}

static void format_cell(mb_cql_buf *b, const mb_cql_cell *c, bool quoted)
{
    char tmp[128];
    int64_t i;
    double d;
    if (c->len < 0) {
        put_text(b, "null");
        return;
    }
    mb_cql_type_id id = c->type ? c->type->id : MB_CQL_BLOB;
    const uint8_t *p = c->data;
    size_t n = (size_t)c->len;
    switch (id) {
    case MB_CQL_ASCII:
    case MB_CQL_TEXT:
        if (!quoted) {
            mb_cql_put(b, p, n);
            return;
        }
        put_text(b, "'");
        for (size_t k = 0; k < n; k++) {
            if (p[k] == '\'')
                put_text(b, "'");
            mb_cql_put(b, &p[k], 1);
        }
        put_text(b, "'");
        return;
    case MB_CQL_BOOLEAN:
        if (n != 1)
            break;
        put_text(b, p[0] ? "True" : "False");
        return;
    case MB_CQL_TINYINT:
    case MB_CQL_SMALLINT:
    case MB_CQL_INT:
    case MB_CQL_BIGINT:
    case MB_CQL_COUNTER:
        if (mb_cql_cell_int64(c, &i, NULL))
            break;
        snprintf(tmp, sizeof tmp, "%lld", (long long)i);
        put_text(b, tmp);
        return;
    case MB_CQL_VARINT:
        mb_cql_varint_to_text(b, p, n);
        return;
    case MB_CQL_DECIMAL:
        if (!decimal_to_text(b, p, n))
            break;
        return;
    case MB_CQL_DOUBLE:
    case MB_CQL_FLOAT:
        if (mb_cql_cell_double(c, &d, NULL))
            break;
        put_double(b, d, id == MB_CQL_FLOAT ? 9 : 17);
        return;
    case MB_CQL_TIMESTAMP: {
        if (mb_cql_cell_int64(c, &i, NULL))
            break;
        int64_t days = floor_div(i, 86400000), y;
        int64_t ms = i - days * 86400000;
        unsigned mo, dd;
        civil_from_days(days, &y, &mo, &dd);
        snprintf(tmp, sizeof tmp, "%04lld-%02u-%02u %02d:%02d:%02d.%03dZ",
                 (long long)y, mo, dd, (int)(ms / 3600000),
                 (int)(ms / 60000 % 60), (int)(ms / 1000 % 60),
                 (int)(ms % 1000));
        put_text(b, tmp);
        return;
    }
    case MB_CQL_DATE: {
        if (mb_cql_cell_int64(c, &i, NULL))
            break;
        int64_t y;
        unsigned mo, dd;
        civil_from_days(i, &y, &mo, &dd);
        snprintf(tmp, sizeof tmp, "%04lld-%02u-%02u", (long long)y, mo, dd);
        put_text(b, tmp);
        return;
    }
    case MB_CQL_TIME:
        if (mb_cql_cell_int64(c, &i, NULL) || i < 0 || i >= 86400000000000LL)
            break;
        snprintf(tmp, sizeof tmp, "%02d:%02d:%02d.%09lld",
                 (int)(i / 3600000000000LL), (int)(i / 60000000000LL % 60),
                 (int)(i / 1000000000 % 60), (long long)(i % 1000000000));
        put_text(b, tmp);
        return;
    case MB_CQL_UUID:
    case MB_CQL_TIMEUUID:
        if (n != 16)
            break;
        for (int k = 0; k < 16; k++) {
            if (k == 4 || k == 6 || k == 8 || k == 10)
                put_text(b, "-");
            put_hex(b, p + k, 1);
        }
        return;
    case MB_CQL_INET:
        if (n != 4 && n != 16)
            break;
        inet_ntop(n == 4 ? AF_INET : AF_INET6, p, tmp, sizeof tmp);
        put_text(b, tmp);
        return;
    case MB_CQL_LIST:
    case MB_CQL_SET:
    case MB_CQL_MAP:
    case MB_CQL_TUPLE:
    case MB_CQL_UDT:
        format_coll(b, c);
        return;
    default: /* blob, custom, duration */
        put_text(b, "0x");
        put_hex(b, p, n);
        return;
    }
    format_invalid(b, c);
}

char *mb_cql_cell_format(const mb_cql_cell *c)
{
    mb_cql_buf b = {0};
    format_cell(&b, c, false);
    mb_cql_put_byte(&b, 0);
    if (b.oom) {
        mb_cql_buf_free(&b);
        return NULL;
    }
    return (char *)b.p;
}

/* ---- result accessors ------------------------------------------------ */

mb_cql_result_kind mb_cql_result_kind_of(const mb_cql_result *res)
{
    return res->kind;
}

size_t mb_cql_result_row_count(const mb_cql_result *res)
{
    return res->nrows;
}

size_t mb_cql_result_column_count(const mb_cql_result *res)
{
    return res->kind == MB_CQL_RESULT_ROWS ? res->meta.ncols : 0;
}

const char *mb_cql_result_column_name(const mb_cql_result *res, size_t col)
{
    if (!res->meta.cols || col >= res->meta.ncols)
        return "?";
    return res->meta.cols[col].name;
}

const mb_cql_type *mb_cql_result_column_type(const mb_cql_result *res,
                                             size_t col)
{
    if (!res->meta.cols || col >= res->meta.ncols)
        return NULL;
    return res->meta.cols[col].type;
}

long mb_cql_result_column_index(const mb_cql_result *res, const char *name)
{
    for (size_t i = 0; res->meta.cols && i < res->meta.ncols; i++)
        if (!strcmp(res->meta.cols[i].name, name))
            return (long)i;
    return -1;
}

mb_cql_cell mb_cql_result_cell(const mb_cql_result *res, size_t row,
                               size_t col)
{
    return res->cells[row * res->meta.ncols + col];
}

bool mb_cql_result_has_more_pages(const mb_cql_result *res)
{
    return res->meta.paging_len >= 0 && res->kind == MB_CQL_RESULT_ROWS;
}

const char *mb_cql_result_info(const mb_cql_result *res)
{
    return res->info ? res->info : "";
}

const char *const *mb_cql_result_warnings(const mb_cql_result *res)
{
    return res->warnings;
}

const char *mb_cql_result_host(const mb_cql_result *res)
{
    return res->host;
}
