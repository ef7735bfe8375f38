/*  bench_round: the cost of one agent round (arithmetic only: no sockets)
    for the README's model table (d = 1, 2, 3; m, n_q varied), the old dense
    path and the tensor path side by side in one run, with the share of
    each term of the tensor path; then the hand-written loops against BLAS /
    LAPACK at each size (which the problem's defaults follow).
    Prints figures; asserts nothing.
    Usage: bench_round [seconds per measurement] [d m nq]
           bench_round --rounds N d m nq dense|tensor
    The second form runs exactly N rounds of one path and prints nothing:
    tests/bench/callgrind_round.sh counts its instructions per round, a
    figure that holds on a loaded machine.
*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ss_expfam.h"
#include "ss_footprint.h"
#include "ss_round.h"

//  CPU time of this process: on a shared, loaded machine it counts only the
//  time this process ran, which wall-clock time does not
static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef enum {
    T_ROUND, T_MOMENTS, T_MOMENTS_COV, T_NEWTON, T_LOGIT, T_MEAN, T_SECOND,
    T_FOOTPRINT
} what_t;

//  One agent with 4 neighbours, as in a ring of degree 4
typedef struct {
    double *buf;
    ss_agent_t self, next;
    ss_neighbour_t nbrs [4];
    int64_t net [SS_MAX_K];     //  the round's net tracker mass (zero here)
} s_agent_t;

static void
s_agent_init (const ss_problem_t *P, s_agent_t *a)
{
    const int K = P->K;
    a->buf = calloc ((size_t) 12 * K, sizeof (double));
    a->self = (ss_agent_t) { .theta = a->buf, .s = a->buf + K };
    a->next = (ss_agent_t) { .theta = a->buf + 2 * K, .s = a->buf + 3 * K };
    double x0 [SS_MAX_DIM] = { 0.3, 0.6, 0.5 };
    ss_round_init (P, &a->self, x0);
    for (int k = 0; k < K; k++)
        a->self.theta [k] = 0.5 * ((k % 7) - 3);
    for (int j = 0; j < 4; j++)
        a->nbrs [j] = (ss_neighbour_t) { a->buf + (4 + 2 * j) * K, 0.2 };
    memset (a->net, 0, sizeof a->net);
}

//  Mean seconds per call
static double
s_time (const ss_problem_t *P, ss_work_t *w, s_agent_t *a, what_t what, double budget)
{
    long calls = 0;
    double start = s_now (), now, psi [SS_MAX_K];
    ss_expfam_moments (P, a->self.theta, w, true);
    do {
        for (int r = 0; r < 10; r++) {
            switch (what) {
                case T_ROUND:
                    ss_round_step (P, &a->self, a->nbrs, 4, a->net, &a->next, w);
                    break;
                case T_MOMENTS:
                case T_MOMENTS_COV:
                    ss_expfam_moments (P, a->self.theta, w, what == T_MOMENTS_COV);
                    break;
                case T_NEWTON:
                    ss_expfam_newton_direction (P, w);
                    break;
                case T_LOGIT:
                    ss_tensor_apply (P->op_logit, a->self.theta, w->logit, w->scratch);
                    break;
                case T_MEAN:
                    ss_tensor_apply (P->op_mean, w->p, w->E, w->scratch);
                    break;
                case T_SECOND:
                    ss_tensor_apply (P->op_second, w->p, w->second, w->scratch);
                    break;
                case T_FOOTPRINT:
                    ss_footprint (P, a->self.x, psi);
                    break;
            }
        }
        calls += 10;
        now = s_now ();
    } while (now - start < budget);
    return (now - start) / calls;
}

static ss_problem_t *
s_problem (int d, int m, int nq)
{
    ss_model_t model;
    ss_model_defaults (&model);
    model.dim = d;
    model.m = m;
    model.nq = nq;
    ss_mixture_t target;
    ss_mixture_defaults (&target, d, model.lo, model.hi);
    return ss_problem_new (&model, &target);
}

int
main (int argc, char **argv)
{
    if (argc == 7 && !strcmp (argv [1], "--rounds")) {
        ss_problem_t *P = s_problem (atoi (argv [3]), atoi (argv [4]), atoi (argv [5]));
        ss_work_t *w = P? ss_work_new (P): NULL;
        if (!w || ss_problem_set_path (P, strcmp (argv [6], "dense")? SS_PATH_TENSOR: SS_PATH_DENSE))
            return 1;
        s_agent_t a;
        s_agent_init (P, &a);
        for (long r = atol (argv [2]); r > 0; r--)
            ss_round_step (P, &a.self, a.nbrs, 4, a.net, &a.next, w);
        free (a.buf);
        ss_work_destroy (&w);
        ss_problem_destroy (&P);
        return 0;
    }
    double budget = argc > 1? atof (argv [1]): 0.3;
    int cases [][3] = {
        { 1, 5, 32 }, { 2, 3, 32 }, { 2, 5, 16 }, { 2, 5, 32 }, { 2, 5, 64 },
        { 2, 7, 32 }, { 2, 10, 32 }, { 3, 4, 16 }, { 3, 5, 16 }, { 3, 5, 32 }
    };
    size_t n_cases = sizeof cases / sizeof cases [0];
    if (argc > 4) {
        cases [0][0] = atoi (argv [2]);
        cases [0][1] = atoi (argv [3]);
        cases [0][2] = atoi (argv [4]);
        n_cases = 1;
    }
    printf ("one agent round, arithmetic only, %.2f s of CPU time per measurement\n\n", budget);
    printf ("dense path (the original) against the tensor path (default BLAS choice), us per round\n");
    printf ("%2s %3s %3s %5s %6s  %10s %10s %8s |  tensor path, share of the round:\n",
            "d", "m", "nq", "K", "G", "dense", "tensor", "speed-up");
    printf ("%47s %6s %6s %6s %6s %6s %6s %6s\n", "",
            "logit", "exp", "E", "S", "Cov", "chol", "rest");
    for (size_t c = 0; c < n_cases; c++) {
        ss_problem_t *P = s_problem (cases [c][0], cases [c][1], cases [c][2]);
        ss_work_t *w = ss_work_new (P);
        if (!P || !w)
            return 1;
        s_agent_t a;
        s_agent_init (P, &a);
        double round = s_time (P, w, &a, T_ROUND, budget);
        double mom = s_time (P, w, &a, T_MOMENTS, budget);
        double mom_cov = s_time (P, w, &a, T_MOMENTS_COV, budget);
        double newton = s_time (P, w, &a, T_NEWTON, budget);
        double logit = s_time (P, w, &a, T_LOGIT, budget);
        double mean = s_time (P, w, &a, T_MEAN, budget);
        double second = s_time (P, w, &a, T_SECOND, budget);
        ss_problem_set_path (P, SS_PATH_DENSE);
        double dense = s_time (P, w, &a, T_ROUND, budget);
        ss_problem_set_path (P, SS_PATH_TENSOR);
        double terms [7] = {
            logit, mom - logit - mean, mean, second, mom_cov - mom - second,
            newton, round - mom_cov - newton
        };
        printf ("%2d %3d %3d %5d %6d  %10.1f %10.2f %7.1fx |  ", P->d, P->m, P->nq,
                P->K, P->G, dense * 1e6, round * 1e6, dense / round);
        for (int t = 0; t < 7; t++)
            printf (" %5.0f%%", 100 * terms [t] / round);
        printf ("\n");
        free (a.buf);
        ss_work_destroy (&w);
        ss_problem_destroy (&P);
    }
    printf ("\nhand-written loops against BLAS (dgemm) / LAPACK (dpotrf+dpotrs), us per call\n");
    printf ("%2s %3s %3s %5s  %9s %9s %9s %9s  %9s %9s  %s\n", "d", "m", "nq", "K",
            "E+Cov", "E+Cov", "logit", "logit", "chol", "chol", "default");
    printf ("%19s %9s %9s %9s %9s  %9s %9s\n", "", "hand", "blas", "hand", "blas", "hand", "lapack");
    for (size_t c = 0; c < n_cases; c++) {
        ss_problem_t *P = s_problem (cases [c][0], cases [c][1], cases [c][2]);
        ss_work_t *w = ss_work_new (P);
        s_agent_t a;
        s_agent_init (P, &a);
        bool def_tensor = ss_tensor_blas (P->op_second), def_chol = P->blas_chol;
        double t [6];
        for (int blas = 0; blas < 2; blas++) {
            ss_problem_set_blas (P, blas, blas);
            t [0 + blas] = s_time (P, w, &a, T_MOMENTS_COV, budget);
            t [2 + blas] = s_time (P, w, &a, T_LOGIT, budget);
            t [4 + blas] = s_time (P, w, &a, T_NEWTON, budget);
        }
        printf ("%2d %3d %3d %5d  %9.2f %9.2f %9.2f %9.2f  %9.2f %9.2f  %s %s\n",
                P->d, P->m, P->nq, P->K, t [0] * 1e6, t [1] * 1e6, t [2] * 1e6,
                t [3] * 1e6, t [4] * 1e6, t [5] * 1e6,
                def_tensor? "blas": "hand", def_chol? "lapack": "hand");
        free (a.buf);
        ss_work_destroy (&w);
        ss_problem_destroy (&P);
    }
    return 0;
}
