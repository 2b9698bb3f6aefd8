/*
 * report.c - portfolio figures from any store (see report.h).
 *
 * One pass: list the series, read each one's current values over the
 * range, fold them into per-month buckets of the meter's local time and a
 * per-meter import total; then sort the meters for the top list.
 */
#include "analytics/report.h"
#include "core/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char meter[MB_ID_MAX + 1], channel[MB_ID_MAX + 1], zone[64];
    mb_unit unit;
    int is_register;
} series;

typedef struct {
    series *v;
    size_t n, cap;
} series_list;

typedef struct {
    mb_report *r;
    const mb_tz *tz;
    int kind;            /* 1 import, -1 export, 0 left out */
    mb_report_meter *cur;
    int64_t month_key_last;
    uint64_t *month_seen; /* per month: last meter index that touched it */
    uint64_t meter_index;
    int64_t first_key;    /* year*12+month-1 of months[0] */
    int64_t from_day, to_day;
} fold_ctx;

static mb_status collect(void *ctx, const mb_series_info *si, mb_error *err)
{
    series_list *l = ctx;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 1024;
        series *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv)
            return mb_error_set(err, MB_ENOMEM, "out of memory");
        l->v = nv;
        l->cap = nc;
    }
    series *s = &l->v[l->n++];
    snprintf(s->meter, sizeof s->meter, "%s", si->meter);
    snprintf(s->channel, sizeof s->channel, "%s", si->channel);
    snprintf(s->zone, sizeof s->zone, "%s", si->zone);
    s->unit = si->unit;
    s->is_register = si->is_register;
    return MB_OK;
}

static mb_status month_of(fold_ctx *c, int64_t key, mb_report_month **out,
                          mb_error *err)
{
    mb_report *r = c->r;
    if (!r->nmonths) {
        c->first_key = key;
    }
    /* Months are kept contiguous from first_key; extend either side. */
    if (key < c->first_key) {
        size_t shift = (size_t)(c->first_key - key);
        size_t n = r->nmonths + shift;
        mb_report_month *nm = calloc(n, sizeof *nm);
        uint64_t *ns = calloc(n, sizeof *ns);
        if (!nm || !ns) {
            free(nm);
            free(ns);
            return mb_error_set(err, MB_ENOMEM, "out of memory");
        }
        memcpy(nm + shift, r->months, r->nmonths * sizeof *nm);
        memcpy(ns + shift, c->month_seen, r->nmonths * sizeof *ns);
        free(r->months);
        free(c->month_seen);
        r->months = nm;
        c->month_seen = ns;
        r->nmonths = n;
        c->first_key = key;
    }
    size_t i = (size_t)(key - c->first_key);
    if (i >= r->nmonths) {
        size_t n = i + 1;
        mb_report_month *nm = realloc(r->months, n * sizeof *nm);
        if (!nm)
            return mb_error_set(err, MB_ENOMEM, "out of memory");
        r->months = nm;
        uint64_t *ns = realloc(c->month_seen, n * sizeof *ns);
        if (!ns)
            return mb_error_set(err, MB_ENOMEM, "out of memory");
        c->month_seen = ns;
        memset(nm + r->nmonths, 0, (n - r->nmonths) * sizeof *nm);
        memset(ns + r->nmonths, 0, (n - r->nmonths) * sizeof *ns);
        r->nmonths = n;
    }
    mb_report_month *m = &r->months[i];
    m->year = (int)((c->first_key + (int64_t)i) / 12);
    m->month = (int)((c->first_key + (int64_t)i) % 12) + 1;
    if (c->month_seen[i] != c->meter_index) {
        c->month_seen[i] = c->meter_index;
        m->meters++;
    }
    *out = m;
    return MB_OK;
}

static mb_status fold(void *ctx, const mb_interval_row *row, mb_error *err)
{
    fold_ctx *c = ctx;
    mb_report *r = c->r;
    int64_t day = mb_tz_local_day(c->tz, row->start);
    if (day < c->from_day || day > c->to_day)
        return MB_OK;
    r->values++;
    r->quality[mb_quality_index(row->quality.flag)]++;
    if (!c->kind)
        return MB_OK;
    int y, m, d;
    mb_civil_from_days(day, &y, &m, &d);
    mb_report_month *mo = NULL;
    mb_status st = month_of(c, (int64_t)y * 12 + m - 1, &mo, err);
    if (st)
        return st;
    mo->values++;
    int bad = 0;
    if (c->kind > 0) {
        bad |= mb_decimal_sum_add(&mo->imported, row->value) != MB_OK;
        bad |= mb_decimal_sum_add(&c->cur->imported, row->value) != MB_OK;
        mb_decimal_sum *part = row->quality.flag == MB_Q_ACTUAL ? &mo->actual
                               : row->quality.flag == MB_Q_ESTIMATED
                                   ? &mo->estimated
                               : row->quality.flag == MB_Q_NULL ? NULL
                                                                : &mo->substituted;
        if (part)
            bad |= mb_decimal_sum_add(part, row->value) != MB_OK;
    } else {
        bad |= mb_decimal_sum_add(&mo->exported, row->value) != MB_OK;
    }
    if (row->quality.flag == MB_Q_NULL)
        mo->nulls++;
    return bad ? mb_error_set(err, MB_ERANGE, "portfolio total out of range")
               : MB_OK;
}

static int cmp_import(const void *a, const void *b)
{
    const mb_report_meter *x = a, *y = b;
    __int128 ux = x->imported.units, uy = y->imported.units;
    for (int32_t s = x->imported.scale; s < y->imported.scale; s++)
        ux *= 10;
    for (int32_t s = y->imported.scale; s < x->imported.scale; s++)
        uy *= 10;
    if (ux != uy)
        return ux > uy ? -1 : 1;
    return strcmp(x->meter, y->meter);
}

mb_status mb_report_build(mb_store *s, const mb_report_opts *o,
                          mb_report **out, mb_error *err)
{
    series_list l = {0};
    mb_status st = mb_store_series(s, collect, &l, err);
    mb_report *r = calloc(1, sizeof *r);
    mb_report_meter *meters = NULL;
    if (!st && !r)
        st = mb_error_set(err, MB_ENOMEM, "out of memory");
    /* At most one entry per distinct meter (series are sorted by meter). */
    if (!st && l.n && !(meters = calloc(l.n, sizeof *meters)))
        st = mb_error_set(err, MB_ENOMEM, "out of memory");
    fold_ctx c = {.r = r, .from_day = o->from_day, .to_day = o->to_day};
    size_t nmeters = 0;
    for (size_t i = 0; !st && i < l.n; i++) {
        series *se = &l.v[i];
        if (!nmeters || strcmp(meters[nmeters - 1].meter, se->meter)) {
            if (o->max_meters && nmeters == o->max_meters)
                break;
            snprintf(meters[nmeters].meter, sizeof meters[0].meter, "%s",
                     se->meter);
            nmeters++;
            c.meter_index = nmeters;
        }
        c.cur = &meters[nmeters - 1];
        r->series++;
        if (se->is_register) {
            r->registers++;
            continue;
        }
        if (!(c.tz = mb_tz_get(se->zone, err))) {
            st = err->status;
            break;
        }
        c.kind = se->unit != MB_UNIT_KWH ? 0 : se->channel[0] == 'B' ? -1 : 1;
        /* Wide enough in UTC for any zone; fold() keeps the local dates. */
        mb_range_query q = {.meter = se->meter, .channel = se->channel,
                            .from = o->from_day * 86400 - 14 * 3600,
                            .to = (o->to_day + 1) * 86400 + 12 * 3600};
        st = mb_store_read(s, &q, fold, &c, err);
    }
    free(l.v);
    free(c.month_seen);
    if (st) {
        free(meters);
        mb_report_free(r);
        return st;
    }
    r->meters = nmeters;
    if (nmeters)
        qsort(meters, nmeters, sizeof *meters, cmp_import);
    r->ntop = nmeters < o->top ? nmeters : o->top;
    r->top = meters;
    *out = r;
    return MB_OK;
}

void mb_report_free(mb_report *r)
{
    if (!r)
        return;
    free(r->months);
    free(r->top);
    free(r);
}
