/*
 * d0010_reader.c - streaming reader for the UK DTC D0010 "Meter Readings"
 * flow (see reader.h and docs/formats.md).
 *
 * A D0010 file is pipe-separated, one record per line, every field ended
 * by '|':
 *
 *   ZHV|file id|D0010002|from role|from id|to role|to id|created|...|
 *   026|MPAN core|BSC validation status|              one per MPAN
 *   027|site visit check code|additional info|        optional, per 026
 *   028|meter id (serial)|reading type|               one per meter
 *   029|site visit check code|additional info|        optional, per 028
 *   030|register id|read at|reading|MD reset at|MD resets|flag|method|
 *   032|reading reason code|reading status|           optional, per 030
 *   033|site visit check code|additional info|        optional, per 030
 *   ZPT|file id|record count|checksum|flow count|completed|
 *
 * Each 030 becomes one mb_register_read (meter = MPAN core, serial = meter
 * id, reg = register id, kWh, zone Europe/London). Date-times are UK
 * local time and are converted to UTC with the zone's rules; the version
 * of every read is the file creation time of the ZHV header. A 030 is
 * delivered once the next record shows that no 032 follows it, so a
 * reason code can join the read. The ZPT record count is the number of
 * records between ZHV and ZPT, both excluded.
 */
#include "formats/reader.h"

#include "core/datetime.h"
#include "core/tz.h"

#include <stdio.h>
#include <string.h>

#define MAX_FIELDS 16
#define ZONE "Europe/London"

typedef struct field {
    const char *p;
    size_t n;
} field;

/* Which group a skipped record (lenient mode) takes its children with. */
enum { SKIP_NONE, SKIP_026, SKIP_028, SKIP_030 };

typedef struct d0010 {
    mb_input *in;
    const mb_read_opts *opts;
    const mb_reader_sink *sink;
    mb_read_stats *stats;
    const mb_tz *tz;
    const char *name;
    long line;

    char file_id[MB_ID_MAX + 1];
    char from[MB_ID_MAX + 1], to[MB_ID_MAX + 1];
    mb_version version;
    uint64_t records;   /* records between ZHV and ZPT */
    int skip;           /* SKIP_* */
    bool have_026, have_028, have_030;
    bool footer;

    char mpan[MB_ID_MAX + 1];
    char bsc_status;
    char serial[MB_ID_MAX + 1];
    char read_type;

    bool pending;       /* a 030 waits for a possible 032 */
    char reg[MB_ID_MAX + 1];
    mb_register_read read;
} d0010;

static size_t split(const char *line, size_t len, field *f)
{
    size_t n = 0;
    const char *p = line, *end = line + len;
    /* Every field ends with '|'; tolerate a last field without it. */
    while (p < end && n < MAX_FIELDS) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        const char *e = bar ? bar : end;
        f[n].p = p;
        f[n].n = (size_t)(e - p);
        n++;
        if (!bar)
            break;
        p = bar + 1;
    }
    return n;
}

static void copy_id(char *dst, field f)
{
    memcpy(dst, f.p, f.n);
    dst[f.n] = '\0';
}

static bool printable(field f)
{
    for (size_t i = 0; i < f.n; i++)
        if ((unsigned char)f.p[i] < 0x20 || f.p[i] == 0x7f)
            return false;
    return true;
}

/* MPAN core: 12 digits and a check digit (sum of the digits times the
 * primes below, modulo 11, modulo 10). */
static bool mpan_valid(field f)
{
    static const int primes[12] = {3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43};
    if (f.n != 13)
        return false;
    int sum = 0;
    for (size_t i = 0; i < 13; i++)
        if ((unsigned)(f.p[i] - '0') > 9)
            return false;
    for (size_t i = 0; i < 12; i++)
        sum += (f.p[i] - '0') * primes[i];
    return sum % 11 % 10 == f.p[12] - '0';
}

static mb_status bad(d0010 *r, mb_error *err, const char *fieldname,
                     const char *fmt, field f)
{
    /* fmt takes the offending text as "%.*s" */
    char text[160];
    int n = f.n > 40 ? 40 : (int)f.n;
    snprintf(text, sizeof text, fmt, n, f.p);
    return mb_error_at(err, MB_EFORMAT, r->name, r->line, fieldname, "%s",
                       text);
}

static mb_status local_time(d0010 *r, field f, const char *fieldname,
                            mb_time *out, mb_error *err)
{
    int64_t local;
    if (f.n != 14 || mb_local_parse_compact(f.p, f.n, &local, NULL))
        return bad(r, err, fieldname,
                   "expected a date-time YYYYMMDDhhmmss, got '%.*s'", f);
    mb_error e;
    /* Clocks going back: 01:00-02:00 happens twice; D0010 gives no offset,
     * so the earlier (BST) instant is taken. */
    if (mb_tz_local_to_utc(r->tz, local, MB_TZ_EARLIER, out, &e))
        return mb_error_at(err, MB_EFORMAT, r->name, r->line, fieldname,
                           "%s", e.msg);
    return MB_OK;
}

static mb_status deliver(d0010 *r, mb_error *err)
{
    if (!r->pending)
        return MB_OK;
    r->pending = false;
    r->stats->registers++;
    if (r->sink->reg)
        return r->sink->reg(r->sink->ctx, &r->read, err);
    return MB_OK;
}

static mb_status header(d0010 *r, field *f, size_t n, mb_error *err)
{
    if (n < 1 || f[0].n != 3 || memcmp(f[0].p, "ZHV", 3))
        return mb_error_at(err, MB_EFORMAT, r->name, r->line, "record type",
                           "expected the ZHV header first");
    if (n < 8)
        return mb_error_at(err, MB_EFORMAT, r->name, r->line, NULL,
                           "ZHV header has %zu fields, expected at least 8",
                           n);
    if (f[1].n == 0 || f[1].n > MB_ID_MAX || !printable(f[1]))
        return bad(r, err, "file identifier", "expected 1 to 64 characters, "
                   "got '%.*s'", f[1]);
    if (f[2].n != 8 || memcmp(f[2].p, "D0010", 5) ||
        (unsigned)(f[2].p[5] - '0') > 9 || (unsigned)(f[2].p[6] - '0') > 9 ||
        (unsigned)(f[2].p[7] - '0') > 9)
        return bad(r, err, "flow identifier",
                   "expected D0010 and a 3-digit version, got '%.*s'", f[2]);
    if (f[4].n > MB_ID_MAX || f[6].n > MB_ID_MAX || !printable(f[4]) ||
        !printable(f[6]))
        return mb_error_at(err, MB_EFORMAT, r->name, r->line,
                           "market participant id", "too long or not text");
    mb_time created;
    mb_status st = local_time(r, f[7], "file creation date-time", &created,
                              err);
    if (st)
        return st;
    copy_id(r->file_id, f[1]);
    copy_id(r->from, f[4]);
    copy_id(r->to, f[6]);
    r->version = (mb_version)created * 1000000;
    if (r->sink->begin) {
        mb_source_info info = {r->name, MB_FORMAT_D0010, r->version, r->from,
                               r->to};
        return r->sink->begin(r->sink->ctx, &info, err);
    }
    return MB_OK;
}

static mb_status footer(d0010 *r, field *f, size_t n, mb_error *err)
{
    if (n < 3)
        return mb_error_at(err, MB_EFORMAT, r->name, r->line, NULL,
                           "ZPT footer has %zu fields, expected at least 3",
                           n);
    if (f[1].n != strlen(r->file_id) || memcmp(f[1].p, r->file_id, f[1].n))
        return bad(r, err, "file identifier",
                   "'%.*s' does not match the ZHV header's", f[1]);
    uint64_t count = 0;
    bool ok = f[2].n > 0 && f[2].n <= 10;
    for (size_t i = 0; ok && i < f[2].n; i++) {
        ok = (unsigned)(f[2].p[i] - '0') <= 9;
        count = count * 10 + (uint64_t)(f[2].p[i] - '0');
    }
    if (!ok)
        return bad(r, err, "record count", "expected a number, got '%.*s'",
                   f[2]);
    if (count != r->records)
        return mb_error_at(err, MB_EFORMAT, r->name, r->line, "record count",
                           "footer says %llu records, the file has %llu "
                           "between ZHV and ZPT",
                           (unsigned long long)count,
                           (unsigned long long)r->records);
    r->footer = true;
    return MB_OK;
}

static bool code_is(field f, const char *code)
{
    return f.n == 3 && !memcmp(f.p, code, 3);
}

/* The fields a record type needs; MB_EFORMAT names the record. */
static mb_status need(d0010 *r, size_t n, size_t want, const char *type,
                      mb_error *err)
{
    if (n >= want)
        return MB_OK;
    return mb_error_at(err, MB_EFORMAT, r->name, r->line, NULL,
                       "%s record has %zu fields, expected at least %zu",
                       type, n - 1, want - 1);
}

static mb_status order(d0010 *r, const char *type, const char *parent,
                       mb_error *err)
{
    return mb_error_at(err, MB_EFORMAT, r->name, r->line, "record type",
                       "%s record out of order: it must follow a %s record",
                       type, parent);
}

static mb_status rec_026(d0010 *r, field *f, size_t n, mb_error *err)
{
    mb_status st = need(r, n, 3, "026", err);
    if (st)
        return st;
    if (!mpan_valid(f[1]))
        return bad(r, err, "MPAN core",
                   "expected 13 digits with a valid check digit, got '%.*s'",
                   f[1]);
    if (f[2].n != 1 || f[2].p[0] < 'A' || f[2].p[0] > 'Z')
        return bad(r, err, "BSC validation status",
                   "expected one letter (V, U, F), got '%.*s'", f[2]);
    copy_id(r->mpan, f[1]);
    r->bsc_status = f[2].p[0];
    r->have_026 = true;
    r->have_028 = r->have_030 = false;
    return MB_OK;
}

static mb_status rec_028(d0010 *r, field *f, size_t n, mb_error *err)
{
    if (!r->have_026)
        return order(r, "028", "026", err);
    mb_status st = need(r, n, 3, "028", err);
    if (st)
        return st;
    if (f[1].n == 0 || f[1].n > MB_ID_MAX || !printable(f[1]))
        return bad(r, err, "meter id",
                   "expected 1 to 64 characters, got '%.*s'", f[1]);
    if (f[2].n != 1 || f[2].p[0] < 'A' || f[2].p[0] > 'Z')
        return bad(r, err, "reading type",
                   "expected one letter (e.g. R routine, C customer, D "
                   "deemed/estimated), got '%.*s'", f[2]);
    copy_id(r->serial, f[1]);
    r->read_type = f[2].p[0];
    r->have_028 = true;
    r->have_030 = false;
    return MB_OK;
}

/* Quality of a read from its 028 reading type (DTC data item J0171). */
static char quality_of(char read_type)
{
    switch (read_type) {
    case 'D': /* deemed (settlement) or estimated (non-settlement) */
    case 'O': /* old supplier's estimated change-of-supplier read */
    case 'E': /* estimated */
        return MB_Q_ESTIMATED;
    case 'Q': /* reading modified manually by the data collector */
        return MB_Q_SUBSTITUTED;
    default:
        return MB_Q_ACTUAL;
    }
}

static mb_status rec_030(d0010 *r, field *f, size_t n, mb_error *err)
{
    if (!r->have_028)
        return order(r, "030", "028", err);
    mb_status st = need(r, n, 4, "030", err);
    if (st)
        return st;
    if (f[1].n == 0 || f[1].n > MB_ID_MAX || !printable(f[1]))
        return bad(r, err, "meter register id",
                   "expected 1 to 64 characters, got '%.*s'", f[1]);
    mb_time at;
    if ((st = local_time(r, f[2], "reading date-time", &at, err)))
        return st;
    mb_decimal v;
    if (mb_decimal_parse(f[3].p, f[3].n, &v) || v.units < 0)
        return bad(r, err, "register reading",
                   "expected a non-negative decimal, got '%.*s'", f[3]);
    char flag = n > 6 && f[6].n ? f[6].p[0] : 'T';
    if (n > 6 && (f[6].n > 1 || (flag != 'T' && flag != 'F')))
        return bad(r, err, "meter reading flag", "expected T or F, got '%.*s'",
                   f[6]);
    if (n > 7 && (f[7].n > 1 || (f[7].n && f[7].p[0] != 'N' &&
                                 f[7].p[0] != 'P')))
        return bad(r, err, "reading method", "expected N or P, got '%.*s'",
                   f[7]);
    copy_id(r->reg, f[1]);
    mb_register_read *rd = &r->read;
    rd->meter = r->mpan;
    rd->reg = r->reg;
    rd->serial = r->serial;
    rd->zone = ZONE;
    rd->unit = MB_UNIT_KWH;
    rd->read_at = at;
    rd->value = v;
    rd->read_type = r->read_type;
    rd->quality.flag = quality_of(r->read_type);
    rd->quality.method = 0;
    rd->quality.reason = MB_REASON_NONE;
    rd->reason_text = flag == 'F' ? "meter reading flag F: reading not valid"
                      : r->bsc_status == 'F' ? "BSC validation status F: "
                                               "failed validation"
                                             : NULL;
    rd->version = r->version;
    r->pending = true;
    r->have_030 = true;
    return MB_OK;
}

static mb_status rec_032(d0010 *r, field *f, size_t n, mb_error *err)
{
    if (!r->have_030)
        return order(r, "032", "030", err);
    mb_status st = need(r, n, 2, "032", err);
    if (st)
        return st;
    unsigned code = 0;
    bool ok = f[1].n >= 1 && f[1].n <= 3;
    for (size_t i = 0; ok && i < f[1].n; i++) {
        ok = (unsigned)(f[1].p[i] - '0') <= 9;
        code = code * 10 + (unsigned)(f[1].p[i] - '0');
    }
    if (!ok)
        return bad(r, err, "reading reason code",
                   "expected a number of up to 3 digits, got '%.*s'", f[1]);
    if (r->pending)
        r->read.quality.reason = (uint16_t)code;
    return MB_OK;
}

/* 027, 029 and 033 carry site visit notes, which meterbase does not keep;
 * only their place in the file is checked. */
static mb_status rec_visit(d0010 *r, field *f, const char *type, mb_error *err)
{
    bool ok = code_is(f[0], "027") ? r->have_026
              : code_is(f[0], "029") ? r->have_028
                                     : r->have_030;
    if (!ok)
        return order(r, type, code_is(f[0], "027") ? "026"
                              : code_is(f[0], "029") ? "028" : "030", err);
    return MB_OK;
}

/* One group record; in lenient mode a bad record is skipped with its
 * children. */
static mb_status record(d0010 *r, field *f, size_t n, mb_error *err)
{
    int level = code_is(f[0], "026")   ? SKIP_026
                : code_is(f[0], "028") ? SKIP_028
                : code_is(f[0], "030") ? SKIP_030
                                       : SKIP_NONE;
    mb_status st;
    if (r->skip && (level == SKIP_NONE || level > r->skip)) {
        /* a child of a skipped record */
        r->stats->skipped++;
        return MB_OK;
    }
    r->skip = SKIP_NONE;
    if (level != SKIP_NONE || code_is(f[0], "027") || code_is(f[0], "029"))
        if ((st = deliver(r, err)))
            return st;
    char type[4] = "";
    memcpy(type, f[0].p, f[0].n < 3 ? f[0].n : 3);
    switch (level) {
    case SKIP_026: st = rec_026(r, f, n, err); break;
    case SKIP_028: st = rec_028(r, f, n, err); break;
    case SKIP_030: st = rec_030(r, f, n, err); break;
    default:
        if (code_is(f[0], "032"))
            st = rec_032(r, f, n, err);
        else if (code_is(f[0], "027") || code_is(f[0], "029") ||
                 code_is(f[0], "033"))
            st = rec_visit(r, f, type, err);
        else if (code_is(f[0], "ZHV"))
            st = mb_error_at(err, MB_EFORMAT, r->name, r->line, "record type",
                             "second ZHV header");
        else
            st = bad(r, err, "record type",
                     "unknown D0010 record type '%.*s' (expected 026, 027, "
                     "028, 029, 030, 032, 033 or ZPT)", f[0]);
        break;
    }
    if (st == MB_OK) {
        r->stats->records++;
        return MB_OK;
    }
    if (st != MB_EFORMAT || !r->opts->lenient)
        return st;
    r->stats->skipped++;
    r->stats->warnings++;
    if (r->sink->warning)
        r->sink->warning(r->sink->ctx, err);
    mb_error_clear(err);
    if (level != SKIP_NONE) {
        r->skip = level;
        /* children of a skipped group must not attach to an older one */
        if (level == SKIP_026)
            r->have_026 = r->have_028 = r->have_030 = false;
        else if (level == SKIP_028)
            r->have_028 = r->have_030 = false;
        else
            r->have_030 = false;
    }
    return MB_OK;
}

mb_status mb_d0010_read(mb_input *in, const mb_read_opts *opts,
                        const mb_reader_sink *sink, mb_read_stats *stats,
                        mb_error *err)
{
    mb_error local;
    if (!err)
        err = &local;
    d0010 r;
    memset(&r, 0, sizeof r);
    r.in = in;
    r.opts = opts;
    r.sink = sink;
    r.stats = stats;
    r.name = mb_input_name(in);
    r.tz = mb_tz_get(ZONE, err);
    if (!r.tz)
        return err->status;
    bool seen_header = false;
    for (;;) {
        const char *line;
        size_t len;
        mb_status st = mb_input_line(in, &line, &len, err);
        if (st)
            return st;
        if (!line)
            break;
        r.line = mb_input_lineno(in);
        stats->lines++;
        if (!seen_header && len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) {
            line += 3;
            len -= 3;
        }
        while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
            len--;
        if (len == 0)
            continue;
        field f[MAX_FIELDS];
        size_t n = split(line, len, f);
        if (r.footer)
            return mb_error_at(err, MB_EFORMAT, r.name, r.line, NULL,
                               "data after the ZPT footer");
        if (!seen_header) {
            if ((st = header(&r, f, n, err)))
                return st;
            seen_header = true;
            stats->records++;
            continue;
        }
        if (code_is(f[0], "ZPT")) {
            if ((st = deliver(&r, err)) || (st = footer(&r, f, n, err)))
                return st;
            stats->records++;
            continue;
        }
        r.records++;
        if ((st = record(&r, f, n, err)))
            return st;
    }
    if (!seen_header)
        return mb_error_at(err, MB_EFORMAT, r.name, 1, NULL,
                           "empty file: expected a ZHV header");
    if (!r.footer)
        return mb_error_at(err, MB_EFORMAT, r.name, r.line, NULL,
                           "missing ZPT footer: the file is truncated");
    return MB_OK;
}
