/*  ss_peers: an agent's neighbour set and the rules of its rounds. The
    rules are stated in ss_peers.h and docs/fleet-design.md; this file
    keeps them in the order a round meets them: begin (weights, masses),
    messages (estimate, heartbeat), poll (ready, wait, jump), mix (the
    round's inputs), end (epochs, the next round).

    Running sums are uint64_t: they wrap modulo 2^64 by definition (signed
    overflow would be undefined), and a difference read as int64_t is the
    step between two sums whatever happened in between.
*/

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ss_peers.h"

#define S_US_PER_MS 1000
#define S_NUDGE     3        //  typical rounds before the first WANT to a neighbour not past us
#define S_SLOW_GRACE 4       //  the grace is at least this many of the slowest recent rounds
#define S_SUMS      6        //  K-vectors of running sums per peer
#define S_LEAD      2        //  on lossy links, rounds we may run ahead of a neighbour

struct ss_peers_t {
    ss_peers_config_t config;
    int K, self_id, n;
    ss_peer_t *peers;
    double *dstore;             //  slots' thetas
    uint64_t *ustore;           //  slots' and links' running sums
    uint64_t round, epoch;
    uint64_t hold_until;        //  no motion before this round
    bool event;                 //  a membership event in this round
    const char *why;            //  why the epoch last grew
    bool started;               //  the start barrier passed
    bool resumed;               //  we join a running fleet
    int64_t started_at, round_start;
    int64_t last_timer;         //  the previous ss_peers_timer (0: none yet)
    bool substituted;           //  this round ran without someone
    bool repaired;              //  this round asked for a late estimate again
    uint64_t *out;              //  K: masses sent this round, all links
    int64_t samples [SS_PEERS_SAMPLES];     //  clean round durations (us)
    int n_samples, next_sample;
    int64_t typical_us, slow_us;            //  their median and largest (-1: too few)
    uint64_t counters [SS_CTR_COUNT];
};

ss_peers_t *
ss_peers_new (const ss_peers_config_t *config, int K, int self_id, int n,
              const int *ids, const int *degrees)
{
    assert (config && K > 0 && n >= 0);
    ss_peers_t *self = calloc (1, sizeof (ss_peers_t));
    if (!self)
        return NULL;
    self->config = *config;
    self->K = K;
    self->typical_us = self->slow_us = -1;     //  not measured yet
    self->self_id = self_id;
    self->n = n;
    size_t m = (size_t) (n > 0? n: 1);
    self->peers = calloc (m, sizeof (ss_peer_t));
    self->dstore = calloc (m * 2 * (size_t) K, sizeof (double));
    //  Per peer: 2 slot sums, sent, applied, newest, before; then `out`
    self->ustore = calloc ((m * S_SUMS + 1) * (size_t) K, sizeof (uint64_t));
    if (!self->peers || !self->dstore || !self->ustore) {
        ss_peers_destroy (&self);
        return NULL;
    }
    self->out = self->ustore + m * S_SUMS * (size_t) K;
    for (int p = 0; p < n; p++) {
        ss_peer_t *peer = &self->peers [p];
        peer->id = ids [p];
        peer->graph_degree = degrees [p];
        for (int s = 0; s < 2; s++) {
            peer->slot [s].theta = self->dstore + ((size_t) p * 2 + s) * K;
            peer->slot [s].mass = (int64_t *) (self->ustore + ((size_t) p * S_SUMS + s) * K);
        }
        peer->sent = (int64_t *) (self->ustore + ((size_t) p * S_SUMS + 2) * K);
        peer->applied = (int64_t *) (self->ustore + ((size_t) p * S_SUMS + 3) * K);
        peer->newest = (int64_t *) (self->ustore + ((size_t) p * S_SUMS + 4) * K);
        peer->before = (int64_t *) (self->ustore + ((size_t) p * S_SUMS + 5) * K);
        if (p > 0)
            assert (ids [p] > ids [p - 1]);
    }
    ss_peers_start (self, 0, 0, 0, false);
    return self;
}

void
ss_peers_destroy (ss_peers_t **self_p)
{
    assert (self_p);
    ss_peers_t *self = *self_p;
    if (self) {
        free (self->peers);
        free (self->dstore);
        free (self->ustore);
        free (self);
        *self_p = NULL;
    }
}

//  Zero every running sum (a new epoch)
static void
s_zero_sums (ss_peers_t *self)
{
    size_t K = (size_t) self->K;
    if (self->out)
        memset (self->out, 0, K * sizeof (uint64_t));
    for (int p = 0; p < self->n; p++) {
        ss_peer_t *peer = &self->peers [p];
        memset (peer->sent, 0, K * sizeof (int64_t));
        memset (peer->applied, 0, K * sizeof (int64_t));
        peer->applied_any = false;
        peer->applied_round = 0;
    }
}

void
ss_peers_start (ss_peers_t *self, int64_t now, uint64_t round, uint64_t epoch,
                bool resumed)
{
    assert (self);
    self->resumed = resumed;
    self->round = round;
    self->epoch = epoch;
    self->hold_until = 0;
    self->event = false;
    self->why = NULL;
    self->started = false;
    self->started_at = self->round_start = now;
    self->n_samples = self->next_sample = 0;
    self->typical_us = self->slow_us = -1;
    for (int p = 0; p < self->n; p++) {
        ss_peer_t *peer = &self->peers [p];
        peer->state = SS_PEER_LIVE;
        peer->heard = peer->ready = peer->have_claim = false;
        peer->last_heard = now;
        peer->claim = peer->claim_before = peer->epoch_seen = 0;
        peer->degree = peer->graph_degree;
        peer->weight = 0;
        peer->slot [0].have = peer->slot [1].have = false;
        peer->newest_have = false;
        peer->before_have = false;
        peer->lossy_until = peer->loss_seen = 0;
        peer->evidence_at = -1;
        peer->want_at = -1;
    }
    s_zero_sums (self);
}

int
ss_peers_index (const ss_peers_t *self, int id)
{
    int lo = 0, hi = self->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (self->peers [mid].id == id)
            return mid;
        if (self->peers [mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

int
ss_peers_size (const ss_peers_t *self)
{
    return self->n;
}

ss_peer_t *
ss_peers_peer (ss_peers_t *self, int p)
{
    assert (p >= 0 && p < self->n);
    return &self->peers [p];
}

uint64_t
ss_peers_round (const ss_peers_t *self)
{
    return self->round;
}

uint64_t
ss_peers_epoch (const ss_peers_t *self)
{
    return self->epoch;
}

int
ss_peers_live (const ss_peers_t *self)
{
    int live = 0;
    for (int p = 0; p < self->n; p++)
        if (self->peers [p].state != SS_PEER_LOST)
            live++;
    return live;
}

uint32_t
ss_peers_state (const ss_peers_t *self)
{
    for (int p = 0; p < self->n; p++)
        if (self->peers [p].state != SS_PEER_LOST && !self->peers [p].heard)
            return SS_STATE_STARTING;
    return SS_STATE_READY;
}

bool
ss_peers_hold (const ss_peers_t *self)
{
    return self->round < self->hold_until;
}

uint64_t *
ss_peers_counters (ss_peers_t *self)
{
    return self->counters;
}

static int
s_cmp_int64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y? -1: x > y;
}

//  The median and the largest of the samples, once per new sample (the
//  rules ask for them several times a round)
static void
s_measure (ss_peers_t *self)
{
    if (self->n_samples < 5) {
        self->typical_us = self->slow_us = -1;      //  not measured yet
        return;
    }
    int64_t sorted [SS_PEERS_SAMPLES];
    memcpy (sorted, self->samples, (size_t) self->n_samples * sizeof (int64_t));
    qsort (sorted, (size_t) self->n_samples, sizeof (int64_t), s_cmp_int64);
    self->typical_us = sorted [self->n_samples / 2];
    self->slow_us = sorted [self->n_samples - 1];
}

double
ss_peers_typical_ms (const ss_peers_t *self)
{
    return self->typical_us < 0? -1: self->typical_us / (double) S_US_PER_MS;
}

double
ss_peers_slow_ms (const ss_peers_t *self)
{
    return self->slow_us < 0? -1: self->slow_us / (double) S_US_PER_MS;
}

double
ss_peers_grace_ms (const ss_peers_t *self)
{
    double typical = ss_peers_typical_ms (self);
    double floor = self->config.grace_min_ms;
    //  Until measured: a tenth of lost_after
    double grace = fmax (floor, typical < 0? self->config.lost_after_ms / 10.0
                                           : fmax (self->config.grace_factor * typical,
                                                   S_SLOW_GRACE * ss_peers_slow_ms (self)));
    double top = self->config.grace_max_ms;
    return top > 0 && grace > top? top: grace;
}

//  Repairs: the first WANT to a neighbour that has not passed us after
//  S_NUDGE typical rounds and the slowest recent one, then one every
//  typical round (at least 1 ms, 10 ms until measured); to one that has
//  passed us at once, then the same
double
ss_peers_repair_ms (const ss_peers_t *self)
{
    double typical = ss_peers_typical_ms (self);
    return typical < 0? 10: fmax (1, typical);
}

static int64_t
s_nudge_us (const ss_peers_t *self)
{
    double typical = ss_peers_typical_ms (self);
    double nudge = typical < 0? 3 * 10.0: fmax (S_NUDGE * fmax (1, typical),
                                               ss_peers_slow_ms (self));
    return (int64_t) (nudge * S_US_PER_MS);
}

void
ss_peers_event (ss_peers_t *self, const char *why)
{
    self->event = true;
    self->why = why;
}

const char *
ss_peers_why (const ss_peers_t *self)
{
    return self->why? self->why: "a neighbour's epoch";
}

//  A sign of life from peer p
static void
s_heard (ss_peers_t *self, ss_peer_t *peer, int64_t now)
{
    peer->last_heard = now;
    peer->heard = true;
    if (peer->state == SS_PEER_LOST) {
        self->counters [SS_CTR_READMITTED]++;
        ss_peers_event (self, "neighbour re-admitted");
    }
    peer->state = SS_PEER_LIVE;
}

static void
s_lose (ss_peers_t *self, ss_peer_t *peer, const char *why)
{
    peer->state = SS_PEER_LOST;
    peer->ready = false;
    peer->slot [0].have = peer->slot [1].have = false;
    self->counters [SS_CTR_LOST]++;
    ss_peers_event (self, why);
}

bool
ss_peers_barrier (ss_peers_t *self, int64_t now, int *lost, bool *joined)
{
    *lost = 0;
    *joined = false;
    if (self->started)
        return true;
    bool pass = true;
    for (int p = 0; p < self->n; p++) {
        ss_peer_t *peer = &self->peers [p];
        if (peer->state == SS_PEER_LOST)
            continue;
        if (!peer->heard
        &&  now - self->started_at >= (int64_t) self->config.start_timeout_ms * S_US_PER_MS) {
            s_lose (self, peer, "neighbour never heard at start");
            (*lost)++;
            continue;
        }
        if (!peer->heard || !peer->ready)
            pass = false;
    }
    if (!pass)
        return false;
    self->started = true;
    //  Joining a running fleet: an epoch above every one heard
    uint64_t top = self->epoch;
    bool running = self->resumed;
    for (int p = 0; p < self->n; p++) {
        ss_peer_t *peer = &self->peers [p];
        if (peer->state == SS_PEER_LOST)
            continue;
        if (peer->epoch_seen > top)
            top = peer->epoch_seen;
        if (peer->epoch_seen > self->epoch || (peer->have_claim && peer->claim > 0))
            running = true;
    }
    if (running) {
        self->epoch = top < UINT64_MAX? top + 1: top;
        self->why = "joined a running fleet";
        self->counters [SS_CTR_EPOCH_CHANGES]++;
        self->hold_until = self->round + (uint64_t) self->config.settle_rounds;
        s_zero_sums (self);
        *joined = true;
    }
    return true;
}

void
ss_peers_timer (ss_peers_t *self, int64_t now, int *ping, int *n_ping, int *n_lost)
{
    int room = *n_ping;
    *n_ping = *n_lost = 0;
    //  Called every heartbeat_ms: a longer gap is time we did not run
    //  (stopped, starved of CPU), and the silence of that time is ours, not
    //  our neighbours' (a SIGCONT must not make us lose all of them before
    //  we read what they sent meanwhile)
    int64_t period = (int64_t) self->config.heartbeat_ms * S_US_PER_MS;
    int64_t ours = self->last_timer > 0? now - self->last_timer - period: 0;
    self->last_timer = now;
    if (ours > period)
        for (int p = 0; p < self->n; p++) {
            ss_peer_t *peer = &self->peers [p];
            peer->last_heard = peer->last_heard + ours < now? peer->last_heard + ours: now;
        }
    for (int p = 0; p < self->n; p++) {
        ss_peer_t *peer = &self->peers [p];
        if (peer->state == SS_PEER_LOST || !peer->heard)
            continue;           //  the start barrier judges the unheard
        int64_t silent = now - peer->last_heard;
        if (silent >= (int64_t) self->config.lost_after_ms * S_US_PER_MS) {
            s_lose (self, peer, "neighbour lost");
            (*n_lost)++;
        }
        else
        if (peer->state == SS_PEER_LIVE
        &&  silent >= (int64_t) self->config.evasive_ms * S_US_PER_MS) {
            peer->state = SS_PEER_EVASIVE;
            self->counters [SS_CTR_EVASIVE]++;
            if (*n_ping < room)
                ping [(*n_ping)++] = p;
        }
    }
}

//  Does peer p hold its estimate of round k?
static bool
s_holds (const ss_peer_t *peer, uint64_t k)
{
    const ss_peer_slot_t *slot = &peer->slot [k & 1];
    return slot->have && slot->round == k;
}

//  Peer p was seen past our round k (it has sent its estimate of round k)
static void
s_evidence (ss_peers_t *self, ss_peer_t *peer, int64_t now)
{
    if (peer->evidence_at < 0 && !s_holds (peer, self->round)) {
        peer->evidence_at = now;
        peer->want_at = -1;     //  ask for it at once, and often again
        peer->wants = 0;
    }
}

void
ss_peers_begin (ss_peers_t *self, int64_t now, const double *s)
{
    self->round_start = now;
    self->substituted = false;
    self->repaired = false;
    int live = ss_peers_live (self);
    //  `out` is not reset here: masses sent in a round that never ran (we
    //  jumped away from it) are still owed, and the next round subtracts
    //  them with its own (ss_peers_mix)
    for (int p = 0; p < self->n; p++) {
        ss_peer_t *peer = &self->peers [p];
        peer->evidence_at = -1;
        peer->want_at = -1;
        peer->wants = 0;
        if (peer->state == SS_PEER_LOST) {
            peer->weight = 0;
            continue;
        }
        peer->weight = ss_round_weight (live, peer->degree);
        uint64_t *sent = (uint64_t *) peer->sent;
        for (int k = 0; k < self->K; k++) {
            uint64_t q = (uint64_t) ss_mass_quantize (peer->weight * s [k]);
            sent [k] += q;
            self->out [k] += q;
        }
        if (peer->have_claim && peer->claim > self->round)
            s_evidence (self, peer, now);
    }
}

//  Rounds, epochs and degrees checked against the fleet's meaning; 0 or a
//  drop counter
static int
s_check_numbers (const ss_peers_t *self, const ss_peer_t *peer, uint64_t round,
                 uint64_t epoch, uint32_t degree, bool estimate)
{
    if (self->config.rounds > 0
    &&  (estimate? round >= (uint64_t) self->config.rounds
                 : round > (uint64_t) self->config.rounds))
        return SS_CTR_DROP_ROUND;
    if (round > self->round && round - self->round > SS_PEERS_MAX_AHEAD)
        return SS_CTR_DROP_ROUND;
    uint64_t base = self->epoch > round? self->epoch: round;
    if (epoch > base && epoch - base > SS_PEERS_MAX_EPOCH_GAP)
        return SS_CTR_DROP_EPOCH;
    if (degree > (uint32_t) peer->graph_degree)
        return SS_CTR_DROP_VALUE;
    return 0;
}

//  The round a message of peer's says it has reached
static void
s_claim (ss_peer_t *peer, uint64_t round)
{
    peer->claim_before = peer->have_claim? peer->claim: 0;
    peer->claim = round;
    peer->have_claim = true;
}

//  Is every step of a running sum within SS_PEERS_MAX_STEP?
static bool
s_steps_ok (const ss_peers_t *self, const uint64_t *mass, const int64_t *from)
{
    for (int k = 0; k < self->K; k++) {
        int64_t step = (int64_t) (mass [k] - (from? (uint64_t) from [k]: 0));
        if (fabs (ss_mass_value (step)) > SS_PEERS_MAX_STEP)
            return false;
    }
    return true;
}

int
ss_peers_estimate (ss_peers_t *self, int64_t now, int p, uint64_t round,
                   uint64_t epoch, uint32_t degree, const double *theta,
                   const uint64_t *mass)
{
    assert (p >= 0 && p < self->n);
    ss_peer_t *peer = &self->peers [p];
    int bad = s_check_numbers (self, peer, round, epoch, degree, true);
    for (int k = 0; !bad && k < self->K; k++)
        if (!(fabs (theta [k]) <= SS_ROUND_MAX_THETA))
            bad = SS_CTR_DROP_VALUE;
    //  The running sum's step from what we added (our epoch) or from zero
    //  (a newer epoch, whose sums start at zero)
    if (!bad && epoch >= self->epoch
    &&  !s_steps_ok (self, mass, epoch == self->epoch && peer->applied_any?
                                 peer->applied: NULL))
        bad = SS_CTR_DROP_VALUE;
    if (bad) {
        self->counters [bad]++;
        return bad;
    }
    s_heard (self, peer, now);
    peer->ready = true;         //  it runs rounds: it passed its barrier
    s_claim (peer, round);
    peer->degree = (int) degree;
    if (epoch > peer->epoch_seen)
        peer->epoch_seen = epoch;
    size_t K = (size_t) self->K;
    if (!peer->newest_have || epoch > peer->newest_epoch
    ||  (epoch == peer->newest_epoch && round > peer->newest_round)) {
        //  The newest becomes the one before (the two buffers trade places:
        //  nothing is copied, nothing computed until a forecast needs it)
        peer->before_have = peer->newest_have && epoch == peer->newest_epoch;
        if (peer->before_have) {
            int64_t *was = peer->before;
            peer->before = peer->newest;
            peer->before_round = peer->newest_round;
            peer->newest = was;
        }
        memcpy (peer->newest, mass, K * sizeof (uint64_t));
        peer->newest_round = round;
        peer->newest_epoch = epoch;
        peer->newest_have = true;
    }
    if (round > self->round)
        s_evidence (self, peer, now);
    uint64_t k = self->round;
    if (round < k) {
        self->counters [SS_CTR_DROP_STALE]++;
        return SS_CTR_DROP_STALE;       //  late: only its running sum counts
    }
    ss_peer_slot_t *slot = &peer->slot [round & 1];
    if (slot->have && slot->round == round) {
        self->counters [SS_CTR_DROP_DUPLICATE]++;
        return SS_CTR_DROP_DUPLICATE;
    }
    //  Never give up round k's estimate for a later one, nor a nearer
    //  later one for a farther one: a frame claiming a far round holds its
    //  slot only until an honest estimate of a nearer round comes (when the
    //  farther kept the slot, one forged frame of round rounds - 2 had
    //  every honest estimate of that parity dropped as stale: each of
    //  those rounds waited a grace, and the whole fleet ran 15x slower)
    if (slot->have && (slot->round == k || (slot->round > k && slot->round < round))) {
        self->counters [SS_CTR_DROP_STALE]++;
        return SS_CTR_DROP_STALE;
    }
    slot->have = true;
    slot->round = round;
    slot->epoch = epoch;
    slot->degree = (int) degree;
    memcpy (slot->theta, theta, K * sizeof (double));
    memcpy (slot->mass, mass, K * sizeof (uint64_t));
    self->counters [SS_CTR_RECEIVED]++;
    return SS_CTR_RECEIVED;
}

int
ss_peers_heartbeat (ss_peers_t *self, int64_t now, int p, uint64_t round,
                    uint64_t epoch, uint32_t degree, uint32_t state,
                    uint64_t want, int64_t *resend)
{
    assert (p >= 0 && p < self->n);
    ss_peer_t *peer = &self->peers [p];
    *resend = -1;
    int bad = s_check_numbers (self, peer, round, epoch, degree, false);
    if (bad) {
        self->counters [bad]++;
        return bad;
    }
    s_heard (self, peer, now);
    peer->degree = (int) degree;
    if (epoch > peer->epoch_seen)
        peer->epoch_seen = epoch;
    if (state >= SS_STATE_READY)
        peer->ready = true;
    //  A running peer at round r has sent its estimate of round r; past
    //  ours, it sent ours a round ago at least (a heartbeat of our very
    //  round may just have overtaken the estimate on another connection)
    if (state == SS_STATE_RUNNING) {
        s_claim (peer, round);
        if (round > self->round)
            s_evidence (self, peer, now);
    }
    //  It asks for our estimate of round want - 1: we keep this round's
    //  and the last one's
    if (want > 0) {
        uint64_t r = want - 1;
        if (r == self->round || (self->round > 0 && r == self->round - 1))
            *resend = (int64_t) r;
    }
    return 0;
}

//  Does a live link lose packets in this round (and are its waits bounded)?
static bool
s_lossy (const ss_peers_t *self)
{
    if (self->config.lossy_wait <= 0)
        return false;
    for (int p = 0; p < self->n; p++)
        if (self->peers [p].state != SS_PEER_LOST && self->peers [p].lossy_until > self->round)
            return true;
    return false;
}

//  The q-th largest claim among live peers (q = 2, or 1 with one live peer)
static bool
s_jump_target (const ss_peers_t *self, uint64_t *target)
{
    uint64_t first = 0, second = 0;
    int live = 0, claims = 0;
    for (int p = 0; p < self->n; p++) {
        const ss_peer_t *peer = &self->peers [p];
        if (peer->state == SS_PEER_LOST)
            continue;
        live++;
        if (!peer->have_claim)
            continue;
        claims++;
        if (peer->claim > first) {
            second = first;
            first = peer->claim;
        }
        else
        if (peer->claim > second)
            second = peer->claim;
    }
    int q = live < 2? live: 2;
    if (q == 0 || claims < q)
        return false;
    *target = q == 1? first: second;
    return *target >= self->round + (s_lossy (self)? S_LEAD + 1: 2);
}

void
ss_peers_lossy (ss_peers_t *self, int p, uint64_t until)
{
    assert (p >= 0 && p < self->n);
    if (until > self->peers [p].lossy_until)
        self->peers [p].lossy_until = until;
}

void
ss_peers_loss (ss_peers_t *self, int p)
{
    assert (p >= 0 && p < self->n);
    ss_peer_t *peer = &self->peers [p];
    uint64_t k = self->round;
    if (peer->loss_seen > 0 && peer->loss_seen - 1 + SS_PEERS_LOSSY_ROUNDS >= k)
        ss_peers_lossy (self, p, k + SS_PEERS_LOSSY_ROUNDS);
    peer->loss_seen = k + 1;
}

//  The wait on a lossy link: lossy_wait typical rounds (at least 1 ms);
//  0 when off or the typical round is not measured yet
static int64_t
s_lossy_us (const ss_peers_t *self)
{
    double typical = ss_peers_typical_ms (self);
    if (self->config.lossy_wait <= 0 || typical < 0)
        return 0;
    return (int64_t) (fmax (1, self->config.lossy_wait * typical) * S_US_PER_MS);
}

ss_round_wait_t
ss_peers_poll (ss_peers_t *self, int64_t now, int64_t *wake, int *want,
               int *n_want, uint64_t *jump)
{
    int room = *n_want;
    *n_want = 0;
    *wake = INT64_MAX;
    if (s_jump_target (self, jump))
        return SS_ROUND_JUMP;
    uint64_t k = self->round;
    int64_t grace = (int64_t) (ss_peers_grace_ms (self) * S_US_PER_MS);
    int64_t repair = (int64_t) (ss_peers_repair_ms (self) * S_US_PER_MS);
    int64_t lossy = s_lossy_us (self);
    bool ready = true;
    for (int p = 0; p < self->n; p++) {
        ss_peer_t *peer = &self->peers [p];
        //  Not in this round (lost when it began, maybe re-admitted since:
        //  it joins the next one), lost now, or held: nothing to wait for
        if (peer->weight <= 0 || peer->state == SS_PEER_LOST || s_holds (peer, k))
            continue;
        if (peer->have_claim && peer->claim >= k + 2 && peer->claim_before >= k + 2)
            continue;           //  long past our round (twice): not waited for
        //  A lossy link, and the neighbour at most one round behind us:
        //  waited for lossy_wait typical rounds, then the round runs without
        //  it (its mass forecast). A stalled connection holds its estimate
        //  for a retransmission timeout, and each neighbour waiting on its
        //  own late estimate held the next: at 30% loss the fleet ran at a
        //  fifteenth of its pace. One further behind is waited for as
        //  always: we never run more than two rounds ahead of a neighbour.
        if (lossy > 0 && peer->lossy_until > k
        &&  peer->have_claim && peer->claim + S_LEAD - 1 >= k) {
            if (now >= self->round_start + lossy)
                continue;
            *wake = *wake < self->round_start + lossy? *wake: self->round_start + lossy;
        }
        //  Past our round, whenever we learnt it (before a jump, say): its
        //  estimate of round k is in the network, or was never sent to us
        //  (we were lost to it then): a grace, then without it
        if (peer->have_claim && peer->claim > k)
            s_evidence (self, peer, now);
        int64_t due;
        if (peer->evidence_at >= 0) {
            //  Its estimate is in the network, late or lost: ask for it
            //  again at once and every repair interval, for a grace
            if (now >= peer->evidence_at + grace)
                continue;
            due = peer->want_at < 0? now: peer->want_at;
            *wake = *wake < peer->evidence_at + grace? *wake: peer->evidence_at + grace;
        }
        else
            //  It has not passed us: it may wait for a lost one of ours,
            //  or be slow; nudge it (a WANT costs little either way)
            due = peer->want_at < 0? self->round_start + s_nudge_us (self): peer->want_at;
        ready = false;
        if (now >= due) {
            if (*n_want < room)
                want [(*n_want)++] = p;
            self->counters [SS_CTR_WANTS]++;
            if (peer->evidence_at >= 0)
                self->repaired = true;
            //  Again after one repair interval, then two, four... (at most
            //  32): a link that stays stalled is not flooded with requests
            due = now + (repair << (peer->wants < 5? peer->wants: 5));
            peer->wants++;
        }
        peer->want_at = due;
        *wake = *wake < due? *wake: due;
    }
    return ready? SS_ROUND_READY: SS_ROUND_WAIT;
}

void
ss_peers_jump (ss_peers_t *self, int64_t now, uint64_t r)
{
    assert (r > self->round);
    self->round = r;
    self->counters [SS_CTR_JUMPS]++;
    for (int p = 0; p < self->n; p++) {
        ss_peer_t *peer = &self->peers [p];
        for (int s = 0; s < 2; s++)
            if (peer->slot [s].have && peer->slot [s].round < r)
                peer->slot [s].have = false;
        peer->evidence_at = -1;
    }
    self->round_start = now;
}

void
ss_peers_mix (ss_peers_t *self, ss_neighbour_t *nbrs, int *n, int64_t *net)
{
    size_t K = (size_t) self->K;
    uint64_t *sum = (uint64_t *) net;
    for (size_t k = 0; k < K; k++) {
        sum [k] = 0 - self->out [k];
        self->out [k] = 0;      //  subtracted, exactly once
    }
    *n = 0;
    uint64_t r = self->round;
    for (int p = 0; p < self->n; p++) {
        ss_peer_t *peer = &self->peers [p];
        if (peer->weight <= 0)
            continue;           //  not in this round (lost at its start)
        const uint64_t *src = NULL;
        uint64_t src_round = 0, src_epoch = 0;
        if (s_holds (peer, r)) {
            ss_peer_slot_t *slot = &peer->slot [r & 1];
            nbrs [*n] = (ss_neighbour_t) { .theta = slot->theta, .weight = peer->weight };
            src = (const uint64_t *) slot->mass;
            src_round = slot->round;
            src_epoch = slot->epoch;
        }
        else {
            nbrs [*n] = (ss_neighbour_t) { .theta = NULL, .weight = peer->weight };
            self->counters [SS_CTR_SUBSTITUTIONS]++;
            self->substituted = true;
            //  Its newest sum, unless of a round past ours + 1 (+ S_LEAD
            //  with bounded waits, under which a neighbour may run that far
            //  ahead): a forged far one would set applied_round there, and
            //  every honest sum of the rounds before it would be refused
            //  until then
            uint64_t reach = self->config.lossy_wait > 0? S_LEAD: 1;
            if (peer->newest_have && peer->newest_round <= r + reach) {
                src = (const uint64_t *) peer->newest;
                src_round = peer->newest_round;
                src_epoch = peer->newest_epoch;
            }
        }
        (*n)++;
        if (!src || src_epoch != self->epoch
        ||  (peer->applied_any && src_round < peer->applied_round))
            continue;
        //  A sum older than our round: forecast what the missing ones add,
        //  its rate per round for up to forecast_rounds rounds. What the
        //  forecast gets wrong, the next real sum puts right (we add the
        //  difference between it and all we added), so conservation is as
        //  exact as without it; while estimates are missing, the trackers
        //  miss only the change in the link's rate, not a whole round's
        //  mass per missing estimate (a fifth of the tracker per link)
        //  (src_round < r: src is its newest sum, the rate that of the step
        //  from the one before)
        uint64_t ahead = 0;
        int64_t gap = 1;
        if (src_round < r && peer->before_have && self->config.forecast_rounds > 0) {
            ahead = r - src_round;
            if (ahead > (uint64_t) self->config.forecast_rounds)
                ahead = (uint64_t) self->config.forecast_rounds;
            gap = (int64_t) (peer->newest_round - peer->before_round);
        }
        uint64_t *applied = (uint64_t *) peer->applied;
        const uint64_t *before = (const uint64_t *) peer->before;
        for (size_t k = 0; k < K; k++) {
            uint64_t target = src [k];
            if (ahead)
                target += ahead * (uint64_t) ((int64_t) (src [k] - before [k]) / gap);
            sum [k] += target - applied [k];
            applied [k] = target;
        }
        peer->applied_any = true;
        peer->applied_round = src_round;
    }
}

bool
ss_peers_end (ss_peers_t *self, int64_t now)
{
    uint64_t k = self->round;
    //  The typical round: rounds that neither substituted nor repaired a
    //  late estimate (the fleet's pace, not the network's losses)
    if (!self->substituted && !self->repaired) {
        self->samples [self->next_sample] = now - self->round_start;
        self->next_sample = (self->next_sample + 1) % SS_PEERS_SAMPLES;
        if (self->n_samples < SS_PEERS_SAMPLES)
            self->n_samples++;
        s_measure (self);
    }
    uint64_t epoch = self->epoch;
    const char *why = "a neighbour's epoch";
    for (int p = 0; p < self->n; p++) {
        ss_peer_t *peer = &self->peers [p];
        for (int s = 0; s < 2; s++)
            if (peer->slot [s].have && peer->slot [s].round <= k)
                peer->slot [s].have = false;
        if (peer->state != SS_PEER_LOST && peer->epoch_seen > epoch)
            epoch = peer->epoch_seen;
        peer->epoch_seen = 0;
    }
    if (self->event) {
        why = self->why;
        epoch = (epoch > self->epoch? epoch: self->epoch);
        if (epoch < UINT64_MAX)
            epoch++;
        self->event = false;
    }
    self->round = k + 1;
    if (epoch <= self->epoch)
        return false;
    self->epoch = epoch;
    self->why = why;
    self->counters [SS_CTR_EPOCH_CHANGES]++;
    self->hold_until = self->round + (uint64_t) self->config.settle_rounds;
    s_zero_sums (self);
    return true;
}
