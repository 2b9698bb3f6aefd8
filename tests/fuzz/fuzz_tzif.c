/*
 * fuzz_tzif.c - libFuzzer harness for the TZif reader and POSIX TZ rules
 * (src/core/tz.c): any bytes either parse into a zone that then answers
 * lookups, local -> UTC and day bounds without crashing, or fail cleanly.
 */
#include <stdint.h>

#include "core/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mb_tz *tz = NULL;
    mb_error err;
    if (mb_tz_parse_tzif(data, size, "fuzz", &tz, &err) != MB_OK)
        return 0;
    static const mb_time probes[] = {INT64_MIN, -4000000000000, -2208988800, 0,
                                     1774746000, 3471292800, 253402300800,
                                     INT64_MAX};
    for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
        mb_time t = probes[i], u, start;
        int32_t len;
        (void)mb_tz_offset(tz, t);
        (void)mb_tz_local_day(tz, t);
        if (t > -(INT64_C(1) << 50) && t < INT64_C(1) << 50) {
            (void)mb_tz_local_to_utc(tz, t, MB_TZ_EARLIER, &u, &err);
            (void)mb_tz_local_to_utc(tz, t, MB_TZ_LATER, &u, &err);
            (void)mb_tz_day_bounds(tz, mb_floor_div(t, 86400), &start, &len, &err);
        }
    }
    mb_tz_free(tz);
    return 0;
}
