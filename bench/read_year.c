/*
 * read_year.c - times reading one meter's range back from a store, in
 * process (a command's start-up would swamp a sub-millisecond read).
 *
 *   read_year STORE_URI FROM_DATE TO_DATE [SAMPLES]
 *
 * Picks SAMPLES meters spread over the store's series (default 200), reads
 * each one's channel over [FROM, TO] (local dates of +10:00) through
 * mb_store_read, and prints the median and 90th percentile time per read
 * and the values per read: for a first pass (from disk unless the page
 * cache holds the store) and for a second pass over the same meters.
 */
#include "core/datetime.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char (*meter)[MB_ID_MAX + 1];
    char (*channel)[MB_ID_MAX + 1];
    size_t n, cap;
} series;

static mb_status collect(void *ctx, const mb_series_info *si, mb_error *err)
{
    series *s = ctx;
    if (si->is_register)
        return MB_OK;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        void *m = realloc(s->meter, s->cap * sizeof *s->meter);
        void *c = realloc(s->channel, s->cap * sizeof *s->channel);
        if (!m || !c)
            return mb_error_set(err, MB_ENOMEM, "out of memory");
        s->meter = m;
        s->channel = c;
    }
    snprintf(s->meter[s->n], sizeof s->meter[0], "%s", si->meter);
    snprintf(s->channel[s->n], sizeof s->channel[0], "%s", si->channel);
    s->n++;
    return MB_OK;
}

static mb_status count(void *ctx, const mb_interval_row *r, mb_error *err)
{
    (void)r;
    (void)err;
    (*(uint64_t *)ctx)++;
    return MB_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: read_year STORE_URI FROM TO [SAMPLES]\n");
        return 2;
    }
    size_t samples = argc > 4 ? strtoul(argv[4], NULL, 10) : 200;
    int y, m, d, y2, m2, d2;
    mb_error err;
    if (mb_date_parse(argv[2], strlen(argv[2]), &y, &m, &d, &err) ||
        mb_date_parse(argv[3], strlen(argv[3]), &y2, &m2, &d2, &err)) {
        fprintf(stderr, "read_year: %s\n", err.msg);
        return 2;
    }
    mb_store *s;
    if (mb_store_open(argv[1], &s, &err)) {
        fprintf(stderr, "read_year: %s\n", err.msg);
        return 3;
    }
    series se = {0};
    if (mb_store_series(s, collect, &se, &err) || !se.n) {
        fprintf(stderr, "read_year: %s\n", se.n ? err.msg : "no series");
        return 3;
    }
    if (samples > se.n)
        samples = se.n;
    double *t = calloc(samples, sizeof *t);
    if (!t) {
        fprintf(stderr, "read_year: out of memory\n");
        return 3;
    }
    mb_range_query q = {
        .from = mb_days_from_civil(y, m, d) * 86400 - 10 * 3600,
        .to = (mb_days_from_civil(y2, m2, d2) + 1) * 86400 - 10 * 3600};
    /* Pass 0 finds the rows on disk (cold, unless the page cache still
     * holds the store); pass 1 reads the same meters again (warm). */
    for (int pass = 0; pass < 2; pass++) {
        uint64_t values = 0;
        for (size_t i = 0; i < samples; i++) {
            size_t k = i * se.n / samples;
            q.meter = se.meter[k];
            q.channel = se.channel[k];
            uint64_t n = 0;
            double t0 = now_us();
            if (mb_store_read(s, &q, count, &n, &err)) {
                fprintf(stderr, "read_year: %s\n", err.msg);
                return 3;
            }
            t[i] = now_us() - t0;
            values += n;
        }
        qsort(t, samples, sizeof *t, cmp_double);
        printf("%s%zu reads of one meter's channel from %s to %s, %s: median "
               "%.0f us, p90 %.0f us, %.0f values per read\n",
               pass ? "            " : "", samples, argv[2], argv[3],
               pass ? "again (warm)" : "first time", t[samples / 2],
               t[samples * 9 / 10], (double)values / (double)samples);
    }
    free(t);
    free(se.meter);
    free(se.channel);
    mb_store_close(s);
    return 0;
}
