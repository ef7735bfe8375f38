/*  ss_footprint: psi_k(x) = (ell^2/(ell^2+h^2))^(d/2)
                             exp(-|x - c_k|^2 / (2 (ell^2 + h^2))).

    On the tensor path the centres are a grid, so psi is a product over
    axes of d m one-axis exponentials (d m exp calls instead of K = m^d);
    the dense path keeps one exponential per feature. */

#include <math.h>
#include <string.h>
#include "ss_footprint.h"

void
ss_footprint (const ss_problem_t *P, const double *x, double *out)
{
    double two_var = 2 * P->psi_var;
    if (P->path == SS_PATH_TENSOR) {
        const int m = P->m, n1 = P->d > 1? m: 1, n2 = P->d > 2? m: 1;
        double e [SS_MAX_DIM][SS_MAX_K];
        for (int a = 0; a < P->d; a++)
            for (int c = 0; c < m; c++) {
                double r = x [a] - P->centre1 [c];
                e [a][c] = exp (-r * r / two_var);
            }
        for (int a = P->d; a < SS_MAX_DIM; a++)
            e [a][0] = 1;
        int k = 0;
        for (int k2 = 0; k2 < n2; k2++)
            for (int k1 = 0; k1 < n1; k1++) {
                double f = P->psi_scale * e [2][k2] * e [1][k1];
                for (int k0 = 0; k0 < m; k0++, k++)
                    out [k] = f * e [0][k0];
            }
        return;
    }
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
