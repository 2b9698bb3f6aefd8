/*
 * format.c - format names and detecting a file's format from its first
 * bytes (see reader.h).
 */
#include "formats/reader.h"

#include <string.h>
#include <strings.h>

static const char *const format_names[] = {"auto", "nem12", "nem13",
                                           "d0010", "csv"};

const char *mb_format_name(mb_format f)
{
    return (unsigned)f < sizeof format_names / sizeof format_names[0]
               ? format_names[f]
               : "unknown";
}

mb_status mb_format_parse(const char *name, mb_format *out, mb_error *err)
{
    for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++)
        if (!strcasecmp(name, format_names[i])) {
            *out = (mb_format)i;
            return MB_OK;
        }
    return mb_error_set(err, MB_EINVAL,
                        "unknown format '%s' (expected nem12, nem13, d0010, "
                        "csv or auto)", name);
}

static int starts(const char *p, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    return n >= k && !strncasecmp(p, lit, k);
}

mb_status mb_format_detect(mb_input *in, mb_format *out, mb_error *err)
{
    const char *p;
    size_t n;
    mb_status st = mb_input_peek(in, 4096, &p, &n, err);
    if (st)
        return st;
    const char *end = p + n;
    if (n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) /* UTF-8 byte order mark */
        p += 3;
    while (p < end && (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t'))
        p++;
    if (p == end)
        return mb_error_at(err, MB_EFORMAT, mb_input_name(in), 1, NULL,
                           n ? "file holds only blank lines" : "file is empty");
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    size_t ln = eol ? (size_t)(eol - p) : (size_t)(end - p);
    if (starts(p, ln, "100,")) {
        const char *v = p + 4;
        size_t vn = ln - 4;
        *out = starts(v, vn, "NEM13") ? MB_FORMAT_NEM13 : MB_FORMAT_NEM12;
        return MB_OK;
    }
    if (starts(p, ln, "200,")) {
        *out = MB_FORMAT_NEM12;
        return MB_OK;
    }
    if (starts(p, ln, "250,")) {
        *out = MB_FORMAT_NEM13;
        return MB_OK;
    }
    if (starts(p, ln, "ZHV|") && memmem(p, ln, "|D0010", 6)) {
        *out = MB_FORMAT_D0010;
        return MB_OK;
    }
    if (starts(p, ln, "meter,")) {
        *out = MB_FORMAT_CSV;
        return MB_OK;
    }
    for (size_t i = 0; i < ln; i++)
        if (p[i] == '\0' || ((unsigned char)p[i] < 0x20 && p[i] != '\t' &&
                             p[i] != '\r'))
            return mb_error_at(err, MB_EFORMAT, mb_input_name(in), 1, NULL,
                               "binary data, not a meter data file");
    return mb_error_at(err, MB_EFORMAT, mb_input_name(in), 1, NULL,
                       "cannot tell the format: expected a NEM12/NEM13 100 "
                       "header, a D0010 ZHV header or a CSV header starting "
                       "'meter,' (use --format)");
}

