/*  epoch: the proof by measurement that rule 3 of docs/fleet-design.md
    ("Faults": epochs with s-substitution and reset) removes the bias a
    fault leaves in the trackers, while a plain fallback keeps it for ever.

    A fleet of 16 agents on a ring of degree 4 runs ss_round_step by hand,
    as agentd does: each agent mixes a neighbour's s only if their round-k
    epochs are equal (else its own s stands in), fills a missing
    neighbour's slot with itself, takes the largest epoch it received plus
    one after a membership event, and re-initialises s to psi(x) whenever
    its epoch grows. bias = |mean_live s_i - mean_live psi(x_i)|_inf.

    - one lost message (3 -> 4 at round 30): plain self-substitution leaves
      a permanent bias; with epochs the bias is back at round-off once the
      new epoch has spread (within the diameter) and every agent sits in it.
    - one agent departs (5 at round 30; its neighbours see it lost): the
      live agents' trackers still count its share without epochs; with
      epochs they track the live agents' footprint exactly.
    - no fault: the epoch rules change nothing, bit for bit.
*/

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ss_testutil.h"
#include "ss_footprint.h"
#include "ss_graph.h"
#include "ss_round.h"

#define N 16

typedef struct {
    ss_problem_t *P;
    ss_work_t *w;
    ss_graph_t *g;
    ss_agent_t cur [N], next [N];
    double *store;
    uint64_t epoch [N];
    bool alive [N];
    bool epochs;            //  rule 3 on
} s_net_t;

static s_net_t *
s_net_new (bool epochs)
{
    s_net_t *net = calloc (1, sizeof *net);
    net->P = test_problem (2, 0);
    net->w = ss_work_new (net->P);
    net->g = ss_graph_ring (N, 4);
    net->epochs = epochs;
    const int K = net->P->K;
    net->store = calloc ((size_t) N * K * 4, sizeof (double));
    ss_rng_t rng;
    ss_rng_seed (&rng, 7);
    for (int i = 0; i < N; i++) {
        double x0 [2];
        test_fill (&rng, x0, 2, 0, 1);
        net->cur [i].theta = net->store + (size_t) i * 4 * K;
        net->cur [i].s = net->store + (size_t) i * 4 * K + K;
        net->next [i].theta = net->store + (size_t) i * 4 * K + 2 * K;
        net->next [i].s = net->store + (size_t) i * 4 * K + 3 * K;
        ss_round_init (net->P, &net->cur [i], x0, ss_graph_degree (net->g, i));
        net->alive [i] = true;
    }
    return net;
}

static void
s_net_destroy (s_net_t **net_p)
{
    s_net_t *net = *net_p;
    ss_work_destroy (&net->w);
    ss_graph_destroy (&net->g);
    ss_problem_destroy (&net->P);
    free (net->store);
    free (net);
    *net_p = NULL;
}

//  One round. The message lost_from -> lost_to (if >= 0) is lost; event[i]
//  marks a membership event at agent i (a neighbour lost, a deadline)
static void
s_net_round (s_net_t *net, int lost_from, int lost_to, const bool *event_in)
{
    int deg [N];
    for (int i = 0; i < N; i++) {
        deg [i] = 0;
        const int *row = ss_graph_neighbours (net->g, i);
        for (int r = 0; r < ss_graph_degree (net->g, i); r++)
            deg [i] += net->alive [row [r]];
        net->cur [i].degree = deg [i];
    }
    uint64_t next_epoch [N];
    for (int i = 0; i < N; i++) {
        if (!net->alive [i])
            continue;
        bool event = event_in && event_in [i];
        uint64_t e = net->epoch [i];
        ss_neighbour_t nb [N];
        int n = 0;
        const int *row = ss_graph_neighbours (net->g, i);
        for (int r = 0; r < ss_graph_degree (net->g, i); r++) {
            int j = row [r];
            if (!net->alive [j])
                continue;
            if (j == lost_from && i == lost_to) {
                //  Rule 2: the deadline passed; our own values stand in
                nb [n++] = (ss_neighbour_t) { net->cur [i].theta, net->cur [i].s, deg [i] };
                event = true;
                continue;
            }
            bool same = !net->epochs || net->epoch [j] == net->epoch [i];
            nb [n++] = (ss_neighbour_t) { net->cur [j].theta,
                                          same? net->cur [j].s: net->cur [i].s, deg [j] };
            if (net->epoch [j] > e)
                e = net->epoch [j];
        }
        ss_round_step (net->P, &net->cur [i], nb, n, &net->next [i], net->w);
        next_epoch [i] = net->epoch [i];
        if (net->epochs) {
            if (event)
                e++;
            if (e > net->epoch [i]) {
                next_epoch [i] = e;
                ss_footprint (net->P, net->next [i].x, net->next [i].s);
            }
        }
    }
    for (int i = 0; i < N; i++) {
        if (!net->alive [i])
            continue;
        net->epoch [i] = next_epoch [i];
        ss_agent_t swap = net->cur [i];
        net->cur [i] = net->next [i];
        net->next [i] = swap;
    }
}

//  |mean_live s_i - mean_live psi(x_i)|_inf
static double
s_net_bias (s_net_t *net)
{
    const int K = net->P->K;
    double ms [SS_MAX_K] = { 0 }, mpsi [SS_MAX_K] = { 0 }, psi [SS_MAX_K];
    int n = 0;
    for (int i = 0; i < N; i++) {
        if (!net->alive [i])
            continue;
        ss_footprint (net->P, net->cur [i].x, psi);
        for (int k = 0; k < K; k++) {
            ms [k] += net->cur [i].s [k];
            mpsi [k] += psi [k];
        }
        n++;
    }
    double bias = 0;
    for (int k = 0; k < K; k++)
        if (fabs (ms [k] - mpsi [k]) / n > bias)
            bias = fabs (ms [k] - mpsi [k]) / n;
    return bias;
}

static bool
s_net_one_epoch (s_net_t *net)
{
    uint64_t e = UINT64_MAX;
    for (int i = 0; i < N; i++)
        if (net->alive [i]) {
            if (e != UINT64_MAX && net->epoch [i] != e)
                return false;
            e = net->epoch [i];
        }
    return true;
}

static void
test_lost_message (void **state)
{
    (void) state;
    double before [2], after [2];
    for (int mode = 0; mode < 2; mode++) {
        s_net_t *net = s_net_new (mode == 1);
        for (int k = 0; k < 30; k++)
            s_net_round (net, -1, -1, NULL);
        before [mode] = s_net_bias (net);
        s_net_round (net, 3, 4, NULL);
        double right_after = s_net_bias (net);
        for (int k = 0; k < 60; k++)
            s_net_round (net, -1, -1, NULL);
        after [mode] = s_net_bias (net);
        print_message ("lost message, %s: bias %.2e before, %.2e just after, "
                       "%.2e 60 rounds later\n", mode? "epochs": "plain",
                       before [mode], right_after, after [mode]);
        if (mode == 1) {
            assert_true (s_net_one_epoch (net));
            assert_int_equal (net->epoch [0], 1);
        }
        s_net_destroy (&net);
    }
    assert_true (before [0] < 1e-12 && before [1] < 1e-12);
    assert_true (after [0] > 1e-6);      //  the plain fallback stays biased
    assert_true (after [1] < 1e-12);     //  the epochs remove the bias
}

static void
test_departure (void **state)
{
    (void) state;
    double after [2];
    for (int mode = 0; mode < 2; mode++) {
        s_net_t *net = s_net_new (mode == 1);
        for (int k = 0; k < 30; k++)
            s_net_round (net, -1, -1, NULL);
        net->alive [5] = false;
        bool event [N] = { false };
        const int *row = ss_graph_neighbours (net->g, 5);
        for (int r = 0; r < ss_graph_degree (net->g, 5); r++)
            event [row [r]] = true;
        s_net_round (net, -1, -1, event);
        for (int k = 0; k < 60; k++)
            s_net_round (net, -1, -1, NULL);
        after [mode] = s_net_bias (net);
        print_message ("agent 5 departs, %s: live bias %.2e 60 rounds later\n",
                       mode? "epochs": "plain", after [mode]);
        if (mode == 1)
            assert_true (s_net_one_epoch (net));
        s_net_destroy (&net);
    }
    assert_true (after [0] > 1e-6);
    assert_true (after [1] < 1e-12);
}

static void
test_no_fault_identical (void **state)
{
    (void) state;
    s_net_t *plain = s_net_new (false), *epochs = s_net_new (true);
    for (int k = 0; k < 50; k++) {
        s_net_round (plain, -1, -1, NULL);
        s_net_round (epochs, -1, -1, NULL);
    }
    const int K = plain->P->K;
    for (int i = 0; i < N; i++) {
        assert_memory_equal (plain->cur [i].x, epochs->cur [i].x, 2 * sizeof (double));
        assert_memory_equal (plain->cur [i].theta, epochs->cur [i].theta,
                             (size_t) K * sizeof (double));
        assert_memory_equal (plain->cur [i].s, epochs->cur [i].s,
                             (size_t) K * sizeof (double));
        assert_int_equal (epochs->epoch [i], 0);
    }
    s_net_destroy (&plain);
    s_net_destroy (&epochs);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_lost_message),
        cmocka_unit_test (test_departure),
        cmocka_unit_test (test_no_fault_identical),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
