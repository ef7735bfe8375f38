/*  rows: when the coordinator's trace rows are due, with time passed in:
    complete when no live agent still owes the round (or, for the first row
    of a restarted trace, when every live agent reported it), no deadline
    while a live agent is not at the round yet (slow is not lost), the
    deadline that adapts to the fleet's pace (never shorter than 2
    lost_after) for an agent past the round whose report is missing,
    late and duplicate reports, full slots forcing the oldest out, rows in
    round order; the last row's grace for agents counted lost. */

#include <stdlib.h>
#include <string.h>
#include "ss_testutil.h"
#include "ss_rows.h"

#define MS 1000
#define N 3

static const double s_x [2] = { 0.5, 0.5 }, s_v [4] = { 0 };

static ss_rows_add_t
s_add (ss_rows_t *rows, ss_members_t *members, int i, int64_t k, int64_t now)
{
    ss_members_heard (members, i, now, k, 0);
    uint64_t counters [SS_CTR_COUNT] = { 0 };
    ss_members_report (members, i, k, s_x, counters, SS_CTR_COUNT);
    return ss_rows_add (rows, i, k, s_x, s_v, s_v, 0.01 * i, now);
}

static void
test_complete (void **state)
{
    (void) state;
    double x0 [N * 2] = { 0 };
    ss_members_t *members = ss_members_new (N, 2, x0, 1000, 5000, 0);
    ss_rows_t *rows = ss_rows_new (N, 2, 4, 8, 1000);
    ss_rows_set_written (rows, 0);
    int64_t wake;
    bool complete;
    assert_null (ss_rows_due (rows, members, 0, false, &wake, &complete));
    assert_int_equal (wake, INT64_MAX);
    assert_int_equal (s_add (rows, members, 0, 10, 10 * MS), SS_ROWS_ADDED);
    assert_int_equal (s_add (rows, members, 0, 10, 10 * MS), SS_ROWS_DUPLICATE);
    assert_int_equal (s_add (rows, members, 1, 10, 11 * MS), SS_ROWS_ADDED);
    //  Agent 2 owes round 10 and has not shown it: it is waited for, with
    //  no deadline, however long (slow is not lost)
    assert_null (ss_rows_due (rows, members, 12 * MS, false, &wake, &complete));
    assert_int_equal (wake, INT64_MAX);
    ss_members_heard (members, 2, 500 * MS, 9, 0);
    assert_null (ss_rows_due (rows, members, 5000 * MS, false, &wake, &complete));
    assert_int_equal (wake, INT64_MAX);
    //  It says it is at round 10 (a heartbeat) and its report has not come:
    //  the row waits 2 lost_after from its first report
    ss_members_heard (members, 2, 12 * MS, 10, 0);
    assert_null (ss_rows_due (rows, members, 12 * MS, false, &wake, &complete));
    assert_int_equal (wake, 10 * MS + 2000 * MS);
    //  Agent 2 reports round 20 first (its 10 went to a dead coordinator):
    //  it owes 10 no longer; complete, but not strictly
    assert_int_equal (s_add (rows, members, 2, 20, 13 * MS), SS_ROWS_ADDED);
    ss_row_t *row = ss_rows_due (rows, members, 13 * MS, true, &wake, &complete);
    assert_null (row);
    row = ss_rows_due (rows, members, 13 * MS, false, &wake, &complete);
    assert_non_null (row);
    assert_true (complete);
    assert_int_equal (row->round, 10);
    assert_int_equal (row->count, 2);
    assert_true (row->step == 0.01);
    ss_rows_done (rows, row, true);
    assert_int_equal (ss_rows_written (rows), 10);
    assert_int_equal (s_add (rows, members, 2, 10, 14 * MS), SS_ROWS_LATE);
    assert_int_equal (ss_rows_open (rows), 1);
    ss_rows_destroy (&rows);
    ss_members_destroy (&members);
}

static void
test_deadline_adapts (void **state)
{
    (void) state;
    double x0 [N * 2] = { 0 };
    ss_members_t *members = ss_members_new (N, 2, x0, 1000, 5000, 0);
    ss_rows_t *rows = ss_rows_new (N, 2, 4, 8, 1000);
    ss_rows_set_written (rows, 0);
    int64_t wake, t = 0;
    bool complete;
    assert_int_equal (ss_rows_pace (rows), -1);
    assert_int_equal (ss_rows_deadline (rows), 2000 * MS);
    //  A slow fleet: a row every 500 ms
    for (int64_t k = 10; k <= 60; k += 10, t += 500 * MS) {
        for (int i = 0; i < N; i++)
            s_add (rows, members, i, k, t);
        ss_row_t *row = ss_rows_due (rows, members, t, false, &wake, &complete);
        assert_non_null (row);
        ss_rows_done (rows, row, true);
    }
    assert_int_equal (ss_rows_pace (rows), 500 * MS);
    assert_int_equal (ss_rows_deadline (rows), 4000 * MS);      //  8 x 500 ms
    //  Agent 2 alive at round 60: the row of 70 waits for it past the
    //  deadline, until it reports or is lost
    s_add (rows, members, 0, 70, t);
    s_add (rows, members, 1, 70, t);
    ss_members_heard (members, 2, t, 60, 0);
    assert_null (ss_rows_due (rows, members, t + 4000 * MS, false, &wake, &complete));
    assert_int_equal (wake, INT64_MAX);
    ss_members_heard (members, 0, t + 3500 * MS, 70, 0);
    ss_members_heard (members, 1, t + 3500 * MS, 70, 0);
    int lost [N];
    assert_int_equal (ss_members_check (members, t + 4000 * MS, lost, N), 1);
    ss_row_t *row = ss_rows_due (rows, members, t + 4000 * MS, false, &wake, &complete);
    assert_non_null (row);
    assert_true (complete);
    assert_int_equal (row->count, 2);
    ss_rows_done (rows, row, true);
    //  Agent 2 back past round 80 without its report of 80: the row waits
    //  exactly the deadline
    t += 5000 * MS;
    ss_members_heard (members, 2, t, 80, 0);
    s_add (rows, members, 0, 80, t);
    s_add (rows, members, 1, 80, t);
    assert_null (ss_rows_due (rows, members, t + 4000 * MS - 1, false, &wake, &complete));
    assert_int_equal (wake, t + 4000 * MS);
    row = ss_rows_due (rows, members, t + 4000 * MS, false, &wake, &complete);
    assert_non_null (row);
    assert_false (complete);
    ss_rows_destroy (&rows);
    ss_members_destroy (&members);
}

//  The run's last row, complete but for an agent counted lost, waits the
//  grace for it (from when it was otherwise due); the agent heard again
//  is waited for until its report comes. Other rows, and a last row with
//  no grace, are written at once.
static void
test_last_grace (void **state)
{
    (void) state;
    double x0 [N * 2] = { 0 };
    ss_members_t *members = ss_members_new (N, 2, x0, 1000, 5000, 0);
    ss_rows_t *rows = ss_rows_new (N, 2, 4, 8, 1000);
    ss_rows_set_written (rows, 0);
    ss_rows_set_last (rows, 20, 700);
    int64_t wake;
    bool complete;
    for (int i = 0; i < N; i++)
        s_add (rows, members, i, 10, 10 * MS);
    assert_non_null (ss_rows_due (rows, members, 10 * MS, false, &wake, &complete));
    ss_rows_done (rows, ss_rows_due (rows, members, 10 * MS, false, &wake, &complete), true);
    //  Agent 2 goes silent: lost at 1010 ms
    s_add (rows, members, 0, 20, 1000 * MS);
    s_add (rows, members, 1, 20, 1001 * MS);
    assert_null (ss_rows_due (rows, members, 1002 * MS, false, &wake, &complete));
    int lost [N];
    ss_members_heard (members, 0, 1100 * MS, 20, 0);
    ss_members_heard (members, 1, 1100 * MS, 20, 0);
    assert_int_equal (ss_members_check (members, 1100 * MS, lost, N), 1);
    assert_int_equal (lost [0], 2);
    assert_false (ss_rows_holding (rows));
    //  Complete but for the lost agent: held until 1100 + 700 ms
    assert_null (ss_rows_due (rows, members, 1100 * MS, false, &wake, &complete));
    assert_int_equal (wake, 1800 * MS);
    assert_true (ss_rows_holding (rows));
    assert_null (ss_rows_due (rows, members, 1500 * MS, false, &wake, &complete));
    assert_int_equal (wake, 1800 * MS);
    //  The strict first row of a restarted trace is not held
    assert_non_null (ss_rows_due (rows, members, 1500 * MS, true, &wake, &complete));
    //  Heard again (its link came back): its report is waited for
    assert_true (ss_members_heard (members, 2, 1600 * MS, 19, 0));
    assert_null (ss_rows_due (rows, members, 1900 * MS, false, &wake, &complete));
    assert_int_equal (wake, INT64_MAX);
    s_add (rows, members, 2, 20, 1950 * MS);
    ss_row_t *row = ss_rows_due (rows, members, 1950 * MS, false, &wake, &complete);
    assert_non_null (row);
    assert_true (complete);
    assert_int_equal (row->count, N);
    ss_rows_done (rows, row, true);
    assert_false (ss_rows_holding (rows));
    ss_rows_destroy (&rows);

    //  Never heard again: written when the grace is over, without it
    rows = ss_rows_new (N, 2, 4, 8, 1000);
    ss_rows_set_written (rows, 10);
    ss_rows_set_last (rows, 30, 700);
    s_add (rows, members, 0, 30, 3000 * MS);
    s_add (rows, members, 1, 30, 3000 * MS);
    ss_members_heard (members, 0, 4000 * MS, 30, 0);
    ss_members_heard (members, 1, 4000 * MS, 30, 0);
    assert_int_equal (ss_members_check (members, 4000 * MS, lost, N), 1);
    assert_null (ss_rows_due (rows, members, 4000 * MS, false, &wake, &complete));
    assert_int_equal (wake, 4700 * MS);
    row = ss_rows_due (rows, members, 4700 * MS, false, &wake, &complete);
    assert_non_null (row);
    assert_int_equal (row->count, 2);
    ss_rows_done (rows, row, true);
    //  A row that is not the last, and a last row with no grace: at once
    s_add (rows, members, 0, 40, 4800 * MS);
    s_add (rows, members, 1, 40, 4800 * MS);
    ss_rows_set_last (rows, 50, 700);
    row = ss_rows_due (rows, members, 4800 * MS, false, &wake, &complete);
    assert_non_null (row);
    ss_rows_done (rows, row, true);
    ss_rows_set_last (rows, 50, 0);
    s_add (rows, members, 0, 50, 4900 * MS);
    s_add (rows, members, 1, 50, 4900 * MS);
    assert_non_null (ss_rows_due (rows, members, 4900 * MS, false, &wake, &complete));
    ss_rows_destroy (&rows);
    ss_members_destroy (&members);
}

static void
test_full_and_order (void **state)
{
    (void) state;
    double x0 [N * 2] = { 0 };
    ss_members_t *members = ss_members_new (N, 2, x0, 1000, 5000, 0);
    ss_rows_t *rows = ss_rows_new (N, 2, 4, 2, 1000);
    ss_rows_set_written (rows, 0);
    int64_t wake;
    bool complete;
    assert_int_equal (s_add (rows, members, 0, 20, 0), SS_ROWS_ADDED);
    assert_int_equal (s_add (rows, members, 0, 10, 0), SS_ROWS_ADDED);
    //  Two slots open: a newer round forces the oldest (10) out
    assert_int_equal (s_add (rows, members, 0, 30, 0), SS_ROWS_FULL);
    ss_row_t *row = ss_rows_due (rows, members, 0, false, &wake, &complete);
    assert_non_null (row);
    assert_int_equal (row->round, 10);
    assert_true (row->forced);
    ss_rows_done (rows, row, true);
    assert_int_equal (s_add (rows, members, 0, 30, 0), SS_ROWS_ADDED);
    //  Older than every open slot when full: dropped
    assert_int_equal (s_add (rows, members, 1, 15, 0), SS_ROWS_FULL);
    //  A restarted trace starts at the newest round every live agent reported
    for (int i = 0; i < N; i++)
        s_add (rows, members, i, 30, 0);
    assert_int_equal (ss_rows_newest_complete (rows, members), 30);
    assert_int_equal (ss_rows_drop_before (rows, 30), 1);
    row = ss_rows_due (rows, members, 0, true, &wake, &complete);
    assert_non_null (row);
    assert_int_equal (row->round, 30);
    assert_int_equal (row->count, N);
    ss_rows_destroy (&rows);
    ss_members_destroy (&members);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_complete),
        cmocka_unit_test (test_deadline_adapts),
        cmocka_unit_test (test_last_grace),
        cmocka_unit_test (test_full_and_order),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
