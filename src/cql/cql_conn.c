/*
 * cql_conn.c - one non-blocking connection to a node (see cql_conn.h).
 *
 * The handshake (OPTIONS, STARTUP, AUTH_RESPONSE) uses a context of its
 * own (HANDSHAKE) so that its responses are consumed here; everything else
 * goes to the owner.
 */
#include "cql/cql_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

char mb_cql_conn_orphan_mark;
static char handshake_mark;
#define HANDSHAKE ((void *)&handshake_mark)

mb_status mb_cql_conn_open(mb_cql_conn *c, const struct sockaddr *addr,
                           socklen_t alen, const char *host, int max_streams,
                           const char *user, const char *password,
                           mb_error *err)
{
    mb_cql_conn_free(c);
    memset(c->host, 0, sizeof c->host);
    snprintf(c->host, sizeof c->host, "%s", host);
    c->user = user;
    c->password = password;
    c->max_streams = max_streams;
    c->slots = calloc((size_t)max_streams, sizeof *c->slots);
    c->free_ids = malloc((size_t)max_streams * sizeof *c->free_ids);
    if (!c->slots || !c->free_ids) {
        mb_cql_conn_free(c);
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
    /* hand out low ids first */
    for (int i = 0; i < max_streams; i++)
        c->free_ids[i] = (int16_t)(max_streams - 1 - i);
    c->nfree = max_streams;
    c->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   0);
    if (c->fd < 0) {
        mb_cql_conn_free(c);
        return mb_error_set(err, MB_EIO, "socket: %s", strerror(errno));
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, addr, alen) < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(c->fd);
        c->fd = -1;
        mb_cql_conn_free(c);
        return mb_error_set(err, MB_EUNAVAILABLE, "connect to %s: %s", host,
                            strerror(e));
    }
    c->state = MB_CQL_CONN_CONNECTING;
    return MB_OK;
}

short mb_cql_conn_want(const mb_cql_conn *c)
{
    if (c->state == MB_CQL_CONN_CLOSED)
        return 0;
    if (c->state == MB_CQL_CONN_CONNECTING)
        return POLLOUT;
    return (short)(POLLIN | (c->out.len > c->out_off ? POLLOUT : 0));
}

int mb_cql_conn_inflight(const mb_cql_conn *c)
{
    return c->max_streams - c->nfree;
}

mb_status mb_cql_conn_send(mb_cql_conn *c, uint8_t *frame, size_t len,
                           void *ctx, int16_t *stream, mb_error *err)
{
    if (!c->nfree)
        return mb_error_set(err, MB_EBUSY, "no free stream id on %s", c->host);
    int16_t id = c->free_ids[c->nfree - 1];
    mb_cql_frame_set_stream(frame, id);
    /* compact the output buffer before it grows */
    if (c->out_off && c->out_off == c->out.len)
        c->out.len = c->out_off = 0;
    mb_cql_put(&c->out, frame, len);
    if (c->out.oom) {
        c->out.oom = false;
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
    c->nfree--;
    c->slots[id] = ctx;
    if (stream)
        *stream = id;
    return MB_OK;
}

mb_status mb_cql_conn_flush(mb_cql_conn *c, mb_error *err)
{
    while (c->out_off < c->out.len) {
        ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off,
                         MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return mb_error_set(err, MB_EUNAVAILABLE, "write to %s: %s",
                                c->host, strerror(errno));
        }
        c->out_off += (size_t)n;
    }
    if (c->out_off == c->out.len)
        c->out.len = c->out_off = 0;
    return MB_OK;
}

static mb_status send_internal(mb_cql_conn *c, mb_cql_buf *b, mb_error *err)
{
    mb_status st = b->oom ? mb_error_set(err, MB_ENOMEM, "out of memory")
                          : mb_cql_conn_send(c, b->p, b->len, HANDSHAKE, NULL,
                                             err);
    mb_cql_buf_free(b);
    return st ? st : mb_cql_conn_flush(c, err);
}

/* A handshake response: SUPPORTED (to OPTIONS), then READY or
 * AUTHENTICATE (to STARTUP), AUTH_SUCCESS (to AUTH_RESPONSE), or ERROR. */
static mb_status handshake(mb_cql_conn *c, const mb_cql_header *h,
                           const uint8_t *body, size_t len,
                           const mb_cql_conn_handler *hd, void *owner,
                           mb_error *err)
{
    mb_cql_buf b = {0};
    char cls[256];
    switch (h->opcode) {
    case MB_CQL_OP_SUPPORTED:
        mb_cql_startup_encode(&b);
        return send_internal(c, &b, err);
    case MB_CQL_OP_READY:
    case MB_CQL_OP_AUTH_SUCCESS:
        c->state = MB_CQL_CONN_READY;
        hd->ready(owner, c);
        return MB_OK;
    case MB_CQL_OP_AUTHENTICATE:
        if (mb_cql_authenticate_decode(body, len, cls, sizeof cls, err))
            return err ? err->status : MB_EPROTO;
        if (!c->user)
            return mb_error_set(err, MB_EINVAL, "%s requires authentication "
                                "(%s): give a user and password", c->host,
                                cls);
        mb_cql_auth_plain_encode(&b, c->user, c->password ? c->password : "");
        return send_internal(c, &b, err);
    case MB_CQL_OP_ERROR: {
        mb_cql_server_error se;
        if (!mb_cql_error_decode(body, len, &se, err))
            mb_cql_error_status(&se, err);
        mb_error_prefix(err, "handshake with %s", c->host);
        /* a refused login is a usage problem, not an outage */
        return err ? err->status : MB_EPROTO;
    }
    default:
        return mb_error_set(err, MB_EPROTO, "unexpected opcode 0x%02x during "
                            "the handshake with %s", h->opcode, c->host);
    }
}

static mb_status dispatch(mb_cql_conn *c, const mb_cql_conn_handler *hd,
                          void *owner, mb_error *err)
{
    size_t off = 0;
    mb_status st = MB_OK;
    while (c->in_len - off >= MB_CQL_HEADER_SIZE) {
        mb_cql_header h;
        if ((st = mb_cql_header_decode(c->in + off, &h, err)))
            break;
        if (c->in_len - off - MB_CQL_HEADER_SIZE < h.length)
            break;
        const uint8_t *src = c->in + off + MB_CQL_HEADER_SIZE;
        off += MB_CQL_HEADER_SIZE + h.length;
        if (h.stream < 0) {
            if (h.opcode != MB_CQL_OP_EVENT)
                continue;
            uint8_t *body = malloc(h.length ? h.length : 1);
            if (!body) {
                st = mb_error_set(err, MB_ENOMEM, "out of memory");
                break;
            }
            memcpy(body, src, h.length);
            hd->event(owner, c, &h, body, h.length);
            continue;
        }
        if (h.stream >= c->max_streams || !c->slots[h.stream]) {
            st = mb_error_set(err, MB_EPROTO, "%s answered on stream %d, "
                              "which has no request", c->host, h.stream);
            break;
        }
        void *ctx = c->slots[h.stream];
        c->slots[h.stream] = NULL;
        c->free_ids[c->nfree++] = h.stream;
        if (ctx == MB_CQL_ORPHAN)
            continue;
        if (ctx == HANDSHAKE) {
            size_t boff = 0;
            st = mb_cql_body_prefix(h.flags, src, h.length, &boff, NULL, NULL,
                                    err);
            if (!st)
                st = handshake(c, &h, src + boff, h.length - boff, hd, owner,
                               err);
            if (st)
                break;
            continue;
        }
        uint8_t *body = malloc(h.length ? h.length : 1);
        if (!body) {
            st = mb_error_set(err, MB_ENOMEM, "out of memory");
            break;
        }
        memcpy(body, src, h.length);
        hd->response(owner, c, ctx, &h, body, h.length);
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    return st;
}

mb_status mb_cql_conn_io(mb_cql_conn *c, short revents,
                         const mb_cql_conn_handler *h, void *owner,
                         mb_error *err)
{
    if (c->state == MB_CQL_CONN_CONNECTING) {
        if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
            return MB_OK;
        int e = 0;
        socklen_t el = sizeof e;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
            e = errno;
        if (e)
            return mb_error_set(err, MB_EUNAVAILABLE, "connect to %s: %s",
                                c->host, strerror(e));
        c->state = MB_CQL_CONN_HANDSHAKE;
        mb_cql_buf b = {0};
        mb_cql_options_encode(&b);
        return send_internal(c, &b, err);
    }
    mb_status st;
    if ((revents & POLLOUT) && (st = mb_cql_conn_flush(c, err)))
        return st;
    if (!(revents & (POLLIN | POLLERR | POLLHUP)))
        return MB_OK;
    for (;;) {
        if (c->in_cap - c->in_len < 65536) {
            size_t cap = c->in_cap ? c->in_cap * 2 : 131072;
            uint8_t *p = realloc(c->in, cap);
            if (!p)
                return mb_error_set(err, MB_ENOMEM, "out of memory");
            c->in = p;
            c->in_cap = cap;
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return mb_error_set(err, MB_EUNAVAILABLE, "read from %s: %s",
                                c->host, strerror(errno));
        }
        if (n == 0)
            return mb_error_set(err, MB_EUNAVAILABLE, "%s closed the "
                                "connection", c->host);
        c->in_len += (size_t)n;
        if ((st = dispatch(c, h, owner, err)))
            return st;
        if (c->state == MB_CQL_CONN_CLOSED)
            break;
        /* keep the buffer small once a large frame has passed */
        if (c->in_len == 0 && c->in_cap > (1u << 22)) {
            free(c->in);
            c->in = NULL;
            c->in_cap = 0;
        }
    }
    return MB_OK;
}

void mb_cql_conn_close(mb_cql_conn *c, void (*each_ctx)(void *owner,
                                                        void *ctx),
                       void *owner)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = MB_CQL_CONN_CLOSED;
    for (int i = 0; c->slots && i < c->max_streams; i++) {
        void *ctx = c->slots[i];
        if (!ctx)
            continue;
        c->slots[i] = NULL;
        c->free_ids[c->nfree++] = (int16_t)i;
        if (ctx != MB_CQL_ORPHAN && ctx != HANDSHAKE && each_ctx)
            each_ctx(owner, ctx);
    }
    c->out.len = c->out_off = 0;
    c->in_len = 0;
}

void mb_cql_conn_free(mb_cql_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = MB_CQL_CONN_CLOSED;
    free(c->slots);
    free(c->free_ids);
    free(c->in);
    mb_cql_buf_free(&c->out);
    c->slots = NULL;
    c->free_ids = NULL;
    c->in = NULL;
    c->in_len = c->in_cap = 0;
    c->nfree = 0;
    c->out_off = 0;
}
