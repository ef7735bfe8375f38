/*  sim: an independent dense matrix-form implementation of the algorithm
    (W Theta, W S on whole matrices) agrees with the per-agent sim to
    round-off on a 12-agent fleet; the centralized reference keeps theta
    at the exact lower-level solution. */

#include <stdlib.h>
#include <string.h>
#include "ss_testutil.h"
#include "ss_testfleet.h"
#include "ss_footprint.h"
#include "ss_lower.h"
#include "ss_sim.h"

static void
test_matrix_form (void **state)
{
    (void) state;
    const char *sets [] = { "agents/count=12", "rounds=150", "graph/kind=ring",
                            "graph/degree=4" };
    ss_fleet_t *fleet = test_fleet ("fleet\n    name = dense\n", sets, 4);
    assert_non_null (fleet);
    char err [256];
    ss_sim_t *sim = ss_sim_new (fleet, false, err, sizeof err);
    assert_non_null (sim);
    const ss_problem_t *P = ss_sim_problem (sim);
    const int n = 12, K = P->K, d = P->d;
    const ss_model_t *m = &P->model;

    //  Dense W: Metropolis on the ring i +- 1, i +- 2, written out here
    double W [12][12] = { { 0 } };
    for (int i = 0; i < n; i++) {
        for (int off = -2; off <= 2; off++)
            if (off)
                W [i][(i + off + n) % n] = 1.0 / (1 + 4);
        W [i][i] = 1 - 4.0 / 5;
    }
    double *X = calloc (n * d, sizeof (double)), *Xn = calloc (n * d, sizeof (double));
    double *X0 = calloc (n * d, sizeof (double));
    double *T = calloc (n * K, sizeof (double)), *Tn = calloc (n * K, sizeof (double));
    double *S = calloc (n * K, sizeof (double)), *Sn = calloc (n * K, sizeof (double));
    double *jac = calloc (K * d, sizeof (double));
    double *H = calloc (K * K, sizeof (double));
    ss_fleet_positions (fleet, X0);
    memcpy (X, X0, n * d * sizeof (double));
    for (int i = 0; i < n; i++)
        ss_footprint (P, X + i * d, S + i * K);
    ss_work_t *w = ss_work_new (P);
    double worst = 0;
    for (int round = 0; round < 150; round++) {
        //  Theta' = W Theta - gamma (E(Theta) + rho Theta - S);  S' = W S + Psi' - Psi
        for (int i = 0; i < n; i++) {
            ss_expfam_moments (P, T + i * K, w, true);
            //  slow step: v = alpha Jpsi^T H^-1 (E - mu_q), dense
            double u [SS_MAX_K], psi [SS_MAX_K];
            memcpy (H, w->cov, K * K * sizeof (double));
            for (int k = 0; k < K; k++) {
                H [k * K + k] += m->rho;
                u [k] = w->E [k] - P->mu_q [k];
            }
            assert_int_equal (ss_chol_factor (H, K), 0);
            ss_chol_solve (H, K, u);
            ss_footprint (P, X + i * d, psi);
            ss_footprint_jacobian (P, X + i * d, psi, jac);
            double v [SS_MAX_DIM] = { 0 }, norm = 0;
            for (int a = 0; a < d; a++) {
                for (int k = 0; k < K; k++)
                    v [a] += jac [k * d + a] * u [k];
                v [a] = m->alpha * (v [a] + m->lambda * (X [i * d + a] - X0 [i * d + a]));
                norm += v [a] * v [a];
            }
            norm = sqrt (norm);
            for (int a = 0; a < d; a++) {
                double y = X [i * d + a] - (norm > m->vmax? v [a] * m->vmax / norm: v [a]);
                Xn [i * d + a] = fmin (m->hi, fmax (m->lo, y));
            }
            for (int k = 0; k < K; k++) {
                double wt = 0, ws = 0;
                for (int j = 0; j < n; j++) {
                    wt += W [i][j] * T [j * K + k];
                    ws += W [i][j] * S [j * K + k];
                }
                Tn [i * K + k] = wt - m->gamma * (w->E [k] + m->rho * T [i * K + k] - S [i * K + k]);
                Sn [i * K + k] = ws;
            }
            double psi_new [SS_MAX_K];
            ss_footprint (P, Xn + i * d, psi_new);
            for (int k = 0; k < K; k++)
                Sn [i * K + k] += psi_new [k] - psi [k];
        }
        memcpy (X, Xn, n * d * sizeof (double));
        memcpy (T, Tn, n * K * sizeof (double));
        memcpy (S, Sn, n * K * sizeof (double));
        ss_sim_step (sim);
        for (int i = 0; i < n; i++) {
            const ss_agent_t *agent = ss_sim_agent (sim, i);
            for (int a = 0; a < d; a++)
                worst = fmax (worst, fabs (agent->x [a] - X [i * d + a]));
            for (int k = 0; k < K; k++) {
                worst = fmax (worst, fabs (agent->theta [k] - T [i * K + k]));
                worst = fmax (worst, fabs (agent->s [k] - S [i * K + k]));
            }
        }
    }
    print_message ("dense matrix form vs sim, 150 rounds: max difference %.2e\n", worst);
    assert_true (worst < 1e-11);
    //  and the positions moved: this is not a trivial agreement
    double moved = 0;
    for (int i = 0; i < n * d; i++)
        moved = fmax (moved, fabs (X [i] - X0 [i]));
    assert_true (moved > 0.05);
    free (X); free (Xn); free (X0); free (T); free (Tn); free (S); free (Sn); free (jac); free (H);
    ss_work_destroy (&w);
    ss_sim_destroy (&sim);
    ss_fleet_destroy (&fleet);
}

static void
test_centralized (void **state)
{
    (void) state;
    const char *sets [] = { "agents/count=10", "rounds=20" };
    ss_fleet_t *fleet = test_fleet ("fleet\n    name = central\n", sets, 2);
    assert_non_null (fleet);
    char err [256];
    ss_sim_t *sim = ss_sim_new (fleet, true, err, sizeof err);
    assert_non_null (sim);
    const ss_problem_t *P = ss_sim_problem (sim);
    ss_work_t *w = ss_work_new (P);
    ss_sim_score_t first, score;
    ss_sim_score (sim, &first);
    for (int r = 0; r < 20; r++) {
        //  theta used in round r is the exact solution at round r's positions
        double sigma [SS_MAX_K], theta [SS_MAX_K] = { 0 };
        ss_footprint_aggregate (P, ss_sim_positions (sim), 10, sigma);
        assert_true (ss_lower_solve (P, sigma, theta, 1e-12, w) >= 0);
        ss_sim_step (sim);
        for (int k = 0; k < P->K; k++)
            assert_true (fabs (ss_sim_agent (sim, 3)->theta [k] - theta [k]) < 1e-8);
    }
    ss_sim_score (sim, &score);
    assert_true (score.J < first.J);
    assert_true (score.disagreement < 1e-12);     //  one theta*, up to the mean's round-off
    ss_work_destroy (&w);
    ss_sim_destroy (&sim);
    ss_fleet_destroy (&fleet);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_matrix_form),
        cmocka_unit_test (test_centralized),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
