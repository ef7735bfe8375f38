/*  A scratch directory for the tests of one file (test_tmp, made by
    test_tmp_setup and removed by test_tmp_teardown, the group's setup and
    teardown), and test_shell: run a formatted shell command, asserting
    it succeeds. Include after cmocka.h. */
#ifndef SS_TESTTMP_H
#define SS_TESTTMP_H

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static char test_tmp [256];

static inline int
test_tmp_setup (void **state)
{
    (void) state;
    snprintf (test_tmp, sizeof test_tmp, "/tmp/ss_test.XXXXXX");
    return mkdtemp (test_tmp)? 0: -1;
}

static inline int
test_tmp_teardown (void **state)
{
    (void) state;
    char cmd [PATH_MAX + 16];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", test_tmp);
    return system (cmd) == 0? 0: -1;
}

static inline void
test_shell (const char *format, ...)
{
    char cmd [4 * PATH_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (cmd, sizeof cmd, format, args);
    va_end (args);
    assert_int_equal (system (cmd), 0);
}

#endif
