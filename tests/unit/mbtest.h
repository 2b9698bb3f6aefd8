/*
 * mbtest.h - the few macros the C unit tests use.
 *
 * A test file defines test functions and a main() that runs them with
 * MB_RUN(fn); MB_CHECK records a failure and continues; MB_DONE() prints
 * "N passed, N failed" for the file and returns its exit status. Return 77
 * from main (MB_SKIP) to tell ctest a test was skipped.
 */
#ifndef MB_TEST_H
#define MB_TEST_H

#include <stdio.h>
#include <string.h>

static int mb_test_failures, mb_test_passed, mb_test_failed;

#define MB_CHECK(cond)                                                       \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            mb_test_failures++;                                              \
        }                                                                    \
    } while (0)

#define MB_CHECK_STR(a, b)                                                   \
    do {                                                                     \
        const char *a_ = (a), *b_ = (b);                                     \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                             \
            fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__, \
                    __LINE__, b_ ? b_ : "(null)", a_ ? a_ : "(null)");       \
            mb_test_failures++;                                              \
        }                                                                    \
    } while (0)

#define MB_RUN(fn)                                                           \
    do {                                                                     \
        int before_ = mb_test_failures;                                      \
        fn();                                                                \
        if (mb_test_failures == before_) {                                   \
            mb_test_passed++;                                                \
        } else {                                                             \
            mb_test_failed++;                                                \
            fprintf(stderr, "FAIL %s\n", #fn);                               \
        }                                                                    \
    } while (0)

#define MB_DONE()                                                            \
    (printf("%d passed, %d failed\n", mb_test_passed, mb_test_failed),       \
     mb_test_failed ? 1 : 0)

#define MB_SKIP 77

#endif
