/*
 * store_cassandra.c - the Cassandra backend of the store interface,
 * through the project's own CQL client (src/cql).
 *
 * URI: cassandra://HOST[:PORT][,HOST2...]/KEYSPACE?rf=1&write_cl=QUORUM
 *      &read_cl=QUORUM&serial_cl=SERIAL&dc=DC&user=U&password=P
 * (docs/cassandra-store.md explains every option and the layout below).
 *
 * Layout (schema_cql below, created if missing):
 *  - current: one row per identity, partition (meter, channel, step,
 *    bucket = UTC month), clustered by start. Registers live in the same
 *    tables with step 0 and start = read instant. Each row is written
 *    USING TIMESTAMP <version in µs>, so Cassandra's own last-write-wins
 *    keeps the newest version. The value and its quality are ONE cell `v`
 *    in an order-preserving encoding (enc_value): on equal timestamps
 *    Cassandra keeps the bytewise larger cell, which is exactly the
 *    content order the embedded store uses to break ties, so both
 *    backends keep the same winner whatever the arrival order.
 *  - history: every version ever written, clustered by (start, version, v)
 *    (all key columns, so writes are idempotent). A read with history
 *    lists these after the current value, skipping the current one.
 *  - meters (meter -> zone) and series (meter; kind, channel, step -> unit,
 *    first, last). first/last are written with timestamps derived from
 *    the instant itself (FIRST_TS/LAST_TS), so last-write-wins keeps the
 *    minimum and maximum without reading.
 *  - files: the registry, keyed by digest, written with lightweight
 *    transactions (an applied record is never replaced).
 *  - leases: locks, INSERT IF NOT EXISTS USING TTL / UPDATE IF owner.
 *
 * A batch. Values are buffered in memory while the file is read, and the
 * current versions of the affected rows are fetched asynchronously as
 * blocks arrive. At commit the effect of every value is computed exactly
 * (added / changed / unchanged, also against earlier values of the same
 * batch), the writes go out asynchronously as unlogged batches grouped by
 * partition, and only when every write was acknowledged is the file
 * recorded as applied. Cassandra has no multi-partition transaction: if
 * commit fails midway some values may already be visible, but the file is
 * not recorded as applied, so it is applied again, entirely, next time;
 * the writes are idempotent and timestamped by version, so that converges
 * to the same view. A batch that grows beyond SPILL_VALUES is written out
 * early under the same rule. An aborted batch (bad data) below that size
 * writes nothing.
 *
 * A handle is for one thread.
 */
#include "store/store_backend.h"

#include "core/tz.h"
#include "cql/cql.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Values buffered in one batch before it is written out early. */
#define SPILL_VALUES (1u << 21)
/* Statements per unlogged batch. */
#define BATCH_STMTS 192
/* Meters above which the handle stops caching the whole meter list. */
#define CACHE_MAX 4000000
/* Partition reads kept in flight by the ordered readers. */
#define FETCH_WINDOW 64
/* Instants the store accepts (as the embedded store). */
#define TIME_LIMIT (((int64_t)1 << 23) * 86400 - 2 * 86400)
/* Write timestamps of series.first / series.last: the smallest first and
 * the largest last have the largest timestamp, so they win. */
#define TS_BASE ((int64_t)1 << 61)
#define FIRST_TS(t) (TS_BASE - (t))
#define LAST_TS(t) (TS_BASE + (t))

/* ---- schema --------------------------------------------------------------- */

/* %1$s is the keyspace. The keyspace statement comes first (replication
 * is added by keyspace_cql). */
static const char *const schema_cql[] = {
    /* current view: one row per identity; v = enc_value(); written USING
     * TIMESTAMP version */
    "CREATE TABLE IF NOT EXISTS %1$s.current ("
    " meter text, channel text, step int, bucket int, start bigint,"
    " version bigint, v blob,"
    " PRIMARY KEY ((meter, channel, step, bucket), start))",
    /* every version ever written (idempotent: all columns are key) */
    "CREATE TABLE IF NOT EXISTS %1$s.history ("
    " meter text, channel text, step int, bucket int, start bigint,"
    " version bigint, v blob,"
    " PRIMARY KEY ((meter, channel, step, bucket), start, version, v))",
    "CREATE TABLE IF NOT EXISTS %1$s.meters ("
    " meter text PRIMARY KEY, zone text)",
    /* kind 0: interval series (step > 0); kind 1: register (step 0) */
    "CREATE TABLE IF NOT EXISTS %1$s.series ("
    " meter text, kind tinyint, channel text, step int, unit text,"
    " first bigint, last bigint,"
    " PRIMARY KEY ((meter), kind, channel, step))",
    "CREATE TABLE IF NOT EXISTS %1$s.files ("
    " digest text PRIMARY KEY, name text, size bigint, format text,"
    " outcome text, nvalues bigint, nregisters bigint, added bigint,"
    " changed bigint, unchanged bigint, error text, seen_at bigint,"
    " recorded_ms bigint)",
    /* expires: ms since the epoch by the taker's clock; the TTL only
     * collects old rows */
    "CREATE TABLE IF NOT EXISTS %1$s.leases ("
    " name text PRIMARY KEY, owner text, expires bigint)",
};

#define PK "meter = ? AND channel = ? AND step = ? AND bucket = ?"
#define FILE_COLS "digest, name, size, format, outcome, nvalues, nregisters," \
                  " added, changed, unchanged, error, seen_at, recorded_ms"

enum {
    P_CUR_RANGE, P_HIST_RANGE, P_CUR_PUT, P_HIST_PUT,
    P_METER_PUT, P_SERIES_PUT, P_FIRST_PUT, P_LAST_PUT,
    P_METER_GET, P_SERIES_GET, P_METERS_ALL, P_SERIES_ALL,
    P_FILE_INS, P_FILE_UPD, P_FILE_GET, P_FILES_ALL,
    P_LOCK_INS, P_LOCK_RENEW, P_LOCK_CLAIM, P_UNLOCK, P_LOCK_GET,
    P_COUNT
};

static const char *const prep_cql[P_COUNT] = {
    [P_CUR_RANGE] = "SELECT start, version, v FROM %1$s.current WHERE " PK
                    " AND start >= ? AND start < ?",
    [P_HIST_RANGE] = "SELECT start, version, v FROM %1$s.history WHERE " PK
                     " AND start >= ? AND start < ?",
    [P_CUR_PUT] = "INSERT INTO %1$s.current (meter, channel, step, bucket,"
                  " start, version, v) VALUES (?, ?, ?, ?, ?, ?, ?)"
                  " USING TIMESTAMP ?",
    [P_HIST_PUT] = "INSERT INTO %1$s.history (meter, channel, step, bucket,"
                   " start, version, v) VALUES (?, ?, ?, ?, ?, ?, ?)"
                   " USING TIMESTAMP ?",
    [P_METER_PUT] = "INSERT INTO %1$s.meters (meter, zone) VALUES (?, ?)",
    [P_SERIES_PUT] = "INSERT INTO %1$s.series (meter, kind, channel, step,"
                     " unit) VALUES (?, ?, ?, ?, ?)",
    [P_FIRST_PUT] = "UPDATE %1$s.series USING TIMESTAMP ? SET first = ?"
                    " WHERE meter = ? AND kind = ? AND channel = ?"
                    " AND step = ?",
    [P_LAST_PUT] = "UPDATE %1$s.series USING TIMESTAMP ? SET last = ?"
                   " WHERE meter = ? AND kind = ? AND channel = ?"
                   " AND step = ?",
    [P_METER_GET] = "SELECT zone FROM %1$s.meters WHERE meter = ?",
    [P_SERIES_GET] = "SELECT kind, channel, step, unit, first, last"
                     " FROM %1$s.series WHERE meter = ?",
    [P_METERS_ALL] = "SELECT meter, zone FROM %1$s.meters",
    [P_SERIES_ALL] = "SELECT meter, kind, channel, step, unit, first, last"
                     " FROM %1$s.series",
    [P_FILE_INS] = "INSERT INTO %1$s.files (" FILE_COLS ") VALUES"
                   " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS",
    [P_FILE_UPD] = "UPDATE %1$s.files SET name = ?, size = ?, format = ?,"
                   " outcome = ?, nvalues = ?, nregisters = ?, added = ?,"
                   " changed = ?, unchanged = ?, error = ?, seen_at = ?,"
                   " recorded_ms = ? WHERE digest = ?"
                   " IF outcome = 'rejected'",
    [P_FILE_GET] = "SELECT " FILE_COLS " FROM %1$s.files WHERE digest = ?",
    [P_FILES_ALL] = "SELECT " FILE_COLS " FROM %1$s.files",
    [P_LOCK_INS] = "INSERT INTO %1$s.leases (name, owner, expires)"
                   " VALUES (?, ?, ?) IF NOT EXISTS USING TTL ?",
    [P_LOCK_RENEW] = "UPDATE %1$s.leases USING TTL ? SET expires = ?"
                     " WHERE name = ? IF owner = ?",
    /* take over an expired lease, as it was seen */
    [P_LOCK_CLAIM] = "UPDATE %1$s.leases USING TTL ? SET owner = ?,"
                     " expires = ? WHERE name = ? IF owner = ?"
                     " AND expires = ?",
    [P_UNLOCK] = "DELETE FROM %1$s.leases WHERE name = ? IF owner = ?",
    [P_LOCK_GET] = "SELECT owner, expires FROM %1$s.leases WHERE name = ?",
};

/* ---- the handle ------------------------------------------------------------ */

typedef struct cs_meter cs_meter;

typedef struct cs_series {
    struct cs_series *next;  /* of the meter */
    cs_meter *meter;
    struct cs_series *tnext; /* touched by the open batch */
    int kind;                /* 0 intervals, 1 register */
    int32_t step;            /* interval length; 0 for registers */
    mb_unit unit;
    bool dead;               /* created by a batch that was aborted */
    bool fresh;              /* created by the open batch */
    uint64_t stamp;          /* batch that touched it last */
    mb_time bmin, bmax;      /* instants that batch wrote */
    char channel[];
} cs_series;

struct cs_meter {
    cs_series *series;
    const mb_tz *tz;
    bool dead, fresh;
    char zone[64];
    char name[];
};

typedef struct cs_seg cs_seg;
typedef struct cs_batch cs_batch;

typedef struct cs_store {
    mb_store base;
    mb_cql_cluster *cl;
    char ks[64];
    char *uri;       /* for messages, without the password */
    mb_cql_consistency write_cl, read_cl, serial_cl;
    mb_cql_prepared *p[P_COUNT];
    /* meter cache: open addressing on name */
    cs_meter **slots;
    size_t mask, count;
    bool cache_loaded, complete;
    uint64_t stamp;
    cs_batch *batch;
    /* strings of the last file_get */
    char *file_name, *file_error;
    pthread_mutex_t mu;  /* async completions */
    pthread_cond_t cv;
} cs_store;

/* One run of values of one series inside one bucket (or one register
 * read), as given to the batch. */
struct cs_seg {
    cs_meter *m;
    cs_series *se;
    int32_t bucket;
    int32_t stride;      /* seconds between values (1 for a register) */
    mb_time start;
    uint32_t n;
    mb_version version;
    size_t val0;         /* first value in cs_batch.vals */
    long prev;           /* earlier segment of the same partition, -1 */
    /* the current values read before writing (completion fills these) */
    bool done;
    mb_status rst;
    mb_cql_result *res;
    char rmsg[256];
};

typedef struct cs_val {
    size_t off;   /* into cs_batch.bytes */
    uint32_t len;
} cs_val;

struct cs_batch {
    mb_batch base;
    cs_store *s;
    cs_seg *segs;
    size_t nsegs, segcap;
    cs_val *vals;
    size_t nvals, valcap;
    uint8_t *bytes;
    size_t nbytes, bytecap;
    cs_series *touched;
    cs_meter **fresh_meters;
    size_t nfresh, freshcap;
    mb_apply_stats st;
    bool failed;
};

static const mb_store_ops cs_ops;

static mb_status nomem(mb_error *err)
{
    return mb_error_set(err, MB_ENOMEM, "store: out of memory");
}

/* ---- value encoding -------------------------------------------------------- */

/* The content of a value as one blob whose bytewise order is the tie order
 * of the embedded store (mb_dayslot_cmp, then read type and serial for
 * registers): units (8 bytes big-endian, sign bit flipped), scale, flag,
 * method, reason (2 bytes big-endian), then for intervals the reason text;
 * for registers the text, a 0 byte, the read type and the serial. */
#define ENC_FIXED 13

static size_t enc_value(uint8_t *out, mb_decimal v, mb_quality q,
                        const char *text, bool reg, char read_type,
                        const char *serial)
{
    uint64_t u = (uint64_t)v.units ^ ((uint64_t)1 << 63);
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(u >> (56 - 8 * i));
    out[8] = (uint8_t)v.scale;
    out[9] = (uint8_t)q.flag;
    out[10] = q.method;
    out[11] = (uint8_t)(q.reason >> 8);
    out[12] = (uint8_t)q.reason;
    size_t n = ENC_FIXED;
    size_t tl = text ? strlen(text) : 0;
    if (tl)
        memcpy(out + n, text, tl);
    n += tl;
    if (reg) {
        out[n++] = 0;
        out[n++] = (uint8_t)read_type;
        size_t sl = strlen(serial);
        memcpy(out + n, serial, sl);
        n += sl;
    }
    return n;
}

typedef struct decoded {
    mb_decimal v;
    mb_quality q;
    const uint8_t *text;   /* not NUL-terminated */
    size_t tlen;
    char read_type;
    const uint8_t *serial;
    size_t slen;
} decoded;

static bool dec_value(const uint8_t *p, size_t n, bool reg, decoded *d)
{
    if (n < ENC_FIXED)
        return false;
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = u << 8 | p[i];
    d->v.units = (int64_t)(u ^ ((uint64_t)1 << 63));
    d->v.scale = p[8];
    d->q.flag = (char)p[9];
    d->q.method = p[10];
    d->q.reason = (uint16_t)(p[11] << 8 | p[12]);
    d->text = p + ENC_FIXED;
    d->read_type = 0;
    d->serial = NULL;
    d->slen = 0;
    if (!reg) {
        d->tlen = n - ENC_FIXED;
        return d->v.scale <= MB_DECIMAL_MAX_SCALE;
    }
    const uint8_t *z = memchr(d->text, 0, n - ENC_FIXED);
    if (!z || (size_t)(z - p) + 2 > n)
        return false;
    d->tlen = (size_t)(z - d->text);
    d->read_type = (char)z[1];
    d->serial = z + 2;
    d->slen = n - (size_t)(d->serial - p);
    return d->v.scale <= MB_DECIMAL_MAX_SCALE;
}

/* Order of two stored versions: version, then content. */
static int ver_cmp(int64_t va, const uint8_t *a, size_t na, int64_t vb,
                   const uint8_t *b, size_t nb)
{
    if (va != vb)
        return va > vb ? 1 : -1;
    size_t n = na < nb ? na : nb;
    int c = memcmp(a, b, n);
    if (c)
        return c > 0 ? 1 : -1;
    return (na > nb) - (na < nb);
}

/* ---- time buckets ------------------------------------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return q - ((a % b) != 0 && ((a < 0) != (b < 0)));
}

/* UTC month of an instant: year * 12 + month - 1. */
static int32_t bucket_of(mb_time t)
{
    int y, m, d;
    mb_civil_from_days(floor_div(t, 86400), &y, &m, &d);
    return y * 12 + m - 1;
}

static mb_time bucket_start(int32_t b)
{
    int y = (int)floor_div(b, 12);
    int m = b - y * 12 + 1;
    return mb_days_from_civil(y, m, 1) * 86400;
}

/* ---- CQL helpers --------------------------------------------------------------- */

static mb_status bind_s(mb_cql_stmt *st, size_t i, const char *s,
                        mb_error *err)
{
    return mb_cql_stmt_bind_text(st, i, s, err);
}

static mb_status bind_i(mb_cql_stmt *st, size_t i, int64_t v, mb_error *err)
{
    return mb_cql_stmt_bind_int(st, i, v, err);
}

static mb_cql_stmt *stmt(cs_store *s, int q, mb_cql_consistency cons)
{
    mb_cql_stmt *st = mb_cql_stmt_new_prepared(s->p[q]);
    if (st)
        mb_cql_stmt_set_consistency(st, cons);
    return st;
}

/* Run a statement synchronously; on failure prefix the error. */
static mb_status run(cs_store *s, mb_cql_stmt *st, mb_cql_result **out,
                     const char *what, mb_error *err)
{
    mb_cql_result *res = NULL;
    mb_status rc = mb_cql_execute(s->cl, st, &res, err);
    if (rc) {
        mb_error_prefix(err, "store %s: %s", s->uri, what);
        return rc;
    }
    if (out)
        *out = res;
    else
        mb_cql_result_free(res);
    return MB_OK;
}

static mb_status cell_i64(const mb_cql_result *r, size_t row, size_t col,
                          int64_t *out)
{
    mb_cql_cell c = mb_cql_result_cell(r, row, col);
    if (mb_cql_cell_is_null(&c)) {
        *out = 0;
        return MB_OK;
    }
    return mb_cql_cell_int64(&c, out, NULL);
}

/* A text cell copied into buf (cap bytes, NUL-terminated, "" for null). */
static void cell_str(const mb_cql_result *r, size_t row, size_t col,
                     char *buf, size_t cap)
{
    mb_cql_cell c = mb_cql_result_cell(r, row, col);
    const uint8_t *p;
    size_t n = 0;
    if (!mb_cql_cell_is_null(&c) && mb_cql_cell_bytes(&c, &p, &n, NULL) ==
        MB_OK) {
        if (n >= cap)
            n = cap - 1;
        memcpy(buf, p, n);
    }
    buf[n] = '\0';
}

static bool cell_blob(const mb_cql_result *r, size_t row, size_t col,
                      const uint8_t **p, size_t *n)
{
    mb_cql_cell c = mb_cql_result_cell(r, row, col);
    return !mb_cql_cell_is_null(&c) &&
           mb_cql_cell_bytes(&c, p, n, NULL) == MB_OK;
}

static bool lwt_applied(const mb_cql_result *r)
{
    if (!r || mb_cql_result_row_count(r) < 1)
        return false;
    mb_cql_cell c = mb_cql_result_cell(r, 0, 0);
    bool b = false;
    return mb_cql_cell_bool(&c, &b, NULL) == MB_OK && b;
}

/* Every row of a statement, page by page. */
typedef mb_status (*row_fn)(void *ctx, const mb_cql_result *r, size_t row,
                            mb_error *err);

static mb_status each_row(cs_store *s, mb_cql_stmt *st, const char *what,
                          row_fn fn, void *ctx, mb_error *err)
{
    mb_status rc = MB_OK;
    for (;;) {
        mb_cql_result *res;
        if ((rc = run(s, st, &res, what, err)))
            return rc;
        size_t n = mb_cql_result_row_count(res);
        for (size_t i = 0; rc == MB_OK && i < n; i++)
            rc = fn(ctx, res, i, err);
        bool more = rc == MB_OK && mb_cql_result_has_more_pages(res);
        if (more)
            rc = mb_cql_stmt_set_paging_state(st, res, err);
        mb_cql_result_free(res);
        if (rc || !more)
            return rc;
    }
}

/* ---- the meter cache ----------------------------------------------------------- */

static uint64_t hash_str(const char *p)
{
    uint64_t h = 1469598103934665603u;
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211u;
    return h;
}

static cs_meter **cache_slot(cs_store *s, const char *name)
{
    size_t i = hash_str(name) & s->mask;
    while (s->slots[i] && strcmp(s->slots[i]->name, name))
        i = (i + 1) & s->mask;
    return &s->slots[i];
}

static cs_meter *cache_get(cs_store *s, const char *name)
{
    return s->slots ? *cache_slot(s, name) : NULL;
}

static void meter_free(cs_meter *m)
{
    for (cs_series *se = m->series, *nx; se; se = nx) {
        nx = se->next;
        free(se);
    }
    free(m);
}

static void cache_clear(cs_store *s)
{
    for (size_t i = 0; s->slots && i <= s->mask; i++)
        if (s->slots[i])
            meter_free(s->slots[i]);
    free(s->slots);
    s->slots = NULL;
    s->mask = s->count = 0;
    s->cache_loaded = s->complete = false;
}

static mb_status cache_put(cs_store *s, const char *name, const char *zone,
                           cs_meter **out, mb_error *err)
{
    if (!s->slots || (s->count + 1) * 2 > s->mask + 1) {
        size_t cap = s->slots ? (s->mask + 1) * 2 : 1024;
        cs_meter **old = s->slots;
        size_t omask = s->mask;
        if (!(s->slots = calloc(cap, sizeof *s->slots))) {
            s->slots = old;
            return nomem(err);
        }
        s->mask = cap - 1;
        for (size_t i = 0; old && i <= omask; i++)
            if (old[i])
                *cache_slot(s, old[i]->name) = old[i];
        free(old);
    }
    size_t nl = strlen(name);
    cs_meter *m = calloc(1, sizeof *m + nl + 1);
    if (!m)
        return nomem(err);
    memcpy(m->name, name, nl + 1);
    snprintf(m->zone, sizeof m->zone, "%s", zone);
    if (!(m->tz = mb_tz_get(m->zone, err))) {
        free(m);
        mb_error_prefix(err, "store: meter %s", name);
        return err ? err->status : MB_EINVAL;
    }
    *cache_slot(s, name) = m;
    s->count++;
    *out = m;
    return MB_OK;
}

static mb_status series_add(cs_meter *m, int kind, const char *channel,
                            int32_t step, mb_unit unit, cs_series **out,
                            mb_error *err)
{
    size_t cl = strlen(channel);
    cs_series *se = calloc(1, sizeof *se + cl + 1);
    if (!se)
        return nomem(err);
    memcpy(se->channel, channel, cl + 1);
    se->kind = kind;
    se->step = step;
    se->unit = unit;
    se->meter = m;
    se->next = m->series;
    m->series = se;
    if (out)
        *out = se;
    return MB_OK;
}

static cs_series *series_find(cs_meter *m, int kind, const char *channel,
                              int32_t step)
{
    for (cs_series *se = m->series; se; se = se->next)
        if (se->kind == kind && se->step == step &&
            !strcmp(se->channel, channel))
            return se;
    return NULL;
}

static mb_unit unit_from(const char *name)
{
    mb_unit u;
    int32_t pow10;
    return mb_unit_parse(name, strlen(name), &u, &pow10) == MB_OK && !pow10
               ? u : (mb_unit)0;
}

static mb_status load_meter_row(void *ctx, const mb_cql_result *r,
                                size_t row, mb_error *err)
{
    cs_store *s = ctx;
    if (s->count >= CACHE_MAX)
        return MB_EBUSY; /* too many: stop, look meters up one by one */
    char name[MB_ID_MAX + 1], zone[64];
    cell_str(r, row, 0, name, sizeof name);
    cell_str(r, row, 1, zone, sizeof zone);
    cs_meter *m;
    return cache_put(s, name, zone, &m, err);
}

/* Series of a meter from a series row (meter in column mcol or known). */
static mb_status series_row(cs_meter *m, const mb_cql_result *r, size_t row,
                            size_t c0, mb_error *err)
{
    int64_t kind, step;
    char channel[MB_ID_MAX + 1], unit[32];
    cell_i64(r, row, c0, &kind);
    cell_str(r, row, c0 + 1, channel, sizeof channel);
    cell_i64(r, row, c0 + 2, &step);
    cell_str(r, row, c0 + 3, unit, sizeof unit);
    if (series_find(m, (int)kind, channel, (int32_t)step))
        return MB_OK;
    return series_add(m, (int)kind, channel, (int32_t)step, unit_from(unit),
                      NULL, err);
}

static mb_status load_series_row(void *ctx, const mb_cql_result *r,
                                 size_t row, mb_error *err)
{
    cs_store *s = ctx;
    char name[MB_ID_MAX + 1];
    cell_str(r, row, 0, name, sizeof name);
    cs_meter *m = cache_get(s, name);
    return m ? series_row(m, r, row, 1, err) : MB_OK;
}

/* Fill the cache with every meter and series when there are not too many
 * (once per handle). */
static mb_status cache_load(cs_store *s, mb_error *err)
{
    if (s->cache_loaded)
        return MB_OK;
    s->cache_loaded = true;
    mb_cql_stmt *st = stmt(s, P_METERS_ALL, s->read_cl);
    if (!st)
        return nomem(err);
    mb_status rc = each_row(s, st, "cannot list meters", load_meter_row, s,
                            err);
    mb_cql_stmt_free(st);
    if (rc == MB_EBUSY) {
        cache_clear(s);
        s->cache_loaded = true;
        return MB_OK;
    }
    if (rc == MB_OK) {
        if (!(st = stmt(s, P_SERIES_ALL, s->read_cl)))
            return nomem(err);
        rc = each_row(s, st, "cannot list series", load_series_row, s, err);
        mb_cql_stmt_free(st);
    }
    if (rc) {
        cache_clear(s);
        return rc;
    }
    s->complete = true;
    return MB_OK;
}

static mb_status meter_series_row(void *ctx, const mb_cql_result *r,
                                  size_t row, mb_error *err)
{
    return series_row(ctx, r, row, 0, err);
}

/* The meter from the store, or NULL (*out) when it holds none. */
static mb_status fetch_meter(cs_store *s, const char *name, cs_meter **out,
                             mb_error *err)
{
    *out = NULL;
    mb_cql_stmt *st = stmt(s, P_METER_GET, s->read_cl);
    mb_cql_result *res = NULL;
    mb_status rc = st ? bind_s(st, 0, name, err) : nomem(err);
    if (rc == MB_OK)
        rc = run(s, st, &res, "cannot read meter", err);
    mb_cql_stmt_free(st);
    if (rc)
        return rc;
    if (mb_cql_result_row_count(res) == 1) {
        char zone[64];
        cell_str(res, 0, 0, zone, sizeof zone);
        rc = cache_put(s, name, zone, out, err);
    }
    mb_cql_result_free(res);
    if (rc || !*out)
        return rc;
    if (!(st = stmt(s, P_SERIES_GET, s->read_cl)))
        return nomem(err);
    rc = bind_s(st, 0, name, err);
    if (rc == MB_OK)
        rc = each_row(s, st, "cannot read series", meter_series_row, *out,
                      err);
    mb_cql_stmt_free(st);
    return rc;
}

/* ---- open and close ------------------------------------------------------------ */

static void cs_close(mb_store *ss)
{
    cs_store *s = (cs_store *)ss;
    if (s->cl)
        mb_cql_cluster_close(s->cl);
    for (int i = 0; i < P_COUNT; i++)
        mb_cql_prepared_free(s->p[i]);
    cache_clear(s);
    free(s->uri);
    free(s->file_name);
    free(s->file_error);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

typedef struct cs_config {
    char hosts[1024];
    char ks[64];
    char user[256], password[256], dc[64];
    int rf;
    mb_cql_consistency write_cl, read_cl, serial_cl;
} cs_config;

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decode [p, p+n) into out (cap bytes). */
static bool pct_decode(const char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)p[i];
        if (c == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 &&
            hexval(p[i + 2]) >= 0) {
            c = hexval(p[i + 1]) * 16 + hexval(p[i + 2]);
            i += 2;
        }
        if (o + 1 >= cap || c == 0)
            return false;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return true;
}

static mb_status parse_cl(const char *uri, const char *key, const char *val,
                          const mb_cql_consistency *allowed, size_t nallowed,
                          mb_cql_consistency *out, mb_error *err)
{
    mb_cql_consistency c;
    if (mb_cql_consistency_parse(val, &c, NULL) == MB_OK)
        for (size_t i = 0; i < nallowed; i++)
            if (allowed[i] == c) {
                *out = c;
                return MB_OK;
            }
    return mb_error_set(err, MB_EINVAL, "store %s: %s=%s is not a valid "
                        "consistency level here", uri, key, val);
}

static const mb_cql_consistency write_levels[] = {
    MB_CQL_ANY, MB_CQL_ONE, MB_CQL_TWO, MB_CQL_THREE, MB_CQL_QUORUM,
    MB_CQL_ALL, MB_CQL_LOCAL_QUORUM, MB_CQL_EACH_QUORUM, MB_CQL_LOCAL_ONE};
static const mb_cql_consistency read_levels[] = {
    MB_CQL_ONE, MB_CQL_TWO, MB_CQL_THREE, MB_CQL_QUORUM, MB_CQL_ALL,
    MB_CQL_LOCAL_QUORUM, MB_CQL_EACH_QUORUM, MB_CQL_LOCAL_ONE};
static const mb_cql_consistency serial_levels[] = {MB_CQL_SERIAL,
                                                   MB_CQL_LOCAL_SERIAL};

/* target: HOSTS/KEYSPACE?k=v&... (the URI without "cassandra://"). */
static mb_status parse_uri(const char *uri, const char *target,
                           cs_config *c, mb_error *err)
{
    *c = (cs_config){.rf = 1, .write_cl = MB_CQL_QUORUM,
                     .read_cl = MB_CQL_QUORUM, .serial_cl = MB_CQL_SERIAL};
    const char *slash = strchr(target, '/');
    if (!slash || slash == target)
        return mb_error_set(err, MB_EINVAL, "store %s: expected "
                            "cassandra://HOST[:PORT][,HOST...]/KEYSPACE",
                            uri);
    size_t hl = (size_t)(slash - target);
    if (hl >= sizeof c->hosts)
        return mb_error_set(err, MB_EINVAL, "store %s: host list too long",
                            uri);
    memcpy(c->hosts, target, hl);
    c->hosts[hl] = '\0';
    const char *ks = slash + 1, *q = strchr(ks, '?');
    size_t kl = q ? (size_t)(q - ks) : strlen(ks);
    if (kl == 0 || kl > 48 || !isalpha((unsigned char)ks[0]))
        return mb_error_set(err, MB_EINVAL, "store %s: keyspace must be 1 "
                            "to 48 letters, digits or _, starting with a "
                            "letter", uri);
    for (size_t i = 0; i < kl; i++) {
        int ch = (unsigned char)ks[i];
        if (!isalnum(ch) && ch != '_')
            return mb_error_set(err, MB_EINVAL, "store %s: bad keyspace "
                                "name", uri);
        c->ks[i] = (char)tolower(ch);
    }
    c->ks[kl] = '\0';
    for (const char *p = q ? q + 1 : NULL; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        char key[32], val[256];
        if (!eq || (size_t)(eq - p) >= sizeof key)
            return mb_error_set(err, MB_EINVAL, "store %s: option \"%.*s\" "
                                "is not key=value", uri, (int)n, p);
        memcpy(key, p, (size_t)(eq - p));
        key[eq - p] = '\0';
        if (!pct_decode(eq + 1, n - (size_t)(eq - p) - 1, val, sizeof val))
            return mb_error_set(err, MB_EINVAL, "store %s: bad value of %s",
                                uri, key);
        mb_status st = MB_OK;
        if (!strcmp(key, "rf")) {
            char *end;
            long rf = strtol(val, &end, 10);
            if (*end || rf < 1 || rf > 100)
                st = mb_error_set(err, MB_EINVAL, "store %s: rf must be 1 "
                                  "to 100", uri);
            c->rf = (int)rf;
        } else if (!strcmp(key, "write_cl")) {
            st = parse_cl(uri, key, val, write_levels,
                          sizeof write_levels / sizeof *write_levels,
                          &c->write_cl, err);
        } else if (!strcmp(key, "read_cl")) {
            st = parse_cl(uri, key, val, read_levels,
                          sizeof read_levels / sizeof *read_levels,
                          &c->read_cl, err);
        } else if (!strcmp(key, "serial_cl")) {
            st = parse_cl(uri, key, val, serial_levels, 2, &c->serial_cl,
                          err);
        } else if (!strcmp(key, "user")) {
            snprintf(c->user, sizeof c->user, "%s", val);
        } else if (!strcmp(key, "password")) {
            snprintf(c->password, sizeof c->password, "%s", val);
        } else if (!strcmp(key, "dc")) {
            for (const char *v = val; *v; v++)
                if (!isalnum((unsigned char)*v) && *v != '_' && *v != '-')
                    return mb_error_set(err, MB_EINVAL, "store %s: bad dc "
                                        "name", uri);
            snprintf(c->dc, sizeof c->dc, "%s", val);
        } else {
            st = mb_error_set(err, MB_EINVAL, "store %s: unknown option %s "
                              "(rf, write_cl, read_cl, serial_cl, dc, user, "
                              "password)", uri, key);
        }
        if (st)
            return st;
        p = amp ? amp + 1 : NULL;
    }
    return MB_OK;
}

/* The URI for messages: everything up to the options. */
static char *safe_uri(const char *target)
{
    size_t n = strcspn(target, "?");
    char *u = malloc(n + 16);
    if (u)
        snprintf(u, n + 16, "cassandra://%.*s", (int)n, target);
    return u;
}

static mb_status setup_schema(cs_store *s, const cs_config *c, mb_error *err)
{
    char cql[1024];
    if (c->dc[0])
        snprintf(cql, sizeof cql, "CREATE KEYSPACE IF NOT EXISTS %s WITH "
                 "replication = {'class': 'NetworkTopologyStrategy', "
                 "'%s': %d}", s->ks, c->dc, c->rf);
    else
        snprintf(cql, sizeof cql, "CREATE KEYSPACE IF NOT EXISTS %s WITH "
                 "replication = {'class': 'SimpleStrategy', "
                 "'replication_factor': %d}", s->ks, c->rf);
    mb_status st = MB_OK;
    for (size_t i = 0; st == MB_OK &&
                       i <= sizeof schema_cql / sizeof *schema_cql; i++) {
        if (i)
            snprintf(cql, sizeof cql, schema_cql[i - 1], s->ks);
        mb_cql_result *res = NULL;
        st = mb_cql_query(s->cl, cql, MB_CQL_ALL, &res, err);
        mb_cql_result_free(res);
        if (st)
            mb_error_prefix(err, "store %s: cannot create schema", s->uri);
    }
    for (int i = 0; st == MB_OK && i < P_COUNT; i++) {
        snprintf(cql, sizeof cql, prep_cql[i], s->ks);
        st = mb_cql_prepare(s->cl, cql, &s->p[i], err);
        if (st)
            mb_error_prefix(err, "store %s: cannot prepare statement %d",
                            s->uri, i);
    }
    return st;
}

mb_status mb_store_cassandra_open(const char *target, mb_store **out,
                                  mb_error *err)
{
    cs_config c;
    char *uri = safe_uri(target);
    if (!uri)
        return nomem(err);
    mb_status st = parse_uri(uri, target, &c, err);
    cs_store *s = st ? NULL : calloc(1, sizeof *s);
    if (st || !s) {
        free(uri);
        return st ? st : nomem(err);
    }
    s->base.ops = &cs_ops;
    s->uri = uri;
    snprintf(s->ks, sizeof s->ks, "%s", c.ks);
    s->write_cl = c.write_cl;
    s->read_cl = c.read_cl;
    s->serial_cl = c.serial_cl;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    mb_cql_config cfg = {
        .contact_points = c.hosts,
        .user = c.user[0] ? c.user : NULL,
        .password = c.user[0] ? c.password : NULL,
        .local_dc = c.dc[0] ? c.dc : NULL,
        .max_in_flight = 512,
    };
    st = mb_cql_cluster_open(&cfg, &s->cl, err);
    if (st)
        mb_error_prefix(err, "store %s", s->uri);
    else
        st = setup_schema(s, &c, err);
    if (st) {
        cs_close(&s->base);
        return st;
    }
    *out = &s->base;
    return MB_OK;
}

/* ---- the batch: buffering ------------------------------------------------------ */

static mb_status batch_usable(const cs_batch *b, mb_error *err)
{
    return b->failed ? mb_error_set(err, MB_EINVAL, "store: an earlier "
                                    "write of this batch failed; abort it")
                     : MB_OK;
}

static mb_status cs_begin(mb_store *ss, mb_batch **out, mb_error *err)
{
    cs_store *s = (cs_store *)ss;
    mb_status st = cache_load(s, err);
    if (st)
        return st;
    cs_batch *b = calloc(1, sizeof *b);
    if (!b)
        return nomem(err);
    b->s = s;
    s->stamp++;
    s->batch = b;
    *out = &b->base;
    return MB_OK;
}

/* The cached meter for data in `zone`: loaded, or new in this batch. */
static mb_status meter_for(cs_batch *b, const char *name, const char *zone,
                           cs_meter **out, mb_error *err)
{
    cs_store *s = b->s;
    cs_meter *m = cache_get(s, name);
    mb_status st;
    if (m && m->dead) {
        /* created by an aborted batch: start again */
        for (cs_series *se = m->series, *nx; se; se = nx) {
            nx = se->next;
            free(se);
        }
        m->series = NULL;
        m->dead = false;
        m->fresh = true;
        snprintf(m->zone, sizeof m->zone, "%s", zone);
        if (!(m->tz = mb_tz_get(m->zone, err)))
            return err ? err->status : MB_EINVAL;
    } else if (!m && !s->complete) {
        if ((st = fetch_meter(s, name, &m, err)))
            return st;
    }
    if (!m) {
        if ((st = cache_put(s, name, zone, &m, err)))
            return st;
        m->fresh = true;
    }
    if (m->fresh && m->tz && b->nfresh < (size_t)-1) {
        bool listed = false;
        for (size_t i = b->nfresh; i-- > 0 && !listed && i + 8 > b->nfresh;)
            listed = b->fresh_meters[i] == m;
        if (!listed) {
            if (b->nfresh == b->freshcap) {
                size_t cap = b->freshcap ? b->freshcap * 2 : 256;
                cs_meter **p = realloc(b->fresh_meters, cap * sizeof *p);
                if (!p)
                    return nomem(err);
                b->fresh_meters = p;
                b->freshcap = cap;
            }
            b->fresh_meters[b->nfresh++] = m;
        }
    }
    if (strcmp(m->zone, zone) != 0)
        return mb_error_set(err, MB_EFORMAT, "store: meter %s is kept in "
                            "zone %s, data says zone %s", name, m->zone,
                            zone);
    *out = m;
    return MB_OK;
}

static mb_status series_for(cs_batch *b, cs_meter *m, int kind,
                            const char *channel, int32_t step, mb_unit unit,
                            cs_series **out, mb_error *err)
{
    cs_series *se = series_find(m, kind, channel, step);
    mb_status st;
    if (se && se->dead) {
        se->dead = false;
        se->fresh = true;
        se->unit = unit;
    }
    if (!se) {
        if ((st = series_add(m, kind, channel, step, unit, &se, err)))
            return st;
        se->fresh = true;
    }
    if (se->unit != unit)
        return mb_error_set(err, MB_EFORMAT, "store: meter %s channel %s is "
                            "kept in %s, data says %s", m->name, channel,
                            mb_unit_name(se->unit), mb_unit_name(unit));
    if (se->stamp != b->s->stamp) {
        se->stamp = b->s->stamp;
        se->bmin = INT64_MAX;
        se->bmax = INT64_MIN;
        se->tnext = b->touched;
        b->touched = se;
    }
    *out = se;
    return MB_OK;
}

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

/* Completion of a read-before-write: runs on the I/O thread. */
static void seg_read_done(void *ctx, mb_status status, mb_cql_result *res,
                          const mb_error *err)
{
    cs_seg *g = ctx;
    g->rst = status;
    g->res = res;
    if (status)
        snprintf(g->rmsg, sizeof g->rmsg, "%s", err ? err->msg : "");
    g->done = true;
}

static mb_status bind_pk(mb_cql_stmt *st, const cs_meter *m,
                         const cs_series *se, int32_t bucket, mb_error *err)
{
    mb_status rc;
    if ((rc = bind_s(st, 0, m->name, err)) ||
        (rc = bind_s(st, 1, se->channel, err)) ||
        (rc = bind_i(st, 2, se->step, err)))
        return rc;
    return bind_i(st, 3, bucket, err);
}

/* Ask for the current values of segment g (completion seg_read_done).
 * Segments live in a growing array, so the read is sent only once the
 * whole batch is buffered (send_reads). */
static mb_status send_read(cs_store *s, cs_seg *g, mb_error *err)
{
    mb_cql_stmt *st = stmt(s, P_CUR_RANGE, s->read_cl);
    if (!st)
        return nomem(err);
    mb_cql_stmt_set_page_size(st, 0);
    mb_cql_stmt_set_idempotent(st, true);
    mb_status rc = bind_pk(st, g->m, g->se, g->bucket, err);
    if (rc == MB_OK)
        rc = bind_i(st, 4, g->start, err);
    if (rc == MB_OK)
        rc = bind_i(st, 5, g->start + (mb_time)g->n * g->stride, err);
    if (rc == MB_OK)
        rc = mb_cql_execute_async(s->cl, st, seg_read_done, g, err);
    mb_cql_stmt_free(st);
    return rc;
}

/* Add a segment of n values starting at t (values already appended). */
static mb_status add_seg(cs_batch *b, cs_meter *m, cs_series *se,
                         mb_time t, int32_t stride, uint32_t n,
                         mb_version version, size_t val0, mb_error *err)
{
    if (!grow((void **)&b->segs, &b->segcap, b->nsegs + 1, sizeof *b->segs))
        return nomem(err);
    b->segs[b->nsegs++] = (cs_seg){.m = m, .se = se, .bucket = bucket_of(t),
                                   .stride = stride, .start = t, .n = n,
                                   .version = version, .val0 = val0,
                                   .prev = -1};
    mb_time last = t + (mb_time)(n - 1) * stride;
    if (t < se->bmin)
        se->bmin = t;
    if (last > se->bmax)
        se->bmax = last;
    return MB_OK;
}

static mb_status add_val(cs_batch *b, mb_decimal v, mb_quality q,
                         const char *text, bool reg, char read_type,
                         const char *serial, mb_error *err)
{
    size_t tl = text ? strlen(text) : 0, sl = serial ? strlen(serial) : 0;
    size_t need = ENC_FIXED + tl + 2 + sl;
    if (!grow((void **)&b->vals, &b->valcap, b->nvals + 1, sizeof *b->vals) ||
        !grow((void **)&b->bytes, &b->bytecap, b->nbytes + need, 1))
        return nomem(err);
    uint32_t len = (uint32_t)enc_value(b->bytes + b->nbytes, v, q, text, reg,
                                       read_type, serial ? serial : "");
    b->vals[b->nvals++] = (cs_val){b->nbytes, len};
    b->nbytes += len;
    return MB_OK;
}

static mb_status flush(cs_batch *b, mb_error *err);

static mb_status cs_intervals(mb_batch *bb, const mb_interval_block *blk,
                              mb_error *err)
{
    cs_batch *b = (cs_batch *)bb;
    mb_status st = batch_usable(b, err);
    if (st)
        return st;
    cs_meter *m;
    cs_series *se;
    if ((st = meter_for(b, blk->meter, blk->zone, &m, err)) ||
        (st = series_for(b, m, 0, blk->channel, blk->interval, blk->unit,
                         &se, err)))
        return st;
    /* Every value must sit on the interval grid of its local day, as in
     * the embedded store; check the whole block before keeping any. */
    for (uint32_t i = 0; i < blk->count;) {
        mb_time t = blk->start + (mb_time)i * blk->interval;
        if (t < -TIME_LIMIT || t > TIME_LIMIT)
            return mb_error_set(err, MB_ERANGE, "store: meter %s: interval "
                                "start %" PRId64 " out of range", blk->meter,
                                t);
        mb_time ds;
        int32_t dlen;
        if ((st = mb_tz_day_bounds(m->tz, mb_tz_local_day(m->tz, t), &ds,
                                   &dlen, err)))
            return st;
        if ((t - ds) % blk->interval || dlen <= 0) {
            char when[64];
            mb_time_format_iso(t, mb_tz_offset(m->tz, t), when, sizeof when);
            return mb_error_set(err, MB_EFORMAT, "store: meter %s channel "
                                "%s: interval starting %s is not on the %"
                                PRId32 "-second grid of its local day",
                                blk->meter, blk->channel, when,
                                blk->interval);
        }
        uint32_t left = (uint32_t)((ds + dlen - t + blk->interval - 1) /
                                   blk->interval);
        i += left < blk->count - i ? left : blk->count - i;
    }
    size_t val0 = b->nvals;
    for (uint32_t i = 0; i < blk->count; i++) {
        const char *text = blk->reason_text ? blk->reason_text[i] : NULL;
        if ((st = add_val(b, blk->values[i], blk->quality[i],
                          text && *text ? text : NULL, false, 0, NULL, err))) {
            b->failed = true;
            return st;
        }
    }
    /* One segment per UTC month the block touches. */
    for (uint32_t i = 0; i < blk->count;) {
        mb_time t = blk->start + (mb_time)i * blk->interval;
        mb_time end = bucket_start(bucket_of(t) + 1);
        uint32_t n = (uint32_t)((end - t + blk->interval - 1) /
                                blk->interval);
        if (n > blk->count - i)
            n = blk->count - i;
        if ((st = add_seg(b, m, se, t, blk->interval, n, blk->version,
                          val0 + i, err))) {
            b->failed = true;
            return st;
        }
        i += n;
    }
    return b->nvals >= SPILL_VALUES ? flush(b, err) : MB_OK;
}

static mb_status cs_register(mb_batch *bb, const mb_register_read *r,
                             mb_error *err)
{
    cs_batch *b = (cs_batch *)bb;
    mb_status st = batch_usable(b, err);
    if (st)
        return st;
    if (r->read_at < -TIME_LIMIT || r->read_at > TIME_LIMIT)
        return mb_error_set(err, MB_ERANGE, "store: meter %s: read time "
                            "out of range", r->meter);
    cs_meter *m;
    cs_series *se;
    if ((st = meter_for(b, r->meter, r->zone, &m, err)) ||
        (st = series_for(b, m, 1, r->reg, 0, r->unit, &se, err)))
        return st;
    size_t val0 = b->nvals;
    const char *text = r->reason_text && *r->reason_text ? r->reason_text
                                                         : NULL;
    if ((st = add_val(b, r->value, r->quality, text, true, r->read_type,
                      r->serial, err)) ||
        (st = add_seg(b, m, se, r->read_at, 1, 1, r->version, val0, err))) {
        b->failed = true;
        return st;
    }
    return b->nvals >= SPILL_VALUES ? flush(b, err) : MB_OK;
}

/* ---- the batch: writing ----------------------------------------------------------- */

typedef struct writer {
    cs_store *s;
    mb_cql_batch *batch;
    size_t n;
    mb_cql_stmt *cur, *hist;
} writer;

static mb_status writer_send(writer *w, mb_error *err)
{
    if (!w->n)
        return MB_OK;
    mb_status st = mb_cql_batch_execute_async(w->s->cl, w->batch, NULL, NULL,
                                              err);
    mb_cql_batch_free(w->batch);
    w->batch = NULL;
    w->n = 0;
    return st;
}

static mb_status writer_add(writer *w, const mb_cql_stmt *st, mb_error *err)
{
    if (!w->batch) {
        if (!(w->batch = mb_cql_batch_new(MB_CQL_BATCH_UNLOGGED)))
            return nomem(err);
        mb_cql_batch_set_consistency(w->batch, w->s->write_cl);
        mb_cql_batch_set_idempotent(w->batch, true);
    }
    mb_status rc = mb_cql_batch_add(w->batch, st, err);
    if (rc == MB_OK && ++w->n >= BATCH_STMTS)
        rc = writer_send(w, err);
    return rc;
}

/* One row of current (cur) or history for segment g at start t. */
static mb_status put_row(writer *w, mb_cql_stmt *st, const cs_seg *g,
                         mb_time t, int64_t version, const uint8_t *v,
                         size_t vlen, mb_error *err)
{
    mb_status rc;
    if ((rc = bind_pk(st, g->m, g->se, g->bucket, err)) ||
        (rc = bind_i(st, 4, t, err)) || (rc = bind_i(st, 5, version, err)) ||
        (rc = mb_cql_stmt_bind_blob(st, 6, v, vlen, err)) ||
        (rc = bind_i(st, 7, version, err)))
        return rc;
    return writer_add(w, st, err);
}

/* The stored version at one slot while computing effects. */
typedef struct slot {
    bool have;
    int64_t version;
    const uint8_t *v;
    size_t len;
} slot;

static mb_status seg_apply(cs_batch *b, writer *w, size_t gi, slot *cur,
                           mb_error *err)
{
    cs_seg *g = &b->segs[gi];
    if (g->rst)
        return mb_error_set(err, g->rst, "store %s: cannot read current "
                            "values: %s", b->s->uri, g->rmsg);
    memset(cur, 0, g->n * sizeof *cur);
    size_t rows = g->res ? mb_cql_result_row_count(g->res) : 0;
    for (size_t r = 0; r < rows; r++) {
        int64_t t, ver;
        const uint8_t *p;
        size_t n;
        if (cell_i64(g->res, r, 0, &t) || cell_i64(g->res, r, 1, &ver) ||
            !cell_blob(g->res, r, 2, &p, &n))
            return mb_error_set(err, MB_EPROTO, "store %s: malformed row",
                                b->s->uri);
        if (t < g->start || (t - g->start) % g->stride)
            continue;
        uint64_t k = (uint64_t)((t - g->start) / g->stride);
        if (k < g->n)
            cur[k] = (slot){true, ver, p, n};
    }
    /* Values written earlier in this batch count as stored. */
    for (long pi = g->prev; pi >= 0; pi = b->segs[pi].prev) {
        const cs_seg *p = &b->segs[pi];
        mb_time pend = p->start + (mb_time)p->n * p->stride;
        mb_time gend = g->start + (mb_time)g->n * g->stride;
        if (p->start >= gend || pend <= g->start || p->stride != g->stride)
            continue;
        for (uint32_t k = 0; k < g->n; k++) {
            mb_time t = g->start + (mb_time)k * g->stride;
            if (t < p->start || t >= pend || (t - p->start) % p->stride)
                continue;
            const cs_val *pv = &b->vals[p->val0 + (t - p->start) / p->stride];
            const uint8_t *pb = b->bytes + pv->off;
            if (!cur[k].have || ver_cmp(p->version, pb, pv->len,
                                        cur[k].version, cur[k].v,
                                        cur[k].len) > 0)
                cur[k] = (slot){true, p->version, pb, pv->len};
        }
    }
    mb_status st = MB_OK;
    for (uint32_t k = 0; st == MB_OK && k < g->n; k++) {
        const cs_val *in = &b->vals[g->val0 + k];
        const uint8_t *ib = b->bytes + in->off;
        mb_time t = g->start + (mb_time)k * g->stride;
        int c = cur[k].have ? ver_cmp(g->version, ib, in->len,
                                      cur[k].version, cur[k].v, cur[k].len)
                            : 1;
        if (!cur[k].have)
            b->st.added++;
        else if (c > 0)
            b->st.changed++;
        else
            b->st.unchanged++;
        if (c > 0)
            st = put_row(w, w->cur, g, t, g->version, ib, in->len, err);
        if (st == MB_OK && c != 0)
            st = put_row(w, w->hist, g, t, g->version, ib, in->len, err);
        if (st == MB_OK && c > 0 && cur[k].have)
            st = put_row(w, w->hist, g, t, cur[k].version, cur[k].v,
                         cur[k].len, err);
    }
    if (st == MB_OK)
        st = writer_send(w, err);
    return st;
}

/* Link each segment to the previous one of the same partition. */
static mb_status link_segs(cs_batch *b, mb_error *err)
{
    size_t cap = 16;
    while (cap < b->nsegs * 2)
        cap *= 2;
    long *tab = malloc(cap * sizeof *tab);
    if (!tab)
        return nomem(err);
    for (size_t i = 0; i < cap; i++)
        tab[i] = -1;
    for (size_t i = 0; i < b->nsegs; i++) {
        cs_seg *g = &b->segs[i];
        uint64_t h = ((uint64_t)(uintptr_t)g->se * 0x9E3779B97F4A7C15u) ^
                     (uint64_t)(uint32_t)g->bucket * 0xC2B2AE3D27D4EB4Fu;
        size_t j = (size_t)(h >> 17) & (cap - 1);
        while (tab[j] >= 0 && (b->segs[tab[j]].se != g->se ||
                               b->segs[tab[j]].bucket != g->bucket))
            j = (j + 1) & (cap - 1);
        g->prev = tab[j];
        tab[j] = (long)i;
    }
    free(tab);
    return MB_OK;
}

static void free_results(cs_batch *b)
{
    for (size_t i = 0; i < b->nsegs; i++) {
        mb_cql_result_free(b->segs[i].res);
        b->segs[i].res = NULL;
    }
}

/* Write out everything buffered: read the current values, compute the
 * effects, send the writes and wait until all are acknowledged. */
static mb_status flush(cs_batch *b, mb_error *err)
{
    cs_store *s = b->s;
    mb_status st = MB_OK;
    writer w = {.s = s};
    slot *cur = NULL;
    uint32_t maxn = 0;
    for (size_t i = 0; i < b->nsegs; i++)
        if (b->segs[i].n > maxn)
            maxn = b->segs[i].n;
    if (b->nsegs && !(cur = malloc(maxn * sizeof *cur)))
        st = nomem(err);
    if (st == MB_OK)
        st = link_segs(b, err);
    for (size_t i = 0; st == MB_OK && i < b->nsegs; i++)
        st = send_read(s, &b->segs[i], err);
    mb_error werr;
    mb_status wst = mb_cql_wait_all(s->cl, &werr);
    if (st == MB_OK && wst) {
        *err = werr;
        st = wst;
    }
    if (st == MB_OK) {
        w.cur = stmt(s, P_CUR_PUT, s->write_cl);
        w.hist = stmt(s, P_HIST_PUT, s->write_cl);
        if (!w.cur || !w.hist)
            st = nomem(err);
    }
    for (size_t i = 0; st == MB_OK && i < b->nsegs; i++)
        st = seg_apply(b, &w, i, cur, err);
    mb_cql_batch_free(w.batch);
    mb_cql_stmt_free(w.cur);
    mb_cql_stmt_free(w.hist);
    free(cur);
    wst = mb_cql_wait_all(s->cl, &werr);
    if (st == MB_OK && wst) {
        *err = werr;
        mb_error_prefix(err, "store %s: write failed", s->uri);
        st = wst;
    }
    free_results(b);
    b->nsegs = b->nvals = b->nbytes = 0;
    if (st)
        b->failed = true;
    return st;
}

/* Rows of the series table for what the batch touched: the series itself
 * when new, and its first/last (timestamps make them min/max). */
static mb_status write_series(cs_batch *b, mb_error *err)
{
    cs_store *s = b->s;
    mb_cql_stmt *mp = stmt(s, P_METER_PUT, s->write_cl);
    mb_cql_stmt *sp = stmt(s, P_SERIES_PUT, s->write_cl);
    mb_cql_stmt *fp = stmt(s, P_FIRST_PUT, s->write_cl);
    mb_cql_stmt *lp = stmt(s, P_LAST_PUT, s->write_cl);
    mb_status st = mp && sp && fp && lp ? MB_OK : nomem(err);
    if (st == MB_OK)
        mb_cql_stmt_set_idempotent(mp, true);
    for (size_t i = 0; st == MB_OK && i < b->nfresh; i++) {
        cs_meter *m = b->fresh_meters[i];
        if ((st = bind_s(mp, 0, m->name, err)) ||
            (st = bind_s(mp, 1, m->zone, err)))
            break;
        st = mb_cql_execute_async(s->cl, mp, NULL, NULL, err);
    }
    writer w = {.s = s};
    for (cs_series *se = b->touched; st == MB_OK && se; se = se->tnext) {
        if (se->bmin > se->bmax)
            continue;
        const char *meter = se->meter->name;
        if (se->fresh &&
            ((st = bind_s(sp, 0, meter, err)) ||
             (st = bind_i(sp, 1, se->kind, err)) ||
             (st = bind_s(sp, 2, se->channel, err)) ||
             (st = bind_i(sp, 3, se->step, err)) ||
             (st = bind_s(sp, 4, mb_unit_name(se->unit), err)) ||
             (st = writer_add(&w, sp, err))))
            break;
        mb_cql_stmt *edge[2] = {fp, lp};
        for (int e = 0; st == MB_OK && e < 2; e++) {
            mb_time t = e ? se->bmax : se->bmin;
            if ((st = bind_i(edge[e], 0, e ? LAST_TS(t) : FIRST_TS(t),
                             err)) ||
                (st = bind_i(edge[e], 1, t, err)) ||
                (st = bind_s(edge[e], 2, meter, err)) ||
                (st = bind_i(edge[e], 3, se->kind, err)) ||
                (st = bind_s(edge[e], 4, se->channel, err)) ||
                (st = bind_i(edge[e], 5, se->step, err)))
                break;
            st = writer_add(&w, edge[e], err);
        }
        if (st == MB_OK)
            st = writer_send(&w, err);
    }
    mb_cql_batch_free(w.batch);
    mb_cql_stmt_free(mp);
    mb_cql_stmt_free(sp);
    mb_cql_stmt_free(fp);
    mb_cql_stmt_free(lp);
    mb_error werr;
    mb_status wst = mb_cql_wait_all(s->cl, &werr);
    if (st == MB_OK && wst) {
        *err = werr;
        mb_error_prefix(err, "store %s: cannot write series", s->uri);
        st = wst;
    }
    return st;
}

/* Forget what the batch created in the cache (it may not be stored). */
static void batch_end(cs_batch *b, bool ok)
{
    cs_store *s = b->s;
    for (cs_series *se = b->touched; se; se = se->tnext) {
        if (se->fresh && !ok)
            se->dead = true;
        se->fresh = false;
        se->stamp = 0;
    }
    for (size_t i = 0; i < b->nfresh; i++) {
        if (!ok)
            b->fresh_meters[i]->dead = true;
        b->fresh_meters[i]->fresh = false;
    }
    free_results(b);
    free(b->segs);
    free(b->vals);
    free(b->bytes);
    free(b->fresh_meters);
    s->batch = NULL;
    free(b);
}

static void cs_abort(mb_batch *bb)
{
    cs_batch *b = (cs_batch *)bb;
    mb_cql_wait_all(b->s->cl, NULL);
    batch_end(b, false);
}

static mb_status file_put(cs_store *s, const mb_file_record *f,
                          const mb_apply_stats *as, mb_error *err);

static mb_status cs_commit(mb_batch *bb, const mb_file_record *file,
                           mb_apply_stats *stats, mb_error *err)
{
    cs_batch *b = (cs_batch *)bb;
    cs_store *s = b->s;
    mb_status st = batch_usable(b, err);
    if (st == MB_OK)
        st = flush(b, err);
    if (st == MB_OK)
        st = write_series(b, err);
    if (st == MB_OK)
        st = file_put(s, file, &b->st, err);
    if (st == MB_OK)
        *stats = b->st;
    batch_end(b, st == MB_OK);
    return st;
}

/* ---- file registry ------------------------------------------------------------ */

static mb_status bind_file(mb_cql_stmt *p, size_t first,
                           const mb_file_record *f, const mb_apply_stats *as,
                           mb_error *err)
{
    bool applied = f->outcome == MB_FILE_APPLIED;
    const char *texts[] = {
        f->name ? f->name : "", NULL, mb_format_name(f->format),
        applied ? "applied" : "rejected"};
    int64_t ints[] = {
        (int64_t)f->values, (int64_t)f->registers,
        (int64_t)(as ? as->added : f->added),
        (int64_t)(as ? as->changed : f->changed),
        (int64_t)(as ? as->unchanged : f->unchanged)};
    mb_status st = MB_OK;
    size_t i = first;
    for (int k = 0; st == MB_OK && k < 4; k++, i++)
        st = k == 1 ? bind_i(p, i, (int64_t)f->size, err)
                    : bind_s(p, i, texts[k], err);
    for (int k = 0; st == MB_OK && k < 5; k++, i++)
        st = bind_i(p, i, ints[k], err);
    if (st == MB_OK)
        st = bind_s(p, i++, applied || !f->error ? "" : f->error, err);
    if (st == MB_OK)
        st = bind_i(p, i++, f->seen_at ? f->seen_at
                                       : mb_store_now_ms() / 1000, err);
    if (st == MB_OK)
        st = bind_i(p, i, mb_store_now_ms(), err);
    return st;
}

/* Record a file: inserted when new; a rejected record is refreshed or
 * upgraded; an applied one is never replaced. */
static mb_status file_put(cs_store *s, const mb_file_record *f,
                          const mb_apply_stats *as, mb_error *err)
{
    mb_cql_stmt *ins = stmt(s, P_FILE_INS, s->write_cl);
    mb_cql_stmt *upd = stmt(s, P_FILE_UPD, s->write_cl);
    mb_status st = ins && upd ? MB_OK : nomem(err);
    mb_cql_result *res = NULL;
    if (st == MB_OK) {
        mb_cql_stmt_set_serial_consistency(ins, s->serial_cl);
        mb_cql_stmt_set_serial_consistency(upd, s->serial_cl);
        st = bind_s(ins, 0, f->digest, err);
    }
    if (st == MB_OK)
        st = bind_file(ins, 1, f, as, err);
    if (st == MB_OK)
        st = run(s, ins, &res, "cannot record file", err);
    if (st == MB_OK && !lwt_applied(res)) {
        mb_cql_result_free(res);
        res = NULL;
        st = bind_file(upd, 0, f, as, err);
        if (st == MB_OK)
            st = bind_s(upd, 12, f->digest, err);
        if (st == MB_OK)
            st = run(s, upd, NULL, "cannot record file", err);
    }
    mb_cql_result_free(res);
    mb_cql_stmt_free(ins);
    mb_cql_stmt_free(upd);
    return st;
}

static mb_status cs_file_reject(mb_store *ss, const mb_file_record *rec,
                                mb_error *err)
{
    return file_put((cs_store *)ss, rec, NULL, err);
}

/* A file record from a row of FILE_COLS; strings into *name / *error
 * (malloc'ed, replacing what they held). */
static mb_status file_from(const mb_cql_result *r, size_t row,
                           mb_file_record *f, char **name, char **error,
                           int64_t *recorded, mb_error *err)
{
    memset(f, 0, sizeof *f);
    char fmt[32], outcome[16];
    cell_str(r, row, 0, f->digest, sizeof f->digest);
    mb_cql_cell c = mb_cql_result_cell(r, row, 1);
    const uint8_t *p;
    size_t n = 0;
    free(*name);
    free(*error);
    *error = NULL;
    if (mb_cql_cell_is_null(&c) || mb_cql_cell_bytes(&c, &p, &n, NULL))
        n = 0;
    if ((*name = malloc(n + 1))) {
        memcpy(*name, n ? (const char *)p : "", n);
        (*name)[n] = '\0';
    }
    c = mb_cql_result_cell(r, row, 10);
    if (mb_cql_cell_is_null(&c) || mb_cql_cell_bytes(&c, &p, &n, NULL))
        n = 0;
    if ((*error = malloc(n + 1))) {
        memcpy(*error, n ? (const char *)p : "", n);
        (*error)[n] = '\0';
    }
    if (!*name || !*error)
        return nomem(err);
    f->name = *name;
    f->error = *error;
    int64_t v[8];
    cell_i64(r, row, 2, &v[0]);
    for (int k = 0; k < 5; k++)
        cell_i64(r, row, (size_t)(5 + k), &v[1 + k]);
    cell_i64(r, row, 11, &v[6]);
    cell_i64(r, row, 12, &v[7]);
    f->size = (uint64_t)v[0];
    f->values = (uint64_t)v[1];
    f->registers = (uint64_t)v[2];
    f->added = (uint64_t)v[3];
    f->changed = (uint64_t)v[4];
    f->unchanged = (uint64_t)v[5];
    f->seen_at = v[6];
    *recorded = v[7];
    cell_str(r, row, 3, fmt, sizeof fmt);
    cell_str(r, row, 4, outcome, sizeof outcome);
    if (mb_format_parse(fmt, &f->format, NULL) != MB_OK)
        f->format = MB_FORMAT_AUTO;
    f->outcome = strcmp(outcome, "applied") ? MB_FILE_REJECTED
                                            : MB_FILE_APPLIED;
    return MB_OK;
}

static mb_status cs_file_get(mb_store *ss, const char *digest,
                             mb_file_record *rec, bool *found, mb_error *err)
{
    cs_store *s = (cs_store *)ss;
    mb_cql_stmt *st = stmt(s, P_FILE_GET, s->read_cl);
    mb_cql_result *res = NULL;
    mb_status rc = st ? bind_s(st, 0, digest, err) : nomem(err);
    if (rc == MB_OK)
        rc = run(s, st, &res, "cannot read file record", err);
    mb_cql_stmt_free(st);
    if (rc == MB_OK && mb_cql_result_row_count(res) == 1) {
        int64_t recorded;
        rc = file_from(res, 0, rec, &s->file_name, &s->file_error,
                       &recorded, err);
        *found = rc == MB_OK;
    }
    mb_cql_result_free(res);
    return rc;
}

typedef struct file_item {
    mb_file_record rec;
    char *name, *error;
    int64_t recorded;
} file_item;

typedef struct file_list {
    file_item *items;
    size_t n, cap;
} file_list;

static mb_status collect_file(void *ctx, const mb_cql_result *r, size_t row,
                              mb_error *err)
{
    file_list *l = ctx;
    if (!grow((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items))
        return nomem(err);
    file_item *it = &l->items[l->n];
    it->name = it->error = NULL;
    mb_status st = file_from(r, row, &it->rec, &it->name, &it->error,
                             &it->recorded, err);
    l->n++;
    return st;
}

static int file_order(const void *a, const void *b)
{
    const file_item *x = a, *y = b;
    if (x->rec.seen_at != y->rec.seen_at)
        return x->rec.seen_at < y->rec.seen_at ? -1 : 1;
    if (x->recorded != y->recorded)
        return x->recorded < y->recorded ? -1 : 1;
    return strcmp(x->rec.digest, y->rec.digest);
}

static mb_status cs_files(mb_store *ss, mb_file_fn fn, void *ctx,
                          mb_error *err)
{
    cs_store *s = (cs_store *)ss;
    file_list l = {0};
    mb_cql_stmt *st = stmt(s, P_FILES_ALL, s->read_cl);
    mb_status rc = st ? each_row(s, st, "cannot list files", collect_file,
                                 &l, err)
                      : nomem(err);
    mb_cql_stmt_free(st);
    if (rc == MB_OK)
        if (l.n)
            qsort(l.items, l.n, sizeof *l.items, file_order);
    for (size_t i = 0; rc == MB_OK && i < l.n; i++)
        rc = fn(ctx, &l.items[i].rec, err);
    for (size_t i = 0; i < l.n; i++) {
        free(l.items[i].name);
        free(l.items[i].error);
    }
    free(l.items);
    return rc;
}

/* ---- reading ---------------------------------------------------------------------- */

/* One series as listed in the series table, with its meter's zone. */
typedef struct series_ref {
    char meter[MB_ID_MAX + 1], channel[MB_ID_MAX + 1], zone[64];
    int kind;
    int32_t step;
    mb_unit unit;
    bool has_edges;
    mb_time first, last;
} series_ref;

typedef struct series_list {
    series_ref *items;
    size_t n, cap;
    const char *meter;   /* when reading one meter's partition */
} series_list;

static mb_status collect_series(void *ctx, const mb_cql_result *r, size_t row,
                                mb_error *err)
{
    series_list *l = ctx;
    if (!grow((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items))
        return nomem(err);
    series_ref *e = &l->items[l->n++];
    memset(e, 0, sizeof *e);
    size_t c = 0;
    if (l->meter)
        snprintf(e->meter, sizeof e->meter, "%s", l->meter);
    else
        cell_str(r, row, c++, e->meter, sizeof e->meter);
    int64_t kind, step, first, last;
    char unit[32];
    cell_i64(r, row, c, &kind);
    cell_str(r, row, c + 1, e->channel, sizeof e->channel);
    cell_i64(r, row, c + 2, &step);
    cell_str(r, row, c + 3, unit, sizeof unit);
    mb_cql_cell f = mb_cql_result_cell(r, row, c + 4);
    mb_cql_cell l2 = mb_cql_result_cell(r, row, c + 5);
    e->has_edges = !mb_cql_cell_is_null(&f) && !mb_cql_cell_is_null(&l2);
    cell_i64(r, row, c + 4, &first);
    cell_i64(r, row, c + 5, &last);
    e->kind = (int)kind;
    e->step = (int32_t)step;
    e->unit = unit_from(unit);
    e->first = first;
    e->last = last;
    return MB_OK;
}

/* The series of one meter (in clustering order: intervals by channel and
 * step, then registers) and its zone; none when the meter is unknown. */
static mb_status meter_series(cs_store *s, const char *meter,
                              series_list *l, mb_error *err)
{
    l->meter = meter;
    mb_cql_stmt *st = stmt(s, P_METER_GET, s->read_cl);
    mb_cql_result *res = NULL;
    mb_status rc = st ? bind_s(st, 0, meter, err) : nomem(err);
    if (rc == MB_OK)
        rc = run(s, st, &res, "cannot read meter", err);
    mb_cql_stmt_free(st);
    char zone[64] = "";
    bool known = rc == MB_OK && mb_cql_result_row_count(res) == 1;
    if (known)
        cell_str(res, 0, 0, zone, sizeof zone);
    mb_cql_result_free(res);
    if (rc || !known)
        return rc;
    if (!(st = stmt(s, P_SERIES_GET, s->read_cl)))
        return nomem(err);
    rc = bind_s(st, 0, meter, err);
    if (rc == MB_OK)
        rc = each_row(s, st, "cannot read series", collect_series, l, err);
    mb_cql_stmt_free(st);
    for (size_t i = 0; i < l->n; i++)
        snprintf(l->items[i].zone, sizeof l->items[i].zone, "%s", zone);
    return rc;
}

/* Receives the rows of one series in order: current values (cur true),
 * each followed by its superseded versions when history is asked for. */
typedef mb_status (*value_fn)(void *ctx, const series_ref *se, mb_time t,
                              int64_t version, const decoded *d,
                              bool current, mb_error *err);

/* All rows of one table for a series in [from, to) (one page per bucket
 * query... pages followed); results kept in *res (caller frees). */
typedef struct rows {
    mb_cql_result **res;
    size_t n, cap;
} rows;

static void rows_free(rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        mb_cql_result_free(r->res[i]);
    free(r->res);
    memset(r, 0, sizeof *r);
}

static mb_status fetch_rows(cs_store *s, int q, const series_ref *se,
                            int32_t bucket, mb_time from, mb_time to,
                            rows *out, mb_error *err)
{
    mb_cql_stmt *st = stmt(s, q, s->read_cl);
    if (!st)
        return nomem(err);
    mb_cql_stmt_set_idempotent(st, true);
    mb_status rc;
    if ((rc = bind_s(st, 0, se->meter, err)) ||
        (rc = bind_s(st, 1, se->channel, err)) ||
        (rc = bind_i(st, 2, se->step, err)) ||
        (rc = bind_i(st, 3, bucket, err)) || (rc = bind_i(st, 4, from, err)) ||
        (rc = bind_i(st, 5, to, err))) {
        mb_cql_stmt_free(st);
        return rc;
    }
    for (;;) {
        mb_cql_result *res;
        if ((rc = run(s, st, &res, "cannot read values", err)))
            break;
        if (!grow((void **)&out->res, &out->cap, out->n + 1,
                  sizeof *out->res)) {
            mb_cql_result_free(res);
            rc = nomem(err);
            break;
        }
        out->res[out->n++] = res;
        if (!mb_cql_result_has_more_pages(res))
            break;
        if ((rc = mb_cql_stmt_set_paging_state(st, res, err)))
            break;
    }
    mb_cql_stmt_free(st);
    return rc;
}

/* Walks rows page by page. */
typedef struct row_iter {
    const rows *r;
    size_t page, row;
} row_iter;

static bool iter_get(row_iter *it, int64_t *t, int64_t *ver,
                     const uint8_t **v, size_t *n)
{
    while (it->page < it->r->n &&
           it->row >= mb_cql_result_row_count(it->r->res[it->page])) {
        it->page++;
        it->row = 0;
    }
    if (it->page >= it->r->n)
        return false;
    const mb_cql_result *res = it->r->res[it->page];
    *v = NULL;
    *n = 0;
    cell_i64(res, it->row, 0, t);
    cell_i64(res, it->row, 1, ver);
    cell_blob(res, it->row, 2, v, n);
    return true;
}

static mb_status bad_row(cs_store *s, const series_ref *se, mb_error *err)
{
    return mb_error_set(err, MB_EFORMAT, "store %s: meter %s channel %s: "
                        "malformed stored value", s->uri, se->meter,
                        se->channel);
}

/* Every value of a series in [from, to), bucket by bucket. */
static mb_status read_series(cs_store *s, const series_ref *se, mb_time from,
                             mb_time to, bool history, value_fn fn,
                             void *ctx, mb_error *err)
{
    if (!se->has_edges)
        return MB_OK;
    if (from < se->first)
        from = se->first;
    if (to > se->last + 1)
        to = se->last + 1;
    mb_status st = MB_OK;
    for (int32_t b = from < to ? bucket_of(from) : 1,
                 bl = from < to ? bucket_of(to - 1) : 0;
         st == MB_OK && b <= bl; b++) {
        mb_time lo = bucket_start(b), hi = bucket_start(b + 1);
        if (lo < from)
            lo = from;
        if (hi > to)
            hi = to;
        rows cur = {0}, hist = {0};
        st = fetch_rows(s, P_CUR_RANGE, se, b, lo, hi, &cur, err);
        if (st == MB_OK && history)
            st = fetch_rows(s, P_HIST_RANGE, se, b, lo, hi, &hist, err);
        row_iter ci = {&cur, 0, 0}, hi_ = {&hist, 0, 0};
        int64_t t, ver, ht = 0, hver = 0;
        const uint8_t *v, *hv = NULL;
        size_t n, hn = 0;
        bool hgot = history && iter_get(&hi_, &ht, &hver, &hv, &hn);
        while (st == MB_OK && iter_get(&ci, &t, &ver, &v, &n)) {
            ci.row++;
            decoded d;
            if (!v || !dec_value(v, n, se->kind == 1, &d)) {
                st = bad_row(s, se, err);
                break;
            }
            st = fn(ctx, se, t, ver, &d, true, err);
            while (st == MB_OK && hgot && ht <= t) {
                if (ht == t && ver_cmp(hver, hv, hn, ver, v, n) != 0) {
                    decoded hd;
                    st = dec_value(hv, hn, se->kind == 1, &hd)
                             ? fn(ctx, se, ht, hver, &hd, false, err)
                             : bad_row(s, se, err);
                }
                hi_.row++;
                hgot = iter_get(&hi_, &ht, &hver, &hv, &hn);
            }
        }
        rows_free(&cur);
        rows_free(&hist);
    }
    return st;
}

typedef struct read_ctx {
    mb_interval_fn ifn;
    mb_register_fn rfn;
    void *ctx;
    char text[1024], serial[MB_ID_MAX + 1];
} read_ctx;

static void copy_text(char *buf, size_t cap, const uint8_t *p, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
}

static mb_status emit_value(void *ctx, const series_ref *se, mb_time t,
                            int64_t version, const decoded *d, bool current,
                            mb_error *err)
{
    read_ctx *rc = ctx;
    copy_text(rc->text, sizeof rc->text, d->text, d->tlen);
    if (se->kind == 0) {
        mb_interval_row row = {
            .meter = se->meter, .channel = se->channel, .zone = se->zone,
            .unit = se->unit, .start = t, .interval = se->step,
            .value = d->v, .quality = d->q,
            .reason_text = d->tlen ? rc->text : NULL, .version = version,
            .current = current};
        return rc->ifn(rc->ctx, &row, err);
    }
    copy_text(rc->serial, sizeof rc->serial, d->serial, d->slen);
    mb_register_row row = {
        .meter = se->meter, .reg = se->channel, .serial = rc->serial,
        .zone = se->zone, .unit = se->unit, .read_at = t, .value = d->v,
        .read_type = d->read_type, .quality = d->q, .version = version,
        .current = current};
    return rc->rfn(rc->ctx, &row, err);
}

static mb_status read_meter(cs_store *s, const mb_range_query *q, int kind,
                            read_ctx *rc, mb_error *err)
{
    if (q->from >= q->to)
        return MB_OK;
    series_list l = {0};
    mb_status st = meter_series(s, q->meter, &l, err);
    for (size_t i = 0; st == MB_OK && i < l.n; i++) {
        const series_ref *se = &l.items[i];
        if (se->kind != kind || (q->channel && strcmp(q->channel,
                                                      se->channel)))
            continue;
        st = read_series(s, se, q->from, q->to, q->history, emit_value, rc,
                         err);
    }
    free(l.items);
    return st;
}

static mb_status cs_read(mb_store *ss, const mb_range_query *q,
                         mb_interval_fn fn, void *ctx, mb_error *err)
{
    read_ctx rc = {.ifn = fn, .ctx = ctx};
    return read_meter((cs_store *)ss, q, 0, &rc, err);
}

static mb_status cs_read_registers(mb_store *ss, const mb_range_query *q,
                                   mb_register_fn fn, void *ctx,
                                   mb_error *err)
{
    read_ctx rc = {.rfn = fn, .ctx = ctx};
    return read_meter((cs_store *)ss, q, 1, &rc, err);
}

/* ---- every series, in canonical order ------------------------------------------- */

typedef struct zone_ref {
    char meter[MB_ID_MAX + 1], zone[64];
} zone_ref;

typedef struct zone_list {
    zone_ref *items;
    size_t n, cap;
} zone_list;

static mb_status collect_zone(void *ctx, const mb_cql_result *r, size_t row,
                              mb_error *err)
{
    zone_list *l = ctx;
    if (!grow((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items))
        return nomem(err);
    zone_ref *z = &l->items[l->n++];
    cell_str(r, row, 0, z->meter, sizeof z->meter);
    cell_str(r, row, 1, z->zone, sizeof z->zone);
    return MB_OK;
}

static int zone_order(const void *a, const void *b)
{
    return strcmp(((const zone_ref *)a)->meter, ((const zone_ref *)b)->meter);
}

static int series_order(const void *a, const void *b)
{
    const series_ref *x = a, *y = b;
    int c = strcmp(x->meter, y->meter);
    if (c)
        return c;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if ((c = strcmp(x->channel, y->channel)))
        return c;
    return (x->step > y->step) - (x->step < y->step);
}

/* Every series with data, sorted by meter, kind, channel, step, with the
 * zone of its meter. */
static mb_status all_series(cs_store *s, series_list *l, mb_error *err)
{
    zone_list z = {0};
    mb_cql_stmt *st = stmt(s, P_METERS_ALL, s->read_cl);
    mb_status rc = st ? each_row(s, st, "cannot list meters", collect_zone,
                                 &z, err)
                      : nomem(err);
    mb_cql_stmt_free(st);
    if (rc == MB_OK) {
        st = stmt(s, P_SERIES_ALL, s->read_cl);
        rc = st ? each_row(s, st, "cannot list series", collect_series, l,
                           err)
                : nomem(err);
        mb_cql_stmt_free(st);
    }
    if (rc == MB_OK) {
        if (z.n)
            qsort(z.items, z.n, sizeof *z.items, zone_order);
        if (l->n)
            qsort(l->items, l->n, sizeof *l->items, series_order);
        size_t o = 0;
        for (size_t i = 0; i < l->n; i++) {
            series_ref *e = &l->items[i];
            zone_ref key, *zr;
            snprintf(key.meter, sizeof key.meter, "%s", e->meter);
            zr = z.n ? bsearch(&key, z.items, z.n, sizeof *z.items,
                               zone_order)
                     : NULL;
            if (!zr || !e->has_edges)
                continue; /* written by a batch that did not finish */
            snprintf(e->zone, sizeof e->zone, "%s", zr->zone);
            l->items[o++] = *e;
        }
        l->n = o;
    }
    free(z.items);
    return rc;
}

static mb_status cs_series_all(mb_store *ss, mb_series_fn fn, void *ctx,
                           mb_error *err)
{
    series_list l = {0};
    mb_status st = all_series((cs_store *)ss, &l, err);
    for (size_t i = 0; st == MB_OK && i < l.n; i++) {
        const series_ref *e = &l.items[i];
        mb_series_info si = {.meter = e->meter, .channel = e->channel,
                             .zone = e->zone, .unit = e->unit,
                             .is_register = e->kind == 1,
                             .first = e->first, .last = e->last};
        st = fn(ctx, &si, err);
    }
    free(l.items);
    return st;
}

/* ---- verify: the current view in canonical order ----------------------------------- */

/* Partition reads kept FETCH_WINDOW ahead, consumed in order. */
typedef struct fetch_slot {
    cs_store *s;
    bool done;
    mb_status st;
    mb_cql_result *res;
    char msg[256];
} fetch_slot;

static void fetch_done(void *ctx, mb_status status, mb_cql_result *res,
                       const mb_error *err)
{
    fetch_slot *f = ctx;
    pthread_mutex_lock(&f->s->mu);
    f->st = status;
    f->res = res;
    if (status)
        snprintf(f->msg, sizeof f->msg, "%s", err ? err->msg : "");
    f->done = true;
    pthread_cond_broadcast(&f->s->cv);
    pthread_mutex_unlock(&f->s->mu);
}

typedef struct part {
    size_t series;
    int32_t bucket;
} part;

static mb_status fetch_send(cs_store *s, const series_ref *se, int32_t bucket,
                            fetch_slot *f, mb_error *err)
{
    *f = (fetch_slot){.s = s};
    mb_cql_stmt *st = stmt(s, P_CUR_RANGE, s->read_cl);
    if (!st)
        return nomem(err);
    mb_cql_stmt_set_page_size(st, 0);
    mb_cql_stmt_set_idempotent(st, true);
    mb_status rc;
    if (!(rc = bind_s(st, 0, se->meter, err)) &&
        !(rc = bind_s(st, 1, se->channel, err)) &&
        !(rc = bind_i(st, 2, se->step, err)) &&
        !(rc = bind_i(st, 3, bucket, err)) &&
        !(rc = bind_i(st, 4, bucket_start(bucket), err)) &&
        !(rc = bind_i(st, 5, bucket_start(bucket + 1), err)))
        rc = mb_cql_execute_async(s->cl, st, fetch_done, f, err);
    mb_cql_stmt_free(st);
    if (rc)
        f->done = true;
    return rc;
}

static mb_status hash_part(cs_store *s, mb_store_hasher *h,
                           const series_ref *se, const mb_cql_result *res,
                           uint64_t *nrows, mb_error *err)
{
    size_t n = mb_cql_result_row_count(res);
    for (size_t r = 0; r < n; r++) {
        int64_t t, ver;
        const uint8_t *v;
        size_t len;
        decoded d;
        if (cell_i64(res, r, 0, &t) || cell_i64(res, r, 1, &ver) ||
            !cell_blob(res, r, 2, &v, &len) ||
            !dec_value(v, len, se->kind == 1, &d))
            return bad_row(s, se, err);
        if (se->kind == 0) {
            mb_interval_row row = {
                .meter = se->meter, .channel = se->channel, .zone = se->zone,
                .unit = se->unit, .start = t, .interval = se->step,
                .value = d.v, .quality = d.q, .version = ver,
                .current = true};
            mb_store_hasher_interval(h, &row);
        } else {
            mb_register_row row = {
                .meter = se->meter, .reg = se->channel, .zone = se->zone,
                .serial = "", .unit = se->unit, .read_at = t, .value = d.v,
                .read_type = d.read_type, .quality = d.q, .version = ver,
                .current = true};
            mb_store_hasher_register(h, &row);
        }
    }
    *nrows += n;
    return MB_OK;
}

static mb_status verify_view(cs_store *s, const series_list *l,
                             mb_store_hasher *h, mb_error *err)
{
    /* the partitions to read, in canonical order */
    part *parts = NULL;
    size_t np = 0, pcap = 0;
    for (size_t i = 0; i < l->n; i++) {
        const series_ref *se = &l->items[i];
        if (!mb_tz_get(se->zone, err))
            return err ? err->status : MB_EINVAL;
        if (se->first > se->last || (se->kind == 0) != (se->step > 0)) {
            free(parts);
            return mb_error_set(err, MB_EFORMAT, "store %s: verify: meter "
                                "%s channel %s: bad series row", s->uri,
                                se->meter, se->channel);
        }
        for (int32_t b = bucket_of(se->first); b <= bucket_of(se->last);
             b++) {
            if (!grow((void **)&parts, &pcap, np + 1, sizeof *parts)) {
                free(parts);
                return nomem(err);
            }
            parts[np++] = (part){i, b};
        }
    }
    fetch_slot ring[FETCH_WINDOW];
    size_t sent = 0, done = 0;
    mb_status st = MB_OK;
    uint64_t nrows = 0;
    size_t cur_series = (size_t)-1;
    while (st == MB_OK && done < np) {
        while (st == MB_OK && sent < np && sent - done < FETCH_WINDOW) {
            st = fetch_send(s, &l->items[parts[sent].series],
                            parts[sent].bucket, &ring[sent % FETCH_WINDOW],
                            err);
            sent++;
        }
        if (st)
            break;
        fetch_slot *f = &ring[done % FETCH_WINDOW];
        pthread_mutex_lock(&s->mu);
        while (!f->done)
            pthread_cond_wait(&s->cv, &s->mu);
        pthread_mutex_unlock(&s->mu);
        const part *p = &parts[done];
        const series_ref *se = &l->items[p->series];
        if (p->series != cur_series) {
            if (cur_series != (size_t)-1 && nrows == 0)
                st = mb_error_set(err, MB_EFORMAT, "store %s: verify: "
                                  "meter %s channel %s has no data", s->uri,
                                  l->items[cur_series].meter,
                                  l->items[cur_series].channel);
            cur_series = p->series;
            nrows = 0;
            mb_store_hasher_series(h);
        }
        if (st == MB_OK && f->st)
            st = mb_error_set(err, f->st, "store %s: verify: %s", s->uri,
                              f->msg);
        if (st == MB_OK)
            st = hash_part(s, h, se, f->res, &nrows, err);
        mb_cql_result_free(f->res);
        f->res = NULL;
        done++;
    }
    if (st == MB_OK && cur_series != (size_t)-1 && nrows == 0)
        st = mb_error_set(err, MB_EFORMAT, "store %s: verify: meter %s "
                          "channel %s has no data", s->uri,
                          l->items[cur_series].meter,
                          l->items[cur_series].channel);
    /* drain what is still in flight */
    for (; done < sent; done++) {
        fetch_slot *f = &ring[done % FETCH_WINDOW];
        pthread_mutex_lock(&s->mu);
        while (!f->done)
            pthread_cond_wait(&s->cv, &s->mu);
        pthread_mutex_unlock(&s->mu);
        mb_cql_result_free(f->res);
    }
    free(parts);
    return st;
}

static mb_status cs_verify(mb_store *ss, mb_store_digest *out, mb_error *err)
{
    cs_store *s = (cs_store *)ss;
    series_list l = {0};
    mb_store_hasher *h = NULL;
    mb_status st = all_series(s, &l, err);
    if (st == MB_OK)
        st = mb_store_hasher_new(&h, err);
    if (st == MB_OK)
        st = verify_view(s, &l, h, err);
    if (st == MB_OK) {
        mb_store_hasher_end(h, out);
        h = NULL;
    }
    mb_store_hasher_free(h);
    free(l.items);
    return st;
}

/* ---- locks ----------------------------------------------------------------------- */

/* Leases expire by the `expires` column (milliseconds, the clocks of the
 * competing processes are assumed to agree well within a lease); the row
 * TTL, one second longer, only removes old rows. */
static int64_t ttl_s(int64_t ttl_ms)
{
    int64_t t = (ttl_ms + 999) / 1000 + 1;
    return t > 630720000 ? 630720000 : t;
}

typedef struct lease_seen {
    bool applied;
    bool has_owner, has_expires;
    char owner[256];
    int64_t expires;
} lease_seen;

/* Run a lightweight transaction on the leases table. */
static mb_status lwt(cs_store *s, int q, const mb_cql_value *vals, size_t n,
                     lease_seen *out, mb_error *err)
{
    mb_cql_stmt *st = stmt(s, q, s->write_cl == MB_CQL_ANY ? MB_CQL_ONE
                                                          : s->write_cl);
    if (!st)
        return nomem(err);
    mb_cql_stmt_set_serial_consistency(st, s->serial_cl);
    mb_status rc = MB_OK;
    for (size_t i = 0; rc == MB_OK && i < n; i++)
        rc = mb_cql_stmt_bind(st, i, &vals[i], err);
    mb_cql_result *res = NULL;
    if (rc == MB_OK)
        rc = run(s, st, &res, "lock", err);
    mb_cql_stmt_free(st);
    if (rc == MB_OK) {
        memset(out, 0, sizeof *out);
        out->applied = lwt_applied(res);
        long co = mb_cql_result_column_index(res, "owner");
        long ce = mb_cql_result_column_index(res, "expires");
        if (mb_cql_result_row_count(res) == 1) {
            mb_cql_cell c;
            if (co >= 0) {
                c = mb_cql_result_cell(res, 0, (size_t)co);
                out->has_owner = !mb_cql_cell_is_null(&c);
                cell_str(res, 0, (size_t)co, out->owner, sizeof out->owner);
            }
            if (ce >= 0) {
                c = mb_cql_result_cell(res, 0, (size_t)ce);
                out->has_expires = !mb_cql_cell_is_null(&c);
                cell_i64(res, 0, (size_t)ce, &out->expires);
            }
        }
    }
    mb_cql_result_free(res);
    return rc;
}

static mb_status cs_lock_renew(mb_store *ss, const char *name,
                               const char *owner, int64_t ttl_ms,
                               mb_error *err)
{
    cs_store *s = (cs_store *)ss;
    mb_cql_value v[] = {mb_cql_int(ttl_s(ttl_ms)),
                        mb_cql_int(mb_store_now_ms() + ttl_ms),
                        mb_cql_text(name), mb_cql_text(owner)};
    lease_seen seen;
    mb_status st = lwt(s, P_LOCK_RENEW, v, 4, &seen, err);
    if (st == MB_OK && !seen.applied)
        st = mb_error_set(err, MB_EBUSY, "store: lock %s is not held by %s",
                          name, owner);
    return st;
}

static mb_status cs_lock(mb_store *ss, const char *name, const char *owner,
                         int64_t ttl_ms, bool *taken, mb_error *err)
{
    cs_store *s = (cs_store *)ss;
    int64_t now = mb_store_now_ms();
    mb_cql_value v[] = {mb_cql_text(name), mb_cql_text(owner),
                        mb_cql_int(now + ttl_ms), mb_cql_int(ttl_s(ttl_ms))};
    lease_seen seen;
    mb_status st = lwt(s, P_LOCK_INS, v, 4, &seen, err);
    if (st || seen.applied) {
        *taken = st == MB_OK;
        return st;
    }
    if (seen.has_owner && !strcmp(seen.owner, owner)) {
        st = cs_lock_renew(ss, name, owner, ttl_ms, err);
        if (st == MB_EBUSY)
            return MB_OK; /* lost it in between: not taken */
        *taken = st == MB_OK;
        return st;
    }
    if (seen.has_owner && seen.has_expires && seen.expires > now)
        return MB_OK; /* someone else holds an unexpired lease */
    /* expired (or half expired): take it over, unless it changed since */
    mb_cql_value c[] = {
        mb_cql_int(ttl_s(ttl_ms)), mb_cql_text(owner),
        mb_cql_int(now + ttl_ms), mb_cql_text(name),
        seen.has_owner ? mb_cql_text(seen.owner) : mb_cql_null(),
        seen.has_expires ? mb_cql_int(seen.expires) : mb_cql_null()};
    st = lwt(s, P_LOCK_CLAIM, c, 6, &seen, err);
    *taken = st == MB_OK && seen.applied;
    return st;
}

static mb_status cs_unlock(mb_store *ss, const char *name, const char *owner,
                           mb_error *err)
{
    cs_store *s = (cs_store *)ss;
    mb_cql_value v[] = {mb_cql_text(name), mb_cql_text(owner)};
    lease_seen seen;
    return lwt(s, P_UNLOCK, v, 2, &seen, err);
}

/* Read at the serial consistency: sees every committed lightweight
 * transaction on the lease. */
static mb_status cs_lock_holder(mb_store *ss, const char *name, char *holder,
                                size_t cap, bool *held, mb_error *err)
{
    cs_store *s = (cs_store *)ss;
    mb_cql_stmt *st = stmt(s, P_LOCK_GET, s->serial_cl);
    if (!st)
        return nomem(err);
    mb_cql_value v = mb_cql_text(name);
    mb_cql_result *res = NULL;
    mb_status rc = mb_cql_stmt_bind(st, 0, &v, err);
    if (rc == MB_OK)
        rc = run(s, st, &res, "lock", err);
    mb_cql_stmt_free(st);
    int64_t expires = 0;
    if (rc == MB_OK && mb_cql_result_row_count(res) == 1 &&
        cell_i64(res, 0, 1, &expires) == MB_OK &&
        expires > mb_store_now_ms()) {
        cell_str(res, 0, 0, holder, cap);
        *held = true;
    }
    mb_cql_result_free(res);
    return rc;
}

static const mb_store_ops cs_ops = {
    .name = "cassandra",
    .close = cs_close,
    .file_get = cs_file_get,
    .file_reject = cs_file_reject,
    .files = cs_files,
    .begin = cs_begin,
    .intervals = cs_intervals,
    .reg = cs_register,
    .commit = cs_commit,
    .abort = cs_abort,
    .read = cs_read,
    .read_registers = cs_read_registers,
    .series = cs_series_all,
    .verify = cs_verify,
    .lock = cs_lock,
    .lock_renew = cs_lock_renew,
    .unlock = cs_unlock,
    .lock_holder = cs_lock_holder,
};
