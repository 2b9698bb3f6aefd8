/*
 * report.h - portfolio figures computed from any store: consumption by
 * local month, the largest consumers, and data quality.
 *
 * Import channels (NEM suffix E..., UK registers) count as consumption,
 * export channels (B...) as generation; other units (kVArh, ...) are left
 * out of the energy totals. Months are those of each meter's own zone.
 * All totals are exact decimal sums.
 */
#ifndef MB_REPORT_H
#define MB_REPORT_H

#include "store/store.h"

typedef struct mb_report_month {
    int year, month;
    mb_decimal_sum imported, exported;  /* kWh */
    mb_decimal_sum actual, estimated, substituted; /* of imported */
    uint64_t values, nulls;
    uint64_t meters; /* meters with data in the month */
} mb_report_month;

typedef struct mb_report_meter {
    char meter[MB_ID_MAX + 1];
    mb_decimal_sum imported;
} mb_report_meter;

typedef struct mb_report {
    mb_report_month *months;  /* in calendar order */
    size_t nmonths;
    mb_report_meter *top;     /* largest consumers first */
    size_t ntop;
    uint64_t meters, series, values, registers;
    uint64_t quality[5];      /* values per flag: A E S F N */
} mb_report;

typedef struct mb_report_opts {
    int64_t from_day, to_day; /* local dates (days since 1970-01-01),
                                 both included */
    size_t top;         /* how many largest consumers */
    size_t max_meters;  /* 0: all; else only the first N meters by id */
} mb_report_opts;

mb_status mb_report_build(mb_store *s, const mb_report_opts *o,
                          mb_report **out, mb_error *err);
void mb_report_free(mb_report *r);

#endif
