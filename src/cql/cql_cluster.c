/*
 * cql_cluster.c - nodes, pools, routing and the I/O thread of the CQL
 * client (the cluster half of cql.h).
 *
 * Design. One dedicated I/O thread per cluster owns every socket and
 * every node's state; it runs a poll() loop over the connections plus an
 * eventfd that callers use to wake it. Callers never touch a socket:
 *
 *   caller thread                        I/O thread
 *   encode frame (cql_stmt.c)
 *   wait while in_flight == max  --->    take submitted requests
 *   push to the submit queue             pick node (token ring) + conn,
 *   wake the eventfd                     assign a stream id, write
 *   (sync: wait for done flag)           read frames, decode RESULT/ERROR,
 *                                        retry / re-prepare / complete:
 *                                        callback or wake the waiter
 *
 * Back-pressure: in_flight counts requests from submission to completion;
 * a submitter blocks on a condition variable while it is at max_in_flight,
 * so a fast producer cannot queue unbounded memory.
 *
 * Cluster awareness: the first connection that becomes ready is the
 * control connection: it REGISTERs for STATUS_CHANGE and TOPOLOGY_CHANGE
 * and reads system.local and system.peers_v2 (system.peers on servers that
 * lack it) to learn nodes, datacenters and tokens. Events update node state
 * (UP reconnects, DOWN closes the pool) or re-read the peers. A node whose
 * connection fails is marked down and retried with exponential backoff.
 *
 * Routing: a statement with a routing key (prepared, every partition key
 * column bound) goes to the node owning its token on the ring (the first
 * node token >= the key's token), then to the following distinct nodes;
 * others go round-robin. Nodes of local_dc come first when it is set.
 * Idempotent requests move to the next node after a lost connection, a
 * client timeout, Overloaded or IsBootstrapping; others fail. Unprepared
 * answers re-prepare the statement on that node and send it again.
 * After a synchronous schema change the caller waits until the node that
 * made the change and its live peers report one schema version
 * (system.local/peers), so the next statement sees the change whichever
 * node runs it.
 */
#include "cql/cql_conn.h"
#include "cql/cql_stmt.h"
#include "cql/murmur3.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

typedef struct node {
    char host[64];                /* "ip:port" */
    struct sockaddr_storage addr;
    socklen_t alen;
    char dc[64], rack[64];
    bool up, removed;
    int64_t *tokens;
    size_t ntokens;
    mb_cql_conn *pool;
    int64_t next_attempt_ms;
    int backoff_ms;
    unsigned rr;
} node;

typedef struct ring_entry {
    int64_t token;
    node *n;
} ring_entry;

typedef struct req req;
typedef void internal_fn(mb_cql_cluster *cl, req *r, mb_status st,
                         mb_cql_result *res, mb_error *err);

typedef struct sync_wait {
    bool done;
    mb_status st;
    mb_cql_result *res;
    mb_error err;
} sync_wait;

struct req {
    mb_cql_request rq;
    mb_cql_callback *cb;
    void *ctx;
    sync_wait *wait;
    internal_fn *internal;   /* requests of the client itself */
    req *parent;             /* a re-prepare: the request to resend */
    const char *internal_query;
    const mb_cql_prepared *reprep; /* a re-prepare: the statement */
    node *force_node;        /* send to this node only (next send) */
    bool pinned;             /* force_node for good: asked for by the caller
                              * (system queries); a re-prepared request is
                              * only sent once to where it was prepared */
    mb_cql_conn *force_conn; /* REGISTER and discovery: this connection */
    uint64_t tried;          /* bit i: node i failed this request */
    int attempts, reprepares;
    int64_t deadline_ms;
    mb_cql_conn *conn;       /* while sent */
    node *sent_to;
    int16_t stream;
    req *prev, *next;        /* in the pending or in-flight list */
};

typedef struct req_list {
    req *head, *tail;
} req_list;

struct mb_cql_cluster {
    mb_cql_config cfg;
    char *contacts, *user, *password, *local_dc;

    pthread_mutex_t mu;
    pthread_cond_t cv;        /* completions, space, discovery */
    req_list submitted;       /* guarded by mu */
    int in_flight;            /* guarded by mu */
    bool stop;
    bool discovered, fatal;
    mb_cql_stats stats;       /* guarded by mu */
    mb_error open_err;        /* why opening failed */
    mb_status first_async_err;
    mb_error async_err;
    long async_failures;

    node *control_node;       /* node of the control connection (mu) */
    node **nodes;             /* nodes and ring: written by the I/O thread
                               * under mu, read by others under mu */
    size_t nnodes, ncontacts;
    ring_entry *ring;
    size_t nring;

    /* I/O thread only */
    pthread_t thread;
    int wake_fd;
    req_list pending, flight;
    mb_cql_conn *control;
    mb_error *closing_why;    /* while close_conn hands back requests */
    bool refreshing, refresh_again;
    unsigned rr;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void list_push(req_list *l, req *r)
{
    r->next = NULL;
    r->prev = l->tail;
    if (l->tail)
        l->tail->next = r;
    else
        l->head = r;
    l->tail = r;
}

static void list_push_front(req_list *l, req *r)
{
    r->prev = NULL;
    r->next = l->head;
    if (l->head)
        l->head->prev = r;
    else
        l->tail = r;
    l->head = r;
}

static void list_remove(req_list *l, req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        l->head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        l->tail = r->prev;
    r->prev = r->next = NULL;
}

static void wake(mb_cql_cluster *cl)
{
    uint64_t one = 1;
    ssize_t n = write(cl->wake_fd, &one, sizeof one);
    (void)n; /* a full counter wakes the loop just the same */
}

/* ---- node table ------------------------------------------------------ */

static size_t node_index(mb_cql_cluster *cl, const node *n)
{
    for (size_t i = 0; i < cl->nnodes; i++)
        if (cl->nodes[i] == n)
            return i;
    return 0;
}

static node *node_find(mb_cql_cluster *cl, const char *host)
{
    for (size_t i = 0; i < cl->nnodes; i++)
        if (!strcmp(cl->nodes[i]->host, host))
            return cl->nodes[i];
    return NULL;
}

/* Resolves "host[:port]" (IPv6 as [addr]:port). */
static mb_status resolve(const char *spec, int defport, char *host, size_t hn,
                         struct sockaddr_storage *ss, socklen_t *alen,
                         mb_error *err)
{
    char name[256], port[16];
    const char *colon = strrchr(spec, ':');
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close)
            return mb_error_set(err, MB_EINVAL, "bad address '%s'", spec);
        snprintf(name, sizeof name, "%.*s", (int)(close - spec - 1), spec + 1);
        colon = close[1] == ':' ? close + 1 : NULL;
    } else if (colon && strchr(spec, ':') != colon) {
        colon = NULL; /* bare IPv6 */
        snprintf(name, sizeof name, "%s", spec);
    } else {
        snprintf(name, sizeof name, "%.*s",
                 (int)(colon ? (size_t)(colon - spec) : strlen(spec)), spec);
    }
    snprintf(port, sizeof port, "%d", colon ? atoi(colon + 1) : defport);
    struct addrinfo hints = {0}, *ai;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(name, port, &hints, &ai);
    if (rc)
        return mb_error_set(err, MB_EINVAL, "cannot resolve '%s': %s", spec,
                            gai_strerror(rc));
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *alen = ai->ai_addrlen;
    char ip[INET6_ADDRSTRLEN + 2];
    getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, sizeof ip, NULL, 0,
                NI_NUMERICHOST);
    if (ai->ai_family == AF_INET6)
        snprintf(host, hn, "[%s]:%s", ip, port);
    else
        snprintf(host, hn, "%s:%s", ip, port);
    freeaddrinfo(ai);
    return MB_OK;
}

/* Adds a node (I/O thread or open, under mu). */
static node *node_add(mb_cql_cluster *cl, const char *spec, int defport,
                      mb_error *err)
{
    node tmp = {0};
    if (resolve(spec, defport, tmp.host, sizeof tmp.host, &tmp.addr,
                &tmp.alen, err))
        return NULL;
    node *n = node_find(cl, tmp.host);
    if (n)
        return n;
    node **nodes = realloc(cl->nodes, (cl->nnodes + 1) * sizeof *nodes);
    if (!nodes)
        goto oom;
    cl->nodes = nodes;
    n = calloc(1, sizeof *n);
    if (!n)
        goto oom;
    *n = tmp;
    n->pool = calloc((size_t)cl->cfg.pool_size, sizeof *n->pool);
    if (!n->pool) {
        free(n);
        goto oom;
    }
    for (int i = 0; i < cl->cfg.pool_size; i++) {
        n->pool[i].fd = -1;
        n->pool[i].node = n;
    }
    n->up = true;
    n->backoff_ms = 500;
    cl->nodes[cl->nnodes++] = n;
    return n;
oom:
    mb_error_set(err, MB_ENOMEM, "out of memory");
    return NULL;
}

static int cmp_ring(const void *a, const void *b)
{
    const ring_entry *x = a, *y = b;
    return x->token < y->token ? -1 : x->token > y->token;
}

/* Rebuilds the token ring from the nodes' tokens (caller holds mu). */
static void ring_rebuild(mb_cql_cluster *cl)
{
    size_t total = 0;
    for (size_t i = 0; i < cl->nnodes; i++)
        if (!cl->nodes[i]->removed)
            total += cl->nodes[i]->ntokens;
    ring_entry *r = malloc((total ? total : 1) * sizeof *r);
    if (!r)
        return; /* keep the old ring */
    size_t k = 0;
    for (size_t i = 0; i < cl->nnodes; i++)
        for (size_t t = 0; !cl->nodes[i]->removed &&
                           t < cl->nodes[i]->ntokens; t++)
            r[k++] = (ring_entry){cl->nodes[i]->tokens[t], cl->nodes[i]};
    qsort(r, k, sizeof *r, cmp_ring);
    free(cl->ring);
    cl->ring = r;
    cl->nring = k;
}

static bool node_has_ready(const node *n, int pool)
{
    for (int i = 0; i < pool; i++)
        if (n->pool[i].state == MB_CQL_CONN_READY)
            return true;
    return false;
}

/* The query plan: nodes in the order to try them (caller holds mu or is
 * the I/O thread). Returns how many were written to plan. */
static size_t query_plan(mb_cql_cluster *cl, bool has_token, int64_t token,
                         unsigned rr, node **plan, size_t max)
{
    size_t n = 0;
    if (has_token && cl->nring) {
        size_t lo = 0, hi = cl->nring;
        while (lo < hi) { /* first ring token >= token */
            size_t mid = (lo + hi) / 2;
            if (cl->ring[mid].token < token)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t k = 0; k < cl->nring && n < max; k++) {
            node *x = cl->ring[(lo + k) % cl->nring].n;
            size_t j = 0;
            while (j < n && plan[j] != x)
                j++;
            if (j == n)
                plan[n++] = x;
        }
    }
    size_t start = cl->nnodes ? rr % cl->nnodes : 0;
    for (size_t k = 0; k < cl->nnodes && n < max; k++) {
        node *x = cl->nodes[(start + k) % cl->nnodes];
        size_t j = 0;
        while (j < n && plan[j] != x)
            j++;
        if (j == n && !x->removed)
            plan[n++] = x;
    }
    if (cl->local_dc) { /* stable partition: local datacenter first */
        node *tmp[64];
        size_t t = 0;
        for (size_t j = 0; j < n; j++)
            if (!strcmp(plan[j]->dc, cl->local_dc) || !plan[j]->dc[0])
                tmp[t++] = plan[j];
        for (size_t j = 0; j < n; j++)
            if (!(!strcmp(plan[j]->dc, cl->local_dc) || !plan[j]->dc[0]))
                tmp[t++] = plan[j];
        memcpy(plan, tmp, n * sizeof *plan);
    }
    return n;
}

/* ---- completing requests --------------------------------------------- */

static void req_free(req *r)
{
    mb_cql_request_free(&r->rq);
    free(r);
}

/* Finishes a request: internal handler, waiter or callback. */
static void finish(mb_cql_cluster *cl, req *r, mb_status st,
                   mb_cql_result *res, mb_error *err)
{
    if (r->internal) {
        r->internal(cl, r, st, res, err);
        req_free(r);
        return;
    }
    if (r->wait) {
        pthread_mutex_lock(&cl->mu);
        r->wait->st = st;
        r->wait->res = res;
        if (st)
            r->wait->err = *err;
        r->wait->done = true;
        cl->in_flight--;
        cl->stats.completed++;
        cl->stats.failed += st != MB_OK;
        pthread_cond_broadcast(&cl->cv);
        pthread_mutex_unlock(&cl->mu);
        req_free(r);
        return;
    }
    if (r->cb) {
        r->cb(r->ctx, st, res, st ? err : NULL);
    } else {
        mb_cql_result_free(res);
    }
    pthread_mutex_lock(&cl->mu);
    cl->stats.completed++;
    cl->stats.failed += st != MB_OK;
    if (st && !r->cb) {
        if (!cl->async_failures++) {
            cl->first_async_err = st;
            cl->async_err = *err;
        }
    }
    cl->in_flight--;
    pthread_cond_broadcast(&cl->cv);
    pthread_mutex_unlock(&cl->mu);
    req_free(r);
}

/* Idempotent, under the attempt limit, and some other node is left. */
static bool retryable(const mb_cql_cluster *cl, const req *r)
{
    if (!r->rq.idempotent || r->internal || r->pinned || r->attempts >= 3)
        return false;
    for (size_t i = 0; i < cl->nnodes; i++)
        if (!cl->nodes[i]->removed && cl->nodes[i]->up &&
            !(r->tried >> (i % 64) & 1))
            return true;
    return false;
}

/* The request failed on node n: retry it elsewhere when allowed. */
static void fail_or_retry(mb_cql_cluster *cl, req *r, node *n, mb_status st,
                          mb_error *err)
{
    if (n)
        r->tried |= (uint64_t)1 << (node_index(cl, n) % 64);
    if (retryable(cl, r)) {
        pthread_mutex_lock(&cl->mu);
        cl->stats.retried++;
        pthread_mutex_unlock(&cl->mu);
        r->attempts++;
        r->force_node = NULL; /* re-prepared there: elsewhere now */
        r->deadline_ms = 0;
        list_push_front(&cl->pending, r);
        return;
    }
    finish(cl, r, st, NULL, err);
}

/* ---- sending --------------------------------------------------------- */

static mb_cql_conn *least_busy(mb_cql_cluster *cl, node *n)
{
    mb_cql_conn *best = NULL;
    for (int i = 0; i < cl->cfg.pool_size; i++) {
        mb_cql_conn *c = &n->pool[i];
        if (c->state == MB_CQL_CONN_READY && c->nfree &&
            (!best || c->nfree > best->nfree))
            best = c;
    }
    return best;
}

/* Tries to send r; false when no connection can take it now. */
static bool try_send(mb_cql_cluster *cl, req *r, mb_error *err)
{
    mb_cql_conn *c = NULL;
    if (r->force_conn) {
        c = r->force_conn->state == MB_CQL_CONN_READY ? r->force_conn : NULL;
        if (!c) {
            mb_error_set(err, MB_EUNAVAILABLE, "control connection lost");
            finish(cl, r, MB_EUNAVAILABLE, NULL, err);
            return true;
        }
    } else if (r->force_node && r->pinned && !r->force_node->up) {
        mb_error_set(err, MB_EUNAVAILABLE, "%s is down", r->force_node->host);
        finish(cl, r, MB_EUNAVAILABLE, NULL, err);
        return true;
    } else if (r->force_node && r->force_node->up) {
        c = least_busy(cl, r->force_node);
    } else {
        r->force_node = NULL; /* re-prepared on a node now down */
        node *plan[64];
        size_t n = query_plan(cl, r->rq.has_token, r->rq.token, cl->rr++,
                              plan, 64);
        for (size_t i = 0; i < n && !c; i++) {
            if (!plan[i]->up || (r->tried >> (node_index(cl, plan[i]) % 64) & 1))
                continue;
            c = least_busy(cl, plan[i]);
        }
    }
    if (!c)
        return false;
    if (mb_cql_conn_send(c, r->rq.frame.p, r->rq.frame.len, r, &r->stream,
                         err))
        return false;
    r->conn = c;
    r->sent_to = c->node;
    r->deadline_ms = now_ms() + cl->cfg.request_timeout_ms;
    list_push(&cl->flight, r);
    return true;
}

/* Is any node still able to come up soon (connecting, or due)? */
static bool any_hope(mb_cql_cluster *cl)
{
    for (size_t i = 0; i < cl->nnodes; i++) {
        node *n = cl->nodes[i];
        for (int k = 0; k < cl->cfg.pool_size; k++)
            if (n->pool[k].state != MB_CQL_CONN_CLOSED)
                return true;
    }
    return false;
}

/* Sends what can be sent; handlers may queue more while this runs. */
static void dispatch_pending(mb_cql_cluster *cl)
{
    mb_error err;
    bool progress = true;
    while (progress && cl->pending.head) {
        req_list todo = cl->pending, stuck = {0};
        cl->pending = (req_list){0};
        progress = false;
        for (req *r = todo.head, *next; r; r = next) {
            next = r->next;
            r->prev = r->next = NULL;
            if (try_send(cl, r, &err))
                progress = true;
            else
                list_push(&stuck, r);
        }
        for (req *r = stuck.head, *next; r; r = next) {
            next = r->next;
            list_push(&cl->pending, r);
        }
    }
}

/* ---- responses ------------------------------------------------------- */

static void close_conn(mb_cql_cluster *cl, mb_cql_conn *c, mb_error *why);
static internal_fn got_local, got_peers, registered, reprepared;

static void on_response(void *owner, mb_cql_conn *c, void *ctx,
                        const mb_cql_header *h, uint8_t *body, size_t len)
{
    mb_cql_cluster *cl = owner;
    req *r = ctx;
    node *n = c->node;
    mb_error err;
    mb_error_clear(&err);
    list_remove(&cl->flight, r);
    r->conn = NULL;
    if (h->opcode == MB_CQL_OP_RESULT) {
        mb_cql_result *res;
        mb_status st = mb_cql_result_decode(h->flags, body, len, &res, &err);
        if (!st)
            snprintf(res->host, sizeof res->host, "%s", n->host);
        finish(cl, r, st, st ? NULL : res, &err);
        return;
    }
    if (h->opcode == MB_CQL_OP_READY && r->internal) {
        free(body);
        finish(cl, r, MB_OK, NULL, &err);
        return;
    }
    if (h->opcode != MB_CQL_OP_ERROR) {
        free(body);
        mb_error_set(&err, MB_EPROTO, "unexpected opcode 0x%02x from %s",
                     h->opcode, n->host);
        finish(cl, r, MB_EPROTO, NULL, &err);
        return;
    }
    size_t off = 0;
    mb_cql_server_error se;
    mb_status st = mb_cql_body_prefix(h->flags, body, len, &off, NULL, NULL,
                                      &err);
    if (!st)
        st = mb_cql_error_decode(body + off, len - off, &se, &err);
    free(body);
    if (st) {
        finish(cl, r, st, NULL, &err);
        return;
    }
    st = mb_cql_error_status(&se, &err);
    mb_error_prefix(&err, "%s", n->host);
    if (se.code == MB_CQL_ERR_UNPREPARED && r->rq.npreps &&
        r->reprepares < 2 + r->attempts) { /* once or twice per node tried */
        const mb_cql_prepared *p = NULL;
        for (size_t i = 0; i < r->rq.npreps && !p; i++) {
            size_t idn;
            const uint8_t *id = mb_cql_prepared_id(r->rq.preps[i], &idn);
            if (idn == se.unprepared_len && !memcmp(id, se.unprepared_id, idn))
                p = r->rq.preps[i];
        }
        req *child = p ? calloc(1, sizeof *child) : NULL;
        if (child) {
            r->reprepares++;
            mb_cql_prepare_encode(&child->rq.frame, mb_cql_prepared_query(p));
            child->reprep = p;
            child->parent = r;
            child->force_node = n;
            child->pinned = true;
            child->internal = reprepared;
            if (!child->rq.frame.oom) {
                list_push_front(&cl->pending, child);
                return;
            }
            req_free(child);
        }
    }
    if (se.code == MB_CQL_ERR_OVERLOADED ||
        se.code == MB_CQL_ERR_BOOTSTRAPPING) {
        fail_or_retry(cl, r, n, st, &err);
        return;
    }
    finish(cl, r, st, NULL, &err);
}

/* A re-prepare finished: send the parent again to the same node. */
static void reprepared(mb_cql_cluster *cl, req *child, mb_status st,
                mb_cql_result *res, mb_error *err)
{
    req *parent = child->parent;
    const mb_cql_prepared *p = child->reprep;
    if (!st) {
        size_t idn;
        const uint8_t *id = mb_cql_prepared_id(p, &idn);
        if (res->kind != MB_CQL_RESULT_PREPARED ||
            res->prepared_id_len != idn || memcmp(res->prepared_id, id, idn))
            st = mb_error_set(err, MB_EPROTO, "re-preparing on %s gave a "
                              "different statement id (the schema changed?)",
                              child->force_node->host);
    }
    mb_cql_result_free(res);
    if (st == MB_EUNAVAILABLE || st == MB_ETIMEOUT) { /* the node, not the
                                                       * statement */
        fail_or_retry(cl, parent, child->force_node, st, err);
        return;
    }
    if (st) {
        finish(cl, parent, st, NULL, err);
        return;
    }
    parent->force_node = child->force_node;
    parent->deadline_ms = 0;
    list_push_front(&cl->pending, parent);
}

/* ---- topology -------------------------------------------------------- */

static void send_internal(mb_cql_cluster *cl, mb_cql_conn *c, const char *q,
                          internal_fn *fn, bool is_register)
{
    req *r = calloc(1, sizeof *r);
    if (!r)
        return;
    if (is_register) {
        static const char *const types[] = {"STATUS_CHANGE",
                                            "TOPOLOGY_CHANGE"};
        mb_cql_register_encode(&r->rq.frame, types, 2);
    } else {
        mb_cql_simple_query_encode(&r->rq.frame, q, MB_CQL_ONE);
    }
    r->internal = fn;
    r->force_conn = c;
    r->internal_query = q;
    if (r->rq.frame.oom) {
        req_free(r);
        return;
    }
    list_push_front(&cl->pending, r);
}

static char *cell_text(const mb_cql_result *res, size_t row, const char *col)
{
    long k = mb_cql_result_column_index(res, col);
    if (k < 0)
        return NULL;
    mb_cql_cell c = mb_cql_result_cell(res, row, (size_t)k);
    return c.len < 0 ? NULL : mb_cql_cell_format(&c);
}

/* Reads dc, rack and tokens of one row into node n (caller holds mu). */
static void node_fill(node *n, const mb_cql_result *res, size_t row)
{
    char *dc = cell_text(res, row, "data_center");
    char *rack = cell_text(res, row, "rack");
    snprintf(n->dc, sizeof n->dc, "%s", dc ? dc : "");
    snprintf(n->rack, sizeof n->rack, "%s", rack ? rack : "");
    free(dc);
    free(rack);
    long k = mb_cql_result_column_index(res, "tokens");
    if (k < 0)
        return;
    mb_cql_cell c = mb_cql_result_cell(res, row, (size_t)k), e;
    mb_cql_iter it;
    size_t count;
    if (mb_cql_cell_iter(&c, &it, &count, NULL))
        return;
    int64_t *t = malloc((count ? count : 1) * sizeof *t);
    if (!t)
        return;
    size_t m = 0;
    while (m < count && mb_cql_iter_next(&it, &e, NULL)) {
        char tmp[32];
        if (e.len <= 0 || (size_t)e.len >= sizeof tmp)
            continue;
        memcpy(tmp, e.data, (size_t)e.len);
        tmp[e.len] = '\0';
        t[m++] = strtoll(tmp, NULL, 10);
    }
    free(n->tokens);
    n->tokens = t;
    n->ntokens = m;
}

static void refresh(mb_cql_cluster *cl)
{
    if (!cl->control) {
        return;
    }
    if (cl->refreshing) {
        cl->refresh_again = true;
        return;
    }
    cl->refreshing = true;
    send_internal(cl, cl->control, "SELECT * FROM system.local", got_local,
                  false);
}

static void discovery_failed(mb_cql_cluster *cl, mb_status st, mb_error *err)
{
    cl->refreshing = false;
    pthread_mutex_lock(&cl->mu);
    if (!cl->discovered && st != MB_EUNAVAILABLE) {
        cl->fatal = true;
        cl->open_err = *err;
        pthread_cond_broadcast(&cl->cv);
    }
    pthread_mutex_unlock(&cl->mu);
}

static void got_local(mb_cql_cluster *cl, req *r, mb_status st,
                      mb_cql_result *res, mb_error *err)
{
    if (st) {
        discovery_failed(cl, st, err);
        return;
    }
    node *n = r->force_conn->node;
    pthread_mutex_lock(&cl->mu);
    if (res->nrows)
        node_fill(n, res, 0);
    pthread_mutex_unlock(&cl->mu);
    mb_cql_result_free(res);
    send_internal(cl, cl->control, "SELECT * FROM system.peers_v2",
                  got_peers, false);
}

static void got_peers(mb_cql_cluster *cl, req *r, mb_status st,
                      mb_cql_result *res, mb_error *err)
{
    bool v2 = strstr(r->internal_query, "peers_v2") != NULL;
    if (st == MB_EINVAL && v2) { /* an older server: no peers_v2 */
        send_internal(cl, cl->control, "SELECT * FROM system.peers",
                      got_peers, false);
        return;
    }
    if (st) {
        discovery_failed(cl, st, err);
        return;
    }
    pthread_mutex_lock(&cl->mu);
    bool *seen = calloc(cl->nnodes + res->nrows + 1, sizeof *seen);
    if (seen)
        seen[node_index(cl, cl->control->node)] = true;
    for (size_t i = 0; seen && i < res->nrows; i++) {
        char *addr = cell_text(res, i, v2 ? "native_address" : "rpc_address");
        char *port = v2 ? cell_text(res, i, "native_port") : NULL;
        if (!addr || !strcmp(addr, "0.0.0.0"))
            addr = (free(addr), cell_text(res, i, "peer"));
        if (addr) {
            char spec[128];
            const char *ctl = strrchr(((node *)cl->control->node)->host, ':');
            snprintf(spec, sizeof spec, strchr(addr, ':') ? "[%s]:%s" : "%s:%s",
                     addr, port ? port : ctl + 1);
            mb_error e2;
            node *n = node_add(cl, spec, 9042, &e2);
            if (n) {
                node_fill(n, res, i);
                n->removed = false;
                seen[node_index(cl, n)] = true;
            }
        }
        free(addr);
        free(port);
    }
    for (size_t i = 0; seen && i < cl->nnodes; i++)
        cl->nodes[i]->removed = !seen[i];
    free(seen);
    ring_rebuild(cl);
    cl->discovered = true;
    pthread_cond_broadcast(&cl->cv);
    pthread_mutex_unlock(&cl->mu);
    mb_cql_result_free(res);
    for (size_t i = 0; i < cl->nnodes; i++)
        if (cl->nodes[i]->removed)
            for (int k = 0; k < cl->cfg.pool_size; k++)
                if (cl->nodes[i]->pool[k].state != MB_CQL_CONN_CLOSED)
                    close_conn(cl, &cl->nodes[i]->pool[k], NULL);
    cl->refreshing = false;
    if (cl->refresh_again) {
        cl->refresh_again = false;
        refresh(cl);
    }
}

static void registered(mb_cql_cluster *cl, req *r, mb_status st,
                       mb_cql_result *res, mb_error *err)
{
    (void)r;
    mb_cql_result_free(res);
    if (st)
        discovery_failed(cl, st, err);
}

static void elect_control(mb_cql_cluster *cl, mb_cql_conn *c)
{
    cl->control = c;
    pthread_mutex_lock(&cl->mu);
    cl->control_node = c->node;
    pthread_mutex_unlock(&cl->mu);
    cl->refreshing = false;
    send_internal(cl, c, NULL, registered, true);
    refresh(cl);
}

static void on_ready(void *owner, mb_cql_conn *c)
{
    mb_cql_cluster *cl = owner;
    node *n = c->node;
    pthread_mutex_lock(&cl->mu);
    n->up = true;
    n->backoff_ms = 500;
    pthread_mutex_unlock(&cl->mu);
    if (!cl->control)
        elect_control(cl, c);
}

static void on_event(void *owner, mb_cql_conn *c, const mb_cql_header *h,
                     uint8_t *body, size_t len)
{
    mb_cql_cluster *cl = owner;
    mb_cql_event ev;
    size_t off = 0;
    (void)c;
    if (mb_cql_body_prefix(h->flags, body, len, &off, NULL, NULL, NULL) ||
        mb_cql_event_decode(body + off, len - off, &ev, NULL)) {
        free(body);
        return;
    }
    free(body);
    node *n = node_find(cl, ev.addr);
    if (!strcmp(ev.type, "STATUS_CHANGE") && n) {
        pthread_mutex_lock(&cl->mu);
        if (!strcmp(ev.change, "UP")) {
            n->backoff_ms = 500; /* the server may need a moment */
            n->next_attempt_ms = now_ms() + 1000;
        } else if (!strcmp(ev.change, "DOWN")) {
            n->up = false;
            n->next_attempt_ms = now_ms() + n->backoff_ms;
        }
        pthread_mutex_unlock(&cl->mu);
        if (!strcmp(ev.change, "DOWN"))
            for (int k = 0; k < cl->cfg.pool_size; k++)
                if (n->pool[k].state != MB_CQL_CONN_CLOSED &&
                    &n->pool[k] != cl->control) {
                    mb_error why;
                    mb_error_set(&why, MB_EUNAVAILABLE, "%s reported down",
                                 n->host);
                    close_conn(cl, &n->pool[k], &why);
                }
        return;
    }
    refresh(cl); /* topology change, or status of a node not yet known */
}

static const mb_cql_conn_handler handler = {on_response, on_event, on_ready};

/* ---- connections ----------------------------------------------------- */

static void orphaned(void *owner, void *ctx)
{
    mb_cql_cluster *cl = owner;
    req *r = ctx;
    list_remove(&cl->flight, r);
    node *n = r->conn ? r->conn->node : NULL;
    r->conn = NULL;
    fail_or_retry(cl, r, n, MB_EUNAVAILABLE, cl->closing_why);
}

/* Closes c; why == NULL: a deliberate close, the node stays up. */
static void close_conn(mb_cql_cluster *cl, mb_cql_conn *c, mb_error *why)
{
    node *n = c->node;
    mb_error generic;
    mb_error_set(&generic, MB_EUNAVAILABLE, "connection to %s closed",
                 n->host);
    cl->closing_why = why ? why : &generic;
    mb_cql_conn_close(c, orphaned, cl);
    if (why) {
        pthread_mutex_lock(&cl->mu);
        if (!node_has_ready(n, cl->cfg.pool_size))
            n->up = false;
        n->next_attempt_ms = now_ms() + n->backoff_ms;
        if (n->backoff_ms < 30000)
            n->backoff_ms *= 2;
        if (!cl->discovered && (why->status == MB_EINVAL ||
                                why->status == MB_EPROTO)) {
            cl->fatal = true; /* bad credentials or protocol: give up */
            cl->open_err = *why;
        } else if (!cl->discovered) {
            cl->open_err = *why;
        }
        pthread_cond_broadcast(&cl->cv);
        pthread_mutex_unlock(&cl->mu);
    }
    if (c == cl->control) {
        cl->control = NULL;
        pthread_mutex_lock(&cl->mu);
        cl->control_node = NULL;
        pthread_mutex_unlock(&cl->mu);
        for (size_t i = 0; i < cl->nnodes && !cl->control; i++)
            for (int k = 0; k < cl->cfg.pool_size && !cl->control; k++)
                if (cl->nodes[i]->pool[k].state == MB_CQL_CONN_READY)
                    elect_control(cl, &cl->nodes[i]->pool[k]);
    }
}

/* Opens the pools of nodes that are due. */
static void maintain(mb_cql_cluster *cl, int64_t now)
{
    for (size_t i = 0; i < cl->nnodes; i++) {
        node *n = cl->nodes[i];
        if (n->removed || n->next_attempt_ms > now)
            continue;
        for (int k = 0; k < cl->cfg.pool_size; k++) {
            mb_cql_conn *c = &n->pool[k];
            if (c->state != MB_CQL_CONN_CLOSED)
                continue;
            mb_error err;
            if (mb_cql_conn_open(c, (struct sockaddr *)&n->addr, n->alen,
                                 n->host, cl->cfg.max_streams, cl->user,
                                 cl->password, &err)) {
                c->node = n;
                c->state = MB_CQL_CONN_CLOSED;
                close_conn(cl, c, &err);
                break;
            }
            c->node = n;
            c->opened_ms = now;
        }
    }
}

static void check_timeouts(mb_cql_cluster *cl, int64_t now)
{
    mb_error err;
    while (cl->flight.head && cl->flight.head->deadline_ms <= now) {
        req *r = cl->flight.head;
        list_remove(&cl->flight, r);
        node *n = r->sent_to;
        r->conn->slots[r->stream] = MB_CQL_ORPHAN;
        r->conn = NULL;
        mb_error_set(&err, MB_ETIMEOUT, "%s: no response within %d ms",
                     n->host, cl->cfg.request_timeout_ms);
        if (!r->internal) {
            pthread_mutex_lock(&cl->mu);
            cl->stats.timeouts++;
            pthread_mutex_unlock(&cl->mu);
        }
        fail_or_retry(cl, r, n, MB_ETIMEOUT, &err);
    }
    /* requests that never found a connection */
    for (req *r = cl->pending.head, *next; r; r = next) {
        next = r->next;
        if (!r->deadline_ms)
            r->deadline_ms = now + cl->cfg.request_timeout_ms;
        bool hopeless = !any_hope(cl);
        if (r->deadline_ms <= now || hopeless) {
            list_remove(&cl->pending, r);
            mb_error_set(&err, MB_EUNAVAILABLE, "no node available (%s)",
                         hopeless ? "all connections down" : "timed out "
                         "waiting for a connection");
            finish(cl, r, MB_EUNAVAILABLE, NULL, &err);
        }
    }
    for (size_t i = 0; i < cl->nnodes; i++)
        for (int k = 0; k < cl->cfg.pool_size; k++) {
            mb_cql_conn *c = &cl->nodes[i]->pool[k];
            if (c->state != MB_CQL_CONN_READY &&
                c->state != MB_CQL_CONN_CLOSED &&
                now - c->opened_ms > cl->cfg.connect_timeout_ms) {
                mb_error_set(&err, MB_ETIMEOUT, "connect to %s timed out",
                             c->host);
                close_conn(cl, c, &err);
            }
        }
}

static void *io_main(void *arg)
{
    mb_cql_cluster *cl = arg;
    struct pollfd *pfd = NULL;
    mb_cql_conn **pconn = NULL;
    size_t cap = 0;
    for (;;) {
        pthread_mutex_lock(&cl->mu);
        bool stop = cl->stop;
        req *r;
        while ((r = cl->submitted.head)) {
            list_remove(&cl->submitted, r);
            list_push(&cl->pending, r);
        }
        pthread_mutex_unlock(&cl->mu);
        if (stop)
            break;
        int64_t now = now_ms();
        maintain(cl, now);
        dispatch_pending(cl);
        check_timeouts(cl, now);
        size_t want = 1 + cl->nnodes * (size_t)cl->cfg.pool_size;
        if (want > cap) {
            struct pollfd *p = realloc(pfd, want * sizeof *p);
            mb_cql_conn **q = p ? realloc(pconn, want * sizeof *q) : NULL;
            if (p)
                pfd = p;
            if (!q) {
                usleep(10000);
                continue;
            }
            pconn = q;
            cap = want;
        }
        size_t n = 0;
        pfd[n++] = (struct pollfd){cl->wake_fd, POLLIN, 0};
        for (size_t i = 0; i < cl->nnodes; i++)
            for (int k = 0; k < cl->cfg.pool_size; k++) {
                mb_cql_conn *c = &cl->nodes[i]->pool[k];
                mb_error err;
                if (c->state == MB_CQL_CONN_READY && c->out.len > c->out_off &&
                    mb_cql_conn_flush(c, &err)) {
                    close_conn(cl, c, &err);
                    continue;
                }
                short ev = mb_cql_conn_want(c);
                if (!ev)
                    continue;
                pconn[n] = c;
                pfd[n++] = (struct pollfd){c->fd, ev, 0};
            }
        int timeout = cl->pending.head ? 10 : 100;
        if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
            usleep(1000);
        if (pfd[0].revents & POLLIN) {
            uint64_t v;
            ssize_t rd = read(cl->wake_fd, &v, sizeof v);
            (void)rd;
        }
        for (size_t i = 1; i < n; i++) {
            if (!pfd[i].revents || pconn[i]->state == MB_CQL_CONN_CLOSED)
                continue;
            mb_error err;
            if (mb_cql_conn_io(pconn[i], pfd[i].revents, &handler, cl, &err))
                close_conn(cl, pconn[i], &err);
        }
    }
    /* shutting down: fail everything */
    mb_error err;
    mb_error_set(&err, MB_EUNAVAILABLE, "cluster closed");
    req *r;
    while ((r = cl->pending.head)) {
        list_remove(&cl->pending, r);
        finish(cl, r, MB_EUNAVAILABLE, NULL, &err);
    }
    for (size_t i = 0; i < cl->nnodes; i++)
        for (int k = 0; k < cl->cfg.pool_size; k++) {
            mb_cql_conn *c = &cl->nodes[i]->pool[k];
            cl->closing_why = &err;
            cl->control = NULL;
            mb_cql_conn_close(c, orphaned, cl);
            while ((r = cl->pending.head)) { /* retries have nowhere to go */
                list_remove(&cl->pending, r);
                finish(cl, r, MB_EUNAVAILABLE, NULL, &err);
            }
        }
    free(pfd);
    free(pconn);
    return NULL;
}

/* ---- public API ------------------------------------------------------ */

static void cluster_free(mb_cql_cluster *cl)
{
    for (size_t i = 0; i < cl->nnodes; i++) {
        for (int k = 0; k < cl->cfg.pool_size; k++)
            mb_cql_conn_free(&cl->nodes[i]->pool[k]);
        free(cl->nodes[i]->pool);
        free(cl->nodes[i]->tokens);
        free(cl->nodes[i]);
    }
    free(cl->nodes);
    free(cl->ring);
    free(cl->contacts);
    free(cl->user);
    free(cl->password);
    free(cl->local_dc);
    if (cl->wake_fd >= 0)
        close(cl->wake_fd);
    pthread_mutex_destroy(&cl->mu);
    pthread_cond_destroy(&cl->cv);
    free(cl);
}

static char *dup_or_null(const char *s, bool *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = true;
    return d;
}

mb_status mb_cql_cluster_open(const mb_cql_config *cfg, mb_cql_cluster **out,
                              mb_error *err)
{
    *out = NULL;
    if (!cfg->contact_points || !*cfg->contact_points)
        return mb_error_set(err, MB_EINVAL, "no contact points");
    mb_cql_cluster *cl = calloc(1, sizeof *cl);
    if (!cl)
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    cl->wake_fd = -1;
    pthread_mutex_init(&cl->mu, NULL);
    pthread_cond_init(&cl->cv, NULL);
    cl->cfg = *cfg;
    if (cl->cfg.pool_size <= 0)
        cl->cfg.pool_size = 2;
    if (cl->cfg.request_timeout_ms <= 0)
        cl->cfg.request_timeout_ms = 12000;
    if (cl->cfg.connect_timeout_ms <= 0)
        cl->cfg.connect_timeout_ms = 5000;
    if (cl->cfg.max_in_flight <= 0)
        cl->cfg.max_in_flight = 1024;
    if (cl->cfg.max_streams <= 0 || cl->cfg.max_streams > 32768)
        cl->cfg.max_streams = 32768;
    bool oom = false;
    cl->contacts = dup_or_null(cfg->contact_points, &oom);
    cl->user = dup_or_null(cfg->user, &oom);
    cl->password = dup_or_null(cfg->password, &oom);
    cl->local_dc = dup_or_null(cfg->local_dc, &oom);
    cl->cfg.contact_points = cl->contacts;
    cl->cfg.user = cl->user;
    cl->cfg.password = cl->password;
    cl->cfg.local_dc = cl->local_dc;
    if (oom) {
        cluster_free(cl);
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
    char *list = strdup(cfg->contact_points), *save = NULL;
    if (!list) {
        cluster_free(cl);
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
    for (char *tok = strtok_r(list, ", ", &save); tok;
         tok = strtok_r(NULL, ", ", &save)) {
        if (!node_add(cl, tok, 9042, err)) {
            free(list);
            cluster_free(cl);
            return err ? err->status : MB_EINVAL;
        }
    }
    free(list);
    cl->ncontacts = cl->nnodes;
    cl->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (cl->wake_fd < 0 || pthread_create(&cl->thread, NULL, io_main, cl)) {
        mb_error_set(err, MB_EIO, "cannot start the CQL I/O thread: %s",
                     strerror(errno));
        cluster_free(cl);
        return MB_EIO;
    }
    /* wait for discovery, a fatal error or the connect timeout */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += cl->cfg.connect_timeout_ms / 1000 + 1;
    pthread_mutex_lock(&cl->mu);
    while (!cl->discovered && !cl->fatal) {
        bool all_down = true;
        for (size_t i = 0; i < cl->nnodes; i++)
            if (cl->nodes[i]->up)
                all_down = false;
        if (all_down)
            break;
        if (pthread_cond_timedwait(&cl->cv, &cl->mu, &until) == ETIMEDOUT)
            break;
    }
    bool ok = cl->discovered;
    mb_error why = cl->open_err;
    pthread_mutex_unlock(&cl->mu);
    if (!ok) {
        if (why.status)
            mb_error_set(err, why.status == MB_ETIMEOUT ? MB_EUNAVAILABLE
                                                        : why.status,
                         "no Cassandra node answered at %s: %s",
                         cfg->contact_points, why.msg);
        else
            mb_error_set(err, MB_EUNAVAILABLE, "no Cassandra node answered at "
                         "%s within %d ms", cfg->contact_points,
                         cl->cfg.connect_timeout_ms);
        mb_cql_cluster_close(cl);
        return err ? err->status : MB_EUNAVAILABLE;
    }
    *out = cl;
    return MB_OK;
}

void mb_cql_cluster_close(mb_cql_cluster *cl)
{
    if (!cl)
        return;
    pthread_mutex_lock(&cl->mu);
    cl->stop = true;
    pthread_mutex_unlock(&cl->mu);
    wake(cl);
    pthread_join(cl->thread, NULL);
    cluster_free(cl);
}

size_t mb_cql_cluster_nodes(mb_cql_cluster *cl, char (*lines)[128], size_t max)
{
    pthread_mutex_lock(&cl->mu);
    size_t k = 0;
    for (size_t i = 0; i < cl->nnodes && k < max; i++) {
        node *n = cl->nodes[i];
        if (n->removed)
            continue;
        snprintf(lines[k++], 128, "%s dc=%s rack=%s %s tokens=%zu", n->host,
                 n->dc, n->rack, n->up ? "up" : "down", n->ntokens);
    }
    pthread_mutex_unlock(&cl->mu);
    return k;
}

void mb_cql_cluster_stats(mb_cql_cluster *cl, mb_cql_stats *out)
{
    pthread_mutex_lock(&cl->mu);
    *out = cl->stats;
    pthread_mutex_unlock(&cl->mu);
}

/* Hands a built request to the I/O thread, waiting for room. */
static mb_status submit(mb_cql_cluster *cl, mb_cql_request *rq,
                        mb_cql_callback *cb, void *ctx, sync_wait *w,
                        node *force, mb_error *err)
{
    req *r = calloc(1, sizeof *r);
    if (!r) {
        mb_cql_request_free(rq);
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
    r->rq = *rq;
    r->cb = cb;
    r->ctx = ctx;
    r->wait = w;
    r->force_node = force;
    r->pinned = force != NULL;
    pthread_mutex_lock(&cl->mu);
    while (cl->in_flight >= cl->cfg.max_in_flight && !cl->stop)
        pthread_cond_wait(&cl->cv, &cl->mu);
    if (cl->stop) {
        pthread_mutex_unlock(&cl->mu);
        req_free(r);
        return mb_error_set(err, MB_EUNAVAILABLE, "cluster closed");
    }
    cl->in_flight++;
    list_push(&cl->submitted, r);
    pthread_mutex_unlock(&cl->mu);
    wake(cl);
    return MB_OK;
}

static mb_status run_on(mb_cql_cluster *cl, mb_cql_request *rq, node *force,
                        mb_cql_result **out, mb_error *err)
{
    sync_wait w = {0};
    *out = NULL;
    mb_status st = submit(cl, rq, NULL, NULL, &w, force, err);
    if (st)
        return st;
    pthread_mutex_lock(&cl->mu);
    while (!w.done)
        pthread_cond_wait(&cl->cv, &cl->mu);
    pthread_mutex_unlock(&cl->mu);
    if (w.st) {
        if (err)
            *err = w.err;
        return w.st;
    }
    *out = w.res;
    return MB_OK;
}

/* A system table query on one node; NULL on failure. */
static mb_cql_result *query_on(mb_cql_cluster *cl, node *n, const char *cql)
{
    mb_cql_request rq = {0};
    mb_cql_result *res = NULL;
    mb_cql_simple_query_encode(&rq.frame, cql, MB_CQL_ONE);
    if (rq.frame.oom) {
        mb_cql_request_free(&rq);
        return NULL;
    }
    run_on(cl, &rq, n, &res, NULL);
    return res;
}

/* Do node ctl and its live peers report one schema version? */
static bool schema_agreed(mb_cql_cluster *cl, node *ctl)
{
    mb_cql_result *local = query_on(cl, ctl, "SELECT schema_version FROM "
                                             "system.local");
    mb_cql_result *peers = query_on(cl, ctl, "SELECT rpc_address, "
                                             "schema_version FROM system.peers");
    bool agreed = local && peers && mb_cql_result_row_count(local) == 1;
    char *mine = agreed ? cell_text(local, 0, "schema_version") : NULL;
    const char *port = strrchr(ctl->host, ':');
    for (size_t i = 0; mine && i < mb_cql_result_row_count(peers); i++) {
        char *v = cell_text(peers, i, "schema_version");
        char *addr = cell_text(peers, i, "rpc_address"), host[96];
        snprintf(host, sizeof host, "%s%s", addr ? addr : "", port);
        pthread_mutex_lock(&cl->mu);
        node *n = node_find(cl, host);
        bool up = n && n->up && !n->removed;
        pthread_mutex_unlock(&cl->mu);
        if (up && v && strcmp(v, mine))
            agreed = false;
        free(v);
        free(addr);
    }
    free(mine);
    mb_cql_result_free(local);
    mb_cql_result_free(peers);
    return agreed;
}

/* After a schema change made by node `host`: wait (20 s at most) until
 * the live nodes agree, so that the next statement, on any node, sees the
 * change. Asked of the node that made the change: it has the new version,
 * and its peers' versions (gossip) change only once they applied it.
 * Another node (the control node) may not have heard of the change yet and
 * see everybody agree on the old version. */
static void wait_schema_agreement(mb_cql_cluster *cl, const char *host)
{
    int64_t until = now_ms() + 20000;
    while (now_ms() < until) {
        pthread_mutex_lock(&cl->mu);
        node *by = node_find(cl, host);
        if (!by || by->removed || !by->up)
            by = cl->control_node;
        pthread_mutex_unlock(&cl->mu);
        if (!by || schema_agreed(cl, by))
            return;
        usleep(100000);
    }
}

static mb_status run_sync(mb_cql_cluster *cl, mb_cql_request *rq,
                          mb_cql_result **out, mb_error *err)
{
    mb_status st = run_on(cl, rq, NULL, out, err);
    if (!st && (*out)->kind == MB_CQL_RESULT_SCHEMA_CHANGE)
        wait_schema_agreement(cl, (*out)->host);
    return st;
}

mb_status mb_cql_execute(mb_cql_cluster *cl, const mb_cql_stmt *st,
                         mb_cql_result **out, mb_error *err)
{
    mb_cql_request rq;
    mb_status s = mb_cql_stmt_request(st, &rq, err);
    return s ? s : run_sync(cl, &rq, out, err);
}

mb_status mb_cql_execute_async(mb_cql_cluster *cl, const mb_cql_stmt *st,
                               mb_cql_callback *cb, void *ctx, mb_error *err)
{
    mb_cql_request rq;
    mb_status s = mb_cql_stmt_request(st, &rq, err);
    return s ? s : submit(cl, &rq, cb, ctx, NULL, NULL, err);
}

mb_status mb_cql_batch_execute(mb_cql_cluster *cl, const mb_cql_batch *b,
                               mb_cql_result **out, mb_error *err)
{
    mb_cql_request rq;
    mb_status s = mb_cql_batch_request(b, &rq, err);
    return s ? s : run_sync(cl, &rq, out, err);
}

mb_status mb_cql_batch_execute_async(mb_cql_cluster *cl, const mb_cql_batch *b,
                                     mb_cql_callback *cb, void *ctx,
                                     mb_error *err)
{
    mb_cql_request rq;
    mb_status s = mb_cql_batch_request(b, &rq, err);
    return s ? s : submit(cl, &rq, cb, ctx, NULL, NULL, err);
}

mb_status mb_cql_query(mb_cql_cluster *cl, const char *cql,
                       mb_cql_consistency cons, mb_cql_result **out,
                       mb_error *err)
{
    mb_cql_stmt *st = mb_cql_stmt_new(cql, 0);
    if (!st)
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    mb_cql_stmt_set_consistency(st, cons);
    mb_status s = mb_cql_execute(cl, st, out, err);
    mb_cql_stmt_free(st);
    return s;
}

mb_status mb_cql_wait_all(mb_cql_cluster *cl, mb_error *err)
{
    pthread_mutex_lock(&cl->mu);
    while (cl->in_flight > 0)
        pthread_cond_wait(&cl->cv, &cl->mu);
    mb_status st = cl->first_async_err;
    long n = cl->async_failures;
    if (st && err) {
        *err = cl->async_err;
        if (n > 1)
            mb_error_prefix(err, "%ld async requests failed, the first", n);
    }
    cl->first_async_err = MB_OK;
    cl->async_failures = 0;
    pthread_mutex_unlock(&cl->mu);
    return st;
}

mb_status mb_cql_prepare(mb_cql_cluster *cl, const char *cql,
                         mb_cql_prepared **out, mb_error *err)
{
    mb_cql_request rq = {0};
    mb_cql_prepare_encode(&rq.frame, cql);
    if (rq.frame.oom) {
        mb_cql_request_free(&rq);
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    }
    rq.idempotent = true;
    mb_cql_result *res;
    mb_status st = run_sync(cl, &rq, &res, err);
    if (st)
        return st;
    if (res->kind != MB_CQL_RESULT_PREPARED) {
        mb_cql_result_free(res);
        return mb_error_set(err, MB_EPROTO, "PREPARE answered with result "
                            "kind %d", res->kind);
    }
    return mb_cql_prepared_new(cql, res, out, err);
}

mb_status mb_cql_route(mb_cql_cluster *cl, const mb_cql_stmt *st,
                       bool *has_token, int64_t *token, char host[64],
                       mb_error *err)
{
    mb_cql_request rq;
    mb_status s = mb_cql_stmt_request(st, &rq, err);
    if (s)
        return s;
    *has_token = rq.has_token;
    *token = rq.token;
    host[0] = '\0';
    pthread_mutex_lock(&cl->mu);
    node *plan[64];
    size_t n = query_plan(cl, rq.has_token, rq.token, 0, plan, 64);
    for (size_t i = 0; i < n && !host[0]; i++)
        if (plan[i]->up)
            snprintf(host, 64, "%s", plan[i]->host);
    pthread_mutex_unlock(&cl->mu);
    mb_cql_request_free(&rq);
    if (!host[0])
        return mb_error_set(err, MB_EUNAVAILABLE, "no node is up");
    return MB_OK;
}
