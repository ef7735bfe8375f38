/*  round: the tracker keeps sum_i s_i = sum_i psi(x_i) every round; the
    speed limit and the box hold; the round is a pure function (same inputs,
    same bits). */

#include <stdlib.h>
#include <string.h>
#include "ss_testutil.h"
#include "ss_footprint.h"
#include "ss_graph.h"
#include "ss_round.h"

static void
test_tracker_invariant (void **state)
{
    (void) state;
    ss_problem_t *P = test_problem (2, 0);
    ss_work_t *w = ss_work_new (P);
    const int n = 16, K = P->K, d = 2;
    ss_graph_t *g = ss_graph_ring (n, 4);
    ss_agent_t cur [16], next [16];
    double *store = calloc ((size_t) n * K * 4, sizeof (double));
    ss_rng_t rng;
    ss_rng_seed (&rng, 99);
    for (int i = 0; i < n; i++) {
        double x0 [2];
        test_fill (&rng, x0, 2, 0, 1);
        cur [i].theta = store + i * 4 * K;
        cur [i].s = store + i * 4 * K + K;
        next [i].theta = store + i * 4 * K + 2 * K;
        next [i].s = store + i * 4 * K + 3 * K;
        ss_round_init (P, &cur [i], x0, ss_graph_degree (g, i));
    }
    double worst = 0;
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < n; i++) {
            ss_neighbour_t nb [16];
            const int *row = ss_graph_neighbours (g, i);
            for (int r = 0; r < ss_graph_degree (g, i); r++)
                nb [r] = (ss_neighbour_t) { cur [row [r]].theta, cur [row [r]].s,
                                            cur [row [r]].degree };
            double step = ss_round_step (P, &cur [i], nb, ss_graph_degree (g, i),
                                         &next [i], w);
            assert_true (step <= P->model.vmax * (1 + 1e-12));
            for (int a = 0; a < d; a++)
                assert_true (next [i].x [a] >= 0 && next [i].x [a] <= 1);
        }
        for (int i = 0; i < n; i++) {
            ss_agent_t t = cur [i];
            cur [i] = next [i];
            next [i] = t;
        }
        //  sum_i s_i = sum_i psi(x_i)
        double sum_s [SS_MAX_K] = { 0 }, sum_psi [SS_MAX_K] = { 0 }, psi [SS_MAX_K];
        for (int i = 0; i < n; i++) {
            ss_footprint (P, cur [i].x, psi);
            for (int k = 0; k < K; k++) {
                sum_s [k] += cur [i].s [k];
                sum_psi [k] += psi [k];
            }
        }
        for (int k = 0; k < K; k++)
            worst = fmax (worst, fabs (sum_s [k] - sum_psi [k]));
    }
    print_message ("tracker invariant: worst |sum s - sum psi| over 200 rounds %.2e\n", worst);
    assert_true (worst < 1e-12);
    free (store);
    ss_graph_destroy (&g);
    ss_work_destroy (&w);
    ss_problem_destroy (&P);
}

static void
test_pure (void **state)
{
    (void) state;
    ss_problem_t *P = test_problem (2, 0);
    ss_work_t *w1 = ss_work_new (P), *w2 = ss_work_new (P);
    const int K = P->K;
    double buf [6 * SS_MAX_K] = { 0 };
    ss_agent_t a = { .theta = buf, .s = buf + K }, b = { .theta = buf + 2 * K, .s = buf + 3 * K };
    ss_agent_t c = { .theta = buf + 4 * K, .s = buf + 5 * K };
    double x0 [2] = { 0.3, 0.6 };
    ss_round_init (P, &a, x0, 0);
    for (int k = 0; k < K; k++)
        a.theta [k] = 0.1 * k - 1;
    ss_round_step (P, &a, NULL, 0, &b, w1);
    ss_round_step (P, &a, NULL, 0, &c, w2);
    assert_memory_equal (b.theta, c.theta, K * sizeof (double));
    assert_memory_equal (b.s, c.s, K * sizeof (double));
    assert_memory_equal (b.x, c.x, sizeof b.x);
    assert_true (ss_round_weight (4, 2) == 0.2);
    ss_work_destroy (&w1);
    ss_work_destroy (&w2);
    ss_problem_destroy (&P);
}

//  hold: no motion, the same fast step, and the tracker invariant kept
static void
test_hold (void **state)
{
    (void) state;
    ss_problem_t *P = test_problem (2, 0);
    ss_work_t *w = ss_work_new (P);
    const int K = P->K;
    double buf [8 * SS_MAX_K] = { 0 };
    ss_agent_t a = { .theta = buf, .s = buf + K };
    ss_agent_t moved = { .theta = buf + 2 * K, .s = buf + 3 * K };
    ss_agent_t held = { .theta = buf + 4 * K, .s = buf + 5 * K };
    ss_agent_t nb = { .theta = buf + 6 * K, .s = buf + 7 * K };
    double x0 [2] = { 0.3, 0.6 }, x1 [2] = { 0.7, 0.2 };
    ss_round_init (P, &a, x0, 1);
    ss_round_init (P, &nb, x1, 1);
    for (int k = 0; k < K; k++)
        a.theta [k] = 0.05 * k - 0.5;
    ss_neighbour_t nbrs [1] = { { nb.theta, nb.s, 1 } };
    double step = ss_round_step (P, &a, nbrs, 1, &moved, w);
    assert_true (step > 0);
    a.hold = true;
    assert_true (ss_round_step (P, &a, nbrs, 1, &held, w) == 0);
    assert_memory_equal (held.x, a.x, sizeof a.x);
    assert_memory_equal (held.theta, moved.theta, K * sizeof (double));
    assert_false (held.hold);
    //  s' = sum_j w_ij s_j: with x' = x the footprint term vanishes
    for (int k = 0; k < K; k++)
        assert_true (fabs (held.s [k] - (0.5 * a.s [k] + 0.5 * nb.s [k])) < 1e-15);
    ss_work_destroy (&w);
    ss_problem_destroy (&P);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_tracker_invariant),
        cmocka_unit_test (test_pure),
        cmocka_unit_test (test_hold),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
