/*  expfam: the log-partition, its gradient E[phi] and Hessian Cov[phi],
    checked by central finite differences in dim 1, 2 and 3; the target's
    normalisation; KL. The tensor path against the dense path (A, p, E,
    Cov, Newton direction), with the hand-written loops and with BLAS /
    LAPACK: relative error < 1e-12 on random theta in dims 1, 2, 3, and the
    covariance's guaranteed error per entry on concentrated distributions; grid targets (q proportional to the
    levels). */

#include <float.h>
#include <stdlib.h>
#include <string.h>
#include "ss_testutil.h"
#include "ss_footprint.h"

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

//  max |a - b| / max |b|
static double
s_maxrel (const double *a, const double *b, int n)
{
    double num = 0, den = 0;
    for (int i = 0; i < n; i++) {
        num = fmax (num, fabs (a [i] - b [i]));
        den = fmax (den, fabs (b [i]));
    }
    return num / (den > 0? den: 1);
}

//  One model: for random theta in [-scale, scale], the tensor path (hand
//  loops, then BLAS) against the dense path. Returns the worst relative
//  error of any of A, p, E, Cov, u; *entry gets the worst covariance entry
//  error in units of eps sqrt(S_kk S_ll), S = E[phi phi^T] (the bound the
//  tensor path guarantees, ss_expfam.h).
static double
s_tensor_vs_dense (int d, int m, int nq, double scale, int trials, double *entry)
{
    ss_model_t model;
    ss_model_defaults (&model);
    model.dim = d;
    model.m = m;
    model.nq = nq;
    ss_mixture_t target;
    ss_mixture_defaults (&target, d, model.lo, model.hi);
    ss_problem_t *P = ss_problem_new (&model, &target);
    assert_non_null (P);
    ss_work_t *w = ss_work_new (P);
    const int K = P->K, G = P->G;
    double *theta = calloc (K, sizeof (double));
    double *p = calloc (G, sizeof (double)), *E = calloc (K, sizeof (double));
    double *cov = calloc ((size_t) K * K, sizeof (double)), *u = calloc (K, sizeof (double));
    double *second = calloc ((size_t) K * K, sizeof (double));
    ss_rng_t rng;
    ss_rng_seed (&rng, 1000 + 10 * d + m);
    double worst = 0;
    *entry = 0;
    for (int t = 0; t < trials; t++) {
        test_fill (&rng, theta, K, -scale, scale);
        //  Dense reference, hand-written Cholesky
        assert_int_equal (ss_problem_set_path (P, SS_PATH_DENSE), 0);
        ss_problem_set_blas (P, false, false);
        double A = ss_expfam_moments (P, theta, w, true);
        memcpy (p, w->p, G * sizeof (double));
        memcpy (E, w->E, K * sizeof (double));
        memcpy (cov, w->cov, (size_t) K * K * sizeof (double));
        assert_int_equal (ss_expfam_newton_direction (P, w), 0);
        memcpy (u, w->u, K * sizeof (double));
        //  S = Cov + E E^T, the scale of the tensor path's error
        for (int k = 0; k < K; k++)
            for (int l = 0; l < K; l++)
                second [k * K + l] = cov [k * K + l] + E [k] * E [l];
        assert_int_equal (ss_problem_set_path (P, SS_PATH_TENSOR), 0);
        for (int blas = 0; blas < 2; blas++) {
            ss_problem_set_blas (P, blas, blas);
            double At = ss_expfam_moments (P, theta, w, true);
            double e = fabs (At - A) / fmax (1, fabs (A));
            e = fmax (e, s_maxrel (w->p, p, G));
            e = fmax (e, test_relerr (w->E, E, K));
            e = fmax (e, test_relerr (w->cov, cov, K * K));
            for (int k = 0; k < K; k++)
                for (int l = 0; l < K; l++) {
                    double bound = DBL_EPSILON * sqrt (second [k * K + k] * second [l * K + l]);
                    *entry = fmax (*entry, fabs (w->cov [k * K + l] - cov [k * K + l]) / bound);
                    //  exactly symmetric
                    assert_true (w->cov [k * K + l] == w->cov [l * K + k]);
                }
            assert_int_equal (ss_expfam_newton_direction (P, w), 0);
            e = fmax (e, test_relerr (w->u, u, K));
            worst = fmax (worst, e);
        }
    }
    free (theta); free (p); free (E); free (cov); free (u); free (second);
    ss_work_destroy (&w);
    ss_problem_destroy (&P);
    return worst;
}

static void
test_tensor_vs_dense (void **state)
{
    (void) state;
    //  d, m, nq: the test problems, the default model, the README's table,
    //  and G not a multiple of the vector exp's 4 lanes (33, 7^3)
    const int cases [][3] = {
        { 1, 5, 32 }, { 1, 12, 64 }, { 1, 4, 33 }, { 2, 5, 32 }, { 2, 3, 32 },
        { 2, 7, 16 }, { 3, 3, 12 }, { 3, 4, 16 }, { 3, 3, 7 }
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases [0]; c++) {
        const int d = cases [c][0], m = cases [c][1], nq = cases [c][2];
        double entry, entry_far;
        double e = s_tensor_vs_dense (d, m, nq, 2, 4, &entry);
        //  theta in [-30, 30]: p concentrated on a few nodes, Cov << S
        double far = s_tensor_vs_dense (d, m, nq, 30, 2, &entry_far);
        print_message ("d %d m %2d nq %2d: tensor vs dense rel err %.2e "
                       "(|theta| <= 30: %.2e); worst Cov entry %.1f (%.1f) eps "
                       "sqrt(S_kk S_ll)\n", d, m, nq, e, far, entry, entry_far);
        assert_true (e < 1e-12);
        //  the guarantee, whatever the concentration: each S entry and E_k E_l
        //  pass through d sums of n_q positive terms (recursive summation,
        //  worst case ~ d n_q eps of the sum's own size, Higham 4.2)
        assert_true (entry < 4 * d * nq);
        assert_true (entry_far < 4 * d * nq);
    }
}

//  Same inputs, same bits: two work areas, BLAS and hand loops alike
static void
test_repeatable (void **state)
{
    (void) state;
    for (int d = 1; d <= 3; d++) {
        ss_problem_t *P = test_problem (d, 0);
        ss_work_t *w1 = ss_work_new (P), *w2 = ss_work_new (P);
        const int K = P->K;
        double theta [SS_MAX_K];
        ss_rng_t rng;
        ss_rng_seed (&rng, 5 + d);
        test_fill (&rng, theta, K, -2, 2);
        for (int blas = 0; blas < 2; blas++) {
            ss_problem_set_blas (P, blas, blas);
            ss_expfam_moments (P, theta, w1, true);
            ss_expfam_moments (P, theta, w2, true);
            assert_int_equal (ss_expfam_newton_direction (P, w1), 0);
            assert_int_equal (ss_expfam_newton_direction (P, w2), 0);
            assert_memory_equal (w1->p, w2->p, P->G * sizeof (double));
            assert_memory_equal (w1->cov, w2->cov, (size_t) K * K * sizeof (double));
            assert_memory_equal (w1->u, w2->u, K * sizeof (double));
            assert_true (w1->A == w2->A);
        }
        ss_work_destroy (&w1);
        ss_work_destroy (&w2);
        ss_problem_destroy (&P);
    }
}

//  The footprint: a product of one-axis exponentials against one
//  exponential per feature
static void
test_footprint_paths (void **state)
{
    (void) state;
    for (int d = 1; d <= 3; d++) {
        ss_problem_t *P = test_problem (d, 0);
        ss_rng_t rng;
        ss_rng_seed (&rng, 77 + d);
        double x [SS_MAX_DIM], a [SS_MAX_K], b [SS_MAX_K];
        for (int t = 0; t < 10; t++) {
            test_fill (&rng, x, d, 0, 1);
            ss_footprint (P, x, a);
            assert_int_equal (ss_problem_set_path (P, SS_PATH_DENSE), 0);
            ss_footprint (P, x, b);
            assert_int_equal (ss_problem_set_path (P, SS_PATH_TENSOR), 0);
            for (int k = 0; k < P->K; k++)
                assert_true (fabs (a [k] - b [k]) <= 1e-14 * b [k]);
        }
        ss_problem_destroy (&P);
    }
}

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
        cmocka_unit_test (test_tensor_vs_dense),
        cmocka_unit_test (test_repeatable),
        cmocka_unit_test (test_footprint_paths),
        cmocka_unit_test (test_layout),
        cmocka_unit_test (test_cholesky),
        cmocka_unit_test (test_bad_model),
        cmocka_unit_test (test_grid_target),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
