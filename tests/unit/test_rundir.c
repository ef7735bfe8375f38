/*  rundir: a run directory written by ss_runlog (fleet.zpl, frames.csv
    with ids and a resumed writer, the trace) reads back equal; a resumed
    round and a repeated agent row keep the last one written; targets.txt
    gives the target after each switch; and every missing or broken file
    fails with one line naming the file, the line and the problem. */

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ss_testutil.h"
#include "ss_testfleet.h"
#include "ss_rundir.h"
#include "ss_runlog.h"

static char s_dir [64];

static void
s_write (const char *name, const char *text)
{
    char path [128];
    snprintf (path, sizeof path, "%s/%s", s_dir, name);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
}

static void
s_remove (const char *name)
{
    char path [128];
    snprintf (path, sizeof path, "%s/%s", s_dir, name);
    unlink (path);
}

//  A run of 3 agents in 2-D written by ss_runlog: rounds 0 and 10, and a
//  resumed writer repeating round 10 (moved agent 1) and adding round 20
static void
s_write_run (void)
{
    strcpy (s_dir, "/tmp/ss_test_rundir_XXXXXX");
    assert_non_null (mkdtemp (s_dir));
    const char *sets [] = { "agents/count=3", "rounds=20", "graph/kind=complete" };
    ss_fleet_t *fleet = test_fleet ("fleet\n    name = rd\n", sets, 3);
    assert_non_null (fleet);
    char err [256];
    ss_runlog_t *log = ss_runlog_new (s_dir, false, err, sizeof err);
    assert_non_null (log);
    assert_int_equal (ss_runlog_fleet (log, fleet, err, sizeof err), 0);
    double x0 [6] = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6 };
    double x1 [6] = { 0.15, 0.25, 0.35, 0.45, 0.55, 0.65 };
    assert_int_equal (ss_runlog_positions (log, "initial.csv", x0, 3, 2), 0);
    assert_int_equal (ss_runlog_frames (log, 0, x0, NULL, 3, 2), 0);
    int ids [2] = { 0, 2 };
    double x1_part [4] = { 0.15, 0.25, 0.55, 0.65 };
    //  round 10: agent 1 missing (its report never came)
    assert_int_equal (ss_runlog_frames (log, 10, x1_part, ids, 2, 2), 0);
    ss_trace_row_t row = { .round = 0, .agents = 3, .J = 1, .kl = 1, .bias = 0 };
    assert_int_equal (ss_runlog_trace (log, &row), 0);
    int lost [1] = { 1 };
    row = (ss_trace_row_t) { .round = 10, .agents = 2, .J = 0.5, .disagreement = 0.1,
                             .bias = NAN, .lost = lost, .n_lost = 1 };
    assert_int_equal (ss_runlog_trace (log, &row), 0);
    ss_runlog_destroy (&log);
    //  The resumed writer: round 10 again, with agent 1, then round 20
    log = ss_runlog_new (s_dir, true, err, sizeof err);
    assert_non_null (log);
    assert_int_equal (ss_runlog_frames (log, 10, x1, NULL, 3, 2), 0);
    assert_int_equal (ss_runlog_frames (log, 20, x1, NULL, 3, 2), 0);
    row = (ss_trace_row_t) { .round = 10, .agents = 3, .J = 0.4, .target = 1 };
    assert_int_equal (ss_runlog_trace (log, &row), 0);
    row = (ss_trace_row_t) { .round = 20, .agents = 3, .J = 0.3, .target = 1 };
    assert_int_equal (ss_runlog_trace (log, &row), 0);
    assert_int_equal (ss_runlog_positions (log, "positions.csv", x1, 3, 2), 0);
    ss_runlog_destroy (&log);
    s_write ("targets.txt", "5 1 1 0.5 0.5 0.2\n");
    ss_fleet_destroy (&fleet);
}

static void
s_cleanup (void)
{
    const char *names [] = { "fleet.zpl", "initial.csv", "positions.csv", "trace.jsonl",
                             "frames.csv", "targets.txt", "other.zpl" };
    for (size_t i = 0; i < sizeof names / sizeof names [0]; i++)
        s_remove (names [i]);
    rmdir (s_dir);
}

static void
test_read_back (void **state)
{
    (void) state;
    s_write_run ();
    char err [512] = "";
    ss_rundir_t *run = ss_rundir_new (s_dir, NULL, true, err, sizeof err);
    if (!run)
        print_message ("%s\n", err);
    assert_non_null (run);
    assert_int_equal (run->d, 2);
    assert_int_equal (run->fleet->count, 3);
    assert_string_equal (run->fleet->name, "rd");
    assert_int_equal (run->initial.n, 3);
    assert_true (run->initial.x [5] == 0.6 && run->final.x [0] == 0.15);
    //  frames: rounds 0, 10, 20; round 10 holds the resumed writer's rows
    assert_int_equal (run->n_frames, 3);
    const ss_rundir_frame_t *f10 = ss_rundir_frame (run, 10);
    assert_non_null (f10);
    assert_int_equal (f10->n, 3);
    assert_true (f10->ids [1] == 1 && f10->x [2] == 0.35 && f10->x [5] == 0.65);
    assert_null (ss_rundir_frame (run, 5));
    assert_int_equal (ss_rundir_frame (run, 20)->round, 20);
    //  trace: round 10 twice, the later row wins
    assert_int_equal (run->n_rows, 3);
    assert_true (run->rows [1].round == 10 && run->rows [1].J == 0.4);
    assert_int_equal (run->rows [1].n_lost, 0);
    assert_int_equal (run->rows [1].target, 1);
    assert_true (isnan (run->rows [0].kl) == 0 && run->rows [0].kl == 1);
    //  targets: count 0 is the fleet's, 1 is targets.txt's line
    assert_int_equal (run->n_targets, 1);
    assert_true (run->targets [0].switch_round == 5);
    assert_true (ss_rundir_target (run, 1)->comp [0].std == 0.2);
    assert_true (ss_rundir_target (run, 0) == &run->fleet->target);
    assert_true (ss_rundir_target (run, 2) == &run->fleet->target);
    ss_rundir_destroy (&run);
    ss_rundir_destroy (&run);
    s_cleanup ();
}

static void
test_lost_and_null (void **state)
{
    (void) state;
    s_write_run ();
    s_write ("trace.jsonl",
             "{\"round\":0,\"agents\":3,\"J\":1,\"bias\":null,\"lost\":[]}\n"
             "\n"
             "{\"round\":10,\"agents\":1,\"J\":0.5,\"lost\":[2,0]}\n");
    char err [512] = "";
    ss_rundir_t *run = ss_rundir_new (s_dir, NULL, false, err, sizeof err);
    assert_non_null (run);
    assert_true (isnan (run->rows [0].bias) && isnan (run->rows [0].grad));
    assert_int_equal (run->rows [1].n_lost, 2);
    assert_true (run->rows [1].lost [0] == 0 && run->rows [1].lost [1] == 2);
    ss_rundir_destroy (&run);
    s_cleanup ();
}

//  Break one file; the error names it (and the line) and says what
static void
s_expect (const char *name, const char *text, bool need_frames, const char *want)
{
    s_write_run ();
    if (text)
        s_write (name, text);
    else
        s_remove (name);
    char err [512] = "";
    ss_rundir_t *run = ss_rundir_new (s_dir, NULL, need_frames, err, sizeof err);
    if (run || !strstr (err, want) || strchr (err, '\n'))
        print_message ("%s: got '%s', want '%s'\n", name, err, want);
    assert_null (run);
    assert_non_null (strstr (err, want));
    assert_null (strchr (err, '\n'));
    s_cleanup ();
}

static void
test_errors (void **state)
{
    (void) state;
    s_expect ("fleet.zpl", NULL, false, "fleet.zpl: missing");
    s_expect ("fleet.zpl", NULL, false, "--fleet FILE");
    s_expect ("trace.jsonl", NULL, false, "trace.jsonl: missing");
    s_expect ("positions.csv", NULL, false, "positions.csv: missing");
    s_expect ("initial.csv", NULL, false, "initial.csv: missing");
    s_expect ("frames.csv", NULL, true, "frames.csv: missing");
    s_expect ("initial.csv", "", false, "initial.csv: empty");
    s_expect ("initial.csv", "id,x1\n0,0.5\n", false,
              "initial.csv: line 1: header 'id,x1' is not 'id,x1,x2' (the fleet's dim is 2)");
    s_expect ("initial.csv", "id,x1,x2\n", false, "initial.csv: no rows after the header");
    s_expect ("initial.csv", "id,x1,x2\n0,0.5,0.5\n7,0.5,0.5\n", false,
              "initial.csv: line 3: id 7: not an agent of the fleet (0..2)");
    s_expect ("initial.csv", "id,x1,x2\n0,0.5,nan\n", false,
              "initial.csv: line 2: x2: not a finite number");
    s_expect ("initial.csv", "id,x1,x2\n0,0.5,0.5,0.5\n", false,
              "x2: not a finite number (too many columns)");
    s_expect ("initial.csv", "id,x1,x2\n0,0.5\n", false, "line 2: x1: not a finite number");
    s_expect ("initial.csv", "id,x1,x2\nzero,0.5,0.5\n", false, "line 2: id: not an agent id");
    s_expect ("initial.csv", "id,x1,x2\n0,0.5,3\n", false,
              "line 2: x2 = 3 is outside the box [0, 1]");
    s_expect ("positions.csv", "id,x1,x2\n0,0.5,0.5\n0,0.5,0.5\n", false,
              "positions.csv: line 3: id 0: a second row");
    s_expect ("frames.csv", "round,id,x1,x2\n-1,0,0.5,0.5\n", false,
              "frames.csv: line 2: round: not a round number");
    s_expect ("frames.csv", "id,x1,x2\n0,0.5,0.5\n", false, "frames.csv: line 1: header");
    s_expect ("trace.jsonl", "", false, "trace.jsonl: no rows");
    s_expect ("trace.jsonl", "{\"round\":0}\n{\"round\":\n", false,
              "trace.jsonl: line 2: not JSON");
    s_expect ("trace.jsonl", "[1,2]\n", false, "trace.jsonl: line 1: not a JSON object");
    s_expect ("trace.jsonl", "{\"J\":1}\n", false, "trace.jsonl: line 1: round: missing");
    s_expect ("trace.jsonl", "{\"round\":-3}\n", false, "line 1: round: not an integer");
    s_expect ("trace.jsonl", "{\"round\":1,\"J\":\"low\"}\n", false, "line 1: J: not a number");
    s_expect ("trace.jsonl", "{\"round\":1,\"lost\":7}\n", false,
              "line 1: lost: not a list of agent ids");
    s_expect ("trace.jsonl", "{\"round\":1,\"lost\":[5]}\n", false,
              "line 1: lost: item 0 is not an agent id (0..2)");
    s_expect ("trace.jsonl", "{\"round\":1,\"round\":2}\n", false, "line 1: not JSON");
    s_expect ("targets.txt", "5 2 1 0.5 0.5 0.2\n", false, "targets.txt: line 1: component 2");
    s_expect ("targets.txt", "5 1 1 0.5 0.5 0.2 0 9\n", false,
              "targets.txt: line 1: more numbers than 1 components and a grid hold");
    s_expect ("targets.txt", "5 1 1 0.5 0.5 0.2 9\n", false,
              "targets.txt: line 1: grid: expected 9 levels as 18 hex digits, cut at digit 0");
    s_expect ("targets.txt", "5 0 3 00ff0\n", false,
              "targets.txt: line 1: grid: expected 3 levels as 6 hex digits, cut at digit 5");
    s_expect ("targets.txt", "5 0 70000\n", false,
              "targets.txt: line 1: grid: expected 0..32768 cells");
    s_expect ("targets.txt", "5 0 4 00ff00ff\n", false,
              "targets.txt: line 1: a grid target needs one level per quadrature node");
    s_expect ("targets.txt", "5 0 0\n", false,
              "targets.txt: line 1: a target needs 1 to 16 components");
    s_expect ("targets.txt", "5 1 1 0.5 0.5 -1\n", false, "targets.txt: line 1: ");
    s_expect ("targets.txt", "x\n", false, "targets.txt: line 1: expected 'switch_round count'");
    s_expect ("fleet.zpl", "fleet\n    nmae = x\n", false, "fleet.zpl");
}

//  targets.txt as the coordinator writes it (ss_targets_text): a mixture
//  with "cells 0", and an image's grid of hex levels with count 0
static void
test_grid_targets (void **state)
{
    (void) state;
    s_write_run ();
    size_t size = 64 + 2 * 1024 + 2;
    char *text = malloc (size);
    int used = snprintf (text, size, "5 1 1 0.5 0.5 0.2 0\n9 0 1024 ");
    for (int g = 0; g < 1024; g++)
        used += snprintf (text + used, size - (size_t) used, "%02x", g % 7 == 0? 0xff: g % 256);
    snprintf (text + used, size - (size_t) used, "\n");
    s_write ("targets.txt", text);
    free (text);
    char err [512] = "";
    ss_rundir_t *run = ss_rundir_new (s_dir, NULL, true, err, sizeof err);
    if (!run)
        print_message ("%s\n", err);
    assert_non_null (run);
    assert_int_equal (run->n_targets, 2);
    const ss_mixture_t *mix = ss_rundir_target (run, 1), *grid = ss_rundir_target (run, 2);
    assert_int_equal (mix->count, 1);
    assert_int_equal (mix->cells, 0);
    assert_true (run->targets [1].switch_round == 9);
    assert_int_equal (grid->count, 0);
    assert_int_equal (grid->cells, 1024);
    assert_int_equal (grid->level [7], 0xff);
    assert_int_equal (grid->level [1023], 1023 % 256);
    ss_rundir_destroy (&run);
    s_cleanup ();
}

static void
test_other_fleet (void **state)
{
    (void) state;
    //  --fleet: another file, and a run without frames.csv
    s_write_run ();
    s_remove ("frames.csv");
    s_remove ("fleet.zpl");
    s_write ("other.zpl", "fleet\n    name = other\n    graph\n        kind = complete\n    agents\n        count = 3\n");
    char err [512] = "", path [128];
    snprintf (path, sizeof path, "%s/other.zpl", s_dir);
    ss_rundir_t *run = ss_rundir_new (s_dir, path, false, err, sizeof err);
    assert_non_null (run);
    assert_string_equal (run->fleet->name, "other");
    assert_int_equal (run->n_frames, 0);
    ss_rundir_destroy (&run);
    //  Not a directory
    assert_null (ss_rundir_new (path, NULL, false, err, sizeof err));
    assert_non_null (strstr (err, "not a run directory"));
    s_cleanup ();
    assert_null (ss_rundir_new ("/nonexistent/run", NULL, false, err, sizeof err));
    assert_non_null (strstr (err, "/nonexistent/run: not a run directory"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_read_back),
        cmocka_unit_test (test_lost_and_null),
        cmocka_unit_test (test_errors),
        cmocka_unit_test (test_grid_targets),
        cmocka_unit_test (test_other_fleet),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
