/*
 * store_sqlite.c - the embedded backend: one local SQLite file.
 *
 * Interval data is kept as one row per (series, local day): the row's key
 * packs the series id and the day number into one integer (the table's
 * rowid, so lookups and range scans are B-tree walks on a single integer),
 * and its value is the day's slots packed by dayrow.c. Meters and series
 * (meter, channel, interval length) are interned to integer ids and cached
 * in memory. Complete months are archived on demand (mb_store_compact):
 * their day rows are rewritten into one row per (series, month), so a
 * long read takes a seek per month; days before the archive boundary
 * live only in month rows, later ones only in day rows, and writes and
 * reads go to whichever holds the day. A batch is one IMMEDIATE
 * transaction, so a file is applied whole or not at all together with its
 * file record; the database runs in WAL mode with synchronous=FULL, so a
 * committed batch survives kill -9 and power loss. Superseded versions go
 * to the history tables, written only when something changes. Leases
 * live in a second small database beside the store (PATH-leases) so that
 * a process can renew its lease while its own batch holds the store's
 * write lock. docs/store.md has the layout.
 *
 * A handle is for one thread. Callbacks get rows straight from open
 * statements, so they must not call back into the same handle.
 */
#include "store/store_backend.h"

#include "core/datetime.h"
#include "core/tz.h"
#include "store/dayrow.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2 added the month archive (table months, meta 'archived_to'); a
 * version 1 store is upgraded on open by creating the empty table. */
#define SCHEMA_VERSION 2
#define MB_STR_(x) #x
#define MB_STR(x) MB_STR_(x)
/* Up to this many series the whole series table is cached in memory
 * (about 100 bytes each); beyond it, meters are looked up one by one. */
#define CACHE_ALL_MAX 4000000
#define BUSY_TIMEOUT_MS 60000
/* A day row's key: the day in the high bits, the series in the low ones.
 * Day-major, so that a daily file appends its rows at the end of the
 * table instead of touching one page per series. */
#define DAY_BITS 24
#define SERIES_BITS 38
#define DAY_BIAS ((int64_t)1 << (DAY_BITS - 1))
#define SERIES_MAX ((int64_t)1 << SERIES_BITS)
/* Instants are kept within the days a key can hold. */
#define TIME_LIMIT ((DAY_BIAS - 2) * 86400)

static int64_t day_key(int64_t series, int64_t day)
{
    return ((day + DAY_BIAS) << SERIES_BITS) | series;
}

static int64_t key_day(int64_t key)
{
    return (key >> SERIES_BITS) - DAY_BIAS;
}

/* The archive: days before meta 'archived_to' (the first day of a month)
 * live in month rows keyed like day rows, the month (local months since
 * January 1970) in the high bits. Month-major too, so that archiving a
 * month appends its rows; a year of one series is twelve seeks. */
#define ARCHIVE_NONE (-DAY_BIAS)
/* Series archived together: bounds the memory of a month's rows. */
#define ARCHIVE_CHUNK 4096

static int64_t month_key(int64_t series, int64_t month)
{
    return day_key(series, month);
}

static int64_t day_month(int64_t day)
{
    int y, m, d;
    mb_civil_from_days(day, &y, &m, &d);
    return ((int64_t)y - 1970) * 12 + m - 1;
}

static int64_t month_first(int64_t month)
{
    int64_t y = month >= 0 ? month / 12 : -((-month + 11) / 12);
    return mb_days_from_civil((int)(1970 + y), (int)(month - y * 12) + 1, 1);
}

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta("
    " key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS series("
    " meter TEXT NOT NULL, channel TEXT NOT NULL, step INTEGER NOT NULL,"
    " id INTEGER NOT NULL, unit TEXT NOT NULL, zone TEXT NOT NULL,"
    " PRIMARY KEY(meter, channel, step)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS days(id INTEGER PRIMARY KEY, data BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS months(id INTEGER PRIMARY KEY, data BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS history("
    " series_id INTEGER NOT NULL, start INTEGER NOT NULL,"
    " version INTEGER NOT NULL, units INTEGER NOT NULL, scale INTEGER NOT NULL,"
    " flag INTEGER NOT NULL, method INTEGER NOT NULL, reason INTEGER NOT NULL,"
    " text TEXT NOT NULL,"
    " PRIMARY KEY(series_id, start, version, units, scale, flag, method,"
    " reason, text)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS registers("
    " series_id INTEGER NOT NULL, read_at INTEGER NOT NULL,"
    " version INTEGER NOT NULL, units INTEGER NOT NULL, scale INTEGER NOT NULL,"
    " read_type INTEGER NOT NULL, flag INTEGER NOT NULL,"
    " method INTEGER NOT NULL, reason INTEGER NOT NULL, text TEXT NOT NULL,"
    " serial TEXT NOT NULL, PRIMARY KEY(series_id, read_at)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS register_history("
    " series_id INTEGER NOT NULL, read_at INTEGER NOT NULL,"
    " version INTEGER NOT NULL, units INTEGER NOT NULL, scale INTEGER NOT NULL,"
    " read_type INTEGER NOT NULL, flag INTEGER NOT NULL,"
    " method INTEGER NOT NULL, reason INTEGER NOT NULL, text TEXT NOT NULL,"
    " serial TEXT NOT NULL, PRIMARY KEY(series_id, read_at, version, units,"
    " scale, read_type, flag, method, reason, text, serial)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS files("
    " seq INTEGER PRIMARY KEY, digest TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
    " size INTEGER NOT NULL, format TEXT NOT NULL, outcome TEXT NOT NULL,"
    " nvalues INTEGER NOT NULL, nregisters INTEGER NOT NULL,"
    " added INTEGER NOT NULL, changed INTEGER NOT NULL,"
    " unchanged INTEGER NOT NULL, error TEXT NOT NULL,"
    " seen_at INTEGER NOT NULL);";

#define REG_COLS "version, units, scale, read_type, flag, method, reason, " \
                 "text, serial"

enum {
    Q_BEGIN, Q_BEGIN_WRITE, Q_COMMIT, Q_ROLLBACK,
    Q_DATA_VERSION, Q_META_GET, Q_META_PUT, Q_SERIES_ADD,
    Q_DAY_GET, Q_DAY_ADD, Q_DAY_PUT, Q_HIST_PUT,
    Q_REG_GET, Q_REG_PUT, Q_REGHIST_PUT,
    Q_FILE_PUT, Q_FILE_GET, Q_FILES,
    Q_METER_SERIES, Q_DAY_SPAN, Q_HIST_RANGE, Q_REG_RANGE,
    Q_ALL_SERIES, Q_SERIES_SINCE, Q_REG_SERIES, Q_HIST_ALL,
    Q_MONTH_GET, Q_MONTH_PUT, Q_MONTH_ADD, Q_MONTH_SPAN, Q_DAY_SCAN,
    Q_DAY_DROP, Q_MONTH_LAST,
    Q_COUNT
};

static const char *const sql_text[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN",
    [Q_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_DATA_VERSION] = "PRAGMA data_version",
    [Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [Q_META_PUT] = "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)",
    [Q_SERIES_ADD] = "INSERT INTO series(meter, channel, step, id, unit, zone)"
                     " VALUES(?1, ?2, ?3, ?4, ?5, ?6)"
                     " ON CONFLICT DO NOTHING",
    [Q_DAY_GET] = "SELECT data FROM days WHERE id = ?1",
    [Q_DAY_ADD] = "INSERT INTO days(id, data) VALUES(?1, ?2)"
                  " ON CONFLICT(id) DO NOTHING",
    [Q_DAY_PUT] = "INSERT INTO days(id, data) VALUES(?1, ?2)"
                  " ON CONFLICT(id) DO UPDATE SET data = excluded.data",
    [Q_HIST_PUT] = "INSERT OR IGNORE INTO history(series_id, start, version,"
                   " units, scale, flag, method, reason, text)"
                   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_REG_GET] = "SELECT " REG_COLS " FROM registers"
                  " WHERE series_id = ?1 AND read_at = ?2",
    [Q_REG_PUT] = "INSERT OR REPLACE INTO registers(series_id, read_at, "
                  REG_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                  " ?10, ?11)",
    [Q_REGHIST_PUT] = "INSERT OR IGNORE INTO register_history(series_id,"
                      " read_at, " REG_COLS ") VALUES(?1, ?2, ?3, ?4, ?5,"
                      " ?6, ?7, ?8, ?9, ?10, ?11)",
    /* An applied record is never replaced; a rejected one is refreshed or
     * upgraded to applied. */
    [Q_FILE_PUT] = "INSERT INTO files(digest, name, size, format, outcome,"
                   " nvalues, nregisters, added, changed, unchanged, error,"
                   " seen_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                   " ?10, ?11, ?12) ON CONFLICT(digest) DO UPDATE SET"
                   " name = excluded.name, size = excluded.size,"
                   " format = excluded.format, outcome = excluded.outcome,"
                   " nvalues = excluded.nvalues,"
                   " nregisters = excluded.nregisters,"
                   " added = excluded.added, changed = excluded.changed,"
                   " unchanged = excluded.unchanged, error = excluded.error,"
                   " seen_at = excluded.seen_at"
                   " WHERE files.outcome <> 'applied'",
    [Q_FILE_GET] = "SELECT digest, name, size, format, outcome, nvalues,"
                   " nregisters, added, changed, unchanged, error, seen_at"
                   " FROM files WHERE digest = ?1",
    [Q_FILES] = "SELECT digest, name, size, format, outcome, nvalues,"
                " nregisters, added, changed, unchanged, error, seen_at"
                " FROM files ORDER BY seen_at, seq",
    [Q_METER_SERIES] = "SELECT channel, step, id, unit, zone FROM series"
                       " WHERE meter = ?1 ORDER BY channel, step",
    /* The rows of one series from key ?1 to key ?2 in steps of ?3 (one
     * day, or minus one day to go backwards): one seek per day. */
    [Q_DAY_SPAN] = "WITH RECURSIVE k(x) AS (SELECT ?1 UNION ALL"
                   " SELECT x + ?3 FROM k WHERE (?3 > 0 AND x < ?2)"
                   " OR (?3 < 0 AND x > ?2))"
                   " SELECT d.id, d.data FROM k CROSS JOIN days d"
                   " ON d.id = k.x",
    [Q_HIST_RANGE] = "SELECT start, version, units, scale, flag, method,"
                     " reason, text FROM history WHERE series_id = ?1"
                     " AND start >= ?2 AND start < ?3 ORDER BY start,"
                     " version, units, scale, flag, method, reason, text",
    [Q_REG_RANGE] =
        "SELECT s.channel, s.unit, r.read_at, r.units, r.scale, r.read_type,"
        " r.flag, r.method, r.reason, r.text, r.serial, r.version, 1, s.zone"
        " FROM series s JOIN registers r ON r.series_id = s.id"
        " WHERE s.meter = ?1 AND s.step = 0"
        " AND (?2 IS NULL OR s.channel = ?2)"
        " AND r.read_at >= ?3 AND r.read_at < ?4"
        " UNION ALL "
        "SELECT s.channel, s.unit, h.read_at, h.units, h.scale, h.read_type,"
        " h.flag, h.method, h.reason, h.text, h.serial, h.version, 0, s.zone"
        " FROM series s JOIN register_history h ON h.series_id = s.id"
        " WHERE ?5 AND s.meter = ?1 AND s.step = 0"
        " AND (?2 IS NULL OR s.channel = ?2)"
        " AND h.read_at >= ?3 AND h.read_at < ?4"
        " ORDER BY 1, 3, 13 DESC, 12, 4, 5, 7, 8, 9, 10, 6, 11",
    [Q_ALL_SERIES] = "SELECT id, meter, zone, channel, step, unit FROM series"
                     " ORDER BY meter, step = 0, channel, step",
    [Q_SERIES_SINCE] = "SELECT channel, step, id, unit, zone, meter"
                       " FROM series WHERE id >= ?1 ORDER BY meter",
    [Q_REG_SERIES] = "SELECT read_at, " REG_COLS " FROM registers"
                     " WHERE series_id = ?1 ORDER BY read_at",
    [Q_HIST_ALL] = "SELECT h.series_id, h.start, h.version, h.units,"
                   " h.scale, h.flag, h.method, h.reason, h.text, s.step,"
                   " s.zone FROM history h JOIN series s ON s.id ="
                   " h.series_id ORDER BY h.series_id, h.start",
    [Q_MONTH_GET] = "SELECT data FROM months WHERE id = ?1",
    [Q_MONTH_PUT] = "INSERT INTO months(id, data) VALUES(?1, ?2)"
                    " ON CONFLICT(id) DO UPDATE SET data = excluded.data",
    [Q_MONTH_ADD] = "INSERT INTO months(id, data) VALUES(?1, ?2)",
    /* Like Q_DAY_SPAN, over month rows. */
    [Q_MONTH_SPAN] = "WITH RECURSIVE k(x) AS (SELECT ?1 UNION ALL"
                     " SELECT x + ?3 FROM k WHERE (?3 > 0 AND x < ?2)"
                     " OR (?3 < 0 AND x > ?2))"
                     " SELECT m.id, m.data FROM k CROSS JOIN months m"
                     " ON m.id = k.x",
    [Q_DAY_SCAN] = "SELECT id, data FROM days WHERE id >= ?1 AND id < ?2",
    [Q_DAY_DROP] = "DELETE FROM days WHERE id >= ?1 AND id < ?2",
    [Q_MONTH_LAST] = "SELECT coalesce(max(id), -1) FROM months",
};

enum { L_BEGIN, L_COMMIT, L_ROLLBACK, L_GET, L_PUT, L_RENEW, L_DROP, L_COUNT };

static const char *const lease_sql[L_COUNT] = {
    [L_BEGIN] = "BEGIN IMMEDIATE",
    [L_COMMIT] = "COMMIT",
    [L_ROLLBACK] = "ROLLBACK",
    [L_GET] = "SELECT owner, expires FROM leases WHERE name = ?1",
    [L_PUT] = "INSERT OR REPLACE INTO leases(name, owner, expires)"
              " VALUES(?1, ?2, ?3)",
    [L_RENEW] = "UPDATE leases SET expires = ?3"
                " WHERE name = ?1 AND owner = ?2",
    [L_DROP] = "DELETE FROM leases WHERE name = ?1 AND owner = ?2",
};

/* ---- interned meters and series ----------------------------------------- */

/* Cache entries live in an arena, their strings right after them. A
 * meter in the cache has all its stored series in the cache too. */
typedef struct map_item {
    const char *key;
    size_t len;
} map_item;

typedef struct meter_ent {
    map_item item;    /* key: the meter id */
    const char *name, *zone;
    const mb_tz *tz;
} meter_ent;

typedef struct series_ent {
    map_item item;    /* key: meter, NUL, channel, NUL, step */
    int64_t id;
    meter_ent *meter;
    const char *channel;
    int32_t step;     /* interval length, 0 for a register series */
    mb_unit unit;
    char key[];
} series_ent;

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    max_align_t data[];
} arena_chunk;

static void *arena_alloc(arena_chunk **head, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    arena_chunk *c = *head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > (1 << 20) ? n : (1 << 20);
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = *head;
        c->used = 0;
        c->cap = cap;
        *head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

static void arena_free(arena_chunk **head)
{
    while (*head) {
        arena_chunk *c = *head;
        *head = c->next;
        free(c);
    }
}

/* Open-addressing hash map from byte strings to items (the first member
 * of each entry); slots are small so that a lookup touches little memory. */
typedef struct map_slot {
    uint64_t hash;
    map_item *item;
} map_slot;

typedef struct strmap {
    map_slot *slot;
    size_t cap, n;
} strmap;

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    /* Mix so that the low bits used as the index depend on every byte. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static map_slot *map_find(strmap *m, const void *key, size_t len,
                          uint64_t h)
{
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        map_slot *s = &m->slot[i];
        if (!s->item || (s->hash == h && s->item->len == len &&
                         !memcmp(s->item->key, key, len)))
            return s;
    }
}

static bool map_grow(strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    map_slot *ns = calloc(cap, sizeof *ns);
    if (!ns)
        return false;
    for (size_t i = 0; i < m->cap; i++) {
        map_slot o = m->slot[i];
        if (!o.item)
            continue;
        size_t j = o.hash & (cap - 1);
        while (ns[j].item)
            j = (j + 1) & (cap - 1);
        ns[j] = o;
    }
    free(m->slot);
    m->slot = ns;
    m->cap = cap;
    return true;
}

/* Insert an item whose key is absent; the item must outlive the map. */
static bool map_put(strmap *m, map_item *item)
{
    if ((m->n + 1) * 2 > m->cap && !map_grow(m))
        return false;
    uint64_t h = hash_bytes(item->key, item->len);
    *map_find(m, item->key, item->len, h) = (map_slot){h, item};
    m->n++;
    return true;
}

static void *map_get(strmap *m, const void *key, size_t len)
{
    if (!m->cap)
        return NULL;
    return map_find(m, key, len, hash_bytes(key, len))->item;
}

static void map_clear(strmap *m)
{
    free(m->slot);
    memset(m, 0, sizeof *m);
}

/* ---- the handle ---------------------------------------------------------- */

typedef struct sq_store sq_store;

typedef struct sq_batch {
    mb_batch base;
    sq_store *s;
    mb_apply_stats st;
    bool created;  /* interned a meter or series: caches die on rollback */
    bool failed;   /* a call failed after writing: only abort is left */
    bool fresh;    /* the last day row looked for was new: try inserting
                      the next one before looking for it */
    int64_t next_id; /* next series id; stored at commit when changed */
    int64_t first_id;
    int64_t first_day, last_day; /* days with data, likewise */
    int64_t old_first, old_last;
    int64_t archived; /* days before this live in month rows */
} sq_batch;

typedef struct sbuf {
    uint8_t *p;
    size_t cap;
} sbuf;

struct sq_store {
    mb_store base;
    sqlite3 *db, *lease_db;
    char *path;
    sqlite3_stmt *q[Q_COUNT];
    sqlite3_stmt *lq[L_COUNT];
    strmap meters, series;
    arena_chunk *arena;
    series_ent *last;
    bool complete;         /* every stored series is in the cache */
    int64_t cached_next;   /* series ids below this are in the cache */
    int64_t cache_version; /* PRAGMA data_version the caches are good for */
    sq_batch batch;
    mb_dayslot *slots;
    uint32_t slots_cap;
    sbuf row, enc, text, text2;
    sbuf mrow, menc;       /* a month row loaded, and one being written */
    mb_monthday mdays[MB_MONTH_DAYS]; /* the days of mrow */
    uint32_t nmdays;
    char *file_name, *file_error;
};

static const mb_store_ops sq_ops;

static bool sbuf_reserve(sbuf *b, size_t n)
{
    if (n <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < n)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        return false;
    b->p = p;
    b->cap = cap;
    return true;
}

/* Copy n bytes into b with a NUL after them; returns the copy. */
static const char *sbuf_str(sbuf *b, const void *src, size_t n)
{
    if (!sbuf_reserve(b, n + 1))
        return NULL;
    if (n)
        memcpy(b->p, src, n);
    b->p[n] = 0;
    return (const char *)b->p;
}

static bool slots_reserve(sq_store *s, uint32_t n)
{
    if (n <= s->slots_cap)
        return true;
    mb_dayslot *p = realloc(s->slots, (size_t)n * sizeof *p);
    if (!p)
        return false;
    s->slots = p;
    s->slots_cap = n;
    return true;
}

static mb_status nomem(mb_error *err)
{
    return mb_error_set(err, MB_ENOMEM, "store: out of memory");
}

static mb_status db_fail(sqlite3 *db, const char *path, const char *what,
                         mb_error *err)
{
    int rc = sqlite3_extended_errcode(db);
    mb_status st;
    switch (rc & 0xff) {
    case SQLITE_BUSY: case SQLITE_LOCKED: st = MB_EBUSY; break;
    case SQLITE_NOMEM: st = MB_ENOMEM; break;
    case SQLITE_CORRUPT: case SQLITE_NOTADB: st = MB_EFORMAT; break;
    case SQLITE_CONSTRAINT: case SQLITE_MISUSE: st = MB_EINTERNAL; break;
    default: st = MB_EIO; break;
    }
    return mb_error_set(err, st, "store %s: %s: %s", path, what,
                        sqlite3_errmsg(db));
}

static mb_status fail(sq_store *s, const char *what, mb_error *err)
{
    return db_fail(s->db, s->path, what, err);
}

/* Step a statement that returns no rows, then reset it. */
static mb_status run(sq_store *s, int q, const char *what, mb_error *err)
{
    int rc = sqlite3_step(s->q[q]);
    sqlite3_reset(s->q[q]);
    return rc == SQLITE_DONE ? MB_OK : fail(s, what, err);
}

static void bind_text(sqlite3_stmt *st, int i, const char *t)
{
    sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static mb_unit unit_from(const char *name)
{
    mb_unit u = MB_UNIT_UNKNOWN;
    int32_t pow10;
    if (*name && mb_unit_parse(name, strlen(name), &u, &pow10) != MB_OK)
        u = MB_UNIT_UNKNOWN;
    return u;
}

static void forget_caches(sq_store *s)
{
    map_clear(&s->series);
    map_clear(&s->meters);
    arena_free(&s->arena);
    s->last = NULL;
    s->complete = false;
    s->cached_next = 0;
}

/* ---- open and close ------------------------------------------------------ */

static void sq_close(mb_store *ss)
{
    sq_store *s = (sq_store *)ss;
    if (s->base.in_batch)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(s->q[i]);
    for (int i = 0; i < L_COUNT; i++)
        sqlite3_finalize(s->lq[i]);
    sqlite3_close(s->db);
    sqlite3_close(s->lease_db);
    forget_caches(s);
    free(s->slots);
    free(s->row.p);
    free(s->enc.p);
    free(s->text.p);
    free(s->text2.p);
    free(s->mrow.p);
    free(s->menc.p);
    free(s->file_name);
    free(s->file_error);
    free(s->path);
    free(s);
}

static mb_status open_db(const char *path, sqlite3 **out, mb_error *err)
{
    int rc = sqlite3_open_v2(path, out,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                 SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        mb_status st = *out ? db_fail(*out, path, "cannot open", err)
                            : nomem(err);
        sqlite3_close(*out);
        *out = NULL;
        return st;
    }
    sqlite3_extended_result_codes(*out, 1);
    sqlite3_busy_timeout(*out, BUSY_TIMEOUT_MS);
    return MB_OK;
}

/* WAL so readers never block the writer; synchronous=FULL so a commit is
 * on disk when it returns. Large pages and a large checkpoint threshold
 * halve the time of a big ingest (fewer B-tree pages touched, fewer
 * checkpoints); the page cache and the memory map make range reads and
 * merges cheap. docs/store.md has the measurements. */
static const char pragmas_sql[] =
    "PRAGMA page_size = 32768;"
    "PRAGMA journal_mode = WAL;"
    "PRAGMA synchronous = FULL;"
    "PRAGMA cache_size = -131072;"
    "PRAGMA mmap_size = 1073741824;"
    "PRAGMA temp_store = MEMORY;"
    "PRAGMA wal_autocheckpoint = 4096;"; /* pages: 128 MiB */

/* Runs configuration SQL that may switch a new file to WAL. That switch
 * needs the file alone, and when two processes create it at once SQLite
 * does not ask the busy handler: wait here instead, as long as the busy
 * timeout. */
static int exec_configure(sqlite3 *db, const char *sql)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    for (int waited = 0;
         (rc & 0xff) == SQLITE_BUSY && waited < BUSY_TIMEOUT_MS;
         waited += 10) {
        sqlite3_sleep(10);
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    return rc;
}

static mb_status setup_schema(sq_store *s, mb_error *err)
{
    if (exec_configure(s->db, pragmas_sql) != SQLITE_OK)
        return fail(s, "cannot configure", err);
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, "cannot open", err);
    sqlite3_stmt *st = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    mb_status r = MB_OK;
    if (version < 0) {
        r = fail(s, "cannot read schema version", err);
    } else if (version > SCHEMA_VERSION) {
        r = mb_error_set(err, MB_EINVAL, "store %s: schema version %d is "
                         "newer than this program's %d", s->path, version,
                         SCHEMA_VERSION);
    } else if (version < SCHEMA_VERSION &&
               (sqlite3_exec(s->db, schema_sql, NULL, NULL, NULL) !=
                    SQLITE_OK ||
                sqlite3_exec(s->db, "PRAGMA user_version = " MB_STR(
                                 SCHEMA_VERSION), NULL, NULL, NULL) !=
                    SQLITE_OK)) {
        r = fail(s, "cannot create tables", err);
    }
    if (r == MB_OK && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) !=
                          SQLITE_OK)
        r = fail(s, "cannot create tables", err);
    if (r)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return r;
}

mb_status mb_store_sqlite_open(const char *target, mb_store **out,
                               mb_error *err)
{
    /* SQLite's allocation statistics take a global mutex per allocation;
     * they can only be turned off before SQLite starts, so this is a
     * no-op when the process already uses SQLite. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sq_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(target))) {
        free(s);
        return nomem(err);
    }
    s->base.ops = &sq_ops;
    mb_status st = open_db(target, &s->db, err);
    if (st == MB_OK)
        st = setup_schema(s, err);
    for (int i = 0; st == MB_OK && i < Q_COUNT; i++)
        if (sqlite3_prepare_v3(s->db, sql_text[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &s->q[i],
                               NULL) != SQLITE_OK)
            st = fail(s, "cannot prepare statement", err);
    if (st) {
        sq_close(&s->base);
        return st;
    }
    *out = &s->base;
    return MB_OK;
}

/* ---- read transactions --------------------------------------------------- */

/* Reads see one snapshot: a read transaction unless a batch is open. */
static mb_status read_begin(sq_store *s, bool *began, mb_error *err)
{
    *began = false;
    if (!sqlite3_get_autocommit(s->db))
        return MB_OK;
    mb_status st = run(s, Q_BEGIN, "cannot begin reading", err);
    *began = st == MB_OK;
    return st;
}

static mb_status read_end(sq_store *s, bool began, mb_status st,
                          mb_error *err)
{
    if (!began)
        return st;
    mb_error e2;
    mb_status r = run(s, Q_COMMIT, "cannot end reading", &e2);
    if (r && st == MB_OK) {
        if (err)
            *err = e2;
        return r;
    }
    return st;
}

/* ---- interning meters and series ----------------------------------------- */

/* Cache key of a series: meter, NUL, channel, NUL, step. */
static size_t series_key(char *key, const char *meter, const char *channel,
                         int32_t step)
{
    size_t ml = strlen(meter) + 1, cl = strlen(channel) + 1;
    memcpy(key, meter, ml);
    memcpy(key + ml, channel, cl);
    memcpy(key + ml + cl, &step, sizeof step);
    return ml + cl + sizeof step;
}

#define SERIES_KEY_MAX (2 * (MB_ID_MAX + 1) + 4)

/* The cached meter, or a new cache entry for it (*added). */
static mb_status cache_meter(sq_store *s, const char *name, const char *zone,
                             meter_ent **out, mb_error *err)
{
    size_t nl = strlen(name);
    meter_ent *m = map_get(&s->meters, name, nl);
    if (m) {
        *out = m;
        return MB_OK;
    }
    size_t zl = strlen(zone) + 1;
    m = arena_alloc(&s->arena, sizeof *m + nl + 1 + zl);
    if (!m)
        return nomem(err);
    char *p = (char *)(m + 1);
    memcpy(p, name, nl + 1);
    memcpy(p + nl + 1, zone, zl);
    *m = (meter_ent){.item = {p, nl}, .name = p, .zone = p + nl + 1};
    if (!(m->tz = mb_tz_get(m->zone, err))) {
        mb_error_prefix(err, "store: meter %s", name);
        return err ? err->status : MB_EINVAL;
    }
    if (!map_put(&s->meters, &m->item))
        return nomem(err);
    *out = m;
    return MB_OK;
}

static mb_status cache_series(sq_store *s, meter_ent *m, const char *channel,
                              int32_t step, int64_t id, mb_unit unit,
                              series_ent **out, mb_error *err)
{
    char key[SERIES_KEY_MAX];
    size_t klen = series_key(key, m->name, channel, step);
    series_ent *e = arena_alloc(&s->arena, sizeof *e + klen);
    if (!e)
        return nomem(err);
    *e = (series_ent){.item = {e->key, klen}, .id = id, .meter = m,
                      .step = step, .unit = unit};
    memcpy(e->key, key, klen);
    e->channel = e->key + strlen(m->name) + 1;
    if (!map_put(&s->series, &e->item))
        return nomem(err);
    if (id >= s->cached_next && s->complete)
        s->cached_next = id + 1;
    if (out)
        *out = e;
    return MB_OK;
}

/* Cache the rows of a series query (channel, step, id, unit, zone, meter;
 * meter from column 5, or `meter` when given). */
static mb_status cache_rows(sq_store *s, sqlite3_stmt *q, const char *meter,
                            int rc, mb_error *err)
{
    mb_status st = MB_OK;
    meter_ent *m = NULL;
    bool empty = s->series.n == 0;
    for (; st == MB_OK && rc == SQLITE_ROW; rc = sqlite3_step(q)) {
        const char *name = meter ? meter : col_text(q, 5);
        char key[SERIES_KEY_MAX];
        int32_t step = sqlite3_column_int(q, 1);
        const char *channel = col_text(q, 0);
        /* Rows come by meter: consecutive rows mostly share it. */
        if (!m || strcmp(m->name, name))
            st = cache_meter(s, name, col_text(q, 4), &m, err);
        if (st == MB_OK &&
            (empty ||
             !map_get(&s->series, key, series_key(key, name, channel, step))))
            st = cache_series(s, m, channel, step,
                              sqlite3_column_int64(q, 2),
                              unit_from(col_text(q, 3)), NULL, err);
    }
    if (st == MB_OK && rc != SQLITE_DONE)
        st = fail(s, "cannot load series", err);
    sqlite3_reset(q);
    return st;
}

/* Bring the cache up to date at the start of a batch: all series when
 * there are not too many (once, then only those added since by other
 * connections), else nothing (meters are then loaded one by one). */
static mb_status cache_refresh(sq_store *s, int64_t next_id, mb_error *err)
{
    if (!s->complete) {
        if (s->meters.n || next_id - 1 > CACHE_ALL_MAX)
            return MB_OK;
        s->complete = true;
    }
    if (s->cached_next >= next_id)
        return MB_OK;
    sqlite3_stmt *q = s->q[Q_SERIES_SINCE];
    sqlite3_bind_int64(q, 1, s->cached_next);
    mb_status st = cache_rows(s, q, NULL, sqlite3_step(q), err);
    if (st == MB_OK)
        s->cached_next = next_id;
    return st;
}

/* Put a meter and all its stored series in the cache (when the cache is
 * not complete). A meter not yet stored gets the zone of its first data. */
static mb_status load_meter(sq_store *s, const char *name, const char *zone,
                            meter_ent **out, mb_error *err)
{
    sqlite3_stmt *q = s->q[Q_METER_SERIES];
    bind_text(q, 1, name);
    int rc = sqlite3_step(q);
    mb_status st = cache_meter(s, name, rc == SQLITE_ROW ? col_text(q, 4)
                                                         : zone, out, err);
    if (st) {
        sqlite3_reset(q);
        return st;
    }
    return cache_rows(s, q, name, rc, err);
}

static mb_status series_for(sq_batch *b, const char *meter, const char *zone,
                            const char *channel, int32_t step, mb_unit unit,
                            series_ent **out, mb_error *err)
{
    sq_store *s = b->s;
    series_ent *e = s->last;
    mb_status st;
    if (!e || e->step != step || strcmp(e->channel, channel) ||
        strcmp(e->meter->name, meter)) {
        char key[SERIES_KEY_MAX];
        e = map_get(&s->series, key, series_key(key, meter, channel, step));
        meter_ent *m = e ? e->meter : map_get(&s->meters, meter,
                                              strlen(meter));
        if (!m) {
            st = s->complete ? cache_meter(s, meter, zone, &m, err)
                             : load_meter(s, meter, zone, &m, err);
            if (st)
                return st;
            e = map_get(&s->series, key, series_key(key, meter, channel,
                                                    step));
        }
        if (strcmp(m->zone, zone) != 0)
            return mb_error_set(err, MB_EFORMAT, "store: meter %s is kept "
                                "in zone %s, data says zone %s", meter,
                                m->zone, zone);
        if (!e) {
            if (b->next_id >= SERIES_MAX)
                return mb_error_set(err, MB_ERANGE, "store: too many "
                                    "series");
            sqlite3_stmt *a = s->q[Q_SERIES_ADD];
            bind_text(a, 1, meter);
            bind_text(a, 2, channel);
            sqlite3_bind_int(a, 3, step);
            sqlite3_bind_int64(a, 4, b->next_id);
            bind_text(a, 5, mb_unit_name(unit));
            bind_text(a, 6, zone);
            if ((st = run(s, Q_SERIES_ADD, "cannot add series", err)))
                return st;
            if (sqlite3_changes(s->db) != 1)
                return mb_error_set(err, MB_EINTERNAL, "store %s: series "
                                    "%s/%s appeared behind the cache",
                                    s->path, meter, channel);
            b->created = true;
            if ((st = cache_series(s, m, channel, step, b->next_id++, unit,
                                   &e, err)))
                return st;
        }
        s->last = e;
    }
    if (strcmp(e->meter->zone, zone) != 0)
        return mb_error_set(err, MB_EFORMAT, "store: meter %s is kept in "
                            "zone %s, data says zone %s", meter,
                            e->meter->zone, zone);
    if (e->unit != unit)
        return mb_error_set(err, MB_EFORMAT, "store: meter %s channel %s is "
                            "kept in %s, data says %s", meter, channel,
                            mb_unit_name(e->unit), mb_unit_name(unit));
    *out = e;
    return MB_OK;
}

/* ---- writing ------------------------------------------------------------- */

/* One integer from a statement that returns one row (dflt when none). */
static mb_status get_int(sq_store *s, int q, int64_t dflt, int64_t *out,
                         mb_error *err)
{
    int rc = sqlite3_step(s->q[q]);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(s->q[q], 0) : dflt;
    sqlite3_reset(s->q[q]);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MB_OK
                                                 : fail(s, "cannot read", err);
}

/* Counters in the meta table: the next series id, and the first and last
 * day holding interval data (which bound the days a series is looked up
 * on). */
static mb_status meta_get(sq_store *s, const char *key, int64_t dflt,
                          int64_t *out, mb_error *err)
{
    bind_text(s->q[Q_META_GET], 1, key);
    return get_int(s, Q_META_GET, dflt, out, err);
}

static mb_status meta_put(sq_store *s, const char *key, int64_t v,
                          mb_error *err)
{
    bind_text(s->q[Q_META_PUT], 1, key);
    sqlite3_bind_int64(s->q[Q_META_PUT], 2, v);
    return run(s, Q_META_PUT, "cannot write counters", err);
}

/* The days with interval data, [*first, *last] (empty when first >
 * last), and the first day not archived. */
static mb_status store_days(sq_store *s, int64_t *first, int64_t *last,
                            int64_t *archived, mb_error *err)
{
    mb_status st = meta_get(s, "first_day", DAY_BIAS, first, err);
    if (st == MB_OK)
        st = meta_get(s, "last_day", -DAY_BIAS, last, err);
    return st ? st : meta_get(s, "archived_to", ARCHIVE_NONE, archived, err);
}

static mb_status sq_begin(mb_store *ss, mb_batch **out, mb_error *err)
{
    sq_store *s = (sq_store *)ss;
    mb_status st = run(s, Q_BEGIN_WRITE, "cannot begin batch", err);
    int64_t version = 0, next = 1;
    if (st == MB_OK)
        st = get_int(s, Q_DATA_VERSION, 0, &version, err);
    if (st == MB_OK)
        st = meta_get(s, "next_series", 1, &next, err);
    int64_t first, last, archived;
    if (st == MB_OK)
        st = store_days(s, &first, &last, &archived, err);
    if (st) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return st;
    }
    /* Another connection committed since the caches were filled: they
     * may miss series it added. */
    if (version != s->cache_version) {
        if (!s->complete)
            forget_caches(s);
        s->cache_version = version;
    }
    if ((st = cache_refresh(s, next, err))) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        forget_caches(s);
        return st;
    }
    s->batch = (sq_batch){.s = s, .fresh = true, .next_id = next,
                          .first_id = next, .first_day = first,
                          .last_day = last, .old_first = first,
                          .old_last = last, .archived = archived};
    *out = &s->batch.base;
    return MB_OK;
}

static mb_status hist_put(sq_store *s, const series_ent *se, mb_time start,
                          const mb_dayslot *v, mb_error *err)
{
    sqlite3_stmt *h = s->q[Q_HIST_PUT];
    sqlite3_bind_int64(h, 1, se->id);
    sqlite3_bind_int64(h, 2, start);
    sqlite3_bind_int64(h, 3, v->version);
    sqlite3_bind_int64(h, 4, v->units);
    sqlite3_bind_int(h, 5, v->scale);
    sqlite3_bind_int(h, 6, (unsigned char)v->flag);
    sqlite3_bind_int(h, 7, v->method);
    sqlite3_bind_int(h, 8, v->reason);
    sqlite3_bind_text(h, 9, v->text ? v->text : "", (int)v->text_len,
                      SQLITE_STATIC);
    return run(s, Q_HIST_PUT, "cannot write history", err);
}

/* Order of an incoming value against the stored one of the same identity:
 * > 0 when it replaces it (newer version, or the larger content of the
 * same version, so ties resolve the same way in every order). */
static int supersedes(const mb_dayslot *in, const mb_dayslot *cur)
{
    if (in->version != cur->version)
        return in->version > cur->version ? 1 : -1;
    return mb_dayslot_cmp(in, cur);
}

static mb_dayslot incoming(const mb_interval_block *blk, uint32_t i)
{
    const char *text = blk->reason_text ? blk->reason_text[i] : NULL;
    bool has_text = text && *text;
    return (mb_dayslot){
        .units = blk->values[i].units,
        .version = blk->version,
        .reason = blk->quality[i].reason,
        .scale = (uint8_t)blk->values[i].scale,
        .method = blk->quality[i].method,
        .flag = blk->quality[i].flag,
        .text = has_text ? text : NULL,
        .text_len = has_text ? (uint32_t)strlen(text) : 0,
    };
}

/* Encode s->slots[0..cap) (trailing empty slots dropped) into s->enc;
 * *len gets the length. */
static mb_status encode_day(sq_store *s, uint32_t cap, size_t *len,
                            mb_error *err)
{
    uint32_t used = cap;
    while (used > 0 && !s->slots[used - 1].flag)
        used--;
    if (!sbuf_reserve(&s->enc, mb_dayrow_bound(s->slots, used)))
        return nomem(err);
    *len = mb_dayrow_encode(s->slots, used, s->enc.p);
    return MB_OK;
}

static mb_status put_blob(sq_store *s, int q, int64_t key, const void *p,
                          size_t len, const char *what, mb_error *err)
{
    sqlite3_stmt *st = s->q[q];
    sqlite3_bind_int64(st, 1, key);
    sqlite3_bind_blob(st, 2, p, (int)len, SQLITE_STATIC);
    return run(s, q, what, err);
}

/* Load month row (series, month) into s->mrow and split it into
 * s->mdays; none: s->nmdays = 0. */
static mb_status month_load(sq_store *s, int64_t sid, int64_t month,
                            mb_error *err)
{
    sqlite3_stmt *g = s->q[Q_MONTH_GET];
    sqlite3_bind_int64(g, 1, month_key(sid, month));
    int rc = sqlite3_step(g);
    mb_status st = MB_OK;
    s->nmdays = 0;
    if (rc == SQLITE_ROW) {
        size_t len = (size_t)sqlite3_column_bytes(g, 0);
        if (!sbuf_reserve(&s->mrow, len + 1)) {
            st = nomem(err);
        } else {
            memcpy(s->mrow.p, sqlite3_column_blob(g, 0), len);
            st = mb_monthrow_split(s->mrow.p, len, s->mdays, &s->nmdays,
                                   err);
            if (st)
                mb_error_prefix(err, "store %s: series %" PRId64 " month %"
                                PRId64, s->path, sid, month);
        }
    } else if (rc != SQLITE_DONE) {
        st = fail(s, "cannot read month", err);
    }
    sqlite3_reset(g);
    return st;
}

/* The stored row of one day of a series, copied into s->row (*len 0 when
 * there is none): from its month row when the day is archived. */
static mb_status day_load(sq_store *s, int64_t sid, int64_t day,
                          int64_t archived, size_t *len, mb_error *err)
{
    *len = 0;
    mb_status st = MB_OK;
    if (day < archived) {
        int64_t month = day_month(day);
        uint32_t dd = (uint32_t)(day - month_first(month));
        if ((st = month_load(s, sid, month, err)))
            return st;
        for (uint32_t k = 0; k < s->nmdays; k++) {
            if (s->mdays[k].day != dd)
                continue;
            if (!sbuf_reserve(&s->row, s->mdays[k].len + 1))
                return nomem(err);
            memcpy(s->row.p, s->mdays[k].row, s->mdays[k].len);
            *len = s->mdays[k].len;
        }
        return MB_OK;
    }
    sqlite3_stmt *g = s->q[Q_DAY_GET];
    sqlite3_bind_int64(g, 1, day_key(sid, day));
    int rc = sqlite3_step(g);
    if (rc == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(g, 0);
        if (!sbuf_reserve(&s->row, n + 1)) {
            st = nomem(err);
        } else {
            memcpy(s->row.p, sqlite3_column_blob(g, 0), n);
            *len = n;
        }
    } else if (rc != SQLITE_DONE) {
        st = fail(s, "cannot read day", err);
    }
    sqlite3_reset(g);
    return st;
}

/* Store s->slots[0..cap) as the day of a series. An archived day is
 * spliced into its month row, which day_load of the same day has just
 * loaded into s->mdays. */
static mb_status day_put(sq_store *s, int64_t sid, int64_t day,
                         int64_t archived, uint32_t cap, mb_error *err)
{
    size_t len = 0;
    mb_status st = encode_day(s, cap, &len, err);
    if (st)
        return st;
    if (day >= archived)
        return put_blob(s, Q_DAY_PUT, day_key(sid, day), s->enc.p, len,
                        "cannot write day", err);
    int64_t month = day_month(day);
    uint32_t dd = (uint32_t)(day - month_first(month));
    mb_monthday days[MB_MONTH_DAYS];
    uint32_t n = 0, k = 0;
    for (; k < s->nmdays && s->mdays[k].day < dd; k++)
        days[n++] = s->mdays[k];
    days[n++] = (mb_monthday){dd, s->enc.p, len};
    if (k < s->nmdays && s->mdays[k].day == dd)
        k++;
    for (; k < s->nmdays; k++)
        days[n++] = s->mdays[k];
    if (!sbuf_reserve(&s->menc, mb_monthrow_bound(days, n)))
        return nomem(err);
    size_t mlen = mb_monthrow_encode(days, n, s->menc.p);
    return put_blob(s, Q_MONTH_PUT, month_key(sid, month), s->menc.p, mlen,
                    "cannot write month", err);
}

/* Merge values blk[i0 .. i0+n) into slots slot0.. of day `day` of series
 * se; the day starts at ds and has cap slots. When the previous day row
 * was new, the values are first offered as a new row (one statement in
 * the common case of fresh data); otherwise, or when the row exists, it
 * is read (from its month row when archived), merged value by value and
 * written back if anything changed. */
static mb_status merge_day(sq_batch *b, const series_ent *se, int64_t day,
                           mb_time ds, uint32_t cap, uint32_t slot0,
                           const mb_interval_block *blk, uint32_t i0,
                           uint32_t n, mb_error *err)
{
    sq_store *s = b->s;
    if (!slots_reserve(s, cap))
        return nomem(err);
    if (day < b->first_day)
        b->first_day = day;
    if (day > b->last_day)
        b->last_day = day;
    mb_status st;
    if (b->fresh && day >= b->archived) {
        memset(s->slots, 0, (size_t)cap * sizeof *s->slots);
        for (uint32_t j = 0; j < n; j++)
            s->slots[slot0 + j] = incoming(blk, i0 + j);
        size_t len = 0;
        if ((st = encode_day(s, cap, &len, err)) ||
            (st = put_blob(s, Q_DAY_ADD, day_key(se->id, day), s->enc.p,
                           len, "cannot write day", err)))
            return st;
        if (sqlite3_changes(s->db)) {
            b->st.added += n;
            return MB_OK;
        }
        b->fresh = false;
    }
    size_t len = 0;
    if ((st = day_load(s, se->id, day, b->archived, &len, err)))
        return st;
    if (len) {
        uint32_t have;
        st = mb_dayrow_decode(s->row.p, len, s->slots, cap, &have, err);
        if (st) {
            mb_error_prefix(err, "store %s: meter %s channel %s day %" PRId64,
                            s->path, se->meter->name, se->channel, day);
            return st;
        }
    } else {
        memset(s->slots, 0, (size_t)cap * sizeof *s->slots);
        b->fresh = day >= b->archived;
    }

    bool dirty = false;
    for (uint32_t j = 0; j < n; j++) {
        mb_dayslot in = incoming(blk, i0 + j);
        mb_dayslot *cur = &s->slots[slot0 + j];
        mb_time start = ds + (mb_time)(slot0 + j) * se->step;
        if (!cur->flag) {
            *cur = in;
            b->st.added++;
            dirty = true;
            continue;
        }
        int c = supersedes(&in, cur);
        if (c > 0) {
            st = hist_put(s, se, start, cur, err);
            *cur = in;
            b->st.changed++;
            dirty = true;
        } else {
            if (c < 0)
                st = hist_put(s, se, start, &in, err);
            b->st.unchanged++;
        }
        if (st)
            return st;
    }
    return dirty ? day_put(s, se->id, day, b->archived, cap, err) : MB_OK;
}

/* Walk the local days a block covers: for each, its day number, start,
 * slot count, and the run of values in it. */
typedef struct day_run {
    int64_t day;
    mb_time ds;
    uint32_t cap, slot0, n;
} day_run;

static mb_status next_run(const mb_tz *tz, const mb_interval_block *blk,
                          uint32_t i, day_run *r, mb_error *err)
{
    mb_time t = blk->start + (mb_time)i * blk->interval;
    if (t < -TIME_LIMIT || t > TIME_LIMIT)
        return mb_error_set(err, MB_ERANGE, "store: meter %s: interval "
                            "start %" PRId64 " out of range", blk->meter, t);
    int32_t dlen;
    r->day = mb_tz_local_day(tz, t);
    mb_status st = mb_tz_day_bounds(tz, r->day, &r->ds, &dlen, err);
    if (st)
        return st;
    if ((t - r->ds) % blk->interval || dlen <= 0) {
        char when[64];
        mb_time_format_iso(t, mb_tz_offset(tz, t), when, sizeof when);
        return mb_error_set(err, MB_EFORMAT, "store: meter %s channel %s: "
                            "interval starting %s is not on the %" PRId32
                            "-second grid of its local day", blk->meter,
                            blk->channel, when, blk->interval);
    }
    r->cap = (uint32_t)(((int64_t)dlen + blk->interval - 1) / blk->interval);
    r->slot0 = (uint32_t)((t - r->ds) / blk->interval);
    r->n = r->cap - r->slot0;
    if (r->n > blk->count - i)
        r->n = blk->count - i;
    return MB_OK;
}

/* After a failed call: a call that wrote something before failing, or
 * whose error ended the transaction, leaves the batch good only for
 * abort; one that failed before writing (bad data) leaves it usable. */
static mb_status after_failure(sq_batch *b, int changes_before,
                               mb_status st)
{
    sqlite3 *db = b->s->db;
    if (sqlite3_total_changes(db) != changes_before ||
        sqlite3_get_autocommit(db))
        b->failed = true;
    return st;
}

static mb_status batch_usable(const sq_batch *b, mb_error *err)
{
    return b->failed ? mb_error_set(err, MB_EINVAL, "store: an earlier "
                                    "write of this batch failed; abort it")
                     : MB_OK;
}

static mb_status apply_block(sq_batch *b, const mb_interval_block *blk,
                             mb_error *err)
{
    series_ent *se;
    mb_status st = series_for(b, blk->meter, blk->zone, blk->channel,
                              blk->interval, blk->unit, &se, err);
    if (st)
        return st;
    const mb_tz *tz = se->meter->tz;
    day_run r;
    /* Check every day first so that a misaligned block changes nothing. */
    for (uint32_t i = 0; i < blk->count; i += r.n)
        if ((st = next_run(tz, blk, i, &r, err)))
            return st;
    for (uint32_t i = 0; st == MB_OK && i < blk->count; i += r.n) {
        st = next_run(tz, blk, i, &r, err);
        if (st == MB_OK)
            st = merge_day(b, se, r.day, r.ds, r.cap, r.slot0, blk, i, r.n,
                           err);
    }
    return st;
}

static mb_status sq_intervals(mb_batch *bb, const mb_interval_block *blk,
                              mb_error *err)
{
    sq_batch *b = (sq_batch *)bb;
    mb_status st = batch_usable(b, err);
    if (st)
        return st;
    int before = sqlite3_total_changes(b->s->db);
    st = apply_block(b, blk, err);
    return st ? after_failure(b, before, st) : MB_OK;
}

/* A register read's content, for merging. */
typedef struct reg_val {
    mb_dayslot v;
    int read_type;
    const char *serial;
} reg_val;

static int reg_cmp(const reg_val *a, const reg_val *b)
{
    if (a->v.version != b->v.version)
        return a->v.version > b->v.version ? 1 : -1;
    int c = mb_dayslot_cmp(&a->v, &b->v);
    if (c)
        return c;
    if (a->read_type != b->read_type)
        return a->read_type > b->read_type ? 1 : -1;
    c = strcmp(a->serial, b->serial);
    return (c > 0) - (c < 0);
}

static mb_status reg_put(sq_store *s, int q, int64_t series, mb_time at,
                         const reg_val *r, mb_error *err)
{
    sqlite3_stmt *p = s->q[q];
    sqlite3_bind_int64(p, 1, series);
    sqlite3_bind_int64(p, 2, at);
    sqlite3_bind_int64(p, 3, r->v.version);
    sqlite3_bind_int64(p, 4, r->v.units);
    sqlite3_bind_int(p, 5, r->v.scale);
    sqlite3_bind_int(p, 6, r->read_type);
    sqlite3_bind_int(p, 7, (unsigned char)r->v.flag);
    sqlite3_bind_int(p, 8, r->v.method);
    sqlite3_bind_int(p, 9, r->v.reason);
    sqlite3_bind_text(p, 10, r->v.text ? r->v.text : "", (int)r->v.text_len,
                      SQLITE_STATIC);
    bind_text(p, 11, r->serial);
    return run(s, q, "cannot write register read", err);
}

/* Columns REG_COLS from column `c` on into a reg_val; texts are copied
 * into the given buffers. */
static bool reg_from(sqlite3_stmt *q, int c, reg_val *r, sbuf *text,
                     sbuf *serial)
{
    r->v.version = sqlite3_column_int64(q, c);
    r->v.units = sqlite3_column_int64(q, c + 1);
    r->v.scale = (uint8_t)sqlite3_column_int(q, c + 2);
    r->read_type = sqlite3_column_int(q, c + 3);
    r->v.flag = (char)sqlite3_column_int(q, c + 4);
    r->v.method = (uint8_t)sqlite3_column_int(q, c + 5);
    r->v.reason = (uint16_t)sqlite3_column_int(q, c + 6);
    const char *t = col_text(q, c + 7);
    r->v.text_len = (uint32_t)strlen(t);
    r->v.text = r->v.text_len ? sbuf_str(text, t, r->v.text_len) : NULL;
    t = col_text(q, c + 8);
    r->serial = sbuf_str(serial, t, strlen(t));
    return r->serial && (r->v.text || !r->v.text_len);
}

static mb_status apply_register(sq_batch *b, const mb_register_read *rr,
                                mb_error *err)
{
    sq_store *s = b->s;
    if (rr->read_at < -TIME_LIMIT || rr->read_at > TIME_LIMIT)
        return mb_error_set(err, MB_ERANGE, "store: meter %s: read time "
                            "out of range", rr->meter);
    series_ent *se;
    mb_status st = series_for(b, rr->meter, rr->zone, rr->reg, 0, rr->unit,
                              &se, err);
    if (st)
        return st;
    const char *text = rr->reason_text && *rr->reason_text ? rr->reason_text
                                                           : NULL;
    reg_val in = {
        .v = {.units = rr->value.units, .version = rr->version,
              .reason = rr->quality.reason, .scale = (uint8_t)rr->value.scale,
              .method = rr->quality.method, .flag = rr->quality.flag,
              .text = text, .text_len = text ? (uint32_t)strlen(text) : 0},
        .read_type = (unsigned char)rr->read_type,
        .serial = rr->serial ? rr->serial : "",
    };
    sqlite3_stmt *g = s->q[Q_REG_GET];
    sqlite3_bind_int64(g, 1, se->id);
    sqlite3_bind_int64(g, 2, rr->read_at);
    int rc = sqlite3_step(g);
    reg_val cur;
    if (rc == SQLITE_ROW && !reg_from(g, 0, &cur, &s->text, &s->text2))
        st = nomem(err);
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        st = fail(s, "cannot read register", err);
    sqlite3_reset(g);
    if (st == MB_OK) {
        if (rc == SQLITE_DONE) {
            st = reg_put(s, Q_REG_PUT, se->id, rr->read_at, &in, err);
            b->st.added++;
        } else {
            int c = reg_cmp(&in, &cur);
            if (c > 0) {
                st = reg_put(s, Q_REGHIST_PUT, se->id, rr->read_at, &cur,
                             err);
                if (st == MB_OK)
                    st = reg_put(s, Q_REG_PUT, se->id, rr->read_at, &in,
                                 err);
                b->st.changed++;
            } else {
                if (c < 0)
                    st = reg_put(s, Q_REGHIST_PUT, se->id, rr->read_at, &in,
                                 err);
                b->st.unchanged++;
            }
        }
    }
    return st;
}

static mb_status sq_register(mb_batch *bb, const mb_register_read *rr,
                             mb_error *err)
{
    sq_batch *b = (sq_batch *)bb;
    mb_status st = batch_usable(b, err);
    if (st)
        return st;
    int before = sqlite3_total_changes(b->s->db);
    st = apply_register(b, rr, err);
    return st ? after_failure(b, before, st) : MB_OK;
}

static void sq_abort(mb_batch *bb)
{
    sq_batch *b = (sq_batch *)bb;
    sq_store *s = b->s;
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    if (b->created)
        forget_caches(s);
}

static void bind_file(sqlite3_stmt *p, const mb_file_record *f,
                      const mb_apply_stats *st)
{
    bind_text(p, 1, f->digest);
    bind_text(p, 2, f->name ? f->name : "");
    sqlite3_bind_int64(p, 3, (int64_t)f->size);
    bind_text(p, 4, mb_format_name(f->format));
    bind_text(p, 5, f->outcome == MB_FILE_APPLIED ? "applied" : "rejected");
    sqlite3_bind_int64(p, 6, (int64_t)f->values);
    sqlite3_bind_int64(p, 7, (int64_t)f->registers);
    sqlite3_bind_int64(p, 8, (int64_t)(st ? st->added : f->added));
    sqlite3_bind_int64(p, 9, (int64_t)(st ? st->changed : f->changed));
    sqlite3_bind_int64(p, 10, (int64_t)(st ? st->unchanged : f->unchanged));
    bind_text(p, 11, f->outcome == MB_FILE_APPLIED || !f->error ? ""
                                                                : f->error);
    sqlite3_bind_int64(p, 12, f->seen_at ? f->seen_at
                                         : mb_store_now_ms() / 1000);
}

static mb_status sq_commit(mb_batch *bb, const mb_file_record *file,
                           mb_apply_stats *stats, mb_error *err)
{
    sq_batch *b = (sq_batch *)bb;
    sq_store *s = b->s;
    mb_status st = batch_usable(b, err);
    if (st == MB_OK && b->next_id != b->first_id)
        st = meta_put(s, "next_series", b->next_id, err);
    if (st == MB_OK && b->first_day != b->old_first)
        st = meta_put(s, "first_day", b->first_day, err);
    if (st == MB_OK && b->last_day != b->old_last)
        st = meta_put(s, "last_day", b->last_day, err);
    if (st == MB_OK) {
        bind_file(s->q[Q_FILE_PUT], file, &b->st);
        st = run(s, Q_FILE_PUT, "cannot record file", err);
    }
    if (st == MB_OK)
        st = run(s, Q_COMMIT, "cannot commit batch", err);
    if (st) {
        sq_abort(bb);
        return st;
    }
    *stats = b->st;
    return MB_OK;
}

/* ---- file registry ------------------------------------------------------- */

static mb_status file_row(sq_store *s, sqlite3_stmt *q, mb_file_record *r,
                          mb_error *err)
{
    memset(r, 0, sizeof *r);
    snprintf(r->digest, sizeof r->digest, "%s", col_text(q, 0));
    free(s->file_name);
    free(s->file_error);
    s->file_name = strdup(col_text(q, 1));
    s->file_error = strdup(col_text(q, 10));
    if (!s->file_name || !s->file_error)
        return nomem(err);
    r->name = s->file_name;
    r->error = s->file_error;
    r->size = (uint64_t)sqlite3_column_int64(q, 2);
    if (mb_format_parse(col_text(q, 3), &r->format, NULL) != MB_OK)
        r->format = MB_FORMAT_AUTO;
    r->outcome = strcmp(col_text(q, 4), "applied") ? MB_FILE_REJECTED
                                                   : MB_FILE_APPLIED;
    r->values = (uint64_t)sqlite3_column_int64(q, 5);
    r->registers = (uint64_t)sqlite3_column_int64(q, 6);
    r->added = (uint64_t)sqlite3_column_int64(q, 7);
    r->changed = (uint64_t)sqlite3_column_int64(q, 8);
    r->unchanged = (uint64_t)sqlite3_column_int64(q, 9);
    r->seen_at = sqlite3_column_int64(q, 11);
    return MB_OK;
}

static mb_status sq_file_get(mb_store *ss, const char *digest,
                             mb_file_record *rec, bool *found, mb_error *err)
{
    sq_store *s = (sq_store *)ss;
    sqlite3_stmt *q = s->q[Q_FILE_GET];
    bind_text(q, 1, digest);
    int rc = sqlite3_step(q);
    mb_status st = MB_OK;
    if (rc == SQLITE_ROW) {
        st = file_row(s, q, rec, err);
        *found = st == MB_OK;
    } else if (rc != SQLITE_DONE) {
        st = fail(s, "cannot look up file", err);
    }
    sqlite3_reset(q);
    return st;
}

static mb_status sq_file_reject(mb_store *ss, const mb_file_record *rec,
                                mb_error *err)
{
    sq_store *s = (sq_store *)ss;
    bind_file(s->q[Q_FILE_PUT], rec, NULL);
    return run(s, Q_FILE_PUT, "cannot record file", err);
}

static mb_status sq_files(mb_store *ss, mb_file_fn fn, void *ctx,
                          mb_error *err)
{
    sq_store *s = (sq_store *)ss;
    bool began;
    mb_status st = read_begin(s, &began, err);
    if (st)
        return st;
    sqlite3_stmt *q = s->q[Q_FILES];
    int rc;
    while (st == MB_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        mb_file_record r;
        st = file_row(s, q, &r, err);
        if (st == MB_OK)
            st = fn(ctx, &r, err);
    }
    if (st == MB_OK && rc != SQLITE_DONE)
        st = fail(s, "cannot list files", err);
    sqlite3_reset(q);
    return read_end(s, began, st, err);
}

/* ---- reading ------------------------------------------------------------- */

/* A walk over the stored days of one series in [d0, d1], clipped to the
 * days the store holds, forwards or backwards: archived days from their
 * month rows (one seek a month), the others from day rows (one seek a
 * day). A row handed out stays valid until the next step; month_load and
 * day_load must not be used during a walk (it keeps its month in
 * s->mrow). */
typedef struct day_walk {
    sq_store *s;
    int64_t sid, d0, d1, archived;
    bool backwards;
    int seg;            /* segments begun: 0, 1 or 2 */
    sqlite3_stmt *q;    /* the open span statement, or NULL */
    int64_t a0, a1;     /* archived days of the walk */
    int64_t mfirst;     /* first day of the month in s->mdays */
    uint32_t k;         /* entries of s->mdays handed out */
    bool in_month;
} day_walk;

static void walk_start(day_walk *w, sq_store *s, int64_t sid, int64_t d0,
                       int64_t d1, int64_t first, int64_t last,
                       int64_t archived, bool backwards)
{
    *w = (day_walk){.s = s, .sid = sid, .d0 = d0 > first ? d0 : first,
                    .d1 = d1 < last ? d1 : last, .archived = archived,
                    .backwards = backwards};
}

/* Open the next segment: the archived days, then the others (the other
 * way round backwards). */
static void walk_segment(day_walk *w)
{
    bool archive = (w->seg == 0) != w->backwards;
    w->seg++;
    int64_t lo = w->d0, hi = w->d1;
    if (archive && hi >= w->archived)
        hi = w->archived - 1;
    if (!archive && lo < w->archived)
        lo = w->archived;
    if (lo > hi)
        return;
    int64_t step = (int64_t)1 << SERIES_BITS;
    int64_t k0, k1;
    if (archive) {
        w->a0 = lo;
        w->a1 = hi;
        w->q = w->s->q[Q_MONTH_SPAN];
        k0 = month_key(w->sid, day_month(lo));
        k1 = month_key(w->sid, day_month(hi));
    } else {
        w->q = w->s->q[Q_DAY_SPAN];
        k0 = day_key(w->sid, lo);
        k1 = day_key(w->sid, hi);
    }
    sqlite3_bind_int64(w->q, 1, w->backwards ? k1 : k0);
    sqlite3_bind_int64(w->q, 2, w->backwards ? k0 : k1);
    sqlite3_bind_int64(w->q, 3, w->backwards ? -step : step);
}

/* The next day: *found false when the walk is over. */
static mb_status walk_next(day_walk *w, bool *found, int64_t *day,
                           const void **p, size_t *len, mb_error *err)
{
    sq_store *s = w->s;
    *found = false;
    for (;;) {
        while (w->in_month && w->k < s->nmdays) {
            const mb_monthday *md =
                &s->mdays[w->backwards ? s->nmdays - 1 - w->k : w->k];
            w->k++;
            int64_t d = w->mfirst + md->day;
            if (d < w->a0 || d > w->a1)
                continue;
            *day = d;
            *p = md->row;
            *len = md->len;
            *found = true;
            return MB_OK;
        }
        w->in_month = false;
        if (w->q) {
            int rc = sqlite3_step(w->q);
            if (rc == SQLITE_ROW) {
                int64_t key = sqlite3_column_int64(w->q, 0);
                size_t n = (size_t)sqlite3_column_bytes(w->q, 1);
                const void *b = sqlite3_column_blob(w->q, 1);
                if (w->q == s->q[Q_DAY_SPAN]) {
                    *day = key_day(key);
                    *p = b;
                    *len = n;
                    *found = true;
                    return MB_OK;
                }
                int64_t month = key_day(key);
                if (!sbuf_reserve(&s->mrow, n + 1))
                    return nomem(err);
                memcpy(s->mrow.p, b, n);
                mb_status st = mb_monthrow_split(s->mrow.p, n, s->mdays,
                                                 &s->nmdays, err);
                if (st) {
                    mb_error_prefix(err, "store %s: series %" PRId64
                                    " month %" PRId64, s->path, w->sid,
                                    month);
                    return st;
                }
                w->mfirst = month_first(month);
                w->k = 0;
                w->in_month = true;
                continue;
            }
            sqlite3_reset(w->q);
            w->q = NULL;
            if (rc != SQLITE_DONE)
                return fail(s, "cannot read days", err);
        }
        if (w->seg == 2)
            return MB_OK;
        walk_segment(w);
    }
}

static void walk_end(day_walk *w)
{
    if (w->q)
        sqlite3_reset(w->q);
    w->q = NULL;
}

typedef struct read_series {
    int64_t id;
    int32_t step;
    mb_unit unit;
    char channel[MB_ID_MAX + 1];
} read_series;

/* One superseded version loaded for a day being read. */
typedef struct hist_val {
    mb_time start;
    mb_dayslot v;
    size_t text_off; /* into the history text buffer */
} hist_val;

typedef struct read_ctx {
    sq_store *s;
    const mb_range_query *q;
    int64_t first_day, last_day; /* days the store holds */
    int64_t archived;
    mb_interval_fn fn;
    void *ctx;
    mb_interval_row row;
    hist_val *hist;
    size_t nhist, hist_cap;
    sbuf htext;
} read_ctx;

static mb_time clamp_time(mb_time t)
{
    return t < -TIME_LIMIT ? -TIME_LIMIT : t > TIME_LIMIT ? TIME_LIMIT : t;
}

static void fill_value(mb_interval_row *row, const mb_dayslot *v)
{
    row->value.units = v->units;
    row->value.scale = v->scale;
    row->quality.flag = v->flag;
    row->quality.method = v->method;
    row->quality.reason = v->reason;
    row->version = v->version;
}

static mb_status load_history(read_ctx *rc, int64_t sid, mb_time from,
                              mb_time to, mb_error *err)
{
    sq_store *s = rc->s;
    sqlite3_stmt *h = s->q[Q_HIST_RANGE];
    sqlite3_bind_int64(h, 1, sid);
    sqlite3_bind_int64(h, 2, from);
    sqlite3_bind_int64(h, 3, to);
    rc->nhist = 0;
    size_t tused = 0;
    int r;
    mb_status st = MB_OK;
    while ((r = sqlite3_step(h)) == SQLITE_ROW) {
        if (rc->nhist == rc->hist_cap) {
            size_t cap = rc->hist_cap ? rc->hist_cap * 2 : 64;
            hist_val *p = realloc(rc->hist, cap * sizeof *p);
            if (!p) {
                st = nomem(err);
                break;
            }
            rc->hist = p;
            rc->hist_cap = cap;
        }
        hist_val *hv = &rc->hist[rc->nhist++];
        hv->start = sqlite3_column_int64(h, 0);
        hv->v = (mb_dayslot){
            .version = sqlite3_column_int64(h, 1),
            .units = sqlite3_column_int64(h, 2),
            .scale = (uint8_t)sqlite3_column_int(h, 3),
            .flag = (char)sqlite3_column_int(h, 4),
            .method = (uint8_t)sqlite3_column_int(h, 5),
            .reason = (uint16_t)sqlite3_column_int(h, 6),
        };
        const char *t = col_text(h, 7);
        size_t tl = strlen(t);
        hv->v.text_len = (uint32_t)tl;
        hv->text_off = tused;
        if (!sbuf_reserve(&rc->htext, tused + tl + 1)) {
            st = nomem(err);
            break;
        }
        memcpy(rc->htext.p + tused, t, tl + 1);
        tused += tl + 1;
    }
    if (st == MB_OK && r != SQLITE_DONE)
        st = fail(s, "cannot read history", err);
    sqlite3_reset(h);
    return st;
}

/* Emit the values of one decoded day in [from, to), each followed by its
 * superseded versions when asked. */
static mb_status emit_day(read_ctx *rc, const read_series *se, mb_time ds,
                          uint32_t n, mb_error *err)
{
    sq_store *s = rc->s;
    mb_interval_row *row = &rc->row;
    size_t h = 0;
    for (uint32_t k = 0; k < n; k++) {
        const mb_dayslot *v = &s->slots[k];
        if (!v->flag)
            continue;
        mb_time start = ds + (mb_time)k * se->step;
        if (start < rc->q->from || start >= rc->q->to)
            continue;
        row->start = start;
        row->current = true;
        fill_value(row, v);
        row->reason_text = NULL;
        if (v->text && !(row->reason_text = sbuf_str(&s->text, v->text,
                                                     v->text_len)))
            return nomem(err);
        mb_status st = rc->fn(rc->ctx, row, err);
        if (st)
            return st;
        while (h < rc->nhist && rc->hist[h].start < start)
            h++;
        for (; h < rc->nhist && rc->hist[h].start == start; h++) {
            const hist_val *hv = &rc->hist[h];
            row->current = false;
            fill_value(row, &hv->v);
            row->reason_text = hv->v.text_len
                                   ? (const char *)rc->htext.p + hv->text_off
                                   : NULL;
            if ((st = rc->fn(rc->ctx, row, err)))
                return st;
        }
    }
    return MB_OK;
}

static mb_status read_series_days(read_ctx *rc, const read_series *se,
                                  const mb_tz *tz, mb_error *err)
{
    sq_store *s = rc->s;
    mb_time from = clamp_time(rc->q->from), to = clamp_time(rc->q->to);
    if (from >= to)
        return MB_OK;
    day_walk w;
    walk_start(&w, s, se->id, mb_tz_local_day(tz, from),
               mb_tz_local_day(tz, to - 1), rc->first_day, rc->last_day,
               rc->archived, false);
    rc->row.channel = se->channel;
    rc->row.unit = se->unit;
    rc->row.interval = se->step;
    mb_status st;
    for (;;) {
        bool found;
        int64_t day;
        const void *p;
        size_t len = 0;
        if ((st = walk_next(&w, &found, &day, &p, &len, err)) || !found)
            break;
        mb_time ds;
        int32_t dlen;
        uint32_t n;
        st = mb_tz_day_bounds(tz, day, &ds, &dlen, err);
        if (st)
            break;
        uint32_t cap = (uint32_t)(((int64_t)dlen + se->step - 1) / se->step);
        if (!slots_reserve(s, cap) || !sbuf_reserve(&s->row, len + 1)) {
            st = nomem(err);
            break;
        }
        memcpy(s->row.p, p, len);
        st = mb_dayrow_decode(s->row.p, len, s->slots, cap, &n, err);
        if (st) {
            mb_error_prefix(err, "store %s: meter %s channel %s day %" PRId64,
                            s->path, rc->q->meter, se->channel, day);
            break;
        }
        if (rc->q->history) {
            mb_time hf = ds > from ? ds : from;
            mb_time ht = ds + dlen < to ? ds + dlen : to;
            st = load_history(rc, se->id, hf, ht, err);
        }
        if (st == MB_OK)
            st = emit_day(rc, se, ds, n, err);
        if (st)
            break;
    }
    walk_end(&w);
    return st;
}

static mb_status read_meter(read_ctx *rc, mb_error *err)
{
    sq_store *s = rc->s;
    char zone[256] = "";
    /* The meter's series, collected first: a meter has few. */
    read_series *list = NULL;
    size_t n = 0, cap = 0;
    mb_status st = MB_OK;
    sqlite3_stmt *q = s->q[Q_METER_SERIES];
    bind_text(q, 1, rc->q->meter);
    int r;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        snprintf(zone, sizeof zone, "%s", col_text(q, 4));
        int32_t step = sqlite3_column_int(q, 1);
        if (step <= 0 ||
            (rc->q->channel && strcmp(rc->q->channel, col_text(q, 0))))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            read_series *p = realloc(list, cap * sizeof *p);
            if (!p) {
                st = nomem(err);
                break;
            }
            list = p;
        }
        read_series *e = &list[n++];
        snprintf(e->channel, sizeof e->channel, "%s", col_text(q, 0));
        e->step = step;
        e->id = sqlite3_column_int64(q, 2);
        e->unit = unit_from(col_text(q, 3));
    }
    if (st == MB_OK && r != SQLITE_DONE)
        st = fail(s, "cannot list series", err);
    sqlite3_reset(q);
    const mb_tz *tz = NULL;
    if (st == MB_OK && n && !(tz = mb_tz_get(zone, err)))
        st = err ? err->status : MB_EINVAL;
    rc->row.meter = rc->q->meter;
    rc->row.zone = zone;
    for (size_t i = 0; st == MB_OK && i < n; i++)
        st = read_series_days(rc, &list[i], tz, err);
    free(list);
    return st;
}

static mb_status sq_read(mb_store *ss, const mb_range_query *q,
                         mb_interval_fn fn, void *ctx, mb_error *err)
{
    sq_store *s = (sq_store *)ss;
    if (q->from >= q->to)
        return MB_OK;
    read_ctx rc = {.s = s, .q = q, .fn = fn, .ctx = ctx};
    bool began;
    mb_status st = read_begin(s, &began, err);
    if (st == MB_OK) {
        st = store_days(s, &rc.first_day, &rc.last_day, &rc.archived, err);
        if (st == MB_OK)
            st = read_meter(&rc, err);
        st = read_end(s, began, st, err);
    }
    free(rc.hist);
    free(rc.htext.p);
    return st;
}

static mb_status sq_read_registers(mb_store *ss, const mb_range_query *q,
                                   mb_register_fn fn, void *ctx,
                                   mb_error *err)
{
    sq_store *s = (sq_store *)ss;
    if (q->from >= q->to)
        return MB_OK;
    bool began;
    mb_status st = read_begin(s, &began, err);
    if (st)
        return st;
    sqlite3_stmt *r = s->q[Q_REG_RANGE];
    bind_text(r, 1, q->meter);
    if (q->channel)
        bind_text(r, 2, q->channel);
    else
        sqlite3_bind_null(r, 2);
    sqlite3_bind_int64(r, 3, q->from);
    sqlite3_bind_int64(r, 4, q->to);
    sqlite3_bind_int(r, 5, q->history ? 1 : 0);
    int rc;
    while (st == MB_OK && (rc = sqlite3_step(r)) == SQLITE_ROW) {
        mb_register_row row = {
            .meter = q->meter,
            .reg = col_text(r, 0),
            .zone = col_text(r, 13),
            .unit = unit_from(col_text(r, 1)),
            .read_at = sqlite3_column_int64(r, 2),
            .value = {sqlite3_column_int64(r, 3), sqlite3_column_int(r, 4)},
            .read_type = (char)sqlite3_column_int(r, 5),
            .quality = {(char)sqlite3_column_int(r, 6),
                        (uint8_t)sqlite3_column_int(r, 7),
                        (uint16_t)sqlite3_column_int(r, 8)},
            .serial = col_text(r, 10),
            .version = sqlite3_column_int64(r, 11),
            .current = sqlite3_column_int(r, 12) != 0,
        };
        st = fn(ctx, &row, err);
    }
    if (st == MB_OK && rc != SQLITE_DONE)
        st = fail(s, "cannot read registers", err);
    sqlite3_reset(r);
    return read_end(s, began, st, err);
}

/* First or last present slot of a series' first or last day, looking
 * from the first or last day the store holds. */
static mb_status day_edge(sq_store *s, int64_t sid, int32_t step,
                          const mb_tz *tz, int64_t first, int64_t last,
                          int64_t archived, bool backwards, mb_time *out,
                          mb_error *err)
{
    day_walk w;
    walk_start(&w, s, sid, first, last, first, last, archived, backwards);
    bool found;
    int64_t day;
    const void *p;
    size_t len = 0;
    mb_status st = walk_next(&w, &found, &day, &p, &len, err);
    if (st == MB_OK && found) {
        mb_time ds;
        int32_t dlen;
        uint32_t n;
        st = mb_tz_day_bounds(tz, day, &ds, &dlen, err);
        uint32_t cap = (uint32_t)(((int64_t)dlen + step - 1) / step);
        if (st == MB_OK && !slots_reserve(s, cap))
            st = nomem(err);
        if (st == MB_OK)
            st = mb_dayrow_decode(p, len, s->slots, cap, &n, err);
        if (st == MB_OK) {
            uint32_t k = backwards ? n - 1 : 0;
            while (!backwards && !s->slots[k].flag)
                k++;
            *out = ds + (mb_time)k * step;
        }
    }
    walk_end(&w);
    return st;
}

static mb_status reg_edges(sq_store *s, int64_t sid, mb_series_info *si,
                           mb_error *err)
{
    sqlite3_stmt *q = s->q[Q_REG_SERIES];
    sqlite3_bind_int64(q, 1, sid);
    int rc;
    bool first = true;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        mb_time t = sqlite3_column_int64(q, 0);
        if (first)
            si->first = t;
        si->last = t;
        first = false;
    }
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? MB_OK : fail(s, "cannot read registers", err);
}

static mb_status sq_series(mb_store *ss, mb_series_fn fn, void *ctx,
                           mb_error *err)
{
    sq_store *s = (sq_store *)ss;
    bool began;
    int64_t first, last, archived;
    mb_status st = read_begin(s, &began, err);
    if (st)
        return st;
    if ((st = store_days(s, &first, &last, &archived, err)))
        return read_end(s, began, st, err);
    sqlite3_stmt *q = s->q[Q_ALL_SERIES];
    int rc;
    while (st == MB_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t sid = sqlite3_column_int64(q, 0);
        int32_t step = sqlite3_column_int(q, 4);
        mb_series_info si = {
            .meter = col_text(q, 1),
            .zone = col_text(q, 2),
            .channel = col_text(q, 3),
            .unit = unit_from(col_text(q, 5)),
            .is_register = step == 0,
        };
        if (step == 0) {
            st = reg_edges(s, sid, &si, err);
        } else {
            const mb_tz *tz = mb_tz_get(si.zone, err);
            if (!tz)
                st = err ? err->status : MB_EINVAL;
            if (st == MB_OK)
                st = day_edge(s, sid, step, tz, first, last, archived, false,
                              &si.first, err);
            if (st == MB_OK)
                st = day_edge(s, sid, step, tz, first, last, archived, true,
                              &si.last, err);
        }
        if (st == MB_OK)
            st = fn(ctx, &si, err);
    }
    if (st == MB_OK && rc != SQLITE_DONE)
        st = fail(s, "cannot list series", err);
    sqlite3_reset(q);
    return read_end(s, began, st, err);
}

/* ---- integrity ----------------------------------------------------------- */

static mb_status verify_fail(sq_store *s, mb_error *err, const char *fmt,
                             ...) __attribute__((format(printf, 3, 4)));

static mb_status verify_fail(sq_store *s, mb_error *err, const char *fmt,
                             ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return mb_error_set(err, MB_EFORMAT, "store %s: verify: %s", s->path,
                        what);
}

/* Hash one interval series, checking each day row. */
static mb_status verify_days(sq_store *s, mb_store_hasher *h, int64_t sid,
                             mb_interval_row *row, const mb_tz *tz,
                             int64_t first, int64_t last, int64_t archived,
                             mb_error *err)
{
    day_walk w;
    walk_start(&w, s, sid, first, last, first, last, archived, false);
    mb_status st;
    bool any = false;
    for (;;) {
        bool found;
        int64_t day;
        const void *p;
        size_t len = 0;
        if ((st = walk_next(&w, &found, &day, &p, &len, err)) || !found)
            break;
        mb_time ds;
        int32_t dlen;
        uint32_t n;
        if ((st = mb_tz_day_bounds(tz, day, &ds, &dlen, err)))
            break;
        uint32_t cap = (uint32_t)(((int64_t)dlen + row->interval - 1) /
                                  row->interval);
        if (!slots_reserve(s, cap)) {
            st = nomem(err);
            break;
        }
        st = mb_dayrow_decode(p, len, s->slots, cap, &n, err);
        if (st) {
            mb_error_prefix(err, "store %s: verify: meter %s channel %s day "
                            "%" PRId64, s->path, row->meter, row->channel,
                            day);
            break;
        }
        any = true;
        for (uint32_t k = 0; k < n; k++) {
            const mb_dayslot *v = &s->slots[k];
            if (!v->flag)
                continue;
            row->start = ds + (mb_time)k * row->interval;
            fill_value(row, v);
            mb_store_hasher_interval(h, row);
        }
    }
    walk_end(&w);
    if (st == MB_OK && !any)
        st = verify_fail(s, err, "meter %s channel %s has no data",
                         row->meter, row->channel);
    return st;
}

static mb_status verify_registers(sq_store *s, mb_store_hasher *h,
                                  int64_t sid, mb_register_row *row,
                                  mb_error *err)
{
    sqlite3_stmt *q = s->q[Q_REG_SERIES];
    sqlite3_bind_int64(q, 1, sid);
    int rc;
    bool any = false;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        row->read_at = sqlite3_column_int64(q, 0);
        row->version = sqlite3_column_int64(q, 1);
        row->value.units = sqlite3_column_int64(q, 2);
        row->value.scale = sqlite3_column_int(q, 3);
        row->read_type = (char)sqlite3_column_int(q, 4);
        row->quality.flag = (char)sqlite3_column_int(q, 5);
        row->quality.method = (uint8_t)sqlite3_column_int(q, 6);
        row->quality.reason = (uint16_t)sqlite3_column_int(q, 7);
        mb_store_hasher_register(h, row);
        any = true;
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return fail(s, "cannot read registers", err);
    return any ? MB_OK
               : verify_fail(s, err, "meter %s register %s has no data",
                             row->meter, row->reg);
}

/* Every history entry must be beaten by a current value of its identity. */
static mb_status verify_history(sq_store *s, int64_t archived, mb_error *err)
{
    sqlite3_stmt *q = s->q[Q_HIST_ALL];
    int rc;
    mb_status st = MB_OK;
    int64_t loaded = -1;
    uint32_t n = 0;
    while (st == MB_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t sid = sqlite3_column_int64(q, 0);
        mb_time start = sqlite3_column_int64(q, 1);
        int32_t step = sqlite3_column_int(q, 9);
        const char *t = col_text(q, 8);
        mb_dayslot hv = {
            .version = sqlite3_column_int64(q, 2),
            .units = sqlite3_column_int64(q, 3),
            .scale = (uint8_t)sqlite3_column_int(q, 4),
            .flag = (char)sqlite3_column_int(q, 5),
            .method = (uint8_t)sqlite3_column_int(q, 6),
            .reason = (uint16_t)sqlite3_column_int(q, 7),
            .text = *t ? t : NULL,
            .text_len = (uint32_t)strlen(t),
        };
        const mb_tz *tz = mb_tz_get(col_text(q, 10), err);
        if (!tz || step <= 0) {
            st = tz ? verify_fail(s, err, "history of register series %"
                                  PRId64, sid)
                    : err ? err->status : MB_EINVAL;
            break;
        }
        int64_t day = mb_tz_local_day(tz, start);
        mb_time ds;
        int32_t dlen;
        if ((st = mb_tz_day_bounds(tz, day, &ds, &dlen, err)))
            break;
        uint32_t cap = (uint32_t)(((int64_t)dlen + step - 1) / step);
        int64_t key = day_key(sid, day);
        if (key != loaded) {
            size_t len = 0;
            n = 0;
            if (!slots_reserve(s, cap))
                st = nomem(err);
            else
                st = day_load(s, sid, day, archived, &len, err);
            if (st == MB_OK && len)
                st = mb_dayrow_decode(s->row.p, len, s->slots, cap, &n, err);
            loaded = key;
        }
        if (st)
            break;
        int64_t k = (start - ds) / step;
        if ((start - ds) % step || k >= n || !s->slots[k].flag ||
            supersedes(&s->slots[k], &hv) <= 0)
            st = verify_fail(s, err, "history entry of series %" PRId64
                             " at %" PRId64 " is not superseded by a "
                             "current value", sid, start);
    }
    if (st == MB_OK && rc != SQLITE_DONE)
        st = fail(s, "cannot read history", err);
    sqlite3_reset(q);
    return st;
}

/* Checks done in SQL: each returns a count that must be 0. */
static const char *const verify_sql[][2] = {
    {"SELECT count(*) - count(DISTINCT id) FROM series",
     "series sharing an id"},
    {"SELECT count(*) FROM (SELECT meter FROM series GROUP BY meter"
     " HAVING count(DISTINCT zone) > 1)", "meters with two zones"},
    {"SELECT count(*) FROM days WHERE (id >> 38) - 8388608 NOT BETWEEN"
     " coalesce((SELECT value FROM meta WHERE key = 'first_day'), 8388608)"
     " AND coalesce((SELECT value FROM meta WHERE key = 'last_day'), 0)",
     "day rows outside the recorded days"},
    {"SELECT count(*) FROM series WHERE id >= (SELECT value FROM meta"
     " WHERE key = 'next_series')", "series ids beyond the counter"},
    {"SELECT count(*) FROM days WHERE (id & 274877906943) NOT IN"
     " (SELECT id FROM series WHERE step > 0)", "day rows without a series"},
    {"SELECT count(*) FROM registers WHERE series_id NOT IN"
     " (SELECT id FROM series WHERE step = 0)",
     "register reads without a series"},
    {"SELECT count(*) FROM register_history h LEFT JOIN registers r"
     " ON r.series_id = h.series_id AND r.read_at = h.read_at"
     " WHERE r.version IS NULL OR r.version < h.version",
     "register history not superseded by a current read"},
    {"SELECT count(*) FROM files WHERE outcome NOT IN ('applied', 'rejected')",
     "file records with an unknown outcome"},
    {"SELECT count(*) FROM days WHERE (id >> 38) - 8388608 <"
     " coalesce((SELECT value FROM meta WHERE key = 'archived_to'),"
     " -8388608)", "day rows in archived months"},
    {"SELECT count(*) FROM months WHERE (id & 274877906943) NOT IN"
     " (SELECT id FROM series WHERE step > 0)",
     "month rows without a series"},
};

static mb_status verify_counts(sq_store *s, mb_error *err)
{
    for (size_t i = 0; i < sizeof verify_sql / sizeof verify_sql[0]; i++) {
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(s->db, verify_sql[i][0], -1, &q, NULL) !=
            SQLITE_OK)
            return fail(s, "cannot prepare check", err);
        int rc = sqlite3_step(q);
        int64_t bad = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
        sqlite3_finalize(q);
        if (rc != SQLITE_ROW)
            return fail(s, "cannot check", err);
        if (bad)
            return verify_fail(s, err, "%s: %" PRId64, verify_sql[i][1],
                               bad);
    }
    return MB_OK;
}

static mb_status quick_check(sq_store *s, mb_error *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "PRAGMA quick_check", -1, &q, NULL) !=
        SQLITE_OK)
        return fail(s, "cannot check", err);
    int rc = sqlite3_step(q);
    mb_status st = MB_OK;
    if (rc != SQLITE_ROW)
        st = fail(s, "cannot check", err);
    else if (strcmp(col_text(q, 0), "ok") != 0)
        st = verify_fail(s, err, "database damaged: %s", col_text(q, 0));
    sqlite3_finalize(q);
    return st;
}

/* Month rows only for months before the archive boundary. */
static mb_status verify_archive(sq_store *s, int64_t archived, mb_error *err)
{
    int64_t key;
    mb_status st = get_int(s, Q_MONTH_LAST, -1, &key, err);
    if (st || key < 0)
        return st;
    int64_t month = key_day(key);
    if (month_first(month) >= archived)
        return verify_fail(s, err, "month row of series %" PRId64 " for "
                           "month %" PRId64 " beyond the archived days",
                           key & (SERIES_MAX - 1), month);
    return MB_OK;
}

static mb_status verify_view(sq_store *s, mb_store_hasher *h, int64_t first,
                             int64_t last, int64_t archived, mb_error *err)
{
    mb_status st = MB_OK;
    sqlite3_stmt *q = s->q[Q_ALL_SERIES];
    int rc;
    /* Copies: the series statement stays open while days are read. */
    char meter[MB_ID_MAX + 1], channel[MB_ID_MAX + 1], zone[256];
    while (st == MB_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t sid = sqlite3_column_int64(q, 0);
        snprintf(meter, sizeof meter, "%s", col_text(q, 1));
        snprintf(zone, sizeof zone, "%s", col_text(q, 2));
        snprintf(channel, sizeof channel, "%s", col_text(q, 3));
        int32_t step = sqlite3_column_int(q, 4);
        mb_unit unit = unit_from(col_text(q, 5));
        mb_store_hasher_series(h);
        if (step == 0) {
            mb_register_row row = {.meter = meter, .reg = channel,
                                   .zone = zone, .unit = unit,
                                   .serial = "", .current = true};
            st = verify_registers(s, h, sid, &row, err);
        } else if (step < 0) {
            st = verify_fail(s, err, "meter %s channel %s: interval %" PRId32,
                             meter, channel, step);
        } else {
            const mb_tz *tz = mb_tz_get(zone, err);
            mb_interval_row row = {.meter = meter, .channel = channel,
                                   .zone = zone, .unit = unit,
                                   .interval = step, .current = true};
            st = tz ? verify_days(s, h, sid, &row, tz, first, last, archived,
                                  err)
                    : err ? err->status : MB_EINVAL;
        }
    }
    if (st == MB_OK && rc != SQLITE_DONE)
        st = fail(s, "cannot list series", err);
    sqlite3_reset(q);
    return st;
}

static mb_status sq_verify(mb_store *ss, mb_store_digest *out, mb_error *err)
{
    sq_store *s = (sq_store *)ss;
    bool began;
    mb_store_hasher *h = NULL;
    mb_status st = read_begin(s, &began, err);
    if (st)
        return st;
    int64_t first, last, archived;
    st = quick_check(s, err);
    if (st == MB_OK)
        st = verify_counts(s, err);
    if (st == MB_OK)
        st = store_days(s, &first, &last, &archived, err);
    if (st == MB_OK)
        st = verify_archive(s, archived, err);
    if (st == MB_OK)
        st = verify_history(s, archived, err);
    if (st == MB_OK)
        st = mb_store_hasher_new(&h, err);
    if (st == MB_OK)
        st = verify_view(s, h, first, last, archived, err);
    if (st == MB_OK)
        mb_store_hasher_end(h, out);
    else
        mb_store_hasher_free(h);
    return read_end(s, began, st, err);
}

/* ---- the month archive --------------------------------------------------- */

/* One day row of the month being archived, its bytes in s->menc. */
typedef struct arch_ent {
    int64_t sid;
    uint32_t day;    /* of the month */
    size_t off, len;
} arch_ent;

static int arch_cmp(const void *a, const void *b)
{
    const arch_ent *x = a, *y = b;
    if (x->sid != y->sid)
        return x->sid < y->sid ? -1 : 1;
    return (x->day > y->day) - (x->day < y->day);
}

/* Write the month rows of series [lo, hi) for the days [d0, d1] of the
 * month starting on day mfirst: each day is one range scan of the
 * day-major keys, the rows are grouped by series in memory and the month
 * rows appended in series order. */
static mb_status archive_chunk(sq_store *s, int64_t month, int64_t mfirst,
                               int64_t d0, int64_t d1, int64_t lo,
                               int64_t hi, arch_ent **ents, size_t *cap,
                               mb_compact_stats *cs, mb_error *err)
{
    size_t n = 0, used = 0;
    mb_status st = MB_OK;
    sqlite3_stmt *q = s->q[Q_DAY_SCAN];
    for (int64_t d = d0; st == MB_OK && d <= d1; d++) {
        sqlite3_bind_int64(q, 1, day_key(lo, d));
        sqlite3_bind_int64(q, 2, day_key(hi, d));
        int rc;
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            size_t len = (size_t)sqlite3_column_bytes(q, 1);
            if (n == *cap) {
                size_t nc = *cap ? *cap * 2 : 1024;
                arch_ent *p = realloc(*ents, nc * sizeof *p);
                if (!p)
                    break;
                *ents = p;
                *cap = nc;
            }
            if (!len || !sbuf_reserve(&s->menc, used + len))
                break;
            memcpy(s->menc.p + used, sqlite3_column_blob(q, 1), len);
            (*ents)[n++] = (arch_ent){
                .sid = sqlite3_column_int64(q, 0) & (SERIES_MAX - 1),
                .day = (uint32_t)(d - mfirst), .off = used, .len = len};
            used += len;
        }
        if (rc == SQLITE_ROW)
            st = nomem(err); /* also an empty row: never written */
        else if (rc != SQLITE_DONE)
            st = fail(s, "cannot read days", err);
        sqlite3_reset(q);
    }
    if (st)
        return st;
    qsort(*ents, n, sizeof **ents, arch_cmp);
    for (size_t i = 0; st == MB_OK && i < n;) {
        mb_monthday days[MB_MONTH_DAYS];
        uint32_t nd = 0;
        int64_t sid = (*ents)[i].sid;
        for (; i < n && (*ents)[i].sid == sid; i++)
            days[nd++] = (mb_monthday){(*ents)[i].day,
                                       s->menc.p + (*ents)[i].off,
                                       (*ents)[i].len};
        if (!sbuf_reserve(&s->mrow, mb_monthrow_bound(days, nd))) {
            st = nomem(err);
            break;
        }
        size_t len = mb_monthrow_encode(days, nd, s->mrow.p);
        st = put_blob(s, Q_MONTH_ADD, month_key(sid, month), s->mrow.p, len,
                      "cannot write month", err);
        cs->rows++;
        cs->days += nd;
    }
    return st;
}

/* Archive one month in one transaction (the caller's): its day rows
 * become month rows, then go, and the boundary moves past it. */
static mb_status archive_month(sq_store *s, int64_t month, int64_t first,
                               int64_t last, int64_t next_series,
                               mb_compact_stats *cs, mb_error *err)
{
    int64_t mfirst = month_first(month), mend = month_first(month + 1);
    int64_t d0 = mfirst > first ? mfirst : first;
    int64_t d1 = mend - 1 < last ? mend - 1 : last;
    arch_ent *ents = NULL;
    size_t cap = 0;
    mb_status st = MB_OK;
    for (int64_t lo = 0; st == MB_OK && lo < next_series;
         lo += ARCHIVE_CHUNK) {
        int64_t hi = lo + ARCHIVE_CHUNK < next_series ? lo + ARCHIVE_CHUNK
                                                       : next_series;
        st = archive_chunk(s, month, mfirst, d0, d1, lo, hi, &ents, &cap, cs,
                           err);
    }
    free(ents);
    if (st == MB_OK) {
        sqlite3_stmt *q = s->q[Q_DAY_DROP];
        sqlite3_bind_int64(q, 1, day_key(0, mfirst));
        sqlite3_bind_int64(q, 2, day_key(0, mend));
        st = run(s, Q_DAY_DROP, "cannot drop archived days", err);
    }
    if (st == MB_OK)
        st = meta_put(s, "archived_to", mend, err);
    return st;
}

/* Archive the months that ended keep_days before the newest day, oldest
 * first, one transaction each: a crash leaves a prefix of them archived
 * and the next run goes on from there. */
static mb_status sq_compact(mb_store *ss, int32_t keep_days,
                            mb_compact_stats *cs, mb_error *err)
{
    sq_store *s = (sq_store *)ss;
    for (;;) {
        mb_status st = run(s, Q_BEGIN_WRITE, "cannot begin compaction", err);
        if (st)
            return st;
        int64_t first, last, archived, next = 1;
        st = store_days(s, &first, &last, &archived, err);
        if (st == MB_OK)
            st = meta_get(s, "next_series", 1, &next, err);
        int64_t month = day_month(archived > first ? archived : first);
        /* Done when no data, or the next month ends after the cutoff. */
        bool done = st || first > last ||
                    month_first(month + 1) - 1 > last - keep_days;
        if (!done)
            st = archive_month(s, month, first, last, next, cs, err);
        if (st == MB_OK)
            st = run(s, Q_COMMIT, "cannot commit compaction", err);
        if (st) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return st;
        }
        if (done)
            return MB_OK;
        cs->months++;
    }
}

/* ---- leases -------------------------------------------------------------- */

static mb_status lease_fail(sq_store *s, const char *what, mb_error *err)
{
    return db_fail(s->lease_db, s->path, what, err);
}

/* The lease database beside the store, opened on first use. */
static mb_status lease_open(sq_store *s, mb_error *err)
{
    if (s->lease_db)
        return MB_OK;
    size_t n = strlen(s->path) + sizeof "-leases";
    char *path = malloc(n);
    if (!path)
        return nomem(err);
    snprintf(path, n, "%s-leases", s->path);
    mb_status st = open_db(path, &s->lease_db, err);
    free(path);
    if (st)
        return st;
    if (exec_configure(s->lease_db,
                       "PRAGMA journal_mode = WAL;"
                       "PRAGMA synchronous = NORMAL;"
                       "CREATE TABLE IF NOT EXISTS leases(name TEXT PRIMARY"
                       " KEY, owner TEXT NOT NULL, expires INTEGER NOT NULL)"
                       " WITHOUT ROWID;") != SQLITE_OK)
        st = lease_fail(s, "cannot open leases", err);
    for (int i = 0; st == MB_OK && i < L_COUNT; i++)
        if (sqlite3_prepare_v3(s->lease_db, lease_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &s->lq[i],
                               NULL) != SQLITE_OK)
            st = lease_fail(s, "cannot prepare statement", err);
    if (st) {
        for (int i = 0; i < L_COUNT; i++) {
            sqlite3_finalize(s->lq[i]);
            s->lq[i] = NULL;
        }
        sqlite3_close(s->lease_db);
        s->lease_db = NULL;
    }
    return st;
}

static mb_status lease_run(sq_store *s, int q, mb_error *err)
{
    int rc = sqlite3_step(s->lq[q]);
    sqlite3_reset(s->lq[q]);
    return rc == SQLITE_DONE ? MB_OK : lease_fail(s, "lease", err);
}

static mb_status sq_lock(mb_store *ss, const char *name, const char *owner,
                         int64_t ttl_ms, bool *taken, mb_error *err)
{
    sq_store *s = (sq_store *)ss;
    mb_status st = lease_open(s, err);
    if (st == MB_OK)
        st = lease_run(s, L_BEGIN, err);
    if (st)
        return st;
    int64_t now = mb_store_now_ms();
    sqlite3_stmt *g = s->lq[L_GET];
    bind_text(g, 1, name);
    int rc = sqlite3_step(g);
    bool free_ = rc == SQLITE_DONE ||
                 (rc == SQLITE_ROW && (sqlite3_column_int64(g, 1) <= now ||
                                       !strcmp(col_text(g, 0), owner)));
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        st = lease_fail(s, "cannot read lease", err);
    sqlite3_reset(g);
    if (st == MB_OK && free_) {
        sqlite3_stmt *p = s->lq[L_PUT];
        bind_text(p, 1, name);
        bind_text(p, 2, owner);
        sqlite3_bind_int64(p, 3, now + ttl_ms);
        st = lease_run(s, L_PUT, err);
    }
    if (st == MB_OK)
        st = lease_run(s, L_COMMIT, err);
    if (st) {
        sqlite3_exec(s->lease_db, "ROLLBACK", NULL, NULL, NULL);
        return st;
    }
    *taken = free_;
    return MB_OK;
}

/* Renewing succeeds while the lease is still in our name, even just after
 * it expired: nobody took it, so extending it is the same as retaking. */
static mb_status sq_lock_renew(mb_store *ss, const char *name,
                               const char *owner, int64_t ttl_ms,
                               mb_error *err)
{
    sq_store *s = (sq_store *)ss;
    mb_status st = lease_open(s, err);
    if (st)
        return st;
    sqlite3_stmt *p = s->lq[L_RENEW];
    bind_text(p, 1, name);
    bind_text(p, 2, owner);
    sqlite3_bind_int64(p, 3, mb_store_now_ms() + ttl_ms);
    if ((st = lease_run(s, L_RENEW, err)))
        return st;
    if (sqlite3_changes(s->lease_db) == 0)
        return mb_error_set(err, MB_EBUSY, "store: lock %s is not held by "
                            "%s", name, owner);
    return MB_OK;
}

static mb_status sq_unlock(mb_store *ss, const char *name, const char *owner,
                           mb_error *err)
{
    sq_store *s = (sq_store *)ss;
    mb_status st = lease_open(s, err);
    if (st)
        return st;
    sqlite3_stmt *p = s->lq[L_DROP];
    bind_text(p, 1, name);
    bind_text(p, 2, owner);
    return lease_run(s, L_DROP, err);
}

static mb_status sq_lock_holder(mb_store *ss, const char *name, char *holder,
                                size_t cap, bool *held, mb_error *err)
{
    sq_store *s = (sq_store *)ss;
    mb_status st = lease_open(s, err);
    if (st)
        return st;
    sqlite3_stmt *g = s->lq[L_GET];
    bind_text(g, 1, name);
    int rc = sqlite3_step(g);
    if (rc == SQLITE_ROW && sqlite3_column_int64(g, 1) > mb_store_now_ms()) {
        *held = true;
        snprintf(holder, cap, "%s", col_text(g, 0));
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        st = lease_fail(s, "cannot read lease", err);
    }
    sqlite3_reset(g);
    return st;
}

static const mb_store_ops sq_ops = {
    .name = "embedded",
    .close = sq_close,
    .file_get = sq_file_get,
    .file_reject = sq_file_reject,
    .files = sq_files,
    .begin = sq_begin,
    .intervals = sq_intervals,
    .reg = sq_register,
    .commit = sq_commit,
    .abort = sq_abort,
    .read = sq_read,
    .read_registers = sq_read_registers,
    .series = sq_series,
    .verify = sq_verify,
    .compact = sq_compact,
    .lock = sq_lock,
    .lock_renew = sq_lock_renew,
    .lock_holder = sq_lock_holder,
    .unlock = sq_unlock,
};
