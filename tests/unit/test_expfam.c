/*  expfam: the log-partition, its gradient E[phi] and Hessian Cov[phi],
    checked by central finite differences in dim 1, 2 and 3; the target's
    normalisation; KL; grid targets (q proportional to the levels). */

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

static void
test_grid_target (void **state)
{
    (void) state;
    ss_problem_t *P = test_problem (2, 0);
    const int G = P->G, K = P->K;
    double *q = malloc ((size_t) G * sizeof (double));
    double *mu = malloc ((size_t) K * sizeof (double));
    memcpy (q, P->q, (size_t) G * sizeof (double));
    memcpy (mu, P->mu_q, (size_t) K * sizeof (double));
    double qmax = 0;
    for (int g = 0; g < G; g++)
        qmax = fmax (qmax, q [g]);

    //  The default mixture's q quantised to 0..255 (components kept: the
    //  grid wins) gives nearly the same q and mu_q
    ss_mixture_t *grid = calloc (1, sizeof (ss_mixture_t));
    ss_mixture_defaults (grid, 2, 0, 1);
    grid->cells = G;
    for (int g = 0; g < G; g++)
        grid->level [g] = (uint8_t) lround (255 * q [g] / qmax);
    assert_int_equal (ss_problem_set_target (P, grid), 0);
    double sum = 0, levels = 0;
    for (int g = 0; g < G; g++) {
        sum += P->q [g];
        levels += grid->level [g];
    }
    assert_true (fabs (sum - 1) < 1e-12);
    for (int g = 0; g < G; g++)
        assert_true (fabs (P->q [g] - grid->level [g] / levels) < 1e-15);
    double eq = test_relerr (P->q, q, G), emu = test_relerr (P->mu_q, mu, K);
    print_message ("quantised mixture: q rel err %.2e, mu_q rel err %.2e\n", eq, emu);
    assert_true (eq < 1e-2);
    assert_true (emu < 2e-3);
    //  Zero levels: q 0 there, the entropy term and KL finite
    double theta [25] = { 0 };
    ss_work_t *w = ss_work_new (P);
    ss_expfam_moments (P, theta, w, false);
    assert_true (isfinite (P->q_entropy_term));
    assert_true (ss_expfam_kl (P, theta, w) >= 0);

    //  A uniform grid is uniform: q = 1/G, sum q log q = -log G, KL at
    //  theta = 0 (p uniform) is 0
    memset (grid->level, 7, sizeof grid->level);
    assert_int_equal (ss_problem_set_target (P, grid), 0);
    for (int g = 0; g < G; g++)
        assert_true (fabs (P->q [g] * G - 1) < 1e-12);
    assert_true (fabs (P->q_entropy_term + log ((double) G)) < 1e-12);
    ss_expfam_moments (P, theta, w, false);
    assert_true (fabs (ss_expfam_kl (P, theta, w)) < 1e-12);

    //  Back to the mixture: the same q as at first
    grid->cells = 0;
    assert_int_equal (ss_problem_set_target (P, grid), 0);
    assert_true (test_relerr (P->q, q, G) < 1e-15);
    //  Refused: a grid of another size, a grid of zeros (q unchanged)
    grid->cells = G / 2;
    assert_int_equal (ss_problem_set_target (P, grid), -1);
    grid->cells = G;
    memset (grid->level, 0, sizeof grid->level);
    assert_int_equal (ss_problem_set_target (P, grid), -1);
    assert_true (test_relerr (P->q, q, G) < 1e-15);
    //  A grid alone (no component) builds a problem
    grid->count = 0;
    grid->level [5] = 1;
    ss_model_t model = P->model;
    ss_problem_t *Q = ss_problem_new (&model, grid);
    assert_non_null (Q);
    assert_true (Q->q [5] == 1.0);
    assert_true (Q->q_entropy_term == 0);
    ss_problem_destroy (&Q);

    ss_work_destroy (&w);
    free (grid);
    free (q);
    free (mu);
    ss_problem_destroy (&P);
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
        cmocka_unit_test (test_grid_target),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
