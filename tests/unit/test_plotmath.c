/*  plotmath: nice ticks stay inside their range at a 1-2-5 spacing, decade
    ranges hold every positive value, labels need no more decimals than
    their step, viridis hits its end points, resampling is exact on linear
    data, marginals of a product grid factor, densities integrate to 1,
    and the fitted theta* meets the lower level's stationarity to 1e-10. */

#include <stdlib.h>
#include <string.h>
#include "ss_testutil.h"
#include "ss_footprint.h"
#include "ss_plotmath.h"

static bool
s_nice (double step)
{
    double mant = step / pow (10, floor (log10 (step) + 1e-12));
    return fabs (mant - 1) < 1e-9 || fabs (mant - 2) < 1e-9 || fabs (mant - 5) < 1e-9;
}

static void
test_ticks (void **state)
{
    (void) state;
    double ticks [SS_PLOTMATH_MAX_TICKS], step;
    int n = ss_plotmath_ticks (0, 1, 6, ticks, &step);
    assert_int_equal (n, 6);
    assert_true (fabs (step - 0.2) < 1e-12);
    assert_true (ticks [0] == 0 && fabs (ticks [5] - 1) < 1e-12);
    n = ss_plotmath_ticks (0, 1, 11, ticks, &step);
    assert_int_equal (n, 11);
    assert_true (fabs (step - 0.1) < 1e-12);
    //  Any range: inside, at most max, evenly spaced at a nice step
    ss_rng_t rng;
    ss_rng_seed (&rng, 7);
    for (int trial = 0; trial < 2000; trial++) {
        double lo = (ss_rng_uniform (&rng) - 0.5) * pow (10, 6 * ss_rng_uniform (&rng) - 3);
        double hi = lo + pow (10, 8 * ss_rng_uniform (&rng) - 4);
        int max = 2 + (int) (ss_rng_uniform (&rng) * 12);
        n = ss_plotmath_ticks (lo, hi, max, ticks, &step);
        //  At most max, unless that would leave a lone tick
        assert_true (n >= 2 && n <= 2 * max + 2);
        if (n > max)
            assert_true (ss_plotmath_ticks (lo, hi, n, ticks, &step) == n);
        assert_true (s_nice (step));
        for (int i = 0; i < n; i++) {
            assert_true (ticks [i] >= lo - step * 1e-6 && ticks [i] <= hi + step * 1e-6);
            if (i)
                assert_true (fabs (ticks [i] - ticks [i - 1] - step) < step * 1e-6);
        }
    }
    //  An empty range gives one tick, no loop
    assert_int_equal (ss_plotmath_ticks (3, 3, 5, ticks, &step), 1);
    assert_int_equal (ss_plotmath_ticks (NAN, 1, 5, ticks, &step), 1);
}

static void
test_decades (void **state)
{
    (void) state;
    int lo, hi;
    double v [] = { 0, 3e-3, NAN, 40, -5, INFINITY };
    assert_int_equal (ss_plotmath_decades (v, 6, 1, &lo, &hi), 0);
    assert_int_equal (lo, -3);
    assert_int_equal (hi, 2);
    double one = 1;
    assert_int_equal (ss_plotmath_decades (&one, 1, 1, &lo, &hi), 0);
    assert_true (lo == 0 && hi == 1);
    double zeros [] = { 0, -1, NAN };
    assert_int_equal (ss_plotmath_decades (zeros, 3, 1, &lo, &hi), -1);
    //  stride: only every other value counts
    double pairs [] = { 1e-5, 1e9, 1e2, 1e9 };
    assert_int_equal (ss_plotmath_decades (pairs, 2, 2, &lo, &hi), 0);
    assert_true (lo == -5 && hi == 2);
}

static void
test_log_ticks (void **state)
{
    (void) state;
    int exps [SS_PLOTMATH_MAX_TICKS];
    int n = ss_plotmath_log_ticks (-3, 1, 8, exps);
    assert_int_equal (n, 5);
    assert_true (exps [0] == -3 && exps [4] == 1);
    for (int lo = -17; lo < 3; lo++)
        for (int hi = lo + 1; hi < 6; hi++)
            for (int max = 2; max < 9; max++) {
                n = ss_plotmath_log_ticks (lo, hi, max, exps);
                assert_true (n >= 1 && n <= max);
                for (int i = 0; i < n; i++)
                    assert_true (exps [i] >= lo && exps [i] <= hi);
                if (lo <= 0 && hi >= 0) {
                    bool has_zero = false;
                    for (int i = 0; i < n; i++)
                        has_zero |= exps [i] == 0;
                    assert_true (has_zero);
                }
            }
}

static void
test_label (void **state)
{
    (void) state;
    char buf [32];
    assert_string_equal (ss_plotmath_label (0.2, 0.2, buf, sizeof buf), "0.2");
    assert_string_equal (ss_plotmath_label (0.05, 0.05, buf, sizeof buf), "0.05");
    assert_string_equal (ss_plotmath_label (2, 0.5, buf, sizeof buf), "2.0");
    assert_string_equal (ss_plotmath_label (40, 10, buf, sizeof buf), "40");
    assert_string_equal (ss_plotmath_label (1e-17, 0.1, buf, sizeof buf), "0.0");
    assert_string_equal (ss_plotmath_label (-0.0, 1, buf, sizeof buf), "0");
    assert_string_equal (ss_plotmath_label (-1e-12, 0.5, buf, sizeof buf), "0.0");
    assert_string_equal (ss_plotmath_label (250000, 50000, buf, sizeof buf), "2.5e+05");
}

static void
test_colour (void **state)
{
    (void) state;
    double rgb [3];
    ss_plotmath_colour (0, rgb);
    assert_true (fabs (rgb [0] - 0x44 / 255.0) < 1e-12 && fabs (rgb [2] - 0x54 / 255.0) < 1e-12);
    ss_plotmath_colour (1, rgb);
    assert_true (fabs (rgb [0] - 0xfd / 255.0) < 1e-12 && fabs (rgb [1] - 0xe7 / 255.0) < 1e-12);
    ss_plotmath_colour (0.5, rgb);
    assert_true (fabs (rgb [1] - 0x91 / 255.0) < 1e-12);
    double low [3], high [3];
    ss_plotmath_colour (NAN, low);
    ss_plotmath_colour (-3, rgb);
    assert_memory_equal (low, rgb, sizeof rgb);
    ss_plotmath_colour (7, high);
    ss_plotmath_colour (1, rgb);
    assert_memory_equal (high, rgb, sizeof rgb);
    //  Green rises all the way (viridis is monotone in lightness)
    double prev = -1;
    for (int i = 0; i <= 100; i++) {
        ss_plotmath_colour (i / 100.0, rgb);
        for (int c = 0; c < 3; c++)
            assert_true (rgb [c] >= 0 && rgb [c] <= 1);
        assert_true (rgb [1] > prev);
        prev = rgb [1];
    }
}

static void
test_resample (void **state)
{
    (void) state;
    enum { NX = 4, NY = 3, OX = 16, OY = 9 };
    double grid [NX * NY], out [OX * OY];
    //  Linear data: exact between the outermost centres, held beyond
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++)
            grid [j * NX + i] = 2 * i + 10 * j;
    ss_plotmath_resample (grid, NX, NY, out, OX, OY);
    for (int sy = 0; sy < OY; sy++)
        for (int sx = 0; sx < OX; sx++) {
            double u = (sx + 0.5) * NX / OX - 0.5, v = (sy + 0.5) * NY / OY - 0.5;
            u = fmin (fmax (u, 0), NX - 1);
            v = fmin (fmax (v, 0), NY - 1);
            assert_true (fabs (out [sy * OX + sx] - (2 * u + 10 * v)) < 1e-12);
        }
    //  Same size: the identity
    double same [NX * NY];
    ss_plotmath_resample (grid, NX, NY, same, NX, NY);
    for (int i = 0; i < NX * NY; i++)
        assert_true (fabs (same [i] - grid [i]) < 1e-12);
    //  One cell: constant
    double single = 5, many [6];
    ss_plotmath_resample (&single, 1, 1, many, 3, 2);
    for (int i = 0; i < 6; i++)
        assert_true (many [i] == 5);
}

static void
test_marginal_density (void **state)
{
    (void) state;
    ss_problem_t *P = test_problem (3, 0);
    const int nq = P->model.nq, G = P->G;
    const double cell = (P->model.hi - P->model.lo) / nq;
    double *dens = malloc (G * sizeof (double));
    ss_plotmath_density (P, P->q, dens);
    double total = 0;
    for (int g = 0; g < G; g++)
        total += dens [g] * cell * cell * cell;
    assert_true (fabs (total - 1) < 1e-12);
    //  A product grid f(i) g(j) h(k): each marginal is the product of the
    //  other two times the integral of the third
    double f [64], sum [3] = { 0 };
    for (int i = 0; i < nq; i++)
        f [i] = 1 + i;
    double *grid = malloc (G * sizeof (double));
    for (int k = 0; k < nq; k++)
        for (int j = 0; j < nq; j++)
            for (int i = 0; i < nq; i++)
                grid [(k * nq + j) * nq + i] = f [i] * (2 * f [j]) * (3 * f [k]);
    for (int i = 0; i < nq; i++) {
        sum [0] += f [i] * cell;
        sum [1] += 2 * f [i] * cell;
        sum [2] += 3 * f [i] * cell;
    }
    static const int planes [3][2] = { { 0, 1 }, { 0, 2 }, { 1, 2 } };
    double *out = malloc (nq * nq * sizeof (double));
    for (int p = 0; p < 3; p++) {
        int a = planes [p][0], b = planes [p][1], c = 3 - a - b;
        ss_plotmath_marginal (grid, nq, cell, a, b, out);
        double scale [3] = { 1, 2, 3 };
        for (int j = 0; j < nq; j++)
            for (int i = 0; i < nq; i++) {
                double want = scale [a] * f [i] * scale [b] * f [j] * sum [c];
                assert_true (fabs (out [j * nq + i] - want) < 1e-9 * want);
            }
    }
    free (out);
    free (grid);
    free (dens);
    ss_problem_destroy (&P);
}

static void
check_fit (int d)
{
    ss_problem_t *P = test_problem (d, 0);
    ss_work_t *w = ss_work_new (P);
    const int K = P->K, n = 25;
    ss_rng_t rng;
    ss_rng_seed (&rng, 11 + d);
    double x [25 * SS_MAX_DIM], theta [SS_MAX_K] = { 0 }, sigma [SS_MAX_K];
    //  Agents packed near 0.3 in every coordinate
    test_fill (&rng, x, n * d, 0.25, 0.35);
    assert_true (ss_plotmath_fit (P, x, n, theta, 1e-10, w) >= 0);
    ss_footprint_aggregate (P, x, n, sigma);
    ss_expfam_moments (P, theta, w, false);
    for (int k = 0; k < K; k++)
        assert_true (fabs (w->E [k] - sigma [k] + P->model.rho * theta [k]) <= 1e-10);
    double total = 0, most = 0;
    int at = 0;
    for (int g = 0; g < P->G; g++) {
        total += w->p [g];
        if (w->p [g] > most) {
            most = w->p [g];
            at = g;
        }
    }
    assert_true (fabs (total - 1) < 1e-12);
    //  The density peaks near the agents
    for (int a = 0; a < d; a++)
        assert_true (fabs (P->nodes [at * d + a] - 0.3) < 0.15);
    //  From theta* again: no Newton step is needed
    assert_int_equal (ss_plotmath_fit (P, x, n, theta, 1e-10, w), 0);
    ss_work_destroy (&w);
    ss_problem_destroy (&P);
}

static void test_fit1 (void **state) { (void) state; check_fit (1); }
static void test_fit2 (void **state) { (void) state; check_fit (2); }
static void test_fit3 (void **state) { (void) state; check_fit (3); }

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_ticks),
        cmocka_unit_test (test_decades),
        cmocka_unit_test (test_log_ticks),
        cmocka_unit_test (test_label),
        cmocka_unit_test (test_colour),
        cmocka_unit_test (test_resample),
        cmocka_unit_test (test_marginal_density),
        cmocka_unit_test (test_fit1),
        cmocka_unit_test (test_fit2),
        cmocka_unit_test (test_fit3),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
