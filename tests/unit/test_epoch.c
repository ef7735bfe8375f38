/*  epoch: the fault rules of docs/fleet-design.md measured on whole fleets
    driven by ss_peers (tests/unit/ss_testnet.h), the module agentd runs.

    - no fault: the fleet equals sim bit for bit (positions, theta, s), no
      epoch change, no substitution, no repair;
    - lost, late, duplicated and reordered messages (random, for 40
      rounds): the running sums keep the trackers unbiased: once the
      impairment stops the bias is back at round-off, with no epoch change;
    - a slow (frozen) agent, for less than lost_after: waited for, never
      substituted: the run still equals sim bit for bit;
    - one agent departs: its neighbours lose it, the epoch grows, and the
      live agents' trackers are exact again for the live fleet;
    - an agent restarts from a saved state: it joins in a new epoch above
      all it heard and the bias is back at round-off.
    bias = |mean_live s_i - mean_live psi(x_i)|_inf.
*/

#include "ss_testnet.h"
#include "ss_testfleet.h"
#include "ss_sim.h"

#define N 16
#define TICK 500            //  us per simulated tick

static ss_fleet_t *
s_fleet (int rounds)
{
    char set [64];
    snprintf (set, sizeof set, "rounds=%d", rounds);
    const char *sets [] = { "agents/count=16", "graph/kind=ring", "graph/degree=4",
                            "model/m=4", "model/nq=16", set, "seed=7" };
    ss_fleet_t *fleet = test_fleet ("fleet\n    name = epoch\n", sets, 7);
    assert_non_null (fleet);
    return fleet;
}

//  Largest difference between the fleet and sim after the same rounds
static double
s_vs_sim (testnet_t *net, const ss_fleet_t *fleet, uint64_t rounds)
{
    char err [256];
    ss_sim_t *sim = ss_sim_new (fleet, false, err, sizeof err);
    assert_non_null (sim);
    for (uint64_t r = 0; r < rounds; r++)
        ss_sim_step (sim);
    double worst = 0;
    for (int i = 0; i < net->n; i++) {
        const ss_agent_t *ref = ss_sim_agent (sim, i), *got = &net->agents [i].cur;
        for (int a = 0; a < net->P->d; a++)
            worst = fmax (worst, fabs (ref->x [a] - got->x [a]));
        for (int k = 0; k < net->K; k++) {
            worst = fmax (worst, fabs (ref->theta [k] - got->theta [k]));
            worst = fmax (worst, fabs (ref->s [k] - got->s [k]));
        }
    }
    ss_sim_destroy (&sim);
    return worst;
}

static uint64_t
s_max_epoch (testnet_t *net)
{
    uint64_t e = 0;
    for (int i = 0; i < net->n; i++)
        if (net->agents [i].alive && ss_peers_epoch (net->agents [i].peers) > e)
            e = ss_peers_epoch (net->agents [i].peers);
    return e;
}

static bool
s_one_epoch (testnet_t *net)
{
    uint64_t e = UINT64_MAX;
    for (int i = 0; i < net->n; i++)
        if (net->agents [i].alive) {
            uint64_t mine = ss_peers_epoch (net->agents [i].peers);
            if (e != UINT64_MAX && mine != e)
                return false;
            e = mine;
        }
    return true;
}

static void
test_no_fault_equals_sim (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_fleet (80);
    testnet_t *net = testnet_new (fleet, 80, 1);
    net->delay_min = 100;
    net->delay_max = 900;       //  jitter, but every message comes
    assert_true (testnet_run (net, TICK, 100000));
    double gap = s_vs_sim (net, fleet, 80);
    print_message ("no fault: fleet vs sim after 80 rounds: %.3g; substitutions %llu, "
                   "wants %llu, epoch changes %llu\n", gap,
                   (unsigned long long) testnet_counter (net, SS_CTR_SUBSTITUTIONS),
                   (unsigned long long) testnet_counter (net, SS_CTR_WANTS),
                   (unsigned long long) testnet_counter (net, SS_CTR_EPOCH_CHANGES));
    assert_true (gap == 0);
    assert_int_equal (testnet_counter (net, SS_CTR_SUBSTITUTIONS), 0);
    assert_int_equal (testnet_counter (net, SS_CTR_EPOCH_CHANGES), 0);
    assert_int_equal (s_max_epoch (net), 0);
    testnet_destroy (&net);
    ss_fleet_destroy (&fleet);
}

static void
test_loss_unbiased (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_fleet (200);
    testnet_t *net = testnet_new (fleet, 200, 2);
    net->delay_min = 100;
    net->delay_max = 900;
    assert_true (testnet_run_to (net, 20, TICK, 100000));
    double before = testnet_bias (net);
    //  40 rounds of 20% loss, 5% duplicates, delays up to 15 ms (reordered)
    net->loss = 0.2;
    net->dup = 0.05;
    net->delay_max = 15000;
    assert_true (testnet_run_to (net, 60, TICK, 400000));
    double during = testnet_bias (net);
    net->loss = net->dup = 0;
    net->delay_max = 900;
    assert_true (testnet_run (net, TICK, 400000));
    double after = testnet_bias (net);
    uint64_t subs = testnet_counter (net, SS_CTR_SUBSTITUTIONS);
    print_message ("loss 20%%, duplicates 5%%, reordering, rounds 20-60: bias %.2e before, "
                   "%.2e at the end of the loss, %.2e at round 200; %llu messages lost, "
                   "%llu duplicated, %llu substitutions, %llu wants, %llu resends; "
                   "epoch changes %llu\n", before, during, after,
                   (unsigned long long) net->dropped, (unsigned long long) net->duplicated,
                   (unsigned long long) subs,
                   (unsigned long long) testnet_counter (net, SS_CTR_WANTS),
                   (unsigned long long) testnet_counter (net, SS_CTR_RESENDS),
                   (unsigned long long) testnet_counter (net, SS_CTR_EPOCH_CHANGES));
    assert_true (net->dropped > 100 && net->duplicated > 10);
    assert_true (subs > 0);         //  the impairment did bite
    assert_true (before < 1e-13);
    assert_true (after < 1e-12);    //  back at round-off
    assert_int_equal (s_max_epoch (net), 0);    //  with no epoch change
    testnet_destroy (&net);
    ss_fleet_destroy (&fleet);
}

//  The lossy-links rules in a whole fleet, the same loss (20%, delays up
//  to 15 ms, rounds 20-60) three ways: waiting as on any link; links
//  marked lossy (waits bounded at 3 typical rounds) with no forecast; and
//  with forecasts. Bounded waits run the lossy rounds in less time; the
//  forecast keeps the trackers' bias during the loss well below the
//  plain rule's; every way is back at round-off after, with no epoch change
typedef struct {
    double bias;                //  mean over rounds 25, 30 ... 60
    double after;               //  at round 200
    int64_t lossy_us;           //  simulated time of rounds 20-60
    uint64_t subs;
} s_lossy_t;

static s_lossy_t
s_lossy_run (const ss_fleet_t *fleet, double lossy_wait, int forecast)
{
    testnet_t *net = testnet_new_tuned (fleet, 200, 2, lossy_wait, forecast);
    net->delay_min = 100;
    net->delay_max = 900;
    s_lossy_t out = { 0 };
    assert_true (testnet_run_to (net, 20, TICK, 100000));
    int64_t from = net->now;
    net->loss = 0.2;
    net->delay_max = 15000;
    testnet_lossy (net, 60);
    for (uint64_t r = 25; r <= 60; r += 5) {
        assert_true (testnet_run_to (net, r, TICK, 400000));
        out.bias += testnet_bias (net) / 8;
    }
    out.lossy_us = net->now - from;
    net->loss = 0;
    net->delay_max = 900;
    assert_true (testnet_run (net, TICK, 400000));
    out.after = testnet_bias (net);
    out.subs = testnet_counter (net, SS_CTR_SUBSTITUTIONS);
    assert_int_equal (s_max_epoch (net), 0);
    testnet_destroy (&net);
    return out;
}

static void
test_lossy_rules (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_fleet (200);
    s_lossy_t wait = s_lossy_run (fleet, 0, 8);
    s_lossy_t plain = s_lossy_run (fleet, 3, 0);
    s_lossy_t forecast = s_lossy_run (fleet, 3, 8);
    const s_lossy_t *ways [] = { &wait, &plain, &forecast };
    const char *names [] = { "waiting", "bounded, no forecast", "bounded, forecast" };
    for (int w = 0; w < 3; w++) {
        print_message ("%-21s rounds 20-60 in %6.1f ms, bias %.2e during, %.2e after, "
                       "%llu substitutions\n", names [w], ways [w]->lossy_us / 1000.0,
                       ways [w]->bias, ways [w]->after, (unsigned long long) ways [w]->subs);
        assert_true (ways [w]->after < 1e-12);
    }
    assert_true (plain.lossy_us < wait.lossy_us);
    assert_true (forecast.lossy_us < wait.lossy_us);
    assert_true (forecast.subs > 0);
    assert_true (forecast.bias < plain.bias / 2);
    ss_fleet_destroy (&fleet);
}

//  An agent frozen for less than lost_after: its neighbours wait for it
static void
test_frozen_waited_for (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_fleet (60);
    testnet_t *net = testnet_new (fleet, 60, 3);
    net->delay_min = 100;
    net->delay_max = 900;
    assert_true (testnet_run_to (net, 20, TICK, 100000));
    net->agents [5].frozen = true;
    for (int t = 0; t < 1200; t++)              //  0.6 s < lost_after (1 s)
        testnet_tick (net, TICK);
    net->agents [5].frozen = false;
    assert_true (testnet_run (net, TICK, 100000));
    double gap = s_vs_sim (net, fleet, 60);
    print_message ("agent 5 frozen 0.6 s: fleet vs sim %.3g, substitutions %llu, "
                   "evasive %llu, lost %llu\n", gap,
                   (unsigned long long) testnet_counter (net, SS_CTR_SUBSTITUTIONS),
                   (unsigned long long) testnet_counter (net, SS_CTR_EVASIVE),
                   (unsigned long long) testnet_counter (net, SS_CTR_LOST));
    assert_true (gap == 0);
    assert_int_equal (testnet_counter (net, SS_CTR_SUBSTITUTIONS), 0);
    assert_int_equal (testnet_counter (net, SS_CTR_LOST), 0);
    assert_true (testnet_counter (net, SS_CTR_EVASIVE) > 0);
    testnet_destroy (&net);
    ss_fleet_destroy (&fleet);
}

static void
test_departure (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_fleet (300);
    testnet_t *net = testnet_new (fleet, 300, 4);
    net->delay_min = 100;
    net->delay_max = 900;
    assert_true (testnet_run_to (net, 30, TICK, 100000));
    net->agents [5].alive = false;
    assert_true (testnet_run (net, TICK, 400000));
    double after = testnet_bias (net);
    print_message ("agent 5 departs at round 30: live bias %.2e at round 300, "
                   "epoch %llu, lost %llu\n", after,
                   (unsigned long long) s_max_epoch (net),
                   (unsigned long long) testnet_counter (net, SS_CTR_LOST));
    assert_true (s_one_epoch (net));
    assert_true (s_max_epoch (net) >= 1);
    assert_true (testnet_counter (net, SS_CTR_LOST) == 4);     //  its 4 neighbours
    assert_true (after < 1e-12);
    testnet_destroy (&net);
    ss_fleet_destroy (&fleet);
}

//  Agent 7 keeps a checkpoint of round 40, dies, and comes back after
//  `down` ticks: before its neighbours lose it (they wait for it), or after
//  (the fleet goes on without it; it jumps to the fleet's round)
static void
s_restart (int down, bool expect_jump, int rounds)
{
    ss_fleet_t *fleet = s_fleet (rounds);
    testnet_t *net = testnet_new (fleet, (uint64_t) rounds, 5);
    net->delay_min = 100;
    net->delay_max = 900;
    assert_true (testnet_run_to (net, 40, TICK, 100000));
    //  Its checkpoint of round 40, then it dies and comes back at once
    tn_agent_t *a = &net->agents [7];
    double store [2 * SS_MAX_K];
    ss_agent_t saved = a->cur;
    saved.theta = store;
    saved.s = store + net->K;
    memcpy (saved.theta, a->cur.theta, (size_t) net->K * sizeof (double));
    uint64_t r = ss_peers_round (a->peers), e = ss_peers_epoch (a->peers);
    a->alive = false;
    for (int t = 0; t < down; t++)
        testnet_tick (net, TICK);
    testnet_restart (net, 7, &saved, r, e);
    assert_true (testnet_run (net, TICK, 400000));
    double after = testnet_bias (net);
    print_message ("agent 7 down %d ms, restarted from round %llu: bias %.2e at round %d, "
                   "epoch %llu, jumps %llu, lost %llu\n", down * TICK / 1000,
                   (unsigned long long) r, after, rounds, (unsigned long long) s_max_epoch (net),
                   (unsigned long long) testnet_counter (net, SS_CTR_JUMPS),
                   (unsigned long long) testnet_counter (net, SS_CTR_LOST));
    assert_true (s_one_epoch (net));
    assert_true (s_max_epoch (net) >= 1);
    assert_true (after < 1e-12);
    uint64_t jumps = ss_peers_counters (net->agents [7].peers) [SS_CTR_JUMPS];
    print_message ("agent 7 jumped %llu times, its round %llu\n", (unsigned long long) jumps,
                   (unsigned long long) ss_peers_round (net->agents [7].peers));
    if (expect_jump)
        assert_true (jumps == 1);
    testnet_destroy (&net);
    ss_fleet_destroy (&fleet);
}

static void
test_restart (void **state)
{
    (void) state;
    s_restart (200, false, 300);     //  0.1 s: its neighbours waited
    s_restart (4000, true, 3000);    //  2 s: lost, then back far behind
}

//  Hosts 0-7 and 8-15 cut apart for 2 s, then healed: each side goes on
//  with the agents it has, and the healed fleet is unbiased again
static bool
s_cut_halves (int from, int to, void *arg)
{
    (void) arg;
    return (from < 8) != (to < 8);
}

static void
test_partition (void **state)
{
    (void) state;
    ss_fleet_t *fleet = s_fleet (3000);
    testnet_t *net = testnet_new (fleet, 3000, 6);
    net->delay_min = 100;
    net->delay_max = 900;
    assert_true (testnet_run_to (net, 30, TICK, 100000));
    net->cut = s_cut_halves;
    for (int t = 0; t < 4000; t++)
        testnet_tick (net, TICK);
    uint64_t lost = testnet_counter (net, SS_CTR_LOST);
    net->cut = NULL;
    bool done = testnet_run (net, TICK, 1000000);
    for (int i = 0; !done && i < net->n; i++) {
        ss_peers_t *peers = net->agents [i].peers;
        print_message ("agent %d: round %llu epoch %llu started %d:", i,
                       (unsigned long long) ss_peers_round (peers),
                       (unsigned long long) ss_peers_epoch (peers), net->agents [i].started);
        for (int p = 0; p < ss_peers_size (peers); p++) {
            ss_peer_t *peer = ss_peers_peer (peers, p);
            print_message (" [%d state %d claim %llu ev %lld]", peer->id, peer->state,
                           (unsigned long long) peer->claim, (long long) peer->evidence_at);
        }
        print_message ("\n");
    }
    assert_true (done);
    double after = testnet_bias (net);
    print_message ("partition 2 s: %llu links lost, re-admitted %llu, jumps %llu, epoch %llu, "
                   "bias %.2e at round 3000\n", (unsigned long long) lost,
                   (unsigned long long) testnet_counter (net, SS_CTR_READMITTED),
                   (unsigned long long) testnet_counter (net, SS_CTR_JUMPS),
                   (unsigned long long) s_max_epoch (net), after);
    for (int i = 0; i < net->n; i++)
        assert_true (ss_peers_round (net->agents [i].peers) == 3000);
    assert_true (lost >= 6);
    assert_true (testnet_counter (net, SS_CTR_READMITTED) == lost);
    assert_true (s_one_epoch (net));
    assert_true (after < 1e-12);
    testnet_destroy (&net);
    ss_fleet_destroy (&fleet);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_no_fault_equals_sim),
        cmocka_unit_test (test_loss_unbiased),
        cmocka_unit_test (test_lossy_rules),
        cmocka_unit_test (test_frozen_waited_for),
        cmocka_unit_test (test_departure),
        cmocka_unit_test (test_restart),
        cmocka_unit_test (test_partition),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
