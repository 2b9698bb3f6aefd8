/*
 * error.h - errors as values.
 *
 * Every fallible function in meterbase returns an mb_status and, when it
 * fails, fills an mb_error with a human-readable message. Callers never
 * have to free anything: the message lives inside the struct. Parsers also
 * fill the location (file, line, field) so that a user can find the bad
 * byte. No library code calls exit() or prints; the CLI decides what to do.
 */
#ifndef MB_ERROR_H
#define MB_ERROR_H

#include <stddef.h>

typedef enum mb_status {
    MB_OK = 0,
    MB_EINVAL,      /* bad argument or configuration */
    MB_EFORMAT,     /* malformed input data */
    MB_ERANGE,      /* value out of range, arithmetic overflow */
    MB_EIO,         /* operating-system I/O failure */
    MB_ENOMEM,      /* allocation failed */
    MB_ENOTFOUND,   /* no such meter, file, key ... */
    MB_EBUSY,       /* lock held by someone else */
    MB_ECONFLICT,   /* concurrent modification */
    MB_EUNAVAILABLE,/* server or replica unavailable */
    MB_ETIMEOUT,    /* server or operation timed out */
    MB_EPROTO,      /* protocol violation by a peer */
    MB_EINTERNAL    /* bug: an invariant did not hold */
} mb_status;

typedef struct mb_error {
    mb_status status;
    long line;          /* 1-based input line, 0 when not about input */
    char file[256];     /* input name, "" when not about input */
    char field[64];     /* field name, "" when not about a field */
    char msg[768];      /* complete human-readable message */
} mb_error;

/* Reset to "no error". */
void mb_error_clear(mb_error *err);

/* Set status and a printf-style message; returns status. err may be NULL. */
mb_status mb_error_set(mb_error *err, mb_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like mb_error_set, for input data: the message becomes
 * "FILE:LINE: field FIELD: <text>". Returns status. */
mb_status mb_error_at(mb_error *err, mb_status status, const char *file,
                      long line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Prefix the existing message with "<prefix>: ". */
void mb_error_prefix(mb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Short name of a status, e.g. "format error". */
const char *mb_status_str(mb_status status);

#endif
