/*
 * tz.c - time zones: TZif reader, POSIX TZ rules, local <-> UTC (see tz.h).
 *
 * A zone is a sorted table of transitions (each with the UT offset in force
 * from it on) read from a TZif file, the offset before the first transition
 * (time type 0), and optionally the footer's POSIX TZ rule, which governs
 * every instant from the last transition on (RFC 8536 section 3.3). The
 * rule's own transitions are generated per year; a few centuries of them
 * are precomputed at load so that the usual lookup is one bisection.
 *
 * Local -> UTC walks the intervals of constant offset that can contain the
 * answer (UT offsets are bounded to -25h..+26h, as RFC 8536 recommends), so
 * gaps, folds and odd double transitions all fall out of one loop.
 */
#include "core/tz.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIN_OFF (-89999)          /* RFC 8536 recommended utoff range */
#define MAX_OFF 93599
#define MAX_TZIF_SIZE (1 << 20)   /* real files are a few KiB */
#define MAX_DAYS INT64_C(1000000000000)
#define MAX_LOCAL (MAX_DAYS * 86400 + 86400)
#define RULE_T_CLAMP (INT64_C(1) << 50) /* ~35 million years */
#define RULE_CACHE_YEARS 250

/* One end of a daylight-saving period in a POSIX TZ rule. */
typedef struct rule_date {
    char kind;   /* 'J': Jn, 1..365 without Feb 29; 'D': n, 0..365; 'M' */
    int n, m, w, d;
    int32_t secs; /* local time of day, -167h..167h (TZif v3) */
} rule_date;

typedef struct posix_rule {
    int32_t std_off, dst_off; /* seconds east of UTC */
    bool has_dst;
    rule_date start, end;
} posix_rule;

struct mb_tz {
    char *name;
    struct mb_tz *next;   /* cache list */
    size_t n;             /* transitions from the file */
    int64_t *trans;       /* strictly ascending */
    int32_t *off;         /* offset in force from trans[i] */
    int32_t pre_off;      /* before trans[0]; always when n == 0 && !has_rule */
    bool has_rule;        /* footer rule governs t >= trans[n-1] (or all t) */
    posix_rule rule;
    size_t nc;            /* precomputed rule transitions */
    int64_t *ctrans;
    int32_t *coff;
    int64_t cache_lo, cache_hi; /* ctrans answers lookups in [lo, hi) */
};

/* ---- POSIX TZ rules ---------------------------------------------------- */

/* Day number of a rule date in year y. */
static int64_t rule_day(const rule_date *rd, int y)
{
    int64_t jan1 = mb_days_from_civil(y, 1, 1);
    switch (rd->kind) {
    case 'J':
        return jan1 + rd->n - 1 + (mb_is_leap(y) && rd->n >= 60);
    case 'D':
        return jan1 + rd->n;
    default: {
        int64_t first = mb_days_from_civil(y, rd->m, 1);
        int wd_sun = (mb_weekday(first) + 1) % 7; /* 0 = Sunday */
        int64_t day = first + (rd->d - wd_sun + 7) % 7 + (rd->w - 1) * 7;
        int64_t last = first + mb_days_in_month(y, rd->m) - 1;
        while (day > last)
            day -= 7;
        return day;
    }
    }
}

/* Append year y's two transitions of rule r to t/o at *n, keeping the
 * whole array sorted by time (stable insertion: input is nearly sorted). */
static void rule_add_year(const posix_rule *r, int y, int64_t *t, int32_t *o,
                          size_t *n)
{
    int64_t tt[2] = {rule_day(&r->start, y) * 86400 + r->start.secs - r->std_off,
                     rule_day(&r->end, y) * 86400 + r->end.secs - r->dst_off};
    int32_t oo[2] = {r->dst_off, r->std_off};
    for (int k = 0; k < 2; k++) {
        size_t i = (*n)++;
        while (i > 0 && t[i - 1] > tt[k]) {
            t[i] = t[i - 1];
            o[i] = o[i - 1];
            i--;
        }
        t[i] = tt[k];
        o[i] = oo[k];
    }
}

/* Offset in force at t among sorted transitions t/o[0..n), and the next
 * transition after t (INT64_MAX when none). Before the first transition
 * the rule's yearly cycle gives the state of the last one. */
static int32_t search(const int64_t *t, const int32_t *o, size_t n,
                      mb_time at, int64_t *until)
{
    if (at < t[0]) {
        *until = t[0];
        return o[n - 1];
    }
    size_t lo = 0, hi = n; /* t[lo] <= at < t[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid] <= at)
            lo = mid;
        else
            hi = mid;
    }
    *until = hi < n ? t[hi] : INT64_MAX;
    return o[lo];
}

static int32_t rule_lookup(const mb_tz *tz, mb_time at, int64_t *until)
{
    const posix_rule *r = &tz->rule;
    if (!r->has_dst) {
        *until = INT64_MAX;
        return r->std_off;
    }
    if (at >= tz->cache_lo && at < tz->cache_hi) {
        int32_t off = search(tz->ctrans, tz->coff, tz->nc, at, until);
        if (*until > tz->cache_hi)
            *until = tz->cache_hi;
        return off;
    }
    int64_t c = at < -RULE_T_CLAMP ? -RULE_T_CLAMP
                : at > RULE_T_CLAMP ? RULE_T_CLAMP : at;
    int y, m, d;
    mb_civil_from_days(mb_floor_div(c + r->std_off, 86400), &y, &m, &d);
    int64_t t[10];
    int32_t o[10];
    size_t n = 0;
    for (int k = -2; k <= 2; k++)
        rule_add_year(r, y + k, t, o, &n);
    int32_t off = search(t, o, n, at, until);
    if (at < tz->cache_lo && *until > tz->cache_lo)
        *until = tz->cache_lo;
    return off;
}

/* Precompute the rule's transitions around and after the file's last. */
static mb_status rule_cache(mb_tz *tz)
{
    int y0 = 1900, m, d;
    if (tz->n) {
        int64_t last = tz->trans[tz->n - 1];
        last = last < -RULE_T_CLAMP ? -RULE_T_CLAMP
               : last > RULE_T_CLAMP ? RULE_T_CLAMP : last;
        mb_civil_from_days(mb_floor_div(last, 86400), &y0, &m, &d);
        y0 = y0 < 1800 ? 1800 : y0 > 3000 ? 3000 : y0 - 1;
    }
    int y1 = y0 + RULE_CACHE_YEARS;
    size_t cap = 2 * (size_t)(y1 - y0 + 1);
    tz->ctrans = malloc(cap * sizeof *tz->ctrans);
    tz->coff = malloc(cap * sizeof *tz->coff);
    if (!tz->ctrans || !tz->coff)
        return MB_ENOMEM;
    for (int y = y0; y <= y1; y++)
        rule_add_year(&tz->rule, y, tz->ctrans, tz->coff, &tz->nc);
    /* Year y's transitions fall within a week of year y, so two years of
     * margin at each end leave every answer in [lo, hi) in the table. */
    tz->cache_lo = mb_days_from_civil(y0 + 2, 1, 1) * 86400;
    tz->cache_hi = mb_days_from_civil(y1 - 1, 1, 1) * 86400;
    return MB_OK;
}

/* Parsing a TZ string: a cursor over s[0..end). */
typedef struct cursor {
    const char *s, *end;
} cursor;

static bool peek(const cursor *c, char ch)
{
    return c->s < c->end && *c->s == ch;
}

static int number(cursor *c, int maxdigits)
{
    int v = 0, k = 0;
    while (k < maxdigits && c->s < c->end && *c->s >= '0' && *c->s <= '9') {
        v = v * 10 + (*c->s++ - '0');
        k++;
    }
    return k ? v : -1;
}

/* std or dst name: letters, or <...> of letters, digits, '+' and '-'. */
static bool parse_abbr(cursor *c)
{
    const char *start = c->s;
    if (peek(c, '<')) {
        c->s++;
        while (c->s < c->end && *c->s != '>') {
            char ch = *c->s;
            if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '+' || ch == '-'))
                return false;
            c->s++;
        }
        if (!peek(c, '>') || c->s - start < 2)
            return false;
        c->s++;
        return true;
    }
    while (c->s < c->end && ((*c->s >= 'A' && *c->s <= 'Z') ||
                             (*c->s >= 'a' && *c->s <= 'z')))
        c->s++;
    return c->s > start;
}

/* [+-]hh[:mm[:ss]] with hh <= maxh; seconds, positive for '+' or none. */
static bool parse_hms(cursor *c, int maxh, int32_t *out)
{
    int sign = 1;
    if (peek(c, '+') || peek(c, '-'))
        sign = *c->s++ == '-' ? -1 : 1;
    int h = number(c, 3), m = 0, s = 0;
    if (h < 0 || h > maxh)
        return false;
    if (peek(c, ':')) {
        c->s++;
        m = number(c, 2);
        if (m < 0 || m > 59)
            return false;
        if (peek(c, ':')) {
            c->s++;
            s = number(c, 2);
            if (s < 0 || s > 59)
                return false;
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
}

/* ,date[/time] */
static bool parse_rule_date(cursor *c, rule_date *rd)
{
    if (!peek(c, ','))
        return false;
    c->s++;
    if (peek(c, 'M')) {
        c->s++;
        rd->kind = 'M';
        rd->m = number(c, 2);
        if (!peek(c, '.'))
            return false;
        c->s++;
        rd->w = number(c, 1);
        if (!peek(c, '.'))
            return false;
        c->s++;
        rd->d = number(c, 1);
        if (rd->m < 1 || rd->m > 12 || rd->w < 1 || rd->w > 5 || rd->d < 0 ||
            rd->d > 6)
            return false;
    } else if (peek(c, 'J')) {
        c->s++;
        rd->kind = 'J';
        rd->n = number(c, 3);
        if (rd->n < 1 || rd->n > 365)
            return false;
    } else {
        rd->kind = 'D';
        rd->n = number(c, 3);
        if (rd->n < 0 || rd->n > 365)
            return false;
    }
    rd->secs = 7200;
    if (peek(c, '/')) {
        c->s++;
        return parse_hms(c, 167, &rd->secs);
    }
    return true;
}

static bool offset_ok(int32_t off)
{
    return off >= MIN_OFF && off <= MAX_OFF;
}

/* "std offset [dst [offset] [,start[/time],end[/time]]]" (POSIX, with the
 * TZif v3 extension of hours -167..167 in rule times). */
static bool parse_posix(const char *s, size_t len, posix_rule *r)
{
    cursor c = {s, s + len};
    int32_t west;
    memset(r, 0, sizeof *r);
    if (!parse_abbr(&c) || !parse_hms(&c, 24, &west))
        return false;
    r->std_off = -west;
    if (c.s == c.end)
        return offset_ok(r->std_off);
    if (!parse_abbr(&c))
        return false;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (c.s < c.end && !peek(&c, ',')) {
        if (!parse_hms(&c, 24, &west))
            return false;
        r->dst_off = -west;
    }
    if (c.s == c.end) { /* POSIX leaves the default open; use the US one */
        r->start = (rule_date){'M', 0, 3, 2, 0, 7200};
        r->end = (rule_date){'M', 0, 11, 1, 0, 7200};
    } else if (!parse_rule_date(&c, &r->start) ||
               !parse_rule_date(&c, &r->end) || c.s != c.end) {
        return false;
    }
    return offset_ok(r->std_off) && offset_ok(r->dst_off);
}

/* ---- TZif files (RFC 8536) --------------------------------------------- */

typedef struct tzif_header {
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} tzif_header;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static bool read_header(const unsigned char *p, size_t len, tzif_header *h)
{
    if (len < 44 || memcmp(p, "TZif", 4) != 0)
        return false;
    h->isutcnt = be32(p + 20);
    h->isstdcnt = be32(p + 24);
    h->leapcnt = be32(p + 28);
    h->timecnt = be32(p + 32);
    h->typecnt = be32(p + 36);
    h->charcnt = be32(p + 40);
    return true;
}

/* Bytes of the data block after a header, for time size ts (4 or 8). */
static size_t block_size(const tzif_header *h, size_t ts)
{
    return (size_t)h->timecnt * (ts + 1) + (size_t)h->typecnt * 6 +
           h->charcnt + (size_t)h->leapcnt * (ts + 4) + h->isstdcnt +
           h->isutcnt;
}

static mb_status bad(mb_error *err, const char *name, const char *what)
{
    return mb_error_set(err, MB_EFORMAT,
                        "time zone \"%s\": not a valid TZif file: %s", name,
                        what);
}

void mb_tz_free(mb_tz *tz)
{
    if (!tz)
        return;
    free(tz->name);
    free(tz->trans);
    free(tz->off);
    free(tz->ctrans);
    free(tz->coff);
    free(tz);
}

static mb_tz *tz_new(const char *name)
{
    mb_tz *tz = calloc(1, sizeof *tz);
    if (!tz)
        return NULL;
    tz->name = strdup(name);
    if (!tz->name) {
        free(tz);
        return NULL;
    }
    tz->cache_lo = tz->cache_hi = INT64_MIN;
    return tz;
}

/* Fill tz from the data block at p (header h, time size ts) of len bytes. */
static mb_status read_block(mb_tz *tz, const tzif_header *h, size_t ts,
                            const unsigned char *p, mb_error *err)
{
    const char *name = tz->name;
    if (h->typecnt == 0 || h->charcnt == 0)
        return bad(err, name, "no local time types");
    if ((h->isutcnt && h->isutcnt != h->typecnt) ||
        (h->isstdcnt && h->isstdcnt != h->typecnt))
        return bad(err, name, "indicator counts differ from type count");
    if (h->leapcnt)
        return mb_error_set(err, MB_EFORMAT,
                            "time zone \"%s\": leap-second (\"right/\") zones "
                            "are not supported", name);
    const unsigned char *times = p, *idx = p + (size_t)h->timecnt * ts;
    const unsigned char *types = idx + h->timecnt;
    for (uint32_t i = 0; i < h->typecnt; i++) {
        const unsigned char *ty = types + (size_t)i * 6;
        int32_t utoff = (int32_t)be32(ty);
        if (!offset_ok(utoff))
            return bad(err, name, "UT offset out of range");
        if (ty[4] > 1 || ty[5] >= h->charcnt)
            return bad(err, name, "bad local time type");
    }
    tz->pre_off = (int32_t)be32(types);
    if (h->timecnt == 0)
        return MB_OK;
    tz->trans = malloc((size_t)h->timecnt * sizeof *tz->trans);
    tz->off = malloc((size_t)h->timecnt * sizeof *tz->off);
    if (!tz->trans || !tz->off)
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < h->timecnt; i++) {
        int64_t t = ts == 8 ? be64(times + (size_t)i * 8)
                            : (int32_t)be32(times + (size_t)i * 4);
        if (i > 0 && t <= tz->trans[i - 1])
            return bad(err, name, "transition times not ascending");
        if (idx[i] >= h->typecnt)
            return bad(err, name, "transition to unknown type");
        tz->trans[i] = t;
        tz->off[i] = (int32_t)be32(types + (size_t)idx[i] * 6);
    }
    tz->n = h->timecnt;
    return MB_OK;
}

static mb_status parse_tzif(mb_tz *tz, const unsigned char *buf, size_t len,
                            mb_error *err)
{
    const char *name = tz->name;
    tzif_header h;
    if (!read_header(buf, len, &h))
        return bad(err, name, "no TZif header");
    size_t v1 = block_size(&h, 4);
    if (v1 > len - 44)
        return bad(err, name, "truncated");
    if (buf[4] < '2') /* version 1: 32-bit data, no footer */
        return read_block(tz, &h, 4, buf + 44, err);
    const unsigned char *p = buf + 44 + v1;
    size_t rest = len - 44 - v1;
    if (!read_header(p, rest, &h))
        return bad(err, name, "no second (64-bit) header");
    size_t v2 = block_size(&h, 8);
    if (v2 > rest - 44)
        return bad(err, name, "truncated");
    mb_status st = read_block(tz, &h, 8, p + 44, err);
    if (st != MB_OK)
        return st;
    p += 44 + v2;
    rest -= 44 + v2;
    const unsigned char *nl = rest > 1 ? memchr(p + 1, '\n', rest - 1) : NULL;
    if (rest < 2 || p[0] != '\n' || !nl)
        return bad(err, name, "missing footer");
    size_t flen = (size_t)(nl - p - 1);
    if (flen == 0)
        return MB_OK;
    if (!parse_posix((const char *)p + 1, flen, &tz->rule))
        return mb_error_set(err, MB_EFORMAT,
                            "time zone \"%s\": bad TZ rule \"%.*s\" in footer",
                            name, (int)(flen > 80 ? 80 : flen), p + 1);
    tz->has_rule = true;
    if (tz->rule.has_dst && rule_cache(tz) != MB_OK)
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    return MB_OK;
}

mb_status mb_tz_parse_tzif(const unsigned char *buf, size_t len,
                           const char *name, mb_tz **out, mb_error *err)
{
    *out = NULL;
    mb_tz *tz = tz_new(name);
    if (!tz)
        return mb_error_set(err, MB_ENOMEM, "out of memory");
    mb_status st = parse_tzif(tz, buf, len, err);
    if (st != MB_OK) {
        mb_tz_free(tz);
        return st;
    }
    *out = tz;
    return MB_OK;
}

/* ---- lookups ----------------------------------------------------------- */

const char *mb_tz_name(const mb_tz *tz)
{
    return tz->name;
}

/* Offset in force at t and the next instant it may change (or INT64_MAX). */
static int32_t lookup(const mb_tz *tz, mb_time t, int64_t *until)
{
    size_t n = tz->n;
    if (n == 0 || t < tz->trans[0]) {
        if (n == 0 && tz->has_rule)
            return rule_lookup(tz, t, until);
        *until = n ? tz->trans[0] : INT64_MAX;
        return tz->pre_off;
    }
    if (t >= tz->trans[n - 1] && tz->has_rule)
        return rule_lookup(tz, t, until);
    return search(tz->trans, tz->off, n, t, until);
}

int32_t mb_tz_offset(const mb_tz *tz, mb_time utc)
{
    int64_t until;
    return lookup(tz, utc, &until);
}

int64_t mb_tz_local_day(const mb_tz *tz, mb_time utc)
{
    int64_t sod = utc % 86400; /* computed so that no instant overflows */
    if (sod < 0)
        sod += 86400;
    return mb_floor_div(utc, 86400) +
           mb_floor_div(sod + mb_tz_offset(tz, utc), 86400);
}

/* The instants whose local time is `local`: count of them, the first and
 * last, and `after`, the first instant whose local time is >= local. */
typedef struct resolved {
    int count;
    mb_time first, last, after;
} resolved;

static resolved resolve(const mb_tz *tz, int64_t local)
{
    resolved r = {0, 0, 0, 0};
    bool have_after = false;
    /* Any answer u has local - MAX_OFF <= u <= local - MIN_OFF. Walk the
     * intervals [t, until) of constant offset o covering that window: they
     * show local times [t + o, until + o). */
    for (int64_t t = local - MAX_OFF - 1; t <= local - MIN_OFF + 1;) {
        int64_t until;
        int32_t o = lookup(tz, t, &until);
        int64_t u = local - o;
        if (u >= t && u < until) {
            if (r.count++ == 0)
                r.first = u;
            r.last = u;
            if (!have_after)
                r.after = u;
            have_after = true;
        } else if (u < t && !have_after) { /* clocks jumped over local */
            r.after = t;
            have_after = true;
        }
        if (until == INT64_MAX)
            break;
        t = until;
    }
    return r;
}

mb_status mb_tz_local_to_utc(const mb_tz *tz, int64_t local, mb_tz_fold fold,
                             mb_time *utc, mb_error *err)
{
    if (local < -MAX_LOCAL || local > MAX_LOCAL)
        return mb_error_set(err, MB_ERANGE, "local time out of range");
    resolved r = resolve(tz, local);
    if (r.count == 0) {
        int64_t days = mb_floor_div(local, 86400);
        int sod = (int)(local - days * 86400), y, m, d;
        mb_civil_from_days(days, &y, &m, &d);
        return mb_error_set(err, MB_ERANGE,
                            "local time %04d-%02d-%02d %02d:%02d:%02d does "
                            "not exist in time zone %s (clocks went forward)",
                            y, m, d, sod / 3600, sod / 60 % 60, sod % 60,
                            tz->name);
    }
    *utc = fold == MB_TZ_LATER ? r.last : r.first;
    return MB_OK;
}

mb_status mb_tz_day_bounds(const mb_tz *tz, int64_t days, mb_time *start,
                           int32_t *length, mb_error *err)
{
    if (days < -MAX_DAYS || days > MAX_DAYS)
        return mb_error_set(err, MB_ERANGE, "day number %lld out of range",
                            (long long)days);
    mb_time s0 = resolve(tz, days * 86400).after;
    mb_time s1 = resolve(tz, (days + 1) * 86400).after;
    *start = s0;
    *length = (int32_t)(s1 - s0);
    return MB_OK;
}

/* ---- the process-wide cache -------------------------------------------- */

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static mb_tz *cache_head;

/* IANA-style relative name: components of [A-Za-z0-9._+-], none empty,
 * none starting with '.'. */
static bool zone_name_ok(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 255)
        return false;
    bool comp_start = true;
    for (const char *p = name; *p; p++) {
        char ch = *p;
        if (ch == '/') {
            if (comp_start)
                return false;
            comp_start = true;
            continue;
        }
        if (comp_start && ch == '.')
            return false;
        comp_start = false;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              (ch >= '0' && ch <= '9') || ch == '_' || ch == '+' ||
              ch == '-' || ch == '.'))
            return false;
    }
    return !comp_start;
}

static mb_status read_file(const char *name, const char *path,
                           unsigned char **buf, size_t *len, mb_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return mb_error_set(err, MB_ENOTFOUND,
                                "unknown time zone \"%s\" (no file %s)", name,
                                path);
        return mb_error_set(err, MB_EIO, "time zone \"%s\": %s: %s", name,
                            path, strerror(errno));
    }
    struct stat stb;
    mb_status st = MB_OK;
    if (fstat(fd, &stb) != 0)
        st = mb_error_set(err, MB_EIO, "time zone \"%s\": %s: %s", name, path,
                          strerror(errno));
    else if (!S_ISREG(stb.st_mode))
        st = mb_error_set(err, MB_ENOTFOUND,
                          "unknown time zone \"%s\" (%s is not a file)", name,
                          path);
    else if (stb.st_size > MAX_TZIF_SIZE)
        st = bad(err, name, "file too large");
    unsigned char *b = NULL;
    size_t got = 0;
    if (st == MB_OK && !(b = malloc((size_t)stb.st_size + 1)))
        st = mb_error_set(err, MB_ENOMEM, "out of memory");
    while (st == MB_OK && got < (size_t)stb.st_size) {
        ssize_t k = read(fd, b + got, (size_t)stb.st_size - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            st = mb_error_set(err, MB_EIO, "time zone \"%s\": reading %s: %s",
                              name, path, k < 0 ? strerror(errno) : "short read");
        else
            got += (size_t)k;
    }
    close(fd);
    if (st != MB_OK) {
        free(b);
        return st;
    }
    *buf = b;
    *len = got;
    return MB_OK;
}

static mb_status load(const char *name, mb_tz **out, mb_error *err)
{
    if (name[0] == '+' || name[0] == '-' || strcmp(name, "Z") == 0) {
        int32_t off;
        if (mb_offset_parse(name, strlen(name), &off, NULL) != MB_OK)
            return mb_error_set(err, MB_EINVAL,
                                "bad fixed-offset time zone \"%s\" (want "
                                "+HH:MM or -HH:MM)", name);
        if (!(*out = tz_new(name)))
            return mb_error_set(err, MB_ENOMEM, "out of memory");
        (*out)->pre_off = off;
        return MB_OK;
    }
    if (!zone_name_ok(name))
        return mb_error_set(err, MB_EINVAL, "bad time zone name \"%.100s\"",
                            name);
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return mb_error_set(err, MB_EINVAL, "time zone path too long");
    unsigned char *buf = NULL;
    size_t len = 0;
    mb_status st = read_file(name, path, &buf, &len, err);
    if (st != MB_OK)
        return st;
    st = mb_tz_parse_tzif(buf, len, name, out, err);
    free(buf);
    return st;
}

const mb_tz *mb_tz_get(const char *name, mb_error *err)
{
    if (!name) {
        mb_error_set(err, MB_EINVAL, "no time zone name");
        return NULL;
    }
    pthread_mutex_lock(&cache_lock);
    mb_tz *tz = cache_head;
    while (tz && strcmp(tz->name, name) != 0)
        tz = tz->next;
    if (!tz && load(name, &tz, err) == MB_OK) {
        tz->next = cache_head;
        cache_head = tz;
    }
    pthread_mutex_unlock(&cache_lock);
    return tz;
}

void mb_tz_cache_clear(void)
{
    pthread_mutex_lock(&cache_lock);
    while (cache_head) {
        mb_tz *next = cache_head->next;
        mb_tz_free(cache_head);
        cache_head = next;
    }
    pthread_mutex_unlock(&cache_lock);
}
