/*  agentd/ss_connlimit: live connections per remote address, bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include "../../agentd/ss_connlimit.h"

static void
test_bound (void **state)
{
    (void) state;
    assert_int_equal (ss_connlimit_bound (0), 256);
    assert_int_equal (ss_connlimit_bound (32), 320);          //  4 neighbours x 8 connections
    assert_int_equal (ss_connlimit_bound (-5), 256);
    assert_true (ss_connlimit_bound (1 << 30) > 0);            //  never overflows
}

static void
test_limit (void **state)
{
    (void) state;
    ss_connlimit_t *self = ss_connlimit_new (3);
    assert_non_null (self);
    //  Three from one address fit, the fourth is refused (not counted)
    assert_true (ss_connlimit_accept (self, 10, "10.0.0.1"));
    assert_true (ss_connlimit_accept (self, 11, "10.0.0.1"));
    assert_true (ss_connlimit_accept (self, 12, "10.0.0.1"));
    assert_false (ss_connlimit_accept (self, 13, "10.0.0.1"));
    assert_int_equal (ss_connlimit_count (self, "10.0.0.1"), 3);
    assert_int_equal (ss_connlimit_refused (self), 1);
    //  Another address is counted apart
    assert_true (ss_connlimit_accept (self, 14, "10.0.0.2"));
    assert_true (ss_connlimit_accept (self, 15, "::1"));
    assert_int_equal (ss_connlimit_size (self), 5);
    //  A close makes room; an unknown descriptor's close changes nothing
    ss_connlimit_close (self, 11);
    ss_connlimit_close (self, 99);
    assert_int_equal (ss_connlimit_count (self, "10.0.0.1"), 2);
    assert_true (ss_connlimit_accept (self, 13, "10.0.0.1"));
    //  A descriptor reused without its close reported: replaced, not doubled
    assert_true (ss_connlimit_accept (self, 14, "10.0.0.1") == false);   //  10.0.0.1 is full
    assert_int_equal (ss_connlimit_count (self, "10.0.0.2"), 0);         //  fd 14 left 10.0.0.2
    assert_true (ss_connlimit_accept (self, 15, "10.0.0.2"));
    assert_int_equal (ss_connlimit_count (self, "::1"), 0);
    assert_int_equal (ss_connlimit_count (self, "10.0.0.2"), 1);
    ss_connlimit_destroy (&self);
    assert_null (self);
    ss_connlimit_destroy (&self);
}

//  A flood: many more accepted than the bound, closes in any order; the
//  table never holds more than the bound per address and grows as needed
static void
test_flood (void **state)
{
    (void) state;
    ss_connlimit_t *self = ss_connlimit_new (100);
    int accepted = 0;
    for (int fd = 0; fd < 5000; fd++) {
        accepted += ss_connlimit_accept (self, fd, "192.0.2.7");
        if (fd % 3 == 0)
            ss_connlimit_close (self, fd / 2);
        assert_true (ss_connlimit_count (self, "192.0.2.7") <= 100);
    }
    assert_int_equal ((uint64_t) (5000 - accepted), ss_connlimit_refused (self));
    //  Long addresses are cut, never overrun
    char wide [200];
    memset (wide, 'a', sizeof wide - 1);
    wide [sizeof wide - 1] = 0;
    assert_true (ss_connlimit_accept (self, 9000, wide));
    ss_connlimit_destroy (&self);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_bound),
        cmocka_unit_test (test_limit),
        cmocka_unit_test (test_flood),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
