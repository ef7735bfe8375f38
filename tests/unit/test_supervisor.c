/*  test_supervisor: the process supervisor of launch and experiment
    (ss_supervisor), on /bin/sh children: a failing child is restarted
    under on-failure after restart_sec until the start limit gives up on
    it; exit 0 is not restarted under on-failure but is under always; no
    restarts under no; restarts use the restart argv and append to the log
    after a marker line; SIGSTOP/SIGCONT are tracked as FROZEN/RUNNING;
    stop_all ends and reaps everything. Also the option parser
    (--restart, --restart-sec, --start-limit) and the scenario reader on
    the shipped scenarios and on broken files (one line naming the key). */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ss_supervisor.h"
#include "ss_scenario.h"
#include "ss_progress.h"

//  The source tree, from this file's path (CMake compiles it by its
//  absolute path): <src>/tests/unit/test_supervisor.c
static char s_src [2048];
static const char *
s_source_dir (void)
{
    snprintf (s_src, sizeof s_src, "%s", __FILE__);
    char *at = strstr (s_src, "/tests/unit/");
    if (at)
        *at = 0;
    else
        snprintf (s_src, sizeof s_src, "../..");
    return s_src;
}
#define SS_SOURCE_DIR s_source_dir ()

//  Poll until n events of kind arrived or seconds passed; the count seen
static int
s_wait_events (ss_supervisor_t *sv, ss_event_kind_t kind, int n, double seconds)
{
    int seen = 0;
    double until = ss_progress_now () + seconds;
    while (seen < n && ss_progress_now () < until) {
        ss_event_t event;
        while (ss_supervisor_poll (sv, &event))
            if (event.kind == kind)
                seen++;
        usleep (5000);
    }
    return seen;
}

static void
test_start_limit (void **state)
{
    (void) state;
    ss_supervisor_t *sv = ss_supervisor_new ();
    ss_restart_t r = { .policy = SS_RESTART_ON_FAILURE, .restart_sec = 0.01, .burst = 3,
                       .interval_sec = 10 };
    const char *argv [] = { "/bin/sh", "-c", "exit 3", NULL };
    int c = ss_supervisor_add (sv, "failing", argv, NULL, NULL, &r);
    char err [256];
    assert_int_equal (ss_supervisor_start (sv, c, err, sizeof err), 0);
    //  3 starts (1 + 2 restarts), then the limit
    assert_int_equal (s_wait_events (sv, SS_EVENT_GAVE_UP, 1, 10), 1);
    assert_int_equal (ss_supervisor_deaths (sv, c), 3);
    assert_int_equal (ss_supervisor_restarts (sv, c), 2);
    assert_int_equal (ss_supervisor_state (sv, c), SS_CHILD_DEAD);
    ss_supervisor_destroy (&sv);
}

static void
test_policies (void **state)
{
    (void) state;
    ss_supervisor_t *sv = ss_supervisor_new ();
    ss_restart_t on = { .policy = SS_RESTART_ON_FAILURE, .restart_sec = 0.01, .burst = 5,
                        .interval_sec = 10 };
    ss_restart_t always = on, no = on;
    always.policy = SS_RESTART_ALWAYS;
    no.policy = SS_RESTART_NO;
    const char *ok [] = { "/bin/sh", "-c", "exit 0", NULL };
    const char *bad [] = { "/bin/sh", "-c", "kill -9 $$", NULL };
    int a = ss_supervisor_add (sv, "ok-on-failure", ok, NULL, NULL, &on);
    int b = ss_supervisor_add (sv, "ok-always", ok, NULL, NULL, &always);
    int c = ss_supervisor_add (sv, "killed-no", bad, NULL, NULL, &no);
    char err [256];
    for (int i = 0; i < 3; i++)
        assert_int_equal (ss_supervisor_start (sv, i, err, sizeof err), 0);
    s_wait_events (sv, SS_EVENT_GAVE_UP, 1, 10);     //  always: exit 0 again and again
    assert_int_equal (ss_supervisor_state (sv, a), SS_CHILD_DONE);
    assert_int_equal (ss_supervisor_restarts (sv, a), 0);
    assert_int_equal (ss_supervisor_restarts (sv, b), 4);
    assert_int_equal (ss_supervisor_state (sv, c), SS_CHILD_DEAD);
    assert_int_equal (ss_supervisor_deaths (sv, c), 1);
    assert_int_equal (ss_supervisor_restarts (sv, c), 0);
    char how [64];
    ss_supervisor_describe_status (ss_supervisor_status (sv, c), how, sizeof how);
    assert_non_null (strstr (how, "signal 9"));
    //  By hand, a dead child starts again and counts as a restart
    assert_int_equal (ss_supervisor_start (sv, c, err, sizeof err), 0);
    assert_int_equal (ss_supervisor_restarts (sv, c), 1);
    ss_supervisor_destroy (&sv);
}

static void
test_restart_argv_and_log (void **state)
{
    (void) state;
    char log [] = "/tmp/test_supervisor.XXXXXX";
    int fd = mkstemp (log);
    assert_true (fd >= 0);
    close (fd);
    ss_supervisor_t *sv = ss_supervisor_new ();
    ss_restart_t r = { .policy = SS_RESTART_ON_FAILURE, .restart_sec = 0.01, .burst = 5,
                       .interval_sec = 10 };
    const char *first [] = { "/bin/sh", "-c", "echo first; exit 1", NULL };
    const char *again [] = { "/bin/sh", "-c", "echo again; exit 0", NULL };
    int c = ss_supervisor_add (sv, "child", first, log, NULL, &r);
    assert_int_equal (ss_supervisor_set_restart_argv (sv, c, again), 0);
    char err [256];
    assert_int_equal (ss_supervisor_start (sv, c, err, sizeof err), 0);
    assert_int_equal (s_wait_events (sv, SS_EVENT_EXITED, 1, 10), 1);
    ss_supervisor_destroy (&sv);
    FILE *file = fopen (log, "r");
    char text [1024] = "";
    text [fread (text, 1, sizeof text - 1, file)] = 0;
    fclose (file);
    unlink (log);
    char *one = strstr (text, "first\n"), *mark = strstr (text, "child started again (restart 1)"),
         *two = strstr (text, "again\n");
    assert_true (one && mark && two && one < mark && mark < two);
}

static void
test_freeze_and_stop_all (void **state)
{
    (void) state;
    ss_supervisor_t *sv = ss_supervisor_new ();
    const char *argv [] = { "/bin/sh", "-c", "sleep 30", NULL };
    int c = ss_supervisor_add (sv, "sleeper", argv, NULL, NULL, NULL);
    char err [256];
    assert_int_equal (ss_supervisor_start (sv, c, err, sizeof err), 0);
    assert_int_equal (ss_supervisor_signal (sv, c, SIGSTOP), 0);
    assert_int_equal (ss_supervisor_state (sv, c), SS_CHILD_FROZEN);
    assert_true (ss_supervisor_alive (sv, c));
    assert_int_equal (ss_supervisor_signal (sv, c, SIGCONT), 0);
    assert_int_equal (ss_supervisor_state (sv, c), SS_CHILD_RUNNING);
    double t0 = ss_progress_now ();
    ss_supervisor_stop_all (sv, 3.0);
    assert_true (ss_progress_now () - t0 < 2.5);     //  SIGTERM was enough
    assert_false (ss_supervisor_alive (sv, c));
    assert_int_equal (ss_supervisor_signal (sv, c, SIGKILL), -1);
    ss_supervisor_destroy (&sv);
}

static void
test_options (void **state)
{
    (void) state;
    char *argv [] = { "launch", "f.zpl", "--restart", "always", "--out", "d",
                      "--restart-sec=2.5", "--start-limit", "7/30", NULL };
    int argc = 9;
    ss_restart_t r;
    ss_restart_defaults (&r);
    assert_int_equal (r.policy, SS_RESTART_ON_FAILURE);
    assert_int_equal (ss_restart_take_options ("launch", &argc, argv, &r), 0);
    assert_int_equal (argc, 4);
    assert_string_equal (argv [1], "f.zpl");
    assert_string_equal (argv [2], "--out");
    assert_null (argv [4]);
    assert_int_equal (r.policy, SS_RESTART_ALWAYS);
    assert_true (r.restart_sec == 2.5 && r.burst == 7 && r.interval_sec == 30);
    char *bad [] = { "launch", "--restart", "sometimes", NULL };
    argc = 3;
    assert_int_equal (ss_restart_take_options ("launch", &argc, bad, &r), 2);
    char *bad2 [] = { "launch", "--start-limit", "5", NULL };
    argc = 3;
    assert_int_equal (ss_restart_take_options ("launch", &argc, bad2, &r), 2);
}

static void
test_scenarios (void **state)
{
    (void) state;
    static const char *shipped [] = {
        "kill_one", "kill_five", "restart", "coordinator_restart", "frozen", "loss10",
        "loss30", "delay", "duplicate", "reorder", "partition"
    };
    char path [4200], err [1024];
    for (size_t s = 0; s < sizeof shipped / sizeof shipped [0]; s++) {
        snprintf (path, sizeof path, "%s/deploy/scenarios/%s.zpl", SS_SOURCE_DIR, shipped [s]);
        ss_scenario_t *sc = ss_scenario_load (path, err, sizeof err);
        if (!sc)
            fail_msg ("%s", err);
        assert_string_equal (sc->name, shipped [s]);
        assert_true (sc->n_events >= 1 && sc->bound == 1.5);
        ss_scenario_destroy (&sc);
    }
    snprintf (path, sizeof path, "%s/deploy/scenarios/kill_five.zpl", SS_SOURCE_DIR);
    ss_scenario_t *sc = ss_scenario_load (path, err, sizeof err);
    assert_int_equal (sc->events [0].what, SS_DO_KILL);
    assert_int_equal (sc->events [0].n_agents, 5);
    assert_int_equal (sc->events [0].signal, SIGKILL);
    assert_true (sc->events [0].by_round && sc->events [0].at == 100);
    ss_scenario_destroy (&sc);
    snprintf (path, sizeof path, "%s/deploy/scenarios/partition.zpl", SS_SOURCE_DIR);
    sc = ss_scenario_load (path, err, sizeof err);
    assert_true (sc->hosts == 3 && sc->block && sc->stop_after_rounds == 1500);
    assert_int_equal (ss_scenario_host_of (sc, 11, 12), 2);
    assert_int_equal (sc->events [0].for_kind, SS_FOR_SECONDS);
    ss_scenario_destroy (&sc);
    //  A broken one: NULL, one line naming file and key
    char bad [] = "/tmp/test_scenario.XXXXXX";
    int fd = mkstemp (bad);
    dprintf (fd, "scenario\n    hosts = 2\n    event\n        at_round = 5\n"
                 "        do = delay\n        delay_ms = 10\n        jitter_ms = 20\n"
                 "        for_rounds = 3\n");
    close (fd);
    assert_null (ss_scenario_load (bad, err, sizeof err));
    assert_non_null (strstr (err, "scenario/event[0]/jitter_ms"));
    assert_non_null (strstr (err, bad));
    assert_null (strchr (err, '\n'));
    unlink (bad);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_start_limit),
        cmocka_unit_test (test_policies),
        cmocka_unit_test (test_restart_argv_and_log),
        cmocka_unit_test (test_freeze_and_stop_all),
        cmocka_unit_test (test_options),
        cmocka_unit_test (test_scenarios),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
