/*  view: the live page's snapshot, with time passed in: the metrics text
    (HELP and TYPE for every family, one sample a line, NaN before the
    first row, labels escaped), the JSON (parses, every field of a row,
    every agent), the rate over the window and its fall when rows stop,
    the trace thinned evenly with the newest row last, the target grid
    (a density: integrates to 1 in 1-D, 2-D, and as the 3-D marginal)
    rebuilt when the target changes, lost agents and lags. */

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "ss_testutil.h"
#include "ss_members.h"
#include "ss_view.h"

static const char *const s_reasons [] = { "undecodable frame", "wrong \"fleet\" id" };

//  A row of round k: n agents at x (n x d) with J = 1 / (k + 1)
static void
s_row (ss_view_t *view, const ss_problem_t *P, int64_t k, int n, const double *x,
       int target, double now)
{
    ss_view_row_t row = {
        .round = k, .agents = n, .x = x, .seconds = now, .target = target,
        .score = { .J = 1.0 / (double) (k + 1), .kl = 0.5 / (double) (k + 1),
                   .disagreement = 1e-3, .grad = 0.1, .bias = 1e-9 },
        .step = 1e-4
    };
    ss_view_row (view, &row, P, now);
}

static json_t *
s_json (ss_view_t *view, double now)
{
    char *text = ss_view_json (view, now);
    assert_non_null (text);
    json_error_t error;
    json_t *root = json_loads (text, 0, &error);
    if (!root)
        fail_msg ("state.json does not parse: %s: %s", error.text, text);
    free (text);
    return root;
}

//  The value of the sample line that starts with `series ` (-1e300 if none)
static double
s_sample (const char *metrics, const char *series)
{
    size_t len = strlen (series);
    for (const char *line = metrics; line && *line; line = strchr (line, '\n'),
         line = line? line + 1: NULL)
        if (!strncmp (line, series, len) && line [len] == ' ')
            return strtod (line + len + 1, NULL);
    return -1e300;
}

//  Every line: a HELP or TYPE comment, or `name[{labels}] value`; every
//  sample's family has HELP and TYPE before it
static void
s_check_format (const char *metrics)
{
    char family [128] = "";
    int helps = 0, types = 0;
    for (const char *line = metrics; *line; ) {
        const char *end = strchr (line, '\n');
        assert_non_null (end);          //  every line ends with a newline
        if (!strncmp (line, "# HELP ", 7)) {
            sscanf (line + 7, "%127s", family);
            helps++;
        }
        else
        if (!strncmp (line, "# TYPE ", 7)) {
            char name [128], type [32];
            assert_int_equal (sscanf (line + 7, "%127s %31s", name, type), 2);
            assert_string_equal (name, family);
            assert_true (!strcmp (type, "gauge") || !strcmp (type, "counter"));
            if (!strcmp (type, "counter"))
                assert_non_null (strstr (name, "_total"));
            types++;
        }
        else {
            size_t flen = strlen (family);
            assert_true (flen > 0 && !strncmp (line, family, flen));
            assert_true (line [flen] == ' ' || line [flen] == '{');
            const char *space = memchr (line, ' ', (size_t) (end - line));
            if (line [flen] == '{')
                space = strstr (line, "} ") + 1;
            char *after;
            const char *value = space + 1;
            if (strncmp (value, "NaN", 3) && strncmp (value, "+Inf", 4)) {
                strtod (value, &after);
                assert_true (after == end);
            }
        }
        line = end + 1;
    }
    assert_int_equal (helps, types);
    assert_true (helps >= 20);
}

static void
test_empty (void **state)
{
    (void) state;
    ss_problem_t *P = test_problem (2, 0);
    ss_view_t *view = ss_view_new ("demo \"x\"", &P->model, 3, 100, s_reasons, 2);
    assert_non_null (view);
    assert_int_equal (ss_view_round (view), -1);
    assert_true (ss_view_rate (view, 5.0) == 0);
    char *metrics = ss_view_metrics (view, 1.0);
    assert_non_null (metrics);
    s_check_format (metrics);
    assert_non_null (strstr (metrics, "swarmshape_info{fleet=\"demo \\\"x\\\"\",dim=\"2\"} 1\n"));
    assert_non_null (strstr (metrics, "\nswarmshape_J NaN\n"));
    assert_true (s_sample (metrics, "swarmshape_round") == -1);
    assert_true (s_sample (metrics, "swarmshape_run_rounds") == 100);
    assert_true (s_sample (metrics, "swarmshape_agents_live") == 3);
    assert_non_null (strstr (metrics, "swarmshape_dropped_total{reason=\"wrong \\\"fleet\\\" "
                                      "id\"} 0\n"));
    free (metrics);
    json_t *root = s_json (view, 1.0);
    assert_string_equal (json_string_value (json_object_get (root, "fleet")), "demo \"x\"");
    assert_true (json_is_null (json_object_get (root, "J")));
    assert_int_equal (json_integer_value (json_object_get (root, "round")), -1);
    assert_int_equal (json_array_size (json_object_get (root, "members")), 3);
    assert_int_equal (json_array_size (json_object_get (json_object_get (root, "grid"),
                                                        "values")), 0);
    json_decref (root);
    ss_view_destroy (&view);
    assert_null (view);
    ss_view_destroy (&view);
    ss_problem_destroy (&P);
}

static void
test_rows (void **state)
{
    (void) state;
    ss_problem_t *P = test_problem (2, 0);
    ss_view_t *view = ss_view_new ("demo", &P->model, 3, 0, s_reasons, 2);
    double x [3 * 2] = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6 };
    //  10 rounds every 0.1 s: 100 rounds/s
    for (int r = 0; r <= 300; r++)
        s_row (view, P, 10 * r, 3, x, 0, 0.1 * r);
    double now = 30.0;
    assert_int_equal (ss_view_round (view), 3000);
    assert_true (fabs (ss_view_rate (view, now) - 100) < 0.5);
    //  The rows stop: the rate falls, then is 0 past the window
    assert_true (ss_view_rate (view, now + 5) < 70);
    assert_true (ss_view_rate (view, now + SS_VIEW_RATE_S + 1) == 0);
    char *metrics = ss_view_metrics (view, now);
    s_check_format (metrics);
    assert_true (s_sample (metrics, "swarmshape_round") == 3000);
    assert_true (fabs (s_sample (metrics, "swarmshape_J") - 1.0 / 3001) < 1e-15);
    assert_true (fabs (s_sample (metrics, "swarmshape_rounds_per_second") - 100) < 0.5);
    assert_true (s_sample (metrics, "swarmshape_agents_in_row") == 3);
    free (metrics);
    json_t *root = s_json (view, now);
    json_t *pos = json_object_get (root, "positions");
    assert_int_equal (json_array_size (json_object_get (pos, "ids")), 3);
    json_t *x1 = json_array_get (json_object_get (pos, "x"), 2);
    assert_true (json_real_value (json_array_get (x1, 0)) == 0.5);
    assert_true (json_real_value (json_array_get (x1, 1)) == 0.6);
    json_t *trace = json_object_get (root, "trace");
    assert_int_equal (json_array_size (json_object_get (trace, "round")), 301);
    assert_true (fabs (json_real_value (json_object_get (root, "J")) - 1.0 / 3001) < 1e-12);
    json_decref (root);
    ss_view_destroy (&view);
    ss_problem_destroy (&P);
}

//  More rows than the trace holds: evenly spread, first and newest kept
static void
test_thinning (void **state)
{
    (void) state;
    ss_problem_t *P = test_problem (1, 0);
    ss_view_t *view = ss_view_new ("demo", &P->model, 2, 0, s_reasons, 2);
    double x [2] = { 0.2, 0.8 };
    int rows = 5 * SS_VIEW_TRACE + 7;
    for (int r = 0; r < rows; r++)
        s_row (view, P, r, 2, x, 0, r * 0.01);
    json_t *root = s_json (view, rows * 0.01);
    json_t *trace = json_object_get (root, "trace");
    json_t *round = json_object_get (trace, "round");
    size_t count = json_array_size (round);
    assert_true (count <= SS_VIEW_TRACE && count > SS_VIEW_TRACE / 4);
    json_int_t stride = json_integer_value (json_object_get (trace, "stride"));
    assert_int_equal (stride, 8);
    assert_int_equal (json_integer_value (json_array_get (round, 0)), 0);
    assert_int_equal (json_integer_value (json_array_get (round, count - 1)), rows - 1);
    for (size_t p = 1; p + 1 < count; p++)
        assert_int_equal (json_integer_value (json_array_get (round, p))
                          - json_integer_value (json_array_get (round, p - 1)), stride);
    assert_int_equal (json_array_size (json_object_get (trace, "J")), count);
    json_decref (root);
    ss_view_destroy (&view);
    ss_problem_destroy (&P);
}

//  The grid drawn is a density (per unit length, area; the 3-D marginal
//  on x1, x2) and follows the target in force
static void
test_grid (void **state)
{
    (void) state;
    for (int d = 1; d <= 3; d++) {
        ss_problem_t *P = test_problem (d, 0);
        ss_view_t *view = ss_view_new ("demo", &P->model, 1, 0, s_reasons, 2);
        double x [3] = { 0.5, 0.5, 0.5 };
        s_row (view, P, 0, 1, x, 0, 0);
        json_t *root = s_json (view, 0);
        json_t *grid = json_object_get (root, "grid");
        int nq = P->model.nq, dim = d == 1? 1: 2;
        assert_int_equal (json_integer_value (json_object_get (grid, "dim")), dim);
        assert_int_equal (json_integer_value (json_object_get (grid, "nq")), nq);
        json_t *values = json_object_get (grid, "values");
        assert_int_equal (json_array_size (values), dim == 1? nq: nq * nq);
        double cell = (P->model.hi - P->model.lo) / nq, mass = 0;
        for (size_t c = 0; c < json_array_size (values); c++)
            mass += json_real_value (json_array_get (values, c)) * (dim == 1? cell: cell * cell);
        assert_true (fabs (mass - 1) < 1e-9);
        double first = json_real_value (json_array_get (values, 0));
        json_decref (root);
        //  A new target in force: the grid follows
        ss_mixture_t target;
        ss_mixture_defaults (&target, d, P->model.lo, P->model.hi);
        target.count = 1;
        target.comp [0].weight = 1;
        for (int a = 0; a < d; a++)
            target.comp [0].mean [a] = 0.1;
        assert_int_equal (ss_problem_set_target (P, &target), 0);
        s_row (view, P, 10, 1, x, 1, 1);
        root = s_json (view, 1);
        grid = json_object_get (root, "grid");
        assert_int_equal (json_integer_value (json_object_get (grid, "index")), 1);
        assert_true (json_real_value (json_array_get (json_object_get (grid, "values"), 0))
                     > 2 * first);
        assert_int_equal (json_integer_value (json_object_get (root, "target")), 1);
        json_decref (root);
        ss_view_destroy (&view);
        ss_problem_destroy (&P);
    }
}

//  What the coordinator knows of the agents: lost, lag, drops by reason
static void
test_members (void **state)
{
    (void) state;
    ss_problem_t *P = test_problem (2, 0);
    double x0 [3 * 2] = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6 };
    ss_members_t *members = ss_members_new (3, 2, x0, 1000, 1000, 0);
    ss_view_t *view = ss_view_new ("demo", &P->model, 3, 0, s_reasons, 2);
    uint64_t counters [SS_CTR_COUNT] = { 0 };
    counters [SS_CTR_DROP_AUTH] = 2;
    counters [SS_CTR_DROP_VALUE] = 1;
    counters [SS_CTR_DROP_STALE] = 50;         //  not a refusal: not counted
    counters [SS_CTR_SUBSTITUTIONS] = 4;
    for (int i = 0; i < 3; i++)
        ss_members_heard (members, i, 100000, 0, 0);
    ss_members_heard (members, 0, 900000, 40, 2);
    ss_members_report (members, 0, 40, x0, counters, SS_CTR_COUNT);
    ss_members_heard (members, 1, 900000, 30, 2);
    ss_members_report (members, 1, 30, x0, counters, SS_CTR_COUNT);
    int lost [3];
    assert_int_equal (ss_members_check (members, 1500000, lost, 3), 1);     //  agent 2
    uint64_t drops [2] = { 7, 9 };
    ss_view_run_t run = { .highest = 40, .final_round = -1, .missed = 3, .late = 5,
                          .targets = 1, .drops = drops };
    ss_view_run (view, members, &run, 1500000);
    char *metrics = ss_view_metrics (view, 2.0);
    s_check_format (metrics);
    assert_true (s_sample (metrics, "swarmshape_agents_live") == 2);
    assert_true (s_sample (metrics, "swarmshape_agents_lost") == 1);
    assert_true (s_sample (metrics, "swarmshape_agent_up{agent=\"2\"}") == 0);
    assert_true (s_sample (metrics, "swarmshape_agent_lag{agent=\"1\"}") == 10);
    assert_true (s_sample (metrics, "swarmshape_agent_lag{agent=\"0\"}") == 0);
    assert_true (s_sample (metrics, "swarmshape_agent_dropped_total{agent=\"0\"}") == 3);
    assert_true (s_sample (metrics, "swarmshape_agent_substitutions_total{agent=\"1\"}") == 4);
    assert_true (s_sample (metrics, "swarmshape_dropped_total{reason=\"undecodable frame\"}")
                 == 7);
    assert_true (s_sample (metrics, "swarmshape_late_reports_total") == 5);
    assert_true (s_sample (metrics, "swarmshape_missed_reports_total") == 3);
    free (metrics);
    json_t *root = s_json (view, 2.0);
    json_t *lost_ids = json_object_get (root, "lost");
    assert_int_equal (json_array_size (lost_ids), 1);
    assert_int_equal (json_integer_value (json_array_get (lost_ids, 0)), 2);
    json_t *m1 = json_array_get (json_object_get (root, "members"), 1);
    assert_int_equal (json_integer_value (json_object_get (m1, "lag")), 10);
    assert_int_equal (json_integer_value (json_object_get (m1, "epoch")), 2);
    assert_int_equal (json_integer_value (json_object_get (m1, "silent_ms")), 600);
    assert_true (json_is_true (json_object_get (m1, "live")));
    assert_true (json_is_false (json_object_get (json_array_get (json_object_get (root,
                                                 "members"), 2), "live")));
    assert_int_equal (json_integer_value (json_object_get (json_object_get (root, "drops"),
                                                           "wrong \"fleet\" id")), 9);
    json_decref (root);
    ss_view_destroy (&view);
    ss_members_destroy (&members);
    ss_problem_destroy (&P);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_empty),
        cmocka_unit_test (test_rows),
        cmocka_unit_test (test_thinning),
        cmocka_unit_test (test_grid),
        cmocka_unit_test (test_members),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
