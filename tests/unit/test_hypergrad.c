/*  hypergrad: grad J by the implicit function theorem against central
    finite differences of J(x) = F(theta*(x)) + lambda/(2N) sum |x - x0|^2,
    the lower level solved exactly at every evaluation, in dim 1, 2, 3. */

#include <stdlib.h>
#include <string.h>
#include "ss_testutil.h"
#include "ss_hypergrad.h"

static void
check_dim (int d, double lambda)
{
    ss_problem_t *P = test_problem (d, lambda);
    ss_work_t *w = ss_work_new (P);
    const int n = 5;
    ss_rng_t rng;
    ss_rng_seed (&rng, 11 + d);
    double x [5 * SS_MAX_DIM], x0 [5 * SS_MAX_DIM], y [5 * SS_MAX_DIM];
    double grad [5 * SS_MAX_DIM], fd [5 * SS_MAX_DIM];
    double theta [SS_MAX_K] = { 0 };
    test_fill (&rng, x, n * d, 0.15, 0.85);
    test_fill (&rng, x0, n * d, 0.15, 0.85);
    ss_hypergrad (P, x, x0, n, theta, 1e-13, grad, w);
    const double eps = 1e-5;
    for (int i = 0; i < n * d; i++) {
        memcpy (y, x, sizeof y);
        y [i] = x [i] + eps;
        double Jp = ss_objective (P, y, x0, n, theta, 1e-13, NULL, w);
        y [i] = x [i] - eps;
        double Jm = ss_objective (P, y, x0, n, theta, 1e-13, NULL, w);
        fd [i] = (Jp - Jm) / (2 * eps);
    }
    double e = test_relerr (fd, grad, n * d);
    print_message ("dim %d lambda %g: hypergradient rel err %.2e (|grad| ~ %.2e)\n",
                   d, lambda, e, fabs (grad [0]));
    assert_true (e < 1e-6);
    ss_work_destroy (&w);
    ss_problem_destroy (&P);
}

static void test_dim1 (void **state) { (void) state; check_dim (1, 0); }
static void test_dim2 (void **state) { (void) state; check_dim (2, 0); }
static void test_dim3 (void **state) { (void) state; check_dim (3, 0); }
static void test_anchor (void **state) { (void) state; check_dim (2, 0.5); }

//  The projection drops components pushing out of the box
static void
test_projection (void **state)
{
    (void) state;
    ss_problem_t *P = test_problem (2, 0);
    double x [2] = { 0.0, 0.5 }, g [2] = { 3.0, 4.0 };
    assert_true (fabs (ss_hypergrad_projected_norm (P, x, g) - 4.0) < 1e-15);
    g [0] = -3.0;
    assert_true (fabs (ss_hypergrad_projected_norm (P, x, g) - 5.0) < 1e-15);
    x [1] = 1.0;
    assert_true (fabs (ss_hypergrad_projected_norm (P, x, g) - 5.0) < 1e-15);
    g [1] = -4.0;
    assert_true (fabs (ss_hypergrad_projected_norm (P, x, g) - 3.0) < 1e-15);
    ss_problem_destroy (&P);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_dim1),
        cmocka_unit_test (test_dim2),
        cmocka_unit_test (test_dim3),
        cmocka_unit_test (test_anchor),
        cmocka_unit_test (test_projection),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
