/*
 * cql_stmt.c - statements, prepared statements and batches (cql_stmt.h).
 *
 * A statement holds each bound value as its encoded [value] bytes, so a
 * bind error shows at bind time and building a frame is a copy. The
 * routing key follows the protocol's rule: one partition key column is
 * its value; several are concatenated as [short len][value][0x00].
 */
#include "cql/cql_stmt.h"
#include "cql/murmur3.h"

#include <stdlib.h>
#include <string.h>

struct mb_cql_prepared {
    char *query;
    mb_cql_result *res; /* id and bind metadata */
};

struct mb_cql_stmt {
    char *query;                 /* simple statement */
    const mb_cql_prepared *prep; /* or prepared */
    size_t nparams;
    mb_cql_buf *vals;            /* one encoded [value] per parameter */
    mb_cql_consistency cl, serial;
    bool has_serial, has_ts, idempotent;
    int32_t page_size;
    int64_t ts;
    mb_cql_buf paging;
    bool has_paging;
};

typedef struct batch_entry {
    char *query;
    const mb_cql_prepared *prep;
    mb_cql_buf vals; /* [short n] then the [value]s */
    mb_cql_buf routing;
    bool has_routing;
} batch_entry;

struct mb_cql_batch {
    mb_cql_batch_type type;
    batch_entry *e;
    size_t n, cap;
    mb_cql_consistency cl, serial;
    bool has_serial, has_ts, idempotent;
    int64_t ts;
};

enum {
    QF_VALUES = 0x01,
    QF_PAGE_SIZE = 0x04,
    QF_PAGING_STATE = 0x08,
    QF_SERIAL = 0x10,
    QF_TIMESTAMP = 0x20
};

/* ---- prepared -------------------------------------------------------- */

mb_status mb_cql_prepared_new(const char *cql, mb_cql_result *res,
                              mb_cql_prepared **out, mb_error *err)
{
    mb_cql_prepared *p = calloc(1, sizeof *p);
    if (p)
        p->query = strdup(cql);
    if (!p || !p->query) {
        free(p);
        mb_cql_result_free(res);
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
    p->res = res;
    *out = p;
    return MB_OK;
}

void mb_cql_prepared_free(mb_cql_prepared *p)
{
    if (!p)
        return;
    mb_cql_result_free(p->res);
    free(p->query);
    free(p);
}

const char *mb_cql_prepared_query(const mb_cql_prepared *p)
{
    return p->query;
}

const uint8_t *mb_cql_prepared_id(const mb_cql_prepared *p, size_t *n)
{
    *n = p->res->prepared_id_len;
    return p->res->prepared_id;
}

size_t mb_cql_prepared_param_count(const mb_cql_prepared *p)
{
    return p->res->bind.ncols;
}

const char *mb_cql_prepared_param_name(const mb_cql_prepared *p, size_t i)
{
    return i < p->res->bind.ncols ? p->res->bind.cols[i].name : NULL;
}

const mb_cql_type *mb_cql_prepared_param_type(const mb_cql_prepared *p,
                                              size_t i)
{
    return i < p->res->bind.ncols ? p->res->bind.cols[i].type : NULL;
}

/* ---- statements ------------------------------------------------------ */

static mb_cql_stmt *stmt_alloc(size_t nparams)
{
    mb_cql_stmt *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->nparams = nparams;
    st->vals = calloc(nparams ? nparams : 1, sizeof *st->vals);
    if (!st->vals) {
        free(st);
        return NULL;
    }
    for (size_t i = 0; i < nparams; i++) {
        mb_cql_put_int(&st->vals[i], -2); /* unset */
        if (st->vals[i].oom) {
            mb_cql_stmt_free(st);
            return NULL;
        }
    }
    st->cl = MB_CQL_ONE;
    st->page_size = 5000;
    return st;
}

mb_cql_stmt *mb_cql_stmt_new(const char *cql, size_t nparams)
{
    mb_cql_stmt *st = stmt_alloc(nparams);
    if (st && !(st->query = strdup(cql))) {
        mb_cql_stmt_free(st);
        return NULL;
    }
    return st;
}

mb_cql_stmt *mb_cql_stmt_new_prepared(const mb_cql_prepared *p)
{
    mb_cql_stmt *st = stmt_alloc(p->res->bind.ncols);
    if (st)
        st->prep = p;
    return st;
}

void mb_cql_stmt_free(mb_cql_stmt *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->nparams; i++)
        mb_cql_buf_free(&st->vals[i]);
    free(st->vals);
    mb_cql_buf_free(&st->paging);
    free(st->query);
    free(st);
}

mb_status mb_cql_stmt_bind(mb_cql_stmt *st, size_t i, const mb_cql_value *v,
                           mb_error *err)
{
    if (i >= st->nparams)
        return mb_error_set(err, MB_EINVAL, "parameter %zu is out of range "
                            "(the statement has %zu)", i, st->nparams);
    const mb_cql_type *t = st->prep ? st->prep->res->bind.cols[i].type : NULL;
    mb_cql_buf b = {0};
    mb_status s = mb_cql_value_encode(&b, t, v, err);
    if (s) {
        mb_cql_buf_free(&b);
        if (st->prep)
            mb_error_prefix(err, "parameter %zu (%s)", i,
                            st->prep->res->bind.cols[i].name);
        else
            mb_error_prefix(err, "parameter %zu", i);
        return s;
    }
    mb_cql_buf_free(&st->vals[i]);
    st->vals[i] = b;
    return MB_OK;
}

mb_status mb_cql_stmt_bind_int(mb_cql_stmt *st, size_t i, int64_t v,
                               mb_error *err)
{
    mb_cql_value x = mb_cql_int(v);
    return mb_cql_stmt_bind(st, i, &x, err);
}

mb_status mb_cql_stmt_bind_double(mb_cql_stmt *st, size_t i, double v,
                                  mb_error *err)
{
    mb_cql_value x = mb_cql_double(v);
    return mb_cql_stmt_bind(st, i, &x, err);
}

mb_status mb_cql_stmt_bind_text(mb_cql_stmt *st, size_t i, const char *s,
                                mb_error *err)
{
    mb_cql_value x = mb_cql_text(s);
    return mb_cql_stmt_bind(st, i, &x, err);
}

mb_status mb_cql_stmt_bind_blob(mb_cql_stmt *st, size_t i, const void *p,
                                size_t n, mb_error *err)
{
    mb_cql_value x = mb_cql_blob(p, n);
    return mb_cql_stmt_bind(st, i, &x, err);
}

mb_status mb_cql_stmt_bind_null(mb_cql_stmt *st, size_t i, mb_error *err)
{
    mb_cql_value x = mb_cql_null();
    return mb_cql_stmt_bind(st, i, &x, err);
}

void mb_cql_stmt_set_consistency(mb_cql_stmt *st, mb_cql_consistency cl)
{
    st->cl = cl;
}

void mb_cql_stmt_set_serial_consistency(mb_cql_stmt *st,
                                        mb_cql_consistency serial)
{
    st->serial = serial;
    st->has_serial = true;
}

void mb_cql_stmt_set_page_size(mb_cql_stmt *st, int32_t rows)
{
    st->page_size = rows;
}

void mb_cql_stmt_set_timestamp(mb_cql_stmt *st, int64_t micros)
{
    st->ts = micros;
    st->has_ts = true;
}

void mb_cql_stmt_set_idempotent(mb_cql_stmt *st, bool idempotent)
{
    st->idempotent = idempotent;
}

mb_status mb_cql_stmt_set_paging_state(mb_cql_stmt *st,
                                       const mb_cql_result *res,
                                       mb_error *err)
{
    st->paging.len = 0;
    st->has_paging = false;
    if (!res)
        return MB_OK;
    if (!mb_cql_result_has_more_pages(res))
        return mb_error_set(err, MB_EINVAL, "the result has no more pages");
    mb_cql_put(&st->paging, res->meta.paging_state,
               (size_t)res->meta.paging_len);
    if (st->paging.oom) {
        mb_cql_buf_free(&st->paging);
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
    st->has_paging = true;
    return MB_OK;
}

/* The [value] bytes of an encoded parameter: length and data. */
static int32_t value_of(const mb_cql_buf *b, const uint8_t **p)
{
    mb_cql_rd r = {b->p, b->len, 0, false};
    return mb_cql_get_bytes(&r, p);
}

/* Routing key of a prepared statement's bound values, if all are bound. */
static bool routing_key(const mb_cql_prepared *p, const mb_cql_buf *vals,
                        mb_cql_buf *out)
{
    const mb_cql_meta *m = &p->res->bind;
    if (!m->npk)
        return false;
    for (size_t k = 0; k < m->npk; k++) {
        const uint8_t *d;
        int32_t n = value_of(&vals[m->pk[k]], &d);
        if (n < 0 || (m->npk > 1 && n > UINT16_MAX))
            return false;
        if (m->npk == 1) {
            mb_cql_put(out, d, (size_t)n);
        } else {
            mb_cql_put_short(out, (uint16_t)n);
            mb_cql_put(out, d, (size_t)n);
            mb_cql_put_byte(out, 0);
        }
    }
    return !out->oom;
}

static void set_token(mb_cql_request *rq, const mb_cql_prepared *p,
                      const mb_cql_buf *vals)
{
    mb_cql_buf key = {0};
    if (p && routing_key(p, vals, &key)) {
        rq->has_token = true;
        rq->token = mb_murmur3_token(key.p ? key.p : (const uint8_t *)"",
                                     key.len);
    }
    mb_cql_buf_free(&key);
}

mb_status mb_cql_stmt_request(const mb_cql_stmt *st, mb_cql_request *rq,
                              mb_error *err)
{
    memset(rq, 0, sizeof *rq);
    mb_cql_buf *b = &rq->frame;
    mb_cql_frame_begin(b, st->prep ? MB_CQL_OP_EXECUTE : MB_CQL_OP_QUERY);
    if (st->prep) {
        size_t idn;
        const uint8_t *id = mb_cql_prepared_id(st->prep, &idn);
        mb_cql_put_short_bytes(b, id, (uint16_t)idn);
        rq->preps = malloc(sizeof *rq->preps);
        if (!rq->preps) {
            mb_cql_buf_free(b);
            return mb_error_set(err, MB_ENOMEM, "out of memory");
        }
        rq->preps[0] = st->prep;
        rq->npreps = 1;
    } else {
        mb_cql_put_long_string(b, st->query);
    }
    mb_cql_put_short(b, (uint16_t)st->cl);
    uint8_t flags = 0;
    if (st->nparams)
        flags |= QF_VALUES;
    if (st->page_size > 0)
        flags |= QF_PAGE_SIZE;
    if (st->has_paging)
        flags |= QF_PAGING_STATE;
    if (st->has_serial)
        flags |= QF_SERIAL;
    if (st->has_ts)
        flags |= QF_TIMESTAMP;
    mb_cql_put_byte(b, flags);
    if (st->nparams) {
        mb_cql_put_short(b, (uint16_t)st->nparams);
        for (size_t i = 0; i < st->nparams; i++)
            mb_cql_put(b, st->vals[i].p, st->vals[i].len);
    }
    if (st->page_size > 0)
        mb_cql_put_int(b, st->page_size);
    if (st->has_paging)
        mb_cql_put_bytes(b, st->paging.p, (int32_t)st->paging.len);
    if (st->has_serial)
        mb_cql_put_short(b, (uint16_t)st->serial);
    if (st->has_ts)
        mb_cql_put_long(b, st->ts);
    mb_cql_frame_finish(b);
    rq->idempotent = st->idempotent;
    if (b->oom || st->nparams > UINT16_MAX) {
        mb_cql_request_free(rq);
        return mb_error_set(err, MB_ENOMEM, "out of memory building the "
                            "request (or over 65535 parameters)");
    }
    set_token(rq, st->prep, st->vals);
    return MB_OK;
}

void mb_cql_request_free(mb_cql_request *rq)
{
    mb_cql_buf_free(&rq->frame);
    free(rq->preps);
    rq->preps = NULL;
    rq->npreps = 0;
}

/* ---- batches --------------------------------------------------------- */

mb_cql_batch *mb_cql_batch_new(mb_cql_batch_type type)
{
    mb_cql_batch *b = calloc(1, sizeof *b);
    if (b) {
        b->type = type;
        b->cl = MB_CQL_ONE;
    }
    return b;
}

void mb_cql_batch_free(mb_cql_batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        free(b->e[i].query);
        mb_cql_buf_free(&b->e[i].vals);
        mb_cql_buf_free(&b->e[i].routing);
    }
    free(b->e);
    free(b);
}

mb_status mb_cql_batch_add(mb_cql_batch *b, const mb_cql_stmt *st,
                           mb_error *err)
{
    if (b->n == UINT16_MAX)
        return mb_error_set(err, MB_ERANGE, "a batch holds at most 65535 "
                            "statements");
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        batch_entry *e = realloc(b->e, cap * sizeof *e);
        if (!e)
            return mb_error_set(err, MB_ENOMEM, "out of memory");
        b->e = e;
        b->cap = cap;
    }
    batch_entry *e = &b->e[b->n];
    memset(e, 0, sizeof *e);
    e->prep = st->prep;
    if (st->query && !(e->query = strdup(st->query)))
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    mb_cql_put_short(&e->vals, (uint16_t)st->nparams);
    for (size_t i = 0; i < st->nparams; i++)
        mb_cql_put(&e->vals, st->vals[i].p, st->vals[i].len);
    if (st->prep)
        e->has_routing = routing_key(st->prep, st->vals, &e->routing);
    if (e->vals.oom || e->routing.oom) {
        free(e->query);
        mb_cql_buf_free(&e->vals);
        mb_cql_buf_free(&e->routing);
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
    b->n++;
    return MB_OK;
}

void mb_cql_batch_set_consistency(mb_cql_batch *b, mb_cql_consistency cl)
{
    b->cl = cl;
}

void mb_cql_batch_set_serial_consistency(mb_cql_batch *b,
                                         mb_cql_consistency serial)
{
    b->serial = serial;
    b->has_serial = true;
}

void mb_cql_batch_set_timestamp(mb_cql_batch *b, int64_t micros)
{
    b->ts = micros;
    b->has_ts = true;
}

void mb_cql_batch_set_idempotent(mb_cql_batch *b, bool idempotent)
{
    b->idempotent = idempotent;
}

mb_status mb_cql_batch_request(const mb_cql_batch *b, mb_cql_request *rq,
                               mb_error *err)
{
    memset(rq, 0, sizeof *rq);
    if (!b->n)
        return mb_error_set(err, MB_EINVAL, "empty batch");
    rq->preps = malloc(b->n * sizeof *rq->preps);
    if (!rq->preps)
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    mb_cql_buf *f = &rq->frame;
    mb_cql_frame_begin(f, MB_CQL_OP_BATCH);
    mb_cql_put_byte(f, (uint8_t)b->type);
    mb_cql_put_short(f, (uint16_t)b->n);
    for (size_t i = 0; i < b->n; i++) {
        const batch_entry *e = &b->e[i];
        if (e->prep) {
            size_t idn;
            const uint8_t *id = mb_cql_prepared_id(e->prep, &idn);
            mb_cql_put_byte(f, 1);
            mb_cql_put_short_bytes(f, id, (uint16_t)idn);
            size_t k = 0;
            while (k < rq->npreps && rq->preps[k] != e->prep)
                k++;
            if (k == rq->npreps)
                rq->preps[rq->npreps++] = e->prep;
        } else {
            mb_cql_put_byte(f, 0);
            mb_cql_put_long_string(f, e->query);
        }
        mb_cql_put(f, e->vals.p, e->vals.len);
        if (e->has_routing && !rq->has_token) {
            rq->has_token = true;
            rq->token = mb_murmur3_token(e->routing.p ? e->routing.p
                                                      : (const uint8_t *)"",
                                         e->routing.len);
        }
    }
    mb_cql_put_short(f, (uint16_t)b->cl);
    mb_cql_put_byte(f, (uint8_t)((b->has_serial ? QF_SERIAL : 0) |
                                 (b->has_ts ? QF_TIMESTAMP : 0)));
    if (b->has_serial)
        mb_cql_put_short(f, (uint16_t)b->serial);
    if (b->has_ts)
        mb_cql_put_long(f, b->ts);
    mb_cql_frame_finish(f);
    rq->idempotent = b->idempotent;
    if (f->oom) {
        mb_cql_request_free(rq);
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
    return MB_OK;
}
