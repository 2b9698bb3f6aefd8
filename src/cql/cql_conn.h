/*
 * cql_conn.h - one non-blocking connection to one Cassandra node.
 *
 * A connection owns a socket, an output buffer, an input buffer and the
 * table of stream ids: each request sent gets a free stream id and an
 * opaque context pointer, handed back with the response. The handshake
 * (OPTIONS, STARTUP, then AUTHENTICATE/AUTH_RESPONSE with SASL PLAIN when the server
 * asks) runs inside the connection; the owner only sees READY. Nothing
 * here blocks or spawns threads: the owner (cql_cluster.c's I/O thread)
 * polls the fd for mb_cql_conn_want() and calls mb_cql_conn_io().
 */
#ifndef MB_CQL_CONN_H
#define MB_CQL_CONN_H

#include "cql/cql_codec.h"

#include <sys/socket.h>

typedef enum mb_cql_conn_state {
    MB_CQL_CONN_CLOSED,
    MB_CQL_CONN_CONNECTING,
    MB_CQL_CONN_HANDSHAKE,
    MB_CQL_CONN_READY
} mb_cql_conn_state;

typedef struct mb_cql_conn mb_cql_conn;

/* What the connection tells its owner. body is malloc'ed and handed over. */
typedef struct mb_cql_conn_handler {
    /* a response to a request sent with ctx */
    void (*response)(void *owner, mb_cql_conn *c, void *ctx,
                     const mb_cql_header *h, uint8_t *body, size_t len);
    /* an EVENT pushed by the server (stream -1) */
    void (*event)(void *owner, mb_cql_conn *c, const mb_cql_header *h,
                  uint8_t *body, size_t len);
    /* the handshake finished */
    void (*ready)(void *owner, mb_cql_conn *c);
} mb_cql_conn_handler;

struct mb_cql_conn {
    int fd;
    mb_cql_conn_state state;
    void *node;           /* the owner's node, untouched here */
    char host[64];        /* "ip:port" for messages */
    const char *user, *password;
    mb_cql_buf out;       /* frames not yet written */
    size_t out_off;
    uint8_t *in;          /* bytes read, not yet a whole frame */
    size_t in_len, in_cap;
    void **slots;         /* context per stream id, NULL when free */
    int16_t *free_ids;
    int nfree, max_streams;
    int64_t opened_ms;    /* when the connect started */
};

/* Marks a stream whose request was given up (timed out): its response is
 * dropped when it comes, then the id is free again. */
extern char mb_cql_conn_orphan_mark;
#define MB_CQL_ORPHAN ((void *)&mb_cql_conn_orphan_mark)

/* A new connection struct must start with fd = -1 (the rest zeroed).
 * Starts a non-blocking connect; user may be NULL (no credentials). */
mb_status mb_cql_conn_open(mb_cql_conn *c, const struct sockaddr *addr,
                           socklen_t alen, const char *host, int max_streams,
                           const char *user, const char *password,
                           mb_error *err);
/* poll() events the connection waits for. */
short mb_cql_conn_want(const mb_cql_conn *c);
/* Requests in flight (streams taken). */
int mb_cql_conn_inflight(const mb_cql_conn *c);
/* Queues a request frame (its stream id is set here); ctx comes back with
 * the response. MB_EBUSY when every stream id is taken. */
mb_status mb_cql_conn_send(mb_cql_conn *c, uint8_t *frame, size_t len,
                           void *ctx, int16_t *stream, mb_error *err);
/* Writes what it can without blocking. */
mb_status mb_cql_conn_flush(mb_cql_conn *c, mb_error *err);
/* Handles poll() results: finishes the connect, writes, reads and
 * dispatches complete frames. A failure means the connection is dead:
 * the owner closes it. */
mb_status mb_cql_conn_io(mb_cql_conn *c, short revents,
                         const mb_cql_conn_handler *h, void *owner,
                         mb_error *err);
/* Closes the socket; every context still waiting (not orphans) is handed
 * to each_ctx. Leaves the connection CLOSED and reusable. */
void mb_cql_conn_close(mb_cql_conn *c, void (*each_ctx)(void *owner,
                                                        void *ctx),
                       void *owner);
/* Frees the buffers of a closed connection. */
void mb_cql_conn_free(mb_cql_conn *c);

#endif
