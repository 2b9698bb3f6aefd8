/*
 * reader.c - the entry points that route each input to the reader of its
 * format, detected or given (see reader.h).
 */
#include "formats/reader.h"

mb_status mb_read_input(mb_input *in, const mb_read_opts *opts,
                        const mb_reader_sink *sink, mb_read_stats *stats,
                        mb_error *err)
{
    mb_read_opts o = *opts;
    if (o.format == MB_FORMAT_AUTO) {
        mb_status st = mb_format_detect(in, &o.format, err);
        if (st)
            return st;
    }
    switch (o.format) {
    case MB_FORMAT_NEM12:
    case MB_FORMAT_NEM13:
        return mb_nem_read(in, &o, sink, stats, err);
    case MB_FORMAT_D0010:
        return mb_d0010_read(in, &o, sink, stats, err);
    case MB_FORMAT_CSV:
        return mb_csv_read(in, &o, sink, stats, err);
    case MB_FORMAT_AUTO:
        break;
    }
    return mb_error_set(err, MB_EINTERNAL, "no reader for format %d",
                        (int)o.format);
}

typedef struct {
    const mb_read_opts *opts;
    const mb_reader_sink *sink;
    mb_read_stats *stats;
} path_ctx;

static mb_status read_one(void *ctx, mb_input *in, mb_error *err)
{
    path_ctx *c = ctx;
    return mb_read_input(in, c->opts, c->sink, c->stats, err);
}

mb_status mb_read_path(const char *path, const mb_read_opts *opts,
                       const mb_reader_sink *sink, mb_read_stats *stats,
                       mb_error *err)
{
    path_ctx c = {opts, sink, stats};
    return mb_input_foreach(path, read_one, &c, err);
}
