/*
 * cql.h - the public API of meterbase's CQL native-protocol client.
 *
 * A client for Apache Cassandra speaking native protocol v4 over plain TCP.
 * One mb_cql_cluster owns everything that talks to the network: a small
 * pool of connections to every node it knows, a control connection that
 * follows topology and status events, and ONE dedicated I/O thread that
 * drives all sockets with poll(). Caller threads encode their requests
 * (statements, batches) themselves, hand them to the I/O thread through a
 * queue and either wait (synchronous calls) or get a callback (async calls).
 *
 * Ownership rules, in one place:
 *  - mb_cql_cluster_open returns a cluster; mb_cql_cluster_close frees it,
 *    failing whatever is still in flight. Everything else may be used from
 *    any number of threads, except where noted.
 *  - mb_cql_result: returned by mb_cql_query/mb_cql_execute/... or handed
 *    to an async callback; the receiver frees it with mb_cql_result_free.
 *    Cells, types and column names point into their result and live as long
 *    as it does.
 *  - mb_cql_prepared: from mb_cql_prepare, freed with mb_cql_prepared_free
 *    once no statement built from it is executing (after mb_cql_wait_all).
 *  - mb_cql_stmt / mb_cql_batch: owned by the caller; values are encoded
 *    when bound, so the bound data need not outlive the bind call. A
 *    statement may be reused and re-executed; the library copies what it
 *    sends, so it may be changed or freed as soon as execute returns.
 *    A statement is not thread-safe itself (one thread at a time).
 *  - Async callbacks run on the I/O thread: they must be quick and must not
 *    call anything that waits (mb_cql_query, mb_cql_execute*, mb_cql_wait_all,
 *    mb_cql_cluster_close).
 */
#ifndef MB_CQL_H
#define MB_CQL_H

#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- values and types ------------------------------------------------ */

typedef enum mb_cql_consistency {
    MB_CQL_ANY = 0x0000,
    MB_CQL_ONE = 0x0001,
    MB_CQL_TWO = 0x0002,
    MB_CQL_THREE = 0x0003,
    MB_CQL_QUORUM = 0x0004,
    MB_CQL_ALL = 0x0005,
    MB_CQL_LOCAL_QUORUM = 0x0006,
    MB_CQL_EACH_QUORUM = 0x0007,
    MB_CQL_SERIAL = 0x0008,
    MB_CQL_LOCAL_SERIAL = 0x0009,
    MB_CQL_LOCAL_ONE = 0x000A
} mb_cql_consistency;

/* Name of a level ("QUORUM"), and the reverse (case-insensitive). */
const char *mb_cql_consistency_name(mb_cql_consistency cl);
mb_status mb_cql_consistency_parse(const char *name, mb_cql_consistency *out,
                                   mb_error *err);

/* Column types: the protocol's option ids. */
typedef enum mb_cql_type_id {
    MB_CQL_CUSTOM = 0x00,
    MB_CQL_ASCII = 0x01,
    MB_CQL_BIGINT = 0x02,
    MB_CQL_BLOB = 0x03,
    MB_CQL_BOOLEAN = 0x04,
    MB_CQL_COUNTER = 0x05,
    MB_CQL_DECIMAL = 0x06,
    MB_CQL_DOUBLE = 0x07,
    MB_CQL_FLOAT = 0x08,
    MB_CQL_INT = 0x09,
    MB_CQL_TIMESTAMP = 0x0B,
    MB_CQL_UUID = 0x0C,
    MB_CQL_TEXT = 0x0D, /* varchar */
    MB_CQL_VARINT = 0x0E,
    MB_CQL_TIMEUUID = 0x0F,
    MB_CQL_INET = 0x10,
    MB_CQL_DATE = 0x11,
    MB_CQL_TIME = 0x12,
    MB_CQL_SMALLINT = 0x13,
    MB_CQL_TINYINT = 0x14,
    MB_CQL_DURATION = 0x15,
    MB_CQL_LIST = 0x20,
    MB_CQL_MAP = 0x21,
    MB_CQL_SET = 0x22,
    MB_CQL_UDT = 0x30,
    MB_CQL_TUPLE = 0x31
} mb_cql_type_id;

/* A column type as the server described it. list/set: sub[0] is the
 * element type; map: sub[0] key, sub[1] value; tuple/udt: one sub per
 * field (udt field names in field_names). name: custom class or udt name. */
typedef struct mb_cql_type {
    mb_cql_type_id id;
    const char *name;
    const char *keyspace;
    size_t nsub;
    const struct mb_cql_type *sub;
    const char *const *field_names;
} mb_cql_type;

/* Name of a type id as CQL spells it ("bigint"). */
const char *mb_cql_type_name(mb_cql_type_id id);

/* A value to bind. Build it with the constructors below. When the target
 * type is known (prepared statements) the value is converted to it:
 *   MB_CQL_VAL_INT    -> tinyint smallint int bigint counter timestamp(ms)
 *                        time(ns) date(days since 1970-01-01) varint decimal
 *                        double float (range-checked)
 *   MB_CQL_VAL_DOUBLE -> double float
 *   MB_CQL_VAL_TEXT   -> text ascii blob, and parsed for varint ("-12"),
 *                        decimal ("-1.50", "2e-3"), uuid/timeuuid, inet
 *   MB_CQL_VAL_BLOB   -> blob (or any type, taken as already encoded)
 *   MB_CQL_VAL_UUID, MB_CQL_VAL_BOOL -> as named
 *   MB_CQL_VAL_LIST/SET/MAP -> the collection, elements converted in turn
 * Without a target type (simple statements) the value is encoded as its
 * `hint` type, or by default INT->bigint, DOUBLE->double, TEXT->text. */
typedef enum mb_cql_val_kind {
    MB_CQL_VAL_NULL,
    MB_CQL_VAL_UNSET,
    MB_CQL_VAL_INT,
    MB_CQL_VAL_DOUBLE,
    MB_CQL_VAL_BOOL,
    MB_CQL_VAL_TEXT,
    MB_CQL_VAL_BLOB,
    MB_CQL_VAL_UUID,
    MB_CQL_VAL_LIST,
    MB_CQL_VAL_SET,
    MB_CQL_VAL_MAP
} mb_cql_val_kind;

typedef struct mb_cql_value {
    mb_cql_val_kind kind;
    mb_cql_type_id hint; /* encoding when no target type; 0 = default */
    union {
        int64_t i;
        double d;
        bool b;
        struct { const void *p; size_t n; } bytes; /* TEXT, BLOB */
        uint8_t uuid[16];
        /* LIST/SET: n items; MAP: n pairs stored as 2n items k0 v0 k1 v1 */
        struct { const struct mb_cql_value *items; size_t n; } coll;
    } u;
} mb_cql_value;

mb_cql_value mb_cql_null(void);
mb_cql_value mb_cql_unset(void);
mb_cql_value mb_cql_int(int64_t v);
mb_cql_value mb_cql_typed_int(mb_cql_type_id hint, int64_t v);
mb_cql_value mb_cql_double(double v);
mb_cql_value mb_cql_bool(bool v);
mb_cql_value mb_cql_text(const char *s); /* NUL-terminated */
mb_cql_value mb_cql_text_n(const char *s, size_t n);
mb_cql_value mb_cql_typed_text(mb_cql_type_id hint, const char *s);
mb_cql_value mb_cql_blob(const void *p, size_t n);
mb_cql_value mb_cql_uuid(const uint8_t uuid[16]);
mb_cql_value mb_cql_list(const mb_cql_value *items, size_t n);
mb_cql_value mb_cql_set(const mb_cql_value *items, size_t n);
mb_cql_value mb_cql_map(const mb_cql_value *kv, size_t npairs);

/* ---- cells: one value of a result row (or of a collection) ----------- */

typedef struct mb_cql_cell {
    const mb_cql_type *type;
    const uint8_t *data;
    int32_t len; /* < 0: null */
} mb_cql_cell;

bool mb_cql_cell_is_null(const mb_cql_cell *c);
/* tinyint smallint int bigint counter timestamp time date(days) varint */
mb_status mb_cql_cell_int64(const mb_cql_cell *c, int64_t *out, mb_error *err);
mb_status mb_cql_cell_int32(const mb_cql_cell *c, int32_t *out, mb_error *err);
/* double float */
mb_status mb_cql_cell_double(const mb_cql_cell *c, double *out, mb_error *err);
mb_status mb_cql_cell_bool(const mb_cql_cell *c, bool *out, mb_error *err);
/* The raw bytes of any non-null cell (text is not NUL-terminated). */
mb_status mb_cql_cell_bytes(const mb_cql_cell *c, const uint8_t **p,
                            size_t *n, mb_error *err);
mb_status mb_cql_cell_uuid(const mb_cql_cell *c, uint8_t out[16], mb_error *err);
/* The cell as text, the way cqlsh would print it ("null" for null); a
 * malloc'ed string the caller frees, NULL only when out of memory. */
char *mb_cql_cell_format(const mb_cql_cell *c);

/* Iterating a list, set, map, tuple or udt cell. */
typedef struct mb_cql_iter {
    mb_cql_cell parent;
    size_t pos;     /* byte offset of the next element */
    size_t index;   /* elements returned so far */
    size_t count;   /* elements in all */
} mb_cql_iter;

/* Starts an iteration; *count (may be NULL) gets the number of elements. */
mb_status mb_cql_cell_iter(const mb_cql_cell *c, mb_cql_iter *it,
                           size_t *count, mb_error *err);
/* Next element (a map gives key in *elem and value in *val; val may be
 * NULL otherwise). Returns false at the end or on malformed data. */
bool mb_cql_iter_next(mb_cql_iter *it, mb_cql_cell *elem, mb_cql_cell *val);

/* ---- results --------------------------------------------------------- */

typedef enum mb_cql_result_kind {
    MB_CQL_RESULT_VOID = 1,
    MB_CQL_RESULT_ROWS = 2,
    MB_CQL_RESULT_SET_KEYSPACE = 3,
    MB_CQL_RESULT_PREPARED = 4,
    MB_CQL_RESULT_SCHEMA_CHANGE = 5
} mb_cql_result_kind;

typedef struct mb_cql_result mb_cql_result;

void mb_cql_result_free(mb_cql_result *res);
mb_cql_result_kind mb_cql_result_kind_of(const mb_cql_result *res);
size_t mb_cql_result_row_count(const mb_cql_result *res);
size_t mb_cql_result_column_count(const mb_cql_result *res);
const char *mb_cql_result_column_name(const mb_cql_result *res, size_t col);
const mb_cql_type *mb_cql_result_column_type(const mb_cql_result *res,
                                             size_t col);
/* Index of a column by name, or -1. */
long mb_cql_result_column_index(const mb_cql_result *res, const char *name);
/* Cell (row, col); both must be in range. */
mb_cql_cell mb_cql_result_cell(const mb_cql_result *res, size_t row,
                               size_t col);
bool mb_cql_result_has_more_pages(const mb_cql_result *res);
/* For SET_KEYSPACE the keyspace; for SCHEMA_CHANGE "CREATED TABLE ks.t". */
const char *mb_cql_result_info(const mb_cql_result *res);
/* Warnings the server attached, NULL-terminated (never NULL). */
const char *const *mb_cql_result_warnings(const mb_cql_result *res);
/* The node that answered, "ip:port". */
const char *mb_cql_result_host(const mb_cql_result *res);

/* ---- cluster --------------------------------------------------------- */

typedef struct mb_cql_config {
    const char *contact_points; /* "127.0.0.1:9042,10.0.0.2" (port 9042) */
    const char *user;           /* NULL: no authentication */
    const char *password;
    const char *local_dc;       /* NULL: every datacenter is local */
    int pool_size;              /* connections per node; 0 -> 2 */
    int request_timeout_ms;     /* 0 -> 12000 */
    int connect_timeout_ms;     /* 0 -> 5000 */
    int max_in_flight;          /* requests per cluster; 0 -> 1024 */
    int max_streams;            /* stream ids per connection; 0 -> 32768 */
} mb_cql_config;

typedef struct mb_cql_cluster mb_cql_cluster;

/* Connects to the first contact point that answers, discovers the other
 * nodes (system.local, system.peers_v2 or system.peers), opens the pools
 * and registers for topology and status events. */
mb_status mb_cql_cluster_open(const mb_cql_config *cfg, mb_cql_cluster **out,
                              mb_error *err);
/* Fails what is in flight, stops the I/O thread, frees the cluster. */
void mb_cql_cluster_close(mb_cql_cluster *cl);

/* Known nodes: fills up to max "ip:port dc=... up|down tokens=N" lines. */
size_t mb_cql_cluster_nodes(mb_cql_cluster *cl, char (*lines)[128],
                            size_t max);

/* Counters of requests since the cluster was opened: statements, batches
 * and prepares, and the schema-agreement checks after DDL (the client's
 * discovery and re-prepare requests are not counted). */
typedef struct mb_cql_stats {
    uint64_t completed; /* finished, successfully or not */
    uint64_t failed;    /* finished with an error */
    uint64_t retried;   /* times a request was sent again to another node
                         * (idempotent, after a lost connection, a client
                         * timeout, Overloaded or IsBootstrapping) */
    uint64_t timeouts;  /* client-side timeouts (no response in time) */
} mb_cql_stats;

void mb_cql_cluster_stats(mb_cql_cluster *cl, mb_cql_stats *out);

/* ---- statements ------------------------------------------------------ */

typedef struct mb_cql_prepared mb_cql_prepared;
typedef struct mb_cql_stmt mb_cql_stmt;

/* Prepares a statement on one node (others prepare it lazily when they
 * answer Unprepared, transparently). */
mb_status mb_cql_prepare(mb_cql_cluster *cl, const char *cql,
                         mb_cql_prepared **out, mb_error *err);
void mb_cql_prepared_free(mb_cql_prepared *p);
size_t mb_cql_prepared_param_count(const mb_cql_prepared *p);
const char *mb_cql_prepared_param_name(const mb_cql_prepared *p, size_t i);
const mb_cql_type *mb_cql_prepared_param_type(const mb_cql_prepared *p,
                                              size_t i);

/* A simple statement with nparams '?' markers, or one of a prepared
 * statement (which must outlive it). NULL when out of memory. Defaults:
 * consistency ONE, no serial consistency, page size 5000, not idempotent. */
mb_cql_stmt *mb_cql_stmt_new(const char *cql, size_t nparams);
mb_cql_stmt *mb_cql_stmt_new_prepared(const mb_cql_prepared *p);
void mb_cql_stmt_free(mb_cql_stmt *st);
/* Binds parameter i (0-based); values start unset. */
mb_status mb_cql_stmt_bind(mb_cql_stmt *st, size_t i, const mb_cql_value *v,
                           mb_error *err);
/* Typed shortcuts of mb_cql_stmt_bind. */
mb_status mb_cql_stmt_bind_int(mb_cql_stmt *st, size_t i, int64_t v,
                               mb_error *err);
mb_status mb_cql_stmt_bind_double(mb_cql_stmt *st, size_t i, double v,
                                  mb_error *err);
mb_status mb_cql_stmt_bind_text(mb_cql_stmt *st, size_t i, const char *s,
                                mb_error *err);
mb_status mb_cql_stmt_bind_blob(mb_cql_stmt *st, size_t i, const void *p,
                                size_t n, mb_error *err);
mb_status mb_cql_stmt_bind_null(mb_cql_stmt *st, size_t i, mb_error *err);
void mb_cql_stmt_set_consistency(mb_cql_stmt *st, mb_cql_consistency cl);
void mb_cql_stmt_set_serial_consistency(mb_cql_stmt *st,
                                        mb_cql_consistency serial);
void mb_cql_stmt_set_page_size(mb_cql_stmt *st, int32_t rows); /* <=0: off */
/* Default write timestamp in microseconds (like USING TIMESTAMP). */
void mb_cql_stmt_set_timestamp(mb_cql_stmt *st, int64_t micros);
/* Idempotent statements are retried on another node after a lost
 * connection, a timeout, Overloaded or IsBootstrapping. */
void mb_cql_stmt_set_idempotent(mb_cql_stmt *st, bool idempotent);
/* Continue after the page res (res has more pages), or restart if NULL. */
mb_status mb_cql_stmt_set_paging_state(mb_cql_stmt *st,
                                       const mb_cql_result *res,
                                       mb_error *err);

/* Runs a statement and waits for its result. A schema change also waits
 * (20 s at most) until the live nodes agree on the schema version, as the
 * node that made the change sees them. */
mb_status mb_cql_execute(mb_cql_cluster *cl, const mb_cql_stmt *st,
                         mb_cql_result **out, mb_error *err);
/* Shortcut: a simple statement without parameters at level cl. */
mb_status mb_cql_query(mb_cql_cluster *cl, const char *cql,
                       mb_cql_consistency cons, mb_cql_result **out,
                       mb_error *err);

/* Async completion: status and (on success) the result, which the callback
 * owns; err describes failures. Runs on the I/O thread. */
typedef void mb_cql_callback(void *ctx, mb_status status, mb_cql_result *res,
                             const mb_error *err);

/* Sends a statement without waiting for it. Blocks while the cluster has
 * max_in_flight requests outstanding (back-pressure). cb may be NULL:
 * the result is dropped and a failure is remembered for mb_cql_wait_all. */
mb_status mb_cql_execute_async(mb_cql_cluster *cl, const mb_cql_stmt *st,
                               mb_cql_callback *cb, void *ctx, mb_error *err);
/* Waits until nothing is in flight. Fails with the first error of an
 * async request without callback since the last call (and counts them). */
mb_status mb_cql_wait_all(mb_cql_cluster *cl, mb_error *err);

/* Where the statement would go: the token of its routing key (when it has
 * one) and the first node of its query plan, "ip:port". */
mb_status mb_cql_route(mb_cql_cluster *cl, const mb_cql_stmt *st,
                       bool *has_token, int64_t *token, char host[64],
                       mb_error *err);

/* ---- batches --------------------------------------------------------- */

typedef enum mb_cql_batch_type {
    MB_CQL_BATCH_LOGGED = 0,
    MB_CQL_BATCH_UNLOGGED = 1,
    MB_CQL_BATCH_COUNTER = 2
} mb_cql_batch_type;

typedef struct mb_cql_batch mb_cql_batch;

mb_cql_batch *mb_cql_batch_new(mb_cql_batch_type type);
void mb_cql_batch_free(mb_cql_batch *b);
/* Adds a copy of the statement's text or prepared id and bound values
 * (its own consistency/paging settings are ignored). */
mb_status mb_cql_batch_add(mb_cql_batch *b, const mb_cql_stmt *st,
                           mb_error *err);
void mb_cql_batch_set_consistency(mb_cql_batch *b, mb_cql_consistency cl);
void mb_cql_batch_set_serial_consistency(mb_cql_batch *b,
                                         mb_cql_consistency serial);
void mb_cql_batch_set_timestamp(mb_cql_batch *b, int64_t micros);
void mb_cql_batch_set_idempotent(mb_cql_batch *b, bool idempotent);
mb_status mb_cql_batch_execute(mb_cql_cluster *cl, const mb_cql_batch *b,
                               mb_cql_result **out, mb_error *err);
mb_status mb_cql_batch_execute_async(mb_cql_cluster *cl, const mb_cql_batch *b,
                                     mb_cql_callback *cb, void *ctx,
                                     mb_error *err);

#endif
