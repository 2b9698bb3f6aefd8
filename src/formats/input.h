/*
 * input.h - byte streams and lines for the format readers.
 *
 * An mb_input is one logical input file: a plain file, standard input, a
 * gzip stream (detected by its magic bytes and inflated on the fly) or one
 * member of a zip archive. Readers pull lines from it; lines point into an
 * internal buffer and stay valid until the next call, so reading is
 * zero-copy and memory stays flat whatever the file size.
 *
 * mb_input_foreach() is the entry point for a path: it calls back once per
 * logical input (once for a plain or gzip file, once per member of a zip).
 */
#ifndef MB_INPUT_H
#define MB_INPUT_H

#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct mb_input mb_input;

/* Longest line accepted; a longer one is a format error. */
#define MB_INPUT_MAX_LINE (16u << 20)

/* Called for each logical input of a path; a non-OK status stops the
 * iteration and is returned by mb_input_foreach. */
typedef mb_status (*mb_input_fn)(void *ctx, mb_input *in, mb_error *err);

/* Open `path` ("-" is standard input) and call fn for each logical input
 * in it: gzip is inflated, every regular member of a zip is visited in
 * archive order under the name "path:member". */
mb_status mb_input_foreach(const char *path, mb_input_fn fn, void *ctx,
                           mb_error *err);

/* An input over bytes in memory (not copied: they must outlive it). gzip
 * in memory is inflated too. Free with mb_input_close. */
mb_status mb_input_open_mem(const char *name, const void *data, size_t len,
                            mb_input **out, mb_error *err);
void mb_input_close(mb_input *in);

/* Next line without its "\n" or "\r\n". At end of input *line is NULL. A
 * final line without a newline is returned like any other. */
mb_status mb_input_line(mb_input *in, const char **line, size_t *len,
                        mb_error *err);

/* Up to `want` bytes from the current position without consuming them
 * (fewer at end of input). Used to detect a file's format. */
mb_status mb_input_peek(mb_input *in, size_t want, const char **data,
                        size_t *len, mb_error *err);

const char *mb_input_name(const mb_input *in);
long mb_input_lineno(const mb_input *in);    /* line last returned, 1-based */
uint64_t mb_input_raw_bytes(const mb_input *in); /* bytes read from the
                                                    source (compressed) */

#endif
