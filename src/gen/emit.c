/*
 * emit.c - files of a generated portfolio (see emit.h).
 *
 * Interval formats (NEM12, CSV) are written day by day and part by part;
 * meter-days with a negative value and corrections are collected per day
 * and written to their own files after the day's parts. Register formats
 * (NEM13, D0010) walk the days in order too, keeping each meter's running
 * register totals in memory, and write the reads that fall due at the end
 * of each day. Duplicates are byte copies of finished files.
 */
#include "gen/emit.h"

#include "formats/csv_writer.h"
#include "formats/d0010_writer.h"
#include "formats/nem_writer.h"
#include "formats/outbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct emit {
    const mb_gen_model *m;
    const mb_gen_output *o;
    mb_gen_summary *sum;
    mb_outbuf *manifest;
    uint32_t per_file, parts;
    int part_width;
    char date[9];                 /* YYYYMMDD of the current day */
    char name[128];               /* current file name (no directory) */
    char path[PATH_MAX];
    uint32_t *neg, *corr;         /* meter indexes, current day */
    size_t nneg, ncorr;
    mb_gen_series series;
    mb_decimal values[MB_GEN_MAX_SLOTS];
} emit;

/* The per-format file handle of an interval file. */
typedef struct ifile {
    mb_nem_writer *nem;   /* NEM12 */
    FILE *f;              /* CSV */
    mb_csv_writer *csv;
} ifile;

static const char *const ext_of[] = {"", "nem12", "nem13", "d0010", "csv"};

const char *mb_gen_nem13_suffix(mb_gen_channel c)
{
    static const char *const s[] = {"11", "13", "12"};
    return (unsigned)c < MB_GEN_CHANNELS ? s[c] : "?";
}

static void set_name(emit *e, const char *tail)
{
    const char *fmt = ext_of[e->o->format];
    snprintf(e->name, sizeof e->name, "%s_%s_%s.%s", fmt, e->date, tail,
             e->o->format == MB_FORMAT_D0010 ? "txt" : "csv");
    snprintf(e->path, sizeof e->path, "%s/%s", e->o->dir, e->name);
}

static void set_part_name(emit *e, uint32_t part)
{
    char tail[16];
    snprintf(tail, sizeof tail, "%0*u", e->part_width, part + 1);
    set_name(e, tail);
}

static void put_date(mb_outbuf *o, int64_t days)
{
    int y, mo, d;
    mb_civil_from_days(days, &y, &mo, &d);
    mb_outbuf_put_uint(o, (uint64_t)y, 4);
    mb_outbuf_putc(o, '-');
    mb_outbuf_put_uint(o, (uint64_t)mo, 2);
    mb_outbuf_putc(o, '-');
    mb_outbuf_put_uint(o, (uint64_t)d, 2);
}

static void set_day(emit *e, const mb_gen_day *d)
{
    int y, mo, dd;
    mb_civil_from_days(d->date, &y, &mo, &dd);
    snprintf(e->date, sizeof e->date, "%04d%02d%02d", y % 10000, mo, dd);
}

/* Byte copy of the file just closed under the name <name>_dup.<ext>. */
static mb_status duplicate(emit *e, mb_error *err)
{
    char dup[PATH_MAX], dupname[160];
    const char *dot = strrchr(e->name, '.');
    snprintf(dupname, sizeof dupname, "%.*s_dup%s", (int)(dot - e->name),
             e->name, dot);
    snprintf(dup, sizeof dup, "%s/%s", e->o->dir, dupname);
    FILE *in = fopen(e->path, "rb");
    if (!in)
        return mb_error_set(err, MB_EIO, "cannot read %s: %s", e->path,
                            strerror(errno));
    mb_outbuf *out;
    mb_status st = mb_outbuf_open(dup, &out, err);
    if (st) {
        fclose(in);
        return st;
    }
    char buf[1 << 16];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, in)) > 0)
        mb_outbuf_put(out, buf, got);
    int bad = ferror(in);
    fclose(in);
    e->sum->bytes += mb_outbuf_size(out);
    if (bad) {
        mb_outbuf_discard(out);
        return mb_error_set(err, MB_EIO, "cannot read %s", e->path);
    }
    if ((st = mb_outbuf_close(out, err)))
        return st;
    e->sum->files++;
    e->sum->duplicates++;
    mb_outbuf_puts(e->manifest, "duplicate ");
    mb_outbuf_puts(e->manifest, e->name);
    mb_outbuf_putc(e->manifest, ' ');
    mb_outbuf_puts(e->manifest, dupname);
    mb_outbuf_putc(e->manifest, '\n');
    return MB_OK;
}

/* After a part file is closed: count it, maybe duplicate it. */
static mb_status file_done(emit *e, uint64_t bytes, uint32_t day,
                           uint32_t part, mb_error *err)
{
    e->sum->files++;
    e->sum->bytes += bytes;
    const mb_gen_config *c = &e->m->cfg;
    if (!c->fault_ppm)
        return MB_OK;
    /* the same splitmix construction as the model, own purpose */
    uint64_t z = c->seed ^ ((uint64_t)day << 32 | part) ^ 0x5DEECE66DULL;
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    if (z % 1000000 >= c->fault_ppm)
        return MB_OK;
    return duplicate(e, err);
}

static mb_status push(uint32_t **list, size_t *n, uint32_t v, mb_error *err)
{
    if ((*n & (*n + 1)) == 0 || *n == 0) { /* grow at 0, 1, 3, 7, ... */
        size_t cap = *n ? (*n + 1) * 2 : 2;
        uint32_t *p = realloc(*list, cap * sizeof *p);
        if (!p)
            return mb_error_set(err, MB_ENOMEM, "out of memory");
        *list = p;
    }
    (*list)[(*n)++] = v;
    return MB_OK;
}

static void manifest_fault(emit *e, const mb_gen_meter *mt,
                           const mb_gen_day *d, mb_gen_fault_info f)
{
    mb_outbuf *o = e->manifest;
    mb_outbuf_puts(o, "fault ");
    mb_outbuf_puts(o, mb_gen_fault_name(f.kind));
    mb_outbuf_putc(o, ' ');
    mb_outbuf_puts(o, mt->id);
    mb_outbuf_putc(o, ' ');
    put_date(o, d->date);
    switch (f.kind) {
    case MB_GEN_FAULT_GAP:
    case MB_GEN_FAULT_CORRECTION:
        mb_outbuf_puts(o, f.kind == MB_GEN_FAULT_GAP ? " all channels"
                                                     : " E1");
        mb_outbuf_puts(o, " intervals ");
        mb_outbuf_put_uint(o, f.first + 1, 1);
        mb_outbuf_putc(o, '-');
        mb_outbuf_put_uint(o, f.first + f.count, 1);
        break;
    case MB_GEN_FAULT_SPIKE:
    case MB_GEN_FAULT_NEGATIVE:
        mb_outbuf_puts(o, " E1 interval ");
        mb_outbuf_put_uint(o, f.first + 1, 1);
        break;
    default:
        break;
    }
    if (f.kind == MB_GEN_FAULT_NEGATIVE || f.kind == MB_GEN_FAULT_CORRECTION) {
        mb_outbuf_puts(o, " file ");
        mb_outbuf_puts(o, ext_of[e->o->format]);
        mb_outbuf_putc(o, '_');
        mb_outbuf_puts(o, e->date);
        mb_outbuf_puts(o, f.kind == MB_GEN_FAULT_NEGATIVE ? "_neg" : "_corr");
        mb_outbuf_puts(o, ".csv");
    }
    mb_outbuf_putc(o, '\n');
}

/* ---- interval formats ---------------------------------------------- */

static mb_status ifile_open(emit *e, mb_time created, ifile *f, mb_error *err)
{
    memset(f, 0, sizeof *f);
    if (e->o->format == MB_FORMAT_NEM12) {
        mb_nem_header h = {false, created, "MDPGEN", "RETGEN"};
        return mb_nem_writer_open(e->path, &h, &f->nem, err);
    }
    f->f = fopen(e->path, "wb");
    if (!f->f)
        return mb_error_set(err, MB_EIO, "cannot create %s: %s", e->path,
                            strerror(errno));
    mb_status st = mb_csv_writer_new(f->f, MB_WRITE_CSV, MB_WRITE_FULL,
                                     &f->csv, err);
    if (st) {
        fclose(f->f);
        remove(e->path);
    }
    return st;
}

static mb_status ifile_close(emit *e, ifile *f, uint64_t *bytes,
                             mb_error *err)
{
    if (f->nem) {
        *bytes = mb_nem_writer_size(f->nem);
        mb_status st = mb_nem_writer_close(f->nem, err);
        f->nem = NULL;
        return st;
    }
    mb_status st = mb_csv_writer_flush(f->csv, err);
    mb_csv_writer_free(f->csv);
    long size = ftell(f->f);
    if (fclose(f->f) != 0 && !st)
        st = mb_error_set(err, MB_EIO, "cannot write %s: %s", e->path,
                          strerror(errno));
    *bytes = size > 0 ? (uint64_t)size : 0;
    f->f = NULL;
    f->csv = NULL;
    return st;
}

static void ifile_discard(emit *e, ifile *f)
{
    if (f->nem) {
        mb_nem_writer_discard(f->nem);
        f->nem = NULL;
        return;
    }
    mb_csv_writer_free(f->csv);
    fclose(f->f);
    remove(e->path);
    f->f = NULL;
    f->csv = NULL;
}

/* One meter-day (all its channels, or E1 only for a correction). */
static mb_status write_meter_day(emit *e, ifile *f, const mb_gen_meter *mt,
                                 const mb_gen_day *d, mb_gen_view view,
                                 mb_error *err)
{
    char config[8] = "";
    for (int c = 0; c < MB_GEN_CHANNELS; c++)
        if (mt->has[c])
            strcat(config, mb_gen_channel_name((mb_gen_channel)c));
    static const char *const reg_id[] = {"1", "2", "3"};
    static const char *const stream[] = {"N1", "N2", "N3"};
    for (int c = 0; c < MB_GEN_CHANNELS; c++) {
        if (!mt->has[c] || (view == MB_GEN_CORRECTED && c != MB_GEN_E1))
            continue;
        mb_gen_series *s = &e->series;
        mb_gen_series_fill(e->m, mt, d, (mb_gen_channel)c, view, s);
        for (uint32_t i = 0; i < s->count; i++)
            e->values[i] = (mb_decimal){s->wh[i], 3};
        mb_interval_block b = {
            .meter = mt->id,
            .channel = mb_gen_channel_name((mb_gen_channel)c),
            .zone = e->m->cfg.zone,
            .unit = MB_UNIT_KWH,
            .start = d->start,
            .interval = e->m->cfg.interval,
            .count = s->count,
            .values = e->values,
            .quality = s->q,
            .reason_text = NULL,
            .version = s->version,
        };
        mb_status st;
        if (f->csv) {
            st = mb_csv_writer_intervals(f->csv, &b, err);
        } else {
            mb_nem_channel ch = {mt->id, config, reg_id[c], b.channel,
                                 stream[c], mt->serial, MB_UNIT_KWH,
                                 e->m->cfg.interval};
            if (!(st = mb_nem12_write_channel(f->nem, &ch, err)))
                st = mb_nem12_write_day(f->nem, &b, err);
        }
        if (st)
            return st;
        e->sum->values += s->count;
    }
    return MB_OK;
}

/* The negative or correction file of a day. */
static mb_status write_extra(emit *e, const mb_gen_day *d, const uint32_t *list,
                             size_t n, mb_gen_view view, const char *tail,
                             mb_error *err)
{
    if (!n)
        return MB_OK;
    set_name(e, tail);
    ifile f;
    mb_time created = view == MB_GEN_CORRECTED ? d->created_corrected
                                               : d->created_first;
    mb_status st = ifile_open(e, created, &f, err);
    if (st)
        return st;
    mb_gen_meter mt;
    for (size_t i = 0; i < n; i++) {
        mb_gen_meter_init(e->m, list[i], &mt);
        if ((st = write_meter_day(e, &f, &mt, d, view, err))) {
            ifile_discard(e, &f);
            return st;
        }
        if (view == MB_GEN_FIRST)
            e->sum->meter_days++;
    }
    uint64_t bytes;
    if ((st = ifile_close(e, &f, &bytes, err)))
        return st;
    e->sum->files++;
    e->sum->bytes += bytes;
    return MB_OK;
}

static mb_status emit_intervals(emit *e, mb_error *err)
{
    const mb_gen_config *c = &e->m->cfg;
    mb_gen_day d;
    mb_gen_meter mt;
    mb_status st;
    for (uint32_t day = 0; day < c->days; day++) {
        if ((st = mb_gen_day_init(e->m, day, &d, err)))
            return st;
        set_day(e, &d);
        e->nneg = e->ncorr = 0;
        for (uint32_t part = 0; part < e->parts; part++) {
            set_part_name(e, part);
            ifile f;
            if ((st = ifile_open(e, d.created_first, &f, err)))
                return st;
            uint32_t end = part + 1 == e->parts ? c->meters
                                                : (part + 1) * e->per_file;
            for (uint32_t i = part * e->per_file; i < end; i++) {
                mb_gen_meter_init(e->m, i, &mt);
                mb_gen_fault_info fault = mb_gen_fault_of(e->m, &mt, &d);
                if (fault.kind) {
                    e->sum->faults[fault.kind]++;
                    manifest_fault(e, &mt, &d, fault);
                }
                if (fault.kind == MB_GEN_FAULT_MISSING)
                    continue;
                if (fault.kind == MB_GEN_FAULT_NEGATIVE) {
                    st = push(&e->neg, &e->nneg, i, err);
                } else {
                    if (fault.kind == MB_GEN_FAULT_CORRECTION)
                        st = push(&e->corr, &e->ncorr, i, err);
                    if (!st)
                        st = write_meter_day(e, &f, &mt, &d, MB_GEN_FIRST,
                                             err);
                    e->sum->meter_days++;
                }
                if (st) {
                    ifile_discard(e, &f);
                    return st;
                }
            }
            uint64_t bytes;
            if ((st = ifile_close(e, &f, &bytes, err)) ||
                (st = file_done(e, bytes, day, part, err)))
                return st;
        }
        if ((st = write_extra(e, &d, e->neg, e->nneg, MB_GEN_FIRST, "neg",
                              err)) ||
            (st = write_extra(e, &d, e->corr, e->ncorr, MB_GEN_CORRECTED,
                              "corr", err)))
            return st;
    }
    return MB_OK;
}

/* ---- register formats ---------------------------------------------- */

typedef struct regstate {
    int64_t *cum;      /* meters x MB_GEN_REGISTERS: value now */
    int64_t *last;     /* value at the previous read */
    uint32_t *last_day;/* day index after the previous read (0: start) */
    mb_time *starts;   /* start of each day, and the end of the range */
} regstate;

static mb_status reg_read_meter(emit *e, regstate *rs, mb_nem_writer *nem,
                                mb_d0010_writer *uk, const mb_gen_meter *mt,
                                const mb_gen_day *d, mb_error *err)
{
    int64_t *cum = rs->cum + (size_t)mt->index * MB_GEN_REGISTERS;
    int64_t *last = rs->last + (size_t)mt->index * MB_GEN_REGISTERS;
    mb_time at = d->start + d->length;
    mb_status st;
    if (uk) {
        if ((st = mb_d0010_write_mpan(uk, mt->id, err)) ||
            (st = mb_d0010_write_meter(uk, mt->serial, 'R', err)) ||
            (st = mb_d0010_write_read(uk, MB_GEN_D0010_DAY, at,
                                      (mb_decimal){cum[MB_GEN_REG_DAY], 3},
                                      err)) ||
            (st = mb_d0010_write_read(uk, MB_GEN_D0010_NIGHT, at,
                                      (mb_decimal){cum[MB_GEN_REG_NIGHT], 3},
                                      err)))
            return st;
        e->sum->registers += 2;
        return MB_OK;
    }
    char config[8] = "";
    static const mb_gen_register reg_of[] = {MB_GEN_REG_E1, MB_GEN_REG_B1,
                                             MB_GEN_REG_E2};
    static const char *const reg_id[] = {"1", "3", "2"};
    for (int c = 0; c < MB_GEN_CHANNELS; c++)
        if (mt->has[c])
            strcat(config, mb_gen_nem13_suffix((mb_gen_channel)c));
    const mb_quality actual = {MB_Q_ACTUAL, 0, MB_REASON_NONE};
    for (int c = 0; c < MB_GEN_CHANNELS; c++) {
        if (!mt->has[c])
            continue;
        mb_nem_channel ch = {mt->id, config, reg_id[c],
                             mb_gen_nem13_suffix((mb_gen_channel)c), "",
                             mt->serial, MB_UNIT_KWH, 0};
        int r = reg_of[c];
        mb_nem13_read rd = {&ch, c == MB_GEN_B1 ? 'I' : 'E',
                            (mb_decimal){last[r], 3}, (mb_decimal){cum[r], 3},
                            rs->starts[rs->last_day[mt->index]], at,
                            actual, actual, d->version_first};
        if ((st = mb_nem13_write_read(nem, &rd, err)))
            return st;
        last[r] = cum[r];
        e->sum->registers += 2;
    }
    rs->last_day[mt->index] = d->index + 1;
    return MB_OK;
}

static mb_status emit_registers(emit *e, regstate *rs, mb_error *err)
{
    const mb_gen_config *c = &e->m->cfg;
    bool uk = e->o->format == MB_FORMAT_D0010;
    mb_gen_day d;
    mb_gen_meter mt;
    mb_status st;
    int64_t totals[MB_GEN_REGISTERS];
    for (uint32_t i = 0; i < c->meters; i++) {
        mb_gen_meter_init(e->m, i, &mt);
        memcpy(rs->cum + (size_t)i * MB_GEN_REGISTERS, mt.reg_base,
               sizeof mt.reg_base);
        memcpy(rs->last + (size_t)i * MB_GEN_REGISTERS, mt.reg_base,
               sizeof mt.reg_base);
    }
    for (uint32_t day = 0; day < c->days; day++) {
        if ((st = mb_gen_day_init(e->m, day, &d, err)))
            return st;
        rs->starts[day] = d.start;
        rs->starts[day + 1] = d.start + d.length;
        set_day(e, &d);
        for (uint32_t part = 0; part < e->parts; part++) {
            uint32_t end = part + 1 == e->parts ? c->meters
                                                : (part + 1) * e->per_file;
            mb_nem_writer *nem = NULL;
            mb_d0010_writer *w = NULL;
            uint64_t bytes = 0;
            for (uint32_t i = part * e->per_file; i < end; i++) {
                mb_gen_meter_init(e->m, i, &mt);
                mb_gen_day_totals(e->m, &mt, &d, totals);
                int64_t *cum = rs->cum + (size_t)i * MB_GEN_REGISTERS;
                for (int r = 0; r < MB_GEN_REGISTERS; r++)
                    cum[r] += totals[r];
                e->sum->meter_days++;
                if (!mb_gen_read_due(e->m, &mt, day))
                    continue;
                if (!nem && !w) {
                    set_part_name(e, part);
                    if (uk) {
                        char id[16];
                        snprintf(id, sizeof id, "%s%02u", e->date + 2,
                                 part % 100);
                        mb_d0010_header h = {id, "D", "GEND", "X", "GENS",
                                             d.created_first, e->m->tz};
                        st = mb_d0010_writer_open(e->path, &h, &w, err);
                    } else {
                        mb_nem_header h = {true, d.created_first, "MDPGEN",
                                           "RETGEN"};
                        st = mb_nem_writer_open(e->path, &h, &nem, err);
                    }
                    if (st)
                        return st;
                }
                if ((st = reg_read_meter(e, rs, nem, w, &mt, &d, err))) {
                    mb_nem_writer_discard(nem);
                    mb_d0010_writer_discard(w);
                    return st;
                }
            }
            if (!nem && !w)
                continue;
            if (nem) {
                bytes = mb_nem_writer_size(nem);
                st = mb_nem_writer_close(nem, err);
            } else {
                bytes = mb_d0010_writer_size(w);
                st = mb_d0010_writer_close(w, err);
            }
            if (st || (st = file_done(e, bytes, day, part, err)))
                return st;
        }
    }
    return MB_OK;
}

/* ---- entry point --------------------------------------------------- */

static void manifest_head(emit *e)
{
    const mb_gen_config *c = &e->m->cfg;
    mb_outbuf *o = e->manifest;
    mb_outbuf_puts(o, "# meterbase gen manifest: what was generated and "
                      "every fault, in the order written\nformat ");
    mb_outbuf_puts(o, ext_of[e->o->format]);
    mb_outbuf_puts(o, "\nseed ");
    mb_outbuf_put_uint(o, c->seed, 1);
    mb_outbuf_puts(o, "\nmeters ");
    mb_outbuf_put_uint(o, c->meters, 1);
    mb_outbuf_puts(o, "\ndays ");
    mb_outbuf_put_uint(o, c->days, 1);
    mb_outbuf_puts(o, "\nstart ");
    put_date(o, c->first_day);
    mb_outbuf_puts(o, "\ninterval ");
    mb_outbuf_put_uint(o, (uint64_t)c->interval / 60, 1);
    mb_outbuf_puts(o, "\nzone ");
    mb_outbuf_puts(o, c->zone);
    mb_outbuf_puts(o, "\nfaults ");
    mb_outbuf_put_decimal(o, (mb_decimal){c->fault_ppm, 6});
    mb_outbuf_puts(o, "\nmeters-per-file ");
    mb_outbuf_put_uint(o, e->per_file, 1);
    mb_outbuf_putc(o, '\n');
}

static void manifest_tail(emit *e)
{
    mb_outbuf *o = e->manifest;
    const mb_gen_summary *s = e->sum;
    mb_outbuf_puts(o, "total files ");
    mb_outbuf_put_uint(o, s->files, 1);
    mb_outbuf_puts(o, " meter-days ");
    mb_outbuf_put_uint(o, s->meter_days, 1);
    mb_outbuf_puts(o, " values ");
    mb_outbuf_put_uint(o, s->values, 1);
    mb_outbuf_puts(o, " registers ");
    mb_outbuf_put_uint(o, s->registers, 1);
    mb_outbuf_puts(o, " duplicates ");
    mb_outbuf_put_uint(o, s->duplicates, 1);
    for (int f = 1; f < MB_GEN_FAULTS; f++) {
        mb_outbuf_putc(o, ' ');
        mb_outbuf_puts(o, mb_gen_fault_name((mb_gen_fault)f));
        mb_outbuf_putc(o, ' ');
        mb_outbuf_put_uint(o, s->faults[f], 1);
    }
    mb_outbuf_putc(o, '\n');
}

mb_status mb_gen_emit(const mb_gen_model *m, const mb_gen_output *o,
                      mb_gen_summary *sum, mb_error *err)
{
    if (o->format != MB_FORMAT_NEM12 && o->format != MB_FORMAT_NEM13 &&
        o->format != MB_FORMAT_D0010 && o->format != MB_FORMAT_CSV)
        return mb_error_set(err, MB_EINVAL, "cannot generate format %s",
                            mb_format_name(o->format));
    if ((o->format == MB_FORMAT_NEM12 || o->format == MB_FORMAT_NEM13) &&
        strcmp(m->cfg.zone, "+10:00"))
        return mb_error_set(err, MB_EINVAL,
                            "NEM files are in market time: zone must be "
                            "+10:00, not %s", m->cfg.zone);
    if (o->format == MB_FORMAT_D0010 && m->cfg.ids != MB_GEN_IDS_MPAN)
        return mb_error_set(err, MB_EINVAL, "D0010 needs MPAN meter ids");
    emit *e = calloc(1, sizeof *e);
    if (!e)
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    memset(sum, 0, sizeof *sum);
    e->m = m;
    e->o = o;
    e->sum = sum;
    e->per_file = o->meters_per_file && o->meters_per_file < m->cfg.meters
                      ? o->meters_per_file
                      : m->cfg.meters;
    e->parts = (m->cfg.meters + e->per_file - 1) / e->per_file;
    e->part_width = 3;
    for (uint32_t p = e->parts; p >= 1000; p /= 10)
        e->part_width++;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/manifest.txt", o->dir);
    mb_status st = mb_outbuf_open(path, &e->manifest, err);
    if (st) {
        free(e);
        return st;
    }
    manifest_head(e);
    regstate rs = {0};
    if (o->format == MB_FORMAT_NEM12 || o->format == MB_FORMAT_CSV) {
        st = emit_intervals(e, err);
    } else {
        size_t n = (size_t)m->cfg.meters * MB_GEN_REGISTERS;
        rs.cum = malloc(n * sizeof *rs.cum);
        rs.last = malloc(n * sizeof *rs.last);
        rs.last_day = calloc(m->cfg.meters, sizeof *rs.last_day);
        rs.starts = malloc(((size_t)m->cfg.days + 1) * sizeof *rs.starts);
        st = rs.cum && rs.last && rs.last_day && rs.starts
                 ? emit_registers(e, &rs, err)
                 : mb_error_set(err, MB_ENOMEM,
                                "out of memory for %u meters' registers",
                                m->cfg.meters);
    }
    free(rs.cum);
    free(rs.last);
    free(rs.last_day);
    free(rs.starts);
    free(e->neg);
    free(e->corr);
    if (st) {
        mb_outbuf_discard(e->manifest);
    } else {
        manifest_tail(e);
        st = mb_outbuf_close(e->manifest, err);
    }
    free(e);
    return st;
}
