/*
 * cql_stmt.h - statements, prepared statements and batches turned into
 * request frames (internal to the CQL client).
 *
 * cql_stmt.c keeps bound values already encoded, builds QUERY, EXECUTE
 * and BATCH frames, and computes the routing key of a prepared statement
 * from its partition key indexes. cql_cluster.c sends what it builds.
 */
#ifndef MB_CQL_STMT_H
#define MB_CQL_STMT_H

#include "cql/cql_codec.h"

/* A request ready for the I/O thread. */
typedef struct mb_cql_request {
    mb_cql_buf frame;           /* the whole frame, stream id 0 */
    bool has_token;
    int64_t token;              /* Murmur3 token of the routing key */
    bool idempotent;
    const mb_cql_prepared **preps; /* prepared statements it executes */
    size_t npreps;
} mb_cql_request;

mb_status mb_cql_stmt_request(const mb_cql_stmt *st, mb_cql_request *rq,
                              mb_error *err);
mb_status mb_cql_batch_request(const mb_cql_batch *b, mb_cql_request *rq,
                               mb_error *err);
void mb_cql_request_free(mb_cql_request *rq);

/* A prepared statement from the PREPARE result (takes res). */
mb_status mb_cql_prepared_new(const char *cql, mb_cql_result *res,
                              mb_cql_prepared **out, mb_error *err);
const char *mb_cql_prepared_query(const mb_cql_prepared *p);
const uint8_t *mb_cql_prepared_id(const mb_cql_prepared *p, size_t *n);

#endif
