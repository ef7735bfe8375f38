/*  test_image_target: an image target, end to end in one process. The
    shipped fleet deploy/fleets/picture.zpl names the shipped picture
    deploy/targets/s.pgm (the letter S); its sim runs the file's rounds
    (300) and the density fitted to the final positions (p_theta*, as
    swarmshape plot fits it: ss_plotmath_fit) must look like the picture.

    Measure: Pearson's r between p_theta*(g) and the picture's q(g) over
    the nq^2 = 1024 quadrature nodes. Thresholds: r >= 0.6 at the end
    (measured 0.775; the best the default model's 25 features reach by
    fitting q itself, theta = argmin KL(q || p_theta), is 0.759), and at
    least 0.3 above r at round 0 (uniform initial positions: 0.275).
    The picture's q must be the picture: q proportional to 255 - the
    area-averaged luminance (ss_image_grid), checked against the file
    read here on its own. Skipped when the source tree is not at hand. */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ss_testutil.h"
#include "ss_fleet.h"
#include "ss_image.h"
#include "ss_plotmath.h"
#include "ss_sim.h"

//  A file of the source tree (__FILE__ is .../tests/unit/test_image_target.c)
static const char *
s_source (const char *relative, char *buf, size_t size)
{
    const char *tail = strstr (__FILE__, "tests/unit/test_image_target.c");
    if (!tail)
        return NULL;
    snprintf (buf, size, "%.*s%s", (int) (tail - __FILE__), __FILE__, relative);
    return access (buf, R_OK) == 0? buf: NULL;
}

static double
s_pearson (const double *a, const double *b, int n)
{
    double ma = 0, mb = 0;
    for (int i = 0; i < n; i++) {
        ma += a [i];
        mb += b [i];
    }
    ma /= n;
    mb /= n;
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < n; i++) {
        ab += (a [i] - ma) * (b [i] - mb);
        aa += (a [i] - ma) * (a [i] - ma);
        bb += (b [i] - mb) * (b [i] - mb);
    }
    return ab / sqrt (aa * bb);
}

//  r of the density fitted to the sim's current positions with q
static double
s_r (ss_sim_t *sim, const ss_fleet_t *fleet, double *theta, ss_work_t *w)
{
    const ss_problem_t *P = ss_sim_problem (sim);
    assert_true (ss_plotmath_fit (P, ss_sim_positions (sim), fleet->count, theta,
                                  1e-10, w) >= 0);
    return s_pearson (w->p, P->q, P->G);
}

static void
test_picture_fleet (void **state)
{
    (void) state;
    char path [PATH_MAX], picture [PATH_MAX], err [PATH_MAX + 256];
    if (!s_source ("deploy/fleets/picture.zpl", path, sizeof path)
    ||  !s_source ("deploy/targets/s.pgm", picture, sizeof picture))
        skip ();
    ss_fleet_t *fleet = ss_fleet_load (path, NULL, 0, err, sizeof err);
    if (!fleet)
        print_error ("%s\n", err);
    assert_non_null (fleet);
    assert_int_equal (fleet->model.dim, 2);
    assert_int_equal (fleet->target.cells, fleet->model.nq * fleet->model.nq);

    ss_sim_t *sim = ss_sim_new (fleet, false, err, sizeof err);
    assert_non_null (sim);
    const ss_problem_t *P = ss_sim_problem (sim);
    //  q is the picture: levels from the file, normalised
    ss_image_t *image = ss_image_load (picture, err, sizeof err);
    assert_non_null (image);
    ss_mixture_t *grid = calloc (1, sizeof (ss_mixture_t));
    assert_int_equal (ss_image_grid (image, &fleet->model, grid, err, sizeof err), 0);
    double total = 0;
    for (int g = 0; g < P->G; g++)
        total += grid->level [g];
    for (int g = 0; g < P->G; g++)
        assert_true (fabs (P->q [g] - grid->level [g] / total) < 1e-15);

    ss_work_t *w = ss_work_new (P);
    double *theta = calloc ((size_t) P->K, sizeof (double));
    double r0 = s_r (sim, fleet, theta, w);
    for (int64_t k = 0; k < fleet->rounds; k++)
        ss_sim_step (sim);
    double r = s_r (sim, fleet, theta, w);
    ss_sim_score_t score;
    ss_sim_score (sim, &score);
    print_message ("picture %s, %d agents, %lld rounds: Pearson r (p_theta*, q) over %d "
                   "nodes %.4f at round 0, %.4f at the end (J %.4f)\n", picture,
                   fleet->count, (long long) fleet->rounds, P->G, r0, r, score.J);
    assert_true (r >= 0.6);
    assert_true (r >= r0 + 0.3);

    free (theta);
    free (grid);
    ss_work_destroy (&w);
    ss_image_destroy (&image);
    ss_sim_destroy (&sim);
    ss_fleet_destroy (&fleet);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_picture_fleet),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
