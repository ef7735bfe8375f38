/*  lower: Newton meets stationarity to 1e-10 from cold and warm starts,
    in every dimension, and the solution is the minimiser. */

#include <stdlib.h>
#include <string.h>
#include "ss_testutil.h"
#include "ss_footprint.h"
#include "ss_lower.h"

static void
check_dim (int d)
{
    ss_problem_t *P = test_problem (d, 0);
    ss_work_t *w = ss_work_new (P);
    const int K = P->K, n = 20;
    ss_rng_t rng;
    ss_rng_seed (&rng, 3 + d);
    double x [20 * SS_MAX_DIM], sigma [SS_MAX_K], theta [SS_MAX_K], grad [SS_MAX_K];
    for (int start = 0; start < 3; start++) {
        test_fill (&rng, x, n * d, 0, 1);
        ss_footprint_aggregate (P, x, n, sigma);
        //  cold start, then a far start
        if (start < 2)
            memset (theta, 0, sizeof theta);
        else
            test_fill (&rng, theta, K, -30, 30);
        int iters = ss_lower_solve (P, sigma, theta, 1e-10, w);
        assert_true (iters >= 0);
        ss_expfam_moments (P, theta, w, false);
        double gmax = 0;
        for (int k = 0; k < K; k++) {
            grad [k] = w->E [k] - sigma [k] + P->model.rho * theta [k];
            gmax = fmax (gmax, fabs (grad [k]));
        }
        print_message ("dim %d start %d: %d Newton steps, |grad g|_inf %.2e\n",
                       d, start, iters, gmax);
        assert_true (gmax <= 1e-10);
        //  A minimiser: every small perturbation raises g
        double g0 = ss_lower_objective (P, theta, sigma, w);
        for (int k = 0; k < K; k++) {
            double t [SS_MAX_K];
            memcpy (t, theta, sizeof t);
            t [k] += 1e-3;
            assert_true (ss_lower_objective (P, t, sigma, w) > g0);
        }
    }
    ss_work_destroy (&w);
    ss_problem_destroy (&P);
}

static void test_dim1 (void **state) { (void) state; check_dim (1); }
static void test_dim2 (void **state) { (void) state; check_dim (2); }
static void test_dim3 (void **state) { (void) state; check_dim (3); }

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_dim1),
        cmocka_unit_test (test_dim2),
        cmocka_unit_test (test_dim3),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
