/*  ss_testnet: a whole fleet in memory, each agent driven by its own
    ss_peers exactly as agentd drives it (barrier, begin, estimates and
    heartbeats, poll, WANTs and resends, mix, ss_round_step, end, epoch
    resets, jumps), over a simulated network that can lose, delay,
    duplicate and reorder every message, cut links and stop agents. Time is
    simulated (microseconds). Used by test_epoch and test_peers: the rules
    are the module's, not re-implemented here.
*/
#ifndef SS_TESTNET_H
#define SS_TESTNET_H

#include <stdlib.h>
#include <string.h>
#include "ss_testutil.h"
#include "ss_footprint.h"
#include "ss_fleet.h"
#include "ss_graph.h"
#include "ss_peers.h"
#include "ss_round.h"

typedef struct {
    int from, to;
    int64_t at;                 //  delivery time
    bool estimate;              //  else a heartbeat
    uint64_t round, epoch, want;
    uint32_t degree, state;
    double *theta;              //  K (estimate)
    uint64_t *mass;             //  K (estimate)
} tn_msg_t;

typedef struct {
    bool alive;                 //  its process runs
    bool frozen;                //  SIGSTOP: runs nothing, sends nothing
    ss_peers_t *peers;
    ss_agent_t cur, next;
    double *store;
    int64_t next_heartbeat;
    bool started;
    bool said_ready;            //  our READY went out
    //  The last two estimates sent on each link (for resends): [p][2]
    tn_msg_t *kept;
} tn_agent_t;

typedef struct {
    ss_problem_t *P;
    ss_work_t *w;
    ss_graph_t *g;
    int n, K;
    uint64_t rounds;            //  every agent stops at this round
    tn_agent_t *agents;
    tn_msg_t *q;                //  messages in flight
    int nq, cap;
    int64_t now;
    ss_rng_t rng;
    ss_peers_config_t config;
    //  Impairments, applied to each message sent
    double loss, dup;
    int64_t delay_min, delay_max;       //  uniform delay (us)
    bool (*cut) (int from, int to, void *arg);
    void *cut_arg;
    uint64_t sent, dropped, duplicated;
} testnet_t;

static inline double *
tn_dup_doubles (const double *v, int n)
{
    double *copy = malloc ((size_t) n * sizeof (double));
    memcpy (copy, v, (size_t) n * sizeof (double));
    return copy;
}

static inline uint64_t *
tn_dup_uints (const uint64_t *v, int n)
{
    uint64_t *copy = malloc ((size_t) n * sizeof (uint64_t));
    memcpy (copy, v, (size_t) n * sizeof (uint64_t));
    return copy;
}

static inline void
tn_msg_free (tn_msg_t *msg)
{
    free (msg->theta);
    free (msg->mass);
    msg->theta = NULL;
    msg->mass = NULL;
}

//  Put a message on the wire, impaired
static inline void
tn_send (testnet_t *net, const tn_msg_t *msg)
{
    net->sent++;
    if ((net->cut && net->cut (msg->from, msg->to, net->cut_arg))
    ||  ss_rng_uniform (&net->rng) < net->loss) {
        net->dropped++;
        return;
    }
    int copies = ss_rng_uniform (&net->rng) < net->dup? 2: 1;
    net->duplicated += (uint64_t) (copies - 1);
    for (int c = 0; c < copies; c++) {
        if (net->nq == net->cap) {
            net->cap = net->cap? 2 * net->cap: 256;
            net->q = realloc (net->q, (size_t) net->cap * sizeof (tn_msg_t));
        }
        tn_msg_t *out = &net->q [net->nq++];
        *out = *msg;
        int64_t span = net->delay_max - net->delay_min;
        out->at = net->now + net->delay_min
                + (span > 0? (int64_t) (ss_rng_uniform (&net->rng) * (double) span): 0);
        if (msg->estimate) {
            out->theta = tn_dup_doubles (msg->theta, net->K);
            out->mass = tn_dup_uints (msg->mass, net->K);
        }
    }
}

static inline void
tn_heartbeat (testnet_t *net, int i, int p, uint64_t want)
{
    tn_agent_t *a = &net->agents [i];
    tn_msg_t msg = {
        .from = i, .to = ss_peers_peer (a->peers, p)->id, .estimate = false,
        .round = ss_peers_round (a->peers), .epoch = ss_peers_epoch (a->peers),
        .want = want, .degree = (uint32_t) ss_peers_live (a->peers),
        .state = a->started? SS_STATE_RUNNING: ss_peers_state (a->peers)
    };
    tn_send (net, &msg);
}

//  Begin our round: masses into the running sums, an estimate to every
//  live neighbour (kept for resends)
static inline void
tn_begin (testnet_t *net, int i)
{
    tn_agent_t *a = &net->agents [i];
    ss_peers_begin (a->peers, net->now, a->cur.s);
    uint64_t k = ss_peers_round (a->peers);
    for (int p = 0; p < ss_peers_size (a->peers); p++) {
        ss_peer_t *peer = ss_peers_peer (a->peers, p);
        if (peer->weight <= 0)
            continue;
        tn_msg_t *kept = &a->kept [p * 2 + (k & 1)];
        tn_msg_free (kept);
        *kept = (tn_msg_t) {
            .from = i, .to = peer->id, .estimate = true, .round = k,
            .epoch = ss_peers_epoch (a->peers),
            .degree = (uint32_t) ss_peers_live (a->peers),
            .theta = tn_dup_doubles (a->cur.theta, net->K),
            .mass = tn_dup_uints ((const uint64_t *) peer->sent, net->K)
        };
        tn_send (net, kept);
    }
}

//  A fleet from a fleet file's agents, graph and model, with the lossy-link
//  keys given (faults/lossy_wait, faults/forecast_rounds)
static inline testnet_t *
testnet_new_tuned (const ss_fleet_t *fleet, uint64_t rounds, uint64_t seed,
                   double lossy_wait, int forecast_rounds)
{
    testnet_t *net = calloc (1, sizeof (testnet_t));
    net->P = ss_problem_new (&fleet->model, &fleet->target);
    net->w = ss_work_new (net->P);
    char err [256];
    net->g = ss_fleet_graph (fleet, err, sizeof err);
    assert_non_null (net->g);
    net->n = fleet->count;
    net->K = net->P->K;
    net->rounds = rounds;
    ss_rng_seed (&net->rng, seed);
    net->config = (ss_peers_config_t) {
        .heartbeat_ms = 100, .evasive_ms = 300, .lost_after_ms = 1000,
        .start_timeout_ms = 5000, .settle_rounds = 5, .rounds = (int64_t) rounds,
        .grace_factor = 2, .grace_min_ms = 2,
        .lossy_wait = lossy_wait, .forecast_rounds = forecast_rounds
    };
    net->agents = calloc ((size_t) net->n, sizeof (tn_agent_t));
    double *x0 = calloc ((size_t) net->n * net->P->d, sizeof (double));
    ss_fleet_positions (fleet, x0);
    for (int i = 0; i < net->n; i++) {
        tn_agent_t *a = &net->agents [i];
        int deg = ss_graph_degree (net->g, i);
        const int *row = ss_graph_neighbours (net->g, i);
        int degrees [64];
        for (int r = 0; r < deg; r++)
            degrees [r] = ss_graph_degree (net->g, row [r]);
        a->peers = ss_peers_new (&net->config, net->K, i, deg, row, degrees);
        a->store = calloc ((size_t) 4 * net->K, sizeof (double));
        a->cur.theta = a->store;
        a->cur.s = a->store + net->K;
        a->next.theta = a->store + 2 * net->K;
        a->next.s = a->store + 3 * net->K;
        a->kept = calloc ((size_t) (2 * (deg > 0? deg: 1)), sizeof (tn_msg_t));
        ss_round_init (net->P, &a->cur, x0 + (size_t) i * net->P->d);
        ss_peers_start (a->peers, 0, 0, 0, false);
        a->alive = true;
    }
    free (x0);
    return net;
}

//  ... with agentd's defaults (no bounded wait, forecasts of 8 rounds)
static inline testnet_t *
testnet_new (const ss_fleet_t *fleet, uint64_t rounds, uint64_t seed)
{
    return testnet_new_tuned (fleet, rounds, seed, 0, 8);
}

//  Mark every link of every agent lossy until round `until`
static inline void
testnet_lossy (testnet_t *net, uint64_t until)
{
    for (int i = 0; i < net->n; i++)
        for (int p = 0; p < ss_peers_size (net->agents [i].peers); p++)
            ss_peers_lossy (net->agents [i].peers, p, until);
}

static inline void
testnet_destroy (testnet_t **net_p)
{
    testnet_t *net = *net_p;
    for (int i = 0; i < net->n; i++) {
        tn_agent_t *a = &net->agents [i];
        for (int p = 0; p < 2 * ss_peers_size (a->peers); p++)
            tn_msg_free (&a->kept [p]);
        free (a->kept);
        ss_peers_destroy (&a->peers);
        free (a->store);
    }
    for (int m = 0; m < net->nq; m++)
        tn_msg_free (&net->q [m]);
    free (net->q);
    free (net->agents);
    ss_graph_destroy (&net->g);
    ss_work_destroy (&net->w);
    ss_problem_destroy (&net->P);
    free (net);
    *net_p = NULL;
}

//  Restart agent i from a saved state (x, theta, s at round r, epoch e):
//  a new process, its neighbour set fresh, joining the running fleet
static inline void
testnet_restart (testnet_t *net, int i, const ss_agent_t *saved, uint64_t r, uint64_t e)
{
    tn_agent_t *a = &net->agents [i];
    memcpy (a->cur.x, saved->x, sizeof a->cur.x);
    memcpy (a->cur.theta, saved->theta, (size_t) net->K * sizeof (double));
    //  A resumed agent restarts its tracker from its own footprint
    ss_footprint (net->P, a->cur.x, a->cur.s);
    ss_peers_start (a->peers, net->now, r, e, true);
    a->alive = true;
    a->frozen = false;
    a->started = false;
    a->said_ready = false;
    a->next_heartbeat = net->now;
}

//  Deliver one message to its receiver's neighbour set
static inline void
tn_deliver (testnet_t *net, tn_msg_t *msg)
{
    tn_agent_t *a = &net->agents [msg->to];
    if (!a->alive)
        return;
    int p = ss_peers_index (a->peers, msg->from);
    assert_true (p >= 0);
    if (msg->estimate)
        ss_peers_estimate (a->peers, net->now, p, msg->round, msg->epoch,
                           msg->degree, msg->theta, msg->mass);
    else {
        int64_t resend;
        ss_peers_heartbeat (a->peers, net->now, p, msg->round, msg->epoch,
                            msg->degree, msg->state, msg->want, &resend);
        if (resend >= 0) {
            tn_msg_t *kept = &a->kept [p * 2 + (resend & 1)];
            if (kept->theta && kept->round == (uint64_t) resend)
                tn_send (net, kept);
        }
    }
}

//  Run agent i as far as it can go now
static inline void
tn_run (testnet_t *net, int i)
{
    tn_agent_t *a = &net->agents [i];
    if (!a->alive || a->frozen)
        return;
    ss_peers_t *peers = a->peers;
    if (net->now >= a->next_heartbeat) {
        int ping [64], n_ping = 64, n_lost;
        ss_peers_timer (peers, net->now, ping, &n_ping, &n_lost);
        for (int p = 0; p < ss_peers_size (peers); p++)
            tn_heartbeat (net, i, p, 0);
        a->next_heartbeat = net->now + net->config.heartbeat_ms * 1000;
    }
    if (!a->said_ready && ss_peers_state (peers) == SS_STATE_READY) {
        //  Every neighbour heard: tell them at once, not at the next beat
        a->said_ready = true;
        for (int p = 0; p < ss_peers_size (peers); p++)
            tn_heartbeat (net, i, p, 0);
    }
    if (!a->started) {
        int lost;
        bool joined;
        if (!ss_peers_barrier (peers, net->now, &lost, &joined))
            return;
        a->started = true;
        if (joined)
            ss_footprint (net->P, a->cur.x, a->cur.s);
        for (int p = 0; p < ss_peers_size (peers); p++)
            tn_heartbeat (net, i, p, 0);
        if (ss_peers_round (peers) < net->rounds)
            tn_begin (net, i);
    }
    for (int guard = 0; guard < 1000; guard++) {
        uint64_t k = ss_peers_round (peers);
        if (k >= net->rounds)
            return;
        int64_t wake;
        int want [64], n_want = 64;
        uint64_t jump;
        ss_round_wait_t status = ss_peers_poll (peers, net->now, &wake, want, &n_want, &jump);
        for (int w = 0; w < n_want; w++)
            tn_heartbeat (net, i, want [w], k + 1);
        if (status == SS_ROUND_WAIT)
            return;
        if (status == SS_ROUND_JUMP) {
            ss_peers_jump (peers, net->now, jump);
            if (jump < net->rounds)
                tn_begin (net, i);
            continue;
        }
        ss_neighbour_t nbrs [64];
        int n;
        int64_t mass [SS_MAX_K];
        ss_peers_mix (peers, nbrs, &n, mass);
        a->cur.hold = ss_peers_hold (peers);
        ss_round_step (net->P, &a->cur, nbrs, n, mass, &a->next, net->w);
        if (ss_peers_end (peers, net->now))
            ss_footprint (net->P, a->next.x, a->next.s);
        ss_agent_t swap = a->cur;
        a->cur = a->next;
        a->next = swap;
        if (ss_peers_round (peers) < net->rounds)
            tn_begin (net, i);
    }
}

static inline int
tn_cmp_msg (const void *x, const void *y)
{
    const tn_msg_t *a = x, *b = y;
    return a->at < b->at? -1: a->at > b->at;
}

//  Advance the clock by dt, deliver what is due (in delivery order), run
//  every agent
static inline void
testnet_tick (testnet_t *net, int64_t dt)
{
    net->now += dt;
    if (net->nq > 1)
        qsort (net->q, (size_t) net->nq, sizeof (tn_msg_t), tn_cmp_msg);
    int due = 0;
    while (due < net->nq && net->q [due].at <= net->now)
        due++;
    tn_msg_t *batch = malloc ((size_t) (due > 0? due: 1) * sizeof (tn_msg_t));
    if (due > 0) {          //  (net->q may be NULL while nothing was sent)
        memcpy (batch, net->q, (size_t) due * sizeof (tn_msg_t));
        memmove (net->q, net->q + due, (size_t) (net->nq - due) * sizeof (tn_msg_t));
    }
    net->nq -= due;
    for (int m = 0; m < due; m++) {
        tn_deliver (net, &batch [m]);
        tn_msg_free (&batch [m]);
    }
    free (batch);
    for (int i = 0; i < net->n; i++)
        tn_run (net, i);
}

//  Tick until every live agent reached the last round, at most max_ticks
static inline bool
testnet_run (testnet_t *net, int64_t dt, int max_ticks)
{
    for (int t = 0; t < max_ticks; t++) {
        bool done = true;
        for (int i = 0; i < net->n; i++)
            if (net->agents [i].alive && !net->agents [i].frozen
            &&  ss_peers_round (net->agents [i].peers) < net->rounds)
                done = false;
        if (done)
            return true;
        testnet_tick (net, dt);
    }
    return false;
}

//  Tick until every live agent reached round r (or the last)
static inline bool
testnet_run_to (testnet_t *net, uint64_t r, int64_t dt, int max_ticks)
{
    for (int t = 0; t < max_ticks; t++) {
        bool done = true;
        for (int i = 0; i < net->n; i++)
            if (net->agents [i].alive && !net->agents [i].frozen
            &&  ss_peers_round (net->agents [i].peers) < r)
                done = false;
        if (done)
            return true;
        testnet_tick (net, dt);
    }
    return false;
}

//  |mean_live s_i - mean_live psi(x_i)|_inf
static inline double
testnet_bias (testnet_t *net)
{
    const int K = net->K;
    double ms [SS_MAX_K] = { 0 }, mpsi [SS_MAX_K] = { 0 }, psi [SS_MAX_K];
    int n = 0;
    for (int i = 0; i < net->n; i++) {
        if (!net->agents [i].alive)
            continue;
        ss_footprint (net->P, net->agents [i].cur.x, psi);
        for (int k = 0; k < K; k++) {
            ms [k] += net->agents [i].cur.s [k];
            mpsi [k] += psi [k];
        }
        n++;
    }
    double bias = 0;
    for (int k = 0; k < K; k++)
        if (fabs (ms [k] - mpsi [k]) / n > bias)
            bias = fabs (ms [k] - mpsi [k]) / n;
    return bias;
}

//  Sum of a counter over the live agents
static inline uint64_t
testnet_counter (testnet_t *net, int counter)
{
    uint64_t sum = 0;
    for (int i = 0; i < net->n; i++)
        if (net->agents [i].alive)
            sum += ss_peers_counters (net->agents [i].peers) [counter];
    return sum;
}

#endif
