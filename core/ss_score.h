/*  ss_score: the exact measures of a fleet's state, as the trace reports
    them. sim and the coordinator both score with this one function, in the
    same order and with the same warm starts, so an undisturbed launched
    run's trace equals sim's to the last bit.

    J and kl come from the lower level solved to SS_SCORE_TOL from the true
    positions; disagreement is max_i |theta_i - mean theta|_inf; grad is
    max_i N |projected grad_{x_i} J|; bias is |mean_i s_i - sigma(x)|_inf,
    how far the trackers are from the true footprint.
*/
#ifndef SS_SCORE_H
#define SS_SCORE_H

#include <stddef.h>
#include "ss_expfam.h"

#define SS_SCORE_TOL 1e-10

typedef struct {
    double J, kl, disagreement, grad, bias;
} ss_score_t;

//  Score n agents' positions x and anchors x0 (n x d), theta and s of agent
//  i at theta + i*stride, s + i*stride (K each). theta_warm (K) is the warm
//  start of the exact solves (in/out), grad (n x d) scratch.
void ss_score_state (const ss_problem_t *P, int n, const double *x,
                     const double *x0, const double *theta, const double *s,
                     size_t stride, double *theta_warm, double *grad,
                     ss_work_t *w, ss_score_t *score);

#endif
