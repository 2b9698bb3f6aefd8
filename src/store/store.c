/*
 * store.c - the storage interface: picks the backend by URI, checks every
 * argument once for all backends, and computes the digest of the current
 * view that mb_store_verify reports (the same lines whatever the backend).
 *
 * A backend is a table of functions (store_backend.h). A new backend adds
 * its open function to `backends` below; no caller changes.
 */
#include "store/store_backend.h"

#include "core/digest.h"

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- choosing a backend ------------------------------------------------- */

typedef struct backend {
    const char *scheme; /* URI prefix, "" matches a plain path */
    const char *name;
    mb_status (*open)(const char *target, mb_store **out, mb_error *err);
} backend;

static const backend backends[] = {
    {"cassandra://", "cassandra", mb_store_cassandra_open},
    {"file:", "embedded", mb_store_sqlite_open},
    {"", "embedded", mb_store_sqlite_open},
};

mb_status mb_store_open(const char *uri, mb_store **out, mb_error *err)
{
    *out = NULL;
    if (!uri || !*uri)
        return mb_error_set(err, MB_EINVAL, "store: empty store URI");
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        const backend *be = &backends[i];
        size_t n = strlen(be->scheme);
        if (strncmp(uri, be->scheme, n) != 0)
            continue;
        if (!be->open)
            return mb_error_set(err, MB_EINVAL,
                                "store %s: the %s backend is not built yet",
                                uri, be->name);
        if (!uri[n])
            return mb_error_set(err, MB_EINVAL, "store %s: no location",
                                uri);
        mb_status st = be->open(uri + n, out, err);
        if (st == MB_OK)
            (*out)->in_batch = false;
        return st;
    }
    return mb_error_set(err, MB_EINTERNAL, "store %s: no backend", uri);
}

void mb_store_close(mb_store *s)
{
    if (s)
        s->ops->close(s);
}

/* mkdir -p for the directories above path. */
static void make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            *p = '/';
            return; /* mb_store_open will report why it cannot create */
        }
        *p = '/';
    }
}

const char *mb_store_default_uri(char *buf, size_t cap)
{
    const char *env = getenv(MB_STORE_ENV);
    if (env && *env) {
        snprintf(buf, cap, "%s", env);
        return buf;
    }
    const char *xdg = getenv("XDG_DATA_HOME");
    if (xdg && *xdg == '/') {
        snprintf(buf, cap, "%s/meterbase/meterbase.db", xdg);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home) {
            struct passwd *pw = getpwuid(getuid());
            home = pw && pw->pw_dir ? pw->pw_dir : ".";
        }
        snprintf(buf, cap, "%s/.local/share/meterbase/meterbase.db", home);
    }
    make_parents(buf);
    return buf;
}

/* ---- argument checks shared by every backend ---------------------------- */

static mb_status check_id(const char *what, const char *id, mb_error *err)
{
    if (!id || !*id)
        return mb_error_set(err, MB_EINVAL, "store: empty %s", what);
    if (strlen(id) > MB_ID_MAX)
        return mb_error_set(err, MB_EINVAL, "store: %s \"%.80s\" is longer "
                            "than %d bytes", what, id, MB_ID_MAX);
    return MB_OK;
}

static mb_status check_value(const char *meter, mb_decimal v, mb_quality q,
                             mb_error *err)
{
    if (v.scale < 0 || v.scale > MB_DECIMAL_MAX_SCALE)
        return mb_error_set(err, MB_EINVAL, "store: meter %s: value scale "
                            "%d out of range", meter, (int)v.scale);
    switch (q.flag) {
    case MB_Q_ACTUAL: case MB_Q_ESTIMATED: case MB_Q_SUBSTITUTED:
    case MB_Q_FINAL: case MB_Q_NULL:
        break;
    default:
        return mb_error_set(err, MB_EINVAL, "store: meter %s: unknown "
                            "quality flag 0x%02x", meter,
                            (unsigned char)q.flag);
    }
    if (q.reason > 999 && q.reason != MB_REASON_NONE)
        return mb_error_set(err, MB_EINVAL, "store: meter %s: reason code "
                            "%u out of range", meter, (unsigned)q.reason);
    return MB_OK;
}

static mb_status check_block(const mb_interval_block *b, mb_error *err)
{
    mb_status st;
    if ((st = check_id("meter id", b->meter, err)) ||
        (st = check_id("channel", b->channel, err)))
        return st;
    if (!b->zone || !*b->zone)
        return mb_error_set(err, MB_EINVAL, "store: meter %s: no zone",
                            b->meter);
    if ((unsigned)b->unit >= MB_UNIT_COUNT)
        return mb_error_set(err, MB_EINVAL, "store: meter %s: bad unit",
                            b->meter);
    if (b->interval <= 0 || b->count == 0 || !b->values || !b->quality)
        return mb_error_set(err, MB_EINVAL, "store: meter %s channel %s: "
                            "empty block or interval %" PRId32, b->meter,
                            b->channel, b->interval);
    int64_t span;
    if (__builtin_mul_overflow((int64_t)b->count, (int64_t)b->interval,
                               &span) ||
        __builtin_add_overflow(b->start, span, &span))
        return mb_error_set(err, MB_ERANGE, "store: meter %s: block "
                            "time out of range", b->meter);
    for (uint32_t i = 0; i < b->count; i++)
        if ((st = check_value(b->meter, b->values[i], b->quality[i], err)))
            return st;
    return MB_OK;
}

static mb_status check_register(const mb_register_read *r, mb_error *err)
{
    mb_status st;
    if ((st = check_id("meter id", r->meter, err)) ||
        (st = check_id("register", r->reg, err)))
        return st;
    if (!r->zone || !*r->zone)
        return mb_error_set(err, MB_EINVAL, "store: meter %s: no zone",
                            r->meter);
    if ((unsigned)r->unit >= MB_UNIT_COUNT)
        return mb_error_set(err, MB_EINVAL, "store: meter %s: bad unit",
                            r->meter);
    if (r->serial && strlen(r->serial) > MB_ID_MAX)
        return mb_error_set(err, MB_EINVAL, "store: meter %s: serial "
                            "longer than %d bytes", r->meter, MB_ID_MAX);
    return check_value(r->meter, r->value, r->quality, err);
}

static mb_status check_query(const mb_range_query *q, mb_error *err)
{
    mb_status st;
    if (!q)
        return mb_error_set(err, MB_EINVAL, "store: no query");
    if ((st = check_id("meter id", q->meter, err)))
        return st;
    if (q->channel && (st = check_id("channel", q->channel, err)))
        return st;
    return MB_OK;
}

static mb_status check_digest(const char *d, mb_error *err)
{
    size_t n = 0;
    for (; d && d[n]; n++)
        if (!((d[n] >= '0' && d[n] <= '9') || (d[n] >= 'a' && d[n] <= 'f')))
            break;
    if (!d || n != 64 || d[n])
        return mb_error_set(err, MB_EINVAL, "store: file digest must be 64 "
                            "lowercase hex digits");
    return MB_OK;
}

static mb_status check_file(const mb_file_record *f, mb_error *err)
{
    if (!f)
        return mb_error_set(err, MB_EINVAL, "store: no file record");
    return check_digest(f->digest, err);
}

/* ---- the interface: check, then dispatch -------------------------------- */

mb_status mb_store_file_get(mb_store *s, const char *digest,
                            mb_file_record *rec, bool *found, mb_error *err)
{
    *found = false;
    mb_status st = check_digest(digest, err);
    return st ? st : s->ops->file_get(s, digest, rec, found, err);
}

mb_status mb_store_file_reject(mb_store *s, const mb_file_record *rec,
                               mb_error *err)
{
    mb_status st = check_file(rec, err);
    if (st == MB_OK && rec->outcome != MB_FILE_REJECTED)
        st = mb_error_set(err, MB_EINVAL, "store: file record to reject "
                          "has outcome %d", (int)rec->outcome);
    return st ? st : s->ops->file_reject(s, rec, err);
}

mb_status mb_store_files(mb_store *s, mb_file_fn fn, void *ctx,
                         mb_error *err)
{
    return s->ops->files(s, fn, ctx, err);
}

mb_status mb_store_begin(mb_store *s, mb_batch **out, mb_error *err)
{
    *out = NULL;
    if (s->in_batch)
        return mb_error_set(err, MB_EINVAL, "store: a batch is already open "
                            "on this handle");
    mb_status st = s->ops->begin(s, out, err);
    if (st == MB_OK) {
        (*out)->store = s;
        s->in_batch = true;
    }
    return st;
}

mb_status mb_batch_intervals(mb_batch *b, const mb_interval_block *blk,
                             mb_error *err)
{
    mb_status st = check_block(blk, err);
    return st ? st : b->store->ops->intervals(b, blk, err);
}

mb_status mb_batch_register(mb_batch *b, const mb_register_read *r,
                            mb_error *err)
{
    mb_status st = check_register(r, err);
    return st ? st : b->store->ops->reg(b, r, err);
}

mb_status mb_batch_commit(mb_batch *b, const mb_file_record *file,
                          mb_apply_stats *stats, mb_error *err)
{
    mb_store *s = b->store;
    mb_apply_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    mb_status st = check_file(file, err);
    if (st == MB_OK && file->outcome != MB_FILE_APPLIED)
        st = mb_error_set(err, MB_EINVAL, "store: committed file must have "
                          "outcome applied");
    if (st) {
        s->ops->abort(b);
    } else {
        st = s->ops->commit(b, file, stats, err);
    }
    s->in_batch = false;
    return st;
}

void mb_batch_abort(mb_batch *b)
{
    if (!b)
        return;
    mb_store *s = b->store;
    s->ops->abort(b);
    s->in_batch = false;
}

mb_status mb_store_read(mb_store *s, const mb_range_query *q,
                        mb_interval_fn fn, void *ctx, mb_error *err)
{
    mb_status st = check_query(q, err);
    return st ? st : s->ops->read(s, q, fn, ctx, err);
}

mb_status mb_store_read_registers(mb_store *s, const mb_range_query *q,
                                  mb_register_fn fn, void *ctx,
                                  mb_error *err)
{
    mb_status st = check_query(q, err);
    return st ? st : s->ops->read_registers(s, q, fn, ctx, err);
}

mb_status mb_store_series(mb_store *s, mb_series_fn fn, void *ctx,
                          mb_error *err)
{
    return s->ops->series(s, fn, ctx, err);
}

mb_status mb_store_verify(mb_store *s, mb_store_digest *out, mb_error *err)
{
    memset(out, 0, sizeof *out);
    return s->ops->verify(s, out, err);
}

static mb_status check_lock(const char *name, const char *owner,
                            int64_t ttl_ms, mb_error *err)
{
    if (!name || !*name || !owner || !*owner)
        return mb_error_set(err, MB_EINVAL, "store: lock needs a name and "
                            "an owner");
    if (ttl_ms <= 0)
        return mb_error_set(err, MB_EINVAL, "store: lock %s: lease must be "
                            "positive", name);
    return MB_OK;
}

mb_status mb_store_lock(mb_store *s, const char *name, const char *owner,
                        int64_t ttl_ms, bool *taken, mb_error *err)
{
    *taken = false;
    mb_status st = check_lock(name, owner, ttl_ms, err);
    return st ? st : s->ops->lock(s, name, owner, ttl_ms, taken, err);
}

mb_status mb_store_lock_renew(mb_store *s, const char *name,
                              const char *owner, int64_t ttl_ms,
                              mb_error *err)
{
    mb_status st = check_lock(name, owner, ttl_ms, err);
    return st ? st : s->ops->lock_renew(s, name, owner, ttl_ms, err);
}

mb_status mb_store_unlock(mb_store *s, const char *name, const char *owner,
                          mb_error *err)
{
    mb_status st = check_lock(name, owner, 1, err);
    return st ? st : s->ops->unlock(s, name, owner, err);
}

mb_status mb_store_lock_holder(mb_store *s, const char *name, char *holder,
                               size_t cap, bool *held, mb_error *err)
{
    *held = false;
    if (cap)
        holder[0] = '\0';
    mb_status st = check_lock(name, "-", 1, err);
    return st ? st : s->ops->lock_holder(s, name, holder, cap, held, err);
}

int64_t mb_store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- digest of the current view ----------------------------------------- */

struct mb_store_hasher {
    mb_digest *md;
    uint64_t series, values, registers;
    size_t used;
    char buf[1 << 16];
};

mb_status mb_store_hasher_new(mb_store_hasher **out, mb_error *err)
{
    mb_store_hasher *h = calloc(1, sizeof *h);
    if (!h)
        return mb_error_set(err, MB_ENOMEM, "store: out of memory");
    mb_status st = mb_digest_new(&h->md, err);
    if (st) {
        free(h);
        return st;
    }
    *out = h;
    return MB_OK;
}

void mb_store_hasher_free(mb_store_hasher *h)
{
    if (!h)
        return;
    char hex[MB_DIGEST_HEX];
    mb_digest_final(h->md, hex);
    free(h);
}

static void hasher_flush(mb_store_hasher *h)
{
    mb_digest_update(h->md, h->buf, h->used);
    h->used = 0;
}

/* Make room for one line (ids are at most MB_ID_MAX bytes, so 512 do). */
static void hasher_room(mb_store_hasher *h)
{
    if (sizeof h->buf - h->used < 512)
        hasher_flush(h);
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    p[n] = ',';
    return p + n + 1;
}

static char *put_i64(char *p, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + (int)(m % 10));
        m /= 10;
    } while (m);
    if (v < 0)
        *p++ = '-';
    while (n)
        *p++ = tmp[--n];
    *p++ = ',';
    return p;
}

static char *put_dec(char *p, mb_decimal d)
{
    p += mb_decimal_format(mb_decimal_normalize(d), p, MB_DECIMAL_STRLEN);
    *p++ = ',';
    return p;
}

static char *put_quality(char *p, mb_quality q, bool detail)
{
    *p++ = q.flag;
    *p++ = ',';
    if (!detail)
        return p;
    p = put_i64(p, q.method);
    if (q.reason != MB_REASON_NONE)
        return put_i64(p, q.reason);
    *p++ = ',';
    return p;
}

void mb_store_hasher_interval(mb_store_hasher *h, const mb_interval_row *r)
{
    hasher_room(h);
    char *p = h->buf + h->used;
    *p++ = 'I';
    *p++ = ',';
    p = put_str(p, r->meter);
    p = put_str(p, r->channel);
    p = put_str(p, mb_unit_name(r->unit));
    p = put_i64(p, r->start);
    p = put_i64(p, r->interval);
    p = put_dec(p, r->value);
    p = put_quality(p, r->quality, true);
    p = put_i64(p, r->version);
    p[-1] = '\n';
    h->used = (size_t)(p - h->buf);
    h->values++;
}

void mb_store_hasher_register(mb_store_hasher *h, const mb_register_row *r)
{
    hasher_room(h);
    char *p = h->buf + h->used;
    *p++ = 'R';
    *p++ = ',';
    p = put_str(p, r->meter);
    p = put_str(p, r->reg);
    p = put_str(p, mb_unit_name(r->unit));
    p = put_i64(p, r->read_at);
    p = put_dec(p, r->value);
    if (r->read_type)
        *p++ = r->read_type;
    *p++ = ',';
    p = put_quality(p, r->quality, false);
    p = put_i64(p, r->version);
    p[-1] = '\n';
    h->used = (size_t)(p - h->buf);
    h->registers++;
}

void mb_store_hasher_series(mb_store_hasher *h)
{
    h->series++;
}

void mb_store_hasher_end(mb_store_hasher *h, mb_store_digest *out)
{
    hasher_flush(h);
    mb_digest_final(h->md, out->hex);
    out->series = h->series;
    out->values = h->values;
    out->registers = h->registers;
    free(h);
}
