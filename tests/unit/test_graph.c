/*  graph: every generator gives a symmetric graph without self-loops whose
    Metropolis weights are doubly stochastic and non-negative. */

#include <stdlib.h>
#include "ss_testutil.h"
#include "ss_graph.h"
#include "ss_round.h"

static void
check_metropolis (const ss_graph_t *g)
{
    int n = g->n;
    double *W = calloc ((size_t) n * n, sizeof (double));
    for (int i = 0; i < n; i++) {
        const int *row = ss_graph_neighbours (g, i);
        double self = 1;
        for (int r = 0; r < ss_graph_degree (g, i); r++) {
            int j = row [r];
            assert_int_not_equal (i, j);
            assert_true (ss_graph_has_edge (g, j, i));
            double w = ss_round_weight (ss_graph_degree (g, i), ss_graph_degree (g, j));
            W [i * n + j] = w;
            self -= w;
        }
        W [i * n + i] = self;
    }
    for (int i = 0; i < n; i++) {
        double rs = 0, cs = 0;
        for (int j = 0; j < n; j++) {
            assert_true (W [i * n + j] >= 0);
            assert_true (W [i * n + j] == W [j * n + i]);
            rs += W [i * n + j];
            cs += W [j * n + i];
        }
        assert_true (fabs (rs - 1) < 1e-14);
        assert_true (fabs (cs - 1) < 1e-14);
    }
    free (W);
}

static void
test_ring (void **state)
{
    (void) state;
    ss_graph_t *g = ss_graph_ring (50, 4);
    assert_non_null (g);
    for (int i = 0; i < 50; i++)
        assert_int_equal (ss_graph_degree (g, i), 4);
    assert_true (ss_graph_has_edge (g, 0, 49));
    assert_true (ss_graph_has_edge (g, 0, 48));
    assert_true (ss_graph_has_edge (g, 10, 12));
    assert_false (ss_graph_has_edge (g, 10, 13));
    assert_true (ss_graph_connected (g));
    check_metropolis (g);
    ss_graph_destroy (&g);
    assert_null (g);
    assert_null (ss_graph_ring (5, 3));
    assert_null (ss_graph_ring (4, 4));
    g = ss_graph_ring (1, 0);
    assert_non_null (g);
    ss_graph_destroy (&g);
}

static void
test_grid (void **state)
{
    (void) state;
    ss_graph_t *g = ss_graph_grid (10);     //  rows of 4: 4 + 4 + 2
    assert_non_null (g);
    assert_true (ss_graph_has_edge (g, 0, 1));
    assert_false (ss_graph_has_edge (g, 3, 4));
    assert_true (ss_graph_has_edge (g, 1, 5));
    assert_int_equal (ss_graph_degree (g, 5), 4);
    assert_true (ss_graph_connected (g));
    check_metropolis (g);
    ss_graph_destroy (&g);
}

static void
test_geometric (void **state)
{
    (void) state;
    ss_rng_t rng;
    ss_rng_seed (&rng, 5);
    double x [2 * 60];
    test_fill (&rng, x, 120, 0, 1);
    ss_graph_t *g = ss_graph_geometric (60, x, 2, 0.3);
    assert_non_null (g);
    for (int i = 0; i < 60; i++)
        for (int j = 0; j < 60; j++) if (i != j) {
            double dx = x [2 * i] - x [2 * j], dy = x [2 * i + 1] - x [2 * j + 1];
            assert_int_equal (ss_graph_has_edge (g, i, j), dx * dx + dy * dy <= 0.09);
        }
    check_metropolis (g);
    ss_graph_destroy (&g);
    g = ss_graph_geometric (60, x, 2, 1e-6);
    assert_non_null (g);
    assert_false (ss_graph_connected (g));
    ss_graph_destroy (&g);
}

static void
test_complete_and_edges (void **state)
{
    (void) state;
    ss_graph_t *g = ss_graph_complete (12);
    for (int i = 0; i < 12; i++)
        assert_int_equal (ss_graph_degree (g, i), 11);
    check_metropolis (g);
    ss_graph_destroy (&g);
    int pairs [] = { 0, 1, 1, 2, 2, 0, 2, 3, 3, 2 };   //  a duplicate
    g = ss_graph_edges (4, pairs, 5);
    assert_non_null (g);
    assert_int_equal (ss_graph_degree (g, 2), 3);
    assert_int_equal (ss_graph_degree (g, 3), 1);
    assert_true (ss_graph_connected (g));
    check_metropolis (g);
    ss_graph_destroy (&g);
    int loop [] = { 1, 1 }, out [] = { 0, 4 };
    assert_null (ss_graph_edges (4, loop, 1));
    assert_null (ss_graph_edges (4, out, 1));
    assert_string_equal (ss_graph_kind_name (SS_GRAPH_GEOMETRIC), "geometric");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_ring),
        cmocka_unit_test (test_grid),
        cmocka_unit_test (test_geometric),
        cmocka_unit_test (test_complete_and_edges),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
