/*
 * datetime.c - civil calendar arithmetic and ISO 8601 text (see datetime.h).
 *
 * Day numbers use Howard Hinnant's era-based algorithms: exact for the whole
 * proleptic Gregorian calendar, no loops, no tables. Parsers read fixed
 * positions digit by digit.
 */
#include "core/datetime.h"

#include <stdio.h>

int64_t mb_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && a < 0)
        q--;
    return q;
}

int64_t mb_days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;                   /* [0, 399] */
    int64_t mp = (m + 9) % 12;                      /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;       /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void mb_civil_from_days(int64_t days, int *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                 /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)mm;
    *y = (int)(yoe + era * 400 + (mm <= 2));
}

int mb_weekday(int64_t days)
{
    int64_t w = (days + 3) % 7; /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

bool mb_is_leap(int y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

int mb_days_in_month(int y, int m)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30,
                                            31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return mdays[m - 1] + (m == 2 && mb_is_leap(y));
}

bool mb_date_valid(int y, int m, int d)
{
    return d >= 1 && d <= mb_days_in_month(y, m);
}

/* n decimal digits at s, or -1 when one is not a digit. */
static inline int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i] - '0';
        if (c > 9)
            return -1;
        v = v * 10 + (int)c;
    }
    return v;
}

size_t mb_time_format_iso(mb_time utc, int32_t offset_s, char *buf, size_t cap)
{
    int64_t local = utc + offset_s;
    int64_t days = mb_floor_div(local, 86400);
    int sod = (int)(local - days * 86400);
    int y, m, d;
    mb_civil_from_days(days, &y, &m, &d);
    char sign = offset_s < 0 ? '-' : '+';
    int32_t a = offset_s < 0 ? -offset_s : offset_s;
    int n;
    if (a % 60)
        n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d:%02d",
                     y, m, d, sod / 3600, sod / 60 % 60, sod % 60, sign,
                     (int)(a / 3600), (int)(a / 60 % 60), (int)(a % 60));
    else
        n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y,
                     m, d, sod / 3600, sod / 60 % 60, sod % 60, sign,
                     (int)(a / 3600), (int)(a / 60 % 60));
    if (n < 0)
        n = 0;
    if (cap == 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

mb_status mb_offset_parse(const char *s, size_t len, int32_t *offset_s,
                          mb_error *err)
{
    int h = -1, m = 0, sec = 0;
    if (len == 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *offset_s = 0;
        return MB_OK;
    }
    if (len >= 3 && (s[0] == '+' || s[0] == '-')) {
        h = digits(s + 1, 2);
        if (len == 3)
            ;
        else if (len == 5)
            m = digits(s + 3, 2);
        else if (len == 6 && s[3] == ':')
            m = digits(s + 4, 2);
        else if (len == 9 && s[3] == ':' && s[6] == ':') {
            m = digits(s + 4, 2);
            sec = digits(s + 7, 2);
        } else
            h = -1;
    }
    if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59)
        return mb_error_set(err, MB_EFORMAT, "bad UTC offset \"%.*s\"",
                            (int)(len > 40 ? 40 : len), s);
    int32_t v = h * 3600 + m * 60 + sec;
    *offset_s = s[0] == '-' ? -v : v;
    return MB_OK;
}

mb_status mb_date_parse(const char *s, size_t len, int *y, int *m, int *d,
                        mb_error *err)
{
    if (len == 10 && s[4] == '-' && s[7] == '-') {
        int yy = digits(s, 4), mm = digits(s + 5, 2), dd = digits(s + 8, 2);
        if (yy >= 0 && mm >= 0 && dd >= 0 && mb_date_valid(yy, mm, dd)) {
            *y = yy;
            *m = mm;
            *d = dd;
            return MB_OK;
        }
    }
    return mb_error_set(err, MB_EFORMAT, "bad date \"%.*s\" (want YYYY-MM-DD)",
                        (int)(len > 40 ? 40 : len), s);
}

/* Local seconds of date y-m-d at h:mi:sec; *ok says whether the fields
 * (-1 for a field that was not digits) are a real date and time of day. */
static int64_t local_seconds(int y, int m, int d, int h, int mi, int sec,
                             bool *ok)
{
    *ok = y >= 0 && mb_date_valid(y, m, d) && h >= 0 && h <= 23 && mi >= 0 &&
          mi <= 59 && sec >= 0 && sec <= 59;
    return mb_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec;
}

mb_status mb_time_parse_iso(const char *s, size_t len, mb_time *utc,
                            int32_t *offset_s, mb_error *err)
{
    bool ok = false;
    int64_t local = 0;
    size_t pos = 16;
    if (len > 16 && s[4] == '-' && s[7] == '-' &&
        (s[10] == 'T' || s[10] == 't' || s[10] == ' ') && s[13] == ':') {
        int sec = 0;
        if (s[16] == ':' && len > 19) {
            sec = digits(s + 17, 2);
            pos = 19;
        }
        local = local_seconds(digits(s, 4), digits(s + 5, 2),
                              digits(s + 8, 2), digits(s + 11, 2),
                              digits(s + 14, 2), sec, &ok);
    }
    int32_t off = 0;
    if (!ok || mb_offset_parse(s + pos, len - pos, &off, NULL) != MB_OK)
        return mb_error_set(err, MB_EFORMAT,
                            "bad date-time \"%.*s\" (want "
                            "YYYY-MM-DDTHH:MM[:SS] and Z or +HH:MM)",
                            (int)(len > 60 ? 60 : len), s);
    *utc = local - off;
    *offset_s = off;
    return MB_OK;
}

mb_status mb_local_parse_compact(const char *s, size_t len, int64_t *local,
                                 mb_error *err)
{
    bool ok = false;
    if (len == 8 || len == 12 || len == 14) {
        int h = 0, mi = 0, sec = 0;
        if (len >= 12) {
            h = digits(s + 8, 2);
            mi = digits(s + 10, 2);
        }
        if (len == 14)
            sec = digits(s + 12, 2);
        *local = local_seconds(digits(s, 4), digits(s + 4, 2),
                               digits(s + 6, 2), h, mi, sec, &ok);
    }
    if (!ok)
        return mb_error_set(err, MB_EFORMAT,
                            "bad date-time \"%.*s\" (want YYYYMMDD, "
                            "YYYYMMDDhhmm or YYYYMMDDhhmmss)",
                            (int)(len > 40 ? 40 : len), s);
    return MB_OK;
}
