/*
 * cmd_cql.c - `meterbase cql "STATEMENT"`: run one CQL statement.
 *
 * An operator's tool on top of the CQL client (src/cql/cql.h): connects,
 * runs the statement, follows paging and prints the rows as an aligned
 * table, or "OK" for statements without rows.
 */
#include "cli/commands.h"
#include "cql/cql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: meterbase cql [--host H:P[,H:P...]] [--consistency CL]\n"
            "                     [--user U --password P] [--page-size N] "
            "\"STATEMENT\"\n\n"
            "Runs one CQL statement against Cassandra and prints its rows as "
            "a table\n(all pages), or OK.\n\n"
            "  --host         contact points (default $MB_CQL_HOSTS or "
            "127.0.0.1:9042)\n"
            "  --consistency  ONE (default), QUORUM, LOCAL_QUORUM, ALL, ...\n"
            "  --user, --password  credentials for PasswordAuthenticator\n"
            "                 (default $MB_CQL_USER, $MB_CQL_PASSWORD)\n"
            "  --page-size    rows fetched per page (default 5000)\n\n"
            "Exit status: 0 success, 2 usage error, 3 server or connection "
            "error.\n");
}

typedef struct table {
    size_t ncols, nrows, cap;
    char **cells; /* header row first */
    size_t *width;
} table;

/* Display width of UTF-8 text: code points, not bytes. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* Appends one cell; -1 when out of memory. */
static int push(table *t, size_t *n, char *s)
{
    if (!s)
        return -1;
    if (*n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        char **c = realloc(t->cells, cap * sizeof *c);
        if (!c) {
            free(s);
            return -1;
        }
        t->cells = c;
        t->cap = cap;
    }
    size_t w = text_width(s);
    size_t col = *n % t->ncols;
    if (w > t->width[col])
        t->width[col] = w;
    t->cells[(*n)++] = s;
    return 0;
}

static void table_print(const table *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t col = i % t->ncols;
        printf("%s%s", col ? " | " : " ", t->cells[i]);
        for (size_t w = text_width(t->cells[i]);
             col + 1 < t->ncols && w < t->width[col]; w++)
            putchar(' ');
        if (col + 1 == t->ncols) {
            printf("\n");
            if (i + 1 == t->ncols) { /* under the header */
                for (size_t c = 0; c < t->ncols; c++) {
                    printf("%s", c ? "-+-" : "-");
                    for (size_t k = 0; k < t->width[c]; k++)
                        putchar('-');
                }
                printf("\n");
            }
        }
    }
}

static int fail(const mb_error *err)
{
    fprintf(stderr, "meterbase cql: %s\n", err->msg);
    return MB_EXIT_FAIL;
}

static void print_warnings(const mb_cql_result *res)
{
    for (const char *const *w = mb_cql_result_warnings(res); *w; w++)
        fprintf(stderr, "warning: %s\n", *w);
}

int mb_cmd_cql(int argc, char **argv)
{
    const char *hosts = getenv("MB_CQL_HOSTS"), *user = getenv("MB_CQL_USER");
    const char *pass = getenv("MB_CQL_PASSWORD");
    const char *stmt_text = NULL;
    mb_cql_consistency cons = MB_CQL_ONE;
    long page = 5000;
    mb_error err;
    mb_error_clear(&err);
    if (!hosts || !*hosts)
        hosts = "127.0.0.1:9042";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return MB_EXIT_OK;
        } else if (!strcmp(a, "--host") && has_val) {
            hosts = argv[++i];
        } else if (!strcmp(a, "--consistency") && has_val) {
            if (mb_cql_consistency_parse(argv[++i], &cons, &err)) {
                fprintf(stderr, "meterbase cql: %s\n", err.msg);
                return MB_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--user") && has_val) {
            user = argv[++i];
        } else if (!strcmp(a, "--password") && has_val) {
            pass = argv[++i];
        } else if (!strcmp(a, "--page-size") && has_val) {
            char *end;
            page = strtol(argv[++i], &end, 10);
            if (*end || page <= 0 || page > INT32_MAX) {
                fprintf(stderr, "meterbase cql: bad --page-size '%s'\n",
                        argv[i]);
                return MB_EXIT_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "meterbase cql: unknown or incomplete option "
                    "'%s'\n", a);
            usage(stderr);
            return MB_EXIT_USAGE;
        } else if (stmt_text) {
            fprintf(stderr, "meterbase cql: one statement only (quote it)\n");
            return MB_EXIT_USAGE;
        } else {
            stmt_text = a;
        }
    }
    if (!stmt_text) {
        usage(stderr);
        return MB_EXIT_USAGE;
    }
    if ((user == NULL) != (pass == NULL)) {
        fprintf(stderr, "meterbase cql: --user and --password go together\n");
        return MB_EXIT_USAGE;
    }
    mb_cql_config cfg = {.contact_points = hosts, .user = user,
                         .password = pass, .pool_size = 1};
    mb_cql_cluster *cl;
    if (mb_cql_cluster_open(&cfg, &cl, &err))
        return fail(&err);
    mb_cql_stmt *st = mb_cql_stmt_new(stmt_text, 0);
    if (!st) {
        mb_cql_cluster_close(cl);
        mb_error_set(&err, MB_ENOMEM, "out of memory");
        return fail(&err);
    }
    mb_cql_stmt_set_consistency(st, cons);
    mb_cql_stmt_set_page_size(st, (int32_t)page);
    table t = {0};
    size_t n = 0;
    int rc = MB_EXIT_OK;
    for (;;) {
        mb_cql_result *res;
        if (mb_cql_execute(cl, st, &res, &err)) {
            rc = fail(&err);
            break;
        }
        print_warnings(res);
        if (mb_cql_result_kind_of(res) != MB_CQL_RESULT_ROWS) {
            const char *info = mb_cql_result_info(res);
            if (*info)
                printf("OK (%s)\n", info);
            else
                printf("OK\n");
            mb_cql_result_free(res);
            break;
        }
        if (!t.ncols) {
            t.ncols = mb_cql_result_column_count(res);
            t.width = calloc(t.ncols ? t.ncols : 1, sizeof *t.width);
            for (size_t c = 0; t.width && c < t.ncols; c++)
                if (push(&t, &n, strdup(mb_cql_result_column_name(res, c))))
                    t.width = NULL;
        }
        bool oom = !t.width;
        for (size_t r = 0; !oom && r < mb_cql_result_row_count(res); r++)
            for (size_t c = 0; !oom && c < t.ncols; c++) {
                mb_cql_cell cell = mb_cql_result_cell(res, r, c);
                oom = push(&t, &n, mb_cql_cell_format(&cell)) != 0;
            }
        bool more = !oom && mb_cql_result_has_more_pages(res);
        if (more)
            mb_cql_stmt_set_paging_state(st, res, &err);
        mb_cql_result_free(res);
        if (oom) {
            mb_error_set(&err, MB_ENOMEM, "out of memory");
            rc = fail(&err);
            break;
        }
        if (!more) {
            table_print(&t, n);
            printf("\n(%zu rows)\n", t.ncols ? n / t.ncols - 1 : 0);
            break;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(t.cells[i]);
    free(t.cells);
    free(t.width);
    mb_cql_stmt_free(st);
    mb_cql_cluster_close(cl);
    return rc;
}
