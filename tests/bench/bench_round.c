/*  bench_round: the cost of one agent round (arithmetic only: no sockets),
    for several K = m^d and G = nq^d, with the share of each term.
    Prints figures; asserts nothing. Usage: bench_round [seconds per case]
*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ss_expfam.h"
#include "ss_footprint.h"
#include "ss_round.h"

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

//  Mean seconds per call of one of: 0 full round, 1 moments without
//  covariance, 2 moments with covariance
static double
s_time (const ss_problem_t *P, ss_work_t *w, int what, double budget)
{
    const int K = P->K;
    double *buf = calloc ((size_t) 12 * K, sizeof (double));
    ss_agent_t self = { .theta = buf, .s = buf + K }, next = { .theta = buf + 2 * K, .s = buf + 3 * K };
    double x0 [SS_MAX_DIM] = { 0.3, 0.6, 0.5 };
    ss_round_init (P, &self, x0);
    for (int k = 0; k < K; k++)
        self.theta [k] = 0.5 * ((k % 7) - 3);
    ss_neighbour_t nbrs [4];
    for (int j = 0; j < 4; j++)
        nbrs [j] = (ss_neighbour_t) { buf + (4 + 2 * j) * K, ss_round_weight (4, 4) };
    int64_t *net = calloc ((size_t) K, sizeof (int64_t));
    long calls = 0;
    double start = s_now (), now;
    do {
        for (int r = 0; r < 10; r++) {
            if (what == 0)
                ss_round_step (P, &self, nbrs, 4, net, &next, w);
            else
                ss_expfam_moments (P, self.theta, w, what == 2);
        }
        calls += 10;
        now = s_now ();
    } while (now - start < budget);
    free (net);
    free (buf);
    return (now - start) / calls;
}

int
main (int argc, char **argv)
{
    double budget = argc > 1? atof (argv [1]): 0.5;
    printf ("one agent round, arithmetic only (%.1f s per case)\n", budget);
    printf ("%3s %3s %4s %6s %6s  %11s %11s %11s  %s\n", "d", "m", "nq", "K", "G",
            "round(us)", "E only(us)", "E+Cov(us)", "Cov share");
    const int cases [][3] = {
        { 2, 3, 32 }, { 2, 5, 16 }, { 2, 5, 32 }, { 2, 5, 64 }, { 2, 7, 32 },
        { 2, 10, 32 }, { 1, 5, 32 }, { 3, 5, 16 }, { 3, 5, 32 }
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases [0]; c++) {
        ss_model_t model;
        ss_model_defaults (&model);
        model.dim = cases [c][0];
        model.m = cases [c][1];
        model.nq = cases [c][2];
        ss_mixture_t target;
        ss_mixture_defaults (&target, model.dim, model.lo, model.hi);
        ss_problem_t *P = ss_problem_new (&model, &target);
        ss_work_t *w = ss_work_new (P);
        double round = s_time (P, w, 0, budget);
        double e_only = s_time (P, w, 1, budget);
        double e_cov = s_time (P, w, 2, budget);
        printf ("%3d %3d %4d %6d %6d  %11.1f %11.1f %11.1f  %8.0f%%\n",
                model.dim, model.m, model.nq, P->K, P->G, round * 1e6,
                e_only * 1e6, e_cov * 1e6, 100 * (e_cov - e_only) / round);
        ss_work_destroy (&w);
        ss_problem_destroy (&P);
    }
    return 0;
}
