/*  expfam: the log-partition, its gradient E[phi] and Hessian Cov[phi],
    checked by central finite differences in dim 1, 2 and 3; the target's
    normalisation; KL. */

#include <stdlib.h>
#include <string.h>
#include "ss_testutil.h"

static void
check_dim (int d)
{
    ss_problem_t *P = test_problem (d, 0);
    ss_work_t *w = ss_work_new (P);
    const int K = P->K;
    ss_rng_t rng;
    ss_rng_seed (&rng, 42 + d);
    double *theta = calloc (K, sizeof (double));
    double *t = calloc (K, sizeof (double));
    double *grad = calloc (K, sizeof (double));
    double *fd = calloc (K, sizeof (double));
    double *cov = calloc ((size_t) K * K, sizeof (double));
    double *fdcov = calloc ((size_t) K * K, sizeof (double));
    double *Ep = calloc (K, sizeof (double));
    test_fill (&rng, theta, K, -2, 2);

    ss_expfam_moments (P, theta, w, true);
    memcpy (grad, w->E, K * sizeof (double));
    memcpy (cov, w->cov, (size_t) K * K * sizeof (double));
    //  grad A against A, Cov against E: central differences
    const double eps = 1e-5;
    for (int k = 0; k < K; k++) {
        memcpy (t, theta, K * sizeof (double));
        t [k] += eps;
        double Ap = ss_expfam_moments (P, t, w, false);
        memcpy (Ep, w->E, K * sizeof (double));
        t [k] -= 2 * eps;
        double Am = ss_expfam_moments (P, t, w, false);
        fd [k] = (Ap - Am) / (2 * eps);
        for (int j = 0; j < K; j++)
            fdcov [j * K + k] = (Ep [j] - w->E [j]) / (2 * eps);
    }
    double e1 = test_relerr (fd, grad, K);
    double e2 = test_relerr (fdcov, cov, K * K);
    print_message ("dim %d: grad A rel err %.2e, Cov rel err %.2e\n", d, e1, e2);
    assert_true (e1 < 1e-6);
    assert_true (e2 < 1e-6);

    //  Probabilities sum to one; the target too
    double sp = 0, sq = 0;
    for (int g = 0; g < P->G; g++) {
        sp += w->p [g];
        sq += P->q [g];
    }
    assert_true (fabs (sp - 1) < 1e-12);
    assert_true (fabs (sq - 1) < 1e-12);
    //  KL(q||p) >= 0 and the closed form equals the direct sum
    ss_expfam_moments (P, theta, w, false);
    double kl = ss_expfam_kl (P, theta, w), direct = 0;
    for (int g = 0; g < P->G; g++)
        if (P->q [g] > 0)
            direct += P->q [g] * (log (P->q [g]) - (w->logit [g] - w->A));
    assert_true (kl >= 0);
    assert_true (fabs (kl - direct) < 1e-10 * (1 + fabs (direct)));

    free (theta); free (t); free (grad); free (fd); free (cov); free (fdcov); free (Ep);
    ss_work_destroy (&w);
    ss_problem_destroy (&P);
    assert_null (P);
}

static void test_dim1 (void **state) { (void) state; check_dim (1); }
static void test_dim2 (void **state) { (void) state; check_dim (2); }
static void test_dim3 (void **state) { (void) state; check_dim (3); }

static void
test_layout (void **state)
{
    (void) state;
    ss_problem_t *P = test_problem (2, 0);
    //  Centres and nodes: first coordinate fastest, cell midpoints
    assert_int_equal (P->K, 25);
    assert_int_equal (P->G, 1024);
    assert_true (fabs (P->centres [0] - 0.1) < 1e-15);
    assert_true (fabs (P->centres [2 * 1] - 0.3) < 1e-15);     //  k = 1: a = 1
    assert_true (fabs (P->centres [2 * 5 + 1] - 0.3) < 1e-15); //  k = 5: b = 1
    assert_true (fabs (P->nodes [2 * 1] - 1.5 / 32) < 1e-15);
    assert_true (fabs (P->nodes [2 * 32 + 1] - 1.5 / 32) < 1e-15);
    //  phi_k(y) = exp(-|y - c_k|^2 / (2 ell^2))
    double y [2] = { 0.4, 0.2 }, phi [25];
    ss_expfam_features (P, y, phi);
    double r2 = (0.4 - 0.3) * (0.4 - 0.3) + (0.2 - 0.1) * (0.2 - 0.1);
    assert_true (fabs (phi [1] - exp (-r2 / (2 * 0.15 * 0.15))) < 1e-15);
    ss_problem_destroy (&P);
}

static void
test_cholesky (void **state)
{
    (void) state;
    double a [9] = { 4, 2, 0.4, 2, 5, 1, 0.4, 1, 3 }, l [9], b [3] = { 1, 2, 3 };
    memcpy (l, a, sizeof a);
    assert_int_equal (ss_chol_factor (l, 3), 0);
    double x [3];
    memcpy (x, b, sizeof b);
    ss_chol_solve (l, 3, x);
    for (int i = 0; i < 3; i++) {
        double r = 0;
        for (int j = 0; j < 3; j++)
            r += a [i * 3 + j] * x [j];
        assert_true (fabs (r - b [i]) < 1e-14);
    }
    double bad [4] = { 1, 2, 2, 1 };
    assert_int_equal (ss_chol_factor (bad, 2), -1);
}

static void
test_bad_model (void **state)
{
    (void) state;
    ss_model_t model;
    ss_model_defaults (&model);
    ss_mixture_t target;
    ss_mixture_defaults (&target, 2, 0, 1);
    model.rho = 0;
    assert_non_null (ss_model_check (&model));
    assert_null (ss_problem_new (&model, &target));
    ss_model_defaults (&model);
    target.comp [0].std = -1;
    assert_null (ss_problem_new (&model, &target));
    ss_model_defaults (&model);
    model.m = 40;       //  40^2 > SS_MAX_K
    assert_non_null (ss_model_check (&model));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_dim1),
        cmocka_unit_test (test_dim2),
        cmocka_unit_test (test_dim3),
        cmocka_unit_test (test_layout),
        cmocka_unit_test (test_cholesky),
        cmocka_unit_test (test_bad_model),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
