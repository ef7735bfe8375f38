/*  peers: every rule of ss_peers with time passed in, boundary cases
    included: a neighbour exactly at the liveness bounds, a round one
    ahead, two ahead, a duplicate, a stale one; the barrier; waits, grace
    and repairs; jumps and their corroboration; epochs; the running sums;
    the bounds on what a neighbour may send; the forecast of a missing
    sum; the bounded wait on a lossy link. (Whole fleets of it run in
    test_epoch.)
*/

#include <stdlib.h>
#include <string.h>
#include "ss_testutil.h"
#include "ss_peers.h"

#define K 4
#define MS 1000                 //  us

static const ss_peers_config_t s_config = {
    .heartbeat_ms = 100, .evasive_ms = 300, .lost_after_ms = 1000,
    .start_timeout_ms = 5000, .settle_rounds = 3, .rounds = 1000,
    .grace_factor = 2, .grace_min_ms = 2, .grace_max_ms = 0
};

//  Agent 5 with neighbours 3, 4, 6, 7 (ring of degree 4)
static ss_peers_t *
s_new (void)
{
    int ids [] = { 3, 4, 6, 7 }, degrees [] = { 4, 4, 4, 4 };
    ss_peers_t *self = ss_peers_new (&s_config, K, 5, 4, ids, degrees);
    assert_non_null (self);
    return self;
}

static const double s_theta [K] = { 0.5, -0.25, 1, 2 };

static int
s_estimate (ss_peers_t *self, int64_t now, int p, uint64_t round, uint64_t epoch,
            const uint64_t *mass)
{
    static const uint64_t zero [K] = { 0 };
    return ss_peers_estimate (self, now, p, round, epoch, 4, s_theta, mass? mass: zero);
}

static int
s_heartbeat (ss_peers_t *self, int64_t now, int p, uint64_t round, uint32_t state)
{
    int64_t resend;
    return ss_peers_heartbeat (self, now, p, round, ss_peers_epoch (self),
                               (uint32_t) ss_peers_peer (self, p)->graph_degree, state, 0,
                               &resend);
}

//  Start and pass the barrier at time t: every neighbour heard, READY
//  (agent 5 as s_new makes it, with config)
static ss_peers_t *
s_running_with (const ss_peers_config_t *config, int64_t t)
{
    int ids [] = { 3, 4, 6, 7 }, degrees [] = { 4, 4, 4, 4 };
    ss_peers_t *self = ss_peers_new (config, K, 5, 4, ids, degrees);
    assert_non_null (self);
    ss_peers_start (self, t, 0, 0, false);
    for (int p = 0; p < 4; p++)
        s_heartbeat (self, t, p, 0, SS_STATE_READY);
    int lost;
    bool joined;
    assert_true (ss_peers_barrier (self, t, &lost, &joined));
    assert_false (joined);
    return self;
}

static ss_peers_t *
s_running (int64_t t)
{
    return s_running_with (&s_config, t);
}

static ss_round_wait_t
s_poll (ss_peers_t *self, int64_t now, int *n_want)
{
    int64_t wake;
    int want [8];
    *n_want = 8;
    uint64_t jump;
    return ss_peers_poll (self, now, &wake, want, n_want, &jump);
}

static void
test_index_and_weights (void **state)
{
    (void) state;
    ss_peers_t *self = s_running (0);
    assert_int_equal (ss_peers_index (self, 3), 0);
    assert_int_equal (ss_peers_index (self, 7), 3);
    assert_int_equal (ss_peers_index (self, 5), -1);
    assert_int_equal (ss_peers_index (self, 99), -1);
    double s [K] = { 1, 2, 3, 4 };
    ss_peers_begin (self, 0, s);
    for (int p = 0; p < 4; p++)
        assert_true (ss_peers_peer (self, p)->weight == 0.2);
    //  the mass on each link is quantize (w s): what the estimate carries
    assert_true (ss_mass_value (ss_peers_peer (self, 2)->sent [3]) == ss_mass_value (ss_mass_quantize (0.8)));
    ss_peers_destroy (&self);
    assert_null (self);
}

//  Our own pause (SIGSTOP, a starved host) is not our neighbours' silence:
//  after a timer gap of 2 s nobody is lost; their silence counts from then
static void
test_own_pause (void **state)
{
    (void) state;
    ss_peers_t *self = s_running (0);
    int ping [4], n_ping = 4, n_lost;
    for (int p = 0; p < 4; p++)
        s_heartbeat (self, 90 * MS, p, 0, SS_STATE_RUNNING);
    ss_peers_timer (self, 100 * MS, ping, &n_ping, &n_lost);
    n_ping = 4;
    ss_peers_timer (self, 2100 * MS, ping, &n_ping, &n_lost);      //  we were stopped
    assert_int_equal (n_lost, 0);
    assert_int_equal (n_ping, 0);
    for (int p = 0; p < 4; p++)
        assert_int_equal (ss_peers_peer (self, p)->state, SS_PEER_LIVE);
    //  Then one neighbour stays silent for lost_after, the timer on time
    for (int p = 0; p < 3; p++)
        s_heartbeat (self, 2150 * MS, p, 0, SS_STATE_RUNNING);
    int lost = 0;
    for (int t = 2200; t <= 3200; t += 100) {
        n_ping = 4;
        ss_peers_timer (self, t * MS, ping, &n_ping, &n_lost);
        lost += n_lost;
        for (int p = 0; p < 3; p++)
            s_heartbeat (self, t * MS, p, 0, SS_STATE_RUNNING);
    }
    assert_int_equal (lost, 1);
    assert_int_equal (ss_peers_peer (self, 3)->state, SS_PEER_LOST);
    assert_int_equal (ss_peers_peer (self, 0)->state, SS_PEER_LIVE);
    ss_peers_destroy (&self);
}

static void
test_liveness_bounds (void **state)
{
    (void) state;
    ss_peers_t *self = s_running (0);
    int ping [4], n_ping = 4, n_lost;
    //  Agent 6 (p 2) last heard at 0; the others keep talking
    for (int p = 0; p < 4; p++)
        if (p != 2)
            s_heartbeat (self, 299 * MS, p, 0, SS_STATE_RUNNING);
    //  The timer runs every heartbeat (100 ms): a longer gap would be ours
    ss_peers_timer (self, 100 * MS, ping, &n_ping, &n_lost);
    n_ping = 4;
    ss_peers_timer (self, 200 * MS, ping, &n_ping, &n_lost);
    n_ping = 4;
    ss_peers_timer (self, 300 * MS - 1, ping, &n_ping, &n_lost);
    assert_int_equal (n_ping, 0);
    assert_int_equal (ss_peers_peer (self, 2)->state, SS_PEER_LIVE);
    n_ping = 4;
    ss_peers_timer (self, 300 * MS, ping, &n_ping, &n_lost);        //  exactly at the bound
    assert_int_equal (n_ping, 1);
    assert_int_equal (ping [0], 2);
    assert_int_equal (ss_peers_peer (self, 2)->state, SS_PEER_EVASIVE);
    assert_int_equal (ss_peers_live (self), 4);                      //  evasive is live
    for (int t = 400; t < 1000; t += 100) {
        n_ping = 4;
        ss_peers_timer (self, t * MS, ping, &n_ping, &n_lost);
        assert_int_equal (n_lost, 0);
    }
    for (int p = 0; p < 4; p++)
        if (p != 2)
            s_heartbeat (self, 999 * MS, p, 0, SS_STATE_RUNNING);
    n_ping = 4;
    ss_peers_timer (self, 1000 * MS - 1, ping, &n_ping, &n_lost);
    assert_int_equal (n_lost, 0);
    assert_int_equal (n_ping, 0);                                    //  pinged once
    n_ping = 4;
    ss_peers_timer (self, 1000 * MS, ping, &n_ping, &n_lost);       //  exactly at lost_after
    assert_int_equal (n_lost, 1);
    assert_int_equal (ss_peers_peer (self, 2)->state, SS_PEER_LOST);
    assert_int_equal (ss_peers_live (self), 3);
    assert_int_equal (ss_peers_counters (self) [SS_CTR_LOST], 1);
    //  The live degree sets the weights: 1 / (1 + max (3, 4))
    double s [K] = { 0 };
    ss_peers_begin (self, 1000 * MS, s);
    assert_true (ss_peers_peer (self, 0)->weight == 0.2);
    assert_true (ss_peers_peer (self, 2)->weight == 0);
    //  The loss is a membership event: the epoch grows after this round
    for (int p = 0; p < 4; p++)
        if (p != 2)
            s_estimate (self, 1001 * MS, p, 0, 0, NULL);
    int n_want;
    assert_int_equal (s_poll (self, 1001 * MS, &n_want), SS_ROUND_READY);
    ss_neighbour_t nbrs [4];
    int n;
    int64_t net [K];
    ss_peers_mix (self, nbrs, &n, net);
    assert_int_equal (n, 3);
    assert_true (ss_peers_end (self, 1002 * MS));
    assert_int_equal (ss_peers_epoch (self), 1);
    assert_string_equal (ss_peers_why (self), "neighbour lost");
    assert_true (ss_peers_hold (self));
    //  Heard again: re-admitted, and the epoch grows once more
    s_heartbeat (self, 1100 * MS, 2, 1, SS_STATE_RUNNING);
    assert_int_equal (ss_peers_peer (self, 2)->state, SS_PEER_LIVE);
    assert_int_equal (ss_peers_counters (self) [SS_CTR_READMITTED], 1);
    ss_peers_destroy (&self);
}

static void
test_barrier (void **state)
{
    (void) state;
    ss_peers_t *self = s_new ();
    ss_peers_start (self, 0, 0, 0, false);
    int lost;
    bool joined;
    assert_int_equal (ss_peers_state (self), SS_STATE_STARTING);
    for (int p = 0; p < 3; p++)
        s_heartbeat (self, 10 * MS, p, 0, SS_STATE_STARTING);
    assert_false (ss_peers_barrier (self, 10 * MS, &lost, &joined));
    s_heartbeat (self, 20 * MS, 3, 0, SS_STATE_STARTING);
    assert_int_equal (ss_peers_state (self), SS_STATE_READY);       //  heard all
    assert_false (ss_peers_barrier (self, 20 * MS, &lost, &joined));    //  not all READY
    for (int p = 0; p < 3; p++)
        s_heartbeat (self, 30 * MS, p, 0, SS_STATE_READY);
    assert_false (ss_peers_barrier (self, 30 * MS, &lost, &joined));
    //  An estimate is as good as READY: it runs rounds
    assert_int_equal (s_estimate (self, 40 * MS, 3, 0, 0, NULL), SS_CTR_RECEIVED);
    assert_true (ss_peers_barrier (self, 40 * MS, &lost, &joined));
    assert_false (joined);
    assert_int_equal (ss_peers_epoch (self), 0);
    ss_peers_destroy (&self);

    //  A neighbour never heard: lost at exactly start_timeout
    self = s_new ();
    ss_peers_start (self, 0, 0, 0, false);
    for (int p = 0; p < 3; p++)
        s_heartbeat (self, 10 * MS, p, 0, SS_STATE_READY);
    assert_false (ss_peers_barrier (self, 5000 * MS - 1, &lost, &joined));
    assert_int_equal (lost, 0);
    assert_true (ss_peers_barrier (self, 5000 * MS, &lost, &joined));
    assert_int_equal (lost, 1);
    assert_int_equal (ss_peers_peer (self, 3)->state, SS_PEER_LOST);
    ss_peers_destroy (&self);

    //  Joining a running fleet: an epoch above every one heard, and hold
    self = s_new ();
    ss_peers_start (self, 0, 40, 2, true);
    for (int p = 0; p < 4; p++) {
        int64_t resend;
        ss_peers_heartbeat (self, 10 * MS, p, 90, p == 1? 6: 5, 4, SS_STATE_RUNNING, 0, &resend);
    }
    assert_true (ss_peers_barrier (self, 10 * MS, &lost, &joined));
    assert_true (joined);
    assert_int_equal (ss_peers_epoch (self), 7);
    assert_true (ss_peers_hold (self));
    ss_peers_destroy (&self);
}

static void
test_slots (void **state)
{
    (void) state;
    ss_peers_t *self = s_running (0);
    double s [K] = { 0 };
    ss_peers_begin (self, 0, s);                    //  round 0
    assert_int_equal (s_estimate (self, 1, 0, 0, 0, NULL), SS_CTR_RECEIVED);
    assert_int_equal (s_estimate (self, 2, 0, 0, 0, NULL), SS_CTR_DROP_DUPLICATE);
    assert_int_equal (s_estimate (self, 3, 1, 1, 0, NULL), SS_CTR_RECEIVED);   //  one ahead
    assert_int_equal (s_estimate (self, 4, 1, 1, 0, NULL), SS_CTR_DROP_DUPLICATE);
    //  Two ahead: slot 0 holds round 0 of agent 3, never given up
    assert_int_equal (s_estimate (self, 5, 0, 2, 0, NULL), SS_CTR_DROP_STALE);
    //  ... but agent 6's slot 0 is free
    assert_int_equal (s_estimate (self, 6, 2, 2, 0, NULL), SS_CTR_RECEIVED);
    assert_true (ss_peers_peer (self, 2)->slot [0].round == 2);
    assert_int_equal (ss_peers_counters (self) [SS_CTR_RECEIVED], 3);
    ss_peers_destroy (&self);

    //  Stale: an estimate of a round we computed; its running sum still counts
    self = s_running (0);
    ss_peers_begin (self, 0, s);
    for (int p = 0; p < 4; p++)
        s_estimate (self, 1, p, 0, 0, NULL);
    int n_want;
    assert_int_equal (s_poll (self, 1, &n_want), SS_ROUND_READY);
    ss_neighbour_t nbrs [4];
    int n;
    int64_t net [K];
    ss_peers_mix (self, nbrs, &n, net);
    assert_false (ss_peers_end (self, 2));
    assert_int_equal (ss_peers_round (self), 1);
    uint64_t mass [K] = { 7, 7, 7, 7 };
    assert_int_equal (s_estimate (self, 3, 0, 0, 0, mass), SS_CTR_DROP_STALE);
    assert_true (ss_peers_peer (self, 0)->newest_have);
    ss_peers_destroy (&self);
}

//  Waiting: no evidence -> wait (and nudge after two graces); evidence ->
//  a WANT at once, then the round runs after a grace; two ahead -> at once
static void
test_waits (void **state)
{
    (void) state;
    ss_peers_t *self = s_running (0);
    double s [K] = { 0 };
    int n_want;
    int64_t t = 0;
    //  Measure the typical round: 5 rounds of 1 ms
    for (int r = 0; r < 6; r++) {
        ss_peers_begin (self, t, s);
        for (int p = 0; p < 4; p++)
            s_estimate (self, t + MS, p, (uint64_t) r, 0, NULL);
        assert_int_equal (s_poll (self, t + MS, &n_want), SS_ROUND_READY);
        ss_neighbour_t nbrs [4];
        int n;
        int64_t net [K];
        ss_peers_mix (self, nbrs, &n, net);
        ss_peers_end (self, t + MS);
        t += MS;
    }
    assert_true (ss_peers_typical_ms (self) == 1.0);
    assert_true (ss_peers_slow_ms (self) == 1.0);
    //  max (2 x typical, 4 x the slowest, floor 2 ms)
    assert_true (ss_peers_grace_ms (self) == 4.0);
    ss_peers_config_t capped = s_config;
    capped.grace_min_ms = 50;
    capped.grace_max_ms = 30;
    int ids [] = { 1 }, degrees [] = { 1 };
    ss_peers_t *other = ss_peers_new (&capped, K, 0, 1, ids, degrees);
    assert_true (ss_peers_grace_ms (other) == 30.0);   //  the max wins over the min
    ss_peers_destroy (&other);
    uint64_t k = ss_peers_round (self);                 //  6
    ss_peers_begin (self, t, s);
    for (int p = 0; p < 3; p++)
        s_estimate (self, t + 100, p, k, 0, NULL);
    //  Agent 7 (p 3) silent and not past us: wait, nudge after three
    //  typical rounds, then every typical round
    assert_true (ss_peers_repair_ms (self) == 1.0);
    assert_int_equal (s_poll (self, t + 200, &n_want), SS_ROUND_WAIT);
    assert_int_equal (n_want, 0);
    assert_int_equal (s_poll (self, t + 3 * MS - 1, &n_want), SS_ROUND_WAIT);
    assert_int_equal (n_want, 0);
    assert_int_equal (s_poll (self, t + 3 * MS, &n_want), SS_ROUND_WAIT);
    assert_int_equal (n_want, 1);
    assert_int_equal (s_poll (self, t + 4 * MS - 1, &n_want), SS_ROUND_WAIT);
    assert_int_equal (n_want, 0);
    assert_int_equal (s_poll (self, t + 4 * MS, &n_want), SS_ROUND_WAIT);
    assert_int_equal (n_want, 1);
    assert_int_equal (s_poll (self, t + 6 * MS - 1, &n_want), SS_ROUND_WAIT);
    assert_int_equal (n_want, 0);                       //  backing off
    assert_int_equal (s_poll (self, t + 100 * MS, &n_want), SS_ROUND_WAIT);   //  still waited for
    //  Now it is seen one round past us (its round k estimate is lost)
    t += 100 * MS;
    assert_int_equal (s_estimate (self, t, 3, k + 1, 0, NULL), SS_CTR_RECEIVED);
    assert_int_equal (s_poll (self, t, &n_want), SS_ROUND_WAIT);
    assert_int_equal (n_want, 1);                       //  a WANT at once
    assert_int_equal (s_poll (self, t + MS, &n_want), SS_ROUND_WAIT);
    assert_int_equal (n_want, 1);                       //  again after a typical round,
    assert_int_equal (s_poll (self, t + 3 * MS - 1, &n_want), SS_ROUND_WAIT);
    assert_int_equal (n_want, 0);                       //  then after two
    assert_int_equal (s_poll (self, t + 3 * MS, &n_want), SS_ROUND_WAIT);
    assert_int_equal (n_want, 1);
    assert_int_equal (s_poll (self, t + 4 * MS - 1, &n_want), SS_ROUND_WAIT);
    assert_int_equal (s_poll (self, t + 4 * MS, &n_want), SS_ROUND_READY);      //  grace over
    ss_neighbour_t nbrs [4];
    int n;
    int64_t net [K];
    ss_peers_mix (self, nbrs, &n, net);
    assert_int_equal (n, 4);
    assert_null (nbrs [3].theta);                       //  our own stands in
    assert_non_null (nbrs [2].theta);
    assert_int_equal (ss_peers_counters (self) [SS_CTR_SUBSTITUTIONS], 1);
    ss_peers_end (self, t + 4 * MS);
    ss_peers_destroy (&self);

    //  A heartbeat of a running neighbour at our round is evidence too; two
    //  rounds ahead is not waited for at all
    self = s_running (0);
    ss_peers_begin (self, 0, s);
    s_estimate (self, 10, 0, 0, 0, NULL);
    s_estimate (self, 10, 1, 0, 0, NULL);
    s_heartbeat (self, 15, 2, 1, SS_STATE_READY);       //  not running yet: no evidence
    assert_true (ss_peers_peer (self, 2)->evidence_at == -1);
    s_heartbeat (self, 18, 2, 0, SS_STATE_RUNNING);     //  at our round: it may just
    assert_true (ss_peers_peer (self, 2)->evidence_at == -1);   //  have sent it
    s_heartbeat (self, 20, 2, 1, SS_STATE_RUNNING);     //  past it: sent a round ago
    assert_true (ss_peers_peer (self, 2)->evidence_at == 20);
    s_heartbeat (self, 25, 3, 2, SS_STATE_RUNNING);
    s_estimate (self, 30, 3, 2, 0, NULL);               //  twice two ahead
    assert_int_equal (s_poll (self, 40, &n_want), SS_ROUND_WAIT);   //  agent 6: a grace
    assert_int_equal (n_want, 1);                                   //  (agent 7: none)
    ss_peers_destroy (&self);
}

//  One forged frame of a far round (a neighbour's key, issue 9 item 7)
//  changes nothing: it takes no honest estimate's slot, its claim alone
//  does not stop the wait, its running sum never freezes the link's
static void
test_far_frame (void **state)
{
    (void) state;
    ss_peers_t *self = s_running (0);
    double s [K] = { 0 };
    int n_want;
    ss_neighbour_t nbrs [4];
    int n;
    int64_t net [K];
    ss_peers_begin (self, 0, s);                    //  round 0
    for (int p = 0; p < 3; p++)
        s_estimate (self, 1, p, 0, 0, NULL);
    //  Agent 7's honest round 0 is late; its key claims round 998
    assert_int_equal (s_estimate (self, 2, 3, 998, 0, NULL), SS_CTR_RECEIVED);
    assert_int_equal (ss_peers_peer (self, 3)->slot [0].round, 998);
    //  One far claim: still waited for (a WANT and a grace, not "long past")
    assert_int_equal (s_poll (self, 3, &n_want), SS_ROUND_WAIT);
    assert_int_equal (n_want, 1);
    //  The honest round 0 takes its slot back, and round 2 too
    assert_int_equal (s_estimate (self, 4, 3, 0, 0, NULL), SS_CTR_RECEIVED);
    assert_int_equal (ss_peers_peer (self, 3)->slot [0].round, 0);
    assert_int_equal (s_estimate (self, 5, 3, 998, 0, NULL), SS_CTR_DROP_STALE);
    assert_int_equal (s_poll (self, 6, &n_want), SS_ROUND_READY);
    ss_peers_mix (self, nbrs, &n, net);
    assert_non_null (nbrs [3].theta);
    ss_peers_end (self, 7);
    ss_peers_begin (self, 8, s);                    //  round 1
    for (int p = 0; p < 4; p++)
        s_estimate (self, 9, p, 1, 0, NULL);
    assert_int_equal (s_estimate (self, 9, 3, 996, 0, NULL), SS_CTR_RECEIVED);
    assert_int_equal (s_poll (self, 10, &n_want), SS_ROUND_READY);
    ss_peers_mix (self, nbrs, &n, net);
    ss_peers_end (self, 11);
    assert_int_equal (s_estimate (self, 12, 3, 2, 0, NULL), SS_CTR_RECEIVED);
    assert_int_equal (ss_peers_peer (self, 3)->slot [0].round, 2);
    assert_int_equal (ss_peers_counters (self) [SS_CTR_SUBSTITUTIONS], 0);
    ss_peers_destroy (&self);

    //  A far frame's running sum never stands in for the honest ones: after
    //  a substitution (agent 7's round 0 lost) its round-1 sum still counts
    self = s_running (0);
    ss_peers_begin (self, 0, s);
    for (int p = 0; p < 3; p++)
        s_estimate (self, 1, p, 0, 0, NULL);
    uint64_t forged [K] = { 0 }, honest [K] = { 5, 5, 5, 5 };
    s_estimate (self, 2, 3, 998, 0, forged);
    s_estimate (self, 3, 3, 1, 0, honest);          //  its round 0: lost
    int64_t t = 3;
    while (s_poll (self, t, &n_want) == SS_ROUND_WAIT && t < 1000 * MS)
        t += MS;                                    //  the grace: lost_after / 10 until measured
    assert_true (t <= 101 * MS);
    ss_peers_mix (self, nbrs, &n, net);
    assert_null (nbrs [3].theta);
    assert_false (ss_peers_peer (self, 3)->applied_any);    //  not the forged sum
    ss_peers_end (self, t);
    ss_peers_begin (self, t, s);                    //  round 1: its sum arrives
    for (int p = 0; p < 3; p++)
        s_estimate (self, t, p, 1, 0, NULL);
    assert_int_equal (s_poll (self, t, &n_want), SS_ROUND_READY);
    ss_peers_mix (self, nbrs, &n, net);
    assert_true (ss_peers_peer (self, 3)->applied_any);
    assert_int_equal (ss_peers_peer (self, 3)->applied_round, 1);
    assert_int_equal (ss_peers_peer (self, 3)->applied [0], 5);
    ss_peers_destroy (&self);
}

static void
test_jumps (void **state)
{
    (void) state;
    ss_peers_t *self = s_running (0);
    double s [K] = { 0 };
    ss_peers_begin (self, 0, s);
    int64_t wake;
    int want [4], n_want = 4;
    uint64_t jump = 0;
    //  One frame far ahead moves nobody
    s_estimate (self, 10, 0, 500, 0, NULL);
    assert_int_equal (ss_peers_poll (self, 10, &wake, want, &n_want, &jump), SS_ROUND_WAIT);
    //  A second neighbour ahead: jump to the lower of the two claims
    s_heartbeat (self, 20, 1, 300, SS_STATE_RUNNING);
    n_want = 4;
    assert_int_equal (ss_peers_poll (self, 20, &wake, want, &n_want, &jump), SS_ROUND_JUMP);
    assert_int_equal (jump, 300);
    ss_peers_jump (self, 20, jump);
    assert_int_equal (ss_peers_round (self), 300);
    assert_int_equal (ss_peers_counters (self) [SS_CTR_JUMPS], 1);
    //  One round ahead is not a jump
    ss_peers_destroy (&self);
    self = s_running (0);
    ss_peers_begin (self, 0, s);
    for (int p = 0; p < 4; p++)
        s_estimate (self, 10, p, 1, 0, NULL);
    n_want = 4;
    assert_int_equal (ss_peers_poll (self, 10, &wake, want, &n_want, &jump), SS_ROUND_WAIT);
    ss_peers_destroy (&self);
    //  With a single live neighbour, its claim is enough
    int ids [] = { 4 }, degrees [] = { 1 };
    self = ss_peers_new (&s_config, K, 5, 1, ids, degrees);
    ss_peers_start (self, 0, 0, 0, false);
    s_heartbeat (self, 0, 0, 0, SS_STATE_READY);
    int lost;
    bool joined;
    assert_true (ss_peers_barrier (self, 0, &lost, &joined));
    ss_peers_begin (self, 0, s);
    s_heartbeat (self, 10, 0, 80, SS_STATE_RUNNING);
    n_want = 4;
    assert_int_equal (ss_peers_poll (self, 10, &wake, want, &n_want, &jump), SS_ROUND_JUMP);
    assert_int_equal (jump, 80);
    ss_peers_destroy (&self);
}

//  The bounds on what a neighbour may send
static void
test_bounds (void **state)
{
    (void) state;
    ss_peers_t *self = s_running (0);
    uint64_t zero [K] = { 0 };
    double big [K] = { 0, 0, 2 * SS_ROUND_MAX_THETA, 0 };
    int64_t resend;
    assert_int_equal (s_estimate (self, 1, 0, 1000, 0, NULL), SS_CTR_DROP_ROUND);  //  beyond the run
    assert_int_equal (s_estimate (self, 1, 0, 999, 0, NULL), SS_CTR_RECEIVED);
    assert_int_equal (ss_peers_heartbeat (self, 1, 0, 1000, 0, 4, SS_STATE_STOPPING, 0, &resend), 0);
    assert_int_equal (ss_peers_heartbeat (self, 1, 0, 1001, 0, 4, SS_STATE_RUNNING, 0, &resend),
                      SS_CTR_DROP_ROUND);
    assert_int_equal (ss_peers_estimate (self, 1, 1, 0, UINT64_MAX, 4, s_theta, zero),
                      SS_CTR_DROP_EPOCH);
    assert_int_equal (ss_peers_estimate (self, 1, 1, 0, SS_PEERS_MAX_EPOCH_GAP, 4, s_theta, zero),
                      SS_CTR_RECEIVED);
    assert_int_equal (ss_peers_estimate (self, 1, 2, 0, 0, 5, s_theta, zero), SS_CTR_DROP_VALUE);
    assert_int_equal (ss_peers_estimate (self, 1, 2, 0, 0, 4, big, zero), SS_CTR_DROP_VALUE);
    uint64_t huge [K] = { 0, (uint64_t) ss_mass_quantize (2 * SS_PEERS_MAX_STEP), 0, 0 };
    assert_int_equal (ss_peers_estimate (self, 1, 2, 0, 0, 4, s_theta, huge), SS_CTR_DROP_VALUE);
    assert_int_equal (ss_peers_counters (self) [SS_CTR_DROP_VALUE], 3);
    ss_peers_destroy (&self);
    //  Unbounded runs: never more than 2^40 rounds ahead, never wrapping
    ss_peers_config_t open = s_config;
    open.rounds = 0;
    int ids [] = { 3, 4 }, degrees [] = { 4, 4 };
    self = ss_peers_new (&open, K, 5, 2, ids, degrees);
    ss_peers_start (self, 0, 10, 0, false);
    assert_int_equal (s_estimate (self, 1, 0, 10 + SS_PEERS_MAX_AHEAD, 0, NULL), SS_CTR_RECEIVED);
    assert_int_equal (s_estimate (self, 1, 1, 11 + SS_PEERS_MAX_AHEAD, 0, NULL), SS_CTR_DROP_ROUND);
    assert_int_equal (s_estimate (self, 1, 1, UINT64_MAX, 0, NULL), SS_CTR_DROP_ROUND);
    ss_peers_destroy (&self);
}

//  Running sums: a late message is counted when it comes, a lost one is
//  made up by the next, a duplicate adds nothing, another epoch adds nothing
static void
test_running_sums (void **state)
{
    (void) state;
    ss_peers_t *self = s_running (0);
    double s [K] = { 0 };
    ss_neighbour_t nbrs [4];
    int n, n_want;
    int64_t net [K];
    uint64_t sum [K] = { 0 };
    uint64_t q = (uint64_t) ss_mass_quantize (0.125);
    //  round 0: every sum arrives
    ss_peers_begin (self, 0, s);
    for (int k = 0; k < K; k++)
        sum [k] += q;
    for (int p = 0; p < 4; p++)
        s_estimate (self, 1, p, 0, 0, sum);
    assert_int_equal (s_poll (self, 1, &n_want), SS_ROUND_READY);
    ss_peers_mix (self, nbrs, &n, net);
    assert_true (ss_mass_value (net [0]) == 4 * 0.125);
    ss_peers_end (self, 2);
    //  round 1: agent 3's estimate is lost; agent 3 is seen at round 2
    ss_peers_begin (self, 10 * MS, s);
    for (int k = 0; k < K; k++)
        sum [k] += q;
    for (int p = 1; p < 4; p++)
        s_estimate (self, 10 * MS, p, 1, 0, sum);
    uint64_t later [K];
    for (int k = 0; k < K; k++)
        later [k] = sum [k] + q;
    s_estimate (self, 10 * MS, 0, 2, 0, later);
    assert_int_equal (s_poll (self, 10 * MS + 200 * MS, &n_want), SS_ROUND_READY);
    ss_peers_mix (self, nbrs, &n, net);
    //  the three on time add 0.125; agent 3's newest (round 2) adds 0.25
    assert_true (ss_mass_value (net [0]) == 3 * 0.125 + 0.25);
    ss_peers_end (self, 10 * MS + 200 * MS);
    //  round 2: agent 3's round 2 estimate is held, its sum already added;
    //  a duplicate and a late round 1 add nothing
    ss_peers_begin (self, 300 * MS, s);
    assert_int_equal (s_estimate (self, 300 * MS, 0, 2, 0, later), SS_CTR_DROP_DUPLICATE);
    assert_int_equal (s_estimate (self, 300 * MS, 0, 1, 0, sum), SS_CTR_DROP_STALE);
    for (int p = 1; p < 4; p++)
        s_estimate (self, 300 * MS, p, 2, 0, later);
    assert_int_equal (s_poll (self, 300 * MS, &n_want), SS_ROUND_READY);
    ss_peers_mix (self, nbrs, &n, net);
    assert_true (ss_mass_value (net [0]) == 3 * 0.125);
    //  what we sent ourselves is subtracted: s = 0 here, so nothing
    ss_peers_end (self, 300 * MS);
    //  round 3, agent 4 in epoch 1: its sum is not ours to add; we enter
    //  epoch 1 after the round and every sum is zeroed
    double s1 [K] = { 1, 1, 1, 1 };
    ss_peers_begin (self, 400 * MS, s1);
    double w_s = ss_mass_value (ss_mass_quantize (0.2));
    assert_true (ss_mass_value (ss_peers_peer (self, 1)->sent [0]) == w_s);
    for (int p = 0; p < 4; p++)
        if (p != 1)
            s_estimate (self, 400 * MS, p, 3, 0, later);
    s_estimate (self, 400 * MS, 1, 3, 1, later);
    assert_int_equal (s_poll (self, 400 * MS, &n_want), SS_ROUND_READY);
    ss_peers_mix (self, nbrs, &n, net);
    assert_true (ss_mass_value (net [0]) == -4 * w_s);  //  only what we sent
    assert_true (ss_peers_end (self, 400 * MS));
    assert_int_equal (ss_peers_epoch (self), 1);
    assert_false (ss_peers_peer (self, 1)->applied_any);
    assert_true (ss_peers_peer (self, 0)->sent [0] == 0);
    ss_peers_destroy (&self);
}

//  A round begun (its masses sent) and jumped away from: the next round
//  that runs subtracts those masses too, exactly once
static void
test_jump_owes (void **state)
{
    (void) state;
    ss_peers_t *self = s_running (0);
    double s [K] = { 1, 1, 1, 1 };
    ss_peers_begin (self, 0, s);            //  round 0: 4 x 0.2 sent
    s_heartbeat (self, 1, 0, 50, SS_STATE_RUNNING);
    s_heartbeat (self, 1, 1, 50, SS_STATE_RUNNING);
    int64_t wake;
    int want [4], n_want = 4;
    uint64_t jump;
    assert_int_equal (ss_peers_poll (self, 2, &wake, want, &n_want, &jump), SS_ROUND_JUMP);
    ss_peers_jump (self, 2, jump);
    ss_peers_begin (self, 3, s);            //  round 50: 4 x 0.2 more
    for (int p = 0; p < 4; p++)
        s_estimate (self, 4, p, 50, 0, NULL);
    n_want = 4;
    assert_int_equal (ss_peers_poll (self, 4, &wake, want, &n_want, &jump), SS_ROUND_READY);
    ss_neighbour_t nbrs [4];
    int n;
    int64_t net [K];
    ss_peers_mix (self, nbrs, &n, net);
    double w_s = ss_mass_value (ss_mass_quantize (0.2));
    assert_true (ss_mass_value (net [0]) == -8 * w_s);
    //  and not again in the round after
    ss_peers_end (self, 5);
    ss_peers_begin (self, 6, s);
    for (int p = 0; p < 4; p++)
        s_estimate (self, 7, p, 51, 0, NULL);
    n_want = 4;
    assert_int_equal (ss_peers_poll (self, 7, &wake, want, &n_want, &jump), SS_ROUND_READY);
    ss_peers_mix (self, nbrs, &n, net);
    assert_true (ss_mass_value (net [0]) == -4 * w_s);
    ss_peers_destroy (&self);
}

//  Repairs: a WANT of our round or the last one is answered
static void
test_resend (void **state)
{
    (void) state;
    ss_peers_t *self = s_running (0);
    int64_t resend;
    ss_peers_start (self, 0, 7, 0, false);
    ss_peers_heartbeat (self, 1, 0, 7, 0, 4, SS_STATE_RUNNING, 8, &resend);
    assert_int_equal (resend, 7);
    ss_peers_heartbeat (self, 1, 0, 6, 0, 4, SS_STATE_RUNNING, 7, &resend);
    assert_int_equal (resend, 6);
    ss_peers_heartbeat (self, 1, 0, 5, 0, 4, SS_STATE_RUNNING, 6, &resend);
    assert_int_equal (resend, -1);
    ss_peers_heartbeat (self, 1, 0, 8, 0, 4, SS_STATE_RUNNING, 9, &resend);
    assert_int_equal (resend, -1);
    ss_peers_destroy (&self);
}

//  Run rounds of 1 ms from round 0 to round `to` (every estimate on time,
//  each sum `step` more than the last) so that the typical round is 1 ms
static int64_t
s_rounds (ss_peers_t *self, int64_t t, uint64_t to, uint64_t *sum, uint64_t step)
{
    double s [K] = { 0 };
    int n, n_want;
    ss_neighbour_t nbrs [4];
    int64_t net [K];
    while (ss_peers_round (self) < to) {
        uint64_t r = ss_peers_round (self);
        ss_peers_begin (self, t, s);
        for (int k = 0; k < K; k++)
            sum [k] += step;
        for (int p = 0; p < 4; p++)
            s_estimate (self, t + MS, p, r, 0, sum);
        assert_int_equal (s_poll (self, t + MS, &n_want), SS_ROUND_READY);
        ss_peers_mix (self, nbrs, &n, net);
        ss_peers_end (self, t + MS);
        t += MS;
    }
    return t;
}

//  A missing estimate's mass is forecast from the link's rate (its two
//  newest sums), for up to forecast_rounds rounds; the next real sum puts
//  right what the forecast got wrong: what the link added in all is
//  exactly the sum sent, forecast or not
static void
test_forecast (void **state)
{
    (void) state;
    ss_peers_config_t config = s_config;
    for (int forecast = 0; forecast < 2; forecast++) {
        config.forecast_rounds = forecast? 2: 0;
        ss_peers_t *self = s_running_with (&config, 0);
        uint64_t q = (uint64_t) ss_mass_quantize (0.125);
        uint64_t sum [K] = { 0 };
        int64_t t = s_rounds (self, 0, 6, sum, q);      //  agent 3's sum: 6 q
        //  Rounds 6, 7, 8: agent 3's estimates lost (it is seen past us);
        //  the others' come, each sum q more
        double s [K] = { 0 };
        uint64_t added = 0;         //  agent 3's link, in q
        ss_neighbour_t nbrs [4];
        int n, n_want;
        int64_t net [K];
        for (uint64_t r = 6; r < 9; r++) {
            ss_peers_begin (self, t, s);
            for (int k = 0; k < K; k++)
                sum [k] += q;
            for (int p = 1; p < 4; p++)
                s_estimate (self, t, p, r, 0, sum);
            s_heartbeat (self, t, 0, r + 1, SS_STATE_RUNNING);
            t += 200 * MS;                              //  past the grace
            assert_int_equal (s_poll (self, t, &n_want), SS_ROUND_READY);
            ss_peers_mix (self, nbrs, &n, net);
            assert_null (nbrs [0].theta);               //  substituted
            int64_t link = net [0] - 3 * (int64_t) q;   //  agent 3's share
            //  Forecast: q in round 6, q in 7, nothing past two rounds
            assert_true (link == (forecast && r < 8? (int64_t) q: 0));
            added += (uint64_t) link / q;
            ss_peers_end (self, t);
        }
        //  Round 9: its estimate comes, its sum 10 q (rounds 6-9 sent 4 q,
        //  and the rate changed: round 9 sent 1 q more than forecast allows
        //  for). The link adds the rest: 10 q in all, whatever was forecast
        ss_peers_begin (self, t, s);
        for (int k = 0; k < K; k++)
            sum [k] += q;
        for (int p = 0; p < 4; p++)
            s_estimate (self, t, p, 9, 0, sum);
        assert_int_equal (s_poll (self, t, &n_want), SS_ROUND_READY);
        ss_peers_mix (self, nbrs, &n, net);
        added += (uint64_t) (net [0] - 3 * (int64_t) q) / q;
        assert_int_equal (added + 6, 10);               //  exact
        assert_true (ss_peers_peer (self, 0)->applied [1] == (int64_t) sum [1]);
        ss_peers_end (self, t);
        ss_peers_destroy (&self);
    }
}

//  On a link marked lossy, a neighbour at most one round behind is waited
//  for lossy_wait typical rounds, then the round runs without it; one two
//  rounds behind is waited for as on any link; an unmarked link as always.
//  While a link is lossy, a jump needs neighbours three rounds ahead
static void
test_lossy_wait (void **state)
{
    (void) state;
    ss_peers_config_t config = s_config;
    config.lossy_wait = 3;
    config.forecast_rounds = 8;
    ss_peers_t *self = s_running_with (&config, 0);
    uint64_t sum [K] = { 0 };
    int64_t t = s_rounds (self, 0, 6, sum, 0);
    assert_true (ss_peers_typical_ms (self) == 1.0);
    double s [K] = { 0 };
    int n_want;
    ss_neighbour_t nbrs [4];
    int n;
    int64_t net [K];
    //  Round 6, agent 7 (p 3) last seen at round 5, its link not marked:
    //  waited for however long
    ss_peers_begin (self, t, s);
    for (int p = 0; p < 3; p++)
        s_estimate (self, t, p, 6, 0, sum);
    assert_int_equal (s_poll (self, t + 100 * MS, &n_want), SS_ROUND_WAIT);
    //  Marked lossy until round 6: still not (the mark is over)
    ss_peers_lossy (self, 3, 6);
    assert_int_equal (s_poll (self, t + 100 * MS, &n_want), SS_ROUND_WAIT);
    //  Until round 9: three typical rounds from the round's start
    ss_peers_lossy (self, 3, 9);
    ss_peers_lossy (self, 3, 7);                        //  a mark never shrinks
    assert_true (ss_peers_peer (self, 3)->lossy_until == 9);
    ss_peers_end (self, t);                             //  (round 6 ends unrun)
    ss_peers_jump (self, t, 6);
    ss_peers_begin (self, t, s);
    for (int p = 0; p < 3; p++)
        s_estimate (self, t, p, 6, 0, sum);
    int64_t wake, bound = t + 3 * MS;
    int want [8];
    uint64_t jump;
    n_want = 8;
    assert_int_equal (ss_peers_poll (self, bound - 1, &wake, want, &n_want, &jump),
                      SS_ROUND_WAIT);
    assert_true (wake <= bound);
    assert_int_equal (s_poll (self, bound, &n_want), SS_ROUND_READY);
    ss_peers_mix (self, nbrs, &n, net);
    assert_null (nbrs [3].theta);
    assert_int_equal (ss_peers_counters (self) [SS_CTR_SUBSTITUTIONS], 1);
    ss_peers_end (self, bound);
    //  Round 7: agent 7 still at round 5, two behind: waited for
    t = bound;
    ss_peers_begin (self, t, s);
    for (int p = 0; p < 3; p++)
        s_estimate (self, t, p, 7, 0, sum);
    assert_int_equal (s_poll (self, t + 100 * MS, &n_want), SS_ROUND_WAIT);
    //  Its estimate of round 6 comes: one behind, the bound again (from
    //  the round's start, long past)
    s_estimate (self, t + 100 * MS, 3, 6, 0, sum);
    assert_int_equal (s_poll (self, t + 100 * MS, &n_want), SS_ROUND_READY);
    ss_peers_mix (self, nbrs, &n, net);
    ss_peers_end (self, t + 100 * MS);
    //  Round 8, two neighbours claim round 10: no jump while lossy (at
    //  most S_LEAD = 2 ahead is a lossy link's pace); round 11: a jump
    t += 100 * MS;
    ss_peers_begin (self, t, s);
    s_heartbeat (self, t, 0, 10, SS_STATE_RUNNING);
    s_heartbeat (self, t, 1, 10, SS_STATE_RUNNING);
    n_want = 8;
    assert_int_not_equal (ss_peers_poll (self, t, &wake, want, &n_want, &jump), SS_ROUND_JUMP);
    s_heartbeat (self, t, 0, 11, SS_STATE_RUNNING);
    s_heartbeat (self, t, 1, 11, SS_STATE_RUNNING);
    n_want = 8;
    assert_int_equal (ss_peers_poll (self, t, &wake, want, &n_want, &jump), SS_ROUND_JUMP);
    assert_int_equal (jump, 11);
    ss_peers_destroy (&self);
}

//  The loss window: a judged loss alone marks nothing; a second within
//  SS_PEERS_LOSSY_ROUNDS rounds of the one before marks the link until
//  SS_PEERS_LOSSY_ROUNDS rounds on; one more round apart, nothing
static void
test_loss_window (void **state)
{
    (void) state;
    ss_peers_config_t config = s_config;
    config.lossy_wait = 3;
    ss_peers_t *self = s_running_with (&config, 0);
    uint64_t sum [K] = { 0 };
    ss_peers_loss (self, 3);
    assert_true (ss_peers_peer (self, 3)->lossy_until == 0);
    int64_t t = s_rounds (self, 0, SS_PEERS_LOSSY_ROUNDS, sum, 0);
    ss_peers_loss (self, 3);                            //  exactly at the bound
    assert_true (ss_peers_peer (self, 3)->lossy_until == 2 * SS_PEERS_LOSSY_ROUNDS);
    assert_true (ss_peers_peer (self, 2)->lossy_until == 0);    //  that link only
    t = s_rounds (self, t, 2 * SS_PEERS_LOSSY_ROUNDS + 1, sum, 0);
    ss_peers_loss (self, 3);                            //  one round past it
    assert_true (ss_peers_peer (self, 3)->lossy_until == 2 * SS_PEERS_LOSSY_ROUNDS);
    ss_peers_loss (self, 3);
    assert_true (ss_peers_peer (self, 3)->lossy_until == 3 * SS_PEERS_LOSSY_ROUNDS + 1);
    ss_peers_destroy (&self);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_index_and_weights),
        cmocka_unit_test (test_liveness_bounds),
        cmocka_unit_test (test_own_pause),
        cmocka_unit_test (test_barrier),
        cmocka_unit_test (test_slots),
        cmocka_unit_test (test_waits),
        cmocka_unit_test (test_far_frame),
        cmocka_unit_test (test_jumps),
        cmocka_unit_test (test_bounds),
        cmocka_unit_test (test_running_sums),
        cmocka_unit_test (test_jump_owes),
        cmocka_unit_test (test_resend),
        cmocka_unit_test (test_forecast),
        cmocka_unit_test (test_lossy_wait),
        cmocka_unit_test (test_loss_window),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
