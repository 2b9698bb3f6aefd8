/*
 * outbuf.h - a large write buffer over a file, with hand-made number
 * formatting, for the format writers.
 *
 * Writers produce hundreds of megabytes of text: printf per value would
 * dominate, so digits are written straight into the buffer and the buffer
 * goes to the file in big fwrite-sized chunks. Errors are sticky: the
 * first failed write is remembered and reported by mb_outbuf_close, so
 * callers may append freely and check once.
 */
#ifndef MB_OUTBUF_H
#define MB_OUTBUF_H

#include "core/decimal.h"
#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct mb_outbuf mb_outbuf;

/* Create (truncate) the file at path for writing. */
mb_status mb_outbuf_open(const char *path, mb_outbuf **out, mb_error *err);

/* Flush, close and free; returns the first error of the file's life
 * (err names the path). NULL is a no-op returning MB_OK. */
mb_status mb_outbuf_close(mb_outbuf *o, mb_error *err);

/* Close, free and remove the file without reporting (error clean-up). */
void mb_outbuf_discard(mb_outbuf *o);

/* Bytes appended so far. */
uint64_t mb_outbuf_size(const mb_outbuf *o);

void mb_outbuf_put(mb_outbuf *o, const char *s, size_t len);
void mb_outbuf_puts(mb_outbuf *o, const char *s);
void mb_outbuf_putc(mb_outbuf *o, char c);
/* Decimal digits of v, at least `width` of them (zero padded). */
void mb_outbuf_put_uint(mb_outbuf *o, uint64_t v, int width);
void mb_outbuf_put_int(mb_outbuf *o, int64_t v);
/* A decimal with exactly its scale's decimals ("1.500", "-0.020"). */
void mb_outbuf_put_decimal(mb_outbuf *o, mb_decimal d);

#endif
