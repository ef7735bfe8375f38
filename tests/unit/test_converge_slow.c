/*  The paper's claim on the default scenario (N = 50, ring i+-1, i+-2,
    2000 rounds): J falls below half its initial value and the largest
    projected hypergradient component below 1% of its initial value, for
    the distributed algorithm and for the centralized reference. The
    trackers' bias stays at round-off. (Label: slow.) */

#include <stdlib.h>
#include "ss_testutil.h"
#include "ss_testfleet.h"
#include "ss_sim.h"

static void
run (bool centralized)
{
    const char *sets [] = { "rounds=2000" };
    ss_fleet_t *fleet = test_fleet ("fleet\n    name = default\n", sets, 1);
    assert_non_null (fleet);
    assert_int_equal (fleet->count, 50);
    char err [256];
    ss_sim_t *sim = ss_sim_new (fleet, centralized, err, sizeof err);
    assert_non_null (sim);
    ss_sim_score_t first, score;
    ss_sim_score (sim, &first);
    for (int r = 0; r < 2000; r++)
        ss_sim_step (sim);
    ss_sim_score (sim, &score);
    print_message ("%s: J %.4f -> %.4f, grad %.3f -> %.4f, disagreement %.2e, bias %.2e\n",
                   centralized? "centralized": "distributed", first.J, score.J,
                   first.grad, score.grad, score.disagreement, score.bias);
    assert_true (score.J < 0.5 * first.J);
    assert_true (score.grad < 0.01 * first.grad);
    assert_true (score.bias < 1e-12);
    ss_sim_destroy (&sim);
    ss_fleet_destroy (&fleet);
}

static void test_distributed (void **state) { (void) state; run (false); }
static void test_reference (void **state) { (void) state; run (true); }

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_distributed),
        cmocka_unit_test (test_reference),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
