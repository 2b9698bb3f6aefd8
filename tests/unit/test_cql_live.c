/*
 * test_cql_live.c - the CQL client against a real Cassandra node.
 *
 * Reads the contact points from MB_CQL_HOSTS (default 127.0.0.1:9042),
 * credentials from MB_CQL_USER and MB_CQL_PASSWORD (for a node running
 * PasswordAuthenticator), and skips (77) when nothing answers there. Works in keyspace mb_cql_test,
 * which it creates (replication factor 1) and leaves behind.
 */
#include "cql/cql.h"
#include "mbtest.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

static mb_cql_cluster *cl;

static mb_status q(const char *cql)
{
    mb_cql_result *res = NULL;
    mb_error err;
    mb_status st = mb_cql_query(cl, cql, MB_CQL_ONE, &res, &err);
    if (st)
        fprintf(stderr, "query failed: %s: %s\n", cql, err.msg);
    mb_cql_result_free(res);
    return st;
}

static mb_cql_result *select1(const char *cql)
{
    mb_cql_result *res = NULL;
    mb_error err;
    if (mb_cql_query(cl, cql, MB_CQL_ONE, &res, &err))
        fprintf(stderr, "select failed: %s: %s\n", cql, err.msg);
    return res;
}

static int64_t count_rows(const char *cql)
{
    mb_cql_result *res = select1(cql);
    int64_t n = -1;
    if (res && mb_cql_result_row_count(res) == 1) {
        mb_cql_cell c = mb_cql_result_cell(res, 0, 0);
        mb_cql_cell_int64(&c, &n, NULL);
    }
    mb_cql_result_free(res);
    return n;
}

static void test_schema(void)
{
    MB_CHECK(q("CREATE KEYSPACE IF NOT EXISTS mb_cql_test WITH replication = "
               "{'class': 'SimpleStrategy', 'replication_factor': 1}") == MB_OK);
    MB_CHECK(q("DROP TABLE IF EXISTS mb_cql_test.types") == MB_OK);
    MB_CHECK(q("CREATE TABLE mb_cql_test.types (k int PRIMARY KEY, "
               "t text, a ascii, i int, b bigint, s smallint, ti tinyint, "
               "ts timestamp, d date, tm time, u uuid, tu timeuuid, bl blob, "
               "bo boolean, db double, f float, de decimal, vi varint, "
               "ip inet, l list<int>, st set<text>, m map<text, bigint>)")
             == MB_OK);
    MB_CHECK(q("DROP TABLE IF EXISTS mb_cql_test.kv") == MB_OK);
    MB_CHECK(q("CREATE TABLE mb_cql_test.kv (p text, c int, v bigint, "
               "PRIMARY KEY (p, c))") == MB_OK);
    MB_CHECK(q("DROP TABLE IF EXISTS mb_cql_test.cnt") == MB_OK);
    MB_CHECK(q("CREATE TABLE mb_cql_test.cnt (k int PRIMARY KEY, n counter)")
             == MB_OK);
}

static void test_types_roundtrip(void)
{
    mb_cql_prepared *p;
    mb_error err;
    const char *ins = "INSERT INTO mb_cql_test.types (k, t, a, i, b, s, ti, "
                      "ts, d, tm, u, tu, bl, bo, db, f, de, vi, ip, l, st, m) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                      "?, ?, ?, ?, ?, ?)";
    if (mb_cql_prepare(cl, ins, &p, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        MB_CHECK(0);
        return;
    }
    MB_CHECK(mb_cql_prepared_param_count(p) == 22);
    mb_cql_stmt *st = mb_cql_stmt_new_prepared(p);
    mb_cql_value l[3] = {mb_cql_int(3), mb_cql_int(1), mb_cql_int(2)};
    mb_cql_value s[2] = {mb_cql_text("b"), mb_cql_text("a")};
    mb_cql_value m[4] = {mb_cql_text("x"), mb_cql_int(1), mb_cql_text("y"),
                         mb_cql_int(-1)};
    mb_cql_value v[22] = {
        mb_cql_int(1), mb_cql_text("héllo"), mb_cql_text("plain"),
        mb_cql_int(-2147483647 - 1), mb_cql_int(INT64_MAX), mb_cql_int(-32768),
        mb_cql_int(127), mb_cql_int(1700000000123LL), mb_cql_int(19723),
        mb_cql_int(3723000000001LL),
        mb_cql_text("0123abcd-4567-49ab-8def-0123456789ab"),
        mb_cql_text("5a1f0e2c-8e4f-11e8-908a-000000000001"),
        mb_cql_blob("\x00\xff", 2), mb_cql_bool(true), mb_cql_double(0.1),
        mb_cql_double(1.5), mb_cql_text("-123.4500"),
        mb_cql_text("123456789012345678901234567890"), mb_cql_text("10.1.2.3"),
        mb_cql_list(l, 3), mb_cql_set(s, 2), mb_cql_map(m, 2)};
    for (size_t i = 0; i < 22; i++) {
        mb_status bs = mb_cql_stmt_bind(st, i, &v[i], &err);
        if (bs)
            fprintf(stderr, "bind %zu: %s\n", i, err.msg);
        MB_CHECK(bs == MB_OK);
    }
    mb_cql_result *res = NULL;
    MB_CHECK(mb_cql_execute(cl, st, &res, &err) == MB_OK);
    mb_cql_result_free(res);
    /* a second row of nulls */
    MB_CHECK(mb_cql_stmt_bind_int(st, 0, 2, &err) == MB_OK);
    for (size_t i = 1; i < 22; i++)
        MB_CHECK(mb_cql_stmt_bind_null(st, i, &err) == MB_OK);
    MB_CHECK(mb_cql_execute(cl, st, &res, &err) == MB_OK);
    mb_cql_result_free(res);
    /* a wrong type is refused at bind time */
    MB_CHECK(mb_cql_stmt_bind_text(st, 3, "x", &err) == MB_EINVAL);
    mb_cql_stmt_free(st);
    mb_cql_prepared_free(p);

    res = select1("SELECT k, t, a, i, b, s, ti, ts, d, tm, u, tu, bl, bo, db, "
                  "f, de, vi, ip, l, st, m FROM mb_cql_test.types WHERE k = 1");
    MB_CHECK(res && mb_cql_result_row_count(res) == 1);
    if (!res || mb_cql_result_row_count(res) != 1)
        return;
    const char *want[22] = {
        "1", "héllo", "plain", "-2147483648", "9223372036854775807", "-32768",
        "127", "2023-11-14 22:13:20.123Z", "2024-01-01", "01:02:03.000000001",
        "0123abcd-4567-49ab-8def-0123456789ab",
        "5a1f0e2c-8e4f-11e8-908a-000000000001", "0x00ff", "True", "0.1", "1.5",
        "-123.4500", "123456789012345678901234567890", "10.1.2.3", "[3, 1, 2]",
        "{'a', 'b'}", "{'x': 1, 'y': -1}"};
    for (size_t c = 0; c < 22; c++) {
        mb_cql_cell cell = mb_cql_result_cell(res, 0, c);
        char *s2 = mb_cql_cell_format(&cell);
        MB_CHECK_STR(s2, want[c]);
        free(s2);
    }
    mb_cql_cell cell = mb_cql_result_cell(res, 0, 4);
    int64_t bi;
    MB_CHECK(mb_cql_cell_int64(&cell, &bi, NULL) == MB_OK && bi == INT64_MAX);
    cell = mb_cql_result_cell(res, 0, 14);
    double d;
    MB_CHECK(mb_cql_cell_double(&cell, &d, NULL) == MB_OK && d == 0.1);
    mb_cql_result_free(res);

    res = select1("SELECT * FROM mb_cql_test.types WHERE k = 2");
    MB_CHECK(res && mb_cql_result_row_count(res) == 1);
    for (size_t c = 1; res && c < mb_cql_result_column_count(res); c++) {
        mb_cql_cell x = mb_cql_result_cell(res, 0, c);
        MB_CHECK(mb_cql_cell_is_null(&x));
    }
    mb_cql_result_free(res);

    /* counters */
    MB_CHECK(q("UPDATE mb_cql_test.cnt SET n = n + 5 WHERE k = 1") == MB_OK);
    MB_CHECK(count_rows("SELECT n FROM mb_cql_test.cnt WHERE k = 1") >= 5);
}

static void test_simple_with_values(void)
{
    mb_error err;
    mb_cql_stmt *st = mb_cql_stmt_new(
        "INSERT INTO mb_cql_test.kv (p, c, v) VALUES (?, ?, ?)", 3);
    mb_cql_value c = mb_cql_typed_int(MB_CQL_INT, 7);
    MB_CHECK(mb_cql_stmt_bind_text(st, 0, "simple", &err) == MB_OK);
    MB_CHECK(mb_cql_stmt_bind(st, 1, &c, &err) == MB_OK);
    MB_CHECK(mb_cql_stmt_bind_int(st, 2, 70, &err) == MB_OK);
    mb_cql_stmt_set_timestamp(st, 1000);
    mb_cql_result *res = NULL;
    MB_CHECK(mb_cql_execute(cl, st, &res, &err) == MB_OK);
    mb_cql_result_free(res);
    /* an older timestamp loses (last write wins on the protocol timestamp) */
    MB_CHECK(mb_cql_stmt_bind_int(st, 2, 71, &err) == MB_OK);
    mb_cql_stmt_set_timestamp(st, 999);
    MB_CHECK(mb_cql_execute(cl, st, &res, &err) == MB_OK);
    mb_cql_result_free(res);
    mb_cql_stmt_free(st);
    MB_CHECK(count_rows("SELECT v FROM mb_cql_test.kv WHERE p = 'simple' "
                        "AND c = 7") == 70);
    MB_CHECK(count_rows("SELECT WRITETIME(v) FROM mb_cql_test.kv WHERE "
                        "p = 'simple' AND c = 7") == 1000);
}

static void test_batches(void)
{
    mb_error err;
    mb_cql_prepared *p;
    if (mb_cql_prepare(cl, "INSERT INTO mb_cql_test.kv (p, c, v) "
                           "VALUES (?, ?, ?)", &p, &err)) {
        fprintf(stderr, "prepare: %s\n", err.msg);
        MB_CHECK(0);
        return;
    }
    for (int type = 0; type < 2; type++) {
        mb_cql_batch *b = mb_cql_batch_new(type ? MB_CQL_BATCH_UNLOGGED
                                                : MB_CQL_BATCH_LOGGED);
        mb_cql_stmt *st = mb_cql_stmt_new_prepared(p);
        for (int i = 0; i < 10; i++) {
            mb_cql_stmt_bind_text(st, 0, type ? "unlogged" : "logged", &err);
            mb_cql_stmt_bind_int(st, 1, i, &err);
            mb_cql_stmt_bind_int(st, 2, i * 10, &err);
            MB_CHECK(mb_cql_batch_add(b, st, &err) == MB_OK);
        }
        mb_cql_stmt *simple = mb_cql_stmt_new(
            "INSERT INTO mb_cql_test.kv (p, c, v) VALUES (?, 100, 1)", 1);
        mb_cql_stmt_bind_text(simple, 0, type ? "unlogged" : "logged", &err);
        MB_CHECK(mb_cql_batch_add(b, simple, &err) == MB_OK);
        mb_cql_batch_set_consistency(b, MB_CQL_ONE);
        mb_cql_result *res = NULL;
        mb_status bs = mb_cql_batch_execute(cl, b, &res, &err);
        if (bs)
            fprintf(stderr, "batch: %s\n", err.msg);
        MB_CHECK(bs == MB_OK);
        mb_cql_result_free(res);
        mb_cql_stmt_free(simple);
        mb_cql_stmt_free(st);
        mb_cql_batch_free(b);
    }
    mb_cql_prepared_free(p);
    MB_CHECK(count_rows("SELECT COUNT(*) FROM mb_cql_test.kv WHERE "
                        "p = 'logged'") == 11);
    MB_CHECK(count_rows("SELECT COUNT(*) FROM mb_cql_test.kv WHERE "
                        "p = 'unlogged'") == 11);
}

static atomic_long async_ok, async_fail;

static void on_done(void *ctx, mb_status st, mb_cql_result *res,
                    const mb_error *err)
{
    (void)ctx;
    if (st) {
        if (atomic_fetch_add(&async_fail, 1) == 0)
            fprintf(stderr, "async failure: %s\n", err->msg);
    } else {
        atomic_fetch_add(&async_ok, 1);
    }
    mb_cql_result_free(res);
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_async_and_paging(void)
{
    mb_error err;
    mb_cql_prepared *p;
    if (mb_cql_prepare(cl, "INSERT INTO mb_cql_test.kv (p, c, v) "
                           "VALUES (?, ?, ?)", &p, &err)) {
        fprintf(stderr, "prepare: %s\n", err.msg);
        MB_CHECK(0);
        return;
    }
    mb_cql_stmt *st = mb_cql_stmt_new_prepared(p);
    mb_cql_stmt_set_idempotent(st, true);
    enum { N = 10000 };
    double t0 = seconds();
    for (int i = 0; i < N; i++) {
        char part[16];
        snprintf(part, sizeof part, "a%d", i % 20);
        mb_cql_stmt_bind_text(st, 0, part, &err);
        mb_cql_stmt_bind_int(st, 1, i, &err);
        mb_cql_stmt_bind_int(st, 2, i, &err);
        if (mb_cql_execute_async(cl, st, i % 2 ? on_done : NULL, NULL, &err)) {
            fprintf(stderr, "submit: %s\n", err.msg);
            MB_CHECK(0);
            break;
        }
    }
    mb_status ws = mb_cql_wait_all(cl, &err);
    double dt = seconds() - t0;
    if (ws)
        fprintf(stderr, "wait_all: %s\n", err.msg);
    MB_CHECK(ws == MB_OK);
    MB_CHECK(atomic_load(&async_ok) == N / 2 && atomic_load(&async_fail) == 0);
    printf("%d async prepared inserts in %.3f s: %.0f writes/s\n", N, dt,
           N / dt);
    mb_cql_stmt_free(st);
    mb_cql_prepared_free(p);

    /* partition a0 holds 500 rows: page through them 120 at a time */
    st = mb_cql_stmt_new("SELECT c FROM mb_cql_test.kv WHERE p = 'a0'", 0);
    mb_cql_stmt_set_page_size(st, 120);
    int pages = 0, rows = 0;
    int64_t last = -1;
    bool ordered = true;
    for (;;) {
        mb_cql_result *res;
        if (mb_cql_execute(cl, st, &res, &err)) {
            fprintf(stderr, "page: %s\n", err.msg);
            MB_CHECK(0);
            break;
        }
        pages++;
        for (size_t r = 0; r < mb_cql_result_row_count(res); r++) {
            mb_cql_cell c = mb_cql_result_cell(res, r, 0);
            int64_t v;
            mb_cql_cell_int64(&c, &v, NULL);
            ordered = ordered && v > last;
            last = v;
            rows++;
        }
        bool more = mb_cql_result_has_more_pages(res);
        if (more)
            MB_CHECK(mb_cql_stmt_set_paging_state(st, res, &err) == MB_OK);
        mb_cql_result_free(res);
        if (!more)
            break;
    }
    mb_cql_stmt_free(st);
    MB_CHECK(rows == 500 && ordered);
    MB_CHECK(pages >= 5);
}

static void test_errors(void)
{
    mb_cql_result *res = NULL;
    mb_error err;
    MB_CHECK(mb_cql_query(cl, "SELEC nothing", MB_CQL_ONE, &res, &err) ==
             MB_EINVAL);
    MB_CHECK(strstr(err.msg, "SyntaxError") != NULL);
    MB_CHECK(mb_cql_query(cl, "SELECT * FROM mb_cql_test.no_such_table",
                          MB_CQL_ONE, &res, &err) == MB_EINVAL);
    MB_CHECK(strstr(err.msg, "no_such_table") != NULL);
    mb_cql_prepared *p;
    MB_CHECK(mb_cql_prepare(cl, "SELECT * FROM mb_cql_test.nope WHERE k = ?",
                            &p, &err) == MB_EINVAL);
    /* more replicas than nodes: ALL is Unavailable, with the numbers */
    char lines[16][128], cql[256], want[64];
    size_t nodes = mb_cql_cluster_nodes(cl, lines, 16);
    snprintf(cql, sizeof cql, "CREATE KEYSPACE IF NOT EXISTS mb_cql_rf%zu "
             "WITH replication = {'class': 'SimpleStrategy', "
             "'replication_factor': %zu}", nodes + 2, nodes + 2);
    MB_CHECK(q(cql) == MB_OK);
    snprintf(cql, sizeof cql, "CREATE TABLE IF NOT EXISTS mb_cql_rf%zu.t "
             "(k int PRIMARY KEY)", nodes + 2);
    MB_CHECK(q(cql) == MB_OK);
    snprintf(cql, sizeof cql, "INSERT INTO mb_cql_rf%zu.t (k) VALUES (1)",
             nodes + 2);
    mb_cql_stmt *st = mb_cql_stmt_new(cql, 0);
    mb_cql_stmt_set_consistency(st, MB_CQL_ALL);
    mb_status s = mb_cql_execute(cl, st, &res, &err);
    MB_CHECK(s == MB_EUNAVAILABLE);
    snprintf(want, sizeof want, "cl=ALL required=%zu alive=%zu", nodes + 2,
             nodes);
    MB_CHECK(strstr(err.msg, want) != NULL);
    if (s != MB_EUNAVAILABLE)
        fprintf(stderr, "unavailable test: %s\n", err.msg);
    mb_cql_stmt_free(st);
}

static void test_unprepared(void)
{
    mb_error err;
    mb_cql_prepared *p;
    MB_CHECK(q("DROP TABLE IF EXISTS mb_cql_test.u") == MB_OK);
    MB_CHECK(q("CREATE TABLE mb_cql_test.u (k int PRIMARY KEY, v int)") ==
             MB_OK);
    if (mb_cql_prepare(cl, "INSERT INTO mb_cql_test.u (k, v) "
                           "VALUES (?, ?)", &p, &err)) {
        fprintf(stderr, "prepare: %s\n", err.msg);
        MB_CHECK(0);
        return;
    }
    mb_cql_stmt *st = mb_cql_stmt_new_prepared(p);
    mb_cql_stmt_bind_int(st, 0, 1, &err);
    mb_cql_stmt_bind_int(st, 1, 1, &err);
    mb_cql_result *res = NULL;
    MB_CHECK(mb_cql_execute(cl, st, &res, &err) == MB_OK);
    mb_cql_result_free(res);
    /* dropping the table evicts the statement from the server's cache */
    MB_CHECK(q("DROP TABLE mb_cql_test.u") == MB_OK);
    MB_CHECK(q("CREATE TABLE mb_cql_test.u (k int PRIMARY KEY, v int)") ==
             MB_OK);
    mb_cql_stmt_bind_int(st, 0, 2, &err);
    mb_status s = mb_cql_execute(cl, st, &res, &err);
    if (s)
        fprintf(stderr, "after re-create: %s\n", err.msg);
    MB_CHECK(s == MB_OK);
    mb_cql_result_free(res);
    mb_cql_stmt_free(st);
    mb_cql_prepared_free(p);
    MB_CHECK(count_rows("SELECT v FROM mb_cql_test.u WHERE k = 2") == 1);
}

/* The ring as the servers describe it: every token with its node. */
typedef struct owner { int64_t token; char host[64]; } owner;

static size_t read_ring(const char *cql, const char *port, owner *ring,
                        size_t n, size_t max)
{
    mb_cql_result *res = select1(cql);
    for (size_t r = 0; res && r < mb_cql_result_row_count(res); r++) {
        mb_cql_cell a = mb_cql_result_cell(res, r, 0);
        mb_cql_cell t = mb_cql_result_cell(res, r, 1), e;
        char *addr = mb_cql_cell_format(&a);
        mb_cql_iter it;
        if (mb_cql_cell_iter(&t, &it, NULL, NULL) == MB_OK)
            while (n < max && mb_cql_iter_next(&it, &e, NULL)) {
                char *tok = mb_cql_cell_format(&e);
                ring[n].token = strtoll(tok, NULL, 10);
                snprintf(ring[n].host, sizeof ring[n].host, "%s%s", addr,
                         port);
                n++;
                free(tok);
            }
        free(addr);
    }
    mb_cql_result_free(res);
    return n;
}

/* The node owning a token: the first ring token >= it, wrapping. */
static const char *ring_owner(const owner *ring, size_t n, int64_t token)
{
    const owner *best = NULL, *lowest = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!lowest || ring[i].token < lowest->token)
            lowest = &ring[i];
        if (ring[i].token >= token && (!best || ring[i].token < best->token))
            best = &ring[i];
    }
    return best ? best->host : lowest ? lowest->host : "";
}

static void test_routing(void)
{
    mb_error err;
    mb_cql_prepared *p;
    if (mb_cql_prepare(cl, "SELECT * FROM mb_cql_test.kv WHERE p = ?", &p,
                       &err)) {
        fprintf(stderr, "prepare: %s\n", err.msg);
        MB_CHECK(0);
        return;
    }
    mb_cql_stmt *st = mb_cql_stmt_new_prepared(p);
    char lines[16][128];
    size_t nn = mb_cql_cluster_nodes(cl, lines, 16);
    MB_CHECK(nn >= 1);
    static owner ring[4096];
    const char *port = strrchr(lines[0], ':');
    char portbuf[16];
    snprintf(portbuf, sizeof portbuf, "%.*s", (int)strcspn(port, " "), port);
    size_t nr = read_ring("SELECT rpc_address, tokens FROM system.local",
                          portbuf, ring, 0, 4096);
    nr = read_ring("SELECT rpc_address, tokens FROM system.peers", portbuf,
                   ring, nr, 4096);
    MB_CHECK(nr >= 1);
    for (int i = 0; i < 20; i++) {
        char key[16], sel[128], host[64];
        snprintf(key, sizeof key, "a%d", i);
        mb_cql_stmt_bind_text(st, 0, key, &err);
        bool has;
        int64_t token;
        MB_CHECK(mb_cql_route(cl, st, &has, &token, host, &err) == MB_OK);
        MB_CHECK(has);
        snprintf(sel, sizeof sel, "SELECT token(p) FROM mb_cql_test.kv "
                 "WHERE p = '%s' LIMIT 1", key);
        MB_CHECK(count_rows(sel) == token);
        const char *want = ring_owner(ring, nr, token);
        if (strcmp(want, host))
            fprintf(stderr, "token %lld: routed to %s, owner %s\n",
                    (long long)token, host, want);
        MB_CHECK_STR(host, want);
    }
    mb_cql_stmt_free(st);
    mb_cql_prepared_free(p);
    for (size_t k = 0; k < nn; k++)
        printf("node: %s\n", lines[k]);
}

static void test_stats(void)
{
    mb_cql_stats a, b;
    mb_cql_cluster_stats(cl, &a);
    mb_cql_result *res = NULL;
    mb_error err;
    MB_CHECK(mb_cql_query(cl, "SELECT release_version FROM system.local",
                          MB_CQL_ONE, &res, &err) == MB_OK);
    mb_cql_result_free(res);
    MB_CHECK(mb_cql_query(cl, "SELEC nothing", MB_CQL_ONE, &res, &err) ==
             MB_EINVAL);
    mb_cql_cluster_stats(cl, &b);
    MB_CHECK(b.completed == a.completed + 2);
    MB_CHECK(b.failed == a.failed + 1);
    MB_CHECK(b.retried == a.retried && b.timeouts == a.timeouts);
}

int main(void)
{
    const char *hosts = getenv("MB_CQL_HOSTS");
    mb_cql_config cfg = {.contact_points = hosts && *hosts ? hosts
                                                           : "127.0.0.1:9042",
                         .user = getenv("MB_CQL_USER"),
                         .password = getenv("MB_CQL_PASSWORD"),
                         .max_in_flight = 256, .connect_timeout_ms = 3000,
                         .request_timeout_ms = 20000};
    mb_error err;
    if (mb_cql_cluster_open(&cfg, &cl, &err)) {
        const char *req = getenv("MB_REQUIRE_CASSANDRA");
        printf("%s: no Cassandra at %s (%s)\n",
               req && *req == '1' ? "FAIL" : "skipped", cfg.contact_points,
               err.msg);
        return req && *req == '1' ? 1 : MB_SKIP;
    }
    MB_RUN(test_schema);
    MB_RUN(test_types_roundtrip);
    MB_RUN(test_simple_with_values);
    MB_RUN(test_batches);
    MB_RUN(test_async_and_paging);
    MB_RUN(test_errors);
    MB_RUN(test_unprepared);
    MB_RUN(test_routing);
    MB_RUN(test_stats);
    mb_cql_cluster_close(cl);
    return MB_DONE();
}
