/*  ss_footprint: what one agent contributes to the macroscopic state,
    psi(x) = E[phi(y)], y ~ N(x, h^2 I), in closed form, and its Jacobian.
*/
#ifndef SS_FOOTPRINT_H
#define SS_FOOTPRINT_H

#include "ss_expfam.h"

//  psi(x) into out (K)
void ss_footprint (const ss_problem_t *P, const double *x, double *out);
//  Jacobian d psi / dx (K x d, row k is d psi_k / dx), given psi(x)
void ss_footprint_jacobian (const ss_problem_t *P, const double *x,
                            const double *psi, double *jac);
//  sigma(x) = (1/N) sum_i psi(x_i) for positions x (N x d) into out (K)
void ss_footprint_aggregate (const ss_problem_t *P, const double *x, int n,
                             double *out);

#endif
