/*
 * store_backend.h - what a storage backend provides to store.c (internal).
 *
 * mb_store_open picks a backend by URI (store.c); each backend fills an
 * mb_store_ops table and embeds `struct mb_store` / `struct mb_batch` as
 * the first member of its own handle structs. store.c checks arguments
 * once for every backend, so backends may assume non-NULL pointers and
 * well-formed blocks and reads. Callers never include this header.
 *
 * The digest of mb_store_verify is computed here too (mb_store_digest_*),
 * so every backend hashes exactly the same lines. A backend feeds the
 * current view to it in the canonical order: meters by name (bytewise);
 * within a meter first the interval series by channel (bytewise), then
 * interval length, each in order of start; then the register series by
 * register (bytewise), each in order of read instant.
 */
#ifndef MB_STORE_BACKEND_H
#define MB_STORE_BACKEND_H

#include "store/store.h"

typedef struct mb_store_ops {
    const char *name; /* "embedded", "cassandra" */
    void (*close)(mb_store *s);
    mb_status (*file_get)(mb_store *s, const char *digest,
                          mb_file_record *rec, bool *found, mb_error *err);
    mb_status (*file_reject)(mb_store *s, const mb_file_record *rec,
                             mb_error *err);
    mb_status (*files)(mb_store *s, mb_file_fn fn, void *ctx, mb_error *err);
    mb_status (*begin)(mb_store *s, mb_batch **out, mb_error *err);
    mb_status (*intervals)(mb_batch *b, const mb_interval_block *blk,
                           mb_error *err);
    mb_status (*reg)(mb_batch *b, const mb_register_read *r, mb_error *err);
    mb_status (*commit)(mb_batch *b, const mb_file_record *file,
                        mb_apply_stats *stats, mb_error *err);
    void (*abort)(mb_batch *b);
    mb_status (*read)(mb_store *s, const mb_range_query *q,
                      mb_interval_fn fn, void *ctx, mb_error *err);
    mb_status (*read_registers)(mb_store *s, const mb_range_query *q,
                                mb_register_fn fn, void *ctx, mb_error *err);
    mb_status (*series)(mb_store *s, mb_series_fn fn, void *ctx,
                        mb_error *err);
    mb_status (*verify)(mb_store *s, mb_store_digest *out, mb_error *err);
    mb_status (*lock)(mb_store *s, const char *name, const char *owner,
                      int64_t ttl_ms, bool *taken, mb_error *err);
    mb_status (*lock_renew)(mb_store *s, const char *name, const char *owner,
                            int64_t ttl_ms, mb_error *err);
    mb_status (*unlock)(mb_store *s, const char *name, const char *owner,
                        mb_error *err);
    mb_status (*lock_holder)(mb_store *s, const char *name, char *holder,
                             size_t cap, bool *held, mb_error *err);
} mb_store_ops;

struct mb_store {
    const mb_store_ops *ops;
    bool in_batch; /* one batch at a time per handle */
};

struct mb_batch {
    mb_store *store;
};

/* Backends. `target` is the URI with its scheme removed. */
mb_status mb_store_sqlite_open(const char *target, mb_store **out,
                               mb_error *err);
mb_status mb_store_cassandra_open(const char *target, mb_store **out,
                                  mb_error *err);

/* ---- the digest of the current view ------------------------------------ */

typedef struct mb_store_hasher mb_store_hasher;

mb_status mb_store_hasher_new(mb_store_hasher **out, mb_error *err);
/* Feed one current interval value / register read (canonical order). */
void mb_store_hasher_interval(mb_store_hasher *h, const mb_interval_row *row);
void mb_store_hasher_register(mb_store_hasher *h, const mb_register_row *row);
/* Count one series (interval or register) that holds data. */
void mb_store_hasher_series(mb_store_hasher *h);
/* Finish: fill out (hex and counters) and free h. */
void mb_store_hasher_end(mb_store_hasher *h, mb_store_digest *out);
/* Free without finishing (error paths). NULL is fine. */
void mb_store_hasher_free(mb_store_hasher *h);

/* Wall clock in milliseconds since the epoch (file bookkeeping, leases). */
int64_t mb_store_now_ms(void);

#endif
