/*
 * cql_codec.h - native protocol v4 frames and messages, without any I/O.
 *
 * The byte level of the CQL client: a growing write buffer and a bounds-
 * checked reader for the protocol's notations ([int], [string], [bytes]...),
 * the 9-byte frame header, request bodies (STARTUP, QUERY parameters...),
 * and decoders for every response the client reads (RESULT with its kinds,
 * ERROR mapped onto mb_status, EVENT, AUTHENTICATE, SUPPORTED). Values of
 * the CQL types (encode for bound values, decode for cells) live in
 * cql_types.c. Everything here works on memory only, so it is unit-tested
 * and fuzzed without a server; cql_conn.c and cql_cluster.c do the I/O.
 */
#ifndef MB_CQL_CODEC_H
#define MB_CQL_CODEC_H

#include "cql/cql.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    MB_CQL_VERSION = 0x04,
    MB_CQL_HEADER_SIZE = 9,
    MB_CQL_MAX_BODY = 256 * 1024 * 1024,
    MB_CQL_MAX_TYPE_DEPTH = 16
};

typedef enum mb_cql_opcode {
    MB_CQL_OP_ERROR = 0x00,
    MB_CQL_OP_STARTUP = 0x01,
    MB_CQL_OP_READY = 0x02,
    MB_CQL_OP_AUTHENTICATE = 0x03,
    MB_CQL_OP_OPTIONS = 0x05,
    MB_CQL_OP_SUPPORTED = 0x06,
    MB_CQL_OP_QUERY = 0x07,
    MB_CQL_OP_RESULT = 0x08,
    MB_CQL_OP_PREPARE = 0x09,
    MB_CQL_OP_EXECUTE = 0x0A,
    MB_CQL_OP_REGISTER = 0x0B,
    MB_CQL_OP_EVENT = 0x0C,
    MB_CQL_OP_BATCH = 0x0D,
    MB_CQL_OP_AUTH_CHALLENGE = 0x0E,
    MB_CQL_OP_AUTH_RESPONSE = 0x0F,
    MB_CQL_OP_AUTH_SUCCESS = 0x10
} mb_cql_opcode;

enum {
    MB_CQL_FLAG_COMPRESSION = 0x01,
    MB_CQL_FLAG_TRACING = 0x02,
    MB_CQL_FLAG_CUSTOM_PAYLOAD = 0x04,
    MB_CQL_FLAG_WARNING = 0x08
};

/* ---- write buffer ---------------------------------------------------- */

/* A growing byte buffer. Writers never fail: an allocation failure sets
 * oom and later writes are dropped; check oom once at the end. */
typedef struct mb_cql_buf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
} mb_cql_buf;

void mb_cql_buf_free(mb_cql_buf *b);
bool mb_cql_buf_reserve(mb_cql_buf *b, size_t extra);
void mb_cql_put(mb_cql_buf *b, const void *p, size_t n);
void mb_cql_put_byte(mb_cql_buf *b, uint8_t v);
void mb_cql_put_short(mb_cql_buf *b, uint16_t v);
void mb_cql_put_int(mb_cql_buf *b, int32_t v);
void mb_cql_put_long(mb_cql_buf *b, int64_t v);
void mb_cql_put_string(mb_cql_buf *b, const char *s);       /* [string] */
void mb_cql_put_long_string(mb_cql_buf *b, const char *s);  /* [long string] */
void mb_cql_put_bytes(mb_cql_buf *b, const void *p, int32_t n); /* n<0: null */
void mb_cql_put_short_bytes(mb_cql_buf *b, const void *p, uint16_t n);
void mb_cql_set_int_at(mb_cql_buf *b, size_t at, int32_t v);

/* ---- reader ---------------------------------------------------------- */

/* A bounds-checked cursor. Reading past the end sets bad and yields
 * zeros/empty; check bad once after a sequence of reads. */
typedef struct mb_cql_rd {
    const uint8_t *p;
    size_t len, pos;
    bool bad;
} mb_cql_rd;

uint8_t mb_cql_get_byte(mb_cql_rd *r);
uint16_t mb_cql_get_short(mb_cql_rd *r);
int32_t mb_cql_get_int(mb_cql_rd *r);
int64_t mb_cql_get_long(mb_cql_rd *r);
const uint8_t *mb_cql_get_raw(mb_cql_rd *r, size_t n);
/* [string]: pointer into the input (not NUL-terminated) and length. */
const char *mb_cql_get_string(mb_cql_rd *r, size_t *n);
/* [bytes]: returns the length (-1 for null) and the data in *p. */
int32_t mb_cql_get_bytes(mb_cql_rd *r, const uint8_t **p);
/* [short bytes] */
const uint8_t *mb_cql_get_short_bytes(mb_cql_rd *r, size_t *n);

/* ---- arena: all the small pieces of one decoded message -------------- */

typedef struct mb_cql_arena {
    struct arena_chunk *head;
} mb_cql_arena;

void *mb_cql_arena_alloc(mb_cql_arena *a, size_t n); /* zeroed */
char *mb_cql_arena_strndup(mb_cql_arena *a, const char *s, size_t n);
void mb_cql_arena_free(mb_cql_arena *a);

/* ---- frame header ---------------------------------------------------- */

typedef struct mb_cql_header {
    uint8_t version; /* 0x04 request, 0x84 response */
    uint8_t flags;
    int16_t stream;
    uint8_t opcode;
    uint32_t length;
} mb_cql_header;

void mb_cql_header_encode(uint8_t out[MB_CQL_HEADER_SIZE],
                          const mb_cql_header *h);
/* Decodes and checks a response header (version 0x84, length limit). */
mb_status mb_cql_header_decode(const uint8_t in[MB_CQL_HEADER_SIZE],
                               mb_cql_header *h, mb_error *err);
/* Starts a request frame in b: header with length 0, to be fixed up by
 * mb_cql_frame_finish once the body is written. */
void mb_cql_frame_begin(mb_cql_buf *b, mb_cql_opcode op);
void mb_cql_frame_finish(mb_cql_buf *b);
/* Stream id of a frame that starts at p. */
void mb_cql_frame_set_stream(uint8_t *frame, int16_t stream);

/* ---- type descriptions ----------------------------------------------- */

/* Reads an [option] type (recursively, depth-limited) into the arena. */
const mb_cql_type *mb_cql_type_read(mb_cql_rd *r, mb_cql_arena *a, int depth);
/* Writes "map<text, list<int>>" into dst (cut to n). */
void mb_cql_type_describe(const mb_cql_type *t, char *dst, size_t n);

/* ---- values (cql_types.c) -------------------------------------------- */

/* Appends v as a [value] (int length + bytes) converted to target (may be
 * NULL: v's own hint or default type). */
mb_status mb_cql_value_encode(mb_cql_buf *b, const mb_cql_type *target,
                              const mb_cql_value *v, mb_error *err);
/* Decimal digits <-> varint two's complement. */
mb_status mb_cql_varint_from_text(mb_cql_buf *b, const char *s, size_t n,
                                  mb_error *err);
bool mb_cql_varint_to_text(mb_cql_buf *b, const uint8_t *p, size_t n);

/* ---- responses ------------------------------------------------------- */

typedef struct mb_cql_column {
    const char *keyspace, *table, *name;
    const mb_cql_type *type;
} mb_cql_column;

typedef struct mb_cql_meta {
    int32_t flags;
    size_t ncols;
    mb_cql_column *cols; /* NULL with No_metadata */
    const uint8_t *paging_state;
    int32_t paging_len; /* <0: none */
    size_t npk;
    uint16_t *pk; /* PREPARED bind metadata only */
} mb_cql_meta;

struct mb_cql_result {
    mb_cql_result_kind kind;
    uint8_t *body; /* the frame body, owned; cells point into it */
    size_t body_len;
    mb_cql_arena arena;
    mb_cql_meta meta;         /* ROWS; PREPARED: result metadata */
    size_t nrows;
    mb_cql_cell *cells;       /* nrows * meta.ncols */
    mb_cql_meta bind;         /* PREPARED: bound variables */
    const uint8_t *prepared_id;
    size_t prepared_id_len;
    const char *info;         /* SET_KEYSPACE / SCHEMA_CHANGE text */
    const char **warnings;    /* NULL-terminated */
    char host[64];
};

/* Skips the tracing id, warnings and custom payload a response may start
 * with, according to its header flags; returns the offset of the message
 * proper. warnings (may be NULL) gets the warning list in the arena. */
mb_status mb_cql_body_prefix(uint8_t flags, const uint8_t *body, size_t len,
                             size_t *offset, mb_cql_arena *a,
                             const char ***warnings, mb_error *err);

/* Decodes a RESULT frame body (taking ownership of body, which must come
 * from malloc, even on failure). */
mb_status mb_cql_result_decode(uint8_t flags, uint8_t *body, size_t len,
                               mb_cql_result **out, mb_error *err);

/* A decoded ERROR message. */
typedef struct mb_cql_server_error {
    int32_t code;
    char message[512];
    uint16_t cl;
    int32_t received, blockfor, alive, numfailures;
    bool data_present;
    char write_type[32];
    char keyspace[64], table[64];
    uint8_t unprepared_id[64];
    size_t unprepared_len;
} mb_cql_server_error;

enum {
    MB_CQL_ERR_SERVER = 0x0000,
    MB_CQL_ERR_PROTOCOL = 0x000A,
    MB_CQL_ERR_AUTH = 0x0100,
    MB_CQL_ERR_UNAVAILABLE = 0x1000,
    MB_CQL_ERR_OVERLOADED = 0x1001,
    MB_CQL_ERR_BOOTSTRAPPING = 0x1002,
    MB_CQL_ERR_TRUNCATE = 0x1003,
    MB_CQL_ERR_WRITE_TIMEOUT = 0x1100,
    MB_CQL_ERR_READ_TIMEOUT = 0x1200,
    MB_CQL_ERR_READ_FAILURE = 0x1300,
    MB_CQL_ERR_FUNCTION_FAILURE = 0x1400,
    MB_CQL_ERR_WRITE_FAILURE = 0x1500,
    MB_CQL_ERR_SYNTAX = 0x2000,
    MB_CQL_ERR_UNAUTHORIZED = 0x2100,
    MB_CQL_ERR_INVALID = 0x2200,
    MB_CQL_ERR_CONFIG = 0x2300,
    MB_CQL_ERR_ALREADY_EXISTS = 0x2400,
    MB_CQL_ERR_UNPREPARED = 0x2500
};

/* Decodes an ERROR body (after the prefix). */
mb_status mb_cql_error_decode(const uint8_t *body, size_t len,
                              mb_cql_server_error *out, mb_error *err);
/* Maps a server error onto a status with a clear message in err, e.g.
 * MB_EUNAVAILABLE "Unavailable: cl=QUORUM required=2 alive=1". */
mb_status mb_cql_error_status(const mb_cql_server_error *se, mb_error *err);

/* A decoded EVENT message. */
typedef struct mb_cql_event {
    char type[32];   /* TOPOLOGY_CHANGE, STATUS_CHANGE, SCHEMA_CHANGE */
    char change[32]; /* NEW_NODE, REMOVED_NODE, UP, DOWN, CREATED ... */
    char addr[64];   /* "ip:port" for topology/status */
    char target[96]; /* schema: "TABLE ks.t" */
} mb_cql_event;

mb_status mb_cql_event_decode(const uint8_t *body, size_t len,
                              mb_cql_event *out, mb_error *err);

/* [string] of AUTHENTICATE (the authenticator class). */
mb_status mb_cql_authenticate_decode(const uint8_t *body, size_t len,
                                     char *cls, size_t n, mb_error *err);

/* ---- requests -------------------------------------------------------- */

/* OPTIONS (empty body). */
void mb_cql_options_encode(mb_cql_buf *b);
/* STARTUP with CQL_VERSION 3.0.0. */
void mb_cql_startup_encode(mb_cql_buf *b);
/* AUTH_RESPONSE with a SASL PLAIN token "\0user\0password". */
void mb_cql_auth_plain_encode(mb_cql_buf *b, const char *user,
                              const char *password);
/* REGISTER for the given event types. */
void mb_cql_register_encode(mb_cql_buf *b, const char *const *types,
                            size_t n);
/* PREPARE / simple QUERY without values. */
void mb_cql_prepare_encode(mb_cql_buf *b, const char *cql);
void mb_cql_simple_query_encode(mb_cql_buf *b, const char *cql,
                                mb_cql_consistency cl);

#endif
