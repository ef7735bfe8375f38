/*  members: the coordinator's view of agents, with time passed in: heard,
    lost at exactly lost_after (never heard: at start_timeout), re-admitted,
    expected for a round, newest report kept, done agents never lost. */

#include <stdlib.h>
#include <string.h>
#include "ss_testutil.h"
#include "ss_members.h"

#define MS 1000

static void
test_liveness (void **state)
{
    (void) state;
    double x0 [3 * 2] = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6 };
    ss_members_t *self = ss_members_new (3, 2, x0, 1000, 5000, 0);
    assert_non_null (self);
    assert_int_equal (ss_members_live (self), 3);
    //  Agent 0 heard at 100 ms; agents 1 and 2 never
    assert_false (ss_members_heard (self, 0, 100 * MS, 0, 0));
    int lost [3];
    assert_int_equal (ss_members_check (self, 1100 * MS - 1, lost, 3), 0);
    assert_int_equal (ss_members_check (self, 1100 * MS, lost, 3), 1);   //  exactly at the bound
    assert_int_equal (lost [0], 0);
    assert_true (ss_members_get (self, 0)->lost);
    //  The unheard are waited for start_timeout from the start
    assert_int_equal (ss_members_next_check (self), 5000 * MS);
    assert_int_equal (ss_members_check (self, 5000 * MS - 1, lost, 3), 0);
    assert_int_equal (ss_members_check (self, 5000 * MS, lost, 3), 2);
    assert_int_equal (ss_members_live (self), 0);
    assert_int_equal (ss_members_lost_ids (self, lost), 3);
    //  Heard again: back
    assert_true (ss_members_heard (self, 1, 6000 * MS, 40, 3));
    assert_int_equal (ss_members_live (self), 1);
    assert_int_equal (ss_members_get (self, 1)->epoch, 3);
    ss_members_destroy (&self);
    assert_null (self);
}

static void
test_reports (void **state)
{
    (void) state;
    double x0 [2 * 2] = { 0.1, 0.2, 0.3, 0.4 };
    ss_members_t *self = ss_members_new (2, 2, x0, 1000, 5000, 0);
    assert_true (ss_members_expected (self, 0, 0));
    double x [2] = { 0.7, 0.8 }, older [2] = { 0.5, 0.5 };
    uint64_t counters [SS_CTR_COUNT] = { 0 };
    counters [SS_CTR_TARGETS] = 2;
    ss_members_report (self, 0, 20, x, counters, SS_CTR_COUNT);
    ss_members_report (self, 0, 10, older, counters, SS_CTR_COUNT);  //  out of order: ignored
    assert_int_equal (ss_members_get (self, 0)->hi, 20);
    assert_true (ss_members_positions (self) [0] == 0.7);
    assert_true (ss_members_positions (self) [2] == 0.3);            //  still x0
    assert_int_equal (ss_members_get (self, 0)->counters [SS_CTR_TARGETS], 2);
    //  Sent in order: having reported 20, it no longer owes 10 or 20
    assert_false (ss_members_expected (self, 0, 10));
    assert_false (ss_members_expected (self, 0, 20));
    assert_true (ss_members_expected (self, 0, 30));
    //  A lost agent owes nothing
    int lost [2];
    ss_members_heard (self, 1, 0, 0, 0);
    ss_members_check (self, 1000 * MS, lost, 2);
    assert_false (ss_members_expected (self, 1, 30));
    ss_members_destroy (&self);
}

//  An agent that reported the run's last round is done: its silence after
//  is not loss, while one that has not reported it is lost as always (the
//  last row waited for an agent long lost, and agents that had finished
//  and left went lost meanwhile: the row and summary.json lost them)
static void
test_done_not_lost (void **state)
{
    (void) state;
    double x0 [3 * 2] = { 0 };
    double x [2] = { 1, 2 };
    uint64_t counters [1] = { 0 };
    ss_members_t *self = ss_members_new (3, 2, x0, 1000, 5000, 0);
    for (int i = 0; i < 3; i++)
        ss_members_heard (self, i, 0, 0, 0);
    ss_members_report (self, 0, 300, x, counters, 1);
    ss_members_report (self, 1, 290, x, counters, 1);
    ss_members_set_final (self, 300);
    int lost [3];
    assert_int_equal (ss_members_check (self, 5000 * MS, lost, 3), 2);
    assert_int_equal (lost [0], 1);
    assert_int_equal (lost [1], 2);
    assert_false (ss_members_get (self, 0)->lost);
    assert_int_equal (ss_members_next_check (self), INT64_MAX);
    //  The last round moved sooner (a stop at 290): agent 1 is done too,
    //  and heard again it is re-admitted
    ss_members_set_final (self, 290);
    assert_true (ss_members_heard (self, 1, 5100 * MS, 290, 0));
    assert_int_equal (ss_members_check (self, 9000 * MS, lost, 3), 0);
    assert_int_equal (ss_members_live (self), 2);
    ss_members_destroy (&self);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_liveness),
        cmocka_unit_test (test_reports),
        cmocka_unit_test (test_done_not_lost),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
