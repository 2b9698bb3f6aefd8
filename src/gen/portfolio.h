/*
 * portfolio.h - the synthetic meter portfolio behind `meterbase gen`.
 *
 * A model of what a portfolio's meters consume, independent of any file
 * format: every meter gets a deterministic profile from (seed, meter
 * index) - household or small business, size, heating and cooling
 * sensitivity, rooftop solar (export channel B1), controlled load (E2) -
 * and every value of every meter-day is computed on its own from a
 * counter-based generator keyed by (seed, meter, day, channel, interval).
 * Any meter-day can therefore be produced independently, in any order,
 * and the same configuration always gives the same numbers (integer
 * arithmetic only: no floating point, time, locale or hash order).
 *
 * Values are watt-hours, i.e. kWh with three decimals. Days are local days
 * of the configured zone (46 or 50 half-hours on clock-change days).
 * Faults (gaps, missing days, spikes, negative values, later corrections)
 * are part of the model too, so a reader's output can be checked against
 * it value for value.
 */
#ifndef MB_GEN_PORTFOLIO_H
#define MB_GEN_PORTFOLIO_H

#include "core/model.h"
#include "core/tz.h"

#include <stdbool.h>
#include <stdint.h>

/* Intervals in the longest local day (25 hours) at 5 minutes. */
#define MB_GEN_MAX_SLOTS 300
/* Register formats: a meter is read every this many days (staggered per
 * meter) and on the last day of the range. */
#define MB_GEN_READ_PERIOD 30

typedef enum mb_gen_channel {
    MB_GEN_E1,  /* consumption, every meter */
    MB_GEN_B1,  /* solar export, some meters */
    MB_GEN_E2,  /* controlled load (off-peak night block), some meters */
    MB_GEN_CHANNELS
} mb_gen_channel;

/* Cumulative registers (NEM13, D0010), all fed by the clean values. */
typedef enum mb_gen_register {
    MB_GEN_REG_E1,     /* all E1 consumption */
    MB_GEN_REG_B1,     /* all export */
    MB_GEN_REG_E2,     /* controlled load */
    MB_GEN_REG_DAY,    /* Economy 7 day: E1 outside the night hours */
    MB_GEN_REG_NIGHT,  /* Economy 7 night: E1 from 00:30 to 07:30 local */
    MB_GEN_REGISTERS
} mb_gen_register;

typedef enum mb_gen_ids {
    MB_GEN_IDS_NMI,  /* "NCDE" + 6 digits (NEM) */
    MB_GEN_IDS_MPAN  /* 13-digit MPAN core with its check digit (UK) */
} mb_gen_ids;

typedef enum mb_gen_fault {
    MB_GEN_FAULT_NONE = 0,
    MB_GEN_FAULT_GAP,        /* a run of intervals with quality N, value 0 */
    MB_GEN_FAULT_MISSING,    /* the meter-day is not sent at all */
    MB_GEN_FAULT_SPIKE,      /* one E1 value x50 */
    MB_GEN_FAULT_NEGATIVE,   /* one negative E1 value */
    MB_GEN_FAULT_CORRECTION, /* sent, then re-sent with changed values */
    MB_GEN_FAULTS
} mb_gen_fault;

/* Which values of a meter-day. */
typedef enum mb_gen_view {
    MB_GEN_CLEAN,      /* what the meter really measured; feeds registers */
    MB_GEN_FIRST,      /* as first sent (faults applied) */
    MB_GEN_CORRECTED   /* the re-send of a MB_GEN_FAULT_CORRECTION day */
} mb_gen_view;

typedef struct mb_gen_config {
    uint64_t seed;
    uint32_t meters;     /* 1 .. 10,000,000 */
    uint32_t days;       /* 1 .. 36,600 */
    int64_t first_day;   /* local date of day 0, days since 1970-01-01 */
    int32_t interval;    /* seconds: 300, 900 or 1800 */
    const char *zone;    /* zone name for mb_tz_get (kept, not copied) */
    bool southern;       /* seasons of the southern hemisphere */
    mb_gen_ids ids;
    uint32_t fault_ppm;  /* faulty meter-days per million */
    bool e1_only;        /* consumption channel only: no solar, no
                            controlled load (benchmarks: 48 values a day) */
} mb_gen_config;

/* The model: configuration plus the daily shape tables. */
typedef struct mb_gen_model {
    mb_gen_config cfg;
    const mb_tz *tz;
    int32_t shape[2][2][288]; /* [business][weekend][5-minute slot],
                                 per mille of the day's mean */
} mb_gen_model;

typedef struct mb_gen_meter {
    uint32_t index;
    char id[16];        /* NMI or MPAN core */
    char serial[16];    /* meter serial number */
    bool business;
    bool has[MB_GEN_CHANNELS];
    int64_t daily_wh;   /* mean daily consumption */
    int32_t heat_pm, cool_pm; /* extra consumption deep in winter/summer */
    int32_t shift_min;  /* personal shift of the daily shape */
    int64_t solar_w;    /* peak export power, 0 without solar */
    int64_t cl_w;       /* controlled load power, 0 without */
    int32_t cl_start;   /* controlled load block start, local minute */
    int32_t read_phase; /* register read schedule offset */
    int64_t reg_base[MB_GEN_REGISTERS]; /* register values at range start */
} mb_gen_meter;

typedef struct mb_gen_day {
    uint32_t index;      /* 0 .. days-1 */
    int64_t date;        /* local date, days since 1970-01-01 */
    mb_time start;       /* local midnight, UTC */
    int32_t length;      /* seconds: 86400, or 82800/90000 */
    uint32_t count;      /* intervals */
    bool weekend;
    int32_t winter_pm, summer_pm; /* 0..1000: how deep into each season */
    uint16_t minute[MB_GEN_MAX_SLOTS]; /* local minute of day of each
                                          interval start */
    /* What is sent for the day: versions (UpdateDateTime) and file
     * creation times of the first send (02:30 and 03:00 local on the next
     * day) and of corrections (the same times four days later). */
    mb_version version_first, version_corrected;
    mb_time created_first, created_corrected;
} mb_gen_day;

/* One channel of one meter-day. */
typedef struct mb_gen_series {
    uint32_t count;
    int64_t wh[MB_GEN_MAX_SLOTS];
    mb_quality q[MB_GEN_MAX_SLOTS];
    mb_version version;
} mb_gen_series;

/* Details of a meter-day's fault, for the manifest. */
typedef struct mb_gen_fault_info {
    mb_gen_fault kind;
    uint32_t first, count;  /* affected intervals (0-based) */
} mb_gen_fault_info;

/* Validate cfg and build the model. MB_EINVAL for a bad configuration,
 * errors of mb_tz_get for the zone. */
mb_status mb_gen_model_init(mb_gen_model *m, const mb_gen_config *cfg,
                            mb_error *err);

void mb_gen_meter_init(const mb_gen_model *m, uint32_t index,
                       mb_gen_meter *out);

mb_status mb_gen_day_init(const mb_gen_model *m, uint32_t index,
                          mb_gen_day *out, mb_error *err);

/* The fault of a meter-day (the same for every channel). */
mb_gen_fault_info mb_gen_fault_of(const mb_gen_model *m,
                                  const mb_gen_meter *mt,
                                  const mb_gen_day *d);

/* Values of one channel of a meter-day. The channel must be one the meter
 * has. MB_GEN_CORRECTED changes E1 only; other channels are not re-sent. */
void mb_gen_series_fill(const mb_gen_model *m, const mb_gen_meter *mt,
                        const mb_gen_day *d, mb_gen_channel c,
                        mb_gen_view view, mb_gen_series *out);

/* Clean consumption of each register in one meter-day, Wh. */
void mb_gen_day_totals(const mb_gen_model *m, const mb_gen_meter *mt,
                       const mb_gen_day *d,
                       int64_t totals[MB_GEN_REGISTERS]);

/* True when the meter's registers are read at the end of day d. */
bool mb_gen_read_due(const mb_gen_model *m, const mb_gen_meter *mt,
                     uint32_t day);

const char *mb_gen_channel_name(mb_gen_channel c);   /* "E1", "B1", "E2" */
const char *mb_gen_fault_name(mb_gen_fault f);       /* "gap", ... */

#endif
