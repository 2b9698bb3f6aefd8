/*
 * collect.h - a reader sink for the format reader tests: copies every
 * interval block, register read and warning it receives so tests can
 * compare them with golden values after the reader returns.
 */
#ifndef MB_TEST_COLLECT_H
#define MB_TEST_COLLECT_H

#include "formats/reader.h"

#include <stdio.h>
#include <string.h>

#define COLLECT_MAX 64

typedef struct cblock {
    char meter[MB_ID_MAX + 1], channel[MB_ID_MAX + 1], zone[MB_ID_MAX + 1];
    mb_unit unit;
    mb_time start;
    int32_t interval;
    uint32_t count;
    mb_decimal values[288];
    mb_quality quality[288];
    mb_version version;
} cblock;

typedef struct cread {
    char meter[MB_ID_MAX + 1], reg[MB_ID_MAX + 1], serial[MB_ID_MAX + 1];
    char zone[MB_ID_MAX + 1], reason_text[128];
    mb_unit unit;
    mb_time read_at;
    mb_decimal value;
    char read_type;
    mb_quality quality;
    mb_version version;
} cread;

typedef struct collect {
    int nblocks, nreads, nwarnings, nbegin;
    cblock blocks[COLLECT_MAX];
    cread reads[COLLECT_MAX];
    char warning[4][768];
    mb_version created;
    char from[MB_ID_MAX + 1], to[MB_ID_MAX + 1];
} collect;

static void cstr(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "(null)");
}

static mb_status collect_begin(void *ctx, const mb_source_info *info,
                               mb_error *err)
{
    (void)err;
    collect *c = ctx;
    c->nbegin++;
    c->created = info->created;
    cstr(c->from, sizeof c->from, info->from);
    cstr(c->to, sizeof c->to, info->to);
    return MB_OK;
}

static mb_status collect_intervals(void *ctx, const mb_interval_block *b,
                                   mb_error *err)
{
    collect *c = ctx;
    if (c->nblocks == COLLECT_MAX || b->count > 288)
        return mb_error_set(err, MB_ERANGE, "collector full");
    cblock *o = &c->blocks[c->nblocks++];
    cstr(o->meter, sizeof o->meter, b->meter);
    cstr(o->channel, sizeof o->channel, b->channel);
    cstr(o->zone, sizeof o->zone, b->zone);
    o->unit = b->unit;
    o->start = b->start;
    o->interval = b->interval;
    o->count = b->count;
    memcpy(o->values, b->values, b->count * sizeof *b->values);
    memcpy(o->quality, b->quality, b->count * sizeof *b->quality);
    o->version = b->version;
    return MB_OK;
}

static mb_status collect_reg(void *ctx, const mb_register_read *r,
                             mb_error *err)
{
    collect *c = ctx;
    if (c->nreads == COLLECT_MAX)
        return mb_error_set(err, MB_ERANGE, "collector full");
    cread *o = &c->reads[c->nreads++];
    cstr(o->meter, sizeof o->meter, r->meter);
    cstr(o->reg, sizeof o->reg, r->reg);
    cstr(o->serial, sizeof o->serial, r->serial);
    cstr(o->zone, sizeof o->zone, r->zone);
    snprintf(o->reason_text, sizeof o->reason_text, "%s",
             r->reason_text ? r->reason_text : "");
    o->unit = r->unit;
    o->read_at = r->read_at;
    o->value = r->value;
    o->read_type = r->read_type;
    o->quality = r->quality;
    o->version = r->version;
    return MB_OK;
}

static void collect_warning(void *ctx, const mb_error *w)
{
    collect *c = ctx;
    if (c->nwarnings < 4)
        snprintf(c->warning[c->nwarnings], sizeof c->warning[0], "%s", w->msg);
    c->nwarnings++;
}

static mb_reader_sink collect_sink(collect *c)
{
    memset(c, 0, sizeof *c);
    mb_reader_sink s = {c, collect_begin, collect_intervals, collect_reg,
                        collect_warning};
    return s;
}

typedef mb_status (*collect_reader)(mb_input *, const mb_read_opts *,
                                    const mb_reader_sink *, mb_read_stats *,
                                    mb_error *);

/* Run reader over text (named name) into c; stats and err filled. */
static mb_status collect_run(collect_reader reader, const char *name,
                             const char *text, bool lenient, collect *c,
                             mb_read_stats *stats, mb_error *err)
{
    mb_input *in;
    mb_status st = mb_input_open_mem(name, text, strlen(text), &in, err);
    if (st)
        return st;
    mb_reader_sink sink = collect_sink(c);
    mb_read_opts opts = {MB_FORMAT_AUTO, lenient};
    memset(stats, 0, sizeof *stats);
    mb_error_clear(err);
    st = reader(in, &opts, &sink, stats, err);
    mb_input_close(in);
    return st;
}

static const char *dec(mb_decimal d)
{
    static char buf[4][MB_DECIMAL_STRLEN];
    static int k;
    k = (k + 1) % 4;
    mb_decimal_format(d, buf[k], sizeof buf[k]);
    return buf[k];
}

#endif
