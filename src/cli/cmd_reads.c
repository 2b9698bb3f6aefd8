/*
 * cmd_reads.c - `meterbase reads`: one meter's readings, as stored or
 * totalled per local day or month.
 *
 * Days and months are those of the meter's own zone (each value carries
 * it), so a Europe/London clock-change day totals its 46 or 50 half-hours.
 * Totals are exact decimal sums; each bucket also says how much of it was
 * actual, estimated or substituted, and how many values were null.
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "core/datetime.h"
#include "core/tz.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: meterbase reads METER [--channel C] --from DATE --to DATE\n"
    "                       [--granularity interval|day|month] [--history]\n"
    "                       [--output table|csv|json] [--store URI]\n\n"
    "Show a meter's readings between two local dates (both included, in the\n"
    "meter's time zone).\n\n"
    "  --channel C      one channel (E1, B1, ...); default all\n"
    "  --granularity G  interval (default): every value with its quality and\n"
    "                   version; day or month: exact totals per local day or\n"
    "                   month, split into actual, estimated and substituted\n"
    "  --history        with interval: also superseded versions\n"
    "  --output O       table (default), csv or json\n"
    "  --store URI      store to read (default $METERBASE_STORE)\n";

enum { G_INTERVAL, G_DAY, G_MONTH };
enum { O_TABLE, O_CSV, O_JSON };

typedef struct {
    char channel[MB_ID_MAX + 1];
    mb_unit unit;
    int64_t key;           /* local day number, or year*12 + month-1 */
    int used;
    mb_decimal_sum total, actual, estimated, substituted;
    uint64_t n, n_null;
} bucket;

typedef struct {
    int gran, out;
    int64_t from_day, to_day; /* local days, inclusive */
    const char *zone_name;    /* zone of the last row, and its tz */
    char zone_buf[64];
    const mb_tz *tz;
    bucket b;
    unsigned long rows;
    int first;
} reads_ctx;

static mb_status zone_of(reads_ctx *c, const char *zone, mb_error *err)
{
    if (c->tz && !strcmp(c->zone_buf, zone))
        return MB_OK;
    c->tz = mb_tz_get(zone, err);
    if (!c->tz)
        return err->status ? err->status : MB_EINVAL;
    snprintf(c->zone_buf, sizeof c->zone_buf, "%s", zone);
    return MB_OK;
}

static void sep(reads_ctx *c)
{
    if (c->out == O_JSON)
        fputs(c->first ? "[\n  " : ",\n  ", stdout);
    c->first = 0;
}

static void print_bucket(reads_ctx *c)
{
    bucket *b = &c->b;
    if (!b->used)
        return;
    char label[16], tot[64], act[64], est[64], sub[64];
    int y, m, d;
    if (c->gran == G_DAY) {
        mb_civil_from_days(b->key, &y, &m, &d);
        snprintf(label, sizeof label, "%04d-%02d-%02d", y, m, d);
    } else {
        snprintf(label, sizeof label, "%04d-%02d", (int)(b->key / 12),
                 (int)(b->key % 12) + 1);
    }
    mb_decimal_sum_format(&b->total, tot, sizeof tot);
    mb_decimal_sum_format(&b->actual, act, sizeof act);
    mb_decimal_sum_format(&b->estimated, est, sizeof est);
    mb_decimal_sum_format(&b->substituted, sub, sizeof sub);
    const char *unit = mb_unit_name(b->unit);
    switch (c->out) {
    case O_TABLE:
        printf("%-8s %-10s %16s %-6s %7llu %16s %14s %14s %6llu\n",
               b->channel, label, tot, unit, (unsigned long long)b->n, act,
               est, sub, (unsigned long long)b->n_null);
        break;
    case O_CSV:
        printf("%s,%s,%s,%s,%llu,%s,%s,%s,%llu\n", b->channel, label, tot,
               unit, (unsigned long long)b->n, act, est, sub,
               (unsigned long long)b->n_null);
        break;
    case O_JSON:
        sep(c);
        printf("{\"channel\":\"%s\",\"%s\":\"%s\",\"total\":\"%s\","
               "\"unit\":\"%s\",\"values\":%llu,\"actual\":\"%s\","
               "\"estimated\":\"%s\",\"substituted\":\"%s\",\"null\":%llu}",
               b->channel, c->gran == G_DAY ? "day" : "month", label, tot,
               unit, (unsigned long long)b->n, act, est, sub,
               (unsigned long long)b->n_null);
        break;
    }
    c->rows++;
    b->used = 0;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static void print_row(reads_ctx *c, const mb_interval_row *r, int32_t off)
{
    char start[40], end[40], val[MB_DECIMAL_STRLEN], ver[40], reason[8] = "";
    int32_t end_off = mb_tz_offset(c->tz, r->start + r->interval);
    mb_time_format_iso(r->start, off, start, sizeof start);
    mb_time_format_iso(r->start + r->interval, end_off, end, sizeof end);
    mb_decimal_format(r->value, val, sizeof val);
    mb_time_format_iso(r->version / 1000000, 0, ver, sizeof ver);
    if (r->quality.reason != MB_REASON_NONE)
        snprintf(reason, sizeof reason, "%u", r->quality.reason);
    char method[8] = "";
    if (r->quality.method)
        snprintf(method, sizeof method, "%02u", r->quality.method);
    const char *unit = mb_unit_name(r->unit);
    const char *state = r->current ? "current" : "superseded";
    switch (c->out) {
    case O_TABLE:
        printf("%-8s %-25s %-25s %12s %-6s %c %-2s %-3s %-25s%s%s\n",
               r->channel, start, end, val, unit, r->quality.flag, method,
               reason, ver, r->current ? "" : " ", r->current ? "" : state);
        break;
    case O_CSV:
        printf("%s,%s,%s,%s,%s,%s,%c,%s,%s,%s,%s\n", r->meter, r->channel,
               start, end, val, unit, r->quality.flag, method, reason, ver,
               state);
        break;
    case O_JSON:
        sep(c);
        printf("{\"meter\":");
        json_str(r->meter);
        printf(",\"channel\":");
        json_str(r->channel);
        printf(",\"start\":\"%s\",\"end\":\"%s\",\"value\":\"%s\","
               "\"unit\":\"%s\",\"quality\":\"%c\",\"method\":\"%s\","
               "\"reason\":\"%s\",\"version\":\"%s\",\"current\":%s}",
               start, end, val, unit, r->quality.flag, method, reason, ver,
               r->current ? "true" : "false");
        break;
    }
    c->rows++;
}

static mb_status on_row(void *ctx, const mb_interval_row *r, mb_error *err)
{
    reads_ctx *c = ctx;
    mb_status st = zone_of(c, r->zone, err);
    if (st)
        return st;
    int64_t day = mb_tz_local_day(c->tz, r->start);
    if (day < c->from_day || day > c->to_day)
        return MB_OK;
    if (c->gran == G_INTERVAL) {
        print_row(c, r, mb_tz_offset(c->tz, r->start));
        return MB_OK;
    }
    int64_t key = day;
    if (c->gran == G_MONTH) {
        int y, m, d;
        mb_civil_from_days(day, &y, &m, &d);
        key = (int64_t)y * 12 + m - 1;
    }
    bucket *b = &c->b;
    if (b->used && (b->key != key || strcmp(b->channel, r->channel) ||
                    b->unit != r->unit))
        print_bucket(c);
    if (!b->used) {
        memset(b, 0, sizeof *b);
        b->used = 1;
        b->key = key;
        b->unit = r->unit;
        snprintf(b->channel, sizeof b->channel, "%s", r->channel);
    }
    b->n++;
    mb_decimal_sum *part = NULL;
    switch (r->quality.flag) {
    case MB_Q_ACTUAL: part = &b->actual; break;
    case MB_Q_ESTIMATED: part = &b->estimated; break;
    case MB_Q_SUBSTITUTED:
    case MB_Q_FINAL: part = &b->substituted; break;
    default: b->n_null++; break;
    }
    if (mb_decimal_sum_add(&b->total, r->value) ||
        (part && mb_decimal_sum_add(part, r->value)))
        return mb_error_set(err, MB_ERANGE, "total of %s out of range",
                            r->channel);
    return MB_OK;
}

static mb_status on_register(void *ctx, const mb_register_row *r,
                             mb_error *err)
{
    reads_ctx *c = ctx;
    mb_status st = zone_of(c, r->zone, err);
    if (st)
        return st;
    int64_t day = mb_tz_local_day(c->tz, r->read_at);
    if (day < c->from_day || day > c->to_day)
        return MB_OK;
    char at[40], val[MB_DECIMAL_STRLEN];
    mb_time_format_iso(r->read_at, mb_tz_offset(c->tz, r->read_at), at,
                       sizeof at);
    mb_decimal_format(r->value, val, sizeof val);
    if (c->out == O_JSON) {
        sep(c);
        printf("{\"meter\":");
        json_str(r->meter);
        printf(",\"register\":");
        json_str(r->reg);
        printf(",\"read_at\":\"%s\",\"value\":\"%s\",\"unit\":\"%s\","
               "\"quality\":\"%c\",\"current\":%s}", at, val,
               mb_unit_name(r->unit), r->quality.flag,
               r->current ? "true" : "false");
    } else {
        printf(c->out == O_CSV ? "%s,register %s,%s,,%s,%s,%c\n"
                               : "%-8s register %-8s %-25s %12s %-6s %c\n",
               r->meter, r->reg, at, val, mb_unit_name(r->unit),
               r->quality.flag);
    }
    c->rows++;
    return MB_OK;
}

int mb_cmd_reads(int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", required_argument, 0, 's'},
        {"channel", required_argument, 0, 'c'},
        {"from", required_argument, 0, 'f'},
        {"to", required_argument, 0, 't'},
        {"granularity", required_argument, 0, 'g'},
        {"history", no_argument, 0, 'H'},
        {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *uri = NULL, *from = NULL, *to = NULL;
    reads_ctx c = {.first = 1};
    mb_range_query q = {0};
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's': uri = optarg; break;
        case 'c': q.channel = optarg; break;
        case 'f': from = optarg; break;
        case 't': to = optarg; break;
        case 'H': q.history = true; break;
        case 'g':
            if (!strcmp(optarg, "interval")) c.gran = G_INTERVAL;
            else if (!strcmp(optarg, "day")) c.gran = G_DAY;
            else if (!strcmp(optarg, "month")) c.gran = G_MONTH;
            else {
                fprintf(stderr, "meterbase reads: --granularity: expected "
                        "interval, day or month, got '%s'\n", optarg);
                return MB_EXIT_USAGE;
            }
            break;
        case 'o':
            if (!strcmp(optarg, "table")) c.out = O_TABLE;
            else if (!strcmp(optarg, "csv")) c.out = O_CSV;
            else if (!strcmp(optarg, "json")) c.out = O_JSON;
            else {
                fprintf(stderr, "meterbase reads: --output: expected table, "
                        "csv or json, got '%s'\n", optarg);
                return MB_EXIT_USAGE;
            }
            break;
        case 'h': fputs(usage, stdout); return MB_EXIT_OK;
        default: fputs(usage, stderr); return MB_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || !from || !to) {
        fputs(usage, stderr);
        return MB_EXIT_USAGE;
    }
    if (mb_cli_parse_day(from, &c.from_day) || mb_cli_parse_day(to, &c.to_day) ||
        c.to_day < c.from_day) {
        fprintf(stderr, "meterbase reads: --from and --to must be dates "
                "YYYY-MM-DD, --from not after --to\n");
        return MB_EXIT_USAGE;
    }
    if (q.history && c.gran != G_INTERVAL) {
        fprintf(stderr, "meterbase reads: --history goes with "
                "--granularity interval\n");
        return MB_EXIT_USAGE;
    }
    q.meter = argv[optind];
    /* Wide enough in UTC for any zone (-12..+14 h); rows outside the local
     * dates are filtered in on_row. */
    q.from = c.from_day * 86400 - 14 * 3600;
    q.to = (c.to_day + 1) * 86400 + 12 * 3600;
    mb_store *s = mb_cli_open_store("reads", uri);
    if (!s)
        return MB_EXIT_FAIL;
    if (c.out == O_TABLE && c.gran == G_INTERVAL)
        printf("%-8s %-25s %-25s %12s %-6s %s %-2s %-3s %s\n", "channel",
               "start", "end", "value", "unit", "Q", "M", "R", "version");
    else if (c.out == O_TABLE)
        printf("%-8s %-10s %16s %-6s %7s %16s %14s %14s %6s\n", "channel",
               c.gran == G_DAY ? "day" : "month", "total", "unit", "values",
               "actual", "estimated", "substituted", "null");
    else if (c.out == O_CSV && c.gran == G_INTERVAL)
        puts("meter,channel,start,end,value,unit,quality,method,reason,"
             "version,state");
    else if (c.out == O_CSV)
        printf("channel,%s,total,unit,values,actual,estimated,substituted,"
               "null\n", c.gran == G_DAY ? "day" : "month");
    mb_error err;
    mb_status st = mb_store_read(s, &q, on_row, &c, &err);
    if (!st) {
        print_bucket(&c);
        if (c.gran == G_INTERVAL)
            st = mb_store_read_registers(s, &q, on_register, &c, &err);
    }
    mb_store_close(s);
    if (c.out == O_JSON)
        puts(c.first ? "[]" : "\n]");
    if (st) {
        mb_cli_error("reads", &err);
        return MB_EXIT_FAIL;
    }
    if (!c.rows)
        fprintf(stderr, "meterbase reads: no readings for meter %s between "
                "%s and %s\n", q.meter, from, to);
    return MB_EXIT_OK;
}
