/*  round: the tracker keeps sum_i s_i = sum_i psi(x_i) every round; the
    speed limit and the box hold; the round is a pure function (same inputs,
    same bits); masses in fixed point reduce the lossless round to
    model.md's to round-off; the worst input a neighbour can get accepted,
    propagated through a round, still encodes on the wire. */

#include <stdlib.h>
#include <string.h>
#include "ss_testutil.h"
#include "ss_footprint.h"
#include "ss_graph.h"
#include "ss_peers.h"
#include "ss_proto.h"
#include "ss_round.h"

//  One round of a whole fleet in memory, every message on time (as sim)
static void
s_fleet_round (const ss_problem_t *P, ss_graph_t *g, ss_agent_t *cur,
               ss_agent_t *next, int n, ss_work_t *w)
{
    const int K = P->K;
    for (int i = 0; i < n; i++) {
        ss_neighbour_t nb [16];
        int64_t net [SS_MAX_K] = { 0 }, out [SS_MAX_K], in [SS_MAX_K];
        int deg = ss_graph_degree (g, i);
        const int *row = ss_graph_neighbours (g, i);
        for (int r = 0; r < deg; r++) {
            double wij = ss_round_weight (deg, ss_graph_degree (g, row [r]));
            nb [r] = (ss_neighbour_t) { cur [row [r]].theta, wij };
            ss_round_mass (P, &cur [i], wij, out);
            ss_round_mass (P, &cur [row [r]], wij, in);
            for (int k = 0; k < K; k++)
                net [k] = (int64_t) ((uint64_t) net [k] + (uint64_t) in [k] - (uint64_t) out [k]);
        }
        double step = ss_round_step (P, &cur [i], nb, deg, net, &next [i], w);
        assert_true (step <= P->model.vmax * (1 + 1e-12));
        for (int a = 0; a < P->d; a++)
            assert_true (next [i].x [a] >= 0 && next [i].x [a] <= 1);
    }
    for (int i = 0; i < n; i++) {
        ss_agent_t t = cur [i];
        cur [i] = next [i];
        next [i] = t;
    }
}

static void
test_tracker_invariant (void **state)
{
    (void) state;
    ss_problem_t *P = test_problem (2, 0);
    ss_work_t *w = ss_work_new (P);
    const int n = 16, K = P->K;
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
        ss_round_init (P, &cur [i], x0);
    }
    double worst = 0;
    for (int round = 0; round < 200; round++) {
        s_fleet_round (P, g, cur, next, n, w);
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
    ss_round_init (P, &a, x0);
    for (int k = 0; k < K; k++)
        a.theta [k] = 0.1 * k - 1;
    int64_t net [SS_MAX_K] = { 0 };
    ss_round_step (P, &a, NULL, 0, net, &b, w1);
    ss_round_step (P, &a, NULL, 0, net, &c, w2);
    assert_memory_equal (b.theta, c.theta, K * sizeof (double));
    assert_memory_equal (b.s, c.s, K * sizeof (double));
    assert_memory_equal (b.x, c.x, sizeof b.x);
    assert_true (ss_round_weight (4, 2) == 0.2);
    ss_work_destroy (&w1);
    ss_work_destroy (&w2);
    ss_problem_destroy (&P);
}

//  hold: no motion, the same fast step, and the tracker still mixes
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
    ss_round_init (P, &a, x0);
    ss_round_init (P, &nb, x1);
    for (int k = 0; k < K; k++)
        a.theta [k] = 0.05 * k - 0.5;
    ss_neighbour_t nbrs [1] = { { nb.theta, 0.5 } };
    int64_t net [SS_MAX_K], out [SS_MAX_K], in [SS_MAX_K];
    ss_round_mass (P, &a, 0.5, out);
    ss_round_mass (P, &nb, 0.5, in);
    for (int k = 0; k < K; k++)
        net [k] = in [k] - out [k];
    double step = ss_round_step (P, &a, nbrs, 1, net, &moved, w);
    assert_true (step > 0);
    a.hold = true;
    assert_true (ss_round_step (P, &a, nbrs, 1, net, &held, w) == 0);
    assert_memory_equal (held.x, a.x, sizeof a.x);
    assert_memory_equal (held.theta, moved.theta, K * sizeof (double));
    assert_false (held.hold);
    //  s' = w_ii s + w_ij s_j (model.md): with x' = x the footprint term
    //  vanishes, and the fixed point costs at most a few 2^-52
    for (int k = 0; k < K; k++)
        assert_true (fabs (held.s [k] - (0.5 * a.s [k] + 0.5 * nb.s [k])) < 1e-15);
    ss_work_destroy (&w);
    ss_problem_destroy (&P);
}

//  Fixed point: quantize/value round trip, and running sums that wrap
static void
test_fixed_point (void **state)
{
    (void) state;
    assert_true (ss_mass_value (ss_mass_quantize (0.25)) == 0.25);
    assert_true (ss_mass_value (ss_mass_quantize (-3.5)) == -3.5);
    double v = 0.1234567890123;
    assert_true (fabs (ss_mass_value (ss_mass_quantize (v)) - v) <= ldexp (1, -53));
    //  The largest mass a clamped state can send fits the fixed point
    double top = 0.5 * SS_ROUND_MAX_S;
    assert_true (ss_mass_value (ss_mass_quantize (top)) == top);
    assert_true (ldexp (SS_PEERS_MAX_STEP, SS_MASS_BITS) < ldexp (1, 62));
    //  A running sum near the wrap: the step is still exact
    uint64_t sum = UINT64_MAX - 5, next = sum + (uint64_t) ss_mass_quantize (0.75);
    assert_true (ss_mass_value ((int64_t) (next - sum)) == 0.75);
}

//  The worst input a neighbour can get accepted (thetas at the bound,
//  running-sum steps at the bound, every neighbour at once), through a
//  round, at a state already at its clamp: the next state is within the
//  clamps, and its estimate and report encode
static void
test_worst_input_encodes (void **state)
{
    (void) state;
    ss_problem_t *P = test_problem (2, 0);
    ss_work_t *w = ss_work_new (P);
    const int K = P->K, n = 8;
    double *buf = calloc ((size_t) (4 + n) * K, sizeof (double));
    for (int sign = -1; sign <= 1; sign += 2) {
        ss_agent_t a = { .theta = buf, .s = buf + K };
        ss_agent_t next = { .theta = buf + 2 * K, .s = buf + 3 * K };
        double x0 [2] = { 0.5, 0.5 };
        ss_round_init (P, &a, x0);
        ss_neighbour_t nbrs [8];
        int64_t net [SS_MAX_K];
        for (int j = 0; j < n; j++) {
            double *theta = buf + (size_t) (4 + j) * K;
            for (int k = 0; k < K; k++)
                theta [k] = sign * SS_ROUND_MAX_THETA;
            nbrs [j] = (ss_neighbour_t) { theta, 1.0 / (n + 1) };
        }
        for (int k = 0; k < K; k++) {
            a.theta [k] = sign * SS_ROUND_MAX_THETA;
            a.s [k] = -sign * SS_ROUND_MAX_S;
            net [k] = ss_mass_quantize (sign * n * SS_PEERS_MAX_STEP);
        }
        ss_round_step (P, &a, nbrs, n, net, &next, w);
        assert_true (next.clamped);
        ss_estimate_t est = { .degree = (uint32_t) n, .k = (uint32_t) K };
        ss_report_t rep = { .dim = 2, .k = (uint32_t) K, .x = { next.x [0], next.x [1] },
                            .x0 = { 0.5, 0.5 } };
        for (int k = 0; k < K; k++) {
            assert_true (fabs (next.theta [k]) <= SS_ROUND_MAX_THETA);
            assert_true (fabs (next.s [k]) <= SS_ROUND_MAX_S);
            est.theta [k] = rep.theta [k] = next.theta [k];
            rep.s [k] = next.s [k];
            est.mass [k] = (uint64_t) ss_mass_quantize (0.5 * next.s [k]);
        }
        uint8_t frame [SS_PROTO_MAX_FRAME];
        size_t size;
        assert_int_equal (ss_estimate_encode_into (&est, frame, sizeof frame, &size), 0);
        assert_int_equal (ss_report_encode_into (&rep, frame, sizeof frame, &size), 0);
    }
    free (buf);
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
        cmocka_unit_test (test_fixed_point),
        cmocka_unit_test (test_worst_input_encodes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
