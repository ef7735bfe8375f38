/*  ss_peers: an agent's neighbour set and the rules of its rounds, as a
    pure module: no sockets, no clock (every function takes `now`, in
    microseconds of a monotonic clock), no allocation after ss_peers_new.
    agentd drives it from its reactor; the unit tests drive it with time
    passed in, and the fault-rule tests build whole fleets of it in memory.
    docs/fleet-design.md states the rules; in short:

    Membership and liveness (Zyre's peer model). Any authenticated message
    of a neighbour is a sign of life. A neighbour silent for evasive_ms is
    EVASIVE (the caller pings it), for lost_after_ms LOST: it leaves the
    live degree and the weights, and the epoch grows. Heard again, it is
    re-admitted (the epoch grows again). Silence is judged by the clock of
    heartbeats, which the reactor sends on a timer however long a round
    takes, so a slow neighbour is never taken for a lost one.

    Start barrier. An agent is READY once it has heard every neighbour
    (their links to us are up); it runs round 0 once every neighbour said
    READY (our links to them are up too) or sent an estimate. A neighbour
    never heard within start_timeout_ms is declared lost. An agent that
    joins a running fleet (after a restart) takes an epoch above all it
    heard: its neighbours' running sums with the process it replaces are
    never added again.

    Round slots. A neighbour's estimate of round r is held in slot r & 1
    while r is our round k or k + 1 (or later, when that slot does not hold
    round k). Duplicates are dropped, estimates of rounds before k are late
    (their theta is of no use; their running sum still is). A nearer
    round takes the slot from a farther one, never the other way: a frame
    claiming a far round cannot keep the honest ones out of its slot.

    Waiting: slow is not lost. Round k is ready when every live neighbour's
    estimate of round k is held. A neighbour without one is waited for
    while it has not passed round k itself. Once it has (a later estimate,
    or a RUNNING heartbeat of a later round: its estimate of round k is in
    the network, late or lost), we ask it to send that estimate again (a
    WANT in a heartbeat, answered by a resend on another connection) at
    once and every typical round, backing off (the typical round: the median
    of the last rounds that needed no substitution and no repair), and give it a grace of grace_factor typical rounds
    and at least four of the slowest recent ones (between grace_min_ms and
    grace_max_ms), so that an overloaded host's scheduling delays never
    reach it: a repair nearly always arrives long before. After the grace
    the round runs without it: its
    theta is replaced by ours (its weight stays on the diagonal) and its
    mass is added when it comes (running sums; the newest sum it sent
    stands in for it only when it is of a round up to ours + 1, + 2 with
    bounded waits), forecast
    meanwhile at the link's rate for up to forecast_rounds rounds (the
    next real sum puts right what the forecast got wrong). On a link the
    caller marked lossy (ss_peers_loss) with lossy_wait > 0, a neighbour
    at most one round behind is waited for lossy_wait typical rounds only,
    whatever its round, and jumps need three rounds ahead. A
    neighbour whose last two messages were both two or more rounds past
    ours is not waited for at all. A neighbour that has not passed us is
    nudged with a WANT after three typical rounds (and at least the
    slowest recent one), then after one, two, four ... (at most 32) typical
    rounds (it may wait for an estimate of ours that was lost: the WANT
    tells it our round; a WANT every typical round to a neighbour slow for
    seconds was a storm at 500 agents). Repairs back off the same way.

    Epochs. Every message carries the sender's epoch. A neighbour's running
    sum is added only while its epoch is ours. After each round our epoch
    becomes the largest seen from live neighbours, plus one if the round
    saw a membership event; entering a larger epoch zeroes every running
    sum and the caller re-initialises s = psi(x) and holds still for
    settle_rounds rounds. The trackers of an epoch then sum exactly to the
    footprints of its agents. With running sums, lost, late, duplicated or
    reordered messages never change the epoch: only membership does.

    Jumps. When at least two live neighbours (one, if we have only one)
    are two or more rounds ahead, we jump to the round the second of them
    has reached (a single frame never moves us). State is kept; nothing is
    lost from the running sums.

    Bounds (hostile input, checked here once): rounds beyond the run or
    more than 2^40 ahead, epochs more than 2^20 past max (ours, their
    round), thetas beyond SS_ROUND_MAX_THETA, running-sum steps beyond
    SS_PEERS_MAX_STEP in value, degrees beyond the neighbour's graph
    degree: dropped and counted.
*/
#ifndef SS_PEERS_H
#define SS_PEERS_H

#include <stdbool.h>
#include <stdint.h>
#include "ss_counters.h"
#include "ss_round.h"

#define SS_PEERS_MAX_AHEAD      (1ULL << 40)    //  rounds ahead accepted (unbounded runs)
#define SS_PEERS_MAX_EPOCH_GAP  (1ULL << 20)    //  epochs past max (ours, round)
#define SS_PEERS_MAX_STEP       1e3             //  running-sum step, in value
#define SS_PEERS_SAMPLES        31              //  rounds in the typical-time median
#define SS_PEERS_LOSSY_ROUNDS   10              //  a lossy link's window and mark

typedef struct {
    int heartbeat_ms;       //  our heartbeat period
    int evasive_ms;         //  silence after which a neighbour is pinged
    int lost_after_ms;      //  silence after which it is lost
    int start_timeout_ms;   //  longest wait for a neighbour at start
    int settle_rounds;      //  rounds without motion after an epoch change
    int64_t rounds;         //  the run's rounds, 0: unbounded
    double grace_factor;    //  grace = factor x typical round time
    int grace_min_ms;       //  ... at least this
    int grace_max_ms;       //  ... at most this (0: no bound)
    double lossy_wait;      //  on a lossy link, wait at most this many typical
                            //  rounds for an estimate, whatever its round (0: as
                            //  on any link)
    int forecast_rounds;    //  a missing estimate's mass is forecast from the
                            //  link's recent rate, up to this many rounds past
                            //  the newest sum held (0: no forecast)
} ss_peers_config_t;

//  An agent's state as its heartbeats tell it
typedef enum {
    SS_STATE_STARTING = 0,  //  not every neighbour heard from yet
    SS_STATE_READY = 1,     //  heard every neighbour: its links are up
    SS_STATE_RUNNING = 2,   //  past the barrier: has sent its estimate of `round`
    SS_STATE_STOPPING = 3
} ss_state_t;

typedef enum {
    SS_PEER_LIVE = 0,
    SS_PEER_EVASIVE = 1,    //  silent for evasive_ms: pinged, still waited for
    SS_PEER_LOST = 2        //  silent for lost_after_ms (or never heard at start)
} ss_peer_state_t;

typedef struct {
    bool have;
    uint64_t round, epoch;
    int degree;
    double *theta;          //  K
    int64_t *mass;          //  K: its running sum to us
} ss_peer_slot_t;

typedef struct {
    int id;                 //  agent id
    int graph_degree;       //  bounds the degree it may claim
    ss_peer_state_t state;
    bool heard;             //  heard from since start
    bool ready;             //  said READY (or sent an estimate)
    int64_t last_heard;
    uint64_t claim;         //  round of its latest message
    uint64_t claim_before;  //  ... and of the one before (a far claim counts
                            //  only when two in a row make it)
    bool have_claim;
    uint64_t epoch_seen;    //  largest epoch it sent since our last round
    int degree;             //  its live degree, as it last said
    double weight;          //  w of the link in this round (0: not in it)
    ss_peer_slot_t slot [2];
    //  Running sums, in our epoch
    int64_t *sent;          //  K: what we sent it
    int64_t *applied;       //  K: the last of its sums we added
    bool applied_any;
    uint64_t applied_round;
    //  The newest running sum it sent (any round), with its round and epoch
    bool newest_have;
    uint64_t newest_round, newest_epoch;
    int64_t *newest;        //  K
    //  The sum it sent before the newest, in the newest's epoch (their step
    //  per round is what a forecast adds: ss_peers_mix)
    bool before_have;
    uint64_t before_round;
    int64_t *before;        //  K
    uint64_t lossy_until;   //  the link lost packets: lossy before this round
    uint64_t loss_seen;     //  1 + the round of its last judged loss (0: none)
    //  Waiting on it in this round
    int64_t evidence_at;    //  when it was first seen past our round (-1 not)
    int64_t want_at;        //  when the next WANT to it is due (0: now)
    int wants;              //  WANTs to it in this round (they back off)
} ss_peer_t;

typedef enum {
    SS_ROUND_WAIT = 0,      //  not ready: call again at *wake
    SS_ROUND_READY = 1,     //  run the round (ss_peers_mix, step, end)
    SS_ROUND_JUMP = 2       //  jump to *jump first (ss_peers_jump)
} ss_round_wait_t;

typedef struct ss_peers_t ss_peers_t;

//  A neighbour set for agent self_id with K features and n neighbours of
//  ids (ascending: the order sim mixes in) and graph degrees. NULL if out
//  of memory.
ss_peers_t *ss_peers_new (const ss_peers_config_t *config, int K, int self_id,
                          int n, const int *ids, const int *degrees);
void ss_peers_destroy (ss_peers_t **self_p);

//  Start at round and epoch; every neighbour is live, unheard. resumed: we
//  join a running fleet (a checkpoint was resumed), see ss_peers_barrier.
void ss_peers_start (ss_peers_t *self, int64_t now, uint64_t round, uint64_t epoch,
                     bool resumed);

//  The neighbour index of agent id, or -1
int ss_peers_index (const ss_peers_t *self, int id);
int ss_peers_size (const ss_peers_t *self);
ss_peer_t *ss_peers_peer (ss_peers_t *self, int p);
uint64_t ss_peers_round (const ss_peers_t *self);
uint64_t ss_peers_epoch (const ss_peers_t *self);
//  The live degree (neighbours not lost)
int ss_peers_live (const ss_peers_t *self);
//  Our heartbeat state: SS_STATE_STARTING until every neighbour was heard
uint32_t ss_peers_state (const ss_peers_t *self);
//  This round: estimation only (settling after an epoch change)
bool ss_peers_hold (const ss_peers_t *self);
//  Counters (SS_CTR_*), kept by the module; the caller may add its own
uint64_t *ss_peers_counters (ss_peers_t *self);
//  The typical round time (ms), the grace it gives, and the interval of
//  repair requests (WANTs)
double ss_peers_typical_ms (const ss_peers_t *self);
double ss_peers_grace_ms (const ss_peers_t *self);
double ss_peers_repair_ms (const ss_peers_t *self);
//  The slowest of the recent clean rounds (ms), -1 until measured
double ss_peers_slow_ms (const ss_peers_t *self);

//  The link to neighbour p loses packets: until round `until`, the wait
//  for its estimate is bounded by lossy_wait typical rounds (a mark never
//  shrinks)
void ss_peers_lossy (ss_peers_t *self, int p, uint64_t until);
//  A retransmission on the link to p was judged a loss in our round k (the
//  caller's ss_tcploss_judge): a second within SS_PEERS_LOSSY_ROUNDS rounds
//  of the one before marks the link lossy for SS_PEERS_LOSSY_ROUNDS rounds.
//  One alone does not: a connection backed off during a burst of loss
//  retransmits its last lost segment up to a second after the burst, and
//  each such retransmission had rounds run without estimates merely a
//  little late, long after the loss had ended
void ss_peers_loss (ss_peers_t *self, int p);

//  Membership event (restart, ...): the epoch grows after this round
void ss_peers_event (ss_peers_t *self, const char *why);
//  Why the epoch last grew (a static text), for the log
const char *ss_peers_why (const ss_peers_t *self);

//  Start barrier: true once our first round may run. Neighbours never
//  heard within start_timeout_ms are declared lost (they count in *lost).
//  An agent that joins a running fleet (resumed, or its neighbours are
//  past round 0 or in a later epoch) takes an epoch above every one it
//  heard, so that no neighbour's running sums of an earlier process of
//  ours are ever added again; *joined is then true and the caller sets
//  s = psi(x) (the module holds motion for settle_rounds). A fleet that
//  starts together stays in epoch 0.
bool ss_peers_barrier (ss_peers_t *self, int64_t now, int *lost, bool *joined);

//  Liveness, on the heartbeat timer: neighbours that went evasive since the
//  last call are listed in ping (up to n, their count returned in *n_ping),
//  those silent for lost_after_ms become lost (counted in *n_lost). Called
//  every heartbeat_ms: a gap since the last call longer than two periods is
//  time we did not run (stopped, starved), and not counted as silence
void ss_peers_timer (ss_peers_t *self, int64_t now, int *ping, int *n_ping,
                     int *n_lost);

//  Begin round k: weights of the live links, and the masses of our tracker
//  s (K) added to each live link's running sum. After it, ss_peers_peer
//  (p)->sent is what the estimate to p carries and ->weight > 0 marks the
//  links the round uses.
void ss_peers_begin (ss_peers_t *self, int64_t now, const double *s);

//  An estimate of agent p's: SS_CTR_RECEIVED when held (or when only its
//  running sum is of use), else the drop counter (SS_CTR_DROP_*). It is
//  counted by the module.
int ss_peers_estimate (ss_peers_t *self, int64_t now, int p, uint64_t round,
                       uint64_t epoch, uint32_t degree, const double *theta,
                       const uint64_t *mass);

//  A heartbeat of agent p's. 0, or a drop counter. *resend: the round of
//  ours it asks for again (want - 1), -1 none.
int ss_peers_heartbeat (ss_peers_t *self, int64_t now, int p, uint64_t round,
                        uint64_t epoch, uint32_t degree, uint32_t state,
                        uint64_t want, int64_t *resend);

//  Is round k ready? WAIT: *wake is when to look again (the caller also
//  looks whenever a message comes), and want[] lists (up to n) the
//  neighbours to send a WANT of round k now (*n_want). JUMP: *jump is the
//  round to jump to.
ss_round_wait_t ss_peers_poll (ss_peers_t *self, int64_t now, int64_t *wake,
                               int *want, int *n_want, uint64_t *jump);

//  Jump to round r (> k + 1), keeping our state
void ss_peers_jump (ss_peers_t *self, int64_t now, uint64_t r);

//  The round's inputs, once READY: nbrs[] (up to ss_peers_size, in id
//  order) for ss_round_step, its count in *n, and the net mass (K) of the
//  round: the running sums' steps of same-epoch neighbours minus what we
//  sent in ss_peers_begin
void ss_peers_mix (ss_peers_t *self, ss_neighbour_t *nbrs, int *n, int64_t *net);

//  After the round: round k + 1, the new epoch. True when the epoch grew:
//  the caller re-initialises s = psi(x) of the state it now holds (every
//  running sum is already zero).
bool ss_peers_end (ss_peers_t *self, int64_t now);

#endif
