/*  ss_hypergrad: the hypergradient of J(x) = F(theta*(x)) + lambda/(2N)
    sum |x_i - x_i(0)|^2, by the implicit function theorem:
    grad_{x_i} J = (1/N) [Jpsi(x_i)^T H^{-1} grad F + lambda (x_i - x_i(0))].
*/
#ifndef SS_HYPERGRAD_H
#define SS_HYPERGRAD_H

#include "ss_expfam.h"

//  The exact objective at positions x (N x d), anchors x0: solves the lower
//  level (theta warm start in/out, tol) and returns J; *kl gets F.
double ss_objective (const ss_problem_t *P, const double *x, const double *x0,
                     int n, double *theta, double tol, double *kl,
                     ss_work_t *w);

//  Direction of one agent, N grad_{x_i} J, given w->u = H^{-1} grad F at
//  the theta in use: Jpsi(x)^T u + lambda (x - x0), into out (d).
void ss_hypergrad_agent (const ss_problem_t *P, const double *x,
                         const double *x0, const ss_work_t *w, double *out);

//  Full hypergradient grad J (N x d) at the exact lower-level solution;
//  returns max_i N |P grad_{x_i} J|, the largest projected component (the
//  projection drops components that push out of the box).
double ss_hypergrad (const ss_problem_t *P, const double *x, const double *x0,
                     int n, double *theta, double tol, double *grad,
                     ss_work_t *w);

//  Projected norm of one direction g at x: components that would leave D
//  (x at lo and g > 0, x at hi and g < 0) are dropped.
double ss_hypergrad_projected_norm (const ss_problem_t *P, const double *x,
                                    const double *g);

#endif
