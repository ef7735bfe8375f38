/*  fuzz_peers: libFuzzer target for the edge checks and rules of ss_peers
    (issue 9): arbitrary sequences of neighbours' ESTIMATEs and HEARTBEATs
    (rounds, epochs, degrees, states, WANTs, thetas, running sums, chosen
    near the interesting bounds as often as at random), clock steps,
    liveness timers, membership events, and the agent's own rounds run as
    agentd runs them (barrier, begin, poll, mix or jump, end).

    Input: byte 0 is the set-up (features K = 1..4, neighbours n = 1..6,
    an unbounded run or one of 1000 rounds, resumed or not); then ops,
    each an opcode byte and its operands (missing bytes read as 0).

    Aborts unless, after every op: every verdict is one the module may
    give; counters never decrease; our round never decreases, never wraps,
    moves at most SS_PEERS_MAX_AHEAD in one jump and never passes the
    run's last round; our epoch never decreases and grows in one round by
    at most what an accepted message can carry (SS_PEERS_MAX_EPOCH_GAP
    past our round + SS_PEERS_MAX_AHEAD) plus one; the live degree is at
    most n; a round's weights are in (0, 1/2] and sum to at most 1; every
    theta a round reads is finite and within SS_ROUND_MAX_THETA; the wait
    times are finite; no want list overflows.
*/
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ss_peers.h"

#define S_MAX_N 6
#define S_MAX_K 4

#ifdef SS_FUZZ_STATS
//  With -DSS_FUZZ_STATS, what the inputs reached, summed over a run (to see
//  that a corpus gets past the barrier, jumps, changes epochs, ...)
#include <stdio.h>
static uint64_t s_stats [SS_CTR_COUNT + 3];
__attribute__ ((destructor)) static void
s_print_stats (void)
{
    for (int c = 0; c < SS_CTR_COUNT; c++)
        if (s_stats [c])
            fprintf (stderr, "%s %llu\n", ss_counter_name (c), (unsigned long long) s_stats [c]);
    fprintf (stderr, "rounds run %llu, inputs past the barrier %llu, largest round %llu\n",
             (unsigned long long) s_stats [SS_CTR_COUNT],
             (unsigned long long) s_stats [SS_CTR_COUNT + 1],
             (unsigned long long) s_stats [SS_CTR_COUNT + 2]);
}
#endif

typedef struct {
    const uint8_t *data;
    size_t size, at;
} s_reader_t;

static uint8_t
s_byte (s_reader_t *r)
{
    return r->at < r->size? r->data [r->at++]: 0;
}

static uint64_t
s_u64 (s_reader_t *r)
{
    uint64_t v = 0;
    for (int b = 0; b < 8; b++)
        v = (v << 8) | s_byte (r);
    return v;
}

//  A round: near ours, near the run's end, near the bounds, or anything
static uint64_t
s_round (s_reader_t *r, uint64_t ours, int64_t rounds)
{
    int8_t delta = (int8_t) s_byte (r);
    switch (s_byte (r) % 6) {
        case 0: return ours + (uint64_t) (int64_t) delta;
        case 1: return (uint64_t) (rounds > 0? rounds: 1000) + (uint64_t) (int64_t) delta;
        case 2: return UINT64_MAX - (uint8_t) delta;
        case 3: return ours + SS_PEERS_MAX_AHEAD + (uint64_t) (int64_t) delta;
        case 4: return (uint8_t) delta;
        default: return s_u64 (r);
    }
}

//  An epoch: near ours, near the gap's bound, the largest, or anything
static uint64_t
s_epoch (s_reader_t *r, uint64_t ours, uint64_t round)
{
    int8_t delta = (int8_t) s_byte (r);
    uint64_t base = ours > round? ours: round;
    switch (s_byte (r) % 5) {
        case 0: return ours + (uint64_t) (int64_t) delta;
        case 1: return base + SS_PEERS_MAX_EPOCH_GAP + (uint64_t) (int64_t) delta;
        case 2: return UINT64_MAX - (uint8_t) delta;
        case 3: return (uint8_t) delta;
        default: return s_u64 (r);
    }
}

//  A theta value: ordinary, at or past the bound, not finite, anything
static double
s_theta (s_reader_t *r)
{
    uint8_t kind = s_byte (r);
    int8_t v = (int8_t) s_byte (r);
    switch (kind % 6) {
        case 0: return v / 16.0;
        case 1: return (v < 0? -1: 1) * SS_ROUND_MAX_THETA;
        case 2: return (v < 0? -1: 1) * nextafter (SS_ROUND_MAX_THETA, INFINITY);
        case 3: return v % 2? NAN: v < 0? -INFINITY: INFINITY;
        case 4: return v * 1e6;
        default: {
            uint64_t bits = s_u64 (r);
            double d;
            memcpy (&d, &bits, sizeof d);
            return d;
        }
    }
}

//  A running sum: what we added from it plus a step near the bound, or anything
static uint64_t
s_mass (s_reader_t *r, const ss_peer_t *peer, int k)
{
    int8_t v = (int8_t) s_byte (r);
    uint64_t from = peer->applied_any? (uint64_t) peer->applied [k]: 0;
    switch (s_byte (r) % 4) {
        case 0: return from + (uint64_t) ss_mass_quantize (v / 8.0);
        case 1: return from + (uint64_t) ss_mass_quantize ((v < 0? -1: 1) * SS_PEERS_MAX_STEP);
        case 2: return from + (uint64_t) ss_mass_quantize ((v < 0? -1: 1) * 2 * SS_PEERS_MAX_STEP);
        default: return s_u64 (r);
    }
}

static bool
s_verdict_ok (int verdict, bool estimate)
{
    switch (verdict) {
        case SS_CTR_DROP_ROUND: case SS_CTR_DROP_EPOCH: case SS_CTR_DROP_VALUE:
            return true;
        case SS_CTR_RECEIVED: case SS_CTR_DROP_STALE: case SS_CTR_DROP_DUPLICATE:
            return estimate;
        case 0:
            return !estimate;
        default:
            return false;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_reader_t r = { data, size, 0 };
    uint8_t setup = s_byte (&r);
    int K = 1 + setup % S_MAX_K;
    int n = 1 + (setup / S_MAX_K) % S_MAX_N;
    ss_peers_config_t config = {
        .heartbeat_ms = 100, .evasive_ms = 300, .lost_after_ms = 1000,
        .start_timeout_ms = 2000, .settle_rounds = 3,
        .rounds = setup & 0x40? 0: 1000, .grace_factor = 10, .grace_min_ms = 5,
        .grace_max_ms = 300, .lossy_wait = setup & 0x20? 3: 0,
        .forecast_rounds = setup & 0x10? 8: 0
    };
    bool resumed = setup & 0x80;
    int ids [S_MAX_N], degrees [S_MAX_N];
    for (int p = 0; p < n; p++) {
        ids [p] = 2 * p + 1;
        degrees [p] = 1 + p % 4;
    }
    ss_peers_t *peers = ss_peers_new (&config, K, 0, n, ids, degrees);
    if (!peers)
        abort ();
    int64_t now = 1000000;
    uint64_t start = resumed? s_byte (&r): 0;
    ss_peers_start (peers, now, start, resumed? s_byte (&r): 0, resumed);
    bool started = false;
    double s [S_MAX_K] = { 0 };
    for (int k = 0; k < K; k++)
        s [k] = 0.25 * (k + 1);
    uint64_t counters [SS_CTR_COUNT];
    memcpy (counters, ss_peers_counters (peers), sizeof counters);

    for (int ops = 0; r.at < r.size && ops < 4096; ops++) {
        uint64_t round = ss_peers_round (peers), epoch = ss_peers_epoch (peers);
        uint8_t op = s_byte (&r);
        int p = s_byte (&r) % n;
        ss_peer_t *peer = ss_peers_peer (peers, p);
        switch (op % 8) {
            case 0: {           //  an ESTIMATE
                uint64_t their = s_round (&r, round, config.rounds);
                uint64_t their_epoch = s_epoch (&r, epoch, their);
                uint32_t degree = s_byte (&r) % (uint32_t) (peer->graph_degree + 2);
                double theta [S_MAX_K];
                uint64_t mass [S_MAX_K];
                for (int k = 0; k < K; k++) {
                    theta [k] = s_theta (&r);
                    mass [k] = s_mass (&r, peer, k);
                }
                int verdict = ss_peers_estimate (peers, now, p, their, their_epoch, degree,
                                                 theta, mass);
                if (!s_verdict_ok (verdict, true))
                    abort ();
                bool within = degree <= (uint32_t) peer->graph_degree;
                for (int k = 0; k < K; k++)
                    within &= fabs (theta [k]) <= SS_ROUND_MAX_THETA;
                bool taken = verdict == SS_CTR_RECEIVED || verdict == SS_CTR_DROP_STALE
                          || verdict == SS_CTR_DROP_DUPLICATE;
                if (taken && !within)
                    abort ();       //  a value or degree beyond the bound got past the edge
                if (taken && config.rounds > 0 && their >= (uint64_t) config.rounds)
                    abort ();       //  a round beyond the run got past it
                break;
            }
            case 1: {           //  a HEARTBEAT
                uint64_t their = s_round (&r, round, config.rounds);
                uint64_t their_epoch = s_epoch (&r, epoch, their);
                uint32_t degree = s_byte (&r) % (uint32_t) (peer->graph_degree + 2);
                uint32_t state = s_byte (&r) % 5;
                uint64_t want = s_byte (&r) % 2? round + 1 - s_byte (&r) % 3: s_u64 (&r);
                int64_t resend;
                int verdict = ss_peers_heartbeat (peers, now, p, their, their_epoch, degree,
                                                  state, want, &resend);
                if (!s_verdict_ok (verdict, false))
                    abort ();
                if (resend >= 0 && (uint64_t) resend != round && (uint64_t) resend + 1 != round)
                    abort ();       //  only this round's or the last one's
                break;
            }
            case 2:             //  the clock
                now += (int64_t) s_byte (&r) * (s_byte (&r) % 2? 1000: 50000);
                break;
            case 3: {           //  the liveness timer
                int ping [S_MAX_N], n_ping = S_MAX_N, n_lost;
                ss_peers_timer (peers, now, ping, &n_ping, &n_lost);
                if (n_ping > S_MAX_N || n_lost > n)
                    abort ();
                break;
            }
            case 4:
                if (op & 0x80)      //  a link seen losing packets
                    ss_peers_lossy (peers, p, round + s_byte (&r));
                else
                    ss_peers_event (peers, "fuzz");
                break;
            default: {          //  our rounds, as agentd runs them
                if (!started) {
                    int lost;
                    bool joined;
                    started = ss_peers_barrier (peers, now, &lost, &joined);
                    if (started)
                        ss_peers_begin (peers, now, s);
                    break;
                }
                if (config.rounds > 0 && round >= (uint64_t) config.rounds)
                    break;      //  the run is over
                int64_t wake;
                int want [S_MAX_N], n_want = S_MAX_N;
                uint64_t jump = 0;
                ss_round_wait_t status = ss_peers_poll (peers, now, &wake, want, &n_want, &jump);
                if (n_want < 0 || n_want > S_MAX_N)
                    abort ();
                if (status == SS_ROUND_JUMP) {
                    if (jump < round + 2 || jump - round > SS_PEERS_MAX_AHEAD
                    ||  (config.rounds > 0 && jump > (uint64_t) config.rounds))
                        abort ();
                    ss_peers_jump (peers, now, jump);
                    ss_peers_begin (peers, now, s);
                }
                else
                if (status == SS_ROUND_READY) {
                    ss_neighbour_t nbrs [S_MAX_N];
                    int used;
                    int64_t net [S_MAX_K];
                    ss_peers_mix (peers, nbrs, &used, net);
                    if (used < 0 || used > n)
                        abort ();
                    double sum = 0;
                    for (int j = 0; j < used; j++) {
                        if (!(nbrs [j].weight > 0 && nbrs [j].weight <= 0.5))
                            abort ();
                        sum += nbrs [j].weight;
                        for (int k = 0; nbrs [j].theta && k < K; k++)
                            if (!(fabs (nbrs [j].theta [k]) <= SS_ROUND_MAX_THETA))
                                abort ();
                    }
                    if (sum > 1 + 1e-12)
                        abort ();
                    ss_peers_end (peers, now);
#ifdef SS_FUZZ_STATS
                    s_stats [SS_CTR_COUNT]++;
#endif
                    if (config.rounds == 0 || ss_peers_round (peers) < (uint64_t) config.rounds)
                        ss_peers_begin (peers, now, s);
                }
                else
                if (status != SS_ROUND_WAIT || wake < 0)
                    abort ();
                break;
            }
        }
        //  The module's invariants
        uint64_t round_now = ss_peers_round (peers), epoch_now = ss_peers_epoch (peers);
        if (round_now < round || (config.rounds > 0 && round_now > (uint64_t) config.rounds
                                  && round_now != round))
            abort ();
        uint64_t reach = (epoch > round + SS_PEERS_MAX_AHEAD? epoch: round + SS_PEERS_MAX_AHEAD);
        if (epoch_now < epoch || epoch_now - epoch > reach - epoch + SS_PEERS_MAX_EPOCH_GAP + 1)
            abort ();
        if (ss_peers_live (peers) > n || ss_peers_live (peers) < 0)
            abort ();
        if (ss_peers_state (peers) > SS_STATE_READY)
            abort ();
        const uint64_t *c = ss_peers_counters (peers);
        for (int i = 0; i < SS_CTR_COUNT; i++)
            if (c [i] < counters [i])
                abort ();
        memcpy (counters, c, sizeof counters);
        double grace = ss_peers_grace_ms (peers), repair = ss_peers_repair_ms (peers);
        if (!isfinite (grace) || grace < 0 || !isfinite (repair) || repair <= 0)
            abort ();
    }
#ifdef SS_FUZZ_STATS
    for (int c = 0; c < SS_CTR_COUNT; c++)
        s_stats [c] += ss_peers_counters (peers) [c];
    s_stats [SS_CTR_COUNT + 1] += started;
    if (ss_peers_round (peers) > s_stats [SS_CTR_COUNT + 2])
        s_stats [SS_CTR_COUNT + 2] = ss_peers_round (peers);
#endif
    ss_peers_destroy (&peers);
    return 0;
}
