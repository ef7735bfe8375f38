/*  ss_lower: damped Newton on g(theta) = A(theta) - theta.sigma
    + rho/2 |theta|^2. The Hessian Cov + rho I is positive definite, so the
    Newton direction is a descent direction; an Armijo backtracking keeps
    far starts safe and full steps near the solution give quadratic
    convergence, which is what lets the finite-difference tests reach 1e-6.
*/

#include <math.h>
#include <string.h>
#include "ss_lower.h"

#define SS_LOWER_MAX_ITER 100

double
ss_lower_objective (const ss_problem_t *P, const double *theta,
                    const double *sigma, ss_work_t *w)
{
    double A = ss_expfam_moments (P, theta, w, false);
    double dot = 0, sq = 0;
    for (int k = 0; k < P->K; k++) {
        dot += theta [k] * sigma [k];
        sq += theta [k] * theta [k];
    }
    return A - dot + 0.5 * P->model.rho * sq;
}

int
ss_lower_solve (const ss_problem_t *P, const double *sigma, double *theta,
                double tol, ss_work_t *w)
{
    const int K = P->K;
    const double rho = P->model.rho;
    double trial [SS_MAX_K], grad [SS_MAX_K], dir [SS_MAX_K];
    for (int iter = 0; iter <= SS_LOWER_MAX_ITER; iter++) {
        ss_expfam_moments (P, theta, w, true);
        double gmax = 0, g0 = w->A;
        for (int k = 0; k < K; k++) {
            grad [k] = w->E [k] - sigma [k] + rho * theta [k];
            g0 += -theta [k] * sigma [k] + 0.5 * rho * theta [k] * theta [k];
            if (fabs (grad [k]) > gmax)
                gmax = fabs (grad [k]);
        }
        if (!isfinite (gmax))
            return -1;
        if (gmax <= tol)
            return iter;
        if (ss_expfam_factor (P, w))
            return -1;
        memcpy (dir, grad, (size_t) K * sizeof (double));
        ss_expfam_solve (P, w, dir);
        double decrease = 0;            //  grad . H^-1 grad > 0
        for (int k = 0; k < K; k++)
            decrease += grad [k] * dir [k];
        //  Armijo backtracking; close to the solution the objective's
        //  round-off exceeds the decrease, and the full step is taken
        double t = 1.0;
        for (int ls = 0; ls < 60; ls++) {
            for (int k = 0; k < K; k++)
                trial [k] = theta [k] - t * dir [k];
            if (decrease < 1e-12 * (1 + fabs (g0)))
                break;
            double g1 = ss_lower_objective (P, trial, sigma, w);
            if (g1 <= g0 - 1e-4 * t * decrease)
                break;
            t *= 0.5;
        }
        memcpy (theta, trial, (size_t) K * sizeof (double));
    }
    return -1;
}
