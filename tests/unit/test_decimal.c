/* test_decimal.c - exact decimals and units. */
#include "core/decimal.h"
#include "core/unit.h"
#include "mbtest.h"

#include <stdint.h>

static void roundtrip(const char *in, const char *want)
{
    mb_decimal d;
    MB_CHECK(mb_decimal_parse(in, strlen(in), &d) == MB_OK);
    char buf[MB_DECIMAL_STRLEN];
    mb_decimal_format(d, buf, sizeof buf);
    MB_CHECK_STR(buf, want);
}

static void test_parse_format(void)
{
    roundtrip("0", "0");
    roundtrip("18.300", "18.300");
    roundtrip(".362", "0.362");
    roundtrip("-0.5", "-0.5");
    roundtrip("+12", "12");
    roundtrip("9223372036854775807", "9223372036854775807");
    roundtrip("-9223372036854775808", "-9223372036854775808");
    roundtrip("0.000000000000000001", "0.000000000000000001");
    roundtrip("922337203.6854775807", "922337203.6854775807");
    roundtrip("1.", "1");
    mb_decimal d;
    MB_CHECK(mb_decimal_parse("9223372036854775808", 19, &d) == MB_ERANGE);
    MB_CHECK(mb_decimal_parse("0.0000000000000000001", 21, &d) == MB_ERANGE);
    MB_CHECK(mb_decimal_parse("", 0, &d) == MB_EFORMAT);
    MB_CHECK(mb_decimal_parse("-", 1, &d) == MB_EFORMAT);
    MB_CHECK(mb_decimal_parse(".", 1, &d) == MB_EFORMAT);
    MB_CHECK(mb_decimal_parse("1.2.3", 5, &d) == MB_EFORMAT);
    MB_CHECK(mb_decimal_parse("2.01108E+13", 11, &d) == MB_EFORMAT);
    MB_CHECK(mb_decimal_parse("1 2", 3, &d) == MB_EFORMAT);
}

static void test_arith(void)
{
    mb_decimal a = {1500, 3}, b = {25, 1}, r;
    MB_CHECK(mb_decimal_add(a, b, &r) == MB_OK && r.units == 4000 && r.scale == 3);
    MB_CHECK(mb_decimal_sub(a, b, &r) == MB_OK && r.units == -1000);
    MB_CHECK(mb_decimal_cmp((mb_decimal){15, 1}, (mb_decimal){150, 2}) == 0);
    MB_CHECK(mb_decimal_cmp((mb_decimal){-1, 0}, (mb_decimal){1, 18}) < 0);
    MB_CHECK(mb_decimal_add((mb_decimal){INT64_MAX, 0}, (mb_decimal){1, 0}, &r) == MB_ERANGE);
    MB_CHECK(mb_decimal_rescale((mb_decimal){INT64_MAX / 5, 0}, 1, &r) == MB_ERANGE);
    MB_CHECK(mb_decimal_rescale((mb_decimal){1230, 3}, 2, &r) == MB_OK && r.units == 123);
    MB_CHECK(mb_decimal_rescale((mb_decimal){1234, 3}, 2, &r) == MB_ERANGE);
    MB_CHECK(mb_decimal_shift((mb_decimal){1500, 0}, -3, &r) == MB_OK && r.units == 1500 && r.scale == 3);
    MB_CHECK(mb_decimal_shift((mb_decimal){15, 1}, 3, &r) == MB_OK && r.units == 1500 && r.scale == 0);
    mb_decimal n = mb_decimal_normalize((mb_decimal){18300, 3});
    MB_CHECK(n.units == 183 && n.scale == 1);
}

static void test_sum(void)
{
    /* 0.1 added ten million times is exactly 1000000.0: no float drift. */
    mb_decimal_sum s;
    mb_decimal_sum_init(&s);
    for (int i = 0; i < 10000000; i++)
        MB_CHECK(mb_decimal_sum_add(&s, (mb_decimal){1, 1}) == MB_OK);
    char buf[64];
    mb_decimal_sum_format(&s, buf, sizeof buf);
    MB_CHECK_STR(buf, "1000000.0");
    /* Beyond 64 bits the accumulator still holds exact values. */
    mb_decimal_sum_init(&s);
    for (int i = 0; i < 4; i++)
        MB_CHECK(mb_decimal_sum_add(&s, (mb_decimal){INT64_MAX, 2}) == MB_OK);
    mb_decimal_sum_format(&s, buf, sizeof buf);
    MB_CHECK_STR(buf, "368934881474191032.28");
    mb_decimal out;
    MB_CHECK(mb_decimal_sum_get(&s, &out) == MB_ERANGE);
    mb_decimal_sum t;
    mb_decimal_sum_init(&t);
    MB_CHECK(mb_decimal_sum_add(&t, (mb_decimal){-5, 3}) == MB_OK);
    MB_CHECK(mb_decimal_sum_merge(&t, &s) == MB_OK);
    mb_decimal_sum_format(&t, buf, sizeof buf);
    MB_CHECK_STR(buf, "368934881474191032.275");
}

static void test_units(void)
{
    mb_unit u;
    int32_t p;
    MB_CHECK(mb_unit_parse("KWH", 3, &u, &p) == MB_OK && u == MB_UNIT_KWH && p == 0);
    MB_CHECK(mb_unit_parse("kWh", 3, &u, &p) == MB_OK && u == MB_UNIT_KWH && p == 0);
    MB_CHECK(mb_unit_parse("Wh", 2, &u, &p) == MB_OK && u == MB_UNIT_KWH && p == -3);
    MB_CHECK(mb_unit_parse("MWh", 3, &u, &p) == MB_OK && u == MB_UNIT_KWH && p == 3);
    MB_CHECK(mb_unit_parse("kvarh", 5, &u, &p) == MB_OK && u == MB_UNIT_KVARH && p == 0);
    MB_CHECK(mb_unit_parse("VArh", 4, &u, &p) == MB_OK && u == MB_UNIT_KVARH && p == -3);
    MB_CHECK(mb_unit_parse("kVA", 3, &u, &p) == MB_OK && u == MB_UNIT_KVA && p == 0);
    MB_CHECK(mb_unit_parse("kW", 2, &u, &p) == MB_OK && u == MB_UNIT_KW && p == 0);
    MB_CHECK(mb_unit_parse("kV", 2, &u, &p) == MB_OK && u == MB_UNIT_V && p == 3);
    MB_CHECK(mb_unit_parse("pf", 2, &u, &p) == MB_OK && u == MB_UNIT_PF);
    MB_CHECK(mb_unit_parse("m3", 2, &u, &p) == MB_OK && u == MB_UNIT_M3);
    MB_CHECK(mb_unit_parse("mWh", 3, &u, &p) == MB_EFORMAT);
    MB_CHECK(mb_unit_parse("furlong", 7, &u, &p) == MB_EFORMAT);
    MB_CHECK(mb_unit_parse("", 0, &u, &p) == MB_EFORMAT);
    MB_CHECK_STR(mb_unit_name(MB_UNIT_KVARH), "kVArh");
}

int main(void)
{
    MB_RUN(test_parse_format);
    MB_RUN(test_arith);
    MB_RUN(test_sum);
    MB_RUN(test_units);
    return MB_DONE();
}
