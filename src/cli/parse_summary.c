/*
 * parse_summary.c - per file and channel statistics (see parse_summary.h).
 *
 * The hot path is mb_summary_intervals: one channel lookup (the last one
 * is tried first), two set insertions (meter, local day) and a loop over
 * the values that adds them exactly and counts quality flags.
 */
#include "cli/parse_summary.h"
#include "cli/cli.h"
#include "core/strset.h"
#include "core/tz.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHANNELS 256

typedef struct {
    char name[MB_ID_MAX + 1];
    mb_unit unit;
    int is_register;
    mb_strset *days;
    uint8_t *seen;      /* bit per meter number (mb_summary.meters) */
    size_t seen_cap;    /* bytes */
    size_t nmeters;     /* distinct meters in this channel */
    int64_t last_day;   /* last day added to days, to skip repeats */
    int have_day;
    uint64_t values;
    uint64_t quality[5]; /* A E S F N */
    mb_decimal_sum total;
} chan;

struct mb_summary {
    FILE *out;
    char file[1024];
    const char *format;
    int active;
    chan ch[MAX_CHANNELS];
    int nch, last;
    const mb_tz *tz;
    char zone[64];
    /* Meters of the file, numbered once; consecutive records of the same
     * meter (its channels) reuse the last number without hashing. */
    mb_strset *meters;
    char last_meter[MB_ID_MAX + 1];
    size_t last_id;
    int have_meter;
};

static const char qflags[5] = {'A', 'E', 'S', 'F', 'N'};

mb_status mb_summary_new(FILE *out, mb_summary **s, mb_error *err)
{
    if (!(*s = calloc(1, sizeof **s)))
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    (*s)->out = out;
    return MB_OK;
}

static void reset(mb_summary *s)
{
    for (int i = 0; i < s->nch; i++) {
        free(s->ch[i].seen);
        mb_strset_free(s->ch[i].days);
    }
    mb_strset_free(s->meters);
    s->meters = NULL;
    s->have_meter = 0;
    s->nch = 0;
    s->last = 0;
    s->active = 0;
}

void mb_summary_flush(mb_summary *s)
{
    if (!s->active)
        return;
    FILE *o = s->out;
    fprintf(o, "%s (%s)\n", s->file, s->format);
    if (!s->nch)
        fprintf(o, "  no readings\n");
    else
        fprintf(o, "  %-8s %-6s %8s %6s %12s %20s  %s\n", "channel", "unit",
                "meters", "days", "values", "total", "quality");
    for (int i = 0; i < s->nch; i++) {
        chan *c = &s->ch[i];
        char tot[64], q[160] = "", n[32];
        mb_decimal_sum_format(&c->total, tot, sizeof tot);
        size_t ql = 0;
        for (int k = 0; k < 5; k++)
            if (c->quality[k])
                ql += (size_t)snprintf(q + ql, sizeof q - ql, "%s%c=%s",
                                       ql ? " " : "", qflags[k],
                                       mb_cli_count(c->quality[k], n, sizeof n));
        char name[MB_ID_MAX + 12];
        snprintf(name, sizeof name, "%s%s", c->is_register ? "reg " : "",
                 c->name);
        fprintf(o, "  %-8s %-6s %8zu %6zu %12llu %20s  %s\n", name,
                mb_unit_name(c->unit), c->nmeters,
                mb_strset_count(c->days), (unsigned long long)c->values, tot,
                q);
    }
    reset(s);
}

void mb_summary_free(mb_summary *s)
{
    if (!s)
        return;
    mb_summary_flush(s);
    reset(s);
    free(s);
}

mb_status mb_summary_begin(void *ctx, const mb_source_info *info,
                           mb_error *err)
{
    (void)err;
    mb_summary *s = ctx;
    mb_summary_flush(s);
    snprintf(s->file, sizeof s->file, "%s", info->name);
    s->format = mb_format_name(info->format);
    s->active = 1;
    return MB_OK;
}

static mb_status find_chan(mb_summary *s, const char *name, mb_unit unit,
                           int is_register, chan **out, mb_error *err)
{
    chan *c = s->nch ? &s->ch[s->last] : NULL;
    if (c && c->unit == unit && c->is_register == is_register &&
        !strcmp(c->name, name)) {
        *out = c;
        return MB_OK;
    }
    for (int i = 0; i < s->nch; i++) {
        c = &s->ch[i];
        if (c->unit == unit && c->is_register == is_register &&
            !strcmp(c->name, name)) {
            s->last = i;
            *out = c;
            return MB_OK;
        }
    }
    if (s->nch == MAX_CHANNELS)
        return mb_error_set(err, MB_ERANGE, "more than %d channels in one file",
                            MAX_CHANNELS);
    c = &s->ch[s->nch];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->unit = unit;
    c->is_register = is_register;
    mb_status st = mb_strset_new(&c->days, err);
    if (st)
        return st;
    s->last = s->nch++;
    *out = c;
    return MB_OK;
}

static mb_status note(mb_summary *s, chan *c, const char *meter,
                      const char *zone, mb_time t, mb_error *err)
{
    int added;
    mb_status st;
    size_t len = strlen(meter);
    if (!s->have_meter || strcmp(s->last_meter, meter)) {
        if (!s->meters && (st = mb_strset_new(&s->meters, err)))
            return st;
        if ((st = mb_strset_add(s->meters, meter, len, &added, &s->last_id,
                                err)))
            return st;
        memcpy(s->last_meter, meter, len < MB_ID_MAX ? len + 1 : MB_ID_MAX);
        s->last_meter[MB_ID_MAX] = '\0';
        s->have_meter = 1;
    }
    size_t byte = s->last_id / 8;
    if (byte >= c->seen_cap) {
        size_t ncap = c->seen_cap ? c->seen_cap * 2 : 4096;
        while (ncap <= byte)
            ncap *= 2;
        uint8_t *ns = realloc(c->seen, ncap);
        if (!ns)
            return mb_error_set(err, MB_ENOMEM, "out of memory");
        memset(ns + c->seen_cap, 0, ncap - c->seen_cap);
        c->seen = ns;
        c->seen_cap = ncap;
    }
    uint8_t bit = (uint8_t)(1u << (s->last_id % 8));
    if (!(c->seen[byte] & bit)) {
        c->seen[byte] |= bit;
        c->nmeters++;
    }
    if (!s->tz || strcmp(s->zone, zone)) {
        if (!(s->tz = mb_tz_get(zone, err)))
            return err->status;
        snprintf(s->zone, sizeof s->zone, "%s", zone);
    }
    int64_t day = mb_tz_local_day(s->tz, t);
    if (c->have_day && c->last_day == day)
        return MB_OK;
    c->have_day = 1;
    c->last_day = day;
    return mb_strset_add(c->days, &day, sizeof day, &added, NULL, err);
}

mb_status mb_summary_intervals(void *ctx, const mb_interval_block *b,
                               mb_error *err)
{
    mb_summary *s = ctx;
    chan *c;
    mb_status st = find_chan(s, b->channel, b->unit, 0, &c, err);
    if (!st)
        st = note(s, c, b->meter, b->zone, b->start, err);
    if (st)
        return st;
    c->values += b->count;
    /* One pass counts the quality flags, which come in runs (often one for
     * the whole block), and adds the values in 128 bits (no overflow below
     * 2^64 values). When they all share one scale and the sum fits in 64
     * bits it goes to the total at once; otherwise they go one by one. */
    __int128 acc = 0;
    int32_t scale = b->count ? b->values[0].scale : 0;
    bool same = true;
    uint32_t run = 0;
    char flag = b->count ? b->quality[0].flag : 0;
    for (uint32_t i = 0; i < b->count; i++) {
        if (b->quality[i].flag != flag) {
            c->quality[mb_quality_index(flag)] += i - run;
            flag = b->quality[i].flag;
            run = i;
        }
        same &= b->values[i].scale == scale;
        acc += b->values[i].units;
    }
    if (b->count)
        c->quality[mb_quality_index(flag)] += b->count - run;
    mb_status st2 = MB_OK;
    if (same && acc >= INT64_MIN && acc <= INT64_MAX)
        st2 = mb_decimal_sum_add(&c->total, (mb_decimal){(int64_t)acc, scale});
    else
        for (uint32_t i = 0; !st2 && i < b->count; i++)
            st2 = mb_decimal_sum_add(&c->total, b->values[i]);
    if (st2)
        return mb_error_set(err, MB_ERANGE, "total of channel %s out of "
                            "range", b->channel);
    return MB_OK;
}

mb_status mb_summary_register(void *ctx, const mb_register_read *r,
                              mb_error *err)
{
    mb_summary *s = ctx;
    chan *c;
    mb_status st = find_chan(s, r->reg, r->unit, 1, &c, err);
    if (!st)
        st = note(s, c, r->meter, r->zone, r->read_at, err);
    if (st)
        return st;
    c->values++;
    c->quality[mb_quality_index(r->quality.flag)]++;
    /* Register values are cumulative: the total is not meaningful, but the
     * sum of reads makes two summaries comparable. */
    if (mb_decimal_sum_add(&c->total, r->value))
        return mb_error_set(err, MB_ERANGE, "total of register %s out of range",
                            r->reg);
    return MB_OK;
}
