/*
 * fuzz_cql_frame.c - libFuzzer harness for the CQL response decoders.
 *
 * The input is one response frame: a 9-byte header and a body. The header
 * decoder runs first; then, by opcode, the RESULT decoder (ROWS with their
 * metadata, PREPARED, SET_KEYSPACE, SCHEMA_CHANGE) with every cell printed
 * and every collection walked, or the ERROR decoder with its mapping onto
 * mb_status, or the EVENT decoder.
 */
#include "cql/cql_codec.h"

#include <stdlib.h>
#include <string.h>

static void walk(const mb_cql_cell *c, int depth)
{
    char *s = mb_cql_cell_format(c);
    free(s);
    int64_t i;
    double d;
    bool b;
    uint8_t u[16];
    mb_cql_cell_int64(c, &i, NULL);
    mb_cql_cell_double(c, &d, NULL);
    mb_cql_cell_bool(c, &b, NULL);
    mb_cql_cell_uuid(c, u, NULL);
    mb_cql_iter it;
    mb_cql_cell e, v;
    if (depth < 4 && !mb_cql_cell_iter(c, &it, NULL, NULL))
        while (mb_cql_iter_next(&it, &e, &v)) {
            walk(&e, depth + 1);
            if (c->type->id == MB_CQL_MAP)
                walk(&v, depth + 1);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mb_cql_header h;
    mb_error err;
    if (size < MB_CQL_HEADER_SIZE ||
        mb_cql_header_decode(data, &h, &err) != MB_OK)
        return 0;
    const uint8_t *src = data + MB_CQL_HEADER_SIZE;
    size_t len = size - MB_CQL_HEADER_SIZE;
    if (h.opcode == MB_CQL_OP_RESULT) {
        uint8_t *body = malloc(len ? len : 1);
        if (!body)
            return 0;
        memcpy(body, src, len);
        mb_cql_result *res;
        if (mb_cql_result_decode(h.flags, body, len, &res, &err) != MB_OK)
            return 0;
        char desc[256];
        for (size_t c = 0; c < mb_cql_result_column_count(res); c++) {
            const mb_cql_type *t = mb_cql_result_column_type(res, c);
            if (t)
                mb_cql_type_describe(t, desc, sizeof desc);
        }
        for (size_t r = 0; r < mb_cql_result_row_count(res); r++)
            for (size_t c = 0; c < mb_cql_result_column_count(res); c++) {
                mb_cql_cell cell = mb_cql_result_cell(res, r, c);
                walk(&cell, 0);
            }
        mb_cql_result_free(res);
        return 0;
    }
    size_t off;
    if (mb_cql_body_prefix(h.flags, src, len, &off, NULL, NULL, &err))
        return 0;
    if (h.opcode == MB_CQL_OP_ERROR) {
        mb_cql_server_error se;
        if (!mb_cql_error_decode(src + off, len - off, &se, &err))
            mb_cql_error_status(&se, &err);
    } else if (h.opcode == MB_CQL_OP_EVENT) {
        mb_cql_event ev;
        mb_cql_event_decode(src + off, len - off, &ev, &err);
    }
    return 0;
}
