/*
 * store.h - the one interface every storage backend implements.
 *
 * Callers (ingest, reads, verify, the services) see only this header; the
 * backend is chosen by the URI given to mb_store_open:
 *   PATH or file:PATH            embedded store (one local SQLite file)
 *   cassandra://HOST:PORT/KS?... Cassandra cluster (store_cassandra.c)
 *
 * The data contract (DESIGN.md) every backend keeps:
 *  - identity of an interval value: meter, channel, interval start and
 *    length; of a register read: meter, register, read instant;
 *  - each value carries a version from the source data; per identity the
 *    newest version is current; an equal version is the same event and
 *    changes nothing; superseded versions stay readable as history;
 *  - therefore any replay, in any order, any number of times, leaves the
 *    same current view (and the same mb_store_digest);
 *  - a batch (one input file) is applied whole or not at all, together with
 *    the record of that file in the file registry.
 *
 * Ownership: strings passed in are copied if kept; rows handed to callbacks
 * are borrowed for the duration of the callback.
 */
#ifndef MB_STORE_H
#define MB_STORE_H

#include "core/model.h"
#include "formats/reader.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct mb_store mb_store;
typedef struct mb_batch mb_batch;

/* Environment variable naming the default store; when unset the default is
 * $XDG_DATA_HOME/meterbase/meterbase.db (~/.local/share/...). */
#define MB_STORE_ENV "METERBASE_STORE"

/* The URI to use when the user gave none (env, then the default path).
 * Writes into buf (cap >= 4096). */
const char *mb_store_default_uri(char *buf, size_t cap);

mb_status mb_store_open(const char *uri, mb_store **out, mb_error *err);
void mb_store_close(mb_store *s);

/* ---- file registry ------------------------------------------------------ */

typedef enum mb_file_outcome {
    MB_FILE_APPLIED = 1,  /* all its readings are in the store */
    MB_FILE_REJECTED = 2, /* nothing of it is in the store; error says why */
} mb_file_outcome;

typedef struct mb_file_record {
    char digest[65];        /* SHA-256 of the file's bytes, lowercase hex */
    const char *name;       /* as given on the command line */
    uint64_t size;          /* bytes */
    mb_format format;
    mb_file_outcome outcome;
    uint64_t values;        /* interval values in the file */
    uint64_t registers;     /* register reads in the file */
    uint64_t added, changed, unchanged; /* effect on the store */
    const char *error;      /* rejection reason, "" when applied */
    mb_time seen_at;        /* when it was processed (wall clock; this is
                               bookkeeping, never a reading's version) */
} mb_file_record;

/* Look a file up by digest. *found tells whether it is known; when found,
 * rec's strings point into store-owned memory valid until the next call
 * on this store. */
mb_status mb_store_file_get(mb_store *s, const char *digest,
                            mb_file_record *rec, bool *found, mb_error *err);

/* Record a rejected file (applied files are recorded by mb_batch_commit).
 * A digest already recorded as applied is never downgraded. */
mb_status mb_store_file_reject(mb_store *s, const mb_file_record *rec,
                               mb_error *err);

typedef mb_status (*mb_file_fn)(void *ctx, const mb_file_record *rec,
                                mb_error *err);
/* Every file record, oldest first. */
mb_status mb_store_files(mb_store *s, mb_file_fn fn, void *ctx,
                         mb_error *err);

/* ---- writing ------------------------------------------------------------ */

/* Effect counters of a batch, per interval value or register read. */
typedef struct mb_apply_stats {
    uint64_t added;     /* identity not seen before */
    uint64_t changed;   /* newer version replaced the current one */
    uint64_t unchanged; /* same or older version: no change to the view */
} mb_apply_stats;

/* Start applying one file. Nothing is visible to readers, and nothing is
 * durable, until mb_batch_commit returns MB_OK. */
mb_status mb_store_begin(mb_store *s, mb_batch **out, mb_error *err);
mb_status mb_batch_intervals(mb_batch *b, const mb_interval_block *blk,
                             mb_error *err);
mb_status mb_batch_register(mb_batch *b, const mb_register_read *r,
                            mb_error *err);
/* Make the batch durable together with the applied file's record (its
 * added/changed/unchanged are filled from the batch). Frees the batch
 * whatever the outcome; on failure nothing of it is applied. */
mb_status mb_batch_commit(mb_batch *b, const mb_file_record *file,
                          mb_apply_stats *stats, mb_error *err);
/* Drop the batch: nothing of it is applied. Frees it. */
void mb_batch_abort(mb_batch *b);

/* ---- reading ------------------------------------------------------------ */

/* One interval value as stored. */
typedef struct mb_interval_row {
    const char *meter, *channel, *zone;
    mb_unit unit;
    mb_time start;
    int32_t interval;
    mb_decimal value;
    mb_quality quality;
    const char *reason_text; /* NULL when none */
    mb_version version;
    bool current;            /* false: a superseded version (history) */
} mb_interval_row;

typedef mb_status (*mb_interval_fn)(void *ctx, const mb_interval_row *row,
                                    mb_error *err);

typedef struct mb_range_query {
    const char *meter;
    const char *channel;  /* NULL: every channel of the meter */
    mb_time from, to;     /* interval starts in [from, to) */
    bool history;         /* also superseded versions, oldest first after
                             the current one of each identity */
} mb_range_query;

/* Values in order of channel, then start. */
mb_status mb_store_read(mb_store *s, const mb_range_query *q,
                        mb_interval_fn fn, void *ctx, mb_error *err);

typedef struct mb_register_row {
    const char *meter, *reg, *serial, *zone;
    mb_unit unit;
    mb_time read_at;
    mb_decimal value;
    char read_type;
    mb_quality quality;
    mb_version version;
    bool current;
} mb_register_row;

typedef mb_status (*mb_register_fn)(void *ctx, const mb_register_row *row,
                                    mb_error *err);
mb_status mb_store_read_registers(mb_store *s, const mb_range_query *q,
                                  mb_register_fn fn, void *ctx,
                                  mb_error *err);

/* One channel of one meter that holds data. */
typedef struct mb_series_info {
    const char *meter, *channel, *zone;
    mb_unit unit;
    bool is_register;
    mb_time first, last;  /* first and last interval start / read instant */
} mb_series_info;

typedef mb_status (*mb_series_fn)(void *ctx, const mb_series_info *si,
                                  mb_error *err);
/* Every series, ordered by meter then channel. */
mb_status mb_store_series(mb_store *s, mb_series_fn fn, void *ctx,
                          mb_error *err);

/* ---- integrity ---------------------------------------------------------- */

typedef struct mb_store_digest {
    char hex[65];       /* SHA-256 over the canonical current view */
    uint64_t series, values, registers;
} mb_store_digest;

/* Check internal consistency and digest the current view. The digest is a
 * function of the current view alone (not of arrival order, history or
 * backend): SHA-256 over the lines
 *   "I,meter,channel,unit,start,interval,value,quality,method,reason,version\n"
 *   "R,meter,register,unit,read_at,value,read_type,quality,version\n"
 * in order of meter, channel/register and time, values normalised
 * (mb_decimal_normalize) and printed with mb_decimal_format. */
mb_status mb_store_verify(mb_store *s, mb_store_digest *out, mb_error *err);

/* ---- locks -------------------------------------------------------------- */

/* Take the named lock for `owner` for ttl_ms unless someone else holds an
 * unexpired lease; *taken says whether it is now ours. Taking a lock we
 * already hold renews it. */
mb_status mb_store_lock(mb_store *s, const char *name, const char *owner,
                        int64_t ttl_ms, bool *taken, mb_error *err);
/* Extend our lease; MB_EBUSY if we no longer hold it. */
mb_status mb_store_lock_renew(mb_store *s, const char *name,
                              const char *owner, int64_t ttl_ms,
                              mb_error *err);
/* Who holds the named lock now: *held is false when nobody holds an
 * unexpired lease; otherwise holder (cap bytes) gets the owner. Lets a
 * process recognise a lease left by a holder that died (e.g. a local pid
 * that no longer exists) and release it in that owner's name. */
mb_status mb_store_lock_holder(mb_store *s, const char *name, char *holder,
                               size_t cap, bool *held, mb_error *err);

/* Give it up if we hold it (no error if we do not). */
mb_status mb_store_unlock(mb_store *s, const char *name, const char *owner,
                          mb_error *err);

#endif
