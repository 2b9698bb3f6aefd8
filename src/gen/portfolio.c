/*
 * portfolio.c - the synthetic portfolio model (see portfolio.h).
 *
 * Randomness comes from splitmix64 applied to keys built from (seed, meter,
 * day, channel, purpose, interval), so nothing depends on the order in
 * which meter-days are produced. Shapes and seasons use integer
 * arithmetic with smooth polynomial bumps instead of libm functions.
 */
#include "gen/portfolio.h"

#include <stdio.h>
#include <string.h>

/* Purposes mixed into the keys, so that draws never collide. */
enum { K_METER = 1, K_DAY, K_VALUE, K_FAULT, K_CORR, K_REG };

static uint64_t mix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t key(uint64_t seed, uint64_t meter, uint64_t day,
                    uint64_t purpose)
{
    return mix(mix(mix(mix(seed) ^ meter) ^ (day << 8 | purpose)));
}

/* Draw number i of a key, uniformly in lo..hi. */
static int64_t draw(uint64_t k, uint64_t i, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(mix(k + i * 0xD1B54A32D192ED03ULL) %
                          (uint64_t)(hi - lo + 1));
}

/* Smooth bump: 1000 at x == c, falling to 0 at |x - c| >= w, shaped
 * (1 - t^2)^2. */
static int64_t bump(int64_t x, int64_t c, int64_t w)
{
    int64_t t = (x - c) * 1000 / w;
    if (t <= -1000 || t >= 1000)
        return 0;
    int64_t u = 1000 - t * t / 1000;
    return u * u / 1000;
}

/* Same, for a time of day: distance measured round the clock. */
static int64_t bump_clock(int64_t minute, int64_t c, int64_t w)
{
    int64_t x = ((minute - c) % 1440 + 1440) % 1440;
    if (x > 720)
        x -= 1440;
    return bump(x, 0, w);
}

static void build_shapes(mb_gen_model *m)
{
    for (int biz = 0; biz < 2; biz++)
        for (int we = 0; we < 2; we++) {
            int32_t *s = m->shape[biz][we];
            int64_t sum = 0, raw[288];
            for (int i = 0; i < 288; i++) {
                int64_t x = i * 5 + 2; /* middle of the 5 minutes */
                int64_t v;
                if (!biz)
                    v = 350 + 900 * bump_clock(x, we ? 540 : 450, 120) / 1000 +
                        1600 * bump_clock(x, 1125, 200) / 1000 +
                        (we ? 600 : 300) * bump_clock(x, 780, 300) / 1000;
                else
                    v = 250 + 1800 * bump_clock(x, 630, 240) / 1000 +
                        1800 * bump_clock(x, 930, 240) / 1000 +
                        300 * bump_clock(x, 1140, 120) / 1000;
                raw[i] = v;
                sum += v;
            }
            for (int i = 0; i < 288; i++)
                s[i] = (int32_t)(raw[i] * 1000 * 288 / sum);
        }
}

mb_status mb_gen_model_init(mb_gen_model *m, const mb_gen_config *cfg,
                            mb_error *err)
{
    if (cfg->meters < 1 || cfg->meters > 10000000)
        return mb_error_set(err, MB_EINVAL,
                            "meters must be 1 .. 10000000, not %u",
                            cfg->meters);
    if (cfg->days < 1 || cfg->days > 36600)
        return mb_error_set(err, MB_EINVAL, "days must be 1 .. 36600, not %u",
                            cfg->days);
    if (cfg->interval != 300 && cfg->interval != 900 && cfg->interval != 1800)
        return mb_error_set(err, MB_EINVAL,
                            "interval must be 5, 15 or 30 minutes");
    if (cfg->fault_ppm > 1000000)
        return mb_error_set(err, MB_EINVAL, "fault rate must be 0 .. 1");
    if (cfg->first_day < -700000 || cfg->first_day > 2900000)
        return mb_error_set(err, MB_EINVAL, "start date out of range");
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->tz = mb_tz_get(cfg->zone, err);
    if (!m->tz)
        return err ? err->status : MB_EINVAL;
    build_shapes(m);
    return MB_OK;
}

static void make_nmi(char *out, uint32_t index)
{
    if (index < 1000000)
        snprintf(out, 16, "NCDE%06u", index);
    else
        snprintf(out, 16, "NCD%07u", index);
}

/* MPAN core: distributor 12, 10 digits from the index, check digit. */
static void make_mpan(char *out, uint32_t index)
{
    static const int primes[12] = {3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43};
    snprintf(out, 16, "12%010u", index + 1000000000u);
    int sum = 0;
    for (int i = 0; i < 12; i++)
        sum += (out[i] - '0') * primes[i];
    out[12] = (char)('0' + sum % 11 % 10);
    out[13] = '\0';
}

void mb_gen_meter_init(const mb_gen_model *m, uint32_t index,
                       mb_gen_meter *mt)
{
    uint64_t k = key(m->cfg.seed, index, 0, K_METER);
    memset(mt, 0, sizeof *mt);
    mt->index = index;
    if (m->cfg.ids == MB_GEN_IDS_NMI)
        make_nmi(mt->id, index);
    else
        make_mpan(mt->id, index);
    snprintf(mt->serial, sizeof mt->serial, "MS%08u", index);
    mt->business = draw(k, 0, 0, 99) < 15;
    mt->has[MB_GEN_E1] = true;
    mt->daily_wh = mt->business ? draw(k, 1, 30000, 160000)
                                : draw(k, 1, 6000, 26000);
    mt->heat_pm = (int32_t)draw(k, 2, 50, 700);
    mt->cool_pm = (int32_t)draw(k, 3, 0, 450);
    mt->shift_min = (int32_t)draw(k, 4, -60, 60);
    if (!m->cfg.e1_only && draw(k, 5, 0, 99) < (mt->business ? 20 : 30)) {
        mt->has[MB_GEN_B1] = true;
        mt->solar_w = draw(k, 6, 2000, mt->business ? 30000 : 8000);
    }
    /* controlled load (hot water) only exists in the NEM */
    if (!m->cfg.e1_only && m->cfg.ids == MB_GEN_IDS_NMI && !mt->business &&
        draw(k, 7, 0, 99) < 25) {
        mt->has[MB_GEN_E2] = true;
        mt->cl_w = draw(k, 8, 1800, 4800);
        mt->cl_start = (int32_t)(1320 + 30 * draw(k, 9, 0, 3));
    }
    mt->read_phase = (int32_t)draw(k, 10, 0, MB_GEN_READ_PERIOD - 1);
    for (int r = 0; r < MB_GEN_REGISTERS; r++)
        mt->reg_base[r] = draw(k, 11 + (uint64_t)r, 0, 60000000);
}

/* Cosine-like season curve: +1000 at the winter peak, -1000 half a year
 * later, smooth in between (1 - 2 * smoothstep). */
static int32_t winterness(int64_t date, bool southern)
{
    int y, mo, d;
    mb_civil_from_days(date, &y, &mo, &d);
    int64_t doy = date - mb_days_from_civil(y, 1, 1);
    int64_t peak = southern ? 196 : 15;
    int64_t dist = ((doy - peak) % 365 + 365) % 365;
    if (dist > 182)
        dist = 365 - dist;
    int64_t u = dist * 1000 / 183;                       /* 0..1000 */
    int64_t smooth = u * u * (3000 - 2 * u) / 1000000;   /* 0..1000 */
    return (int32_t)(1000 - 2 * smooth);
}

static mb_status local_instant(const mb_gen_model *m, int64_t date,
                               int32_t sod, mb_time *out, mb_error *err)
{
    int64_t local = date * 86400 + sod;
    mb_status st = mb_tz_local_to_utc(m->tz, local, MB_TZ_EARLIER, out, err);
    if (st == MB_ERANGE) /* skipped by clocks going forward */
        st = mb_tz_local_to_utc(m->tz, local + 3600, MB_TZ_EARLIER, out, err);
    return st;
}

mb_status mb_gen_day_init(const mb_gen_model *m, uint32_t index,
                          mb_gen_day *d, mb_error *err)
{
    const mb_gen_config *c = &m->cfg;
    d->index = index;
    d->date = c->first_day + index;
    mb_status st = mb_tz_day_bounds(m->tz, d->date, &d->start, &d->length, err);
    if (st)
        return st;
    if (d->length % c->interval || d->length / c->interval > MB_GEN_MAX_SLOTS)
        return mb_error_set(err, MB_EINVAL,
                            "local day %lld in %s is %d seconds long: not "
                            "a whole number of intervals",
                            (long long)d->date, c->zone, (int)d->length);
    d->count = (uint32_t)(d->length / c->interval);
    d->weekend = mb_weekday(d->date) >= 5;
    int32_t w = winterness(d->date, c->southern);
    d->winter_pm = w > 0 ? w : 0;
    d->summer_pm = w < 0 ? -w : 0;
    bool fixed = d->length == 86400 &&
                 mb_tz_offset(m->tz, d->start) ==
                     mb_tz_offset(m->tz, d->start + 86399);
    for (uint32_t i = 0; i < d->count; i++) {
        mb_time t = d->start + (mb_time)i * c->interval;
        int64_t sod = fixed ? (int64_t)i * c->interval
                            : ((t + mb_tz_offset(m->tz, t)) % 86400 + 86400) %
                                  86400;
        d->minute[i] = (uint16_t)(sod / 60);
    }
    mb_time v1, v2;
    if ((st = local_instant(m, d->date + 1, 9000, &v1, err)) ||
        (st = local_instant(m, d->date + 1, 10800, &d->created_first, err)) ||
        (st = local_instant(m, d->date + 4, 9000, &v2, err)) ||
        (st = local_instant(m, d->date + 4, 10800, &d->created_corrected, err)))
        return st;
    d->version_first = (mb_version)v1 * 1000000;
    d->version_corrected = (mb_version)v2 * 1000000;
    return MB_OK;
}

mb_gen_fault_info mb_gen_fault_of(const mb_gen_model *m,
                                  const mb_gen_meter *mt, const mb_gen_day *d)
{
    mb_gen_fault_info f = {MB_GEN_FAULT_NONE, 0, 0};
    if (!m->cfg.fault_ppm)
        return f;
    uint64_t k = key(m->cfg.seed, mt->index, d->index, K_FAULT);
    if (draw(k, 0, 0, 999999) >= m->cfg.fault_ppm)
        return f;
    int64_t kind = draw(k, 1, 0, 99);
    f.kind = kind < 30   ? MB_GEN_FAULT_GAP
             : kind < 45 ? MB_GEN_FAULT_MISSING
             : kind < 65 ? MB_GEN_FAULT_SPIKE
             : kind < 70 ? MB_GEN_FAULT_NEGATIVE
                         : MB_GEN_FAULT_CORRECTION;
    switch (f.kind) {
    case MB_GEN_FAULT_MISSING:
        f.first = 0;
        f.count = d->count;
        break;
    case MB_GEN_FAULT_SPIKE:
    case MB_GEN_FAULT_NEGATIVE:
        f.first = (uint32_t)draw(k, 2, 0, d->count - 1);
        f.count = 1;
        break;
    default: /* a run of up to a quarter of the day */
        f.count = (uint32_t)draw(k, 3, 1, d->count / 4);
        f.first = (uint32_t)draw(k, 2, 0, d->count - f.count);
        break;
    }
    return f;
}

/* Clean values of one channel. */
static void clean_values(const mb_gen_model *m, const mb_gen_meter *mt,
                         const mb_gen_day *d, mb_gen_channel c, int64_t *wh)
{
    const mb_gen_config *cfg = &m->cfg;
    uint64_t kd = key(cfg->seed, mt->index, d->index, K_DAY);
    uint64_t kv = key(cfg->seed, mt->index, d->index, K_VALUE + 16 * c);
    int64_t iv = cfg->interval;
    if (c == MB_GEN_E1) {
        int64_t season = 1000 + mt->heat_pm * d->winter_pm / 1000 +
                         mt->cool_pm * d->summer_pm / 1000;
        int64_t week = d->weekend ? (mt->business ? 400 : 1080) : 1000;
        int64_t today = mt->daily_wh * season / 1000 * week / 1000 *
                        draw(kd, 0, 850, 1150) / 1000;
        const int32_t *shape = m->shape[mt->business][d->weekend];
        for (uint32_t i = 0; i < d->count; i++) {
            int64_t minute = ((int64_t)d->minute[i] + iv / 120 +
                              1440 - mt->shift_min) % 1440;
            int64_t v = today * shape[minute / 5] * draw(kv, i, 750, 1250) *
                        iv;
            wh[i] = (v + 43200000000LL) / 86400000000LL;
        }
    } else if (c == MB_GEN_B1) {
        int64_t half = 330 + 120 * (d->summer_pm - d->winter_pm) / 1000;
        int64_t sky = draw(kd, 1, 300, 1000);
        int64_t sun = 800 + 200 * (d->summer_pm - d->winter_pm) / 1000;
        int64_t peak = mt->solar_w * sky / 1000 * sun / 1000;
        for (uint32_t i = 0; i < d->count; i++) {
            int64_t b = bump((int64_t)d->minute[i] + iv / 120, 750, half);
            wh[i] = b ? (peak * b / 1000 * draw(kv, i, 900, 1100) / 1000 *
                             iv + 1800) / 3600
                      : 0;
        }
    } else {
        int64_t hours = 240 + 120 * d->winter_pm / 1000 +
                        draw(kd, 2, 0, 60); /* minutes */
        for (uint32_t i = 0; i < d->count; i++) {
            int64_t since = ((int64_t)d->minute[i] - mt->cl_start + 1440) %
                            1440;
            wh[i] = since < hours ? (mt->cl_w * draw(kv, i, 950, 1050) /
                                         1000 * iv + 1800) / 3600
                                  : 0;
        }
    }
}

void mb_gen_series_fill(const mb_gen_model *m, const mb_gen_meter *mt,
                        const mb_gen_day *d, mb_gen_channel c,
                        mb_gen_view view, mb_gen_series *s)
{
    const mb_quality actual = {MB_Q_ACTUAL, 0, MB_REASON_NONE};
    s->count = d->count;
    s->version = view == MB_GEN_CORRECTED ? d->version_corrected
                                          : d->version_first;
    clean_values(m, mt, d, c, s->wh);
    for (uint32_t i = 0; i < d->count; i++)
        s->q[i] = actual;
    if (view == MB_GEN_CLEAN)
        return;
    mb_gen_fault_info f = mb_gen_fault_of(m, mt, d);
    switch (f.kind) {
    case MB_GEN_FAULT_GAP:
        for (uint32_t i = f.first; i < f.first + f.count; i++) {
            s->wh[i] = 0;
            s->q[i] = (mb_quality){MB_Q_NULL, 0, MB_REASON_NONE};
        }
        break;
    case MB_GEN_FAULT_SPIKE:
        if (c == MB_GEN_E1)
            s->wh[f.first] = (s->wh[f.first] + 1) * 50;
        break;
    case MB_GEN_FAULT_NEGATIVE:
        if (c == MB_GEN_E1)
            s->wh[f.first] = -(s->wh[f.first] + 1);
        break;
    case MB_GEN_FAULT_CORRECTION:
        if (view == MB_GEN_CORRECTED && c == MB_GEN_E1) {
            uint64_t k = key(m->cfg.seed, mt->index, d->index, K_CORR);
            bool final = draw(k, 0, 0, 1);
            mb_quality q = final ? (mb_quality){MB_Q_FINAL, 16, 79}
                                 : (mb_quality){MB_Q_SUBSTITUTED, 14, 12};
            for (uint32_t i = f.first; i < f.first + f.count; i++) {
                s->wh[i] = s->wh[i] * draw(k, 1 + i, 1100, 1400) / 1000;
                s->q[i] = q;
            }
        }
        break;
    default:
        break;
    }
}

void mb_gen_day_totals(const mb_gen_model *m, const mb_gen_meter *mt,
                       const mb_gen_day *d, int64_t totals[MB_GEN_REGISTERS])
{
    int64_t wh[MB_GEN_MAX_SLOTS];
    for (int r = 0; r < MB_GEN_REGISTERS; r++)
        totals[r] = 0;
    for (int c = 0; c < MB_GEN_CHANNELS; c++) {
        if (!mt->has[c])
            continue;
        clean_values(m, mt, d, (mb_gen_channel)c, wh);
        for (uint32_t i = 0; i < d->count; i++) {
            if (c == MB_GEN_E1) {
                totals[MB_GEN_REG_E1] += wh[i];
                bool night = d->minute[i] >= 30 && d->minute[i] < 450;
                totals[night ? MB_GEN_REG_NIGHT : MB_GEN_REG_DAY] += wh[i];
            } else {
                totals[c == MB_GEN_B1 ? MB_GEN_REG_B1 : MB_GEN_REG_E2] += wh[i];
            }
        }
    }
}

bool mb_gen_read_due(const mb_gen_model *m, const mb_gen_meter *mt,
                     uint32_t day)
{
    return day + 1 == m->cfg.days ||
           (day + (uint32_t)mt->read_phase) % MB_GEN_READ_PERIOD ==
               MB_GEN_READ_PERIOD - 1;
}

const char *mb_gen_channel_name(mb_gen_channel c)
{
    static const char *const names[] = {"E1", "B1", "E2"};
    return (unsigned)c < MB_GEN_CHANNELS ? names[c] : "?";
}

const char *mb_gen_fault_name(mb_gen_fault f)
{
    static const char *const names[] = {"none", "gap", "missing", "spike",
                                        "negative", "correction"};
    return (unsigned)f < MB_GEN_FAULTS ? names[f] : "?";
}
