/*  ss_footprint: psi_k(x) = (ell^2/(ell^2+h^2))^(d/2)
                             exp(-|x - c_k|^2 / (2 (ell^2 + h^2))). */

#include <math.h>
#include <string.h>
#include "ss_footprint.h"

void
ss_footprint (const ss_problem_t *P, const double *x, double *out)
{
    double two_var = 2 * P->psi_var;
    for (int k = 0; k < P->K; k++) {
        const double *c = P->centres + k * P->d;
        double r2 = 0;
        for (int a = 0; a < P->d; a++)
            r2 += (x [a] - c [a]) * (x [a] - c [a]);
        out [k] = P->psi_scale * exp (-r2 / two_var);
    }
}

void
ss_footprint_jacobian (const ss_problem_t *P, const double *x,
                       const double *psi, double *jac)
{
    for (int k = 0; k < P->K; k++) {
        const double *c = P->centres + k * P->d;
        for (int a = 0; a < P->d; a++)
            jac [k * P->d + a] = -psi [k] * (x [a] - c [a]) / P->psi_var;
    }
}

void
ss_footprint_aggregate (const ss_problem_t *P, const double *x, int n,
                        double *out)
{
    double psi [SS_MAX_K];
    memset (out, 0, (size_t) P->K * sizeof (double));
    for (int i = 0; i < n; i++) {
        ss_footprint (P, x + (size_t) i * P->d, psi);
        for (int k = 0; k < P->K; k++)
            out [k] += psi [k];
    }
    for (int k = 0; k < P->K; k++)
        out [k] /= n;
}
