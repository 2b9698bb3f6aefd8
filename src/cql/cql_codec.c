/*
 * cql_codec.c - native protocol v4 frames and messages (see cql_codec.h).
 *
 * Pure memory-to-memory code: notations, frame header, request bodies and
 * the response decoders. Every read goes through the bounds-checked
 * mb_cql_rd cursor, so malformed input from a peer (or a fuzzer) ends in
 * MB_EPROTO, never in a read out of bounds.
 */
#include "cql/cql_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- write buffer ---------------------------------------------------- */

void mb_cql_buf_free(mb_cql_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

bool mb_cql_buf_reserve(mb_cql_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->cap - b->len >= extra)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra) {
        if (cap > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void mb_cql_put(mb_cql_buf *b, const void *p, size_t n)
{
    if (!n || !mb_cql_buf_reserve(b, n))
        return;
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void mb_cql_put_byte(mb_cql_buf *b, uint8_t v)
{
    mb_cql_put(b, &v, 1);
}

void mb_cql_put_short(mb_cql_buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    mb_cql_put(b, x, 2);
}

void mb_cql_put_int(mb_cql_buf *b, int32_t v)
{
    uint32_t u = (uint32_t)v;
    uint8_t x[4] = {(uint8_t)(u >> 24), (uint8_t)(u >> 16), (uint8_t)(u >> 8),
                    (uint8_t)u};
    mb_cql_put(b, x, 4);
}

void mb_cql_put_long(mb_cql_buf *b, int64_t v)
{
    uint64_t u = (uint64_t)v;
    uint8_t x[8];
    for (int i = 7; i >= 0; i--) {
        x[i] = (uint8_t)u;
        u >>= 8;
    }
    mb_cql_put(b, x, 8);
}

void mb_cql_put_string(mb_cql_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (n > UINT16_MAX) {
        b->oom = true; /* cannot be represented; treated as a write failure */
        return;
    }
    mb_cql_put_short(b, (uint16_t)n);
    mb_cql_put(b, s, n);
}

void mb_cql_put_long_string(mb_cql_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (n > INT32_MAX) {
        b->oom = true;
        return;
    }
    mb_cql_put_int(b, (int32_t)n);
    mb_cql_put(b, s, n);
}

void mb_cql_put_bytes(mb_cql_buf *b, const void *p, int32_t n)
{
    mb_cql_put_int(b, n < 0 ? -1 : n);
    if (n > 0)
        mb_cql_put(b, p, (size_t)n);
}

void mb_cql_put_short_bytes(mb_cql_buf *b, const void *p, uint16_t n)
{
    mb_cql_put_short(b, n);
    mb_cql_put(b, p, n);
}

void mb_cql_set_int_at(mb_cql_buf *b, size_t at, int32_t v)
{
    if (b->oom || at + 4 > b->len)
        return;
    uint32_t u = (uint32_t)v;
    b->p[at] = (uint8_t)(u >> 24);
    b->p[at + 1] = (uint8_t)(u >> 16);
    b->p[at + 2] = (uint8_t)(u >> 8);
    b->p[at + 3] = (uint8_t)u;
}

/* ---- reader ---------------------------------------------------------- */

const uint8_t *mb_cql_get_raw(mb_cql_rd *r, size_t n)
{
    if (r->bad || r->len - r->pos < n) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

uint8_t mb_cql_get_byte(mb_cql_rd *r)
{
    const uint8_t *p = mb_cql_get_raw(r, 1);
    return p ? p[0] : 0;
}

uint16_t mb_cql_get_short(mb_cql_rd *r)
{
    const uint8_t *p = mb_cql_get_raw(r, 2);
    return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

int32_t mb_cql_get_int(mb_cql_rd *r)
{
    const uint8_t *p = mb_cql_get_raw(r, 4);
    if (!p)
        return 0;
    return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                     (uint32_t)p[2] << 8 | p[3]);
}

int64_t mb_cql_get_long(mb_cql_rd *r)
{
    const uint8_t *p = mb_cql_get_raw(r, 8);
    if (!p)
        return 0;
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = u << 8 | p[i];
    return (int64_t)u;
}

const char *mb_cql_get_string(mb_cql_rd *r, size_t *n)
{
    *n = mb_cql_get_short(r);
    const char *s = (const char *)mb_cql_get_raw(r, *n);
    if (!s)
        *n = 0;
    return s ? s : "";
}

int32_t mb_cql_get_bytes(mb_cql_rd *r, const uint8_t **p)
{
    int32_t n = mb_cql_get_int(r);
    *p = NULL;
    if (n < 0)
        return -1;
    *p = mb_cql_get_raw(r, (size_t)n);
    return *p ? n : -1;
}

const uint8_t *mb_cql_get_short_bytes(mb_cql_rd *r, size_t *n)
{
    *n = mb_cql_get_short(r);
    const uint8_t *p = mb_cql_get_raw(r, *n);
    if (!p)
        *n = 0;
    return p;
}

/* ---- arena ----------------------------------------------------------- */

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

void *mb_cql_arena_alloc(mb_cql_arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
        sizeof(max_align_t);
    if (!n)
        n = sizeof(max_align_t);
    struct arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 4096 ? n : 4096;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *mb_cql_arena_strndup(mb_cql_arena *a, const char *s, size_t n)
{
    char *d = mb_cql_arena_alloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void mb_cql_arena_free(mb_cql_arena *a)
{
    while (a->head) {
        struct arena_chunk *n = a->head->next;
        free(a->head);
        a->head = n;
    }
}

/* ---- frame header ---------------------------------------------------- */

void mb_cql_header_encode(uint8_t out[MB_CQL_HEADER_SIZE],
                          const mb_cql_header *h)
{
    out[0] = h->version;
    out[1] = h->flags;
    out[2] = (uint8_t)((uint16_t)h->stream >> 8);
    out[3] = (uint8_t)h->stream;
    out[4] = h->opcode;
    out[5] = (uint8_t)(h->length >> 24);
    out[6] = (uint8_t)(h->length >> 16);
    out[7] = (uint8_t)(h->length >> 8);
    out[8] = (uint8_t)h->length;
}

mb_status mb_cql_header_decode(const uint8_t in[MB_CQL_HEADER_SIZE],
                               mb_cql_header *h, mb_error *err)
{
    h->version = in[0];
    h->flags = in[1];
    h->stream = (int16_t)(uint16_t)(in[2] << 8 | in[3]);
    h->opcode = in[4];
    h->length = (uint32_t)in[5] << 24 | (uint32_t)in[6] << 16 |
                (uint32_t)in[7] << 8 | in[8];
    if (h->version != (0x80 | MB_CQL_VERSION))
        return mb_error_set(err, MB_EPROTO,
                            "unexpected protocol version byte 0x%02x "
                            "(want a v4 response, 0x84)", h->version);
    if (h->length > MB_CQL_MAX_BODY)
        return mb_error_set(err, MB_EPROTO, "frame body of %u bytes is over "
                            "the 256 MiB limit", h->length);
    if (h->flags & MB_CQL_FLAG_COMPRESSION)
        return mb_error_set(err, MB_EPROTO, "compressed frame, but no "
                            "compression was negotiated");
    return MB_OK;
}

void mb_cql_frame_begin(mb_cql_buf *b, mb_cql_opcode op)
{
    mb_cql_header h = {MB_CQL_VERSION, 0, 0, (uint8_t)op, 0};
    uint8_t x[MB_CQL_HEADER_SIZE];
    mb_cql_header_encode(x, &h);
    b->len = 0;
    mb_cql_put(b, x, sizeof x);
}

void mb_cql_frame_finish(mb_cql_buf *b)
{
    mb_cql_set_int_at(b, 5, (int32_t)(b->len - MB_CQL_HEADER_SIZE));
}

void mb_cql_frame_set_stream(uint8_t *frame, int16_t stream)
{
    frame[2] = (uint8_t)((uint16_t)stream >> 8);
    frame[3] = (uint8_t)stream;
}

/* ---- types ----------------------------------------------------------- */

static const char *str_dup(mb_cql_rd *r, mb_cql_arena *a)
{
    size_t n;
    const char *s = mb_cql_get_string(r, &n);
    if (r->bad)
        return NULL;
    const char *d = mb_cql_arena_strndup(a, s, n);
    if (!d)
        r->bad = true;
    return d;
}

const mb_cql_type *mb_cql_type_read(mb_cql_rd *r, mb_cql_arena *a, int depth)
{
    if (depth > MB_CQL_MAX_TYPE_DEPTH) {
        r->bad = true;
        return NULL;
    }
    mb_cql_type *t = mb_cql_arena_alloc(a, sizeof *t);
    if (!t) {
        r->bad = true;
        return NULL;
    }
    uint16_t id = mb_cql_get_short(r);
    if (r->bad)
        return NULL;
    t->id = (mb_cql_type_id)id;
    size_t nsub = 0;
    switch (id) {
    case MB_CQL_CUSTOM:
        t->name = str_dup(r, a);
        return r->bad ? NULL : t;
    case MB_CQL_LIST:
    case MB_CQL_SET:
        nsub = 1;
        break;
    case MB_CQL_MAP:
        nsub = 2;
        break;
    case MB_CQL_UDT:
        t->keyspace = str_dup(r, a);
        t->name = str_dup(r, a);
        nsub = mb_cql_get_short(r);
        break;
    case MB_CQL_TUPLE:
        nsub = mb_cql_get_short(r);
        break;
    default:
        if ((id >= MB_CQL_ASCII && id <= MB_CQL_INT) ||
            (id >= MB_CQL_TIMESTAMP && id <= MB_CQL_DURATION))
            return t;
        r->bad = true;
        return NULL;
    }
    if (r->bad)
        return NULL;
    /* each sub type takes at least two bytes: refuse counts the input
     * cannot hold before allocating for them */
    if (nsub > (r->len - r->pos) / 2) {
        r->bad = true;
        return NULL;
    }
    mb_cql_type *sub = mb_cql_arena_alloc(a, nsub * sizeof *sub);
    const char **names = NULL;
    if (id == MB_CQL_UDT)
        names = mb_cql_arena_alloc(a, (nsub + 1) * sizeof *names);
    if (!sub || (id == MB_CQL_UDT && !names)) {
        r->bad = true;
        return NULL;
    }
    for (size_t i = 0; i < nsub; i++) {
        if (names)
            names[i] = str_dup(r, a);
        const mb_cql_type *s = mb_cql_type_read(r, a, depth + 1);
        if (!s)
            return NULL;
        sub[i] = *s;
    }
    t->nsub = nsub;
    t->sub = sub;
    t->field_names = names;
    return t;
}

const char *mb_cql_type_name(mb_cql_type_id id)
{
    switch (id) {
    case MB_CQL_CUSTOM: return "custom";
    case MB_CQL_ASCII: return "ascii";
    case MB_CQL_BIGINT: return "bigint";
    case MB_CQL_BLOB: return "blob";
    case MB_CQL_BOOLEAN: return "boolean";
    case MB_CQL_COUNTER: return "counter";
    case MB_CQL_DECIMAL: return "decimal";
    case MB_CQL_DOUBLE: return "double";
    case MB_CQL_FLOAT: return "float";
    case MB_CQL_INT: return "int";
    case MB_CQL_TIMESTAMP: return "timestamp";
    case MB_CQL_UUID: return "uuid";
    case MB_CQL_TEXT: return "text";
    case MB_CQL_VARINT: return "varint";
    case MB_CQL_TIMEUUID: return "timeuuid";
    case MB_CQL_INET: return "inet";
    case MB_CQL_DATE: return "date";
    case MB_CQL_TIME: return "time";
    case MB_CQL_SMALLINT: return "smallint";
    case MB_CQL_TINYINT: return "tinyint";
    case MB_CQL_DURATION: return "duration";
    case MB_CQL_LIST: return "list";
    case MB_CQL_MAP: return "map";
    case MB_CQL_SET: return "set";
    case MB_CQL_UDT: return "udt";
    case MB_CQL_TUPLE: return "tuple";
    }
    return "unknown";
}

void mb_cql_type_describe(const mb_cql_type *t, char *dst, size_t n)
{
    if (!n)
        return;
    size_t len;
    if (t->id == MB_CQL_CUSTOM || t->id == MB_CQL_UDT) {
        snprintf(dst, n, "%s", t->name ? t->name : mb_cql_type_name(t->id));
        return;
    }
    snprintf(dst, n, "%s", mb_cql_type_name(t->id));
    if (!t->nsub)
        return;
    for (size_t i = 0; i < t->nsub; i++) {
        len = strlen(dst);
        if (len + 2 >= n)
            return;
        memcpy(dst + len, i ? ", " : "<", i ? 2 : 1);
        dst[len + (i ? 2 : 1)] = '\0';
        len = strlen(dst);
        mb_cql_type_describe(&t->sub[i], dst + len, n - len);
    }
    len = strlen(dst);
    if (len + 1 < n) {
        dst[len] = '>';
        dst[len + 1] = '\0';
    }
}

/* ---- responses ------------------------------------------------------- */

static mb_status proto_err(mb_error *err, const char *what)
{
    return mb_error_set(err, MB_EPROTO, "malformed %s from server", what);
}

mb_status mb_cql_body_prefix(uint8_t flags, const uint8_t *body, size_t len,
                             size_t *offset, mb_cql_arena *a,
                             const char ***warnings, mb_error *err)
{
    mb_cql_rd r = {body, len, 0, false};
    if (flags & MB_CQL_FLAG_TRACING)
        mb_cql_get_raw(&r, 16);
    if (flags & MB_CQL_FLAG_WARNING) {
        size_t n = mb_cql_get_short(&r);
        const char **w = NULL;
        if (warnings && !r.bad && n <= (len - r.pos) / 2) {
            w = mb_cql_arena_alloc(a, (n + 1) * sizeof *w);
            if (!w)
                return mb_error_set(err, MB_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < n && !r.bad; i++) {
            size_t sl;
            const char *s = mb_cql_get_string(&r, &sl);
            if (w && !r.bad && !(w[i] = mb_cql_arena_strndup(a, s, sl)))
                return mb_error_set(err, MB_ENOMEM, "out of memory");
        }
        if (warnings)
            *warnings = w;
    }
    if (flags & MB_CQL_FLAG_CUSTOM_PAYLOAD) {
        size_t n = mb_cql_get_short(&r);
        for (size_t i = 0; i < n && !r.bad; i++) {
            size_t sl;
            const uint8_t *p;
            mb_cql_get_string(&r, &sl);
            mb_cql_get_bytes(&r, &p);
        }
    }
    if (r.bad)
        return proto_err(err, "frame prefix (tracing/warnings/payload)");
    *offset = r.pos;
    return MB_OK;
}

enum {
    META_GLOBAL_TABLES = 0x0001,
    META_HAS_MORE_PAGES = 0x0002,
    META_NO_METADATA = 0x0004
};

/* Rows metadata, or PREPARED bind metadata when prepared is true. */
static bool meta_read(mb_cql_rd *r, mb_cql_arena *a, mb_cql_meta *m,
                      bool prepared)
{
    m->flags = mb_cql_get_int(r);
    int32_t ncols = mb_cql_get_int(r);
    m->paging_len = -1;
    if (r->bad || ncols < 0 || (size_t)ncols > r->len)
        return false;
    m->ncols = (size_t)ncols;
    if (prepared) {
        int32_t npk = mb_cql_get_int(r);
        if (r->bad || npk < 0 || (size_t)npk > (r->len - r->pos) / 2)
            return false;
        m->npk = (size_t)npk;
        m->pk = mb_cql_arena_alloc(a, m->npk * sizeof *m->pk);
        if (!m->pk)
            return false;
        for (size_t i = 0; i < m->npk; i++) {
            m->pk[i] = mb_cql_get_short(r);
            if (m->pk[i] >= m->ncols)
                return false;
        }
    } else if (m->flags & META_HAS_MORE_PAGES) {
        m->paging_len = mb_cql_get_bytes(r, &m->paging_state);
    }
    if (r->bad)
        return false;
    if (!prepared && (m->flags & META_NO_METADATA))
        return true;
    const char *gks = NULL, *gtable = NULL;
    if (m->flags & META_GLOBAL_TABLES) {
        gks = str_dup(r, a);
        gtable = str_dup(r, a);
    }
    /* a column spec takes at least 4 bytes */
    if (r->bad || m->ncols > (r->len - r->pos) / 4 + 1)
        return false;
    m->cols = mb_cql_arena_alloc(a, m->ncols * sizeof *m->cols);
    if (!m->cols)
        return false;
    for (size_t i = 0; i < m->ncols && !r->bad; i++) {
        mb_cql_column *c = &m->cols[i];
        if (m->flags & META_GLOBAL_TABLES) {
            c->keyspace = gks;
            c->table = gtable;
        } else {
            c->keyspace = str_dup(r, a);
            c->table = str_dup(r, a);
        }
        c->name = str_dup(r, a);
        c->type = mb_cql_type_read(r, a, 0);
    }
    return !r->bad;
}

static bool rows_read(mb_cql_rd *r, mb_cql_result *res)
{
    int32_t nrows = mb_cql_get_int(r);
    if (r->bad || nrows < 0)
        return false;
    size_t ncols = res->meta.ncols;
    /* every cell takes at least 4 bytes */
    if (ncols && (size_t)nrows > (r->len - r->pos) / 4 / ncols)
        return false;
    if (!ncols && nrows)
        return false;
    res->nrows = (size_t)nrows;
    res->cells = mb_cql_arena_alloc(&res->arena,
                                    res->nrows * ncols * sizeof *res->cells);
    if (!res->cells)
        return false;
    static const mb_cql_type blob = {MB_CQL_BLOB, NULL, NULL, 0, NULL, NULL};
    for (size_t i = 0; i < res->nrows * ncols; i++) {
        mb_cql_cell *c = &res->cells[i];
        c->len = mb_cql_get_bytes(r, &c->data);
        c->type = res->meta.cols ? res->meta.cols[i % ncols].type : &blob;
        if (r->bad)
            return false;
    }
    return true;
}

mb_status mb_cql_result_decode(uint8_t flags, uint8_t *body, size_t len,
                               mb_cql_result **out, mb_error *err)
{
    *out = NULL;
    mb_cql_result *res = calloc(1, sizeof *res);
    if (!res) {
        free(body);
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
    res->body = body;
    res->body_len = len;
    size_t off;
    mb_status st = mb_cql_body_prefix(flags, body, len, &off, &res->arena,
                                      &res->warnings, err);
    if (st) {
        mb_cql_result_free(res);
        return st;
    }
    if (!res->warnings) {
        res->warnings = mb_cql_arena_alloc(&res->arena, sizeof *res->warnings);
        if (!res->warnings) {
            mb_cql_result_free(res);
            return mb_error_set(err, MB_ENOMEM, "out of memory");
        }
    }
    mb_cql_rd r = {body, len, off, false};
    int32_t kind = mb_cql_get_int(&r);
    bool ok = !r.bad;
    res->kind = (mb_cql_result_kind)kind;
    switch (kind) {
    case MB_CQL_RESULT_VOID:
        break;
    case MB_CQL_RESULT_ROWS:
        ok = ok && meta_read(&r, &res->arena, &res->meta, false) &&
             rows_read(&r, res);
        break;
    case MB_CQL_RESULT_SET_KEYSPACE:
        res->info = str_dup(&r, &res->arena);
        ok = !r.bad;
        break;
    case MB_CQL_RESULT_PREPARED:
        res->prepared_id = mb_cql_get_short_bytes(&r, &res->prepared_id_len);
        ok = !r.bad && res->prepared_id_len > 0 &&
             meta_read(&r, &res->arena, &res->bind, true) &&
             meta_read(&r, &res->arena, &res->meta, false);
        break;
    case MB_CQL_RESULT_SCHEMA_CHANGE: {
        size_t n1, n2, n3 = 0, n4 = 0;
        const char *change = mb_cql_get_string(&r, &n1);
        const char *target = mb_cql_get_string(&r, &n2);
        const char *ks = mb_cql_get_string(&r, &n3), *name = "";
        if (n2 != 8 || memcmp(target, "KEYSPACE", 8))
            name = mb_cql_get_string(&r, &n4);
        ok = !r.bad;
        char *info = mb_cql_arena_alloc(&res->arena, n1 + n2 + n3 + n4 + 4);
        if (ok && info)
            snprintf(info, n1 + n2 + n3 + n4 + 4, "%.*s %.*s %.*s%s%.*s",
                     (int)n1, change, (int)n2, target, (int)n3, ks,
                     n4 ? "." : "", (int)n4, name);
        ok = ok && info;
        res->info = info;
        break;
    }
    default:
        mb_cql_result_free(res);
        return mb_error_set(err, MB_EPROTO, "unknown RESULT kind %d", kind);
    }
    if (!ok) {
        mb_cql_result_free(res);
        return proto_err(err, "RESULT message");
    }
    *out = res;
    return MB_OK;
}

void mb_cql_result_free(mb_cql_result *res)
{
    if (!res)
        return;
    mb_cql_arena_free(&res->arena);
    free(res->body);
    free(res);
}

/* ---- errors ---------------------------------------------------------- */

static void copy_string(char *dst, size_t n, const char *s, size_t sl)
{
    snprintf(dst, n, "%.*s", (int)(sl < n ? sl : n - 1), s);
}

mb_status mb_cql_error_decode(const uint8_t *body, size_t len,
                              mb_cql_server_error *out, mb_error *err)
{
    memset(out, 0, sizeof *out);
    mb_cql_rd r = {body, len, 0, false};
    size_t n;
    const char *s;
    out->code = mb_cql_get_int(&r);
    s = mb_cql_get_string(&r, &n);
    copy_string(out->message, sizeof out->message, s, n);
    switch (out->code) {
    case MB_CQL_ERR_UNAVAILABLE:
        out->cl = mb_cql_get_short(&r);
        out->received = -1;
        out->blockfor = mb_cql_get_int(&r);
        out->alive = mb_cql_get_int(&r);
        break;
    case MB_CQL_ERR_WRITE_TIMEOUT:
    case MB_CQL_ERR_WRITE_FAILURE:
        out->cl = mb_cql_get_short(&r);
        out->received = mb_cql_get_int(&r);
        out->blockfor = mb_cql_get_int(&r);
        if (out->code == MB_CQL_ERR_WRITE_FAILURE)
            out->numfailures = mb_cql_get_int(&r);
        s = mb_cql_get_string(&r, &n);
        copy_string(out->write_type, sizeof out->write_type, s, n);
        break;
    case MB_CQL_ERR_READ_TIMEOUT:
    case MB_CQL_ERR_READ_FAILURE:
        out->cl = mb_cql_get_short(&r);
        out->received = mb_cql_get_int(&r);
        out->blockfor = mb_cql_get_int(&r);
        if (out->code == MB_CQL_ERR_READ_FAILURE)
            out->numfailures = mb_cql_get_int(&r);
        out->data_present = mb_cql_get_byte(&r) != 0;
        break;
    case MB_CQL_ERR_ALREADY_EXISTS:
        s = mb_cql_get_string(&r, &n);
        copy_string(out->keyspace, sizeof out->keyspace, s, n);
        s = mb_cql_get_string(&r, &n);
        copy_string(out->table, sizeof out->table, s, n);
        break;
    case MB_CQL_ERR_UNPREPARED: {
        const uint8_t *id = mb_cql_get_short_bytes(&r, &n);
        if (!r.bad && n <= sizeof out->unprepared_id) {
            memcpy(out->unprepared_id, id, n);
            out->unprepared_len = n;
        } else {
            r.bad = true;
        }
        break;
    }
    default:
        break;
    }
    if (r.bad)
        return proto_err(err, "ERROR message");
    return MB_OK;
}

const char *mb_cql_consistency_name(mb_cql_consistency cl)
{
    static const char *const names[] = {
        "ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM",
        "EACH_QUORUM", "SERIAL", "LOCAL_SERIAL", "LOCAL_ONE"};
    if ((unsigned)cl < sizeof names / sizeof names[0])
        return names[cl];
    return "UNKNOWN";
}

mb_status mb_cql_consistency_parse(const char *name, mb_cql_consistency *out,
                                   mb_error *err)
{
    for (int i = MB_CQL_ANY; i <= MB_CQL_LOCAL_ONE; i++)
        if (!strcasecmp(name, mb_cql_consistency_name((mb_cql_consistency)i))) {
            *out = (mb_cql_consistency)i;
            return MB_OK;
        }
    return mb_error_set(err, MB_EINVAL, "unknown consistency level '%s' "
                        "(ANY ONE TWO THREE QUORUM ALL LOCAL_QUORUM "
                        "EACH_QUORUM SERIAL LOCAL_SERIAL LOCAL_ONE)", name);
}

mb_status mb_cql_error_status(const mb_cql_server_error *se, mb_error *err)
{
    const char *cl = mb_cql_consistency_name((mb_cql_consistency)se->cl);
    const char *m = se->message;
    switch (se->code) {
    case MB_CQL_ERR_UNAVAILABLE:
        return mb_error_set(err, MB_EUNAVAILABLE,
                            "Unavailable: cl=%s required=%d alive=%d (%s)", cl,
                            se->blockfor, se->alive, m);
    case MB_CQL_ERR_WRITE_TIMEOUT:
        return mb_error_set(err, MB_ETIMEOUT,
                            "WriteTimeout: cl=%s write_type=%s received=%d "
                            "blockfor=%d (%s)", cl, se->write_type,
                            se->received, se->blockfor, m);
    case MB_CQL_ERR_READ_TIMEOUT:
        return mb_error_set(err, MB_ETIMEOUT,
                            "ReadTimeout: cl=%s received=%d blockfor=%d "
                            "data_present=%s (%s)", cl, se->received,
                            se->blockfor, se->data_present ? "yes" : "no", m);
    case MB_CQL_ERR_WRITE_FAILURE:
        return mb_error_set(err, MB_EUNAVAILABLE,
                            "WriteFailure: cl=%s write_type=%s received=%d "
                            "blockfor=%d failures=%d (%s)", cl, se->write_type,
                            se->received, se->blockfor, se->numfailures, m);
    case MB_CQL_ERR_READ_FAILURE:
        return mb_error_set(err, MB_EUNAVAILABLE,
                            "ReadFailure: cl=%s received=%d blockfor=%d "
                            "failures=%d (%s)", cl, se->received, se->blockfor,
                            se->numfailures, m);
    case MB_CQL_ERR_OVERLOADED:
        return mb_error_set(err, MB_EBUSY, "Overloaded: %s", m);
    case MB_CQL_ERR_BOOTSTRAPPING:
        return mb_error_set(err, MB_EUNAVAILABLE, "IsBootstrapping: %s", m);
    case MB_CQL_ERR_TRUNCATE:
        return mb_error_set(err, MB_EUNAVAILABLE, "TruncateError: %s", m);
    case MB_CQL_ERR_SYNTAX:
        return mb_error_set(err, MB_EINVAL, "SyntaxError: %s", m);
    case MB_CQL_ERR_INVALID:
        return mb_error_set(err, MB_EINVAL, "Invalid: %s", m);
    case MB_CQL_ERR_CONFIG:
        return mb_error_set(err, MB_EINVAL, "ConfigError: %s", m);
    case MB_CQL_ERR_UNAUTHORIZED:
        return mb_error_set(err, MB_EINVAL, "Unauthorized: %s", m);
    case MB_CQL_ERR_AUTH:
        return mb_error_set(err, MB_EINVAL, "AuthenticationError: %s", m);
    case MB_CQL_ERR_ALREADY_EXISTS:
        return mb_error_set(err, MB_ECONFLICT, "AlreadyExists: %s", m);
    case MB_CQL_ERR_UNPREPARED:
        return mb_error_set(err, MB_ENOTFOUND, "Unprepared: %s", m);
    case MB_CQL_ERR_FUNCTION_FAILURE:
        return mb_error_set(err, MB_EINVAL, "FunctionFailure: %s", m);
    case MB_CQL_ERR_PROTOCOL:
        return mb_error_set(err, MB_EPROTO, "ProtocolError: %s", m);
    case MB_CQL_ERR_SERVER:
        return mb_error_set(err, MB_EINTERNAL, "ServerError: %s", m);
    }
    return mb_error_set(err, MB_EPROTO, "server error 0x%04x: %s",
                        (unsigned)se->code, m);
}

/* ---- events and handshake -------------------------------------------- */

static void inet_text(mb_cql_rd *r, char *dst, size_t n)
{
    uint8_t alen = mb_cql_get_byte(r);
    const uint8_t *a = mb_cql_get_raw(r, alen);
    int32_t port = mb_cql_get_int(r);
    if (r->bad || (alen != 4 && alen != 16)) {
        r->bad = true;
        return;
    }
    if (alen == 4) {
        snprintf(dst, n, "%u.%u.%u.%u:%d", a[0], a[1], a[2], a[3], port);
    } else {
        char tmp[48];
        size_t o = 0;
        for (int i = 0; i < 16; i += 2)
            o += (size_t)snprintf(tmp + o, sizeof tmp - o, "%s%x",
                                  i ? ":" : "", a[i] << 8 | a[i + 1]);
        snprintf(dst, n, "[%s]:%d", tmp, port);
    }
}

mb_status mb_cql_event_decode(const uint8_t *body, size_t len,
                              mb_cql_event *out, mb_error *err)
{
    memset(out, 0, sizeof *out);
    mb_cql_rd r = {body, len, 0, false};
    size_t n;
    const char *s = mb_cql_get_string(&r, &n);
    copy_string(out->type, sizeof out->type, s, n);
    s = mb_cql_get_string(&r, &n);
    copy_string(out->change, sizeof out->change, s, n);
    if (!strcmp(out->type, "SCHEMA_CHANGE")) {
        size_t tn, kn, on = 0;
        const char *target = mb_cql_get_string(&r, &tn);
        const char *ks = mb_cql_get_string(&r, &kn), *obj = "";
        if (tn != 8 || memcmp(target, "KEYSPACE", 8))
            obj = mb_cql_get_string(&r, &on);
        snprintf(out->target, sizeof out->target, "%.*s %.*s%s%.*s", (int)tn,
                 target, (int)kn, ks, on ? "." : "", (int)on, obj);
    } else if (!strcmp(out->type, "TOPOLOGY_CHANGE") ||
               !strcmp(out->type, "STATUS_CHANGE")) {
        inet_text(&r, out->addr, sizeof out->addr);
    } else {
        r.bad = true;
    }
    if (r.bad)
        return proto_err(err, "EVENT message");
    return MB_OK;
}

mb_status mb_cql_authenticate_decode(const uint8_t *body, size_t len,
                                     char *cls, size_t n, mb_error *err)
{
    mb_cql_rd r = {body, len, 0, false};
    size_t sl;
    const char *s = mb_cql_get_string(&r, &sl);
    if (r.bad)
        return proto_err(err, "AUTHENTICATE message");
    copy_string(cls, n, s, sl);
    return MB_OK;
}

/* ---- requests -------------------------------------------------------- */

void mb_cql_options_encode(mb_cql_buf *b)
{
    mb_cql_frame_begin(b, MB_CQL_OP_OPTIONS);
    mb_cql_frame_finish(b);
}

void mb_cql_startup_encode(mb_cql_buf *b)
{
    mb_cql_frame_begin(b, MB_CQL_OP_STARTUP);
    mb_cql_put_short(b, 1);
    mb_cql_put_string(b, "CQL_VERSION");
    mb_cql_put_string(b, "3.0.0");
    mb_cql_frame_finish(b);
}

void mb_cql_auth_plain_encode(mb_cql_buf *b, const char *user,
                              const char *password)
{
    size_t ul = strlen(user), pl = strlen(password);
    mb_cql_frame_begin(b, MB_CQL_OP_AUTH_RESPONSE);
    if (ul + pl + 2 > INT32_MAX) {
        b->oom = true;
        return;
    }
    mb_cql_put_int(b, (int32_t)(ul + pl + 2));
    mb_cql_put_byte(b, 0);
    mb_cql_put(b, user, ul);
    mb_cql_put_byte(b, 0);
    mb_cql_put(b, password, pl);
    mb_cql_frame_finish(b);
}

void mb_cql_register_encode(mb_cql_buf *b, const char *const *types, size_t n)
{
    mb_cql_frame_begin(b, MB_CQL_OP_REGISTER);
    mb_cql_put_short(b, (uint16_t)n);
    for (size_t i = 0; i < n; i++)
        mb_cql_put_string(b, types[i]);
    mb_cql_frame_finish(b);
}

void mb_cql_prepare_encode(mb_cql_buf *b, const char *cql)
{
    mb_cql_frame_begin(b, MB_CQL_OP_PREPARE);
    mb_cql_put_long_string(b, cql);
    mb_cql_frame_finish(b);
}

void mb_cql_simple_query_encode(mb_cql_buf *b, const char *cql,
                                mb_cql_consistency cl)
{
    mb_cql_frame_begin(b, MB_CQL_OP_QUERY);
    mb_cql_put_long_string(b, cql);
    mb_cql_put_short(b, (uint16_t)cl);
    mb_cql_put_byte(b, 0);
    mb_cql_frame_finish(b);
}
