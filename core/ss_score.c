/*  ss_score: the exact measures of a fleet's state (see ss_score.h). */

#include <math.h>
#include "ss_score.h"
#include "ss_footprint.h"
#include "ss_hypergrad.h"

void
ss_score_state (const ss_problem_t *P, int n, const double *x,
                const double *x0, const double *theta, const double *s,
                size_t stride, double *theta_warm, double *grad,
                ss_work_t *w, ss_score_t *score)
{
    const int K = P->K;
    score->grad = ss_hypergrad (P, x, x0, n, theta_warm, SS_SCORE_TOL, grad, w);
    score->J = ss_objective (P, x, x0, n, theta_warm, SS_SCORE_TOL,
                             &score->kl, w);
    double mean [SS_MAX_K] = { 0 }, smean [SS_MAX_K] = { 0 }, sigma [SS_MAX_K];
    for (int i = 0; i < n; i++)
        for (int k = 0; k < K; k++) {
            mean [k] += theta [(size_t) i * stride + k] / n;
            smean [k] += s [(size_t) i * stride + k] / n;
        }
    score->disagreement = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < K; k++) {
            double gap = fabs (theta [(size_t) i * stride + k] - mean [k]);
            if (gap > score->disagreement)
                score->disagreement = gap;
        }
    ss_footprint_aggregate (P, x, n, sigma);
    score->bias = 0;
    for (int k = 0; k < K; k++)
        if (fabs (smean [k] - sigma [k]) > score->bias)
            score->bias = fabs (smean [k] - sigma [k]);
}

