/*  footprint: psi against a direct integral, its Jacobian against finite
    differences in dim 1, 2, 3, and the aggregate. */

#include <stdlib.h>
#include <string.h>
#include "ss_testutil.h"
#include "ss_footprint.h"

static void
check_jacobian (int d)
{
    ss_problem_t *P = test_problem (d, 0);
    const int K = P->K;
    ss_rng_t rng;
    ss_rng_seed (&rng, 7 + d);
    for (int trial = 0; trial < 5; trial++) {
        double x [SS_MAX_DIM], psi [SS_MAX_K], plus [SS_MAX_K], minus [SS_MAX_K];
        double *jac = calloc ((size_t) K * d, sizeof (double));
        double *fd = calloc ((size_t) K * d, sizeof (double));
        test_fill (&rng, x, d, 0, 1);
        ss_footprint (P, x, psi);
        ss_footprint_jacobian (P, x, psi, jac);
        const double eps = 1e-6;
        for (int a = 0; a < d; a++) {
            double y [SS_MAX_DIM];
            memcpy (y, x, sizeof y);
            y [a] = x [a] + eps;
            ss_footprint (P, y, plus);
            y [a] = x [a] - eps;
            ss_footprint (P, y, minus);
            for (int k = 0; k < K; k++)
                fd [k * d + a] = (plus [k] - minus [k]) / (2 * eps);
        }
        double e = test_relerr (fd, jac, K * d);
        if (trial == 0)
            print_message ("dim %d: Jpsi rel err %.2e\n", d, e);
        assert_true (e < 1e-6);
        free (jac);
        free (fd);
    }
    ss_problem_destroy (&P);
}

static void test_jac1 (void **state) { (void) state; check_jacobian (1); }
static void test_jac2 (void **state) { (void) state; check_jacobian (2); }
static void test_jac3 (void **state) { (void) state; check_jacobian (3); }

//  psi_k(x) = E[phi_k(y)], y ~ N(x, h^2): a fine 1-D integral agrees
static void
test_closed_form (void **state)
{
    (void) state;
    ss_problem_t *P = test_problem (1, 0);
    double x = 0.37, psi [SS_MAX_K], h = P->model.h, ell = P->model.ell;
    ss_footprint (P, &x, psi);
    for (int k = 0; k < P->K; k++) {
        double c = P->centres [k], sum = 0, dy = 1e-4;
        for (double y = x - 12 * h; y <= x + 12 * h; y += dy) {
            double kernel = exp (-(y - x) * (y - x) / (2 * h * h)) / sqrt (2 * M_PI * h * h);
            sum += kernel * exp (-(y - c) * (y - c) / (2 * ell * ell)) * dy;
        }
        assert_true (fabs (sum - psi [k]) < 1e-8);
    }
    ss_problem_destroy (&P);
}

static void
test_aggregate (void **state)
{
    (void) state;
    ss_problem_t *P = test_problem (2, 0);
    double x [6] = { 0.1, 0.2, 0.5, 0.5, 0.9, 0.3 }, sigma [SS_MAX_K];
    double a [SS_MAX_K], b [SS_MAX_K], c [SS_MAX_K];
    ss_footprint_aggregate (P, x, 3, sigma);
    ss_footprint (P, x, a);
    ss_footprint (P, x + 2, b);
    ss_footprint (P, x + 4, c);
    for (int k = 0; k < P->K; k++)
        assert_true (fabs (sigma [k] - (a [k] + b [k] + c [k]) / 3) < 1e-15);
    ss_problem_destroy (&P);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_jac1),
        cmocka_unit_test (test_jac2),
        cmocka_unit_test (test_jac3),
        cmocka_unit_test (test_closed_form),
        cmocka_unit_test (test_aggregate),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
