/*
 * test_cql_codec.c - the CQL codec and Murmur3 tokens, without a server.
 *
 * Values are encoded with mb_cql_value_encode, wrapped into hand-built
 * RESULT frames and decoded back through the public cell getters; error
 * and event bodies are built byte by byte from the v4 spec's layouts.
 */
#include "cql/cql_codec.h"
#include "cql/murmur3.h"
#include "mbtest.h"

#include <stdlib.h>

static const mb_cql_type t_int = {MB_CQL_INT, 0, 0, 0, 0, 0};
static const mb_cql_type t_text = {MB_CQL_TEXT, 0, 0, 0, 0, 0};

/* Encodes v as type t, returns the body bytes (after the length) in out. */
static mb_status enc(const mb_cql_type *t, mb_cql_value v, uint8_t *out,
                     int32_t *n)
{
    mb_cql_buf b = {0};
    mb_error err;
    mb_status st = mb_cql_value_encode(&b, t, &v, &err);
    if (!st) {
        mb_cql_rd r = {b.p, b.len, 0, false};
        const uint8_t *p;
        *n = mb_cql_get_bytes(&r, &p);
        if (*n > 0)
            memcpy(out, p, (size_t)*n);
        if (b.len != r.pos)
            st = MB_EINTERNAL;
    }
    mb_cql_buf_free(&b);
    return st;
}

/* Encodes and formats back as text. */
static char *roundtrip(const mb_cql_type *t, mb_cql_value v)
{
    static char out[512];
    uint8_t data[256];
    int32_t n = 0;
    if (enc(t, v, data, &n))
        return NULL;
    mb_cql_cell c = {t, data, n};
    char *s = mb_cql_cell_format(&c);
    snprintf(out, sizeof out, "%s", s);
    free(s);
    return out;
}

static void test_scalars(void)
{
    mb_cql_type t = {0};
    int64_t i;
    double d;
    uint8_t data[64];
    int32_t n = 0;
    struct { mb_cql_type_id id; int64_t v; const char *text; int len; } ints[] = {
        {MB_CQL_TINYINT, -128, "-128", 1},
        {MB_CQL_SMALLINT, 32767, "32767", 2},
        {MB_CQL_INT, -2147483647 - 1, "-2147483648", 4},
        {MB_CQL_BIGINT, INT64_MIN, "-9223372036854775808", 8},
        {MB_CQL_COUNTER, 42, "42", 8},
        {MB_CQL_TIMESTAMP, 1700000000123LL, "2023-11-14 22:13:20.123Z", 8},
        {MB_CQL_TIMESTAMP, -1, "1969-12-31 23:59:59.999Z", 8},
        {MB_CQL_DATE, 0, "1970-01-01", 4},
        {MB_CQL_DATE, 19723, "2024-01-01", 4},
        {MB_CQL_DATE, -1, "1969-12-31", 4},
        {MB_CQL_TIME, 3723000000001LL, "01:02:03.000000001", 8},
        {MB_CQL_VARINT, 128, "128", 2},
        {MB_CQL_VARINT, -129, "-129", 2},
        {MB_CQL_VARINT, 0, "0", 1},
        {MB_CQL_DECIMAL, -5, "-5", 5},
    };
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
        t.id = ints[k].id;
        MB_CHECK(enc(&t, mb_cql_int(ints[k].v), data, &n) == MB_OK);
        MB_CHECK(n == ints[k].len);
        MB_CHECK_STR(roundtrip(&t, mb_cql_int(ints[k].v)), ints[k].text);
        mb_cql_cell c = {&t, data, n};
        if (t.id != MB_CQL_DECIMAL) {
            MB_CHECK(mb_cql_cell_int64(&c, &i, NULL) == MB_OK);
            MB_CHECK(i == ints[k].v);
        }
    }
    /* date encodes with the epoch at 2^31 */
    t.id = MB_CQL_DATE;
    enc(&t, mb_cql_int(0), data, &n);
    MB_CHECK(data[0] == 0x80 && data[1] == 0 && data[3] == 0);
    /* range checks */
    t.id = MB_CQL_TINYINT;
    MB_CHECK(enc(&t, mb_cql_int(128), data, &n) == MB_ERANGE);
    t.id = MB_CQL_INT;
    MB_CHECK(enc(&t, mb_cql_int(1LL << 31), data, &n) == MB_ERANGE);
    MB_CHECK(enc(&t, mb_cql_text("x"), data, &n) == MB_EINVAL);
    t.id = MB_CQL_TIME;
    MB_CHECK(enc(&t, mb_cql_int(-1), data, &n) == MB_ERANGE);

    t.id = MB_CQL_DOUBLE;
    MB_CHECK_STR(roundtrip(&t, mb_cql_double(0.1)), "0.1");
    MB_CHECK_STR(roundtrip(&t, mb_cql_double(-1e300)), "-1e+300");
    MB_CHECK_STR(roundtrip(&t, mb_cql_int(3)), "3");
    enc(&t, mb_cql_double(2.5), data, &n);
    mb_cql_cell c = {&t, data, n};
    MB_CHECK(mb_cql_cell_double(&c, &d, NULL) == MB_OK && d == 2.5);
    t.id = MB_CQL_FLOAT;
    MB_CHECK_STR(roundtrip(&t, mb_cql_double(0.1)), "0.1");
    MB_CHECK(enc(&t, mb_cql_double(1.5), data, &n) == MB_OK && n == 4);

    t.id = MB_CQL_BOOLEAN;
    MB_CHECK_STR(roundtrip(&t, mb_cql_bool(true)), "True");
    MB_CHECK_STR(roundtrip(&t, mb_cql_bool(false)), "False");
    t.id = MB_CQL_TEXT;
    MB_CHECK_STR(roundtrip(&t, mb_cql_text("héllo 'x'")), "héllo 'x'");
    t.id = MB_CQL_ASCII;
    MB_CHECK_STR(roundtrip(&t, mb_cql_text("plain")), "plain");
    MB_CHECK(enc(&t, mb_cql_text("é"), data, &n) == MB_EINVAL);
    t.id = MB_CQL_BLOB;
    MB_CHECK_STR(roundtrip(&t, mb_cql_blob("\x00\xff\x10", 3)), "0x00ff10");
    MB_CHECK_STR(roundtrip(&t, mb_cql_blob("", 0)), "0x");
    t.id = MB_CQL_UUID;
    MB_CHECK_STR(roundtrip(&t, mb_cql_text("0123abcd-4567-89ab-cdef-0123456789AB")),
                 "0123abcd-4567-89ab-cdef-0123456789ab");
    MB_CHECK(enc(&t, mb_cql_text("0123abcd"), data, &n) == MB_EINVAL);
    uint8_t u[16] = {1, 2, 3, 4, 5, 6, 0x17, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    t.id = MB_CQL_TIMEUUID;
    MB_CHECK_STR(roundtrip(&t, mb_cql_uuid(u)),
                 "01020304-0506-1708-090a-0b0c0d0e0f10");
    t.id = MB_CQL_INET;
    MB_CHECK_STR(roundtrip(&t, mb_cql_text("10.0.0.1")), "10.0.0.1");
    MB_CHECK_STR(roundtrip(&t, mb_cql_text("::1")), "::1");
}

static void test_null_unset(void)
{
    mb_cql_buf b = {0};
    mb_cql_value v = mb_cql_null();
    MB_CHECK(mb_cql_value_encode(&b, &t_int, &v, NULL) == MB_OK);
    v = mb_cql_unset();
    MB_CHECK(mb_cql_value_encode(&b, &t_int, &v, NULL) == MB_OK);
    MB_CHECK(b.len == 8);
    MB_CHECK(!memcmp(b.p, "\xff\xff\xff\xff\xff\xff\xff\xfe", 8));
    mb_cql_buf_free(&b);
    mb_cql_cell c = {&t_int, NULL, -1};
    int64_t i;
    MB_CHECK(mb_cql_cell_is_null(&c));
    MB_CHECK(mb_cql_cell_int64(&c, &i, NULL) == MB_ENOTFOUND);
    char *s = mb_cql_cell_format(&c);
    MB_CHECK_STR(s, "null");
    free(s);
    /* an empty int (legacy "empty value") is invalid, not a crash */
    c.len = 0;
    c.data = (const uint8_t *)"";
    MB_CHECK(mb_cql_cell_int64(&c, &i, NULL) != MB_OK);
    s = mb_cql_cell_format(&c);
    MB_CHECK_STR(s, "<invalid int: 0 bytes>");
    free(s);
}

static void test_varint_decimal(void)
{
    mb_cql_type vt = {MB_CQL_VARINT, 0, 0, 0, 0, 0};
    mb_cql_type dt = {MB_CQL_DECIMAL, 0, 0, 0, 0, 0};
    /* the spec's examples */
    struct { const char *text; const char *hex; size_t len; } ex[] = {
        {"0", "\x00", 1}, {"1", "\x01", 1}, {"127", "\x7f", 1},
        {"128", "\x00\x80", 2}, {"129", "\x00\x81", 2}, {"-1", "\xff", 1},
        {"-128", "\x80", 1}, {"-129", "\xff\x7f", 2},
        {"65535", "\x00\xff\xff", 3}, {"-32768", "\x80\x00", 2},
        {"-32769", "\xff\x7f\xff", 3},
    };
    for (size_t k = 0; k < sizeof ex / sizeof ex[0]; k++) {
        uint8_t data[32];
        int32_t n = 0;
        size_t want = ex[k].len;
        MB_CHECK(enc(&vt, mb_cql_text(ex[k].text), data, &n) == MB_OK);
        MB_CHECK((size_t)n == want && !memcmp(data, ex[k].hex, want));
        MB_CHECK_STR(roundtrip(&vt, mb_cql_text(ex[k].text)), ex[k].text);
    }
    const char *big = "-123456789012345678901234567890123456789";
    MB_CHECK_STR(roundtrip(&vt, mb_cql_text(big)), big);
    MB_CHECK_STR(roundtrip(&vt, mb_cql_text("+00042")), "42");
    MB_CHECK_STR(roundtrip(&vt, mb_cql_int(INT64_MIN)), "-9223372036854775808");
    MB_CHECK(roundtrip(&vt, mb_cql_text("12a")) == NULL);
    MB_CHECK(roundtrip(&vt, mb_cql_text("-")) == NULL);

    MB_CHECK_STR(roundtrip(&dt, mb_cql_text("123.4500")), "123.4500");
    MB_CHECK_STR(roundtrip(&dt, mb_cql_text("-0.001")), "-0.001");
    MB_CHECK_STR(roundtrip(&dt, mb_cql_text("1.5e3")), "1.5E+3");
    MB_CHECK_STR(roundtrip(&dt, mb_cql_text("2E-10")), "2E-10");
    MB_CHECK_STR(roundtrip(&dt, mb_cql_text("0")), "0");
    MB_CHECK_STR(roundtrip(&dt, mb_cql_text("99999999999999999999.99")),
                 "99999999999999999999.99");
    MB_CHECK_STR(roundtrip(&dt, mb_cql_double(0.25)), "0.25");
    MB_CHECK(roundtrip(&dt, mb_cql_text("1.2.3")) == NULL);
    MB_CHECK(roundtrip(&dt, mb_cql_text("1e")) == NULL);
    /* scale 2, unscaled -12345 */
    uint8_t data[16];
    int32_t n = 0;
    MB_CHECK(enc(&dt, mb_cql_text("-123.45"), data, &n) == MB_OK);
    MB_CHECK(n == 6 && !memcmp(data, "\0\0\0\x02\xcf\xc7", 6));
    mb_cql_cell c = {&dt, data, 3};
    char *s = mb_cql_cell_format(&c);
    MB_CHECK_STR(s, "<invalid decimal: 3 bytes>");
    free(s);
}

static void test_collections(void)
{
    mb_cql_type elems_int[1] = {{MB_CQL_INT, 0, 0, 0, 0, 0}};
    mb_cql_type kv[2] = {{MB_CQL_TEXT, 0, 0, 0, 0, 0},
                         {MB_CQL_BIGINT, 0, 0, 0, 0, 0}};
    mb_cql_type list = {MB_CQL_LIST, 0, 0, 1, elems_int, 0};
    mb_cql_type set = {MB_CQL_SET, 0, 0, 1, elems_int, 0};
    mb_cql_type map = {MB_CQL_MAP, 0, 0, 2, kv, 0};
    mb_cql_value items[3] = {mb_cql_int(1), mb_cql_int(-2), mb_cql_int(3)};
    MB_CHECK_STR(roundtrip(&list, mb_cql_list(items, 3)), "[1, -2, 3]");
    MB_CHECK_STR(roundtrip(&set, mb_cql_set(items, 2)), "{1, -2}");
    MB_CHECK_STR(roundtrip(&list, mb_cql_list(items, 0)), "[]");
    mb_cql_value pairs[4] = {mb_cql_text("a'b"), mb_cql_int(10),
                             mb_cql_text("c"), mb_cql_int(-20)};
    MB_CHECK_STR(roundtrip(&map, mb_cql_map(pairs, 2)),
                 "{'a''b': 10, 'c': -20}");
    /* nulls are not allowed inside collections; wrong kinds are refused */
    mb_cql_value bad[1] = {mb_cql_null()};
    MB_CHECK(roundtrip(&list, mb_cql_list(bad, 1)) == NULL);
    MB_CHECK(roundtrip(&map, mb_cql_list(items, 1)) == NULL);

    /* iterate a map */
    uint8_t data[128];
    int32_t n = 0;
    MB_CHECK(enc(&map, mb_cql_map(pairs, 2), data, &n) == MB_OK);
    mb_cql_cell c = {&map, data, n}, k, v;
    mb_cql_iter it;
    size_t count;
    MB_CHECK(mb_cql_cell_iter(&c, &it, &count, NULL) == MB_OK && count == 2);
    int64_t sum = 0, x;
    while (mb_cql_iter_next(&it, &k, &v)) {
        MB_CHECK(mb_cql_cell_int64(&v, &x, NULL) == MB_OK);
        sum += x;
    }
    MB_CHECK(sum == -10 && it.index == 2);
    /* truncated collection: iteration stops, printing says so */
    c.len = n - 3;
    char *s = mb_cql_cell_format(&c);
    MB_CHECK_STR(s, "{'a''b': 10...<truncated>}");
    free(s);

    /* without a target type: hints decide (simple statements) */
    mb_cql_buf b = {0};
    mb_cql_value hv[2] = {mb_cql_typed_int(MB_CQL_INT, 7), mb_cql_text("x")};
    mb_cql_value lv = mb_cql_list(hv, 1);
    MB_CHECK(mb_cql_value_encode(&b, NULL, &lv, NULL) == MB_OK);
    MB_CHECK(b.len == 4 + 4 + 4 + 4);
    mb_cql_buf_free(&b);
    MB_CHECK(mb_cql_value_encode(&b, NULL, &hv[1], NULL) == MB_OK);
    MB_CHECK(b.len == 5);
    mb_cql_buf_free(&b);
    mb_cql_value iv = mb_cql_int(7);
    MB_CHECK(mb_cql_value_encode(&b, NULL, &iv, NULL) == MB_OK);
    MB_CHECK(b.len == 12); /* bigint by default */
    mb_cql_buf_free(&b);
    (void)t_text;
}

/* A ROWS result: (k int, v text, l list<int>), two rows, paging state. */
static void test_rows_result(void)
{
    mb_cql_buf b = {0};
    mb_cql_put_int(&b, MB_CQL_RESULT_ROWS);
    mb_cql_put_int(&b, 0x0001 | 0x0002); /* global tables, more pages */
    mb_cql_put_int(&b, 3);
    mb_cql_put_bytes(&b, "PS", 2);
    mb_cql_put_string(&b, "ks");
    mb_cql_put_string(&b, "t");
    mb_cql_put_string(&b, "k");
    mb_cql_put_short(&b, MB_CQL_INT);
    mb_cql_put_string(&b, "v");
    mb_cql_put_short(&b, MB_CQL_TEXT);
    mb_cql_put_string(&b, "l");
    mb_cql_put_short(&b, MB_CQL_LIST);
    mb_cql_put_short(&b, MB_CQL_INT);
    mb_cql_put_int(&b, 2);
    mb_cql_put_bytes(&b, "\0\0\0\x05", 4);
    mb_cql_put_bytes(&b, "five", 4);
    mb_cql_put_bytes(&b, "\0\0\0\x01\0\0\0\x04\0\0\0\x09", 12);
    mb_cql_put_bytes(&b, "\xff\xff\xff\xff", 4);
    mb_cql_put_bytes(&b, NULL, -1);
    mb_cql_put_bytes(&b, NULL, -1);
    MB_CHECK(!b.oom);
    mb_cql_result *res;
    mb_error err;
    MB_CHECK(mb_cql_result_decode(0, b.p, b.len, &res, &err) == MB_OK);
    MB_CHECK(mb_cql_result_kind_of(res) == MB_CQL_RESULT_ROWS);
    MB_CHECK(mb_cql_result_row_count(res) == 2);
    MB_CHECK(mb_cql_result_column_count(res) == 3);
    MB_CHECK_STR(mb_cql_result_column_name(res, 1), "v");
    MB_CHECK(mb_cql_result_column_index(res, "l") == 2);
    MB_CHECK(mb_cql_result_has_more_pages(res));
    char desc[64];
    mb_cql_type_describe(mb_cql_result_column_type(res, 2), desc, sizeof desc);
    MB_CHECK_STR(desc, "list<int>");
    mb_cql_cell c = mb_cql_result_cell(res, 0, 2);
    char *s = mb_cql_cell_format(&c);
    MB_CHECK_STR(s, "[9]");
    free(s);
    c = mb_cql_result_cell(res, 1, 0);
    int32_t i;
    MB_CHECK(mb_cql_cell_int32(&c, &i, NULL) == MB_OK && i == -1);
    c = mb_cql_result_cell(res, 1, 1);
    MB_CHECK(mb_cql_cell_is_null(&c));
    MB_CHECK(mb_cql_result_warnings(res)[0] == NULL);
    mb_cql_result_free(res);

    /* every truncation of a valid body fails cleanly */
    mb_cql_buf whole = {0};
    mb_cql_put_int(&whole, MB_CQL_RESULT_ROWS);
    mb_cql_put_int(&whole, 0x0001);
    mb_cql_put_int(&whole, 1);
    mb_cql_put_string(&whole, "ks");
    mb_cql_put_string(&whole, "t");
    mb_cql_put_string(&whole, "m");
    mb_cql_put_short(&whole, MB_CQL_MAP);
    mb_cql_put_short(&whole, MB_CQL_TEXT);
    mb_cql_put_short(&whole, MB_CQL_INT);
    mb_cql_put_int(&whole, 1);
    mb_cql_put_bytes(&whole, "\0\0\0\0", 4);
    for (size_t cut = 0; cut < whole.len; cut++) {
        uint8_t *copy = malloc(cut + 1);
        memcpy(copy, whole.p, cut);
        MB_CHECK(mb_cql_result_decode(0, copy, cut, &res, &err) == MB_EPROTO);
    }
    mb_cql_buf_free(&whole);
}

static void test_prepared_result(void)
{
    mb_cql_buf b = {0};
    mb_cql_put_int(&b, MB_CQL_RESULT_PREPARED);
    mb_cql_put_short_bytes(&b, "0123456789abcdef", 16);
    mb_cql_put_int(&b, 1);  /* global table spec */
    mb_cql_put_int(&b, 2);  /* two markers */
    mb_cql_put_int(&b, 1);  /* one pk index */
    mb_cql_put_short(&b, 1);
    mb_cql_put_string(&b, "ks");
    mb_cql_put_string(&b, "t");
    mb_cql_put_string(&b, "v");
    mb_cql_put_short(&b, MB_CQL_TEXT);
    mb_cql_put_string(&b, "k");
    mb_cql_put_short(&b, MB_CQL_BIGINT);
    mb_cql_put_int(&b, 0x0004); /* result metadata: no metadata */
    mb_cql_put_int(&b, 0);
    mb_cql_result *res;
    mb_error err;
    MB_CHECK(mb_cql_result_decode(0, b.p, b.len, &res, &err) == MB_OK);
    MB_CHECK(res->kind == MB_CQL_RESULT_PREPARED);
    MB_CHECK(res->prepared_id_len == 16);
    MB_CHECK(res->bind.ncols == 2 && res->bind.npk == 1 && res->bind.pk[0] == 1);
    MB_CHECK_STR(res->bind.cols[1].name, "k");
    MB_CHECK(res->bind.cols[1].type->id == MB_CQL_BIGINT);
    mb_cql_result_free(res);

    /* a pk index beyond the markers is refused */
    mb_cql_buf c = {0};
    mb_cql_put_int(&c, MB_CQL_RESULT_PREPARED);
    mb_cql_put_short_bytes(&c, "id", 2);
    mb_cql_put_int(&c, 0);
    mb_cql_put_int(&c, 0);
    mb_cql_put_int(&c, 1);
    mb_cql_put_short(&c, 3);
    MB_CHECK(mb_cql_result_decode(0, c.p, c.len, &res, &err) == MB_EPROTO);
}

static void test_other_results(void)
{
    mb_cql_buf b = {0};
    mb_cql_result *res;
    /* warnings prefix + schema change */
    mb_cql_put_short(&b, 1);
    mb_cql_put_string(&b, "careful");
    mb_cql_put_int(&b, MB_CQL_RESULT_SCHEMA_CHANGE);
    mb_cql_put_string(&b, "CREATED");
    mb_cql_put_string(&b, "TABLE");
    mb_cql_put_string(&b, "ks");
    mb_cql_put_string(&b, "readings");
    MB_CHECK(mb_cql_result_decode(MB_CQL_FLAG_WARNING, b.p, b.len, &res,
                                  NULL) == MB_OK);
    MB_CHECK_STR(mb_cql_result_info(res), "CREATED TABLE ks.readings");
    MB_CHECK_STR(mb_cql_result_warnings(res)[0], "careful");
    MB_CHECK(mb_cql_result_warnings(res)[1] == NULL);
    mb_cql_result_free(res);

    mb_cql_buf v = {0};
    mb_cql_put(&v, "0123456789abcdef", 16); /* tracing id */
    mb_cql_put_int(&v, MB_CQL_RESULT_VOID);
    MB_CHECK(mb_cql_result_decode(MB_CQL_FLAG_TRACING, v.p, v.len, &res,
                                  NULL) == MB_OK);
    MB_CHECK(res->kind == MB_CQL_RESULT_VOID && !mb_cql_result_has_more_pages(res));
    mb_cql_result_free(res);

    mb_cql_buf k = {0};
    mb_cql_put_int(&k, 99);
    mb_error err;
    MB_CHECK(mb_cql_result_decode(0, k.p, k.len, &res, &err) == MB_EPROTO);
}

static void test_errors(void)
{
    mb_cql_server_error se;
    mb_error err;
    mb_cql_buf b = {0};
    mb_cql_put_int(&b, MB_CQL_ERR_UNAVAILABLE);
    mb_cql_put_string(&b, "Cannot achieve consistency level QUORUM");
    mb_cql_put_short(&b, MB_CQL_QUORUM);
    mb_cql_put_int(&b, 2);
    mb_cql_put_int(&b, 1);
    MB_CHECK(mb_cql_error_decode(b.p, b.len, &se, &err) == MB_OK);
    MB_CHECK(mb_cql_error_status(&se, &err) == MB_EUNAVAILABLE);
    MB_CHECK(strstr(err.msg, "cl=QUORUM required=2 alive=1") != NULL);
    mb_cql_buf_free(&b);

    mb_cql_put_int(&b, MB_CQL_ERR_WRITE_TIMEOUT);
    mb_cql_put_string(&b, "timeout");
    mb_cql_put_short(&b, MB_CQL_LOCAL_QUORUM);
    mb_cql_put_int(&b, 1);
    mb_cql_put_int(&b, 2);
    mb_cql_put_string(&b, "BATCH_LOG");
    MB_CHECK(mb_cql_error_decode(b.p, b.len, &se, &err) == MB_OK);
    MB_CHECK(mb_cql_error_status(&se, &err) == MB_ETIMEOUT);
    MB_CHECK(strstr(err.msg, "cl=LOCAL_QUORUM write_type=BATCH_LOG "
                             "received=1 blockfor=2") != NULL);
    mb_cql_buf_free(&b);

    mb_cql_put_int(&b, MB_CQL_ERR_READ_TIMEOUT);
    mb_cql_put_string(&b, "rt");
    mb_cql_put_short(&b, MB_CQL_ONE);
    mb_cql_put_int(&b, 0);
    mb_cql_put_int(&b, 1);
    mb_cql_put_byte(&b, 0);
    MB_CHECK(mb_cql_error_decode(b.p, b.len, &se, &err) == MB_OK);
    MB_CHECK(mb_cql_error_status(&se, &err) == MB_ETIMEOUT);
    MB_CHECK(strstr(err.msg, "received=0 blockfor=1 data_present=no") != NULL);
    mb_cql_buf_free(&b);

    mb_cql_put_int(&b, MB_CQL_ERR_SYNTAX);
    mb_cql_put_string(&b, "line 1:0 no viable alternative");
    MB_CHECK(mb_cql_error_decode(b.p, b.len, &se, &err) == MB_OK);
    MB_CHECK(mb_cql_error_status(&se, &err) == MB_EINVAL);
    MB_CHECK_STR(err.msg, "SyntaxError: line 1:0 no viable alternative");
    mb_cql_buf_free(&b);

    mb_cql_put_int(&b, MB_CQL_ERR_OVERLOADED);
    mb_cql_put_string(&b, "busy");
    MB_CHECK(mb_cql_error_decode(b.p, b.len, &se, &err) == MB_OK);
    MB_CHECK(mb_cql_error_status(&se, &err) == MB_EBUSY);
    mb_cql_buf_free(&b);

    mb_cql_put_int(&b, MB_CQL_ERR_UNPREPARED);
    mb_cql_put_string(&b, "unknown id");
    mb_cql_put_short_bytes(&b, "\x01\x02\x03", 3);
    MB_CHECK(mb_cql_error_decode(b.p, b.len, &se, &err) == MB_OK);
    MB_CHECK(se.unprepared_len == 3 && se.unprepared_id[2] == 3);
    /* truncated: protocol error, not garbage */
    MB_CHECK(mb_cql_error_decode(b.p, b.len - 1, &se, &err) == MB_EPROTO);
    mb_cql_buf_free(&b);
}

static void test_events_and_header(void)
{
    mb_cql_buf b = {0};
    mb_cql_event ev;
    mb_cql_put_string(&b, "STATUS_CHANGE");
    mb_cql_put_string(&b, "DOWN");
    mb_cql_put_byte(&b, 4);
    mb_cql_put(&b, "\x7f\x00\x00\x02", 4);
    mb_cql_put_int(&b, 9042);
    MB_CHECK(mb_cql_event_decode(b.p, b.len, &ev, NULL) == MB_OK);
    MB_CHECK_STR(ev.change, "DOWN");
    MB_CHECK_STR(ev.addr, "127.0.0.2:9042");
    MB_CHECK(mb_cql_event_decode(b.p, b.len - 2, &ev, NULL) == MB_EPROTO);
    mb_cql_buf_free(&b);

    mb_cql_put_string(&b, "SCHEMA_CHANGE");
    mb_cql_put_string(&b, "DROPPED");
    mb_cql_put_string(&b, "KEYSPACE");
    mb_cql_put_string(&b, "old");
    MB_CHECK(mb_cql_event_decode(b.p, b.len, &ev, NULL) == MB_OK);
    MB_CHECK_STR(ev.target, "KEYSPACE old");
    mb_cql_buf_free(&b);

    mb_cql_header h = {0x84, 0, -1, MB_CQL_OP_EVENT, 77}, back;
    uint8_t x[9];
    mb_cql_header_encode(x, &h);
    MB_CHECK(mb_cql_header_decode(x, &back, NULL) == MB_OK);
    MB_CHECK(back.stream == -1 && back.length == 77 && back.opcode == 0x0C);
    x[0] = 0x04; /* a request header is not a response */
    MB_CHECK(mb_cql_header_decode(x, &back, NULL) == MB_EPROTO);
    x[0] = 0x84;
    x[5] = 0x7f; /* 2 GiB body */
    MB_CHECK(mb_cql_header_decode(x, &back, NULL) == MB_EPROTO);

    /* request framing */
    mb_cql_startup_encode(&b);
    MB_CHECK(b.len == 9 + 2 + 2 + 11 + 2 + 5);
    MB_CHECK(b.p[0] == 0x04 && b.p[4] == MB_CQL_OP_STARTUP && b.p[8] == 22);
    mb_cql_frame_set_stream(b.p, 300);
    MB_CHECK(b.p[2] == 1 && b.p[3] == 44);
    mb_cql_auth_plain_encode(&b, "cassandra", "pw");
    MB_CHECK(b.len == 9 + 4 + 13 && !memcmp(b.p + 13, "\0cassandra\0pw", 13));
    mb_cql_buf_free(&b);
}

static void test_consistency_names(void)
{
    mb_cql_consistency cl;
    MB_CHECK(mb_cql_consistency_parse("local_quorum", &cl, NULL) == MB_OK);
    MB_CHECK(cl == MB_CQL_LOCAL_QUORUM);
    MB_CHECK(mb_cql_consistency_parse("MOST", &cl, NULL) == MB_EINVAL);
    MB_CHECK_STR(mb_cql_consistency_name(MB_CQL_EACH_QUORUM), "EACH_QUORUM");
}

static void test_murmur3(void)
{
    /* tokens Cassandra gives to int partition keys (SELECT token(k)) */
    struct { int32_t k; int64_t token; } v[] = {
        {0, -3485513579396041028LL}, {1, -4069959284402364209LL},
        {-1, 7297452126230313552LL}, {2, -3248873570005575792LL},
        {42, -7160136740246525330LL}, {5, -7509452495886106294LL},
        {10, -6715243485458697746LL},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint32_t u = (uint32_t)v[i].k;
        uint8_t key[4] = {(uint8_t)(u >> 24), (uint8_t)(u >> 16),
                          (uint8_t)(u >> 8), (uint8_t)u};
        MB_CHECK(mb_murmur3_token(key, 4) == v[i].token);
    }
    /* longer keys run through the block loop and both tail halves */
    int64_t a = mb_murmur3_token("meter-0000000001-E1", 19);
    int64_t b = mb_murmur3_token("meter-0000000001-E2", 19);
    MB_CHECK(a != b);
}

int main(void)
{
    MB_RUN(test_scalars);
    MB_RUN(test_null_unset);
    MB_RUN(test_varint_decimal);
    MB_RUN(test_collections);
    MB_RUN(test_rows_result);
    MB_RUN(test_prepared_result);
    MB_RUN(test_other_results);
    MB_RUN(test_errors);
    MB_RUN(test_events_and_header);
    MB_RUN(test_consistency_names);
    MB_RUN(test_murmur3);
    return MB_DONE();
}
