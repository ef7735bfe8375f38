/*  ss_agentd: one agent as a daemon: the reactor and its handlers. The
    design is in ss_agentd.h and docs/fleet-design.md; the rules are
    ss_peers'. This file is the order of events: a frame comes, it is
    checked and handed to the rules; a timer fires; the rounds that can run
    then run, and what they produce is sent.
*/

#include <czmq.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include "ss_agentd.h"
#include "ss_counters.h"
#include "ss_footprint.h"
#include "ss_graph.h"
#include "ss_keys.h"
#include "ss_links.h"
#include "ss_notify.h"
#include "ss_peers.h"
#include "ss_persist.h"
#include "ss_proto.h"
#include "ss_round.h"

#define S_STOP_GRACE_MS   2000      //  after a signal: to finish the round
#define S_LOG_MS          1000      //  rate limit of repeated lines
#define S_DRAIN           256       //  frames read per reader call
#define S_ROUNDS_PER_CALL 64        //  rounds run before yielding to the loop
#define S_JUMP_REPORTS    8         //  skipped report rounds reported after a jump
#define S_MAX_PEERS       1024
#define S_COORD_LINGER_MS 5000      //  longest wait at exit for our last reports
#define S_COPY_ROUNDS     100       //  links/copies auto: rounds of two copies after a resend
#define S_ASKED_ROUNDS    20        //  rounds of one more datagram after a resend asked for
#define S_STALL_MS        20        //  a resend asked for this long after the send (at least)...
#define S_STALL_ROUNDS    4         //  ... and this many typical rounds: a stalled link
#define S_SPAN            2         //  connections of a lossless link used in turn

static volatile sig_atomic_t s_stop_signal = 0;

static void
s_on_signal (int signum)
{
    (void) signum;
    s_stop_signal = 1;
}

void
ss_agentd_catch_signals (void)
{
    struct sigaction action;
    memset (&action, 0, sizeof (action));
    action.sa_handler = s_on_signal;
    sigemptyset (&action.sa_mask);
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);
}

//  An estimate we sent on a link, kept for a resend
typedef struct {
    uint8_t *data;
    size_t size;
    uint64_t round;
    int64_t sent_us;            //  when s_begin sent it (s_now)
    bool have;
} s_kept_t;

struct ss_agentd_t {
    ss_fleet_t *fleet;
    ss_agentd_options_t options;
    int id, d, K, n;
    uint64_t fleet_id;
    ss_problem_t *problem;
    ss_work_t *work;
    ss_agent_t cur, next;
    double *store;
    int *ids, *degrees;
    char (*names) [32];         //  n: each neighbour's authenticated name (ss_keys_name)
    ss_peers_t *peers;
    ss_links_t *links;
    ss_persist_t *persist;
    zloop_t *loop;
    int round_timer;            //  armed while a round waits, 0 none
    int again_timer;            //  armed to read the sockets again (s_again), 0 none
    int64_t round_timer_at;     //  us
    //  Buffers (no allocation per message)
    ss_msg_t *msg;              //  the one decoded frame
    s_kept_t *kept;             //  n x 2: our last two estimates per link
    size_t estimate_cap;
    uint8_t *frame;             //  scratch for reports, heartbeats
    size_t frame_cap;
    ss_estimate_t *estimate;
    ss_report_t *report;
    //  State
    bool started, said_ready, finished, stopping;
    bool resumed;
    double step;                //  |v| of the last round
    int64_t stop_at;            //  CONTROL STOP: -1 none
    int64_t signal_round;       //  finish after this round (signal): -1 none
    int64_t started_at;         //  ms
    int64_t progress_every;
    uint64_t counters [SS_CTR_COUNT];   //  the daemon's own (edge drops, ...)
    uint64_t merged [SS_CTR_COUNT];     //  with ss_peers', for reports
    int64_t logged [SS_CTR_COUNT];
    int64_t epoch_logged;
    uint64_t epochs_unlogged;
    //  Targets
    ss_target_t *pending;       //  switch_round, mixture
    bool have_pending;
    ss_mixture_t *target_now;   //  in force: count 0 and cells 0 = the fleet's
    uint64_t target_now_round;
    ss_peer_state_t *was;       //  n: peer states before the liveness check
    bool *done;                 //  n: the neighbour said STOPPING (it finished)
    uint64_t *copies_until;     //  n: two copies of our estimates until this round
    uint64_t *asked_until;      //  n: one more datagram until this round (s_datagrams)
    bool lingering;             //  finished, waiting for the neighbours to finish
    bool coord_stopped;         //  the coordinator sent STOP: it has our reports
    int exit_code;
};

#define s_info(self, ...)  do { if (!(self)->options.quiet) zsys_info (__VA_ARGS__); } while (0)
#define s_debug(self, ...) do { if ((self)->options.verbose) zsys_debug (__VA_ARGS__); } while (0)

static int64_t
s_now (void)
{
    return zclock_usecs ();
}

//  How long after its send a request for an estimate says the link
//  stalled it: S_STALL_ROUNDS typical rounds, at least S_STALL_MS (an
//  overloaded host's slow rounds are not a stall; a lost segment under the
//  kernel's own timeouts holds a connection for 200 ms and more); never
//  before the typical round is measured (the start's handshakes)
static int64_t
s_stall_us (ss_agentd_t *self)
{
    double typical = ss_peers_typical_ms (self->peers);
    return typical < 0? INT64_MAX
         : (int64_t) (fmax (S_STALL_MS, S_STALL_ROUNDS * typical) * 1000);
}

//  A frame dropped for reason: counted, logged at most once a second per
//  reason
static void
s_drop (ss_agentd_t *self, int reason, const char *detail)
{
    self->counters [reason]++;
    int64_t now = zclock_mono ();
    if (self->logged [reason] == 0 || now - self->logged [reason] >= S_LOG_MS) {
        self->logged [reason] = now;
        zsys_warning ("dropped a frame: %s (%s); %llu so far", ss_counter_name (reason),
                      detail, (unsigned long long) (self->counters [reason]
                                + ss_peers_counters (self->peers) [reason]));
    }
}

//  Our counters and the rules', in one array (they count different things)
static const uint64_t *
s_counters (ss_agentd_t *self)
{
    const uint64_t *rules = ss_peers_counters (self->peers);
    for (int c = 0; c < SS_CTR_COUNT; c++)
        self->merged [c] = self->counters [c] + rules [c];
    self->merged [SS_CTR_DEGREE] = (uint64_t) ss_peers_live (self->peers);
    return self->merged;
}

static void
s_header (ss_agentd_t *self, ss_header_t *hdr, uint64_t round)
{
    hdr->version = SS_PROTO_VERSION;
    hdr->fleet = self->fleet_id;
    hdr->epoch = ss_peers_epoch (self->peers);
    hdr->round = round;
    hdr->sender = (uint32_t) self->id;
}

static uint32_t
s_state (ss_agentd_t *self)
{
    if (self->finished || self->stopping)
        return SS_STATE_STOPPING;
    return self->started? SS_STATE_RUNNING: ss_peers_state (self->peers);
}

static int s_span (ss_agentd_t *self, int p, uint64_t k);

//  On a link seen retransmitting (the rounds of links/copies auto's two
//  copies), a frame to neighbour p (estimates, resends, heartbeats) also
//  as links/datagrams sealed UDP datagrams (ss_datagram), which no lost
//  TCP segment holds back; one more for S_ASKED_ROUNDS after the neighbour
//  asked us to resend an estimate (it lost every copy: the link loses
//  much). Measured (lossy.sh, 600 rounds): 3 copies always took 30% loss
//  from 0.38-0.40 of the lossless pace to 0.50-0.64, and 10% down from
//  0.77-0.80 to 0.62-0.68 (copies cost CPU): at 10% the request is rare.
//  On a link not marked, `unmarked` copies (0 for estimates and plain
//  heartbeats; a request for an estimate and the resend it asks for go
//  as links/datagrams datagrams too, so that repairs do not wait behind a
//  stalled connection for the kernel's own retransmission timeout)
static void
s_datagrams (ss_agentd_t *self, int p, const void *data, size_t size, int unmarked)
{
    ss_datagram_t *datagram = ss_links_datagram (self->links);
    if (!datagram)
        return;
    uint64_t k = ss_peers_round (self->peers);
    int copies = self->copies_until [p] <= k? unmarked
               : self->fleet->datagrams + (self->asked_until [p] > k? 1: 0);
    if (copies > 0)
        self->counters [SS_CTR_DATAGRAMS] +=
            (uint64_t) ss_datagram_send (datagram, p, data, size, copies);
}

//  A HEARTBEAT to neighbour p (want: 0, or r + 1 to ask for its estimate
//  of round r), on every connection of the link in use (s_span: all of
//  them once the link was seen losing packets): liveness and repair
//  requests get through as long as one connection does (under heavy loss
//  a TCP connection retransmits for seconds); they are small, but eight
//  connections to each of four neighbours every heartbeat were a load of
//  their own on a lossless link
static void
s_heartbeat (ss_agentd_t *self, int p, uint64_t want)
{
    ss_heartbeat_t hb = {
        .degree = (uint32_t) ss_peers_live (self->peers), .state = s_state (self),
        .want = want
    };
    s_header (self, &hb.hdr, ss_peers_round (self->peers));
    size_t size;
    if (ss_heartbeat_encode_into (&hb, self->frame, self->frame_cap, &size) == 0) {
        for (int c = 0; c < s_span (self, p, ss_peers_round (self->peers)); c++)
            zmq_send (zsock_resolve (ss_links_dealer (self->links, p, c)), self->frame, size,
                      ZMQ_DONTWAIT);
        //  Liveness and requests on a path no stalled connection holds
        s_datagrams (self, p, self->frame, size, want > 0? self->fleet->datagrams: 0);
    }
}

static int s_on_again (zloop_t *loop, int timer_id, void *arg);

//  The ROUTER, the coordinator's DEALER, the ZAP handler's socket and the
//  ROUTER's monitor are polled by their descriptors (ZMQ_FD), not as
//  ZeroMQ sockets: zmq_poll asks each ZeroMQ socket it is given for its
//  events, two system calls each and twice a wait, and a round waits
//  several times. ZMQ_FD is edge-triggered: it signals a change, and a
//  socket read until it has nothing left (EAGAIN) signals the next one.
//  So a read cut short (S_DRAIN frames), or a send that may have taken the
//  signal of a message already there, reads the sockets again on a timer
//  of no delay; the heartbeat timer reads them too, whatever happened.
static void
s_again (ss_agentd_t *self)
{
    if (!self->again_timer)
        self->again_timer = zloop_timer (self->loop, 0, 1, s_on_again, self);
}

//  A frame to the coordinator: 0, or -1 (no link)
static int
s_to_coordinator (ss_agentd_t *self, const void *data, size_t size)
{
    int rc = ss_links_send_coordinator (self->links, data, size);
    if (zsock_events (ss_links_coordinator (self->links)) & ZMQ_POLLIN)
        s_again (self);
    return rc;
}

//  HEARTBEAT to every neighbour, live or lost (a lost one that hears us
//  re-admits us), and to the coordinator
static void
s_heartbeats (ss_agentd_t *self)
{
    for (int p = 0; p < self->n; p++)
        s_heartbeat (self, p, 0);
    ss_heartbeat_t hb = {
        .degree = (uint32_t) ss_peers_live (self->peers), .state = s_state (self)
    };
    s_header (self, &hb.hdr, ss_peers_round (self->peers));
    size_t size;
    if (ss_heartbeat_encode_into (&hb, self->frame, self->frame_cap, &size) == 0)
        s_to_coordinator (self, self->frame, size);
}

//  REPORT of our state as the state of round `round`
static void
s_report (ss_agentd_t *self, uint64_t round)
{
    ss_report_t *msg = self->report;
    s_header (self, &msg->hdr, round);
    msg->dim = (uint32_t) self->d;
    memcpy (msg->x, self->cur.x, sizeof (msg->x));
    memcpy (msg->x0, self->cur.x0, sizeof (msg->x0));
    msg->step = self->step;
    msg->k = (uint32_t) self->K;
    memcpy (msg->theta, self->cur.theta, (size_t) self->K * sizeof (double));
    memcpy (msg->s, self->cur.s, (size_t) self->K * sizeof (double));
    msg->n_counters = SS_CTR_COUNT;
    memcpy (msg->counters, s_counters (self), sizeof (self->merged));
    size_t size;
    int rc = ss_report_encode_into (msg, self->frame, self->frame_cap, &size);
    if (rc)
        zsys_warning ("cannot encode a report: %s", ss_proto_strerror (rc));
    else
    if (s_to_coordinator (self, self->frame, size))
        s_debug (self, "report of round %llu not sent: no coordinator link",
                 (unsigned long long) round);
}

static ss_persist_state_t
s_persist_state (ss_agentd_t *self)
{
    return (ss_persist_state_t) {
        .agent = &self->cur, .round = ss_peers_round (self->peers),
        .epoch = ss_peers_epoch (self->peers),
        .targets = self->counters [SS_CTR_TARGETS], .target = self->target_now,
        .target_round = self->target_now_round, .counters = s_counters (self)
    };
}

static void
s_checkpoint (ss_agentd_t *self)
{
    ss_persist_state_t state = s_persist_state (self);
    ss_persist_checkpoint (self->persist, &state, self->d, self->K);
    self->counters [SS_CTR_CHECKPOINTS] = ss_persist_written (self->persist);
}

//  How many connections our estimate of round k goes out on to neighbour p:
//  links/copies, or (auto) one, and two for S_COPY_ROUNDS after one of the
//  link's TCP connections was seen retransmitting, unless the link has
//  datagrams for those rounds (s_datagrams). Under loss a segment stalls
//  its connection for a retransmission timeout; a second copy on the next
//  connection nearly always gets through meanwhile (the receiver keeps the
//  first of the two). A datagram does better, held behind nothing: with
//  them, TCP is only the reliable path, and more of it cost the fleet CPU
//  for nothing (10% loss: 0.54-0.66 of the lossless pace with two copies
//  on all connections, 0.76-0.82 with one on two)
static int
s_copies (ss_agentd_t *self, int p, uint64_t k)
{
    int C = ss_links_connections (self->links, p);
    bool datagrams = ss_links_datagram (self->links) != NULL;
    int copies = self->fleet->copies > 0? self->fleet->copies
               : self->copies_until [p] > k && !datagrams? 2: 1;
    return copies < C? copies: C;
}

//  How many of the link's connections are used in turn: S_SPAN (a lossless
//  link's estimates on many connections cost each one its own
//  acknowledgements), and all of them for S_COPY_ROUNDS after one was seen
//  retransmitting (under loss each connection stalls in turn), unless the
//  link has datagrams then (as above)
static int
s_span (ss_agentd_t *self, int p, uint64_t k)
{
    int C = ss_links_connections (self->links, p);
    bool datagrams = ss_links_datagram (self->links) != NULL;
    return (self->copies_until [p] > k && !datagrams) || C < S_SPAN? C: S_SPAN;
}

//  Begin round k: masses into the running sums, our estimate to every live
//  neighbour on connection k mod C, and copies on the next ones (kept for a
//  resend)
static void
s_begin (ss_agentd_t *self)
{
    ss_peers_begin (self->peers, s_now (), self->cur.s);
    uint64_t k = ss_peers_round (self->peers);
    ss_estimate_t *est = self->estimate;
    s_header (self, &est->hdr, k);
    est->degree = (uint32_t) ss_peers_live (self->peers);
    est->k = (uint32_t) self->K;
    memcpy (est->theta, self->cur.theta, (size_t) self->K * sizeof (double));
    for (int p = 0; p < self->n; p++) {
        int C = ss_links_connections (self->links, p);
        ss_peer_t *peer = ss_peers_peer (self->peers, p);
        if (peer->weight <= 0)
            continue;
        memcpy (est->mass, peer->sent, (size_t) self->K * sizeof (uint64_t));
        s_kept_t *kept = &self->kept [p * 2 + (k & 1)];
        kept->have = false;
        int rc = ss_estimate_encode_into (est, kept->data, self->estimate_cap, &kept->size);
        if (rc) {
            zsys_error ("cannot encode an estimate: %s", ss_proto_strerror (rc));
            continue;
        }
        kept->have = true;
        kept->round = k;
        kept->sent_us = s_now ();
        int extra = 0;
        int stalls = 0;
        int losses = 0;
        if (ss_links_send (self->links, p, (int) (k % (uint64_t) C), s_span (self, p, k),
                           kept->data, kept->size, s_copies (self, p, k), &extra, &stalls,
                           &losses) < 0)
            self->counters [SS_CTR_DROP_OVERFLOW]++;
        else
            self->counters [SS_CTR_SENT]++;
        self->counters [SS_CTR_COPIES] += (uint64_t) extra;
        //  A connection of the link retransmits now, or did since the last
        //  look (a stall shorter than the rounds between two uses of a
        //  connection is seen only so): the link loses packets
        if (stalls > 0 || losses > 0)
            self->copies_until [p] = k + S_COPY_ROUNDS;
        if (losses > 0)
            ss_peers_loss (self->peers, p);
        s_datagrams (self, p, kept->data, kept->size, 0);
    }
    //  Staggered by id: 500 agents of one host writing (and fsyncing)
    //  their checkpoints in the same round stalled their reactors for
    //  seconds, and neighbours went lost (rounds 100 and 150 of 200)
    uint64_t every = (uint64_t) self->fleet->checkpoint_every;
    if (k > 0 && (k + (uint64_t) self->id) % every == 0)
        s_checkpoint (self);
}

static void
s_apply_target (ss_agentd_t *self, const ss_mixture_t *mixture, uint64_t at, bool late)
{
    if (ss_problem_set_target (self->problem, mixture)) {
        zsys_warning ("target for round %llu refused by the model", (unsigned long long) at);
        return;
    }
    uint64_t k = ss_peers_round (self->peers);
    self->counters [SS_CTR_TARGETS]++;
    self->counters [SS_CTR_TARGET_ROUND] = k;
    *self->target_now = *mixture;
    self->target_now_round = k;
    if (late)
        self->counters [SS_CTR_LATE_TARGETS]++;
    s_info (self, "new target (%d components%s) in force from round %llu%s",
            mixture->count, mixture->cells? ", a grid": "", (unsigned long long) k,
            late? " (late)": "");
}

static bool
s_is_last (ss_agentd_t *self)
{
    int64_t k = (int64_t) ss_peers_round (self->peers);
    return (self->fleet->rounds > 0 && k >= self->fleet->rounds)
        || (self->stop_at >= 0 && k >= self->stop_at)
        || (self->signal_round >= 0 && k > self->signal_round);
}

static void
s_log_epoch (ss_agentd_t *self)
{
    int64_t now = zclock_mono ();
    if (self->epoch_logged == 0 || now - self->epoch_logged >= S_LOG_MS) {
        s_info (self, "epoch %llu at round %llu (%s); %llu more changes since the last line",
                (unsigned long long) ss_peers_epoch (self->peers),
                (unsigned long long) ss_peers_round (self->peers), ss_peers_why (self->peers),
                (unsigned long long) self->epochs_unlogged);
        self->epoch_logged = now;
        self->epochs_unlogged = 0;
    }
    else
        self->epochs_unlogged++;
}

//  A round ran without some live neighbour's estimate: say which, how long
//  it was known late, and the grace (rate-limited)
static void
s_log_substitution (ss_agentd_t *self, const ss_neighbour_t *nbrs, int n)
{
    int64_t mono = zclock_mono ();
    int c = SS_CTR_SUBSTITUTIONS;
    if (self->logged [c] && mono - self->logged [c] < S_LOG_MS)
        return;
    self->logged [c] = mono;
    char list [256] = "";
    size_t used = 0;
    int64_t now = s_now ();
    for (int p = 0, j = 0; p < self->n && j < n && used + 48 < sizeof list; p++) {
        ss_peer_t *peer = ss_peers_peer (self->peers, p);
        if (peer->weight <= 0)
            continue;
        if (!nbrs [j++].theta)
            used += (size_t) snprintf (list + used, sizeof list - used,
                                       "%sagent-%d (at round %llu, late %lld ms)",
                                       used? ", ": "", peer->id,
                                       (unsigned long long) peer->claim,
                                       peer->evidence_at >= 0?
                                       (long long) ((now - peer->evidence_at) / 1000): -1LL);
    }
    zsys_warning ("round %llu ran without the estimate of %s: grace %.0f ms, typical round "
                  "%.2f ms; %llu substitutions so far",
                  (unsigned long long) ss_peers_round (self->peers), list,
                  ss_peers_grace_ms (self->peers), ss_peers_typical_ms (self->peers),
                  (unsigned long long) ss_peers_counters (self->peers) [c]);
}

//  Run round k (READY): the pending target if due, the inputs from the
//  rules, the arithmetic, the rules' end of round
static void
s_step (ss_agentd_t *self)
{
    uint64_t k = ss_peers_round (self->peers);
    if (self->have_pending && self->pending->switch_round <= k) {
        s_apply_target (self, &self->pending->mixture, self->pending->switch_round, false);
        self->have_pending = false;
    }
    ss_neighbour_t nbrs [S_MAX_PEERS];
    int n;
    int64_t net [SS_MAX_K];
    uint64_t before = ss_peers_counters (self->peers) [SS_CTR_SUBSTITUTIONS];
    ss_peers_mix (self->peers, nbrs, &n, net);
    if (ss_peers_counters (self->peers) [SS_CTR_SUBSTITUTIONS] > before)
        s_log_substitution (self, nbrs, n);
    self->cur.hold = ss_peers_hold (self->peers);
    self->step = ss_round_step (self->problem, &self->cur, nbrs, n, net, &self->next,
                                self->work);
    if (self->next.clamped)
        self->counters [SS_CTR_CLAMPED]++;
    if (ss_peers_end (self->peers, s_now ())) {
        //  A new epoch: the tracker restarts from our footprint
        ss_footprint (self->problem, self->next.x, self->next.s);
        s_log_epoch (self);
    }
    ss_agent_t swap = self->cur;
    self->cur = self->next;
    self->next = swap;
}

//  The report rounds a jump from `from` to r skipped: we stood still
//  through them, so our state is theirs; report the last few, so the
//  coordinator's rows of those rounds do not miss a live agent
static void
s_report_skipped (ss_agentd_t *self, uint64_t from, uint64_t r)
{
    uint64_t every = (uint64_t) self->fleet->report_every;
    uint64_t lowest = from + 1;
    if (r - from > S_JUMP_REPORTS * every)
        lowest = r - S_JUMP_REPORTS * every;
    for (uint64_t m = (lowest + every - 1) / every * every; m < r; m += every)
        s_report (self, m);
}

//  After the end of the run (rounds, STOP): stay, heartbeating STOPPING and
//  answering repair requests, until every live neighbour has finished too.
//  A neighbour still in its last rounds may wait on a slower one of its own
//  for longer than lost_after_ms (a 500-process ring on a loaded host runs
//  its regions many rounds apart): if we left at once, it would declare us
//  lost and change its epoch in its last round. A signal ends the wait; a
//  neighbour silent for 10 heartbeats (at least 5 s, at most lost_after_ms)
//  is not waited for: it has gone. -1 when the wait is over (the run ends), 0 while it goes on.
static int
s_linger (ss_agentd_t *self)
{
    if (self->stopping || s_stop_signal)
        return -1;
    //  A neighbour that lingers or runs heartbeats on a timer: one silent
    //  that long has gone (its STOPPING heartbeats lost, say), even where
    //  lost_after_ms is minutes
    int64_t silent = (int64_t) self->fleet->heartbeat_ms * 10;
    silent = silent < 5000? 5000: silent;
    silent = silent > self->fleet->lost_after_ms? self->fleet->lost_after_ms: silent;
    int64_t now = s_now ();
    int waiting = 0;
    for (int p = 0; p < self->n; p++) {
        ss_peer_t *peer = ss_peers_peer (self->peers, p);
        waiting += !self->done [p] && peer->state != SS_PEER_LOST
                && now - peer->last_heard < silent * 1000;
    }
    if (waiting == 0) {
        if (self->lingering)
            s_info (self, "every neighbour finished: exiting");
        return -1;
    }
    if (!self->lingering)
        s_info (self, "staying until %d neighbour%s finished", waiting,
                waiting > 1? "s have": " has");
    self->lingering = true;
    return 0;
}

//  End of the run at the round we hold: final report, STOPPING heartbeats,
//  checkpoint and state file; then s_linger
static int
s_finish (ss_agentd_t *self)
{
    if (self->finished)
        return -1;
    self->finished = true;
    ss_notify_stopping ();
    uint64_t k = ss_peers_round (self->peers);
    s_report (self, k);
    s_heartbeats (self);
    //  The last checkpoint on disk before the state file says we are done
    ss_persist_state_t state = s_persist_state (self);
    ss_persist_checkpoint (self->persist, &state, self->d, self->K);
    ss_persist_flush (self->persist);
    self->counters [SS_CTR_CHECKPOINTS] = ss_persist_written (self->persist);
    state = s_persist_state (self);
    if (ss_persist_state_file (self->persist, &state, self->d, self->K))
        self->exit_code = 1;
    const uint64_t *c = s_counters (self);
    uint64_t drops = 0;
    for (int r = SS_CTR_DROP_DECODE; r <= SS_CTR_DROP_TYPE; r++)
        drops += c [r];
    drops += c [SS_CTR_DROP_EPOCH] + c [SS_CTR_DROP_VALUE];
    s_info (self, "done: round %llu, epoch %llu, step %.3e, sent %llu, received %llu, "
            "substitutions %llu, wants %llu, resends %llu, late %llu, duplicates %llu, "
            "dropped %llu, lost %llu, jumps %llu, epoch changes %llu, targets %llu%s",
            (unsigned long long) k, (unsigned long long) ss_peers_epoch (self->peers),
            self->step, (unsigned long long) c [SS_CTR_SENT],
            (unsigned long long) c [SS_CTR_RECEIVED],
            (unsigned long long) c [SS_CTR_SUBSTITUTIONS],
            (unsigned long long) c [SS_CTR_WANTS], (unsigned long long) c [SS_CTR_RESENDS],
            (unsigned long long) c [SS_CTR_DROP_STALE],
            (unsigned long long) c [SS_CTR_DROP_DUPLICATE], (unsigned long long) drops,
            (unsigned long long) c [SS_CTR_LOST], (unsigned long long) c [SS_CTR_JUMPS],
            (unsigned long long) c [SS_CTR_EPOCH_CHANGES],
            (unsigned long long) c [SS_CTR_TARGETS],
            self->exit_code? "; state NOT written": "");
    char line [512] = "";
    size_t used = 0;
    for (int r = SS_CTR_DROP_DECODE; r < SS_CTR_COUNT && used + 64 < sizeof line; r++)
        if ((r <= SS_CTR_DROP_TYPE || r == SS_CTR_DROP_EPOCH || r == SS_CTR_DROP_VALUE
          || r == SS_CTR_DROP_OVERFLOW) && c [r])
            used += (size_t) snprintf (line + used, sizeof line - used, "%s%s %llu",
                                       used? ", ": "", ss_counter_name (r),
                                       (unsigned long long) c [r]);
    if (used)
        s_info (self, "drops: %s", line);
    return s_linger (self);
}

static int s_on_round_timer (zloop_t *loop, int timer_id, void *arg);

//  Look again at `at` (us) unless a look is due sooner
static void
s_arm (ss_agentd_t *self, int64_t at)
{
    if (at == INT64_MAX)
        return;
    if (self->round_timer && self->round_timer_at <= at)
        return;
    if (self->round_timer)
        zloop_timer_end (self->loop, self->round_timer);
    int64_t delay = (at - s_now () + 999) / 1000;
    self->round_timer = zloop_timer (self->loop, (size_t) (delay > 0? delay: 0), 1,
                                     s_on_round_timer, self);
    self->round_timer_at = at;
}

static void
s_progress (ss_agentd_t *self)
{
    uint64_t k = ss_peers_round (self->peers);
    if (self->options.quiet || k == 0 || (int64_t) k % self->progress_every != 0)
        return;
    char total [32] = "";
    if (self->fleet->rounds > 0)
        snprintf (total, sizeof total, "/%lld", (long long) self->fleet->rounds);
    s_info (self, "round %llu%s  step %.3e  typical round %.2f ms", (unsigned long long) k,
            total, self->step, ss_peers_typical_ms (self->peers));
    ss_notify_status ("round %llu%s, epoch %llu, %d of %d neighbours live",
                      (unsigned long long) k, total,
                      (unsigned long long) ss_peers_epoch (self->peers),
                      ss_peers_live (self->peers), self->n);
}

//  The start barrier, once
static void
s_start (ss_agentd_t *self, int64_t now)
{
    int lost;
    bool joined;
    if (!ss_peers_barrier (self->peers, now, &lost, &joined))
        return;
    self->started = true;
    if (lost)
        zsys_warning ("start: %d neighbour%s never heard within %d ms: lost, starting "
                      "without", lost, lost > 1? "s": "", self->fleet->start_timeout_ms);
    if (joined) {
        ss_footprint (self->problem, self->cur.x, self->cur.s);
        s_info (self, "joined the running fleet in epoch %llu", (unsigned long long)
                ss_peers_epoch (self->peers));
    }
    s_info (self, "start barrier passed after %lld ms: round %llu, %d of %d neighbours "
            "live", (long long) (zclock_mono () - self->started_at),
            (unsigned long long) ss_peers_round (self->peers), ss_peers_live (self->peers),
            self->n);
    s_heartbeats (self);
    //  Our links are up both ways: systemctl start returns (Type=notify)
    ss_notify_ready ();
    ss_notify_status ("running from round %llu, %d of %d neighbours live",
                      (unsigned long long) ss_peers_round (self->peers),
                      ss_peers_live (self->peers), self->n);
    uint64_t k = ss_peers_round (self->peers);
    if (k == 0 || self->resumed)
        s_report (self, k);
    if (!s_is_last (self))
        s_begin (self);
}

//  Run every round that can run now. 0, or -1 when the run is over.
static int
s_advance (ss_agentd_t *self)
{
    if (self->finished)
        return s_linger (self);
    int64_t now = s_now ();
    if (!self->started) {
        s_start (self, now);
        if (!self->started)
            return 0;
    }
    int every = self->fleet->report_every;
    for (int rounds = 0; rounds < S_ROUNDS_PER_CALL; rounds++) {
        if (s_is_last (self))
            return s_finish (self);
        int64_t wake;
        int want [S_MAX_PEERS], n_want = S_MAX_PEERS;
        uint64_t jump, k = ss_peers_round (self->peers);
        ss_round_wait_t status = ss_peers_poll (self->peers, s_now (), &wake, want,
                                                &n_want, &jump);
        for (int w = 0; w < n_want; w++)
            s_heartbeat (self, want [w], k + 1);
        if (status == SS_ROUND_WAIT) {
            s_arm (self, wake);
            return 0;
        }
        if (status == SS_ROUND_JUMP) {
            zsys_warning ("jump from round %llu to round %llu (two neighbours are there)",
                          (unsigned long long) k, (unsigned long long) jump);
            ss_peers_jump (self->peers, s_now (), jump);
            s_report_skipped (self, k, jump);
            if (jump % (uint64_t) every == 0)
                s_report (self, jump);
            if (!s_is_last (self))
                s_begin (self);
            continue;
        }
        s_step (self);
        k = ss_peers_round (self->peers);
        if (k % (uint64_t) every == 0 && !s_is_last (self))
            s_report (self, k);
        s_progress (self);
        if (!s_is_last (self))
            s_begin (self);
    }
    s_arm (self, s_now ());     //  more to do: after the sockets had their turn
    return 0;
}

//  A signal (flag set by the handler): finish the round in progress if it
//  can be within the grace, then stop
static int s_on_grace (zloop_t *loop, int timer_id, void *arg);

static int
s_check_signal (ss_agentd_t *self)
{
    if (!s_stop_signal || self->stopping)
        return 0;
    self->stopping = true;
    if (self->finished)
        return -1;              //  lingering after the end: leave now
    if (!self->started)
        return s_finish (self);
    self->signal_round = (int64_t) ss_peers_round (self->peers);
    s_info (self, "signal: finishing round %lld (at most %d ms)", (long long) self->signal_round,
            S_STOP_GRACE_MS);
    zloop_timer (self->loop, S_STOP_GRACE_MS, 1, s_on_grace, self);
    return s_advance (self);
}

static int
s_on_grace (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    ss_agentd_t *self = (ss_agentd_t *) arg;
    zsys_warning ("signal: round %llu not finished within %d ms",
                  (unsigned long long) ss_peers_round (self->peers), S_STOP_GRACE_MS);
    return s_finish (self);
}

static int
s_on_round_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    ss_agentd_t *self = (ss_agentd_t *) arg;
    self->round_timer = 0;
    if (s_check_signal (self))
        return -1;
    return s_advance (self);
}

static void s_drain_side (ss_agentd_t *self);
static int s_read_polled (ss_agentd_t *self);

static int
s_on_heartbeat_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    ss_agentd_t *self = (ss_agentd_t *) arg;
    if (s_check_signal (self))
        return -1;
    int ping [S_MAX_PEERS], n_ping = S_MAX_PEERS, n_lost;
    int64_t now = s_now ();
    for (int p = 0; p < self->n; p++)
        self->was [p] = ss_peers_peer (self->peers, p)->state;
    ss_peers_timer (self->peers, now, ping, &n_ping, &n_lost);
    for (int p = 0; p < self->n; p++) {
        ss_peer_t *peer = ss_peers_peer (self->peers, p);
        if (peer->state == self->was [p])
            continue;
        long long silent = (long long) ((now - peer->last_heard) / 1000);
        if (peer->state == SS_PEER_LOST)
            zsys_warning ("neighbour agent-%d lost: silent for %lld ms (round %llu)",
                          peer->id, silent, (unsigned long long) ss_peers_round (self->peers));
        else
            s_info (self, "neighbour agent-%d evasive: silent for %lld ms, pinged", peer->id,
                    silent);
    }
    s_drain_side (self);
    if (s_read_polled (self))
        return -1;
    //  Evasive neighbours are pinged by the heartbeat that goes to all now
    s_heartbeats (self);
    if (ss_links_zap (self->links))
        ss_zap_flush (ss_links_zap (self->links));
    return s_advance (self);
}

//  A frame of one of a socket's two types and of our fleet, or dropped
//  (counted, `only` said)
static bool
s_admits (ss_agentd_t *self, const ss_header_t *hdr, uint32_t type_a, uint32_t type_b,
          const char *only)
{
    if (hdr->type != type_a && hdr->type != type_b) {
        s_drop (self, SS_CTR_DROP_TYPE, only);
        return false;
    }
    if (hdr->fleet != self->fleet_id) {
        s_drop (self, SS_CTR_DROP_FLEET, "fleet id differs");
        return false;
    }
    return true;
}

//  An ESTIMATE or HEARTBEAT from a neighbour, decoded and authenticated
static void
s_on_neighbour_msg (ss_agentd_t *self, const ss_msg_t *msg, const char *name)
{
    const ss_header_t *hdr = &msg->hdr;
    if (!s_admits (self, hdr, SS_MSG_ESTIMATE, SS_MSG_HEARTBEAT,
                   "only ESTIMATE and HEARTBEAT on the agent socket"))
        return;
    int p = hdr->sender <= INT32_MAX? ss_peers_index (self->peers, (int) hdr->sender): -1;
    if (!self->options.insecure) {
        //  A neighbour's name made once (no formatting per frame)
        char other [32];
        const char *expected = other;
        if (p >= 0)
            expected = self->names [p];
        else
            ss_keys_name (hdr->sender > INT32_MAX? -3: (int) hdr->sender, other, sizeof other);
        if (!name || hdr->sender == SS_PROTO_COORDINATOR || !streq (name, expected)) {
            s_drop (self, SS_CTR_DROP_AUTH, name? name: "no authenticated name");
            return;
        }
    }
    if (p < 0) {
        s_drop (self, SS_CTR_DROP_STRANGER, "sender is not a neighbour");
        return;
    }
    int64_t now = s_now ();
    bool was_lost = ss_peers_peer (self->peers, p)->state == SS_PEER_LOST;
    int verdict;
    if (hdr->type == SS_MSG_ESTIMATE) {
        const ss_estimate_t *est = &msg->estimate;
        if (est->k != (uint32_t) self->K) {
            s_drop (self, SS_CTR_DROP_DECODE, "features differ from the fleet's");
            return;
        }
        verdict = ss_peers_estimate (self->peers, now, p, hdr->round, hdr->epoch,
                                     est->degree, est->theta, est->mass);
        if (verdict == SS_CTR_DROP_STALE || verdict == SS_CTR_DROP_DUPLICATE
        ||  verdict == SS_CTR_RECEIVED)
            verdict = 0;        //  normal under loss and duplication: counted only
    }
    else {
        const ss_heartbeat_t *hb = &msg->heartbeat;
        int64_t resend;
        verdict = ss_peers_heartbeat (self->peers, now, p, hdr->round, hdr->epoch,
                                      hb->degree, hb->state, hb->want, &resend);
        if (verdict == 0 && hb->state == SS_STATE_STOPPING)
            self->done [p] = true;
        if (resend >= 0) {
            s_kept_t *kept = &self->kept [p * 2 + (resend & 1)];
            int C = ss_links_connections (self->links, p);
            int losses = 0;
            if (kept->have && kept->round == (uint64_t) resend) {
                if (ss_links_send (self->links, p, (int) ((uint64_t) (resend + 1) % (uint64_t) C),
                                   C, kept->data, kept->size, 1, NULL, NULL, &losses) >= 0)
                    self->counters [SS_CTR_RESENDS]++;
                uint64_t k = ss_peers_round (self->peers);
                self->asked_until [p] = k + S_ASKED_ROUNDS;
                //  Asked for an estimate sent long before (a connection
                //  stalled for the kernel's retransmission timeout, which
                //  the send path sees only once it fired): the link loses
                //  packets, as if seen retransmitting
                if (now - kept->sent_us >= s_stall_us (self)
                &&  self->copies_until [p] < k + S_COPY_ROUNDS)
                    self->copies_until [p] = k + S_COPY_ROUNDS;
                s_datagrams (self, p, kept->data, kept->size, self->fleet->datagrams);
            }
            if (losses > 0)
                ss_peers_loss (self->peers, p);
        }
    }
    if (verdict) {
        //  Counted by the rules already: log it, rate-limited
        int64_t mono = zclock_mono ();
        if (self->logged [verdict] == 0 || mono - self->logged [verdict] >= S_LOG_MS) {
            self->logged [verdict] = mono;
            zsys_warning ("dropped a frame from agent-%d: %s (round %llu, epoch %llu)",
                          (int) hdr->sender, ss_counter_name (verdict),
                          (unsigned long long) hdr->round, (unsigned long long) hdr->epoch);
        }
    }
    if (was_lost && ss_peers_peer (self->peers, p)->state != SS_PEER_LOST)
        s_info (self, "neighbour agent-%d re-admitted (round %llu, its round %llu)",
                (int) hdr->sender, (unsigned long long) ss_peers_round (self->peers),
                (unsigned long long) hdr->round);
}

//  One frame from a neighbour (the ROUTER's, or an opened datagram's),
//  decoded once, with the name its sender authenticated as
static void
s_neighbour_frame (ss_agentd_t *self, const uint8_t *data, size_t size, const char *name)
{
    int rc = ss_msg_decode (data, size, self->msg);
    if (rc)
        s_drop (self, SS_CTR_DROP_DECODE, ss_proto_strerror (rc));
    else
        s_on_neighbour_msg (self, self->msg, name);
}

//  After a batch of neighbours' frames: the start barrier told at once,
//  a signal, then whatever the round can do now
static int
s_after_neighbours (ss_agentd_t *self)
{
    if (!self->said_ready && ss_peers_state (self->peers) == SS_STATE_READY) {
        //  Every neighbour heard: tell them at once, not at the next beat
        self->said_ready = true;
        s_heartbeats (self);
    }
    if (s_check_signal (self))
        return -1;
    return s_advance (self);
}

typedef void (s_frame_fn) (ss_agentd_t *self, const uint8_t *data, size_t size,
                           const char *name);

//  The frames a ROUTER or DEALER holds, each with the name its sender
//  authenticated as, at most S_DRAIN of them (then read again on a timer:
//  ZMQ_FD will not say there is more)
static void
s_drain (ss_agentd_t *self, zsock_t *sock, s_frame_fn *frame)
{
    int i;
    for (i = 0; i < S_DRAIN; i++) {
        zmq_msg_t body;
        const char *name;
        int got = ss_links_recv (self->links, sock, &body, &name);
        if (got == 0)
            break;
        if (got < 0) {
            s_drop (self, SS_CTR_DROP_DECODE, "not one body frame");
            continue;
        }
        frame (self, (const uint8_t *) zmq_msg_data (&body), zmq_msg_size (&body), name);
        zmq_msg_close (&body);
    }
    if (i == S_DRAIN)
        s_again (self);
}

static int
s_on_router (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    ss_agentd_t *self = (ss_agentd_t *) arg;
    s_drain (self, sock, s_neighbour_frame);
    return s_after_neighbours (self);
}

//  Sealed datagrams from neighbours (ss_datagram): decoded and checked as
//  frames from the ROUTER, the neighbour its key named as the sender
static int
s_on_datagram (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) item;
    ss_agentd_t *self = (ss_agentd_t *) arg;
    ss_datagram_t *datagram = ss_links_datagram (self->links);
    for (int i = 0; i < S_DRAIN; i++) {
        const uint8_t *frame;
        size_t size;
        int p;
        int got = ss_datagram_recv (datagram, &frame, &size, &p);
        if (got == 0)
            break;
        if (got < 0) {
            s_drop (self, SS_CTR_DROP_AUTH, "a datagram that is not a neighbour's");
            continue;
        }
        s_neighbour_frame (self, frame, size, self->names [p]);
    }
    return s_after_neighbours (self);
}

//  TARGET or CONTROL from the coordinator
static void
s_on_coordinator_msg (ss_agentd_t *self, const ss_msg_t *msg, const char *name)
{
    const ss_header_t *hdr = &msg->hdr;
    if (!s_admits (self, hdr, SS_MSG_TARGET, SS_MSG_CONTROL,
                   "only TARGET and CONTROL on the coordinator socket"))
        return;
    //  Only the holder of the coordinator's secret key can answer on this
    //  socket (we authenticated the server); the sender field must agree
    (void) name;
    if (hdr->sender != SS_PROTO_COORDINATOR) {
        s_drop (self, SS_CTR_DROP_AUTH, "sender is not the coordinator");
        return;
    }
    uint64_t k = ss_peers_round (self->peers);
    if (hdr->type == SS_MSG_CONTROL) {
        uint64_t at = msg->control.arg;
        if (msg->control.command != SS_CONTROL_STOP) {
            s_drop (self, SS_CTR_DROP_TYPE, "a command agents do not take");
            return;
        }
        if (at < k)
            at = k;
        if (at > INT64_MAX)
            at = INT64_MAX;
        if (self->stop_at < 0 || (int64_t) at < self->stop_at)
            self->stop_at = (int64_t) at;
        self->coord_stopped = true;
        s_info (self, "STOP from the coordinator: stopping after round %lld",
                (long long) self->stop_at);
        return;
    }
    const ss_target_t *t = &msg->target;
    const char *bad = t->dim == (uint32_t) self->d
                    ? ss_mixture_check (&t->mixture, &self->fleet->model)
                    : "dimension differs from the model's";
    if (bad) {
        s_drop (self, SS_CTR_DROP_VALUE, bad);
        return;
    }
    if (t->switch_round < k)
        s_apply_target (self, &t->mixture, t->switch_round, true);
    else {
        if (self->have_pending)
            s_info (self, "target for round %llu replaced by one for round %llu",
                    (unsigned long long) self->pending->switch_round,
                    (unsigned long long) t->switch_round);
        *self->pending = *t;
        self->have_pending = true;
        s_info (self, "target received, switching at round %llu",
                (unsigned long long) t->switch_round);
    }
}

//  One frame from the coordinator, decoded once
static void
s_coordinator_frame (ss_agentd_t *self, const uint8_t *data, size_t size, const char *name)
{
    int rc = ss_msg_decode (data, size, self->msg);
    if (rc)
        s_drop (self, SS_CTR_DROP_DECODE, ss_proto_strerror (rc));
    else
        s_on_coordinator_msg (self, self->msg, name);
}

static int
s_on_coordinator (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    ss_agentd_t *self = (ss_agentd_t *) arg;
    s_drain (self, sock, s_coordinator_frame);
    if (s_check_signal (self))
        return -1;
    return s_advance (self);
}

//  A connection made or accepted: its TCP options
static int
s_on_tcptune (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    ss_agentd_t *self = (ss_agentd_t *) arg;
    ss_tcptune_t *tune = ss_links_tune (self->links);
    self->counters [SS_CTR_TCP_TUNED] += (uint64_t) ss_tcptune_drain (tune, sock);
    //  Only the ROUTER's monitor refuses connections
    if (sock == ss_links_router_monitor (self->links)) {
        self->counters [SS_CTR_CONN_LIMITED] = ss_tcptune_limited (tune);
        if (zsock_events (sock) & ZMQ_POLLIN)
            s_again (self);     //  cut short (polled by its descriptor)
    }
    return 0;
}

static int s_on_dealer (zloop_t *loop, zsock_t *sock, void *arg);
static int s_on_tcptune (zloop_t *loop, zsock_t *sock, void *arg);

//  What the DEALERs received (dropped, counted) and the socket monitors'
//  events (connections to tune, descriptors for the stall test); the
//  ROUTER's monitor is one of the polled sockets (s_read_polled)
static void
s_drain_side (ss_agentd_t *self)
{
    for (int p = 0; p < self->n; p++)
        for (int c = 0; c < ss_links_connections (self->links, p); c++)
            s_on_dealer (self->loop, ss_links_dealer (self->links, p, c), self);
    ss_tcptune_t *tune = ss_links_tune (self->links);
    for (int i = 0; i < ss_tcptune_size (tune); i++)
        if (ss_tcptune_monitor (tune, i) != ss_links_router_monitor (self->links))
            s_on_tcptune (self->loop, ss_tcptune_monitor (tune, i), self);
}

//  Data a neighbour pushed back on our outbound connection: nothing
//  legitimate does; read it so nothing piles up, count it
static int
s_on_dealer (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    ss_agentd_t *self = (ss_agentd_t *) arg;
    for (int i = 0; i < S_DRAIN; i++) {
        zmq_msg_t body;
        const char *name;
        int got = ss_links_recv (self->links, sock, &body, &name);
        if (got == 0)
            break;
        if (got > 0)
            zmq_msg_close (&body);
        s_drop (self, SS_CTR_DROP_TYPE, "data on an outbound link");
    }
    return 0;
}

static int
s_on_zap (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    ss_agentd_t *self = (ss_agentd_t *) arg;
    int i;
    for (i = 0; i < S_DRAIN && (zsock_events (sock) & ZMQ_POLLIN); i++)
        ss_zap_handle (ss_links_zap (self->links));
    if (i == S_DRAIN)
        s_again (self);
    return 0;
}

//  The sockets polled by their descriptors: every one of them read. 0, or
//  -1 when the run is over
static int
s_read_polled (ss_agentd_t *self)
{
    int rc = s_on_router (self->loop, ss_links_router (self->links), self);
    rc |= s_on_coordinator (self->loop, ss_links_coordinator (self->links), self);
    if (ss_links_zap (self->links))
        s_on_zap (self->loop, ss_zap_socket (ss_links_zap (self->links)), self);
    if (ss_links_router_monitor (self->links))
        s_on_tcptune (self->loop, ss_links_router_monitor (self->links), self);
    return rc? -1: 0;
}

static int
s_on_again (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    ss_agentd_t *self = (ss_agentd_t *) arg;
    self->again_timer = 0;
    if (s_read_polled (self))
        return -1;
    if (s_check_signal (self))
        return -1;
    return s_advance (self);
}

//  A descriptor of the sockets above became readable
static int
s_on_fd (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    ss_agentd_t *self = (ss_agentd_t *) arg;
    zsock_t *router = ss_links_router (self->links);
    if (item->fd == zsock_fd (router))
        return s_on_router (loop, router, self);
    if (item->fd == zsock_fd (ss_links_coordinator (self->links)))
        return s_on_coordinator (loop, ss_links_coordinator (self->links), self);
    if (ss_links_zap (self->links) && item->fd == zsock_fd (ss_zap_socket (ss_links_zap (self->links))))
        return s_on_zap (loop, ss_zap_socket (ss_links_zap (self->links)), self);
    if (ss_links_router_monitor (self->links))
        return s_on_tcptune (loop, ss_links_router_monitor (self->links), self);
    return 0;
}

//  Poll sock by its descriptor (see s_again)
static int
s_poll_fd (ss_agentd_t *self, zsock_t *sock)
{
    zmq_pollitem_t item = { NULL, zsock_fd (sock), ZMQ_POLLIN, 0 };
    return zloop_poller (self->loop, &item, s_on_fd, self);
}

void
ss_agentd_destroy (ss_agentd_t **self_p)
{
    ss_agentd_t *self = *self_p;
    if (!self)
        return;
    zloop_destroy (&self->loop);
    ss_links_destroy (&self->links);
    ss_persist_destroy (&self->persist);
    ss_peers_destroy (&self->peers);
    ss_work_destroy (&self->work);
    ss_problem_destroy (&self->problem);
    for (int i = 0; self->kept && i < 2 * self->n; i++)
        free (self->kept [i].data);
    free (self->kept);
    free (self->was);
    free (self->done);
    free (self->copies_until);
    free (self->asked_until);
    free (self->store);
    free (self->ids);
    free (self->names);
    free (self->degrees);
    free (self->msg);
    free (self->frame);
    free (self->estimate);
    free (self->report);
    free (self->pending);
    free (self->target_now);
    ss_fleet_destroy (&self->fleet);
    free (self);
    *self_p = NULL;
}

static ss_agentd_t *
s_fail (ss_agentd_t **self_p, int *rc, int code)
{
    *rc = code;
    ss_agentd_destroy (self_p);
    return NULL;
}

ss_agentd_t *
ss_agentd_new (ss_fleet_t *fleet, int id, const ss_agentd_options_t *options, int *rc)
{
    char err [1024];
    ss_agentd_t *self = calloc (1, sizeof (ss_agentd_t));
    if (!self) {
        fprintf (stderr, "agentd: out of memory\n");
        ss_fleet_destroy (&fleet);
        *rc = 1;
        return NULL;
    }
    self->fleet = fleet;
    self->options = *options;
    self->id = id;
    self->stop_at = -1;
    self->signal_round = -1;
    self->fleet_id = ss_fleet_id (fleet);
    self->d = fleet->model.dim;
    self->problem = ss_problem_new (&fleet->model, &fleet->target);
    if (!self->problem) {
        fprintf (stderr, "agentd: %s: fleet/model: cannot build the model\n", fleet->path);
        return s_fail (&self, rc, 2);
    }
    ss_graph_t *graph = ss_fleet_graph (fleet, err, sizeof err);
    if (!graph) {
        fprintf (stderr, "agentd: %s\n", err);
        return s_fail (&self, rc, 2);
    }
    int K = self->K = self->problem->K;
    int n = self->n = ss_graph_degree (graph, id);
    if (n > S_MAX_PEERS) {
        fprintf (stderr, "agentd: %s: graph: agent %d has %d neighbours, at most %d\n",
                 fleet->path, id, n, S_MAX_PEERS);
        ss_graph_destroy (&graph);
        return s_fail (&self, rc, 2);
    }
    self->ids = calloc ((size_t) (n > 0? n: 1), sizeof (int));
    self->degrees = calloc ((size_t) (n > 0? n: 1), sizeof (int));
    for (int p = 0; p < n && self->ids && self->degrees; p++) {
        self->ids [p] = ss_graph_neighbours (graph, id) [p];
        self->degrees [p] = ss_graph_degree (graph, self->ids [p]);
    }
    self->names = calloc ((size_t) (n > 0? n: 1), sizeof *self->names);
    for (int p = 0; p < n && self->names && self->ids; p++)
        ss_keys_name (self->ids [p], self->names [p], sizeof self->names [p]);
    ss_graph_destroy (&graph);
    ss_peers_config_t config = {
        .heartbeat_ms = fleet->heartbeat_ms,
        .evasive_ms = fleet->evasive_ms? fleet->evasive_ms: fleet->lost_after_ms / 3,
        .lost_after_ms = fleet->lost_after_ms, .start_timeout_ms = fleet->start_timeout_ms,
        .settle_rounds = fleet->settle_rounds, .rounds = fleet->rounds,
        .grace_factor = fleet->grace_factor, .grace_min_ms = fleet->grace_min_ms,
        .grace_max_ms = fleet->round_timeout_ms,
        .lossy_wait = fleet->lossy_wait, .forecast_rounds = fleet->forecast_rounds
    };
    self->work = ss_work_new (self->problem);
    self->store = calloc ((size_t) 4 * K, sizeof (double));
    self->msg = calloc (1, sizeof (ss_msg_t));
    self->estimate = calloc (1, sizeof (ss_estimate_t));
    self->report = calloc (1, sizeof (ss_report_t));
    self->pending = calloc (1, sizeof (ss_target_t));
    self->target_now = calloc (1, sizeof (ss_mixture_t));
    self->estimate_cap = ss_estimate_max_size ((uint32_t) K);
    self->frame_cap = ss_report_max_size ((uint32_t) K);
    self->frame = malloc (self->frame_cap);
    self->kept = calloc ((size_t) (2 * (n > 0? n: 1)), sizeof (s_kept_t));
    self->was = calloc ((size_t) (n > 0? n: 1), sizeof (ss_peer_state_t));
    self->done = calloc ((size_t) (n > 0? n: 1), sizeof (bool));
    self->copies_until = calloc ((size_t) (n > 0? n: 1), sizeof (uint64_t));
    self->asked_until = calloc ((size_t) (n > 0? n: 1), sizeof (uint64_t));
    for (int i = 0; self->kept && i < 2 * n; i++)
        self->kept [i].data = malloc (self->estimate_cap);
    if (self->ids && self->degrees)
        self->peers = ss_peers_new (&config, K, id, n, self->ids, self->degrees);
    if (!self->work || !self->store || !self->msg || !self->estimate || !self->report
    ||  !self->pending || !self->target_now || !self->frame || !self->kept || !self->peers
    ||  !self->was || !self->done || !self->copies_until || !self->asked_until || !self->names
    ||  (n > 0 && !self->kept [2 * n - 1].data)) {
        fprintf (stderr, "agentd: out of memory\n");
        return s_fail (&self, rc, 1);
    }
    self->cur.theta = self->store;
    self->cur.s = self->store + K;
    self->next.theta = self->store + 2 * K;
    self->next.s = self->store + 3 * K;
    double *x0 = malloc ((size_t) fleet->count * self->d * sizeof (double));
    if (!x0) {
        fprintf (stderr, "agentd: out of memory\n");
        return s_fail (&self, rc, 1);
    }
    ss_fleet_positions (fleet, x0);
    ss_round_init (self->problem, &self->cur, x0 + (size_t) id * self->d);
    free (x0);
    int64_t rounds = fleet->rounds;
    self->progress_every = rounds > 0? (rounds / 10 > 0? rounds / 10: 1): 1000;
    *rc = 0;
    return self;
}

int
ss_agentd_run (ss_agentd_t *self)
{
    ss_fleet_t *fleet = self->fleet;
    char err [1024];
    self->persist = ss_persist_new (fleet, self->id, self->fleet_id);
    if (!self->persist)
        return 1;
    //  Resume first: its round and epoch start the rules
    ss_persist_state_t state = {
        .agent = &self->cur, .target = self->target_now
    };
    self->resumed = ss_persist_resume (self->persist, self->problem, self->d, self->K, &state);
    if (self->resumed) {
        self->counters [SS_CTR_RESUMED] = 1;
        self->counters [SS_CTR_TARGETS] = state.targets;
        self->counters [SS_CTR_TARGET_ROUND] = state.target_round;
        self->target_now_round = state.target_round;
        //  A resumed tracker starts again from our footprint
        ss_footprint (self->problem, self->cur.x, self->cur.s);
    }
    self->started_at = zclock_mono ();
    ss_peers_start (self->peers, s_now (), state.round, state.epoch, self->resumed);

    size_t max_frame = self->estimate_cap > 256? self->estimate_cap: 256;
    ss_links_config_t config = {
        .fleet = fleet, .id = self->id, .n = self->n, .ids = self->ids,
        .fleet_id = self->fleet_id, .insecure = self->options.insecure,
        .verbose = self->options.verbose, .max_frame = max_frame + 64
    };
    int rc;
    self->links = ss_links_new (&config, err, sizeof err, &rc);
    if (!self->links) {
        fprintf (stderr, "agentd: %s\n", err);
        return rc;
    }
    self->loop = zloop_new ();
    if (!self->loop)
        return 1;
    //  Polled by their descriptors (s_again): the ROUTER, the coordinator's
    //  DEALER, the ZAP handler and the ROUTER's monitor (a flood of
    //  connections from one address is cut as it comes). The DEALERs
    //  (nothing legitimate comes back on them) and the other socket
    //  monitors are read on the heartbeat timer (s_drain_side), not polled
    //  at all (16 DEALERs and 16 monitors doubled the cost of a round's
    //  messaging)
    if (s_poll_fd (self, ss_links_router (self->links))
    ||  s_poll_fd (self, ss_links_coordinator (self->links))
    ||  (ss_links_zap (self->links) && s_poll_fd (self, ss_zap_socket (ss_links_zap (self->links))))
    ||  (ss_links_router_monitor (self->links) && s_poll_fd (self, ss_links_router_monitor (self->links))))
        return 1;
    if (ss_links_datagram (self->links)) {
        zmq_pollitem_t item = { NULL, ss_datagram_fd (ss_links_datagram (self->links)),
                                ZMQ_POLLIN, 0 };
        if (zloop_poller (self->loop, &item, s_on_datagram, self))
            return 1;
    }
    zloop_timer (self->loop, (size_t) fleet->heartbeat_ms, 0, s_on_heartbeat_timer, self);

    char list [512] = "";
    size_t used = 0;
    for (int p = 0; p < self->n && used + 24 < sizeof list; p++)
        used += (size_t) snprintf (list + used, sizeof list - used, "%s%d/%s",
                                   p? ",": "", self->ids [p],
                                   ss_links_transport (self->links, p));
    s_info (self, "start: fleet %s (%s), agent %d of %d, bound %s, neighbours %s, "
            "%d connections per tcp:// link, datagrams %s, coordinator %s, curve %s, rounds %lld%s",
            fleet->name, fleet->path, self->id, fleet->count, ss_links_endpoints (self->links),
            list, ss_links_connections (self->links, -1),
            ss_links_datagram (self->links)? "on lossy links": "off", fleet->coordinator,
            self->options.insecure? "off": "on", (long long) fleet->rounds,
            self->resumed? ", resumed": "");
    if (self->options.insecure)
        zsys_warning ("--insecure: no encryption, no authentication");
    s_heartbeats (self);
    //  zloop_start returns 0 when a signal interrupts its poll, -1 when a
    //  handler ended the run
    for (int turns = 0; !self->finished && turns < 1000000; turns++) {
        zloop_start (self->loop);
        if (self->finished)
            break;
        if (s_check_signal (self) || self->finished)
            break;
    }
    if (!self->finished)
        s_finish (self);
    //  The coordinator's link holds our last reports: after the end of the
    //  run up to lost_after_ms (at most S_COORD_LINGER_MS) for them to go
    //  out (at once when the link is up, the whole time when there is no
    //  coordinator); after a signal, or once the coordinator said STOP (it
    //  sends it when its last row is written), no longer than the
    //  neighbours' links
    int coord = self->fleet->lost_after_ms < S_COORD_LINGER_MS
              ? self->fleet->lost_after_ms: S_COORD_LINGER_MS;
    if (self->stopping || self->coord_stopped || coord < 200)
        coord = 200;
    ss_links_set_linger (self->links, 200, coord);
    //  libzmq's linger ends once it has written our reports to the kernel;
    //  on a link that stalled (TCP backing off after loss) they may still
    //  be there, unacknowledged, and once we exit the orphaned connection
    //  gives up after a few retransmissions. As long again for the host of
    //  the coordinator to acknowledge them (it waits for agents counted
    //  lost as long at the end: ss_rows_set_last)
    int64_t until = zclock_mono () + coord;
    while (ss_links_coordinator_unacked (self->links) > 0 && !s_stop_signal
    &&     zclock_mono () < until)
        zclock_sleep (10);
    return self->exit_code;
}
