/*
 * error.c - filling mb_error values (see error.h).
 */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void mb_error_clear(mb_error *err)
{
    if (!err)
        return;
    err->status = MB_OK;
    err->line = 0;
    err->file[0] = err->field[0] = err->msg[0] = '\0';
}

mb_status mb_error_set(mb_error *err, mb_status status, const char *fmt, ...)
{
    if (!err)
        return status;
    mb_error_clear(err);
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return status;
}

mb_status mb_error_at(mb_error *err, mb_status status, const char *file,
                      long line, const char *field, const char *fmt, ...)
{
    if (!err)
        return status;
    mb_error_clear(err);
    err->status = status;
    err->line = line;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    char text[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (field && *field)
        snprintf(err->msg, sizeof err->msg, "%s:%ld: field %s: %s",
                 err->file, line, field, text);
    else
        snprintf(err->msg, sizeof err->msg, "%s:%ld: %s", err->file, line,
                 text);
    return status;
}

void mb_error_prefix(mb_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[256], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
}

const char *mb_status_str(mb_status status)
{
    switch (status) {
    case MB_OK: return "ok";
    case MB_EINVAL: return "invalid argument";
    case MB_EFORMAT: return "format error";
    case MB_ERANGE: return "out of range";
    case MB_EIO: return "I/O error";
    case MB_ENOMEM: return "out of memory";
    case MB_ENOTFOUND: return "not found";
    case MB_EBUSY: return "busy";
    case MB_ECONFLICT: return "conflict";
    case MB_EUNAVAILABLE: return "unavailable";
    case MB_ETIMEOUT: return "timed out";
    case MB_EPROTO: return "protocol error";
    case MB_EINTERNAL: return "internal error";
    }
    return "unknown error";
}
