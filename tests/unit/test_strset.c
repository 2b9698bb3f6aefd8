/*
 * test_strset.c - the string set numbers keys in order of first addition
 * and finds them again, whether they arrive sorted (no index is built),
 * sorted and then not (the index is built over what came before), or in
 * any order; checked against a plain array.
 */
#include "core/strset.h"

#include "mbtest.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEYS 20000

static char keys[KEYS][16];

/* Adds keys[order[i]] for every i and checks found/added and the ids
 * against the first position of each key. */
static void run(const int *order, int n)
{
    mb_strset *s;
    mb_error e;
    MB_CHECK(mb_strset_new(&s, &e) == MB_OK);
    static int first[KEYS]; /* id given to key k, or -1 */
    for (int k = 0; k < KEYS; k++)
        first[k] = -1;
    int distinct = 0, bad = 0;
    for (int i = 0; i < n; i++) {
        int k = order[i], added = -1;
        size_t id = SIZE_MAX;
        if (mb_strset_add(s, keys[k], strlen(keys[k]), &added, &id, &e)) {
            bad++;
            break;
        }
        if (first[k] < 0) {
            bad += !added || id != (size_t)distinct;
            first[k] = distinct++;
        } else {
            bad += added || id != (size_t)first[k];
        }
    }
    MB_CHECK(bad == 0);
    MB_CHECK(mb_strset_count(s) == (size_t)distinct);
    mb_strset_free(s);
}

static int order[3 * KEYS];

static void test_sorted(void)
{
    /* Ascending, each key repeated at once (a meter's channels). */
    int n = 0;
    for (int k = 0; k < KEYS; k++) {
        order[n++] = k;
        if (k % 3 == 0)
            order[n++] = k;
    }
    run(order, n);
}

static void test_sorted_then_not(void)
{
    /* Ascending for a while, then an earlier key, then everything again
     * in reverse. */
    int n = 0;
    for (int k = 0; k < KEYS / 2; k++)
        order[n++] = k;
    order[n++] = 17;
    for (int k = KEYS - 1; k >= 0; k--)
        order[n++] = k;
    run(order, n);
}

static void test_random(void)
{
    unsigned x = 12345;
    for (int i = 0; i < 3 * KEYS; i++) {
        x = x * 1103515245u + 12345u;
        order[i] = (int)((x >> 8) % KEYS);
    }
    run(order, 3 * KEYS);
}

static void test_prefixes(void)
{
    /* A key sorts after its prefixes; the empty key is out of order. */
    mb_strset *s;
    mb_error e;
    MB_CHECK(mb_strset_new(&s, &e) == MB_OK);
    const char *in[] = {"a", "ab", "abc", "ab", "a", "b", "abc", ""};
    int want_added[] = {1, 1, 1, 0, 0, 1, 0, 1};
    size_t want_id[] = {0, 1, 2, 1, 0, 3, 2, 4};
    for (int i = 0; i < 8; i++) {
        int added;
        size_t id;
        MB_CHECK(mb_strset_add(s, in[i], strlen(in[i]), &added, &id, &e) ==
                 MB_OK);
        MB_CHECK(added == want_added[i]);
        MB_CHECK(id == want_id[i]);
    }
    MB_CHECK(mb_strset_count(s) == 5);
    mb_strset_free(s);
}

int main(void)
{
    for (int k = 0; k < KEYS; k++)
        snprintf(keys[k], sizeof keys[k], "NMI%07d", k * 7);
    MB_RUN(test_sorted);
    MB_RUN(test_sorted_then_not);
    MB_RUN(test_random);
    MB_RUN(test_prefixes);
    return MB_DONE();
}
