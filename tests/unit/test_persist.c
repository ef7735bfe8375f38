/*  persist: an agent's checkpoints go through the writer thread. Queued
    ones reach the disk (the newest wins when several wait), a flush waits
    for them, destroying the module writes what still waits, the file read
    back holds the newest state queued, and a new module resumes from it.
    Files live in a fresh directory under $TMPDIR (or /tmp), removed at the
    end. */

#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include <czmq.h>
#include "ss_testutil.h"
#include "ss_persist.h"
#include "ss_checkpoint.h"
#include "ss_fleet.h"

#define ID 3

static char s_dir [PATH_MAX];

static ss_fleet_t *
s_fleet (void)
{
    char path [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/fleet.zpl", s_dir);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file, "fleet\n    name = persist\n    rounds = 0\n    security\n"
                   "        state = %s/state\n", s_dir);
    fclose (file);
    char err [1024] = "";
    ss_fleet_t *fleet = ss_fleet_load (path, NULL, 0, err, sizeof err);
    if (!fleet)
        print_error ("%s\n", err);
    assert_non_null (fleet);
    return fleet;
}

//  Queue checkpoint of round r (x = r / 1000, theta = r + k)
static void
s_queue (ss_persist_t *persist, ss_agent_t *agent, ss_mixture_t *target, int K,
         uint64_t r)
{
    agent->x [0] = (double) r / 1000;
    agent->x [1] = 0.5;
    for (int k = 0; k < K; k++) {
        agent->theta [k] = (double) r + k;
        agent->s [k] = 0.25;
    }
    ss_persist_state_t state = { .agent = agent, .round = r, .epoch = 2, .target = target };
    assert_int_equal (ss_persist_checkpoint (persist, &state, 2, K), 0);
}

static int64_t
s_round_on_disk (const ss_fleet_t *fleet)
{
    char path [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/agent-%d.ckpt", fleet->state_dir, ID);
    ss_checkpoint_t *cp = calloc (1, sizeof (ss_checkpoint_t));
    assert_non_null (cp);
    int rc = ss_checkpoint_read (path, cp);
    int64_t round = rc == 0? cp->round: -1;
    if (rc == 0)
        assert_true (cp->theta [1] == (double) round + 1);
    free (cp);
    return round;
}

static void
test_writer (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_fleet ();
    int K = fleet->model.m * fleet->model.m;
    double theta [SS_MAX_K], s [SS_MAX_K];
    ss_agent_t agent = { .theta = theta, .s = s };
    ss_mixture_t target = { 0 };
    ss_persist_t *persist = ss_persist_new (fleet, ID, ss_fleet_id (fleet));
    assert_non_null (persist);
    assert_int_equal (ss_persist_written (persist), 0);

    //  One, flushed: on disk
    s_queue (persist, &agent, &target, K, 50);
    ss_persist_flush (persist);
    assert_int_equal (ss_persist_written (persist), 1);
    assert_int_equal (s_round_on_disk (fleet), 50);

    //  200 at once: the newest is on disk after the flush, and no more
    //  were written than were queued (those waiting behind a newer one
    //  are skipped)
    for (uint64_t r = 100; r < 300; r++)
        s_queue (persist, &agent, &target, K, r);
    ss_persist_flush (persist);
    uint64_t written = ss_persist_written (persist);
    assert_true (written >= 2 && written <= 201);
    assert_int_equal (s_round_on_disk (fleet), 299);

    //  Queued, then destroyed without a flush: written on the way out
    s_queue (persist, &agent, &target, K, 400);
    ss_persist_destroy (&persist);
    assert_null (persist);
    assert_int_equal (s_round_on_disk (fleet), 400);

    //  A new module resumes from it
    ss_problem_t *P = ss_problem_new (&fleet->model, &fleet->target);
    assert_non_null (P);
    persist = ss_persist_new (fleet, ID, ss_fleet_id (fleet));
    double theta2 [SS_MAX_K], s2 [SS_MAX_K];
    ss_agent_t back = { .theta = theta2, .s = s2 };
    ss_mixture_t target2 = { 0 };
    ss_persist_state_t resumed = { .agent = &back, .target = &target2 };
    assert_int_equal (ss_persist_resume (persist, P, 2, K, &resumed), 1);
    assert_int_equal (resumed.round, 400);
    assert_int_equal (resumed.epoch, 2);
    assert_true (back.x [0] == 0.4 && back.theta [K - 1] == 400.0 + K - 1);
    ss_persist_destroy (&persist);
    ss_problem_destroy (&P);
    ss_fleet_destroy (&fleet);
}

int
main (void)
{
    const char *tmp = getenv ("TMPDIR");
    snprintf (s_dir, sizeof s_dir, "%s/ss-persist-XXXXXX", tmp && *tmp? tmp: "/tmp");
    if (!mkdtemp (s_dir))
        return 1;
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_writer),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    char cmd [PATH_MAX + 16];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        rc = rc? rc: 1;
    zsys_shutdown ();
    return rc;
}
