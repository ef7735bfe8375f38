/*  test_fleet: the fleet file loader, its defaults, overrides and errors.

    Every test writes its fleet files into one mkdtemp directory; every
    error case checks NULL, the key path, a phrase of the problem, and that
    the message is one line.
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ss_fleet.h"
#include "ss_rng.h"

#define streq(a, b) (strcmp ((a), (b)) == 0)

static char s_dir [1024];

//  Write text to DIR/name and return the full path (static buffer per call
//  site is not enough: callers copy what they keep)
static const char *
s_write (const char *name, const char *text)
{
    static char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", s_dir, name);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
    return path;
}

static ss_fleet_t *
s_load (const char *text, const char **sets, int n_sets, char *err, size_t size)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s", s_write ("fleet.zpl", text));
    return ss_fleet_load (path, sets, n_sets, err, size);
}

static ss_fleet_t *
s_load_ok (const char *text, const char **sets, int n_sets)
{
    char err [1024] = "";
    ss_fleet_t *fleet = s_load (text, sets, n_sets, err, sizeof err);
    if (!fleet)
        print_error ("unexpected error: %s\n", err);
    assert_non_null (fleet);
    return fleet;
}

//  Assert an error line: "FILE: KEY: ... PHRASE ...", one line
static void
s_assert_error (const char *err, const char *key, const char *phrase)
{
    if (key) {
        char prefix [PATH_MAX + 64];
        snprintf (prefix, sizeof prefix, "%s/fleet.zpl: %s: ", s_dir, key);
        if (strncmp (err, prefix, strlen (prefix)) != 0)
            print_error ("expected prefix '%s' in '%s'\n", prefix, err);
        assert_int_equal (strncmp (err, prefix, strlen (prefix)), 0);
    }
    if (!strstr (err, phrase))
        print_error ("expected '%s' in '%s'\n", phrase, err);
    assert_non_null (strstr (err, phrase));
    assert_null (strchr (err, '\n'));
}

static void
s_expect_error (const char *text, const char **sets, int n_sets,
                const char *key, const char *phrase)
{
    char err [1024] = "";
    ss_fleet_t *fleet = s_load (text, sets, n_sets, err, sizeof err);
    if (fleet)
        print_error ("expected an error '%s: %s'\n", key, phrase);
    assert_null (fleet);
    s_assert_error (err, key, phrase);
}

//  One fleet file: "fleet", "    name = t", then a section with one line
static void
s_expect_key_error (const char *section, const char *line,
                    const char *key, const char *phrase)
{
    char text [1024];
    if (section)
        snprintf (text, sizeof text, "fleet\n    name = t\n    %s\n        %s\n",
                  section, line);
    else
        snprintf (text, sizeof text, "fleet\n    name = t\n    %s\n", line);
    s_expect_error (text, NULL, 0, key, phrase);
}

static const char *s_minimal = "fleet\n    name = x\n";

//  Field by field: struct padding is not part of the model
static void
s_assert_model_equal (const ss_model_t *a, const ss_model_t *b)
{
    assert_int_equal (a->dim, b->dim);
    assert_true (a->lo == b->lo && a->hi == b->hi);
    assert_int_equal (a->m, b->m);
    assert_true (a->ell == b->ell && a->h == b->h);
    assert_int_equal (a->nq, b->nq);
    assert_true (a->rho == b->rho && a->lambda == b->lambda);
    assert_true (a->alpha == b->alpha && a->gamma == b->gamma);
    assert_true (a->vmax == b->vmax);
}

//  --------------------------------------------------------------------------

//  A row's default as a value of the table
static void
s_default_of (const char *path, char *out, size_t size)
{
    const ss_fleet_key_t *key = ss_fleet_key (path);
    assert_non_null (key);
    assert_int_equal (ss_fleet_key_default (key, out, size), 0);
}

static long long
s_default_int (const char *path)
{
    char text [64];
    s_default_of (path, text, sizeof text);
    return strtoll (text, NULL, 10);
}

static void
test_defaults (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_load_ok (s_minimal, NULL, 0);
    assert_string_equal (fleet->name, "x");

    //  Every key with a default of its own (not derived) has it, as the
    //  table documents it: the model's from ss_model_defaults, the others
    //  from their row
    int n;
    const ss_fleet_key_t *keys = ss_fleet_keys (&n);
    int checked = 0;
    for (int k = 0; k < n; k++) {
        const ss_fleet_key_t *key = &keys [k];
        if (!key->value && !(key->flags & SS_FLEET_MODEL))
            continue;
        if (streq (key->path, "name"))
            continue;               //  given in s_minimal
        char shown [256], value [PATH_MAX];
        assert_int_equal (ss_fleet_key_default (key, shown, sizeof shown), 0);
        assert_int_equal (ss_fleet_get (fleet, key->path, value, sizeof value), 0);
        if (!streq (shown, value))
            print_error ("%s: default '%s', loaded '%s'\n", key->path, shown, value);
        assert_string_equal (shown, value);
        checked++;
    }
    assert_true (checked > 30);

    //  The model and the target from core's table
    ss_model_t model;
    ss_model_defaults (&model);
    ss_mixture_t target;
    ss_mixture_defaults (&target, model.dim, model.lo, model.hi);
    s_assert_model_equal (&fleet->model, &model);
    assert_int_equal (fleet->target.count, target.count);
    for (int c = 0; c < target.count; c++) {
        assert_true (fleet->target.comp [c].weight == target.comp [c].weight);
        assert_true (fleet->target.comp [c].std == target.comp [c].std);
        for (int a = 0; a < model.dim; a++)
            assert_true (fleet->target.comp [c].mean [a] == target.comp [c].mean [a]);
    }
    //  Derived defaults, as their rows say
    assert_int_equal (fleet->n_edges, 0);
    assert_true (fleet->box_lo == model.lo);
    assert_true (fabs (fleet->box_hi - (model.lo + 0.3 * (model.hi - model.lo))) < 1e-15);
    for (int i = 0; i < fleet->count; i++) {
        assert_string_equal (fleet->agents [i].host, fleet->host);
        assert_int_equal (fleet->agents [i].port, fleet->base_port + i);
        for (int a = 0; a < model.dim; a++) {
            assert_true (fleet->agents [i].x0 [a] >= model.lo);
            assert_true (fleet->agents [i].x0 [a] <= model.hi);
        }
    }
    assert_string_equal (fleet->init_file, "");
    char expect [PATH_MAX + 16];
    snprintf (expect, sizeof expect, "%s/fleet.zpl", s_dir);
    assert_string_equal (fleet->path, expect);
    assert_string_equal (fleet->dir, s_dir);
    char shown [64];
    s_default_of ("security/keys", shown, sizeof shown);
    snprintf (expect, sizeof expect, "%s/%s", s_dir, shown);
    assert_string_equal (fleet->keys, expect);

    char err [256];
    ss_graph_t *graph = ss_fleet_graph (fleet, err, sizeof err);
    assert_non_null (graph);
    assert_int_equal (graph->n, fleet->count);
    for (int i = 0; i < fleet->count; i++)
        assert_int_equal (ss_graph_degree (graph, i), fleet->graph_degree);
    assert_true (ss_graph_has_edge (graph, 0, fleet->count - 1));
    assert_true (ss_graph_has_edge (graph, 0, 2));
    ss_graph_destroy (&graph);
    ss_fleet_destroy (&fleet);
    assert_null (fleet);
    ss_fleet_destroy (&fleet);      //  harmless
}

static const char *s_every_key =
    "#   every key, none at its default\n"
    "fleet\n"
    "    name = every.key-1\n"
    "    rounds = 0              #   until stopped\n"
    "    seed = 18446744073709551615\n"
    "    model\n"
    "        dim = 3\n"
    "        lo = -1\n"
    "        hi = 2\n"
    "        m = 4\n"
    "        ell = 0.2\n"
    "        h = 0\n"
    "        nq = 16\n"
    "        rho = 0.5\n"
    "        lambda = 0.25\n"
    "        alpha = 0.001\n"
    "        gamma = 0.5\n"
    "        vmax = 0.05\n"
    "    target\n"
    "        component\n"
    "            weight = 2\n"
    "            mean = \"-1 0.5 2\"\n"
    "            std = 0.3\n"
    "        component\n"
    "            weight = 1\n"
    "            mean = \"0 0 0\"\n"
    "            std = 0.2\n"
    "        component\n"
    "            weight = 1e-1\n"
    "            mean = '1.5   1.5 1.5'\n"
    "            std = 1\n"
    "    graph\n"
    "        kind = edges\n"
    "        degree = 6\n"
    "        radius = 0.75\n"
    "        edges = \"0-1 1-2 2-3 3-0 1-3\"\n"
    "    agents\n"
    "        count = 4\n"
    "        init = box\n"
    "        box_lo = 0.5\n"
    "        box_hi = 1.5\n"
    "        file = pos.csv\n"
    "        host = node-a\n"
    "        base_port = 9000\n"
    "        agent\n"
    "            id = 2\n"
    "            host = node-b\n"
    "            port = 9500\n"
    "            x = \"-1 0 2\"\n"
    "        agent\n"
    "            id = 3\n"
    "            port = 9600\n"
    "    coordinator\n"
    "        endpoint = tcp://10.0.0.1:5555\n"
    "        report_every = 7\n"
    "    security\n"
    "        curve = 0\n"
    "        keys = /etc/swarmshape/keys\n"
    "        state = ckpt\n"
    "    faults\n"
    "        heartbeat_ms = 100\n"
    "        round_timeout_ms = 300\n"
    "        lost_after_ms = 1000\n"
    "        checkpoint_every = 5\n";

static void
test_every_key (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_load_ok (s_every_key, NULL, 0);
    assert_string_equal (fleet->name, "every.key-1");
    assert_int_equal (fleet->rounds, 0);
    assert_true (fleet->seed == UINT64_MAX);
    const ss_model_t *m = &fleet->model;
    assert_int_equal (m->dim, 3);
    assert_true (m->lo == -1 && m->hi == 2);
    assert_int_equal (m->m, 4);
    assert_true (m->ell == 0.2 && m->h == 0);
    assert_int_equal (m->nq, 16);
    assert_true (m->rho == 0.5 && m->lambda == 0.25 && m->alpha == 0.001);
    assert_true (m->gamma == 0.5 && m->vmax == 0.05);

    const ss_mixture_t *t = &fleet->target;
    assert_int_equal (t->count, 3);
    assert_true (t->comp [0].weight == 2 && t->comp [0].std == 0.3);
    assert_true (t->comp [0].mean [0] == -1 && t->comp [0].mean [1] == 0.5
              && t->comp [0].mean [2] == 2);
    assert_true (t->comp [2].weight == 0.1 && t->comp [2].std == 1);
    assert_true (t->comp [2].mean [1] == 1.5);

    assert_int_equal (fleet->graph_kind, SS_GRAPH_EDGES);
    assert_int_equal (fleet->graph_degree, 6);
    assert_true (fleet->graph_radius == 0.75);
    assert_int_equal (fleet->n_edges, 5);
    int edges [] = { 0, 1, 1, 2, 2, 3, 3, 0, 1, 3 };
    assert_memory_equal (fleet->edges, edges, sizeof edges);

    assert_int_equal (fleet->count, 4);
    assert_int_equal (fleet->init, SS_INIT_BOX);
    assert_true (fleet->box_lo == 0.5 && fleet->box_hi == 1.5);
    char expect [PATH_MAX + 16];
    snprintf (expect, sizeof expect, "%s/pos.csv", s_dir);
    assert_string_equal (fleet->init_file, expect);
    assert_string_equal (fleet->host, "node-a");
    assert_int_equal (fleet->base_port, 9000);

    assert_string_equal (fleet->agents [0].host, "node-a");
    assert_int_equal (fleet->agents [0].port, 9000);
    assert_int_equal (fleet->agents [1].port, 9001);
    assert_string_equal (fleet->agents [2].host, "node-b");
    assert_int_equal (fleet->agents [2].port, 9500);
    assert_true (fleet->agents [2].x0 [0] == -1 && fleet->agents [2].x0 [1] == 0
              && fleet->agents [2].x0 [2] == 2);
    assert_string_equal (fleet->agents [3].host, "node-a");
    assert_int_equal (fleet->agents [3].port, 9600);
    for (int i = 0; i < 4; i++)
        if (i != 2)
            for (int a = 0; a < 3; a++) {
                assert_true (fleet->agents [i].x0 [a] >= 0.5);
                assert_true (fleet->agents [i].x0 [a] <= 1.5);
            }

    assert_string_equal (fleet->coordinator, "tcp://10.0.0.1:5555");
    assert_int_equal (fleet->report_every, 7);
    assert_false (fleet->curve);
    assert_string_equal (fleet->keys, "/etc/swarmshape/keys");
    snprintf (expect, sizeof expect, "%s/ckpt", s_dir);
    assert_string_equal (fleet->state_dir, expect);
    assert_int_equal (fleet->heartbeat_ms, 100);
    assert_int_equal (fleet->round_timeout_ms, 300);
    assert_int_equal (fleet->lost_after_ms, 1000);
    assert_int_equal (fleet->checkpoint_every, 5);

    char err [256];
    ss_graph_t *graph = ss_fleet_graph (fleet, err, sizeof err);
    assert_non_null (graph);
    assert_true (ss_graph_has_edge (graph, 3, 1));
    assert_false (ss_graph_has_edge (graph, 0, 2));
    ss_graph_destroy (&graph);
    ss_fleet_destroy (&fleet);
}

static void
test_overrides (void **state)
{
    (void) state;
    const char *sets [] = {
        "agents/count=200", "graph/kind=geometric", "fleet/model/dim=1",
        "/graph/radius=0.5", "name=over"
    };
    ss_fleet_t *fleet = s_load_ok (s_minimal, sets, 5);
    assert_int_equal (fleet->count, 200);
    assert_int_equal (fleet->graph_kind, SS_GRAPH_GEOMETRIC);
    assert_true (fleet->graph_radius == 0.5);
    assert_int_equal (fleet->model.dim, 1);
    assert_string_equal (fleet->name, "over");
    //  The faults section needs not be in the file
    const char *faults [] = { "faults/round_timeout_ms=300", "faults/lost_after_ms=1000" };
    ss_fleet_t *tuned = s_load_ok (s_minimal, faults, 2);
    assert_int_equal (tuned->round_timeout_ms, 300);
    assert_int_equal (tuned->lost_after_ms, 1000);
    assert_int_equal (tuned->heartbeat_ms, s_default_int ("faults/heartbeat_ms"));
    ss_fleet_destroy (&tuned);
    //  The default target follows the dimension
    ss_mixture_t target;
    ss_mixture_defaults (&target, 1, 0, 1);
    assert_int_equal (fleet->target.count, target.count);
    assert_true (fleet->target.comp [1].mean [0] == target.comp [1].mean [0]);
    assert_int_equal (fleet->agents [199].port, fleet->base_port + 199);
    char err [256];
    ss_graph_t *graph = ss_fleet_graph (fleet, err, sizeof err);
    assert_non_null (graph);
    assert_int_equal (graph->n, 200);
    ss_graph_destroy (&graph);
    ss_fleet_destroy (&fleet);

    //  An override replaces a value of the file
    const char *sets2 [] = { "model/ell=0.3" };
    fleet = s_load_ok ("fleet\n    model\n        ell = 0.2\n", sets2, 1);
    assert_true (fleet->model.ell == 0.3);
    ss_fleet_destroy (&fleet);

    //  A set without '=' (or an empty path)
    const char *bad [] = { "agents/count" };
    char err2 [256];
    assert_null (s_load (s_minimal, bad, 1, err2, sizeof err2));
    assert_string_equal (err2, "--set 'agents/count': expected PATH=VALUE");
    const char *empty [] = { "=3" };
    assert_null (s_load (s_minimal, empty, 1, err2, sizeof err2));
    assert_string_equal (err2, "--set '=3': expected PATH=VALUE");

    //  A set to an unknown key, or with a bad value, fails like the file
    const char *unknown [] = { "model/foo=1" };
    s_expect_error (s_minimal, unknown, 1, "fleet/model/foo", "unknown key");
    const char *unknown2 [] = { "fleet/nosuch/deeper=1" };
    s_expect_error (s_minimal, unknown2, 1, "fleet/nosuch", "unknown key");
    const char *badvalue [] = { "model/ell=abc" };
    s_expect_error (s_minimal, badvalue, 1, "fleet/model/ell",
                    "expected a number > 0, got 'abc'");
    const char *newline [] = { "name=a\nb" };
    s_expect_error (s_minimal, newline, 1, "fleet/name", "expected 1 to 63");
}

static void
test_file_errors (void **state)
{
    (void) state;
    char err [1024];
    char path [PATH_MAX + 16];
    snprintf (path, sizeof path, "%s/no-such.zpl", s_dir);
    assert_null (ss_fleet_load (path, NULL, 0, err, sizeof err));
    char expect [PATH_MAX + 128];
    snprintf (expect, sizeof expect,
              "%s: cannot read file (No such file or directory)", path);
    assert_string_equal (err, expect);

    //  A directory
    assert_null (ss_fleet_load (s_dir, NULL, 0, err, sizeof err));
    assert_non_null (strstr (err, "cannot read file"));

    //  Syntax: 3-space indent, an unterminated quote
    const char *bad [] = {
        "fleet\n   name = x\n",
        "fleet\n    name = \"x\n",
        "fleet\n    name = \"x\" junk\n",
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad [0]; b++) {
        snprintf (path, sizeof path, "%s", s_write ("syntax.zpl", bad [b]));
        assert_null (ss_fleet_load (path, NULL, 0, err, sizeof err));
        snprintf (expect, sizeof expect, "%s: syntax error (not valid ZPL)", path);
        assert_string_equal (err, expect);
    }
    //  No fleet section, something else at the top level, empty file
    s_expect_error ("", NULL, 0, "fleet", "missing section");
    s_expect_error ("# just a comment\n", NULL, 0, "fleet", "missing section");
    s_expect_error ("fleet\n    name = x\nother\n", NULL, 0, "other", "unknown key");
    s_expect_error ("fleet\nfleet\n", NULL, 0, "fleet", "duplicate key");
    //  A small err buffer is cut, never overrun
    char small [8];
    assert_null (ss_fleet_load (path, NULL, 0, small, sizeof small));
    assert_int_equal (strlen (small), 7);
    assert_null (ss_fleet_load (path, NULL, 0, NULL, 0));
}

static void
test_unknown_keys (void **state)
{
    (void) state;
    s_expect_key_error (NULL, "foo = 1", "fleet/foo", "unknown key");
    s_expect_key_error (NULL, "plugins", "fleet/plugins", "unknown key");
    s_expect_key_error ("model", "foo = 1", "fleet/model/foo", "unknown key");
    s_expect_key_error ("graph", "kinds = ring", "fleet/graph/kinds", "unknown key");
    s_expect_key_error ("agents", "number = 3", "fleet/agents/number", "unknown key");
    s_expect_key_error ("coordinator", "bind = x", "fleet/coordinator/bind",
                        "unknown key");
    s_expect_key_error ("security", "cert = x", "fleet/security/cert", "unknown key");
    s_expect_key_error ("target", "weight = 1", "fleet/target/weight", "unknown key");
    s_expect_error ("fleet\n    target\n        component\n            weight = 1\n"
                    "            mean = \"0.5 0.5\"\n            std = 0.1\n"
                    "            shape = round\n",
                    NULL, 0, "fleet/target/component/shape", "unknown key");
    s_expect_error ("fleet\n    agents\n        agent\n            id = 1\n"
                    "            speed = 2\n",
                    NULL, 0, "fleet/agents/agent/speed", "unknown key");
    //  A child under a leaf, a value on a section, a duplicate
    s_expect_error ("fleet\n    name = x\n        sub = 1\n", NULL, 0,
                    "fleet/name/sub", "unknown key");
    s_expect_error ("fleet\n    model = 3\n", NULL, 0, "fleet/model",
                    "expected a section, got a value '3'");
    s_expect_error ("fleet\n    model\n        ell = 0.1\n        ell = 0.2\n",
                    NULL, 0, "fleet/model/ell", "duplicate key");
    s_expect_error ("fleet\n    model\n    model\n", NULL, 0, "fleet/model",
                    "duplicate key");
}

static void
test_bad_numbers (void **state)
{
    (void) state;
    char err [1024];
    //  The brief's exact example line
    ss_fleet_t *fleet = s_load ("fleet\n    model\n        ell = abc\n",
                                NULL, 0, err, sizeof err);
    assert_null (fleet);
    char expect [PATH_MAX + 128];
    snprintf (expect, sizeof expect,
              "%s/fleet.zpl: fleet/model/ell: expected a number > 0, got 'abc'",
              s_dir);
    assert_string_equal (err, expect);

    const char *bad [] = { "abc", "1e999", "", "3x", "nan", "inf", "0x", "1 2",
                           "-0.1", "0" };
    for (size_t b = 0; b < sizeof bad / sizeof bad [0]; b++) {
        char line [64], phrase [64];
        snprintf (line, sizeof line, "ell = \"%s\"", bad [b]);
        snprintf (phrase, sizeof phrase, "expected a number > 0, got '%s'", bad [b]);
        s_expect_key_error ("model", line, "fleet/model/ell", phrase);
    }
    s_expect_key_error ("model", "ell", "fleet/model/ell", "got ''");
    s_expect_key_error ("model", "lo = 1e999", "fleet/model/lo", "expected a number");
    s_expect_key_error ("model", "h = -1", "fleet/model/h", "expected a number >= 0");
    s_expect_key_error ("model", "lambda = x", "fleet/model/lambda", ">= 0");
    s_expect_key_error ("model", "rho = 0", "fleet/model/rho", "> 0");
    s_expect_key_error ("model", "alpha = -1", "fleet/model/alpha", "> 0");
    s_expect_key_error ("model", "gamma = 3x", "fleet/model/gamma", "> 0");
    s_expect_key_error ("model", "vmax = ''", "fleet/model/vmax", "> 0");
    //  Integers
    s_expect_key_error ("model", "dim = 4", "fleet/model/dim",
                        "expected an integer in 1..3, got '4'");
    s_expect_key_error ("model", "dim = 2.0", "fleet/model/dim", "got '2.0'");
    s_expect_key_error ("model", "dim = 0", "fleet/model/dim", "1..3");
    s_expect_key_error ("model", "m = 0", "fleet/model/m", "got '0'");
    s_expect_key_error ("model", "nq = 1", "fleet/model/nq", "got '1'");
    s_expect_key_error (NULL, "rounds = -1", "fleet/rounds",
                        "expected an integer >= 0, got '-1'");
    s_expect_key_error (NULL, "rounds = 1.5", "fleet/rounds", "got '1.5'");
    s_expect_key_error (NULL, "rounds = 99999999999999999999", "fleet/rounds",
                        "expected an integer");
    s_expect_key_error (NULL, "seed = -1", "fleet/seed", "got '-1'");
    s_expect_key_error (NULL, "seed = 18446744073709551616", "fleet/seed",
                        "expected an integer");
    s_expect_key_error (NULL, "seed = 1e3", "fleet/seed", "got '1e3'");
}

static void
test_out_of_range (void **state)
{
    (void) state;
    s_expect_key_error ("model", "hi = 0", "fleet/model/hi", "> lo");
    s_expect_key_error ("model", "lo = 1", "fleet/model/lo", "< hi");
    //  ss_model_check's message, with its key
    s_expect_key_error ("model", "m = 40", "fleet/model/m", "m^dim <= 1024");
    s_expect_error ("fleet\n    model\n        dim = 3\n        nq = 100\n",
                    NULL, 0, "fleet/model/nq", "nq^dim");
    s_expect_key_error ("agents", "count = 0", "fleet/agents/count", "1..100000");
    s_expect_key_error ("agents", "count = 100001", "fleet/agents/count",
                        "1..100000");
    s_expect_key_error ("agents", "init = grid", "fleet/agents/init",
                        "unknown init 'grid' (uniform, box, file)");
    s_expect_key_error ("agents", "base_port = 0", "fleet/agents/base_port",
                        "1..65535");
    s_expect_key_error ("agents", "base_port = 70000", "fleet/agents/base_port",
                        "1..65535");
    s_expect_key_error ("agents", "host = \"a b\"", "fleet/agents/host", "got 'a b'");
    s_expect_key_error ("agents", "host = ''", "fleet/agents/host", "host name");
    s_expect_key_error ("agents", "box_hi = 2", "fleet/agents/box_hi", "[lo, hi]");
    s_expect_key_error ("agents", "box_lo = -0.5", "fleet/agents/box_lo", "[lo, hi]");
    s_expect_key_error ("agents", "box_lo = 0.5", "fleet/agents/box_hi",
                        "> box_lo");
    s_expect_key_error ("coordinator", "report_every = 0",
                        "fleet/coordinator/report_every", "got '0'");
    s_expect_key_error ("coordinator", "endpoint = localhost",
                        "fleet/coordinator/endpoint", "tcp://127.0.0.1:7099");
    s_expect_key_error ("security", "curve = 2", "fleet/security/curve", "0..1");
    s_expect_key_error ("security", "curve = yes", "fleet/security/curve", "'yes'");
    s_expect_key_error ("security", "keys = ''", "fleet/security/keys", "directory");
    s_expect_key_error ("faults", "heartbeat_ms = 0", "fleet/faults/heartbeat_ms",
                        "got '0'");
    s_expect_key_error ("faults", "round_timeout_ms = -5",
                        "fleet/faults/round_timeout_ms", "got '-5'");
    s_expect_key_error ("faults", "lost_after_ms = soon",
                        "fleet/faults/lost_after_ms", "'soon'");
    s_expect_key_error ("faults", "checkpoint_every = 0",
                        "fleet/faults/checkpoint_every", "got '0'");
    s_expect_key_error ("faults", "settle_rounds = -1",
                        "fleet/faults/settle_rounds", "got '-1'");
    s_expect_key_error ("faults", "lost_after_ms = 200",
                        "fleet/faults/lost_after_ms", "larger than heartbeat_ms");
    s_expect_key_error ("faults", "retries = 3", "fleet/faults/retries",
                        "unknown key");
    s_expect_error ("fleet\n    name = \"my fleet\"\n", NULL, 0, "fleet/name",
                    "got 'my fleet'");
    s_expect_error ("fleet\n    name = ''\n", NULL, 0, "fleet/name", "got ''");
    s_expect_error ("fleet\n    name = abcdefghijabcdefghijabcdefghijabcdefghij"
                    "abcdefghijabcdefghijabcd\n", NULL, 0, "fleet/name",
                    "expected 1 to 63 characters");
}

static void
test_graph_options (void **state)
{
    (void) state;
    s_expect_key_error ("graph", "kind = star", "fleet/graph/kind",
                        "unknown graph kind 'star' (ring, grid, geometric, "
                        "complete, edges)");
    s_expect_key_error ("graph", "degree = 3", "fleet/graph/degree", "even");
    s_expect_key_error ("graph", "degree = 0", "fleet/graph/degree", "even degree >= 2");
    s_expect_key_error ("graph", "degree = 50", "fleet/graph/degree",
                        "< agents/count (50)");
    s_expect_error ("fleet\n    agents\n        count = 3\n", NULL, 0,
                    "fleet/graph/degree", "< agents/count (3), got 4");
    s_expect_error ("fleet\n    agents\n        count = 2\n    graph\n"
                    "        degree = 2\n", NULL, 0, "fleet/graph/degree",
                    "< agents/count (2), got 2");
    const char *small_ring [] = { "agents/count=3", "graph/degree=2" };
    ss_fleet_t *ring = s_load_ok (s_minimal, small_ring, 2);
    ss_fleet_destroy (&ring);
    s_expect_key_error ("graph", "degree = -2", "fleet/graph/degree", "got '-2'");
    s_expect_key_error ("graph", "radius = 0", "fleet/graph/radius", "> 0");
    s_expect_key_error ("graph", "kind = edges", "fleet/graph/edges",
                        "missing (required when kind = edges)");
    s_expect_key_error ("graph", "edges = \"0-1 1-50\"", "fleet/graph/edges",
                        "out of range");
    s_expect_key_error ("graph", "edges = \"0-1 1-\"", "fleet/graph/edges",
                        "got '1-'");
    s_expect_key_error ("graph", "edges = \"0-\"", "fleet/graph/edges",
                        "expected pairs");
    s_expect_key_error ("graph", "edges = \"-1-2\"", "fleet/graph/edges",
                        "expected pairs");
    s_expect_key_error ("graph", "edges = \"a-b\"", "fleet/graph/edges",
                        "expected pairs");
    s_expect_key_error ("graph", "edges = \"1-2-3\"", "fleet/graph/edges",
                        "expected pairs");
    s_expect_key_error ("graph", "edges = \"3-3\"", "fleet/graph/edges", "itself");

    //  Every kind builds on a small fleet
    const char *kinds [] = { "ring", "grid", "geometric", "complete" };
    for (int k = 0; k < 4; k++) {
        char set [64];
        snprintf (set, sizeof set, "graph/kind=%s", kinds [k]);
        const char *sets [] = { set, "graph/radius=2" };
        ss_fleet_t *fleet = s_load_ok (s_minimal, sets, 2);
        char err [256];
        ss_graph_t *graph = ss_fleet_graph (fleet, err, sizeof err);
        assert_non_null (graph);
        assert_int_equal (graph->n, s_default_int ("agents/count"));
        ss_graph_destroy (&graph);
        ss_fleet_destroy (&fleet);
    }
    //  One agent: a graph without edges, whatever the kind
    for (int k = 0; k < 4; k++) {
        char set [64];
        snprintf (set, sizeof set, "graph/kind=%s", kinds [k]);
        const char *sets [] = { set, "agents/count=1" };
        ss_fleet_t *fleet = s_load_ok (s_minimal, sets, 2);
        char err [256];
        ss_graph_t *graph = ss_fleet_graph (fleet, err, sizeof err);
        assert_non_null (graph);
        assert_int_equal (graph->n, 1);
        assert_int_equal (ss_graph_degree (graph, 0), 0);
        ss_graph_destroy (&graph);
        ss_fleet_destroy (&fleet);
    }
}

static void
test_not_connected (void **state)
{
    (void) state;
    const char *sets [] = { "graph/kind=geometric", "graph/radius=0.001" };
    ss_fleet_t *fleet = s_load_ok (s_minimal, sets, 2);
    char err [512];
    assert_null (ss_fleet_graph (fleet, err, sizeof err));
    char expect [PATH_MAX + 256];
    snprintf (expect, sizeof expect, "%s/fleet.zpl: fleet/graph: the graph is not "
              "connected (kind geometric, radius 0.001); raise radius or choose "
              "another kind", s_dir);
    assert_string_equal (err, expect);
    ss_fleet_destroy (&fleet);

    const char *sets2 [] = { "graph/kind=edges", "graph/edges=0-1 2-3",
                             "agents/count=4" };
    fleet = s_load_ok (s_minimal, sets2, 3);
    assert_null (ss_fleet_graph (fleet, err, sizeof err));
    s_assert_error (err, "fleet/graph", "the graph is not connected (kind edges");
    ss_fleet_destroy (&fleet);
}

static void
test_init_file (void **state)
{
    (void) state;
    s_write ("good.csv", "id,x1,x2\n1,0.5,0.25\n0,0,1\n2,1e-3,0.75\n");
    const char *fleet_text =
        "fleet\n    graph\n        kind = complete\n"
        "    agents\n        count = 3\n        init = file\n"
        "        file = good.csv\n";
    ss_fleet_t *fleet = s_load_ok (fleet_text, NULL, 0);
    assert_int_equal (fleet->init, SS_INIT_FILE);
    assert_true (fleet->agents [0].x0 [0] == 0 && fleet->agents [0].x0 [1] == 1);
    assert_true (fleet->agents [1].x0 [0] == 0.5 && fleet->agents [1].x0 [1] == 0.25);
    assert_true (fleet->agents [2].x0 [0] == 1e-3 && fleet->agents [2].x0 [1] == 0.75);
    double x [6];
    ss_fleet_positions (fleet, x);
    assert_true (x [2] == 0.5 && x [5] == 0.75);
    ss_fleet_destroy (&fleet);

    //  An agent override replaces a row
    const char *sets [] = { "agents/agent/id=1", "agents/agent/x=0.9 0.1" };
    fleet = s_load_ok (fleet_text, sets, 2);
    assert_true (fleet->agents [1].x0 [0] == 0.9 && fleet->agents [1].x0 [1] == 0.1);
    ss_fleet_destroy (&fleet);

    //  CRLF line ends are fine
    s_write ("good.csv", "id,x1,x2\r\n0,0,1\r\n1,0.5,0.25\r\n2,1,1\r\n");
    fleet = s_load_ok (fleet_text, NULL, 0);
    ss_fleet_destroy (&fleet);

    struct { const char *csv; const char *phrase; } bad [] = {
        { "id,x1,x2\n0,0,1\n1,0.5,0.5\n", "2 rows, expected one per agent" },
        { "id,x1,x2\n0,0,1\n1,0.5,0.5\n2,0,0\n3,0,0\n", "good.csv:5: more rows" },
        { "id,x,y\n0,0,1\n1,0.5,0.5\n2,0,0\n", "good.csv:1: expected the header 'id,x1,x2'" },
        { "id,x1\n0,0\n1,0.5\n2,0\n", "expected the header" },
        { "id,x1,x2\n0,0,1\n1,0.5,1.5\n2,0,0\n", "good.csv:3: x2 = 1.5 is outside the box" },
        { "id,x1,x2\n0,0,1\n1,0.5,abc\n2,0,0\n", "good.csv:3: expected 'id,x1,x2'" },
        { "id,x1,x2\n0,0,1\n1,0.5\n2,0,0\n", "good.csv:3:" },
        { "id,x1,x2\n0,0,1\n1,0.5,0.5,0.5\n2,0,0\n", "good.csv:3:" },
        { "id,x1,x2\n0,0,1\n0,0.5,0.5\n2,0,0\n", "good.csv:3: agent 0 is given twice" },
        { "id,x1,x2\n0,0,1\n3,0.5,0.5\n2,0,0\n", "good.csv:3: agent id 3 is out of range" },
        { "id,x1,x2\n0,0,1\n\n1,0,0\n2,0,0\n", "good.csv:3:" },
        { "", "empty file" },
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad [0]; b++) {
        s_write ("good.csv", bad [b].csv);
        s_expect_error (fleet_text, NULL, 0, "fleet/agents/file", bad [b].phrase);
    }
    s_expect_error ("fleet\n    agents\n        init = file\n", NULL, 0,
                    "fleet/agents/file", "missing (required when init = file)");
    s_expect_error ("fleet\n    agents\n        init = file\n"
                    "        file = nothere.csv\n", NULL, 0, "fleet/agents/file",
                    "nothere.csv: cannot read file (No such file or directory)");
}

static void
test_init_box_and_uniform (void **state)
{
    (void) state;
    const char *sets [] = { "agents/init=box", "agents/count=500" };
    ss_fleet_t *fleet = s_load_ok (s_minimal, sets, 2);
    for (int i = 0; i < 500; i++)
        for (int a = 0; a < 2; a++) {
            assert_true (fleet->agents [i].x0 [a] >= fleet->box_lo);
            assert_true (fleet->agents [i].x0 [a] <= fleet->box_hi);
        }
    ss_fleet_destroy (&fleet);

    //  Same seed, same positions; another seed, other positions; all in D
    const char *text = "fleet\n    model\n        lo = -2\n        hi = 3\n";
    const char *seed1 [] = { "seed=7" };
    const char *seed2 [] = { "seed=8" };
    ss_fleet_t *a = s_load_ok (text, seed1, 1);
    ss_fleet_t *b = s_load_ok (text, seed1, 1);
    ss_fleet_t *c = s_load_ok (text, seed2, 1);
    double xa [100], xb [100], xc [100];
    ss_fleet_positions (a, xa);
    ss_fleet_positions (b, xb);
    ss_fleet_positions (c, xc);
    assert_memory_equal (xa, xb, sizeof xa);
    assert_memory_not_equal (xa, xc, sizeof xa);
    double lo = 1e9, hi = -1e9;
    for (int i = 0; i < 100; i++) {
        assert_true (xa [i] >= -2 && xa [i] < 3);
        assert_true (xc [i] >= -2 && xc [i] < 3);
        lo = fmin (lo, xa [i]);
        hi = fmax (hi, xa [i]);
    }
    assert_true (lo < -1.5 && hi > 2.5);       //  spread over D
    //  Documented draw order: agent 0's coordinates first
    ss_rng_t rng;
    ss_rng_seed (&rng, 7);
    for (int k = 0; k < 100; k++)
        assert_true (xa [k] == -2 + 5 * ss_rng_uniform (&rng));
    ss_fleet_destroy (&a);
    ss_fleet_destroy (&b);
    ss_fleet_destroy (&c);
}

static void
test_agent_overrides (void **state)
{
    (void) state;
    const char *text =
        "fleet\n    agents\n        count = 5\n        host = h0\n"
        "        agent\n            id = 4\n            x = \"0.125 0.875\"\n"
        "        agent\n            id = 1\n            host = h1\n"
        "            port = 8000\n";
    ss_fleet_t *fleet = s_load_ok (text, NULL, 0);
    assert_true (fleet->agents [4].x0 [0] == 0.125 && fleet->agents [4].x0 [1] == 0.875);
    assert_string_equal (fleet->agents [4].host, "h0");
    assert_int_equal (fleet->agents [4].port, fleet->base_port + 4);
    assert_string_equal (fleet->agents [1].host, "h1");
    assert_int_equal (fleet->agents [1].port, 8000);
    assert_string_equal (fleet->agents [2].host, "h0");
    assert_int_equal (fleet->agents [2].port, fleet->base_port + 2);
    ss_fleet_destroy (&fleet);

    //  An agent's own port lifts the base_port + id limit
    fleet = s_load_ok ("fleet\n    graph\n        kind = complete\n"
                       "    agents\n        count = 2\n"
                       "        base_port = 65535\n        agent\n"
                       "            id = 1\n            port = 7000\n", NULL, 0);
    assert_int_equal (fleet->agents [0].port, 65535);
    ss_fleet_destroy (&fleet);

    const char *agent = "fleet\n    agents\n        count = 5\n        agent\n";
    char file [512];
    struct { const char *lines; const char *key; const char *phrase; } bad [] = {
        { "            host = h\n", "fleet/agents/agent/id", "missing" },
        { "            id = 5\n", "fleet/agents/agent/id", "0..4" },
        { "            id = x\n", "fleet/agents/agent/id", "got 'x'" },
        { "            id = 1\n            port = 0\n", "fleet/agents/agent/port", "1..65535" },
        { "            id = 1\n            port = 65536\n", "fleet/agents/agent/port", "1..65535" },
        { "            id = 1\n            x = \"0.5\"\n", "fleet/agents/agent/x",
          "expected 2 numbers in [0, 1], got '0.5' (agent 1)" },
        { "            id = 1\n            x = \"0.5 0.5 0.5\"\n", "fleet/agents/agent/x", "2 numbers" },
        { "            id = 1\n            x = \"0.5 1.5\"\n", "fleet/agents/agent/x", "[0, 1]" },
        { "            id = 1\n            x = \"0.5 abc\"\n", "fleet/agents/agent/x", "got '0.5 abc'" },
        { "            id = 1\n            host = \"\"\n", "fleet/agents/agent/host", "host name" },
        { "            id = 1\n        agent\n            id = 1\n", "fleet/agents/agent/id",
          "agent 1 is given twice" },
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad [0]; b++) {
        snprintf (file, sizeof file, "%s%s", agent, bad [b].lines);
        s_expect_error (file, NULL, 0, bad [b].key, bad [b].phrase);
    }
}

static void
test_target (void **state)
{
    (void) state;
    const char *comp = "fleet\n    target\n        component\n";
    char file [1024];
    struct { const char *lines; const char *key; const char *phrase; } bad [] = {
        { "            mean = \"0.5 0.5\"\n            std = 0.1\n",
          "fleet/target/component/weight", "missing" },
        { "            weight = 1\n            std = 0.1\n",
          "fleet/target/component/mean", "missing" },
        { "            weight = 1\n            mean = \"0.5 0.5\"\n",
          "fleet/target/component/std", "missing" },
        { "            weight = 0\n            mean = \"0.5 0.5\"\n            std = 0.1\n",
          "fleet/target/component/weight", "expected a number > 0, got '0'" },
        { "            weight = 1\n            mean = \"0.5 0.5\"\n            std = -1\n",
          "fleet/target/component/std", "expected a number > 0, got '-1'" },
        { "            weight = 1\n            mean = \"0.5\"\n            std = 0.1\n",
          "fleet/target/component/mean", "expected 2 numbers in [0, 1], got '0.5'" },
        { "            weight = 1\n            mean = \"0.5 1.01\"\n            std = 0.1\n",
          "fleet/target/component/mean", "[0, 1]" },
        { "            weight = 1\n            mean = \"0.5 0.5x\"\n            std = 0.1\n",
          "fleet/target/component/mean", "got '0.5 0.5x'" },
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad [0]; b++) {
        snprintf (file, sizeof file, "%s%s", comp, bad [b].lines);
        s_expect_error (file, NULL, 0, bad [b].key, bad [b].phrase);
    }
    //  Too many components
    char many [8192];
    size_t len = (size_t) snprintf (many, sizeof many, "fleet\n    target\n");
    for (int c = 0; c < SS_MAX_COMPONENTS + 1; c++)
        len += (size_t) snprintf (many + len, sizeof many - len,
                                  "        component\n            weight = 1\n"
                                  "            mean = \"0.5 0.5\"\n"
                                  "            std = 0.1\n");
    s_expect_error (many, NULL, 0, "fleet/target/component", "at most 16");
}

static void
test_fleet_id (void **state)
{
    (void) state;
    const char *text =
        "fleet\n    name = idtest\n    target\n        component\n"
        "            weight = 1\n            mean = \"0.5 0.5\"\n"
        "            std = 0.1\n";
    ss_fleet_t *base = s_load_ok (text, NULL, 0);
    uint64_t id = ss_fleet_id (base);
    ss_fleet_t *same = s_load_ok (text, NULL, 0);
    assert_true (ss_fleet_id (same) == id);
    ss_fleet_destroy (&same);

    //  The target, the hosts, the ports and the coordinator do not count
    const char *ignored [] = {
        "target/component/mean=0.2 0.3", "target/component/std=0.3",
        "agents/host=elsewhere", "agents/base_port=9000",
        "coordinator/report_every=3", "rounds=5",
        "faults/heartbeat_ms=100", "faults/round_timeout_ms=300",
        "faults/lost_after_ms=1000", "faults/checkpoint_every=7"
    };
    for (size_t s = 0; s < sizeof ignored / sizeof ignored [0]; s++) {
        ss_fleet_t *other = s_load_ok (text, &ignored [s], 1);
        assert_true (ss_fleet_id (other) == id);
        ss_fleet_destroy (&other);
    }
    //  The name, the count, the seed, every model value and the graph do
    const char *changed [] = {
        "name=idtest2", "agents/count=51", "seed=2", "model/dim=3",
        "model/lo=-0.5", "model/hi=2", "model/m=6", "model/ell=0.16",
        "model/h=0.06", "model/nq=33", "model/rho=0.02", "model/lambda=0.1",
        "model/alpha=0.003", "model/gamma=0.9", "model/vmax=0.03",
        "graph/kind=complete", "graph/degree=6", "graph/radius=0.4",
    };
    for (size_t s = 0; s < sizeof changed / sizeof changed [0]; s++) {
        const char *sets [] = { changed [s], "target/component/mean=0.5 0.5 0.5" };
        ss_fleet_t *other = s_load_ok (text, sets,
                                       strstr (changed [s], "dim=3")? 2: 1);
        if (ss_fleet_id (other) == id)
            print_error ("fleet id unchanged by %s\n", changed [s]);
        assert_true (ss_fleet_id (other) != id);
        ss_fleet_destroy (&other);
    }
    const char *edges1 [] = { "graph/kind=edges", "graph/edges=0-1 1-2",
                              "agents/count=3" };
    const char *edges2 [] = { "graph/kind=edges", "graph/edges=0-1 0-2",
                              "agents/count=3" };
    ss_fleet_t *e1 = s_load_ok (text, edges1, 3);
    ss_fleet_t *e2 = s_load_ok (text, edges2, 3);
    assert_true (ss_fleet_id (e1) != ss_fleet_id (e2));
    ss_fleet_destroy (&e1);
    ss_fleet_destroy (&e2);
    ss_fleet_destroy (&base);
}

static void
test_load_target (void **state)
{
    (void) state;
    ss_model_t model;
    ss_model_defaults (&model);
    ss_mixture_t target;
    memset (&target, 0, sizeof target);
    char err [1024];
    char path [PATH_MAX + 16];

    snprintf (path, sizeof path, "%s", s_write ("target.zpl",
              "#   a new target\n"
              "target\n    component\n        weight = 1\n"
              "        mean = \"0.1 0.9\"\n        std = 0.05\n"
              "    component\n        weight = 3\n"
              "        mean = \"0.9 0.1\"\n        std = 0.2\n"));
    assert_int_equal (ss_fleet_load_target (path, &model, &target, err, sizeof err), 0);
    assert_int_equal (target.count, 2);
    assert_true (target.comp [0].mean [1] == 0.9 && target.comp [1].weight == 3);
    assert_true (target.comp [1].std == 0.2);

    //  A fleet file's target is read too
    snprintf (path, sizeof path, "%s", s_write ("target.zpl",
              "fleet\n    name = other\n    target\n        component\n"
              "            weight = 1\n            mean = \"0.3 0.3\"\n"
              "            std = 0.1\n"));
    assert_int_equal (ss_fleet_load_target (path, &model, &target, err, sizeof err), 0);
    assert_int_equal (target.count, 1);
    assert_true (target.comp [0].mean [0] == 0.3);

    //  Errors leave the target unchanged
    ss_mixture_t before = target;
    struct { const char *text; const char *phrase; } bad [] = {
        { "target\n    component\n        weight = 1\n        mean = \"0.3\"\n"
          "        std = 0.1\n", ": target/component/mean: expected 2 numbers" },
        { "target\n    component\n        weight = 1\n        mean = \"0.3 0.3\"\n"
          "        std = 0.1\n        colour = red\n",
          ": target/component/colour: unknown key" },
        { "target\n    weight = 1\n", ": target/weight: unknown key" },
        { "fleet\n    target\n        component\n            std = 0.1\n",
          ": fleet/target/component/weight: missing" },
        { "fleet\n    name = x\n", ": fleet/target: missing section" },
        { "targets\n", ": targets: unknown key" },
        { "", ": target: missing section" },
        { "target\n  component\n", ": syntax error (not valid ZPL)" },
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad [0]; b++) {
        snprintf (path, sizeof path, "%s", s_write ("target.zpl", bad [b].text));
        assert_int_equal (ss_fleet_load_target (path, &model, &target,
                                                err, sizeof err), -1);
        assert_int_equal (strncmp (err, path, strlen (path)), 0);
        if (!strstr (err, bad [b].phrase))
            print_error ("expected '%s' in '%s'\n", bad [b].phrase, err);
        assert_non_null (strstr (err, bad [b].phrase));
        assert_null (strchr (err, '\n'));
        assert_memory_equal (&target, &before, sizeof target);
    }
    snprintf (path, sizeof path, "%s/none.zpl", s_dir);
    assert_int_equal (ss_fleet_load_target (path, &model, &target, err, sizeof err), -1);
    assert_non_null (strstr (err, "cannot read file (No such file or directory)"));
}

static char *s_slurp (const char *path);

//  target/image: a picture as the fleet's target, and pictures as target
//  files
static void
test_image_target (void **state)
{
    (void) state;
    char err [2048], path [PATH_MAX + 16], sub [PATH_MAX];
    //  4 x 4, the top-left quarter black
    s_write ("pic.pgm", "P2 4 4 255\n0 0 255 255\n0 0 255 255\n"
                        "255 255 255 255\n255 255 255 255\n");
    ss_fleet_t *fleet = s_load_ok ("fleet\n    target\n        image = pic.pgm\n",
                                   NULL, 0);
    snprintf (path, sizeof path, "%s/pic.pgm", s_dir);
    assert_string_equal (fleet->target_image, path);
    assert_int_equal (fleet->target.count, 0);
    assert_int_equal (fleet->target.cells, 32 * 32);
    //  Row 0 of the picture is y = hi: the cell at x = lo, y = hi is dark
    assert_int_equal (fleet->target.level [31 * 32 + 0], 255);
    assert_int_equal (fleet->target.level [0], 0);
    assert_int_equal (fleet->target.level [31 * 32 + 31], 0);
    char value [PATH_MAX];
    assert_int_equal (ss_fleet_get (fleet, "target/image", value, sizeof value), 0);
    assert_string_equal (value, "pic.pgm");
    //  Written and read back: the same fleet, the image relative
    snprintf (path, sizeof path, "%s/back.zpl", s_dir);
    assert_int_equal (ss_fleet_write (fleet, path, err, sizeof err), 0);
    char *text = s_slurp (path);
    assert_non_null (strstr (text, "        image = pic.pgm\n"));
    free (text);
    ss_fleet_t *back = ss_fleet_load (path, NULL, 0, err, sizeof err);
    assert_non_null (back);
    assert_null (ss_fleet_diff (fleet, back));
    //  The grid is compared, not only the name
    back->target.level [5] = 9;
    assert_string_equal (ss_fleet_diff (fleet, back), "target/image");
    ss_fleet_destroy (&back);
    ss_fleet_destroy (&fleet);

    //  With components: the image wins, the components are kept
    fleet = s_load_ok ("fleet\n    target\n        component\n            weight = 1\n"
                       "            mean = \"0.5 0.5\"\n            std = 0.1\n"
                       "        image = pic.pgm\n", NULL, 0);
    assert_int_equal (fleet->target.count, 1);
    assert_int_equal (fleet->target.cells, 1024);
    ss_fleet_destroy (&fleet);
    //  From --set, over the default mixture
    const char *sets [] = { "target/image=pic.pgm" };
    fleet = s_load_ok ("fleet\n", sets, 1);
    assert_int_equal (fleet->target.cells, 1024);
    assert_int_equal (fleet->target.count, 0);
    ss_fleet_destroy (&fleet);
    //  Without: no grid
    fleet = s_load_ok ("fleet\n", NULL, 0);
    assert_int_equal (fleet->target.cells, 0);
    assert_string_equal (fleet->target_image, "");
    ss_fleet_destroy (&fleet);

    //  Errors: "FILE: fleet/target/image: PICTURE: problem"
    snprintf (path, sizeof path, "%s/pic.pgm: an image target needs model/dim = 2, got 3",
              s_dir);
    s_expect_error ("fleet\n    model\n        dim = 3\n    target\n        image = pic.pgm\n",
                    NULL, 0, "fleet/target/image", path);
    s_expect_error ("fleet\n    model\n        nq = 200\n    target\n        image = pic.pgm\n",
                    NULL, 0, "fleet/target/image", "(nq <= 181), got nq = 200");
    s_expect_error ("fleet\n    target\n        image = none.png\n", NULL, 0,
                    "fleet/target/image", "none.png: cannot read file (No such file");
    s_write ("white.pgm", "P2 1 1 255 255\n");
    s_expect_error ("fleet\n    target\n        image = white.pgm\n", NULL, 0,
                    "fleet/target/image", "white.pgm: the picture is white everywhere");
    s_write ("bad.png", "not a picture\n");
    s_expect_error ("fleet\n    target\n        image = bad.png\n", NULL, 0,
                    "fleet/target/image", "bad.png: not a PGM (P2, P5) or PNG image");
    s_expect_error ("fleet\n    target\n        image = \n", NULL, 0,
                    "fleet/target/image", "expected a file name");

    //  Target files: a picture by name, by content, or named in ZPL
    //  (relative to that file)
    ss_model_t model;
    ss_model_defaults (&model);
    ss_mixture_t *target = calloc (1, sizeof (ss_mixture_t));
    snprintf (path, sizeof path, "%s/pic.pgm", s_dir);
    assert_int_equal (ss_fleet_load_target (path, &model, target, err, sizeof err), 0);
    assert_int_equal (target->cells, 1024);
    assert_int_equal (target->count, 0);
    assert_int_equal (target->level [31 * 32], 255);
    memset (target, 0, sizeof *target);
    snprintf (path, sizeof path, "%s", s_write ("picture.bin", "P2 1 1 255 0\n"));
    assert_int_equal (ss_fleet_load_target (path, &model, target, err, sizeof err), 0);
    assert_int_equal (target->cells, 1024);
    snprintf (sub, sizeof sub, "%s/tsub", s_dir);
    assert_int_equal (mkdir (sub, 0755), 0);
    s_write ("tsub/t.zpl", "target\n    image = ../pic.pgm\n");
    snprintf (path, sizeof path, "%s/tsub/t.zpl", s_dir);
    memset (target, 0, sizeof *target);
    assert_int_equal (ss_fleet_load_target (path, &model, target, err, sizeof err), 0);
    assert_int_equal (target->cells, 1024);
    assert_int_equal (target->level [31 * 32], 255);
    s_write ("tsub/f.zpl", "fleet\n    target\n        image = ../pic.pgm\n"
                           "        component\n            weight = 1\n"
                           "            mean = \"0.5 0.5\"\n            std = 0.1\n");
    snprintf (path, sizeof path, "%s/tsub/f.zpl", s_dir);
    assert_int_equal (ss_fleet_load_target (path, &model, target, err, sizeof err), 0);
    assert_int_equal (target->cells, 1024);
    assert_int_equal (target->count, 1);
    //  Errors leave the target as it was
    ss_mixture_t *before = malloc (sizeof (ss_mixture_t));
    memcpy (before, target, sizeof *target);
    struct { const char *name, *text, *phrase; } bad [] = {
        { "tsub/n.zpl", "target\n    image = nothere.pgm\n",
          ": target/image: " },
        { "tsub/w.zpl", "target\n    image = ../white.pgm\n",
          "white.pgm: the picture is white everywhere" },
        { "x.png", "target\n", "x.png: not a PGM (P2, P5) or PNG image" },
        { "y.pgm", "P2 2 2 255 0 0 0\n", "y.pgm: P2: 3 samples, expected 4 (2 x 2)" },
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad [0]; b++) {
        snprintf (path, sizeof path, "%s", s_write (bad [b].name, bad [b].text));
        assert_int_equal (ss_fleet_load_target (path, &model, target, err, sizeof err), -1);
        assert_int_equal (strncmp (err, path, strlen (path)), 0);
        if (!strstr (err, bad [b].phrase))
            print_error ("expected '%s' in '%s'\n", bad [b].phrase, err);
        assert_non_null (strstr (err, bad [b].phrase));
        assert_null (strchr (err, '\n'));
        assert_memory_equal (target, before, sizeof *target);
    }
    model.dim = 3;
    model.nq = 12;
    snprintf (path, sizeof path, "%s/pic.pgm", s_dir);
    assert_int_equal (ss_fleet_load_target (path, &model, target, err, sizeof err), -1);
    assert_non_null (strstr (err, "pic.pgm: an image target needs model/dim = 2, got 3"));
    free (before);
    free (target);
    const char *made [] = { "pic.pgm", "back.zpl", "white.pgm", "bad.png", "picture.bin",
                            "tsub/t.zpl", "tsub/f.zpl", "tsub/n.zpl", "tsub/w.zpl", "x.png",
                            "y.pgm", "tsub" };
    for (size_t m = 0; m < sizeof made / sizeof made [0]; m++) {
        snprintf (path, sizeof path, "%s/%s", s_dir, made [m]);
        assert_int_equal (remove (path), 0);
    }
}

//  The README's example fleet, when the tests run from the source tree
//  (__FILE__ is .../tests/unit/test_fleet.c under CMake); NULL: skip
static const char *
s_demo_path (void)
{
    static char source [PATH_MAX] = "";
    const char *tail = strstr (__FILE__, "tests/unit/test_fleet.c");
    if (tail)
        snprintf (source, sizeof source, "%.*sdeploy/fleets/demo.zpl",
                  (int) (tail - __FILE__), __FILE__);
    const char *candidates [] = {
        source, "deploy/fleets/demo.zpl", "../deploy/fleets/demo.zpl",
        "../../deploy/fleets/demo.zpl"
    };
    for (size_t c = 0; c < sizeof candidates / sizeof candidates [0]; c++)
        if (*candidates [c] && access (candidates [c], R_OK) == 0)
            return candidates [c];
    return NULL;
}

static void
test_demo_fleet (void **state)
{
    (void) state;
    const char *path = s_demo_path ();
    if (!path)
        skip ();
    char err [1024];
    ss_fleet_t *fleet = ss_fleet_load (path, NULL, 0, err, sizeof err);
    if (!fleet)
        print_error ("%s\n", err);
    assert_non_null (fleet);
    assert_string_equal (fleet->name, "demo");
    //  It shows the defaults: the same fleet as one that names no key
    //  (but its name), target included
    char minimal [PATH_MAX + 16];
    snprintf (minimal, sizeof minimal, "%s", s_write ("fleet.zpl", "fleet\n    name = demo\n"));
    ss_fleet_t *plain = ss_fleet_load (minimal, NULL, 0, err, sizeof err);
    assert_non_null (plain);
    const char *diff = ss_fleet_diff (fleet, plain);
    if (diff && strncmp (diff, "security/", 9) != 0)
        print_error ("demo.zpl differs from the defaults at %s\n", diff);
    //  (but for its paths: they resolve against its own folder)
    assert_true (!diff || strncmp (diff, "security/", 9) == 0);
    s_assert_model_equal (&fleet->model, &plain->model);
    assert_true (ss_fleet_id (fleet) == ss_fleet_id (plain));
    ss_fleet_destroy (&plain);
    ss_fleet_destroy (&fleet);
}

//  One key line of demo.zpl, active or commented out
typedef struct {
    char path [128];
    char shown [128];       //  the text in brackets after it, if any
    bool bracket;
} s_doc_t;

//  Parse demo.zpl's key lines: "name = value  #   [default] doc",
//  "name  #   doc" (a section), and the same commented out ("# name =
//  value  #   [default] doc"). The depth of a name is its column / 4;
//  names that are no key of the table (prose in comments) are skipped.
static int
s_read_doc (const char *path, s_doc_t *docs, int max)
{
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char line [512], stack [8][64];
    int n = 0;
    while (fgets (line, sizeof line, file) && n < max) {
        line [strcspn (line, "\n")] = 0;
        int col = 0;
        while (line [col] == ' ')
            col++;
        bool commented = line [col] == '#';
        if (commented) {
            if (line [col + 1] != ' ')
                continue;
            col++;
            while (line [col] == ' ')
                col++;
        }
        int len = 0;
        while (islower ((unsigned char) line [col + len]) || line [col + len] == '_')
            len++;
        if (len == 0 || len >= 64)
            continue;
        const char *rest = line + col + len;
        if (*rest && *rest != ' ')
            continue;
        int depth = col / 4;
        if (depth < 0 || depth >= 8)
            continue;
        snprintf (stack [depth], sizeof stack [depth], "%.*s", len, line + col);
        if (depth == 0)
            continue;               //  fleet
        char key [128] = "";
        for (int d = 1; d <= depth; d++)
            snprintf (key + strlen (key), sizeof key - strlen (key), "%s%s",
                      d > 1? "/": "", stack [d]);
        if (!ss_fleet_key (key))
            continue;
        //  The comment after the key (a value holds no '#' in demo.zpl)
        s_doc_t *doc = &docs [n++];
        memset (doc, 0, sizeof *doc);
        snprintf (doc->path, sizeof doc->path, "%s", key);
        const char *hash = strchr (rest, '#');
        if (hash) {
            hash++;
            while (*hash == ' ')
                hash++;
            const char *close = *hash == '[' ? strchr (hash, ']'): NULL;
            if (close) {
                doc->bracket = true;
                snprintf (doc->shown, sizeof doc->shown, "%.*s",
                          (int) (close - hash - 1), hash + 1);
            }
        }
    }
    fclose (file);
    return n;
}

//  Two defaults are the same: as text, or as numbers ("1.0" and "1")
static bool
s_same_default (const char *a, const char *b)
{
    if (streq (a, b))
        return true;
    char *end_a, *end_b;
    double x = strtod (a, &end_a), y = strtod (b, &end_b);
    return *a && *b && !*end_a && !*end_b && x == y;
}

static void
test_demo_documents_every_key (void **state)
{
    (void) state;
    const char *path = s_demo_path ();
    if (!path)
        skip ();
    s_doc_t *docs = calloc (512, sizeof (s_doc_t));
    int n_docs = s_read_doc (path, docs, 512);
    int n;
    const ss_fleet_key_t *keys = ss_fleet_keys (&n);
    for (int k = 0; k < n; k++) {
        const s_doc_t *doc = NULL;
        for (int d = 0; d < n_docs && !doc; d++)
            if (streq (docs [d].path, keys [k].path))
                doc = &docs [d];
        if (!doc)
            print_error ("demo.zpl does not document %s\n", keys [k].path);
        assert_non_null (doc);
        if (keys [k].type == SS_FLEET_SECTION || keys [k].type == SS_FLEET_REPEAT)
            continue;
        char shown [256];
        assert_int_equal (ss_fleet_key_default (&keys [k], shown, sizeof shown), 0);
        if (!doc->bracket || !s_same_default (doc->shown, shown))
            print_error ("demo.zpl: %s: documents [%s], the table says [%s]\n",
                         keys [k].path, doc->bracket? doc->shown: "(nothing)", shown);
        assert_true (doc->bracket && s_same_default (doc->shown, shown));
    }
    free (docs);
}

//  --------------------------------------------------------------------------
//  Ports: checked where sockets open, not when loading

static void
test_ports (void **state)
{
    (void) state;
    char err [1024];
    //  sim opens no socket: any base_port loads, up to the largest fleet
    const char *high [] = { "agents/base_port=65500" };
    ss_fleet_t *fleet = s_load_ok (s_minimal, high, 1);
    assert_int_equal (ss_fleet_check_ports (fleet, err, sizeof err), -1);
    s_assert_error (err, "fleet/agents/base_port",
                    "base_port + id = 65536 for agent 36 is above 65535");
    ss_fleet_destroy (&fleet);

    char count [64];
    snprintf (count, sizeof count, "agents/count=%d", SS_FLEET_MAX_AGENTS);
    const char *huge [] = { count };
    fleet = s_load_ok (s_minimal, huge, 1);
    assert_int_equal (fleet->count, SS_FLEET_MAX_AGENTS);
    assert_int_equal (fleet->agents [SS_FLEET_MAX_AGENTS - 1].port,
                      fleet->base_port + SS_FLEET_MAX_AGENTS - 1);
    assert_int_equal (ss_fleet_check_ports (fleet, err, sizeof err), -1);
    s_assert_error (err, "fleet/agents/base_port", "above 65535");
    ss_fleet_destroy (&fleet);

    //  Two agents on one host and port
    fleet = s_load_ok ("fleet\n    agents\n        count = 5\n        agent\n"
                       "            id = 1\n            port = 7100\n", NULL, 0);
    assert_int_equal (ss_fleet_check_ports (fleet, err, sizeof err), -1);
    s_assert_error (err, "fleet/agents/agent/port",
                    "agents 0 and 1 both listen on 127.0.0.1:7100");
    ss_fleet_destroy (&fleet);

    //  The same port on two hosts is fine; so is the default fleet
    fleet = s_load_ok ("fleet\n    agents\n        count = 5\n        agent\n"
                       "            id = 1\n            port = 7100\n"
                       "            host = elsewhere\n", NULL, 0);
    assert_int_equal (ss_fleet_check_ports (fleet, err, sizeof err), 0);
    ss_fleet_destroy (&fleet);
    fleet = s_load_ok (s_minimal, NULL, 0);
    assert_int_equal (ss_fleet_check_ports (fleet, err, sizeof err), 0);
    ss_fleet_destroy (&fleet);
}

//  --------------------------------------------------------------------------
//  The key table

static void
test_key_table (void **state)
{
    (void) state;
    int n;
    const ss_fleet_key_t *keys = ss_fleet_keys (&n);
    assert_true (n > 40);
    for (int k = 0; k < n; k++) {
        const ss_fleet_key_t *key = &keys [k];
        assert_non_null (key->doc);
        assert_true (*key->doc && !strchr (key->doc, '\n'));
        assert_true (ss_fleet_key (key->path) == key);
        char path [128];
        snprintf (path, sizeof path, "fleet/%s", key->path);
        assert_true (ss_fleet_key (path) == key);
        for (int j = 0; j < k; j++)
            assert_string_not_equal (keys [j].path, key->path);
        //  A key's section comes before it
        const char *slash = strrchr (key->path, '/');
        if (slash) {
            char parent [128];
            snprintf (parent, sizeof parent, "%.*s", (int) (slash - key->path), key->path);
            const ss_fleet_key_t *section = ss_fleet_key (parent);
            assert_non_null (section);
            assert_true (section < key);
            assert_true (section->type == SS_FLEET_SECTION
                      || section->type == SS_FLEET_REPEAT);
        }
        bool leaf = key->type != SS_FLEET_SECTION && key->type != SS_FLEET_REPEAT;
        char shown [256];
        assert_int_equal (ss_fleet_key_default (key, shown, sizeof shown), 0);
        //  Every leaf documents a default (only an empty string may be empty)
        if (leaf && key->type != SS_FLEET_STRING)
            assert_true (*shown);
        if (key->flags & SS_FLEET_MODEL)
            assert_null (key->value);
        if (key->type == SS_FLEET_INT && key->offset != SIZE_MAX)
            assert_int_equal (key->size, sizeof (int));
        if (key->type == SS_FLEET_DOUBLE)
            assert_int_equal (key->size, sizeof (double));
    }
    assert_null (ss_fleet_key ("model/nosuch"));
    assert_null (ss_fleet_key ("fleet"));
    char shown [64];
    assert_int_equal (ss_fleet_key_default (ss_fleet_key ("model/ell"), shown,
                                            sizeof shown), 0);
    ss_model_t model;
    ss_model_defaults (&model);
    assert_true (strtod (shown, NULL) == model.ell);
    assert_int_equal (ss_fleet_key_default (ss_fleet_key ("coordinator/http"), shown,
                                            sizeof shown), 0);
    assert_string_equal (shown, "");
    char tiny [2];
    assert_int_equal (ss_fleet_key_default (ss_fleet_key ("graph/kind"), tiny,
                                            sizeof tiny), -1);
}

//  --------------------------------------------------------------------------
//  The writer: every fleet reads back equal

//  Write fleet to DIR/name, read it back, assert equal; returns the copy
static ss_fleet_t *
s_round_trip (const ss_fleet_t *fleet, const char *name)
{
    char path [PATH_MAX], err [1024] = "";
    snprintf (path, sizeof path, "%s/%s", s_dir, name);
    if (ss_fleet_write (fleet, path, err, sizeof err))
        print_error ("write: %s\n", err);
    assert_string_equal (err, "");
    ss_fleet_t *back = ss_fleet_load (path, NULL, 0, err, sizeof err);
    if (!back)
        print_error ("read back: %s\n", err);
    assert_non_null (back);
    const char *diff = ss_fleet_diff (fleet, back);
    if (diff)
        print_error ("differs at %s\n", diff);
    assert_null (diff);
    assert_true (ss_fleet_id (back) == ss_fleet_id (fleet));
    size_t size = (size_t) fleet->count * fleet->model.dim * sizeof (double);
    double *x = malloc (size), *y = malloc (size);
    ss_fleet_positions (fleet, x);
    ss_fleet_positions (back, y);
    assert_memory_equal (x, y, size);
    free (x);
    free (y);
    return back;
}

static char *
s_slurp (const char *path)
{
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char *text = calloc (1, 1 << 20);
    size_t got = fread (text, 1, (1 << 20) - 1, file);
    text [got] = 0;
    fclose (file);
    return text;
}

static void
test_write (void **state)
{
    (void) state;
    s_write ("pos.csv", "id,x1,x2,x3\n0,-1,0,2\n1,0,0,0\n2,1,1,1\n3,2,2,2\n");
    s_write ("good.csv", "id,x1,x2\n1,0.5,0.25\n0,0,1\n2,1e-3,0.75\n");
    struct { const char *text; const char *sets [4]; } cases [] = {
        { "fleet\n    name = x\n", { NULL } },
        { s_every_key, { NULL } },
        { s_every_key, { "agents/init=file", NULL } },
        { "fleet\n    graph\n        kind = complete\n    agents\n        count = 3\n"
          "        init = file\n        file = good.csv\n        agent\n"
          "            id = 2\n            x = \"0.1 0.2\"\n", { NULL } },
        { "fleet\n    name = g\n", { "graph/kind=geometric", "graph/radius=0.45",
                                     "model/dim=1", "coordinator/http=127.0.0.1:8080" } },
        { "fleet\n    agents\n        count = 7\n        agent\n            id = 6\n"
          "            host = 10.0.0.9\n        agent\n            id = 3\n"
          "            port = 9999\n", { "seed=18446744073709551615", "rounds=0",
                                        "model/lo=-0.1", "faults/settle_rounds=0" } },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases [0]; c++) {
        int n_sets = 0;
        while (n_sets < 4 && cases [c].sets [n_sets])
            n_sets++;
        ss_fleet_t *fleet = s_load_ok (cases [c].text, cases [c].sets, n_sets);
        ss_fleet_t *back = s_round_trip (fleet, "written.zpl");
        //  Written again from the copy: the same file but its first line
        ss_fleet_t *again = s_round_trip (back, "again.zpl");
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/written.zpl", s_dir);
        char *one = s_slurp (path);
        snprintf (path, sizeof path, "%s/again.zpl", s_dir);
        char *two = s_slurp (path);
        assert_string_equal (strchr (one, '\n'), strchr (two, '\n'));
        //  Every key is there, with its default and documentation
        int n;
        const ss_fleet_key_t *keys = ss_fleet_keys (&n);
        for (int k = 0; k < n; k++) {
            char shown [256], line [512];
            ss_fleet_key_default (&keys [k], shown, sizeof shown);
            bool leaf = keys [k].type != SS_FLEET_SECTION
                     && keys [k].type != SS_FLEET_REPEAT;
            //  An agent's keys are written where they differ from its default
            if (strncmp (keys [k].path, "agents/agent/", 13) == 0
            &&  strstr (one, "\n        agent\n"))
                continue;
            if (leaf)
                snprintf (line, sizeof line, "#   [%s] %s\n", shown, keys [k].doc);
            else
                snprintf (line, sizeof line, "#   %s\n", keys [k].doc);
            if (!strstr (one, line))
                print_error ("case %zu: no '%s' in\n%s\n", c, line, one);
            assert_non_null (strstr (one, line));
        }
        free (one);
        free (two);
        ss_fleet_destroy (&again);
        ss_fleet_destroy (&back);
        ss_fleet_destroy (&fleet);
    }
    //  Only the agents that differ from their default are written
    ss_fleet_t *fleet = s_load_ok (s_minimal, NULL, 0);
    fleet->agents [7].x0 [1] = 0.5;
    fleet->agents [9].port = 8000;
    snprintf (fleet->agents [9].host, sizeof fleet->agents [9].host, "h9");
    ss_fleet_t *back = s_round_trip (fleet, "written.zpl");
    assert_true (back->agents [7].x0 [1] == 0.5);
    assert_string_equal (back->agents [9].host, "h9");
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/written.zpl", s_dir);
    char *text = s_slurp (path);
    assert_non_null (strstr (text, "            id = 7\n"));
    assert_non_null (strstr (text, "            id = 9\n"));
    assert_null (strstr (text, "            id = 8\n"));
    assert_null (strstr (text, "port = 7107"));
    free (text);
    ss_fleet_destroy (&back);
    ss_fleet_destroy (&fleet);
}

static void
test_write_paths (void **state)
{
    (void) state;
    char err [1024], path [PATH_MAX], sub [PATH_MAX];
    snprintf (sub, sizeof sub, "%s/sub", s_dir);
    assert_int_equal (mkdir (sub, 0755), 0);
    //  Paths under the written file's folder stay relative, others absolute
    ss_fleet_t *fleet = s_load_ok ("fleet\n    security\n        keys = sub/keys\n"
                                   "        state = /var/tmp/state\n", NULL, 0);
    snprintf (path, sizeof path, "%s/sub/fleet.zpl", s_dir);
    assert_int_equal (ss_fleet_write (fleet, path, err, sizeof err), 0);
    char *text = s_slurp (path);
    assert_non_null (strstr (text, "        keys = keys\n"));
    assert_non_null (strstr (text, "        state = /var/tmp/state\n"));
    ss_fleet_t *back = ss_fleet_load (path, NULL, 0, err, sizeof err);
    assert_non_null (back);
    assert_string_equal (back->keys, fleet->keys);
    assert_null (ss_fleet_diff (fleet, back));
    free (text);
    ss_fleet_destroy (&back);
    ss_fleet_destroy (&fleet);

    //  A fleet loaded by a relative path, written elsewhere: same files
    char cwd [PATH_MAX];
    assert_non_null (getcwd (cwd, sizeof cwd));
    assert_int_equal (chdir (s_dir), 0);
    s_write ("fleet.zpl", s_minimal);
    fleet = ss_fleet_load ("fleet.zpl", NULL, 0, err, sizeof err);
    assert_non_null (fleet);
    assert_string_equal (fleet->keys, "keys");
    assert_int_equal (ss_fleet_write (fleet, "sub/w.zpl", err, sizeof err), 0);
    back = ss_fleet_load ("sub/w.zpl", NULL, 0, err, sizeof err);
    assert_non_null (back);
    char expect [PATH_MAX + 16];
    snprintf (expect, sizeof expect, "%s/keys", s_dir);
    assert_string_equal (back->keys, expect);
    assert_null (ss_fleet_diff (fleet, back));
    assert_int_equal (ss_fleet_write (fleet, "w.zpl", err, sizeof err), 0);
    ss_fleet_destroy (&back);
    back = ss_fleet_load ("w.zpl", NULL, 0, err, sizeof err);
    assert_string_equal (back->keys, "keys");
    unlink ("w.zpl");
    unlink ("sub/w.zpl");
    assert_int_equal (chdir (cwd), 0);
    ss_fleet_destroy (&back);
    ss_fleet_destroy (&fleet);

    //  Atomic: the old file stays whole on failure, no temporary is left
    fleet = s_load_ok (s_minimal, NULL, 0);
    assert_int_equal (ss_fleet_write (fleet, path, err, sizeof err), 0);
    char *before = s_slurp (path);
    fleet->model.ell = -1;          //  would not load
    assert_int_equal (ss_fleet_write (fleet, path, err, sizeof err), -1);
    assert_non_null (strstr (err, "would not load"));
    assert_non_null (strstr (err, "fleet/model/ell"));
    assert_null (strchr (err, '\n'));
    fleet->model.ell = 0.2;
    snprintf (fleet->agents [3].host, sizeof fleet->agents [3].host, "a\"b'c");
    assert_int_equal (ss_fleet_write (fleet, path, err, sizeof err), -1);
    assert_non_null (strstr (err, "both quotes"));
    char *after = s_slurp (path);
    assert_string_equal (before, after);
    free (before);
    free (after);
    snprintf (fleet->agents [3].host, sizeof fleet->agents [3].host, "%s", fleet->host);
    char nowhere [PATH_MAX + 32];
    snprintf (nowhere, sizeof nowhere, "%s/no/such/dir/f.zpl", s_dir);
    assert_int_equal (ss_fleet_write (fleet, nowhere, err, sizeof err), -1);
    assert_non_null (strstr (err, "cannot write file (No such file or directory)"));
    //  A CSV that went away
    ss_fleet_destroy (&fleet);
    s_write ("gone.csv", "id,x1,x2\n0,0,1\n1,0.5,0.25\n2,1,1\n");
    fleet = s_load_ok ("fleet\n    graph\n        kind = complete\n    agents\n"
                       "        count = 3\n        init = file\n        file = gone.csv\n",
                       NULL, 0);
    snprintf (path, sizeof path, "%s/gone.csv", s_dir);
    unlink (path);
    snprintf (path, sizeof path, "%s/sub/fleet.zpl", s_dir);
    assert_int_equal (ss_fleet_write (fleet, path, err, sizeof err), -1);
    assert_non_null (strstr (err, "fleet/agents/file"));
    ss_fleet_destroy (&fleet);
    DIR *dir = opendir (sub);
    assert_non_null (dir);
    for (struct dirent *entry = readdir (dir); entry; entry = readdir (dir))
        assert_null (strstr (entry->d_name, ".tmp"));
    closedir (dir);
    unlink (path);
    assert_int_equal (rmdir (sub), 0);
}

static void
test_get_and_diff (void **state)
{
    (void) state;
    ss_fleet_t *a = s_load_ok (s_every_key, NULL, 0);
    ss_fleet_t *b = s_load_ok (s_every_key, NULL, 0);
    char value [256];
    assert_int_equal (ss_fleet_get (a, "model/ell", value, sizeof value), 0);
    assert_string_equal (value, "0.2");
    assert_int_equal (ss_fleet_get (a, "fleet/graph/edges", value, sizeof value), 0);
    assert_string_equal (value, "0-1 1-2 2-3 3-0 1-3");
    assert_int_equal (ss_fleet_get (a, "security/state", value, sizeof value), 0);
    assert_string_equal (value, "ckpt");
    assert_int_equal (ss_fleet_get (a, "agents/init", value, sizeof value), 0);
    assert_string_equal (value, "box");
    assert_int_equal (ss_fleet_get (a, "seed", value, sizeof value), 0);
    assert_string_equal (value, "18446744073709551615");
    assert_int_equal (ss_fleet_get (a, "model", value, sizeof value), -1);
    assert_int_equal (ss_fleet_get (a, "agents/agent/x", value, sizeof value), -1);
    assert_int_equal (ss_fleet_get (a, "nosuch", value, sizeof value), -1);
    assert_int_equal (ss_fleet_get (a, "name", value, 3), -1);

    assert_null (ss_fleet_diff (a, b));
    b->model.vmax = 0.5;
    assert_string_equal (ss_fleet_diff (a, b), "model/vmax");
    b->model.vmax = a->model.vmax;
    b->target.comp [1].std = 7;
    assert_string_equal (ss_fleet_diff (a, b), "target/component/std");
    b->target.comp [1].std = a->target.comp [1].std;
    b->agents [3].x0 [2] = -0.0;
    assert_string_equal (ss_fleet_diff (a, b), "agents/agent/x");
    b->agents [3].x0 [2] = a->agents [3].x0 [2];
    b->edges [3] = 0;
    assert_string_equal (ss_fleet_diff (a, b), "graph/edges");
    b->edges [3] = a->edges [3];
    b->curve = true;
    assert_string_equal (ss_fleet_diff (a, b), "security/curve");
    ss_fleet_destroy (&a);
    ss_fleet_destroy (&b);
}

//  --------------------------------------------------------------------------

static int
s_setup (void **state)
{
    (void) state;
    const char *tmp = getenv ("TMPDIR");
    snprintf (s_dir, sizeof s_dir, "%s/test_fleet.XXXXXX", tmp? tmp: "/tmp");
    return mkdtemp (s_dir)? 0: -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    const char *names [] = { "fleet.zpl", "syntax.zpl", "good.csv", "target.zpl",
                             "pos.csv", "written.zpl", "again.zpl" };
    for (size_t n = 0; n < sizeof names / sizeof names [0]; n++) {
        char path [PATH_MAX + 32];
        snprintf (path, sizeof path, "%s/%s", s_dir, names [n]);
        unlink (path);
    }
    return rmdir (s_dir);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_defaults),
        cmocka_unit_test (test_every_key),
        cmocka_unit_test (test_overrides),
        cmocka_unit_test (test_file_errors),
        cmocka_unit_test (test_unknown_keys),
        cmocka_unit_test (test_bad_numbers),
        cmocka_unit_test (test_out_of_range),
        cmocka_unit_test (test_graph_options),
        cmocka_unit_test (test_not_connected),
        cmocka_unit_test (test_init_file),
        cmocka_unit_test (test_init_box_and_uniform),
        cmocka_unit_test (test_agent_overrides),
        cmocka_unit_test (test_target),
        cmocka_unit_test (test_fleet_id),
        cmocka_unit_test (test_load_target),
        cmocka_unit_test (test_image_target),
        cmocka_unit_test (test_demo_fleet),
        cmocka_unit_test (test_demo_documents_every_key),
        cmocka_unit_test (test_ports),
        cmocka_unit_test (test_key_table),
        cmocka_unit_test (test_write),
        cmocka_unit_test (test_write_paths),
        cmocka_unit_test (test_get_and_diff),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
