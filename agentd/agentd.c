/*  agentd: one agent of a swarmshape fleet, as a daemon.

    agentd --fleet FILE --id I [--keys DIR] [--state-dir DIR]
           [--set PATH=VALUE]... [--insecure] [--verbose] [--quiet]

    The design is docs/fleet-design.md; in short:

    - A ROUTER bound on the agent's port (CURVE server, zauth admitting the
      fleet's keys) receives ESTIMATE and HEARTBEAT from neighbours.
    - One DEALER per neighbour (CURVE client) carries our ESTIMATEs.
    - One DEALER to the coordinator carries REPORT and HEARTBEAT (sent with
      ZMQ_DONTWAIT and ZMQ_IMMEDIATE: a missing coordinator never blocks or
      fills memory) and brings TARGET and CONTROL, obeyed because only the
      holder of the coordinator's secret key can answer on that socket.

    Rounds are synchronous: at state k we send ESTIMATE(k) to every
    neighbour, wait until every neighbour's ESTIMATE(k) is held, and run
    ss_round_step with the neighbours in ascending id order (the order of
    ss_graph_neighbours, which sim uses too: the arithmetic is bit-identical
    to sim's). A neighbour may be one round ahead: each neighbour has two
    slots, indexed by round parity. Nothing is allocated per round except
    the encoder's output buffer and the zframes of received messages.

    Every received frame is checked once, here, before it reaches the core:
    total decode, version, fleet id, authenticated name == claimed sender,
    sender is a neighbour, round in {k, k+1}, type allowed on the socket.
    Anything else is dropped, counted by reason (ss_counters.h) and logged
    at most once per second per reason.

    Faults (docs/fleet-design.md, "Faults"): neighbours silent for
    lost_after_ms are lost (and re-admitted when heard again); a round
    waits at most round_timeout_ms, then runs with our own values in the
    missing slots; every message carries an epoch, s is mixed only within
    an epoch and re-initialised to psi(x) whenever ours grows, so the
    trackers are exact again once every live agent is in the newest epoch;
    an estimate of a round beyond k+1 makes us jump there. Checkpoints
    (ss_checkpoint) every checkpoint_every rounds and at exit; a valid one
    is resumed at start, a bad one set aside.

    Exit codes: 0 done (rounds run, STOP, or SIGTERM/SIGINT), 1 runtime
    failure, 2 usage or configuration error (one line on stderr).
*/

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <czmq.h>
#include "ss_version.h"
#include "ss_fleet.h"
#include "ss_keys.h"
#include "ss_notify.h"
#include "ss_proto.h"
#include "ss_counters.h"
#include "ss_round.h"
#include "ss_graph.h"
#include "ss_footprint.h"
#include "ss_checkpoint.h"

#define AGENTD_MAX_SETS     256
#define WAIT_LOG_MSEC       5000
#define EVENT_LOG_MSEC      1000    //  rate limit of repetitive fault lines
#define POLL_MAX_MSEC       20      //  longest poll while waiting
#define STOP_GRACE_MSEC     2000
#define LINGER_MSEC         2000
#define COORD_WAIT_MSEC     1000    //  at start: time for the coordinator link
#define JUMP_REPORTS        8       //  skipped report rounds reported after a jump
#define DRAIN_MAX           64      //  frames handled per round once ready

static volatile sig_atomic_t s_stop_signal = 0;
static bool s_quiet = false;        //  --quiet: no info lines
static bool s_verbose = false;      //  --verbose: debug lines

#define s_info(...)  do { if (!s_quiet) zsys_info (__VA_ARGS__); } while (0)
#define s_debug(...) do { if (s_verbose) zsys_debug (__VA_ARGS__); } while (0)

static void
s_on_signal (int signum)
{
    (void) signum;
    s_stop_signal = 1;
}

static const char *s_counter_names [SS_CTR_COUNT] = {
    "sent", "received", "undecodable", "wrong fleet", "bad authentication",
    "not a neighbour", "wrong round", "wrong type", "targets",
    "target round", "late targets", "stale round", "duplicate",
    "timeouts", "lost", "re-admitted", "jumps", "epoch resets",
    "checkpoints", "resumed", "live degree"
};

//  A neighbour: its link, its membership and its buffered estimates (slots
//  by round parity; each keeps the round, epoch and live degree it came with)
typedef struct {
    int id;
    int degree;                 //  its degree in the graph (the largest)
    zsock_t *dealer;
    bool live;                  //  rule 1: not silent for lost_after_ms
    bool heard;                 //  heard from since start
    int64_t last_seen;          //  zclock_mono of its last message (or start)
    bool have [2];
    uint64_t round [2];
    uint64_t epoch [2];
    int msg_degree [2];
    double *theta [2];
    double *s [2];
} s_peer_t;

typedef struct {
    ss_fleet_t *fleet;
    int id;
    bool insecure, verbose, quiet;
    uint64_t fleet_id;
    uint64_t epoch;
    uint64_t hold_until;    //  no motion before this round (settling)
    int K, d;
    ss_problem_t *problem;
    ss_graph_t *graph;
    ss_work_t *work;
    ss_agent_t cur, next;
    double *store;
    s_peer_t *peers;
    int n_peers;
    int *peer_index;            //  count entries: agent id -> peer or -1
    ss_neighbour_t *nbrs;
    zactor_t *auth;
    zcert_t *cert;
    zsock_t *router;
    zsock_t *coord;
    zpoller_t *poller;
    uint64_t counters [SS_CTR_COUNT];
    int64_t drop_logged [SS_CTR_COUNT];
    uint64_t round;             //  k: the state we hold
    double step;                //  |v| of the last round
    int64_t stop_at;            //  CONTROL STOP: -1 none
    int64_t signal_round;       //  round to finish after a signal: -1 none
    int64_t signal_deadline;
    int64_t next_heartbeat;
    //  Faults (docs/fleet-design.md, "Faults")
    int64_t started;            //  zclock_mono at start
    int64_t round_start;        //  when ESTIMATE(k) went out
    int sent_degree;            //  live degree carried by ESTIMATE(k)
    bool event;                 //  a membership event in this round
    bool jumped;                //  rule 4 moved us to a later round
    const char *event_why;      //  its reason, for the epoch log line
    int64_t timeout_logged, epoch_logged, ckpt_logged;
    uint64_t timeouts_unlogged, epochs_unlogged;
    char ckpt_path [PATH_MAX + 64];
    bool target_pending;
    ss_target_t target;         //  pending target
    ss_mixture_t target_now;    //  target in force: count 0 = the fleet's
    uint64_t target_now_round;  //  round it was applied at
    ss_estimate_t estimate;     //  scratch for encoding and decoding
    ss_report_t report;
    ss_target_t target_in;
    ss_control_t control_in;
    ss_heartbeat_t heartbeat;
} agentd_t;

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: agentd --fleet FILE --id I [options]\n"
        "Run agent I of a swarmshape fleet (one process per agent).\n"
        "  --fleet FILE        the fleet file (ZPL)\n"
        "  --id I              this agent's id, 0..count-1\n"
        "  --keys DIR          certificate directory [fleet security/keys]\n"
        "  --state-dir DIR     where agent-I.ckpt and agent-I.state are written\n"
        "                      [fleet security/state]\n"
        "  --set PATH=VALUE    override a fleet key (repeatable)\n"
        "  --insecure          no CURVE encryption, no authentication\n"
        "  --verbose           debug logs (and zauth's)\n"
        "  --quiet             warnings and errors only\n"
        "  --help, --version\n"
        "Exit: 0 done, 1 runtime failure, 2 usage or configuration error.\n");
}

static void
s_drop (agentd_t *self, ss_counter_t reason, const char *detail)
{
    self->counters [reason]++;
    int64_t now = zclock_mono ();
    if (self->drop_logged [reason] == 0 || now - self->drop_logged [reason] >= 1000) {
        self->drop_logged [reason] = now;
        zsys_warning ("dropped a frame: %s (%s); %llu so far",
                      s_counter_names [reason], detail,
                      (unsigned long long) self->counters [reason]);
    }
}

static void
s_header (agentd_t *self, ss_header_t *hdr, ss_msg_type_t type)
{
    hdr->version = SS_PROTO_VERSION;
    hdr->type = type;
    hdr->fleet = self->fleet_id;
    hdr->epoch = self->epoch;
    hdr->round = self->round;
    hdr->sender = (uint32_t) self->id;
}

static int
s_send (zsock_t *sock, const uint8_t *data, size_t size)
{
    return zmq_send (zsock_resolve (sock), data, size, ZMQ_DONTWAIT) < 0? -1: 0;
}

//  Live degree: the number of live neighbours (rule 1)
static int
s_live_degree (agentd_t *self)
{
    int live = 0;
    for (int p = 0; p < self->n_peers; p++)
        if (self->peers [p].live)
            live++;
    return live;
}

//  A HEARTBEAT (round, epoch, live degree) to the coordinator and, when
//  neighbours is true, to every neighbour, live or lost: a lost neighbour
//  that hears us again re-admits us
static void
s_send_heartbeat (agentd_t *self, uint32_t state, bool neighbours)
{
    ss_heartbeat_t *msg = &self->heartbeat;
    s_header (self, &msg->hdr, SS_MSG_HEARTBEAT);
    msg->degree = (uint32_t) s_live_degree (self);
    msg->state = state;
    uint8_t *data = NULL;
    size_t size = 0;
    if (ss_heartbeat_encode (msg, &data, &size) == 0) {
        s_send (self->coord, data, size);
        for (int p = 0; neighbours && p < self->n_peers; p++)
            s_send (self->peers [p].dealer, data, size);
    }
    free (data);
}

//  REPORT of our state, as the state of round `round`
static void
s_send_report (agentd_t *self, uint64_t round)
{
    ss_report_t *msg = &self->report;
    s_header (self, &msg->hdr, SS_MSG_REPORT);
    msg->hdr.round = round;
    msg->dim = (uint32_t) self->d;
    memcpy (msg->x, self->cur.x, sizeof (msg->x));
    memcpy (msg->x0, self->cur.x0, sizeof (msg->x0));
    msg->step = self->step;
    msg->k = (uint32_t) self->K;
    memcpy (msg->theta, self->cur.theta, (size_t) self->K * sizeof (double));
    memcpy (msg->s, self->cur.s, (size_t) self->K * sizeof (double));
    msg->n_counters = SS_CTR_COUNT;
    self->counters [SS_CTR_DEGREE] = (uint64_t) s_live_degree (self);
    memcpy (msg->counters, self->counters, sizeof (self->counters));
    uint8_t *data = NULL;
    size_t size = 0;
    int rc = ss_report_encode (msg, &data, &size);
    if (rc)
        zsys_warning ("cannot encode a report: %s", ss_proto_strerror (rc));
    else
    if (s_send (self->coord, data, size))
        s_debug ("report of round %llu not sent: no coordinator link",
                    (unsigned long long) round);
    free (data);
}

//  ESTIMATE(k) to every live neighbour; its degree is the live degree now,
//  which is also ours in round k's weights (rule 1). Starts the round's
//  clock (rule 2).
static void
s_send_estimates (agentd_t *self)
{
    ss_estimate_t *msg = &self->estimate;
    s_header (self, &msg->hdr, SS_MSG_ESTIMATE);
    self->sent_degree = self->cur.degree = s_live_degree (self);
    self->round_start = zclock_mono ();
    msg->degree = (uint32_t) self->cur.degree;
    msg->k = (uint32_t) self->K;
    memcpy (msg->theta, self->cur.theta, (size_t) self->K * sizeof (double));
    memcpy (msg->s, self->cur.s, (size_t) self->K * sizeof (double));
    uint8_t *data = NULL;
    size_t size = 0;
    int rc = ss_estimate_encode (msg, &data, &size);
    if (rc) {
        zsys_error ("cannot encode an estimate: %s", ss_proto_strerror (rc));
        return;
    }
    for (int p = 0; p < self->n_peers; p++) {
        if (!self->peers [p].live)
            continue;
        if (s_send (self->peers [p].dealer, data, size))
            s_debug ("estimate of round %llu to agent-%d not queued: %s",
                     (unsigned long long) self->round, self->peers [p].id,
                     zmq_strerror (zmq_errno ()));
        else
            self->counters [SS_CTR_SENT]++;
    }
    free (data);
}

static void
s_apply_target (agentd_t *self, const ss_target_t *target, bool late)
{
    if (ss_problem_set_target (self->problem, &target->mixture)) {
        zsys_warning ("target for round %llu refused by the model",
                      (unsigned long long) target->switch_round);
        return;
    }
    self->counters [SS_CTR_TARGETS]++;
    self->counters [SS_CTR_TARGET_ROUND] = self->round;
    self->target_now = target->mixture;
    self->target_now_round = self->round;
    if (late)
        self->counters [SS_CTR_LATE_TARGETS]++;
    s_info ("new target (%d components) in force from round %llu%s",
               target->mixture.count, (unsigned long long) self->round,
               late? " (late)": "");
}

//  A membership event (rule 3): the epoch grows by one after this round
static void
s_event (agentd_t *self, const char *why)
{
    self->event = true;
    self->event_why = why;
}

//  Enter epoch e > ours: s is re-initialised to psi(x) (rule 3), so that
//  the trackers of one epoch sum to the footprints of its agents
static void
s_enter_epoch (agentd_t *self, ss_agent_t *state, uint64_t epoch, const char *why)
{
    uint64_t old = self->epoch;
    self->epoch = epoch;
    ss_footprint (self->problem, state->x, state->s);
    //  The tracker starts again from psi(x): estimate, don't move, until
    //  consensus has had settle_rounds to mix it
    self->hold_until = self->round + 1 + (uint64_t) self->fleet->settle_rounds;
    self->counters [SS_CTR_EPOCH_RESETS]++;
    int64_t now = zclock_mono ();
    if (now - self->epoch_logged >= EVENT_LOG_MSEC || self->epoch_logged == 0) {
        s_info ("epoch %llu -> %llu at round %llu (%s); %llu more changes since "
                "the last line", (unsigned long long) old, (unsigned long long) epoch,
                (unsigned long long) self->round, why,
                (unsigned long long) self->epochs_unlogged);
        self->epoch_logged = now;
        self->epochs_unlogged = 0;
    }
    else
        self->epochs_unlogged++;
}

//  Rule 4: a neighbour is at round r > k + 1 (we restarted, or were cut
//  off): go to round r keeping our state, in a new epoch. Held estimates
//  of earlier rounds are stale now.
static void
s_jump (agentd_t *self, uint64_t r, uint64_t their_epoch, int who)
{
    zsys_warning ("jump from round %llu to round %llu (agent-%d is there)",
                  (unsigned long long) self->round, (unsigned long long) r, who);
    self->counters [SS_CTR_JUMPS]++;
    for (int p = 0; p < self->n_peers; p++)
        for (int slot = 0; slot < 2; slot++)
            if (self->peers [p].have [slot] && self->peers [p].round [slot] < r)
                self->peers [p].have [slot] = false;
    uint64_t from = self->round;
    self->round = r;
    self->jumped = true;
    uint64_t epoch = self->epoch > their_epoch? self->epoch: their_epoch;
    s_enter_epoch (self, &self->cur, epoch < UINT64_MAX? epoch + 1: epoch, "jump");
    self->event = false;
    //  The report rounds jumped over: we stood still through them, so our
    //  state is theirs. Report it (the last JUMP_REPORTS of them), so the
    //  coordinator's rows of those rounds do not miss a live agent. Round r
    //  itself is reported by the main loop.
    uint64_t every = (uint64_t) self->fleet->report_every;
    uint64_t m = (from / every + 1) * every;
    if (r > JUMP_REPORTS * every && m < r - JUMP_REPORTS * every)
        m = ((r - JUMP_REPORTS * every) / every + 1) * every;
    for (; m < r; m += every)
        s_send_report (self, m);
}

//  The one body frame of a message; a message of more frames is read to its
//  end, dropped and counted, and NULL returned
static zframe_t *
s_recv_body (agentd_t *self, zsock_t *sock)
{
    zframe_t *body = zframe_recv (sock);
    if (body && zframe_more (body)) {
        while (zsock_rcvmore (sock)) {
            zframe_t *extra = zframe_recv (sock);
            zframe_destroy (&extra);
        }
        s_drop (self, SS_CTR_DROP_DECODE, "more than one frame");
        zframe_destroy (&body);
    }
    return body;
}

//  A frame from a neighbour, on the ROUTER
static void
s_handle_router (agentd_t *self)
{
    zframe_t *routing_id = zframe_recv (self->router);
    if (!routing_id)
        return;
    bool more = zframe_more (routing_id);
    zframe_destroy (&routing_id);
    if (!more) {
        s_drop (self, SS_CTR_DROP_DECODE, "no body frame");
        return;
    }
    zframe_t *body = s_recv_body (self, self->router);
    if (!body)
        return;
    const uint8_t *data = zframe_data (body);
    size_t size = zframe_size (body);
    ss_header_t hdr;
    int rc = ss_header_decode (data, size, &hdr);
    const ss_header_t *h = NULL;
    if (rc == 0 && hdr.type == SS_MSG_ESTIMATE) {
        rc = ss_estimate_decode (data, size, &self->estimate);
        h = &self->estimate.hdr;
    }
    else
    if (rc == 0 && hdr.type == SS_MSG_HEARTBEAT) {
        rc = ss_heartbeat_decode (data, size, &self->heartbeat);
        h = &self->heartbeat.hdr;
    }
    if (rc) {
        s_drop (self, SS_CTR_DROP_DECODE, ss_proto_strerror (rc));
        zframe_destroy (&body);
        return;
    }
    if (!h) {
        s_drop (self, SS_CTR_DROP_TYPE, "only ESTIMATE and HEARTBEAT on the agent socket");
        zframe_destroy (&body);
        return;
    }
    if (h->fleet != self->fleet_id) {
        s_drop (self, SS_CTR_DROP_FLEET, "fleet id differs");
        zframe_destroy (&body);
        return;
    }
    if (!self->insecure) {
        char expected [32];
        ss_keys_name ((int) (h->sender > INT32_MAX? -1: (int) h->sender),
                      expected, sizeof (expected));
        const char *name = ss_keys_peer_name (body);
        if (!name || h->sender == SS_PROTO_COORDINATOR || strcmp (name, expected)) {
            s_drop (self, SS_CTR_DROP_AUTH, name? name: "no authenticated name");
            zframe_destroy (&body);
            return;
        }
    }
    zframe_destroy (&body);
    int p = h->sender < (uint32_t) self->fleet->count? self->peer_index [h->sender]: -1;
    if (p < 0) {
        s_drop (self, SS_CTR_DROP_STRANGER, "sender is not a neighbour");
        return;
    }
    s_peer_t *peer = &self->peers [p];
    //  Rule 1: any authenticated message of a neighbour is a sign of life
    peer->last_seen = zclock_mono ();
    peer->heard = true;
    if (!peer->live) {
        peer->live = true;
        self->counters [SS_CTR_READMITTED]++;
        s_info ("neighbour agent-%d re-admitted (round %llu, its round %llu)",
                peer->id, (unsigned long long) self->round,
                (unsigned long long) h->round);
        s_event (self, "neighbour re-admitted");
    }
    if (h->type == SS_MSG_HEARTBEAT)
        return;
    const ss_estimate_t *msg = &self->estimate;
    if (msg->k != (uint32_t) self->K || msg->degree > (uint32_t) peer->degree) {
        s_drop (self, SS_CTR_DROP_DECODE, "features or degree out of the fleet's");
        return;
    }
    //  Rule 4: round alignment
    uint64_t r = msg->hdr.round;
    if (r < self->round) {
        s_drop (self, SS_CTR_DROP_STALE, "round already computed");
        return;
    }
    if (self->fleet->rounds > 0 && r >= (uint64_t) self->fleet->rounds) {
        s_drop (self, SS_CTR_DROP_ROUND, "round beyond the fleet's last");
        return;
    }
    int slot = (int) (r & 1);
    if (r <= self->round + 1 && peer->have [slot] && peer->round [slot] == r) {
        s_drop (self, SS_CTR_DROP_DUPLICATE, "round already held");
        return;
    }
    if (r > self->round + 1)
        s_jump (self, r, msg->hdr.epoch, peer->id);
    memcpy (peer->theta [slot], msg->theta, (size_t) self->K * sizeof (double));
    memcpy (peer->s [slot], msg->s, (size_t) self->K * sizeof (double));
    peer->round [slot] = r;
    peer->epoch [slot] = msg->hdr.epoch;
    peer->msg_degree [slot] = (int) msg->degree;
    peer->have [slot] = true;
    self->counters [SS_CTR_RECEIVED]++;
}

//  A frame from the coordinator, on its DEALER
static void
s_handle_coordinator (agentd_t *self)
{
    zframe_t *body = s_recv_body (self, self->coord);
    if (!body)
        return;
    const uint8_t *data = zframe_data (body);
    size_t size = zframe_size (body);
    ss_header_t hdr;
    int rc = ss_header_decode (data, size, &hdr);
    const ss_header_t *h = NULL;
    if (rc == 0 && hdr.type == SS_MSG_TARGET) {
        rc = ss_target_decode (data, size, &self->target_in);
        h = &self->target_in.hdr;
    }
    else
    if (rc == 0 && hdr.type == SS_MSG_CONTROL) {
        rc = ss_control_decode (data, size, &self->control_in);
        h = &self->control_in.hdr;
    }
    zframe_destroy (&body);
    if (rc) {
        s_drop (self, SS_CTR_DROP_DECODE, ss_proto_strerror (rc));
        return;
    }
    if (!h) {
        s_drop (self, SS_CTR_DROP_TYPE, "only TARGET and CONTROL on the coordinator socket");
        return;
    }
    if (h->fleet != self->fleet_id) {
        s_drop (self, SS_CTR_DROP_FLEET, "fleet id differs");
        return;
    }
    if (h->sender != SS_PROTO_COORDINATOR) {
        s_drop (self, SS_CTR_DROP_AUTH, "sender is not the coordinator");
        return;
    }
    if (h->type == SS_MSG_CONTROL) {
        uint64_t at = self->control_in.arg;
        if (at < self->round)
            at = self->round;
        if (at > INT64_MAX)
            at = INT64_MAX;
        if (self->stop_at < 0 || (int64_t) at < self->stop_at)
            self->stop_at = (int64_t) at;
        s_info ("STOP from the coordinator: stopping after round %lld",
                   (long long) self->stop_at);
        return;
    }
    const ss_target_t *t = &self->target_in;
    const char *bad = t->dim == (uint32_t) self->d
                    ? ss_mixture_check (&t->mixture, &self->fleet->model)
                    : "dimension differs from the model's";
    if (bad) {
        s_drop (self, SS_CTR_DROP_DECODE, bad);
        return;
    }
    if (t->switch_round < self->round)
        s_apply_target (self, t, true);
    else {
        if (self->target_pending)
            s_info ("target for round %llu replaced by one for round %llu",
                       (unsigned long long) self->target.switch_round,
                       (unsigned long long) t->switch_round);
        self->target = *t;
        self->target_pending = true;
        s_info ("target received, switching at round %llu",
                   (unsigned long long) t->switch_round);
    }
}

//  Does live neighbour p miss its round-k estimate?
static bool
s_missing (agentd_t *self, int p)
{
    s_peer_t *peer = &self->peers [p];
    int slot = (int) (self->round & 1);
    return peer->live && (!peer->have [slot] || peer->round [slot] != self->round);
}

//  Ready when the round-k estimate of every live neighbour is held.
//  *heard_missing: some missing neighbour was heard from since start (the
//  deadline applies to those only: rule 2)
static bool
s_ready (agentd_t *self, bool *heard_missing)
{
    bool ready = true;
    *heard_missing = false;
    for (int p = 0; p < self->n_peers; p++)
        if (s_missing (self, p)) {
            ready = false;
            if (self->peers [p].heard)
                *heard_missing = true;
        }
    return ready;
}

static void
s_list_missing (agentd_t *self, char *list, size_t size)
{
    size_t used = 0;
    list [0] = 0;
    for (int p = 0; p < self->n_peers && used + 16 < size; p++)
        if (s_missing (self, p))
            used += (size_t) snprintf (list + used, size - used, "%s%d",
                                       used? ",": "", self->peers [p].id);
}

static void
s_log_waiting (agentd_t *self)
{
    char list [512];
    s_list_missing (self, list, sizeof (list));
    s_info ("round %llu: waiting for agents %s", (unsigned long long) self->round, list);
}

//  Rule 2: the deadline passed; the round runs without the missing ones
static void
s_timeout (agentd_t *self)
{
    self->counters [SS_CTR_TIMEOUTS]++;
    s_event (self, "deadline passed");
    int64_t now = zclock_mono ();
    if (self->timeout_logged == 0 || now - self->timeout_logged >= EVENT_LOG_MSEC) {
        char list [512];
        s_list_missing (self, list, sizeof (list));
        zsys_warning ("round %llu: deadline (%d ms) passed without agents %s; "
                      "%llu more since the last line", (unsigned long long) self->round,
                      self->fleet->round_timeout_ms, list,
                      (unsigned long long) self->timeouts_unlogged);
        self->timeout_logged = now;
        self->timeouts_unlogged = 0;
    }
    else
        self->timeouts_unlogged++;
}

//  Timers that run whatever we wait for: heartbeats, signals, rule 1
static void
s_timers (agentd_t *self)
{
    int64_t now = zclock_mono ();
    if (now >= self->next_heartbeat) {
        s_send_heartbeat (self, s_stop_signal? 1: 0, true);
        self->next_heartbeat = now + self->fleet->heartbeat_ms;
    }
    if (s_stop_signal && self->signal_round < 0) {
        self->signal_round = (int64_t) self->round;
        self->signal_deadline = now + STOP_GRACE_MSEC;
        s_info ("signal: finishing round %llu (at most %d ms)",
                   (unsigned long long) self->round, STOP_GRACE_MSEC);
    }
    for (int p = 0; p < self->n_peers; p++) {
        s_peer_t *peer = &self->peers [p];
        if (peer->live && now - peer->last_seen > self->fleet->lost_after_ms) {
            peer->live = false;
            self->counters [SS_CTR_LOST]++;
            zsys_warning ("neighbour agent-%d lost: silent for %lld ms (round %llu)",
                          peer->id, (long long) (now - peer->last_seen),
                          (unsigned long long) self->round);
            s_event (self, "neighbour lost");
        }
    }
}

//  Wait until every live neighbour's round-k estimate is held, or the
//  deadline passes. 0 when the round can run, 1 after a jump (rule 4: start
//  over at the new round), -1 when the run must stop at k (signal grace
//  expired or STOP at k).
static int
s_wait_round (agentd_t *self)
{
    int64_t next_log = zclock_mono () + WAIT_LOG_MSEC;
    int64_t deadline = self->round_start + self->fleet->round_timeout_ms;
    int drained = 0;
    self->jumped = false;
    while (true) {
        s_timers (self);
        if (self->stop_at >= 0 && (int64_t) self->round >= self->stop_at)
            return -1;
        bool heard_missing;
        bool ready = s_ready (self, &heard_missing);
        int64_t now = zclock_mono ();
        if (!ready && self->signal_round >= 0 && now >= self->signal_deadline) {
            zsys_warning ("signal: round %llu not finished within %d ms",
                          (unsigned long long) self->round, STOP_GRACE_MSEC);
            //  Silent neighbours are likely gone: don't linger on them
            for (int p = 0; p < self->n_peers; p++)
                if (s_missing (self, p))
                    zsock_set_linger (self->peers [p].dealer, 0);
            return -1;
        }
        if (!ready && heard_missing && now >= deadline) {
            s_timeout (self);
            return 0;
        }
        int timeout = ready? 0: POLL_MAX_MSEC;
        if (ready && drained >= DRAIN_MAX)
            return 0;
        void *which = zpoller_wait (self->poller, timeout);
        if (which == self->router) {
            s_handle_router (self);
            drained++;
        }
        else
        if (which == self->coord) {
            s_handle_coordinator (self);
            drained++;
        }
        else
        if (ready)
            return 0;
        if (self->jumped)
            return 1;
        if (!ready && zclock_mono () >= next_log) {
            s_log_waiting (self);
            next_log = zclock_mono () + WAIT_LOG_MSEC;
        }
    }
}

//  One round (rules 1-3). A neighbour's round-k estimate is mixed with the
//  weight of the two round-k degrees; its s only if it is of our epoch,
//  else our own s stands in for it. A live neighbour whose estimate is
//  missing (deadline passed) is replaced by ourselves; a lost one is left
//  out (its weight stays on the diagonal either way). With no fault this
//  is exactly sim's call: neighbours in ascending id order, their values.
static void
s_step (agentd_t *self)
{
    int slot = (int) (self->round & 1);
    int n = 0;
    uint64_t epoch = self->epoch;
    self->cur.degree = self->sent_degree;
    self->cur.hold = self->round < self->hold_until;
    for (int p = 0; p < self->n_peers; p++) {
        s_peer_t *peer = &self->peers [p];
        if (peer->have [slot] && peer->round [slot] == self->round) {
            bool same = peer->epoch [slot] == self->epoch;
            self->nbrs [n++] = (ss_neighbour_t) {
                .theta = peer->theta [slot],
                .s = same? peer->s [slot]: self->cur.s,
                .degree = peer->msg_degree [slot]
            };
            if (peer->epoch [slot] > epoch)
                epoch = peer->epoch [slot];
        }
        else
        if (peer->live)
            self->nbrs [n++] = (ss_neighbour_t) {
                .theta = self->cur.theta, .s = self->cur.s, .degree = self->cur.degree
            };
    }
    self->step = ss_round_step (self->problem, &self->cur, self->nbrs, n,
                                &self->next, self->work);
    for (int p = 0; p < self->n_peers; p++)
        if (self->peers [p].round [slot] <= self->round)
            self->peers [p].have [slot] = false;
    const char *why = epoch > self->epoch? "a neighbour's epoch": NULL;
    if (self->event) {
        why = self->event_why;
        if (epoch < UINT64_MAX)
            epoch++;
    }
    self->event = false;
    if (epoch > self->epoch)
        s_enter_epoch (self, &self->next, epoch, why);
    ss_agent_t swap = self->cur;
    self->cur = self->next;
    self->next = swap;
    self->round++;
}

static bool
s_is_last (agentd_t *self)
{
    int64_t k = (int64_t) self->round;
    return (self->fleet->rounds > 0 && k >= self->fleet->rounds)
        || (self->stop_at >= 0 && k >= self->stop_at)
        || (self->signal_round >= 0 && k > self->signal_round);
}

//  Checkpoint the state we hold (round k) to <state_dir>/agent-<i>.ckpt,
//  atomically. 0 or -1 after a (rate-limited) log line.
static int
s_checkpoint (agentd_t *self)
{
    ss_checkpoint_t cp;
    memset (&cp, 0, sizeof (cp));
    cp.fleet = self->fleet_id;
    cp.agent = (uint32_t) self->id;
    cp.dim = (uint32_t) self->d;
    cp.k = (uint32_t) self->K;
    cp.round = (int64_t) self->round;
    cp.epoch = self->epoch;
    cp.targets = self->counters [SS_CTR_TARGETS];
    //  The target in force (a pending one is not saved: see README.md)
    cp.target = self->target_now;
    cp.target_round = cp.target.count > 0? self->target_now_round: 0;
    memcpy (cp.x, self->cur.x, (size_t) self->d * sizeof (double));
    memcpy (cp.x0, self->cur.x0, (size_t) self->d * sizeof (double));
    memcpy (cp.theta, self->cur.theta, (size_t) self->K * sizeof (double));
    memcpy (cp.s, self->cur.s, (size_t) self->K * sizeof (double));
    if (ss_checkpoint_write (self->ckpt_path, &cp)) {
        int64_t now = zclock_mono ();
        if (self->ckpt_logged == 0 || now - self->ckpt_logged >= EVENT_LOG_MSEC) {
            zsys_error ("%s: cannot write the checkpoint of round %llu: %s",
                        self->ckpt_path, (unsigned long long) self->round,
                        strerror (errno));
            self->ckpt_logged = now;
        }
        return -1;
    }
    self->counters [SS_CTR_CHECKPOINTS]++;
    s_debug ("checkpoint of round %llu written", (unsigned long long) self->round);
    return 0;
}

static void
s_run (agentd_t *self)
{
    int64_t rounds = self->fleet->rounds;
    int64_t progress = rounds > 0? (rounds / 10 > 0? rounds / 10: 1): 1000;
    int every = self->fleet->report_every > 0? self->fleet->report_every: 1;
    while (true) {
        if (s_stop_signal && self->signal_round < 0) {
            //  Signal between rounds: no round is in progress, stop here
            self->signal_round = (int64_t) self->round - 1;
            s_info ("signal: stopping at round %llu", (unsigned long long) self->round);
        }
        bool last = s_is_last (self);
        if (!last)
            s_send_estimates (self);
        if (!last && self->round > 0
        &&  self->round % (uint64_t) self->fleet->checkpoint_every == 0)
            s_checkpoint (self);
        if (self->round == 0 || self->round % (uint64_t) every == 0 || last)
            s_send_report (self, self->round);
        if (!self->quiet && self->round > 0 && (int64_t) self->round % progress == 0 && !last)
        {
            char total [32] = "";
            if (rounds > 0)
                snprintf (total, sizeof (total), "/%lld", (long long) rounds);
            s_info ("round %llu%s  step %.3e", (unsigned long long) self->round,
                    total, self->step);
        }
        if (last)
            break;
        int rc = s_wait_round (self);
        if (rc > 0)
            continue;           //  jumped: this is a new round
        if (rc < 0) {
            s_send_report (self, self->round);
            break;
        }
        if (self->target_pending && self->target.switch_round <= self->round) {
            s_apply_target (self, &self->target, false);
            self->target_pending = false;
        }
        s_step (self);
    }
}

static void
s_print_doubles (FILE *file, const char *name, const double *v, int n)
{
    fprintf (file, "%s", name);
    for (int i = 0; i < n; i++)
        fprintf (file, " %.17g", v [i]);
    fprintf (file, "\n");
}

//  mkdir -p the state directory; 0 or -1 with a log line
static int
s_make_state_dir (agentd_t *self)
{
    const char *dir = self->fleet->state_dir;
    char buf [PATH_MAX];
    snprintf (buf, sizeof (buf), "%s", dir);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir (buf, 0755);
            *p = '/';
        }
    if (mkdir (buf, 0755) && errno != EEXIST) {
        zsys_error ("%s: cannot create the state directory: %s", dir, strerror (errno));
        return -1;
    }
    return 0;
}

//  Write <state_dir>/agent-<i>.state atomically; 0 or -1 with a log line
static int
s_write_state (agentd_t *self)
{
    const char *dir = self->fleet->state_dir;
    if (s_make_state_dir (self))
        return -1;
    char path [PATH_MAX + 64], tmp [PATH_MAX + 80];
    snprintf (path, sizeof (path), "%s/agent-%d.state", dir, self->id);
    snprintf (tmp, sizeof (tmp), "%s.tmp", path);
    FILE *file = fopen (tmp, "w");
    if (!file) {
        zsys_error ("%s: cannot write: %s", tmp, strerror (errno));
        return -1;
    }
    fprintf (file, "# swarmshape agent state\n");
    fprintf (file, "fleet %s\n", self->fleet->name);
    fprintf (file, "fleet_id %016llx\n", (unsigned long long) self->fleet_id);
    fprintf (file, "agent %d\n", self->id);
    fprintf (file, "round %llu\n", (unsigned long long) self->round);
    fprintf (file, "dim %d\n", self->d);
    s_print_doubles (file, "x", self->cur.x, self->d);
    s_print_doubles (file, "x0", self->cur.x0, self->d);
    fprintf (file, "features %d\n", self->K);
    s_print_doubles (file, "theta", self->cur.theta, self->K);
    s_print_doubles (file, "s", self->cur.s, self->K);
    int rc = fflush (file) || fsync (fileno (file))? -1: 0;
    if (fclose (file))
        rc = -1;
    if (rc || rename (tmp, path)) {
        zsys_error ("%s: cannot write: %s", path, strerror (errno));
        unlink (tmp);
        return -1;
    }
    return 0;
}

//  Resume from <state_dir>/agent-<i>.ckpt if it is a valid checkpoint of
//  this agent of this fleet; a bad or foreign one is reported and set
//  aside, never trusted. A resumed agent is in a new epoch (its neighbours
//  moved on without it), so its s restarts from psi(x).
static void
s_resume (agentd_t *self)
{
    snprintf (self->ckpt_path, sizeof (self->ckpt_path), "%s/agent-%d.ckpt",
              self->fleet->state_dir, self->id);
    ss_checkpoint_t cp;
    int rc = ss_checkpoint_read (self->ckpt_path, &cp);
    if (rc == SS_CHECKPOINT_ENOENT)
        return;
    if (rc == SS_CHECKPOINT_EIO) {
        zsys_warning ("%s: cannot read the checkpoint (%s): starting fresh, "
                      "file left in place", self->ckpt_path, strerror (errno));
        return;
    }
    if (rc == 0)
        rc = ss_checkpoint_check (&cp, self->fleet_id, (uint32_t) self->id,
                                  (uint32_t) self->d, (uint32_t) self->K,
                                  self->fleet->model.lo, self->fleet->model.hi);
    if (rc) {
        char moved [PATH_MAX + 128];
        if (ss_checkpoint_set_aside (self->ckpt_path, moved, sizeof (moved)) == 0)
            zsys_warning ("%s: checkpoint not used (%s), set aside as %s; starting fresh",
                          self->ckpt_path, ss_checkpoint_strerror (rc), moved);
        else
            zsys_error ("%s: checkpoint not used (%s), cannot set it aside (%s); "
                        "starting fresh", self->ckpt_path, ss_checkpoint_strerror (rc),
                        strerror (errno));
        return;
    }
    if (self->fleet->rounds > 0 && cp.round >= self->fleet->rounds) {
        s_info ("%s: checkpoint of a finished run (round %lld of %lld): starting "
                "fresh", self->ckpt_path, (long long) cp.round,
                (long long) self->fleet->rounds);
        return;
    }
    //  The target in force when the checkpoint was written, before any
    //  round runs: without it the agent would go on with the fleet's
    if (cp.target.count > 0) {
        const char *bad = ss_mixture_check (&cp.target, &self->fleet->model);
        if (bad || ss_problem_set_target (self->problem, &cp.target)) {
            char moved [PATH_MAX + 128];
            if (ss_checkpoint_set_aside (self->ckpt_path, moved, sizeof (moved)) == 0)
                zsys_warning ("%s: checkpoint not used (its target is refused by the "
                              "model: %s), set aside as %s; starting fresh",
                              self->ckpt_path, bad? bad: "cannot set it", moved);
            else
                zsys_error ("%s: checkpoint not used (its target is refused by the "
                            "model: %s), cannot set it aside (%s); starting fresh",
                            self->ckpt_path, bad? bad: "cannot set it", strerror (errno));
            //  Back to the fleet's target
            if (ss_problem_set_target (self->problem, &self->fleet->target))
                zsys_error ("cannot restore the fleet's target");
            return;
        }
        self->target_now = cp.target;
        self->target_now_round = cp.target_round;
        self->counters [SS_CTR_TARGET_ROUND] = cp.target_round;
    }
    memcpy (self->cur.x, cp.x, (size_t) self->d * sizeof (double));
    memcpy (self->cur.x0, cp.x0, (size_t) self->d * sizeof (double));
    memcpy (self->cur.theta, cp.theta, (size_t) self->K * sizeof (double));
    memcpy (self->cur.s, cp.s, (size_t) self->K * sizeof (double));
    self->round = (uint64_t) cp.round;
    self->epoch = cp.epoch;
    self->counters [SS_CTR_TARGETS] = cp.targets;
    if (cp.target.count > 0)
        self->counters [SS_CTR_TARGET_ROUND] = cp.target_round;
    self->counters [SS_CTR_RESUMED] = 1;
    s_enter_epoch (self, &self->cur, cp.epoch < UINT64_MAX? cp.epoch + 1: cp.epoch,
                   "restart");
    zsys_notice ("resumed from checkpoint %s: round %lld, epoch %llu",
                 self->ckpt_path, (long long) cp.round,
                 (unsigned long long) self->epoch);
    if (cp.target.count > 0)
        zsys_notice ("resumed target applied at round %llu (%d components, "
                     "%llu targets applied so far)",
                     (unsigned long long) cp.target_round, cp.target.count,
                     (unsigned long long) cp.targets);
    else
    if (cp.targets > 0)
        //  A version 1 checkpoint: it did not save the target
        zsys_warning ("the checkpoint counts %llu targets applied but holds no target "
                      "(an old format); the target in force is the fleet's until the "
                      "coordinator announces one", (unsigned long long) cp.targets);
}

static void
s_destroy (agentd_t **self_p)
{
    agentd_t *self = *self_p;
    if (!self)
        return;
    zpoller_destroy (&self->poller);
    if (self->peers)
        for (int p = 0; p < self->n_peers; p++)
            zsock_destroy (&self->peers [p].dealer);
    zsock_destroy (&self->coord);
    zsock_destroy (&self->router);
    zactor_destroy (&self->auth);
    zcert_destroy (&self->cert);
    ss_work_destroy (&self->work);
    ss_problem_destroy (&self->problem);
    ss_graph_destroy (&self->graph);
    ss_fleet_destroy (&self->fleet);
    free (self->store);
    free (self->peers);
    free (self->peer_index);
    free (self->nbrs);
    free (self);
    *self_p = NULL;
}

//  Build the agent's state (no sockets). 0, or 2 after one line on stderr.
static int
s_setup_core (agentd_t *self)
{
    char err [1024];
    ss_fleet_t *fleet = self->fleet;
    self->fleet_id = ss_fleet_id (fleet);
    self->problem = ss_problem_new (&fleet->model, &fleet->target);
    if (!self->problem) {
        fprintf (stderr, "agentd: %s: fleet/model: cannot build the model\n", fleet->path);
        return 2;
    }
    self->graph = ss_fleet_graph (fleet, err, sizeof (err));
    if (!self->graph) {
        fprintf (stderr, "agentd: %s\n", err);
        return 2;
    }
    int K = self->K = self->problem->K;
    self->d = fleet->model.dim;
    self->work = ss_work_new (self->problem);
    int deg = ss_graph_degree (self->graph, self->id);
    const int *row = ss_graph_neighbours (self->graph, self->id);
    self->n_peers = deg;
    self->store = calloc ((size_t) (4 + 4 * deg) * K, sizeof (double));
    self->peers = calloc ((size_t) (deg > 0? deg: 1), sizeof (s_peer_t));
    self->nbrs = calloc ((size_t) (deg > 0? deg: 1), sizeof (ss_neighbour_t));
    self->peer_index = malloc ((size_t) fleet->count * sizeof (int));
    double *x0 = malloc ((size_t) fleet->count * self->d * sizeof (double));
    if (!self->work || !self->store || !self->peers || !self->nbrs
    ||  !self->peer_index || !x0) {
        free (x0);
        fprintf (stderr, "agentd: out of memory\n");
        return 1;
    }
    ss_fleet_positions (fleet, x0);
    self->cur.theta = self->store;
    self->cur.s = self->store + K;
    self->next.theta = self->store + 2 * K;
    self->next.s = self->store + 3 * K;
    ss_round_init (self->problem, &self->cur, x0 + (size_t) self->id * self->d, deg);
    free (x0);
    for (int i = 0; i < fleet->count; i++)
        self->peer_index [i] = -1;
    for (int p = 0; p < deg; p++) {
        s_peer_t *peer = &self->peers [p];
        peer->id = row [p];
        peer->degree = ss_graph_degree (self->graph, row [p]);
        double *base = self->store + (size_t) (4 + 4 * p) * K;
        peer->theta [0] = base;
        peer->s [0] = base + K;
        peer->theta [1] = base + 2 * K;
        peer->s [1] = base + 3 * K;
        self->peer_index [row [p]] = p;
    }
    return 0;
}

//  An endpoint to connect to: "*" means this host
static void
s_connect_endpoint (const char *endpoint, char *out, size_t out_size)
{
    const char *star = strstr (endpoint, "://*:");
    if (star)
        snprintf (out, out_size, "%.*s://127.0.0.1:%s", (int) (star - endpoint),
                  endpoint, star + 5);
    else
        snprintf (out, out_size, "%s", endpoint);
}

//  Keys and sockets. 0, 2 (configuration) or 1 (runtime) after one line.
//  ZMTP heartbeats on a connection we open: a TCP connection that stops
//  carrying anything (a half-open link after a cut, a stalled path) is
//  closed after lost_after_ms and ZeroMQ reconnects, instead of queueing
//  into it for ever
static void
s_keepalive (zsock_t *sock, const ss_fleet_t *fleet)
{
    zsock_set_heartbeat_ivl (sock, fleet->heartbeat_ms);
    zsock_set_heartbeat_timeout (sock, fleet->lost_after_ms);
    //  ZMTP carries the TTL in deciseconds, 16 bits
    zsock_set_heartbeat_ttl (sock, fleet->lost_after_ms < 6553500? fleet->lost_after_ms: 6553500);
}

static int
s_setup_net (agentd_t *self)
{
    char err [1024], name [64];
    ss_fleet_t *fleet = self->fleet;
    zcert_t *coord_cert = NULL;
    zcert_t **peer_certs = calloc ((size_t) (self->n_peers + 1), sizeof (zcert_t *));
    int rc = 0;
    if (!self->insecure) {
        ss_keys_name (self->id, name, sizeof (name));
        self->cert = ss_keys_load_secret (fleet, name, err, sizeof (err));
        coord_cert = self->cert? ss_keys_load_public (fleet, "coordinator", err, sizeof (err)): NULL;
        for (int p = 0; coord_cert && p < self->n_peers; p++) {
            ss_keys_name (self->peers [p].id, name, sizeof (name));
            peer_certs [p] = ss_keys_load_public (fleet, name, err, sizeof (err));
            if (!peer_certs [p]) {
                zcert_destroy (&coord_cert);
                break;
            }
        }
        if (!coord_cert) {
            fprintf (stderr, "agentd: %s\n", err);
            rc = 2;
            goto done;
        }
        self->auth = ss_keys_start_auth (fleet, self->verbose, err, sizeof (err));
        if (!self->auth) {
            fprintf (stderr, "agentd: %s\n", err);
            rc = 2;
            goto done;
        }
    }
    const ss_agent_spec_t *me = &fleet->agents [self->id];
    struct in_addr addr;
    char endpoint [600];
    if (inet_pton (AF_INET, me->host, &addr) == 1)
        snprintf (endpoint, sizeof (endpoint), "tcp://%s:%d", me->host, me->port);
    else
        snprintf (endpoint, sizeof (endpoint), "tcp://*:%d", me->port);
    self->router = zsock_new (ZMQ_ROUTER);
    self->coord = zsock_new (ZMQ_DEALER);
    if (!self->router || !self->coord) {
        fprintf (stderr, "agentd: cannot create sockets\n");
        rc = 1;
        goto done;
    }
    if (!self->insecure)
        ss_keys_apply_server (self->router, self->cert);
    if (zsock_bind (self->router, "%s", endpoint) < 0) {
        zsys_error ("cannot bind %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        rc = 1;
        goto done;
    }
    for (int p = 0; p < self->n_peers; p++) {
        const ss_agent_spec_t *spec = &fleet->agents [self->peers [p].id];
        zsock_t *dealer = self->peers [p].dealer = zsock_new (ZMQ_DEALER);
        if (!dealer) {
            zsys_error ("cannot create a socket");
            rc = 1;
            goto done;
        }
        zsock_set_linger (dealer, LINGER_MSEC);
        zsock_set_sndhwm (dealer, 1000);
        s_keepalive (dealer, fleet);
        if (!self->insecure)
            ss_keys_apply_client (dealer, self->cert, zcert_public_txt (peer_certs [p]));
        if (zsock_connect (dealer, "tcp://%s:%d", spec->host, spec->port)) {
            zsys_error ("cannot connect to tcp://%s:%d: %s", spec->host, spec->port,
                        zmq_strerror (zmq_errno ()));
            rc = 1;
            goto done;
        }
    }
    zsock_set_linger (self->coord, LINGER_MSEC);
    zsock_set_sndhwm (self->coord, 1000);
    zsock_set_immediate (self->coord, 1);
    s_keepalive (self->coord, fleet);
    if (!self->insecure)
        ss_keys_apply_client (self->coord, self->cert, zcert_public_txt (coord_cert));
    char coord_endpoint [300];
    s_connect_endpoint (fleet->coordinator, coord_endpoint, sizeof (coord_endpoint));
    if (zsock_connect (self->coord, "%s", coord_endpoint)) {
        fprintf (stderr, "agentd: %s: coordinator/endpoint: cannot connect to %s\n",
                 fleet->path, coord_endpoint);
        rc = 2;
        goto done;
    }
    self->poller = zpoller_new (self->router, self->coord, NULL);
    char list [512] = "";
    size_t used = 0;
    for (int p = 0; p < self->n_peers && used < sizeof (list) - 16; p++)
        used += (size_t) snprintf (list + used, sizeof (list) - used, "%s%d",
                                   p? ",": "", self->peers [p].id);
    s_info ("start: fleet %s (%s), agent %d of %d, bound %s, neighbours %s, "
               "coordinator %s, curve %s, rounds %lld", fleet->name, fleet->path,
               self->id, fleet->count, endpoint, list, coord_endpoint,
               self->insecure? "off": "on", (long long) fleet->rounds);
done:
    for (int p = 0; p < self->n_peers; p++)
        zcert_destroy (&peer_certs [p]);
    free (peer_certs);
    zcert_destroy (&coord_cert);
    return rc;
}

//  Give the coordinator link a moment to come up, so the round-0 report
//  and the first heartbeat are not lost (ZMQ_IMMEDIATE drops them else)
static void
s_wait_coordinator (agentd_t *self)
{
    int64_t deadline = zclock_mono () + COORD_WAIT_MSEC;
    zmq_pollitem_t item = { zsock_resolve (self->coord), 0, ZMQ_POLLOUT, 0 };
    while (!s_stop_signal) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            break;
        int rc = zmq_poll (&item, 1, (long) (left < 50? left: 50));
        if (rc > 0 && (item.revents & ZMQ_POLLOUT))
            return;
    }
    s_debug ("no coordinator link yet at %s", self->fleet->coordinator);
}

int
main (int argc, char **argv)
{
    const char *fleet_path = NULL, *keys = NULL, *state_dir = NULL, *id_text = NULL;
    const char *sets [AGENTD_MAX_SETS];
    int n_sets = 0;
    bool insecure = false, verbose = false, quiet = false;
    static const struct option options [] = {
        { "fleet", required_argument, 0, 'f' },
        { "id", required_argument, 0, 'i' },
        { "keys", required_argument, 0, 'k' },
        { "state-dir", required_argument, 0, 'S' },
        { "set", required_argument, 0, 's' },
        { "insecure", no_argument, 0, 'I' },
        { "verbose", no_argument, 0, 'v' },
        { "quiet", no_argument, 0, 'q' },
        { "help", no_argument, 0, 'h' },
        { "version", no_argument, 0, 'V' },
        { 0, 0, 0, 0 }
    };
    opterr = 0;
    int opt;
    while ((opt = getopt_long (argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
            case 'f': fleet_path = optarg; break;
            case 'i': id_text = optarg; break;
            case 'k': keys = optarg; break;
            case 'S': state_dir = optarg; break;
            case 's':
                if (n_sets == AGENTD_MAX_SETS) {
                    fprintf (stderr, "agentd: too many --set (at most %d)\n", AGENTD_MAX_SETS);
                    return 2;
                }
                sets [n_sets++] = optarg;
                break;
            case 'I': insecure = true; break;
            case 'v': verbose = true; break;
            case 'q': quiet = true; break;
            case 'h': s_usage (stdout); return 0;
            case 'V': printf ("agentd %s\n", SS_VERSION); return 0;
            default:
                if (optopt)
                    fprintf (stderr, "agentd: option -%c: unknown or missing its value "
                                     "(see agentd --help)\n", optopt);
                else
                    fprintf (stderr, "agentd: %s: unknown option or missing value "
                                     "(see agentd --help)\n", argv [optind - 1]);
                return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "agentd: unexpected argument '%s' (see agentd --help)\n", argv [optind]);
        return 2;
    }
    if (!fleet_path || !id_text) {
        fprintf (stderr, "agentd: --fleet FILE and --id I are required (see agentd --help)\n");
        return 2;
    }
    char *end = NULL;
    errno = 0;
    long id = strtol (id_text, &end, 10);
    if (errno || !*id_text || *end || id < 0 || id >= SS_FLEET_MAX_AGENTS) {
        fprintf (stderr, "agentd: --id %s: not an agent id (0..count-1)\n", id_text);
        return 2;
    }
    char err [1024];
    ss_fleet_t *fleet = ss_fleet_load (fleet_path, sets, n_sets, err, sizeof (err));
    if (fleet && ss_fleet_check_ports (fleet, err, sizeof (err)))
        ss_fleet_destroy (&fleet);
    if (!fleet) {
        fprintf (stderr, "agentd: %s\n", err);
        return 2;
    }
    if (id >= fleet->count) {
        fprintf (stderr, "agentd: --id %ld: no such agent in %s (agents/count = %d)\n",
                 id, fleet_path, fleet->count);
        ss_fleet_destroy (&fleet);
        return 2;
    }
    if (!fleet->curve && !insecure) {
        fprintf (stderr, "agentd: %s: security/curve: 0 needs --insecure\n", fleet_path);
        ss_fleet_destroy (&fleet);
        return 2;
    }
    if (keys)
        snprintf (fleet->keys, sizeof (fleet->keys), "%s", keys);
    if (state_dir)
        snprintf (fleet->state_dir, sizeof (fleet->state_dir), "%s", state_dir);

    agentd_t *self = calloc (1, sizeof (agentd_t));
    if (!self) {
        fprintf (stderr, "agentd: out of memory\n");
        ss_fleet_destroy (&fleet);
        return 1;
    }
    self->fleet = fleet;
    self->id = (int) id;
    self->insecure = insecure;
    self->verbose = verbose;
    self->quiet = quiet;
    s_quiet = quiet;
    s_verbose = verbose;
    self->stop_at = -1;
    self->signal_round = -1;
    self->epoch = 0;            //  every fresh agent: no fault, no epoch change
    int rc = s_setup_core (self);
    if (rc) {
        s_destroy (&self);
        return rc;
    }

    //  Our own signal handling: CZMQ's would make every socket call fail
    zsys_handler_set (NULL);
    struct sigaction action;
    memset (&action, 0, sizeof (action));
    action.sa_handler = s_on_signal;
    sigemptyset (&action.sa_mask);
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);
    char ident [64];
    snprintf (ident, sizeof (ident), "agentd-%d", self->id);
    zsys_set_logident (ident);
    zsys_set_logstream (stderr);
    zsys_init ();
    zsys_handler_set (NULL);
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);

    if (s_make_state_dir (self)) {
        s_destroy (&self);
        zsys_shutdown ();
        return 1;
    }
    s_resume (self);
    rc = s_setup_net (self);
    if (rc == 0) {
        if (insecure)
            zsys_warning ("--insecure: no encryption, no authentication");
        s_wait_coordinator (self);
        ss_notify_ready ();    //  links up: systemctl start returns (Type=notify)
        self->started = zclock_mono ();
        for (int p = 0; p < self->n_peers; p++) {
            self->peers [p].live = true;
            self->peers [p].last_seen = self->started;
        }
        s_send_heartbeat (self, 0, true);
        self->next_heartbeat = self->started + fleet->heartbeat_ms;
        s_run (self);
        s_send_heartbeat (self, 1, true);
        if (s_checkpoint (self) || s_write_state (self))
            rc = 1;
        uint64_t drops = self->counters [SS_CTR_DROP_STALE]
                       + self->counters [SS_CTR_DROP_DUPLICATE];
        for (int c = SS_CTR_DROP_DECODE; c <= SS_CTR_DROP_TYPE; c++)
            drops += self->counters [c];
        s_info ("done: round %llu, epoch %llu, step %.3e, sent %llu, received %llu, "
                   "dropped %llu, targets %llu, timeouts %llu, lost %llu, "
                   "jumps %llu%s", (unsigned long long) self->round,
                   (unsigned long long) self->epoch,
                   self->step, (unsigned long long) self->counters [SS_CTR_SENT],
                   (unsigned long long) self->counters [SS_CTR_RECEIVED],
                   (unsigned long long) drops,
                   (unsigned long long) self->counters [SS_CTR_TARGETS],
                   (unsigned long long) self->counters [SS_CTR_TIMEOUTS],
                   (unsigned long long) self->counters [SS_CTR_LOST],
                   (unsigned long long) self->counters [SS_CTR_JUMPS],
                   rc? "; state NOT written": "");
        //  Drops by reason, for the operator (and the fault tests)
        char line [512] = "";
        size_t used = 0;
        for (int c = SS_CTR_DROP_DECODE; c < SS_CTR_COUNT && used + 64 < sizeof (line); c++)
            if ((c <= SS_CTR_DROP_TYPE || c == SS_CTR_DROP_STALE
              || c == SS_CTR_DROP_DUPLICATE) && self->counters [c])
                used += (size_t) snprintf (line + used, sizeof (line) - used, "%s%s %llu",
                                           used? ", ": "", s_counter_names [c],
                                           (unsigned long long) self->counters [c]);
        if (used)
            s_info ("drops: %s", line);
    }
    s_destroy (&self);
    zsys_shutdown ();
    return rc;
}
