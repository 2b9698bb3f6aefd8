/*
 * cli.c - helpers shared by the subcommands (see cli.h).
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "analytics/report.h"
#include "core/datetime.h"

#include <stdio.h>
#include <string.h>

void mb_cli_error(const char *cmd, const mb_error *err)
{
    fprintf(stderr, "meterbase %s: %s\n", cmd,
            err->msg[0] ? err->msg : mb_status_str(err->status));
}

int mb_cli_exit_for(mb_status st)
{
    switch (st) {
    case MB_OK: return MB_EXIT_OK;
    case MB_EFORMAT:
    case MB_ERANGE: return MB_EXIT_DATA;
    case MB_EINVAL: return MB_EXIT_USAGE;
    default: return MB_EXIT_FAIL;
    }
}

mb_store *mb_cli_open_store(const char *cmd, const char *uri)
{
    char def[4096];
    if (!uri)
        uri = mb_store_default_uri(def, sizeof def);
    mb_store *s = NULL;
    mb_error err;
    if (mb_store_open(uri, &s, &err)) {
        mb_cli_error(cmd, &err);
        return NULL;
    }
    return s;
}

int mb_cli_parse_day(const char *s, int64_t *day)
{
    int y, m, d;
    mb_error err;
    if (mb_date_parse(s, strlen(s), &y, &m, &d, &err))
        return -1;
    *day = mb_days_from_civil(y, m, d);
    return 0;
}

const char *mb_cli_count(uint64_t n, char *buf, size_t cap)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < cap; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

const char *mb_cli_bytes(double b, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;
    while (b >= 1000 && u < 4) {
        b /= 1000;
        u++;
    }
    snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", b, units[u]);
    return buf;
}

void mb_cli_print_report(const mb_report *r, FILE *o)
{
    char a[64], b[64], c[64], d[64], e[64], n[32];
    fprintf(o, "Portfolio: %s meters, %llu series, %s interval values, "
            "%llu register series\n\n",
            mb_cli_count(r->meters, n, sizeof n),
            (unsigned long long)r->series,
            mb_cli_count(r->values, a, sizeof a),
            (unsigned long long)r->registers);
    fprintf(o, "Consumption by month (kWh, meters' local time)\n");
    fprintf(o, "  %-7s %7s %18s %18s %16s %16s %16s\n", "month", "meters",
            "imported", "exported", "actual", "estimated", "substituted");
    for (size_t i = 0; i < r->nmonths; i++) {
        const mb_report_month *m = &r->months[i];
        if (!m->values)
            continue;
        mb_decimal_sum_format(&m->imported, a, sizeof a);
        mb_decimal_sum_format(&m->exported, b, sizeof b);
        mb_decimal_sum_format(&m->actual, c, sizeof c);
        mb_decimal_sum_format(&m->estimated, d, sizeof d);
        mb_decimal_sum_format(&m->substituted, e, sizeof e);
        fprintf(o, "  %04d-%02d %7llu %18s %18s %16s %16s %16s\n", m->year,
                m->month, (unsigned long long)m->meters, a, b, c, d, e);
    }
    fprintf(o, "\nLargest consumers (kWh imported)\n");
    for (size_t i = 0; i < r->ntop; i++) {
        mb_decimal_sum_format(&r->top[i].imported, a, sizeof a);
        fprintf(o, "  %2zu. %-16s %16s\n", i + 1, r->top[i].meter, a);
    }
    static const char *const names[5] = {"actual", "estimated", "substituted",
                                         "final substituted", "null"};
    fprintf(o, "\nData quality (interval values)\n");
    for (int k = 0; k < 5; k++) {
        double pct = r->values ? 100.0 * (double)r->quality[k] / (double)r->values : 0;
        fprintf(o, "  %-18s %14s  %6.2f%%\n", names[k],
                mb_cli_count(r->quality[k], a, sizeof a), pct);
    }
}
