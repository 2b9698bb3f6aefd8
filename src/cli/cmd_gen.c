/*
 * cmd_gen.c - `meterbase gen`: write a deterministic synthetic portfolio
 * (src/gen/portfolio.h) as NEM12, NEM13, D0010 or CSV files, with optional
 * faults and a manifest (src/gen/emit.h).
 */
#include "cli/commands.h"
#include "core/datetime.h"
#include "gen/emit.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *out)
{
    fprintf(out,
"usage: meterbase gen --meters N --days D --out DIR [OPTIONS]\n\n"
"Write a synthetic, deterministic meter portfolio: the same arguments\n"
"always give the same bytes.\n\n"
"  --meters N           number of meters (1 .. 10000000)\n"
"  --days D             number of local days (1 .. 36600)\n"
"  --out DIR            output directory (created if missing)\n"
"  --format FMT         nem12 (default), nem13, d0010 or csv\n"
"  --interval MIN       interval length: 5, 15 or 30 (default 30)\n"
"  --seed S             seed, 0 .. 2^64-1 (default 1)\n"
"  --start DATE         first day, YYYY-MM-DD (default 2024-01-01)\n"
"  --zone TZ            the meters' zone: NEM formats are always +10:00;\n"
"                       d0010 defaults to Europe/London, csv to +10:00.\n"
"                       Zones Europe/... get UK meters (MPANs, northern\n"
"                       seasons), others NEM meters (NMIs, southern)\n"
"  --faults RATE        fraction 0 .. 1 of faulty meter-days (default 0):\n"
"                       gaps (quality N), missing days, spikes, negative\n"
"                       values (own *_neg files), later corrections (own\n"
"                       *_corr files, newer version, quality S/F); files\n"
"                       duplicated at the same rate (*_dup)\n"
"  --meters-per-file M  split each day's meters into files of M meters\n"
"  --consumption-only   channel E1 only: no solar export (B1) and no\n"
"                       controlled load (E2)\n"
"  -h, --help           this help\n\n"
"Files: <fmt>_YYYYMMDD_PPP.csv per day and part (d0010: .txt), and\n"
"DIR/manifest.txt listing the configuration and every fault. Register\n"
"formats (nem13, d0010) hold reads every %d days per meter and at the end.\n"
"Exit status: 0 success, 2 usage error, 3 failure writing.\n",
            MB_GEN_READ_PERIOD);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

/* RATE as parts per million, exactly. */
static int parse_rate(const char *s, uint32_t *ppm)
{
    mb_decimal d, r;
    if (mb_decimal_parse(s, strlen(s), &d) || d.units < 0 ||
        d.scale > 6 || mb_decimal_rescale(d, 6, &r) || r.units > 1000000)
        return -1;
    *ppm = (uint32_t)r.units;
    return 0;
}

static int bad(const char *opt, const char *val, const char *want)
{
    fprintf(stderr, "meterbase gen: bad %s '%s': expected %s\n", opt, val,
            want);
    return MB_EXIT_USAGE;
}

int mb_cmd_gen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"meters", required_argument, NULL, 'm'},
        {"days", required_argument, NULL, 'd'},
        {"interval", required_argument, NULL, 'i'},
        {"format", required_argument, NULL, 'f'},
        {"seed", required_argument, NULL, 's'},
        {"start", required_argument, NULL, 'S'},
        {"zone", required_argument, NULL, 'z'},
        {"faults", required_argument, NULL, 'F'},
        {"meters-per-file", required_argument, NULL, 'M'},
        {"consumption-only", no_argument, NULL, 'E'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    mb_gen_config cfg = {.seed = 1, .interval = 1800};
    mb_gen_output out = {.format = MB_FORMAT_NEM12};
    const char *zone = NULL, *start = "2024-01-01";
    uint64_t v;
    mb_error err;
    mb_error_clear(&err);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (parse_u64(optarg, 10000000, &v) || !v)
                return bad("--meters", optarg, "1 .. 10000000");
            cfg.meters = (uint32_t)v;
            break;
        case 'd':
            if (parse_u64(optarg, 36600, &v) || !v)
                return bad("--days", optarg, "1 .. 36600");
            cfg.days = (uint32_t)v;
            break;
        case 'i':
            if (parse_u64(optarg, 30, &v) || (v != 5 && v != 15 && v != 30))
                return bad("--interval", optarg, "5, 15 or 30");
            cfg.interval = (int32_t)v * 60;
            break;
        case 'f':
            if (mb_format_parse(optarg, &out.format, &err) ||
                out.format == MB_FORMAT_AUTO)
                return bad("--format", optarg, "nem12, nem13, d0010 or csv");
            break;
        case 's':
            if (parse_u64(optarg, UINT64_MAX, &v))
                return bad("--seed", optarg, "a number 0 .. 2^64-1");
            cfg.seed = v;
            break;
        case 'S':
            start = optarg;
            break;
        case 'z':
            zone = optarg;
            break;
        case 'F':
            if (parse_rate(optarg, &cfg.fault_ppm))
                return bad("--faults", optarg,
                           "a rate 0 .. 1 with at most 6 decimals");
            break;
        case 'M':
            if (parse_u64(optarg, 10000000, &v) || !v)
                return bad("--meters-per-file", optarg, "1 .. 10000000");
            out.meters_per_file = (uint32_t)v;
            break;
        case 'o':
            out.dir = optarg;
            break;
        case 'E':
            cfg.e1_only = true;
            break;
        case 'h':
            usage(stdout);
            return MB_EXIT_OK;
        default:
            fprintf(stderr, "meterbase gen: unknown or incomplete option "
                            "'%s' (see meterbase gen --help)\n",
                    argv[optind - 1]);
            return MB_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "meterbase gen: unexpected argument '%s'\n",
                argv[optind]);
        return MB_EXIT_USAGE;
    }
    if (!cfg.meters || !cfg.days || !out.dir) {
        fprintf(stderr, "meterbase gen: --meters, --days and --out are "
                        "required (see meterbase gen --help)\n");
        return MB_EXIT_USAGE;
    }
    int y, mo, d;
    if (mb_date_parse(start, strlen(start), &y, &mo, &d, &err))
        return bad("--start", start, "a date YYYY-MM-DD");
    cfg.first_day = mb_days_from_civil(y, mo, d);
    bool nem = out.format == MB_FORMAT_NEM12 || out.format == MB_FORMAT_NEM13;
    if (nem && zone && strcmp(zone, "+10:00"))
        return bad("--zone", zone, "+10:00: NEM files are in market time");
    if (!zone)
        zone = out.format == MB_FORMAT_D0010 ? "Europe/London" : "+10:00";
    bool uk = !strncmp(zone, "Europe/", 7);
    if (out.format == MB_FORMAT_D0010 && !uk)
        return bad("--zone", zone, "a UK zone (Europe/London) for D0010");
    cfg.zone = zone;
    cfg.ids = uk ? MB_GEN_IDS_MPAN : MB_GEN_IDS_NMI;
    cfg.southern = !uk;

    mb_gen_model *model = malloc(sizeof *model);
    if (!model) {
        fprintf(stderr, "meterbase gen: out of memory\n");
        return MB_EXIT_FAIL;
    }
    if (mb_gen_model_init(model, &cfg, &err)) {
        free(model);
        fprintf(stderr, "meterbase gen: %s\n", err.msg);
        return err.status == MB_EINVAL || err.status == MB_ENOTFOUND
                   ? MB_EXIT_USAGE
                   : MB_EXIT_FAIL;
    }
    if (mkdir(out.dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "meterbase gen: cannot create %s: %s\n", out.dir,
                strerror(errno));
        free(model);
        return MB_EXIT_FAIL;
    }
    mb_gen_summary sum;
    mb_status st = mb_gen_emit(model, &out, &sum, &err);
    free(model);
    if (st) {
        fprintf(stderr, "meterbase gen: %s\n", err.msg);
        return st == MB_EINVAL ? MB_EXIT_USAGE : MB_EXIT_FAIL;
    }
    uint64_t faulty = 0;
    for (int f = 1; f < MB_GEN_FAULTS; f++)
        faulty += sum.faults[f];
    printf("%s: %llu files, %llu bytes, %llu meter-days, %llu values, "
           "%llu register reads, %llu faulty meter-days, %llu duplicate "
           "files\n",
           out.dir, (unsigned long long)sum.files,
           (unsigned long long)sum.bytes, (unsigned long long)sum.meter_days,
           (unsigned long long)sum.values, (unsigned long long)sum.registers,
           (unsigned long long)faulty, (unsigned long long)sum.duplicates);
    return MB_EXIT_OK;
}
