/*  ss_lower: the lower level, theta*(x) = argmin A(theta) - theta.sigma +
    rho/2 |theta|^2, solved by damped Newton with backtracking. Strongly
    convex for rho > 0, so Newton from any start converges.
*/
#ifndef SS_LOWER_H
#define SS_LOWER_H

#include "ss_expfam.h"

//  g(theta) = A(theta) - theta.sigma + rho/2 |theta|^2
double ss_lower_objective (const ss_problem_t *P, const double *theta,
                           const double *sigma, ss_work_t *w);

//  Solve for theta* given sigma. theta holds the warm start on entry and
//  theta* on exit. Stops when |grad g|_inf <= tol. Returns the number of
//  Newton steps, or -1 if it failed to converge. On return w holds the
//  moments (with covariance) at theta*.
int ss_lower_solve (const ss_problem_t *P, const double *sigma, double *theta,
                    double tol, ss_work_t *w);

#endif
