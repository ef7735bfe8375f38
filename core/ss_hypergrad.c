/*  ss_hypergrad: exact objective and hypergradient at the lower-level
    solution; used by sim's reference, the coordinator's scoring and the
    finite-difference tests.
*/

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ss_hypergrad.h"
#include "ss_footprint.h"
#include "ss_lower.h"

double
ss_objective (const ss_problem_t *P, const double *x, const double *x0,
              int n, double *theta, double tol, double *kl, ss_work_t *w)
{
    double sigma [SS_MAX_K];
    ss_footprint_aggregate (P, x, n, sigma);
    if (ss_lower_solve (P, sigma, theta, tol, w) < 0)
        return NAN;
    double F = ss_expfam_kl (P, theta, w);
    if (kl)
        *kl = F;
    double anchor = 0;
    if (P->model.lambda > 0) {
        for (size_t i = 0; i < (size_t) n * P->d; i++)
            anchor += (x [i] - x0 [i]) * (x [i] - x0 [i]);
        anchor *= P->model.lambda / (2.0 * n);
    }
    return F + anchor;
}

void
ss_hypergrad_agent (const ss_problem_t *P, const double *x, const double *x0,
                    const ss_work_t *w, double *out)
{
    double psi [SS_MAX_K];
    ss_footprint (P, x, psi);
    for (int a = 0; a < P->d; a++)
        out [a] = P->model.lambda * (x [a] - x0 [a]);
    //  Jpsi^T u, with Jpsi[k][a] = -psi_k (x_a - c_ka) / (ell^2 + h^2)
    for (int k = 0; k < P->K; k++) {
        const double *c = P->centres + k * P->d;
        double f = -psi [k] * w->u [k] / P->psi_var;
        for (int a = 0; a < P->d; a++)
            out [a] += f * (x [a] - c [a]);
    }
}

double
ss_hypergrad_projected_norm (const ss_problem_t *P, const double *x,
                             const double *g)
{
    double sq = 0;
    for (int a = 0; a < P->d; a++) {
        if ((x [a] <= P->model.lo && g [a] > 0)
        ||  (x [a] >= P->model.hi && g [a] < 0))
            continue;
        sq += g [a] * g [a];
    }
    return sqrt (sq);
}

double
ss_hypergrad (const ss_problem_t *P, const double *x, const double *x0,
              int n, double *theta, double tol, double *grad, ss_work_t *w)
{
    double sigma [SS_MAX_K];
    ss_footprint_aggregate (P, x, n, sigma);
    if (ss_lower_solve (P, sigma, theta, tol, w) < 0
    ||  ss_expfam_newton_direction (P, w))
        return NAN;
    double worst = 0;
    for (int i = 0; i < n; i++) {
        double *g = grad + (size_t) i * P->d;
        ss_hypergrad_agent (P, x + (size_t) i * P->d, x0 + (size_t) i * P->d, w, g);
        double norm = ss_hypergrad_projected_norm (P, x + (size_t) i * P->d, g);
        if (norm > worst)
            worst = norm;
        for (int a = 0; a < P->d; a++)
            g [a] /= n;
    }
    return worst;
}
