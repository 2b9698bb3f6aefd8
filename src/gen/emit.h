/*
 * emit.h - writes a generated portfolio (portfolio.h) as files of one
 * format, with its faults and a manifest: the body of `meterbase gen`.
 *
 * Layout of the output directory (YYYYMMDD is the local day, PPP the part
 * of a day when --meters-per-file splits the meters; at least 3 digits):
 *   nem12_YYYYMMDD_PPP.csv    a day's meters (NEM12, market time +10:00)
 *   csv_YYYYMMDD_PPP.csv      the same in meterbase's CSV layout
 *   <fmt>_YYYYMMDD_neg.csv    meter-days holding a negative value, kept
 *                             apart so that only these files are rejected
 *   <fmt>_YYYYMMDD_corr.csv   later corrections of some meter-days (E1,
 *                             newer version, quality S or F)
 *   <name>_dup.csv            an exact copy of a file (a replay)
 *   nem13_YYYYMMDD_PPP.csv    register reads taken at the end of that day
 *   d0010_YYYYMMDD_PPP.txt    Economy 7 day/night register reads, likewise
 *   manifest.txt              what was generated and every fault, in order
 * Everything is a pure function of the configuration: the same arguments
 * give the same bytes.
 */
#ifndef MB_GEN_EMIT_H
#define MB_GEN_EMIT_H

#include "formats/reader.h"
#include "gen/portfolio.h"

/* Register ids in the files. */
#define MB_GEN_D0010_DAY "01"
#define MB_GEN_D0010_NIGHT "02"

typedef struct mb_gen_output {
    mb_format format;         /* NEM12, NEM13, D0010 or CSV */
    uint32_t meters_per_file; /* 0: all meters of a day in one file */
    const char *dir;          /* must exist */
} mb_gen_output;

typedef struct mb_gen_summary {
    uint64_t files;           /* including duplicates, excluding manifest */
    uint64_t bytes;
    uint64_t meter_days;      /* meter-days written (first sends) or, for
                                 register formats, covered */
    uint64_t values;          /* interval values written */
    uint64_t registers;       /* register reads written */
    uint64_t faults[MB_GEN_FAULTS];
    uint64_t duplicates;
} mb_gen_summary;

/* NEM13 suffix and direction of a register channel. */
const char *mb_gen_nem13_suffix(mb_gen_channel c);

/* Write the portfolio under o->dir. */
mb_status mb_gen_emit(const mb_gen_model *m, const mb_gen_output *o,
                      mb_gen_summary *sum, mb_error *err);

#endif
