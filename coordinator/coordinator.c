/*  coordinator: the fleet's monitor. See docs/fleet-design.md and
    coordinator/README.md.

    It binds a ROUTER (CURVE server, zauth admitting the fleet's key
    directory) at the fleet's coordinator endpoint and collects the agents'
    REPORTs. Reports of one round are gathered in a slot; when the row of
    round k is due (every live agent reported it, or a deadline passed:
    coordinator/README.md, "Faults") the agents that reported it are
    scored with ss_score_state, the very function sim scores with, in the
    same order of rounds and with the same warm starts, so an undisturbed
    launched run's trace equals sim's to round-off. Agents are declared
    lost after lost_after_ms of silence and re-admitted when heard again.
    A restarted coordinator appends to the trace of the run in --out
    (run.json names the fleet) and counts the report rounds it missed.

    Trust: a REPORT or HEARTBEAT is accepted as agent i's only when the
    frame's ZAP name (zframe_meta "name", from the certificate's metadata)
    is "agent-<i>"; a TARGET or CONTROL only when it is "coordinator" (the
    operator's tool holds the coordinator certificate). With --insecure
    there is no authentication and the claimed sender is all there is.

    Targets: switch_round = highest round reported + max (50, 5 every).
    Agents switch just before computing round switch_round, so state
    switch_round + 1 is the first under the new target: the scoring problem
    switches for report rounds k > switch_round, and a trace row's "target"
    counts the targets in force at its round.
*/

#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ss_version.h"
#include "ss_proto.h"
#include "ss_counters.h"
#include "ss_fleet.h"
#include "ss_keys.h"
#include "ss_notify.h"
#include "ss_runlog.h"
#include "ss_sim.h"
#include "ss_footprint.h"
#include "ss_round.h"

#define SLOTS           64      //  report rounds open at once (rows pending)
#define MAX_TARGETS     64
#define POLL_MS         100
#define SIGNAL_WAIT     1.5     //  s: final reports after SIGTERM (rounds = 0)
#define STOP_WAIT       30.0    //  s: final reports after a CONTROL STOP
#define STATUS_SIZE     4096    //  status JSON (the lost list is cut to fit)


typedef enum {
    DROP_DECODE, DROP_FLEET, DROP_AUTH, DROP_SENDER, DROP_SHAPE, DROP_STALE,
    DROP_FULL, DROP_TYPE, DROP_TARGET, DROP_COUNT
} drop_t;

static const char *s_drop_names [DROP_COUNT] = {
    "undecodable frame", "wrong fleet id", "sender not authenticated as claimed",
    "unknown sender", "wrong dimension or K", "stale or duplicate report",
    "too many open report rounds", "unexpected message type", "invalid target"
};

typedef struct {
    int64_t round;
    int count;
    uint8_t *have;          //  n
    double *x;              //  n x d
    double *theta;          //  n x K
    double *s;              //  n x K
    uint64_t *counters;     //  n x SS_CTR_COUNT
    double step;
    double first;           //  when its first report arrived (s_now)
} slot_t;

//  What the coordinator knows of one agent (membership, liveness)
typedef struct {
    double heard;           //  s_now of the last REPORT or HEARTBEAT, 0 never
    bool lost;              //  declared lost: silent for lost_after_ms
    int64_t hi;             //  highest round it reported to us, -1 none
    int64_t pos_round;      //  round of pos (its last known position), -1 x0
    double target_resent;   //  s_now of the last target sent to it alone
} member_t;

typedef struct {
    uint64_t switch_round;
    ss_mixture_t mixture;
} target_t;

typedef struct {
    ss_fleet_t *fleet;
    const char *out;
    bool quiet, verbose, insecure;
    int n, d, K, every;
    uint64_t fleet_id;
    int64_t margin;
    ss_problem_t *problem;
    ss_work_t *work;
    double *x0, *grad, *theta_warm;
    zactor_t *auth;
    zcert_t *cert;
    zsock_t *router;
    zframe_t **routes;          //  n routing ids (NULL: not heard of yet)
    ss_runlog_t *log;
    slot_t *slots [SLOTS];
    int64_t last_round;         //  last complete round, -1 none
    int64_t highest;            //  highest round reported by any agent, -1
    int64_t final_round;        //  -1 until known
    double deadline;            //  > 0: give up waiting for final reports
    bool have_first;
    ss_sim_score_t first, score;
    double last_step;
    int64_t progress;
    double last_print;
    target_t targets [MAX_TARGETS];
    int n_targets, applied, verified;
    int64_t missed;
    //  Faults: membership, deadlines, resume
    member_t *members;          //  n
    double *pos;                //  n x d: every agent's last known position
    double *sub_x, *sub_x0, *sub_theta, *sub_s;     //  scoring scratch
    int *lost_ids;              //  n: ids currently declared lost
    int n_lost;
    double lost_after, round_timeout;   //  s
    bool fresh;                 //  --fresh: never resume
    bool synced;                //  this process has written a row
    int64_t resumed;            //  last round traced before a restart, -1
    int64_t late;               //  reports that came after their row
    int64_t written_rows;       //  rows written by this process
    double late_logged;
    bool warned_targets;
    uint64_t drops [DROP_COUNT];
    double drop_logged [DROP_COUNT];
    double start;
} coord_t;

static volatile sig_atomic_t s_signals = 0;

static void s_status_text (coord_t *self, char *text, size_t size);

static void
s_on_signal (int sig)
{
    (void) sig;
    s_signals++;
}

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: coordinator --fleet FILE --out DIR [OPTIONS]\n"
        "\n"
        "Monitors a running fleet: collects the agents' reports, scores them\n"
        "exactly, writes the run's files into DIR, forwards targets and stops\n"
        "the run.\n"
        "\n"
        "options:\n"
        "  --fleet FILE       the fleet file\n"
        "  --out DIR          where to write initial.csv, trace.jsonl,\n"
        "                     positions.csv, summary.json\n"
        "  --set PATH=VALUE   override a fleet-file key (repeatable)\n"
        "  --insecure         no CURVE encryption, no authentication\n"
        "  --fresh            start a new trace even if DIR holds an unfinished run\n"
        "                     of this fleet (default: resume it, see README)\n"
        "  --quiet            no progress lines\n"
        "  --verbose          log every accepted operator message and ZAP\n"
        "  --help, --version\n"
        "\n"
        "exit status: 0 success, 1 runtime failure, 2 usage or configuration error\n");
}

static void
s_drop (coord_t *self, drop_t reason)
{
    self->drops [reason]++;
    double now = s_now ();
    if (now - self->drop_logged [reason] >= 1.0) {
        self->drop_logged [reason] = now;
        fprintf (stderr, "coordinator: dropped a message: %s (%" PRIu64 " so far)\n",
                 s_drop_names [reason], self->drops [reason]);
    }
}

static void
s_slot_destroy (slot_t **slot_p)
{
    if (*slot_p) {
        slot_t *slot = *slot_p;
        free (slot->have);
        free (slot->x);
        free (slot->theta);
        free (slot->s);
        free (slot->counters);
        free (slot);
        *slot_p = NULL;
    }
}

static slot_t *
s_slot_new (coord_t *self, int64_t round)
{
    slot_t *slot = calloc (1, sizeof (slot_t));
    if (!slot)
        return NULL;
    size_t n = (size_t) self->n;
    slot->round = round;
    slot->have = calloc (n, 1);
    slot->x = calloc (n * self->d, sizeof (double));
    slot->theta = calloc (n * self->K, sizeof (double));
    slot->s = calloc (n * self->K, sizeof (double));
    slot->counters = calloc (n * SS_CTR_COUNT, sizeof (uint64_t));
    if (!slot->have || !slot->x || !slot->theta || !slot->s || !slot->counters)
        s_slot_destroy (&slot);
    return slot;
}

static void
s_coord_destroy (coord_t *self)
{
    for (int i = 0; i < SLOTS; i++)
        s_slot_destroy (&self->slots [i]);
    free (self->members);
    free (self->pos);
    free (self->sub_x);
    free (self->sub_x0);
    free (self->sub_theta);
    free (self->sub_s);
    free (self->lost_ids);
    if (self->routes)
        for (int i = 0; i < self->n; i++)
            zframe_destroy (&self->routes [i]);
    free (self->routes);
    zsock_destroy (&self->router);
    zactor_destroy (&self->auth);
    zcert_destroy (&self->cert);
    ss_runlog_destroy (&self->log);
    ss_work_destroy (&self->work);
    ss_problem_destroy (&self->problem);
    free (self->x0);
    free (self->grad);
    free (self->theta_warm);
    ss_fleet_destroy (&self->fleet);
}

//  Send one frame (and an optional text frame) to a routing id
static int
s_send_to (coord_t *self, zframe_t *route, const uint8_t *data, size_t size,
           const char *text)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &(zframe_t *) { zframe_dup (route) });
    zmsg_addmem (msg, data, size);
    if (text)
        zmsg_addstr (msg, text);
    return zmsg_send (&msg, self->router);
}

//  Send an encoded frame to every agent we know a route to; the count told
static int
s_broadcast (coord_t *self, const uint8_t *data, size_t size)
{
    int told = 0;
    for (int i = 0; i < self->n; i++)
        if (self->routes [i] && s_send_to (self, self->routes [i], data, size, NULL) == 0)
            told++;
    return told;
}

static void
s_header (coord_t *self, ss_header_t *hdr, ss_msg_type_t type)
{
    hdr->version = SS_PROTO_VERSION;
    hdr->type = type;
    hdr->fleet = self->fleet_id;
    hdr->epoch = 0;
    hdr->round = self->highest < 0? 0: (uint64_t) self->highest;
    hdr->sender = SS_PROTO_COORDINATOR;
}

static void
s_send_stop (coord_t *self, int64_t stop_round)
{
    ss_control_t stop = { .command = SS_CONTROL_STOP, .arg = (uint64_t) stop_round };
    s_header (self, &stop.hdr, SS_MSG_CONTROL);
    uint8_t *data;
    size_t size;
    if (ss_control_encode (&stop, &data, &size) == 0) {
        int told = s_broadcast (self, data, size);
        if (self->verbose)
            fprintf (stderr, "coordinator: STOP after round %lld sent to %d agents\n",
                     (long long) stop_round, told);
        free (data);
    }
}

//  Is the frame's authenticated peer the one it claims to be?
static bool
s_authentic (coord_t *self, zframe_t *frame, int agent_id)
{
    if (self->insecure)
        return true;
    const char *name = ss_keys_peer_name (frame);
    if (!name)
        return false;
    char want [64];
    ss_keys_name (agent_id, want, sizeof want);
    return streq (name, want);
}

static void
s_remember_route (coord_t *self, int id, zframe_t *route)
{
    if (!self->routes [id] || !zframe_eq (self->routes [id], route)) {
        zframe_destroy (&self->routes [id]);
        self->routes [id] = zframe_dup (route);
    }
}

//  Check which agents switched to the targets they should have by round k
//  (among the agents that reported round k)
static void
s_verify_targets (coord_t *self, slot_t *slot)
{
    while (self->verified < self->n_targets) {
        int t = self->verified;
        uint64_t at = self->targets [t].switch_round;
        if ((uint64_t) slot->round <= at)
            return;
        int on_time = 0, seen = 0;
        uint64_t late = 0, lo = UINT64_MAX, hi = 0;
        for (int i = 0; i < self->n; i++) {
            if (!slot->have [i])
                continue;
            seen++;
            const uint64_t *c = slot->counters + (size_t) i * SS_CTR_COUNT;
            if (c [SS_CTR_TARGETS] < (uint64_t) t + 1)
                return;             //  not everyone yet: look again later
            late += c [SS_CTR_LATE_TARGETS];
            uint64_t r = c [SS_CTR_TARGET_ROUND];
            if (c [SS_CTR_TARGETS] == (uint64_t) t + 1) {
                if (r == at)
                    on_time++;
                if (r < lo)
                    lo = r;
                if (r > hi)
                    hi = r;
            }
            else
                on_time++;          //  already on a later target
        }
        fprintf (stderr, "coordinator: target %d: %d/%d agents switched at round %"
                         PRIu64 " (rounds %" PRIu64 "..%" PRIu64 ", late %" PRIu64
                         ", checked at round %lld)\n", t + 1, on_time, seen, at,
                 lo == UINT64_MAX? at: lo, lo == UINT64_MAX? at: hi, late,
                 (long long) slot->round);
        self->verified++;
    }
}

static void
s_print_progress (coord_t *self, int64_t k, bool last)
{
    if (self->quiet)
        return;
    double now = s_now ();
    bool due;
    if (self->fleet->rounds > 0)
        due = k % self->progress == 0;
    else
        due = now - self->last_print >= 5.0 || k == 0;
    if (!due && !last)
        return;
    self->last_print = now;
    if (self->fleet->rounds > 0)
        fprintf (stderr, "coordinator: round %lld/%lld  J %.6f  kl %.6f  disagreement %.2e"
                         "  grad %.3g  step %.2e\n", (long long) k,
                 (long long) self->fleet->rounds, self->score.J, self->score.kl,
                 self->score.disagreement, self->score.grad, self->last_step);
    else
        fprintf (stderr, "coordinator: round %lld  J %.6f  kl %.6f  disagreement %.2e"
                         "  grad %.3g  step %.2e\n", (long long) k, self->score.J,
                 self->score.kl, self->score.disagreement, self->score.grad,
                 self->last_step);
}

//  Report rounds r with a < r < b (a may be -1: from round 0). Agents
//  report at 0, every `every` rounds and at the last round.
static int64_t
s_report_rounds_between (coord_t *self, int64_t a, int64_t b)
{
    if (b <= a + 1)
        return 0;
    int64_t e = self->every;
    int64_t upto_b = b - 1 < 0? 0: (b - 1) / e + 1;     //  multiples in [0, b-1]
    int64_t upto_a = a < 0? 0: a / e + 1;               //  multiples in [0, a]
    int64_t count = upto_b - upto_a;
    int64_t last = self->fleet->rounds;
    if (last > 0 && last % e != 0 && a < last && last < b)
        count++;
    return count;
}

static int
s_live_count (coord_t *self)
{
    int live = 0;
    for (int i = 0; i < self->n; i++)
        if (!self->members [i].lost)
            live++;
    return live;
}

static void
s_collect_lost (coord_t *self)
{
    self->n_lost = 0;
    for (int i = 0; i < self->n; i++)
        if (self->members [i].lost)
            self->lost_ids [self->n_lost++] = i;
}

//  A sign of life from agent i (REPORT or HEARTBEAT): re-admit it if lost
static void
s_heard (coord_t *self, int i, double now)
{
    member_t *m = &self->members [i];
    if (m->lost) {
        double silent = now - (m->heard > 0? m->heard: self->start);
        m->lost = false;
        fprintf (stderr, "coordinator: agent %d is back after %.1f s of silence "
                         "(%d agents live)\n", i, silent, s_live_count (self));
    }
    m->heard = now;
}

//  Declare lost every agent silent for lost_after (an agent never heard
//  from is silent since the coordinator started). Only called when every
//  queued message has been read: our own backlog is never taken for an
//  agent's silence.
static void
s_check_liveness (coord_t *self, double now)
{
    for (int i = 0; i < self->n; i++) {
        member_t *m = &self->members [i];
        double since = m->heard > 0? m->heard: self->start;
        if (m->lost || now - since < self->lost_after)
            continue;
        m->lost = true;
        char last [64] = "never reported";
        if (m->hi >= 0)
            snprintf (last, sizeof last, "last report round %lld", (long long) m->hi);
        fprintf (stderr, "coordinator: agent %d lost: %s for %.1f s (%s; %d agents live)\n",
                 i, m->heard > 0? "silent": "not heard from", now - since, last,
                 s_live_count (self));
    }
}

//  Score the agents that reported slot's round, write its trace row
static int
s_complete (coord_t *self, slot_t *slot)
{
    int64_t k = slot->round;
    while (self->applied < self->n_targets
       &&  self->targets [self->applied].switch_round < (uint64_t) k) {
        ss_problem_set_target (self->problem, &self->targets [self->applied].mixture);
        self->applied++;
    }
    //  The reporting agents, packed in ascending id order (all of them in an
    //  undisturbed run: then this is exactly what sim scores)
    size_t d = (size_t) self->d, K = (size_t) self->K;
    int m = 0;
    for (int i = 0; i < self->n; i++) {
        if (!slot->have [i])
            continue;
        memcpy (self->sub_x + m * d, slot->x + i * d, d * sizeof (double));
        memcpy (self->sub_x0 + m * d, self->x0 + i * d, d * sizeof (double));
        memcpy (self->sub_theta + m * K, slot->theta + i * K, K * sizeof (double));
        memcpy (self->sub_s + m * K, slot->s + i * K, K * sizeof (double));
        m++;
    }
    ss_score_state (self->problem, m, self->sub_x, self->sub_x0, self->sub_theta,
                    self->sub_s, K, self->theta_warm, self->grad, self->work,
                    &self->score);
    if (!self->have_first) {
        self->first = self->score;
        self->have_first = true;
    }
    int64_t gap = s_report_rounds_between (self, self->last_round, k);
    if (!self->synced && gap > 0) {
        int64_t from = self->last_round < 0? 0: self->last_round + self->every;
        int64_t to = k - self->every;
        if (to < from)
            to = from;
        if (self->resumed >= 0)
            fprintf (stderr, "coordinator: resumed run: last traced round %lld, missed "
                             "rounds %lld .. %lld (%lld report rounds); tracing from "
                             "round %lld\n", (long long) self->resumed, (long long) from,
                     (long long) to, (long long) gap, (long long) k);
        else
            fprintf (stderr, "coordinator: first complete report round %lld: missed "
                             "rounds %lld .. %lld (%lld report rounds)\n", (long long) k,
                     (long long) from, (long long) to, (long long) gap);
    }
    else
    if (gap > 0)
        fprintf (stderr, "coordinator: no row for %lld report round%s between rounds "
                         "%lld and %lld (missed)\n", (long long) gap, gap > 1? "s": "",
                 (long long) self->last_round, (long long) k);
    else
    if (!self->synced && self->resumed >= 0)
        fprintf (stderr, "coordinator: resumed run: last traced round %lld, missed "
                         "none; tracing from round %lld\n", (long long) self->resumed,
                 (long long) k);
    self->missed += gap;
    self->synced = true;
    self->last_step = slot->step;
    self->last_round = k;
    self->written_rows++;
    s_collect_lost (self);
    if (m < self->n && !self->quiet)
        fprintf (stderr, "coordinator: round %lld: %d of %d agents reported "
                         "(%d declared lost)\n", (long long) k, m, self->n, self->n_lost);
    ss_trace_row_t row = {
        .round = k, .agents = m, .J = self->score.J, .kl = self->score.kl,
        .disagreement = self->score.disagreement, .step = slot->step,
        .grad = self->score.grad, .bias = self->score.bias,
        .seconds = s_now () - self->start, .target = (uint64_t) self->applied,
        .lost = self->lost_ids, .n_lost = self->n_lost
    };
    if (ss_runlog_trace (self->log, &row)) {
        fprintf (stderr, "coordinator: %s: cannot write trace.jsonl\n", self->out);
        return -1;
    }
    s_verify_targets (self, slot);
    s_print_progress (self, k, k == self->final_round);
    return 0;
}

typedef enum { SLOT_WAIT, SLOT_COMPLETE, SLOT_TIMEOUT } slot_state_t;

//  May slot's row be written? Complete when no live agent is still
//  expected: one is expected when it has not reported this round and (once
//  this process has written a row) has not reported a later round either
//  (each agent sends in order on one connection: a report of a later round
//  means this one is gone). Before the first row, complete means every live
//  agent reported it. Otherwise it times out round_timeout after its first
//  report if every agent still expected has been silent for round_timeout
//  (a dead agent, not yet declared lost); agents still talking (heartbeats)
//  are waited for up to lost_after after the first report: a straggler
//  that is merely slow (e.g. its own round waited for a dead neighbour)
//  gets into the row. Deadlines are only judged when caught_up (every
//  queued message read).
static slot_state_t
s_slot_state (coord_t *self, slot_t *slot, bool caught_up, double now)
{
    bool waiting = false, talking = false;
    for (int i = 0; i < self->n; i++) {
        member_t *m = &self->members [i];
        if (slot->have [i] || m->lost)
            continue;
        if (self->synced && m->hi > slot->round)
            continue;
        waiting = true;
        double since = m->heard > 0? m->heard: self->start;
        if (now - since < self->round_timeout)
            talking = true;
    }
    if (!waiting)
        return SLOT_COMPLETE;
    double age = now - slot->first;
    if (caught_up && (age >= self->lost_after || (age >= self->round_timeout && !talking)))
        return SLOT_TIMEOUT;
    return SLOT_WAIT;
}

static int
s_oldest_slot (coord_t *self)
{
    int oldest = -1;
    for (int i = 0; i < SLOTS; i++)
        if (self->slots [i]
        && (oldest < 0 || self->slots [i]->round < self->slots [oldest]->round))
            oldest = i;
    return oldest;
}

//  Write (or, before the first row, give up) the oldest slot
static int
s_close_slot (coord_t *self, int index, bool write)
{
    int rc = 0;
    slot_t *slot = self->slots [index];
    if (write)
        rc = s_complete (self, slot);
    else
    if (self->verbose)
        fprintf (stderr, "coordinator: round %lld: %d of %d agents, not complete: "
                         "waiting for a complete round to start the trace\n",
                 (long long) slot->round, slot->count, self->n);
    s_slot_destroy (&self->slots [index]);
    return rc;
}

//  Write every row that is due, oldest first
static int
s_flush (coord_t *self, bool caught_up)
{
    double now = s_now ();
    if (!self->synced) {
        //  The trace (re)starts at a complete round: older open rounds can
        //  no longer complete in full
        int64_t newest = -1;
        for (int i = 0; i < SLOTS; i++)
            if (self->slots [i] && self->slots [i]->round > newest
            &&  s_slot_state (self, self->slots [i], false, now) == SLOT_COMPLETE)
                newest = self->slots [i]->round;
        for (int i = 0; newest >= 0 && i < SLOTS; i++)
            if (self->slots [i] && self->slots [i]->round < newest)
                s_close_slot (self, i, false);
    }
    while (true) {
        int oldest = s_oldest_slot (self);
        if (oldest < 0)
            return 0;
        slot_state_t state = s_slot_state (self, self->slots [oldest], caught_up, now);
        if (state == SLOT_WAIT)
            return 0;
        if (s_close_slot (self, oldest, self->synced || state == SLOT_COMPLETE))
            return -1;
    }
}

//  An agent past the latest target's switch round that has not applied it
//  (restarted while the target was still pending, or it missed the
//  announcement): announce it again to that agent alone, at most once a
//  second; the agent applies it at once and counts it late
static void
s_resend_target (coord_t *self, int id, zframe_t *route, const ss_report_t *rep,
                 double now)
{
    if (self->n_targets == 0 || rep->n_counters <= SS_CTR_TARGET_ROUND)
        return;
    const target_t *last = &self->targets [self->n_targets - 1];
    member_t *member = &self->members [id];
    if (rep->hdr.round <= last->switch_round
    ||  rep->counters [SS_CTR_TARGET_ROUND] >= last->switch_round
    ||  now - member->target_resent < 1.0)
        return;
    ss_target_t target = {
        .switch_round = last->switch_round, .dim = (uint32_t) self->d,
        .mixture = last->mixture
    };
    s_header (self, &target.hdr, SS_MSG_TARGET);
    uint8_t *data;
    size_t size;
    if (ss_target_encode (&target, &data, &size) == 0) {
        s_send_to (self, route, data, size, NULL);
        free (data);
        member->target_resent = now;
        fprintf (stderr, "coordinator: agent %d reports round %llu without target %d "
                         "(switch round %llu): sent it again\n", id,
                 (unsigned long long) rep->hdr.round, self->n_targets,
                 (unsigned long long) last->switch_round);
    }
}

static void
s_on_report (coord_t *self, zframe_t *route, zframe_t *frame)
{
    ss_report_t rep;
    if (ss_report_decode (zframe_data (frame), zframe_size (frame), &rep)) {
        s_drop (self, DROP_DECODE);
        return;
    }
    if (rep.hdr.fleet != self->fleet_id) {
        s_drop (self, DROP_FLEET);
        return;
    }
    if (rep.hdr.sender >= (uint32_t) self->n) {
        s_drop (self, DROP_SENDER);
        return;
    }
    int id = (int) rep.hdr.sender;
    if (!s_authentic (self, frame, id)) {
        s_drop (self, DROP_AUTH);
        return;
    }
    if (rep.dim != (uint32_t) self->d || rep.k != (uint32_t) self->K) {
        s_drop (self, DROP_SHAPE);
        return;
    }
    s_remember_route (self, id, route);
    if (rep.hdr.round > INT64_MAX / 2) {
        s_drop (self, DROP_STALE);
        return;
    }
    double now = s_now ();
    s_heard (self, id, now);
    int64_t k = (int64_t) rep.hdr.round;
    member_t *member = &self->members [id];
    if (k > self->highest)
        self->highest = k;
    if (k > member->hi)
        member->hi = k;
    if (k > member->pos_round) {
        member->pos_round = k;
        memcpy (self->pos + (size_t) id * self->d, rep.x, (size_t) self->d * sizeof (double));
    }
    if (rep.n_counters > SS_CTR_TARGETS && rep.counters [SS_CTR_TARGETS] > (uint64_t) self->n_targets
    &&  !self->warned_targets) {
        self->warned_targets = true;
        fprintf (stderr, "coordinator: warning: agent %d applied %llu targets, this "
                         "coordinator knows %d: rows score against the targets it knows\n",
                 id, (unsigned long long) rep.counters [SS_CTR_TARGETS], self->n_targets);
    }
    s_resend_target (self, id, route, &rep, now);
    if (k <= self->last_round) {
        //  Its row is written: counted, and its position kept if newest
        self->late++;
        if (now - self->late_logged >= 1.0) {
            self->late_logged = now;
            fprintf (stderr, "coordinator: late report of round %lld from agent %d: "
                             "its row is written (%lld late reports so far)\n",
                     (long long) k, id, (long long) self->late);
        }
        return;
    }
    slot_t *slot = NULL;
    int free_index = -1;
    for (int i = 0; i < SLOTS; i++) {
        if (self->slots [i] && self->slots [i]->round == k)
            slot = self->slots [i];
        else
        if (!self->slots [i] && free_index < 0)
            free_index = i;
    }
    if (!slot) {
        if (free_index < 0) {
            //  Too many rounds open: the oldest is written with what it has
            int oldest = s_oldest_slot (self);
            if (self->slots [oldest]->round > k) {
                s_drop (self, DROP_FULL);
                return;
            }
            s_drop (self, DROP_FULL);
            s_close_slot (self, oldest, self->synced);
            free_index = oldest;
            if (k <= self->last_round) {
                self->late++;
                return;
            }
        }
        slot = self->slots [free_index] = s_slot_new (self, k);
        if (!slot) {
            s_drop (self, DROP_FULL);
            return;
        }
        slot->first = now;
    }
    if (slot->have [id]) {
        s_drop (self, DROP_STALE);
        return;
    }
    slot->have [id] = 1;
    slot->count++;
    memcpy (slot->x + (size_t) id * self->d, rep.x, (size_t) self->d * sizeof (double));
    memcpy (slot->theta + (size_t) id * self->K, rep.theta, (size_t) self->K * sizeof (double));
    memcpy (slot->s + (size_t) id * self->K, rep.s, (size_t) self->K * sizeof (double));
    uint32_t nc = rep.n_counters < SS_CTR_COUNT? rep.n_counters: SS_CTR_COUNT;
    memcpy (slot->counters + (size_t) id * SS_CTR_COUNT, rep.counters, nc * sizeof (uint64_t));
    if (rep.step > slot->step)
        slot->step = rep.step;
    s_flush (self, false);
}

static void
s_on_heartbeat (coord_t *self, zframe_t *route, zframe_t *frame)
{
    ss_heartbeat_t hb;
    if (ss_heartbeat_decode (zframe_data (frame), zframe_size (frame), &hb)) {
        s_drop (self, DROP_DECODE);
        return;
    }
    if (hb.hdr.fleet != self->fleet_id) {
        s_drop (self, DROP_FLEET);
        return;
    }
    if (hb.hdr.sender >= (uint32_t) self->n) {
        s_drop (self, DROP_SENDER);
        return;
    }
    if (!s_authentic (self, frame, (int) hb.hdr.sender)) {
        s_drop (self, DROP_AUTH);
        return;
    }
    s_remember_route (self, (int) hb.hdr.sender, route);
    s_heard (self, (int) hb.hdr.sender, s_now ());
}

//  targets.txt in the run directory: every target announced, one line
//  each ("switch_round count weight mean... std ..."), so that a restarted
//  coordinator scores against the same targets
static void
s_save_targets (coord_t *self)
{
    size_t size = (size_t) self->n_targets * 64 * (SS_MAX_COMPONENTS * (SS_MAX_DIM + 2) + 2) + 1;
    char *text = calloc (size, 1);
    if (!text)
        return;
    size_t used = 0;
    for (int t = 0; t < self->n_targets; t++) {
        const ss_mixture_t *mix = &self->targets [t].mixture;
        used += snprintf (text + used, size - used, "%" PRIu64 " %d",
                          self->targets [t].switch_round, mix->count);
        for (int c = 0; c < mix->count; c++) {
            used += snprintf (text + used, size - used, " %.17g", mix->comp [c].weight);
            for (int a = 0; a < self->d; a++)
                used += snprintf (text + used, size - used, " %.17g", mix->comp [c].mean [a]);
            used += snprintf (text + used, size - used, " %.17g", mix->comp [c].std);
        }
        used += snprintf (text + used, size - used, "\n");
    }
    if (ss_runlog_text (self->log, "targets.txt", text))
        fprintf (stderr, "coordinator: %s: cannot write targets.txt\n", self->out);
    free (text);
}

static void
s_load_targets (coord_t *self)
{
    char path [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/targets.txt", self->out);
    FILE *file = fopen (path, "r");
    if (!file)
        return;
    while (self->n_targets < MAX_TARGETS) {
        target_t *t = &self->targets [self->n_targets];
        memset (t, 0, sizeof *t);
        if (fscanf (file, "%" SCNu64 " %d", &t->switch_round, &t->mixture.count) != 2
        ||  t->mixture.count < 1 || t->mixture.count > SS_MAX_COMPONENTS)
            break;
        bool ok = true;
        for (int c = 0; ok && c < t->mixture.count; c++) {
            ok = fscanf (file, "%lf", &t->mixture.comp [c].weight) == 1;
            for (int a = 0; ok && a < self->d; a++)
                ok = fscanf (file, "%lf", &t->mixture.comp [c].mean [a]) == 1;
            ok = ok && fscanf (file, "%lf", &t->mixture.comp [c].std) == 1;
        }
        ss_problem_t *check = ok? ss_problem_new (&self->fleet->model, &t->mixture): NULL;
        if (!check)
            break;
        ss_problem_destroy (&check);
        self->n_targets++;
    }
    fclose (file);
    self->verified = self->n_targets;      //  checked before the restart
    if (self->n_targets > 0)
        fprintf (stderr, "coordinator: %d target%s from %s\n", self->n_targets,
                 self->n_targets > 1? "s": "", path);
}

//  A number after "key": in a flat JSON line; fallback when absent or null
static double
s_json_number (const char *line, const char *key, double fallback)
{
    char pattern [64];
    snprintf (pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr (line, pattern);
    if (!at)
        return fallback;
    char *end;
    double value = strtod (at + strlen (pattern), &end);
    return end == at + strlen (pattern)? fallback: value;
}

//  Does the run directory hold an unfinished run of this fleet? Then pick
//  it up: the last traced round, the scores of the first and last rows,
//  the report rounds missing from the trace, the run's start time and its
//  targets. true: resume (append to trace.jsonl).
static bool
s_try_resume (coord_t *self)
{
    char path [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/run.json", self->out);
    FILE *file = fopen (path, "r");
    if (!file)
        return false;
    char line [1024] = "";
    bool got = fgets (line, sizeof line, file) != NULL;
    fclose (file);
    char want [64];
    snprintf (want, sizeof want, "\"fleet_id\":\"%016" PRIx64 "\"", self->fleet_id);
    if (!got || !strstr (line, want)) {
        fprintf (stderr, "coordinator: %s holds a run of another fleet: starting a new "
                         "one\n", self->out);
        return false;
    }
    double started = s_json_number (line, "started", 0);
    snprintf (path, sizeof path, "%s/trace.jsonl", self->out);
    file = fopen (path, "r");
    if (!file)
        return false;
    char row [4096];
    int64_t last = -1, missed = 0, rows = 0;
    ss_sim_score_t first = { 0 }, score = { 0 };
    while (fgets (row, sizeof row, file)) {
        size_t len = strlen (row);
        if (len < 2 || row [0] != '{' || row [len - 1] != '\n' || row [len - 2] != '}')
            continue;           //  not a whole row
        double r = s_json_number (row, "round", -1);
        if (r < 0 || r <= last || r > (double) (INT64_MAX / 4))
            continue;
        ss_sim_score_t sc = {
            .J = s_json_number (row, "J", NAN), .kl = s_json_number (row, "kl", NAN),
            .disagreement = s_json_number (row, "disagreement", NAN),
            .grad = s_json_number (row, "grad", NAN), .bias = s_json_number (row, "bias", NAN)
        };
        if (rows == 0)
            first = sc;
        score = sc;
        missed += s_report_rounds_between (self, last, (int64_t) r);
        last = (int64_t) r;
        self->last_step = s_json_number (row, "step", 0);
        rows++;
    }
    fclose (file);
    if (rows == 0)
        return false;
    if (self->fleet->rounds > 0 && last >= self->fleet->rounds) {
        fprintf (stderr, "coordinator: %s holds a finished run of this fleet: starting "
                         "a new one\n", self->out);
        return false;
    }
    self->resumed = last;
    self->last_round = last;
    self->highest = last;
    self->missed = missed;
    self->first = first;
    self->score = score;
    self->have_first = true;
    if (started > 0) {
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        double ago = ts.tv_sec + ts.tv_nsec * 1e-9 - started;
        if (ago > 0)
            self->start = s_now () - ago;
    }
    s_load_targets (self);
    fprintf (stderr, "coordinator: resuming the run in %s: %lld rows, last traced round "
                     "%lld, %lld report rounds missed so far\n", self->out,
             (long long) rows, (long long) last, (long long) missed);
    return true;
}

static int64_t
s_next_switch (coord_t *self)
{
    return (self->highest < 0? 0: self->highest) + self->margin;
}

static void
s_on_target (coord_t *self, zframe_t *route, zframe_t *frame)
{
    ss_target_t target;
    if (ss_target_decode (zframe_data (frame), zframe_size (frame), &target)) {
        s_drop (self, DROP_DECODE);
        return;
    }
    if (target.hdr.fleet != self->fleet_id) {
        s_drop (self, DROP_FLEET);
        return;
    }
    if (!s_authentic (self, frame, -1)
    ||  (self->insecure && target.hdr.sender != SS_PROTO_COORDINATOR)) {
        s_drop (self, DROP_AUTH);
        return;
    }
    if (target.dim != (uint32_t) self->d || self->n_targets == MAX_TARGETS) {
        s_drop (self, DROP_TARGET);
        return;
    }
    ss_problem_t *check = ss_problem_new (&self->fleet->model, &target.mixture);
    if (!check) {
        s_drop (self, DROP_TARGET);
        return;
    }
    ss_problem_destroy (&check);
    int64_t at = s_next_switch (self);
    if (target.switch_round > (uint64_t) at && target.switch_round < INT64_MAX / 2)
        at = (int64_t) target.switch_round;
    //  Switch rounds only grow: the scoring problem switches in order
    if (self->n_targets > 0 && (uint64_t) at <= self->targets [self->n_targets - 1].switch_round)
        at = (int64_t) self->targets [self->n_targets - 1].switch_round + 1;
    target.switch_round = (uint64_t) at;
    self->targets [self->n_targets].switch_round = (uint64_t) at;
    self->targets [self->n_targets].mixture = target.mixture;
    self->n_targets++;
    s_save_targets (self);
    s_header (self, &target.hdr, SS_MSG_TARGET);
    uint8_t *data;
    size_t size;
    if (ss_target_encode (&target, &data, &size)) {
        fprintf (stderr, "coordinator: cannot encode a target\n");
        return;
    }
    int told = s_broadcast (self, data, size);
    s_send_to (self, route, data, size, NULL);
    free (data);
    fprintf (stderr, "coordinator: target %d from the operator: switch at round %lld "
                     "(highest reported %lld), sent to %d/%d agents\n", self->n_targets,
             (long long) at, (long long) self->highest, told, self->n);
    if (self->final_round >= 0 && at >= self->final_round)
        fprintf (stderr, "coordinator: warning: the run ends at round %lld, "
                         "before target %d switches\n", (long long) self->final_round,
                 self->n_targets);
}

//  Ask the agents to stop at highest + margin and wait for their last reports
static void
s_begin_stop (coord_t *self, double wait)
{
    int64_t at = s_next_switch (self);
    if (self->final_round < 0 || at < self->final_round)
        self->final_round = at;
    if (self->final_round <= self->last_round) {
        self->deadline = s_now ();      //  nothing left to wait for
        return;
    }
    s_send_stop (self, self->final_round);
    self->deadline = s_now () + wait;
    fprintf (stderr, "coordinator: stopping the fleet after round %lld\n",
             (long long) self->final_round);
}

//  The status of the run as one JSON object
static void
s_status_text (coord_t *self, char *text, size_t size)
{
    bool some = self->last_round >= 0;
    int used = snprintf (text, size,
              "{\"round\":%lld,\"agents\":%d,\"J\":%.17g,\"kl\":%.17g,"
              "\"disagreement\":%.17g,\"highest\":%lld,\"final\":%lld,"
              "\"targets\":%d,\"missed_reports\":%lld,\"late_reports\":%lld,"
              "\"fleet_agents\":%d,\"lost\":[",
              (long long) self->last_round, s_live_count (self), some? self->score.J: 0,
              some? self->score.kl: 0, some? self->score.disagreement: 0,
              (long long) self->highest, (long long) self->final_round,
              self->n_targets, (long long) self->missed, (long long) self->late,
              self->n);
    bool first = true;
    for (int i = 0; i < self->n && used > 0 && (size_t) used + 16 < size; i++)
        if (self->members [i].lost) {
            used += snprintf (text + used, size - used, "%s%d", first? "": ",", i);
            first = false;
        }
    if (used > 0 && (size_t) used + 3 < size)
        snprintf (text + used, size - used, "]}");
}

static void
s_on_control (coord_t *self, zframe_t *route, zframe_t *frame)
{
    ss_control_t control;
    if (ss_control_decode (zframe_data (frame), zframe_size (frame), &control)) {
        s_drop (self, DROP_DECODE);
        return;
    }
    if (control.hdr.fleet != self->fleet_id) {
        s_drop (self, DROP_FLEET);
        return;
    }
    if (!s_authentic (self, frame, -1)
    ||  (self->insecure && control.hdr.sender != SS_PROTO_COORDINATOR)) {
        s_drop (self, DROP_AUTH);
        return;
    }
    ss_control_t reply = { .command = control.command };
    s_header (self, &reply.hdr, SS_MSG_CONTROL);
    char text [STATUS_SIZE] = "";
    if (control.command == SS_CONTROL_STOP) {
        if (self->deadline == 0)
            s_begin_stop (self, STOP_WAIT);
        reply.arg = (uint64_t) self->final_round;
        fprintf (stderr, "coordinator: STOP from the operator\n");
    }
    else
    if (control.command == SS_CONTROL_STATUS) {
        reply.arg = self->last_round < 0? UINT64_MAX: (uint64_t) self->last_round;
        s_status_text (self, text, sizeof text);
    }
    else {
        s_drop (self, DROP_TYPE);
        return;
    }
    uint8_t *data;
    size_t size;
    if (ss_control_encode (&reply, &data, &size) == 0) {
        s_send_to (self, route, data, size, *text? text: NULL);
        free (data);
    }
}

static void
s_on_message (coord_t *self, zmsg_t *msg)
{
    if (zmsg_size (msg) != 2) {
        s_drop (self, DROP_DECODE);
        return;
    }
    zframe_t *route = zmsg_first (msg);
    zframe_t *frame = zmsg_next (msg);
    ss_header_t hdr;
    if (ss_header_decode (zframe_data (frame), zframe_size (frame), &hdr)) {
        s_drop (self, DROP_DECODE);
        return;
    }
    switch (hdr.type) {
        case SS_MSG_REPORT:    s_on_report (self, route, frame); break;
        case SS_MSG_HEARTBEAT: s_on_heartbeat (self, route, frame); break;
        case SS_MSG_TARGET:    s_on_target (self, route, frame); break;
        case SS_MSG_CONTROL:   s_on_control (self, route, frame); break;
        default:               s_drop (self, DROP_TYPE); break;
    }
}

//  positions.csv: every agent's last known position (its last report; the
//  initial position if it never reported to this process); summary.json
//  of the last row. 0 or -1.
static int
s_write_files (coord_t *self)
{
    if (self->last_round < 0) {
        //  Nothing reported: the round-0 state, as every agent starts it
        size_t n = (size_t) self->n, K = (size_t) self->K;
        double *theta = calloc (n * K, sizeof (double));
        double *s = calloc (n * K, sizeof (double));
        if (!theta || !s) {
            free (theta);
            free (s);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            ss_footprint (self->problem, self->x0 + i * self->d, s + i * K);
        ss_score_state (self->problem, self->n, self->x0, self->x0, theta, s,
                        K, self->theta_warm, self->grad, self->work, &self->score);
        self->first = self->score;
        free (theta);
        free (s);
    }
    int64_t done = self->last_round < 0? 0: self->last_round;
    double seconds = s_now () - self->start;
    if (ss_runlog_positions (self->log, "positions.csv", self->pos, self->n, self->d)) {
        fprintf (stderr, "coordinator: %s: cannot write positions.csv\n", self->out);
        return -1;
    }
    s_collect_lost (self);
    int live = s_live_count (self);
    ss_summary_t summary = {
        .mode = "launch", .fleet = self->fleet->name, .rounds = done,
        .agents = live, .lost = self->lost_ids, .n_lost = self->n_lost,
        .late_reports = self->late, .J0 = self->first.J, .J = self->score.J,
        .kl0 = self->first.kl, .kl = self->score.kl, .grad0 = self->first.grad,
        .grad = self->score.grad, .disagreement = self->score.disagreement,
        .bias = self->score.bias, .seconds = seconds,
        .rounds_per_second = seconds > 0? done / seconds: 0,
        .missed_reports = self->missed
    };
    if (ss_runlog_summary (self->log, &summary)) {
        fprintf (stderr, "coordinator: %s: cannot write summary.json\n", self->out);
        return -1;
    }
    if (!self->quiet)
        fprintf (stderr, "coordinator: done: %lld rounds, %d of %d agents live, J %.6f -> "
                         "%.6f, %.1f rounds/s, %lld report rounds missed, %lld late "
                         "reports; files in %s\n", (long long) done, live, self->n,
                 self->first.J, self->score.J, summary.rounds_per_second,
                 (long long) self->missed, (long long) self->late, self->out);
    return 0;
}

static int
s_setup (coord_t *self, char *err, size_t err_size, int *exit_code)
{
    ss_fleet_t *fleet = self->fleet;
    *exit_code = 2;
    if (!self->insecure && !fleet->curve) {
        snprintf (err, err_size, "%s: security/curve: 0 needs --insecure", fleet->path);
        return -1;
    }
    self->n = fleet->count;
    self->d = fleet->model.dim;
    self->every = fleet->report_every;
    self->margin = 5 * (int64_t) self->every > 50? 5 * (int64_t) self->every: 50;
    self->fleet_id = ss_fleet_id (fleet);
    self->problem = ss_problem_new (&fleet->model, &fleet->target);
    if (!self->problem) {
        snprintf (err, err_size, "%s: fleet/model: cannot build the model", fleet->path);
        return -1;
    }
    ss_graph_t *graph = ss_fleet_graph (fleet, err, err_size);
    if (!graph)
        return -1;
    ss_graph_destroy (&graph);
    if (!self->insecure) {
        self->cert = ss_keys_load_secret (fleet, "coordinator", err, err_size);
        if (!self->cert)
            return -1;
    }
    *exit_code = 1;
    self->K = self->problem->K;
    size_t n = (size_t) self->n, d = (size_t) self->d;
    self->work = ss_work_new (self->problem);
    self->x0 = calloc (n * d, sizeof (double));
    self->grad = calloc (n * d, sizeof (double));
    self->theta_warm = calloc ((size_t) self->K, sizeof (double));
    self->routes = calloc (n, sizeof (zframe_t *));
    self->members = calloc (n, sizeof (member_t));
    self->pos = calloc (n * d, sizeof (double));
    self->sub_x = calloc (n * d, sizeof (double));
    self->sub_x0 = calloc (n * d, sizeof (double));
    self->sub_theta = calloc (n * self->K, sizeof (double));
    self->sub_s = calloc (n * self->K, sizeof (double));
    self->lost_ids = calloc (n, sizeof (int));
    if (!self->work || !self->x0 || !self->grad
    ||  !self->theta_warm || !self->routes || !self->members || !self->pos
    ||  !self->sub_x || !self->sub_x0 || !self->sub_theta || !self->sub_s
    ||  !self->lost_ids) {
        snprintf (err, err_size, "out of memory for %d agents", self->n);
        return -1;
    }
    ss_fleet_positions (fleet, self->x0);
    memcpy (self->pos, self->x0, n * d * sizeof (double));
    for (size_t i = 0; i < n; i++)
        self->members [i] = (member_t) { .hi = -1, .pos_round = -1 };
    self->lost_after = fleet->lost_after_ms / 1000.0;
    self->round_timeout = fleet->round_timeout_ms / 1000.0;
    self->last_round = -1;
    self->highest = -1;
    self->resumed = -1;
    self->final_round = fleet->rounds > 0? fleet->rounds: -1;
    int64_t every = self->every;
    if (fleet->rounds > 0) {
        self->progress = every * ((fleet->rounds / 20 + every - 1) / every);
        if (self->progress < every)
            self->progress = every;
    }
    bool resume = !self->fresh && s_try_resume (self);
    self->log = ss_runlog_new (self->out, resume, err, err_size);
    if (!self->log)
        return -1;
    if (!resume) {
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        char run [512];
        snprintf (run, sizeof run, "{\"fleet\":\"%s\",\"fleet_id\":\"%016" PRIx64
                  "\",\"agents\":%d,\"rounds\":%lld,\"report_every\":%d,"
                  "\"started\":%.3f}\n", fleet->name, self->fleet_id, self->n,
                  (long long) fleet->rounds, self->every, ts.tv_sec + ts.tv_nsec * 1e-9);
        char targets [PATH_MAX + 32];
        snprintf (targets, sizeof targets, "%s/targets.txt", self->out);
        unlink (targets);
        if (ss_runlog_text (self->log, "run.json", run)) {
            snprintf (err, err_size, "%s: cannot write run.json", self->out);
            return -1;
        }
    }
    if (ss_runlog_positions (self->log, "initial.csv", self->x0, self->n, self->d)) {
        snprintf (err, err_size, "%s: cannot write initial.csv", self->out);
        return -1;
    }
    if (self->insecure)
        fprintf (stderr, "coordinator: warning: --insecure: no encryption, "
                         "no authentication\n");
    else {
        self->auth = ss_keys_start_auth (fleet, self->verbose, err, err_size);
        if (!self->auth)
            return -1;
    }
    self->router = zsock_new (ZMQ_ROUTER);
    if (!self->router) {
        snprintf (err, err_size, "cannot create a socket");
        return -1;
    }
    zsock_set_linger (self->router, 500);
    zsock_set_rcvhwm (self->router, self->n * 8 > 1000? self->n * 8: 1000);
    zsock_set_sndhwm (self->router, self->n * 8 > 1000? self->n * 8: 1000);
    if (self->cert)
        ss_keys_apply_server (self->router, self->cert);
    if (zsock_bind (self->router, "%s", fleet->coordinator) == -1) {
        snprintf (err, err_size, "%s: coordinator/endpoint: cannot bind %s: %s",
                  fleet->path, fleet->coordinator, zmq_strerror (zmq_errno ()));
        return -1;
    }
    *exit_code = 0;
    return 0;
}

int
main (int argc, char **argv)
{
    static struct option options [] = {
        { "fleet", required_argument, 0, 'F' },
        { "out", required_argument, 0, 'o' },
        { "set", required_argument, 0, 's' },
        { "insecure", no_argument, 0, 'I' },
        { "fresh", no_argument, 0, 'f' },
        { "quiet", no_argument, 0, 'q' },
        { "verbose", no_argument, 0, 'v' },
        { "help", no_argument, 0, 'h' },
        { "version", no_argument, 0, 'V' },
        { 0, 0, 0, 0 }
    };
    const char *fleet_path = NULL, *out = NULL;
    const char **sets = calloc ((size_t) argc + 1, sizeof (char *));
    int n_sets = 0;
    bool insecure = false, quiet = false, verbose = false, fresh = false;
    opterr = 0;
    int opt;
    while ((opt = getopt_long (argc, argv, ":F:o:s:Iqvh", options, NULL)) != -1) {
        switch (opt) {
            case 'F': fleet_path = optarg; break;
            case 'o': out = optarg; break;
            case 's': sets [n_sets++] = optarg; break;
            case 'I': insecure = true; break;
            case 'f': fresh = true; break;
            case 'q': quiet = true; break;
            case 'v': verbose = true; break;
            case 'h': s_usage (stdout); free (sets); return 0;
            case 'V': printf ("coordinator %s\n", SS_VERSION); free (sets); return 0;
            case ':':
                fprintf (stderr, "coordinator: option '%s' needs a value\n", argv [optind - 1]);
                free (sets);
                return 2;
            default:
                fprintf (stderr, "coordinator: unknown option '%s' (see --help)\n",
                         argv [optind - 1]);
                free (sets);
                return 2;
        }
    }
    if (optind < argc || !fleet_path || !out) {
        if (optind < argc)
            fprintf (stderr, "coordinator: unexpected argument '%s'\n", argv [optind]);
        else
            fprintf (stderr, "coordinator: missing %s (see --help)\n",
                     fleet_path? "--out DIR": "--fleet FILE");
        free (sets);
        return 2;
    }
    char err [16384] = "";
    coord_t self_store = { 0 }, *self = &self_store;
    self->out = out;
    self->quiet = quiet;
    self->verbose = verbose;
    self->insecure = insecure;
    self->fresh = fresh;
    self->start = s_now ();
    self->fleet = ss_fleet_load (fleet_path, sets, n_sets, err, sizeof err);
    if (self->fleet && ss_fleet_check_ports (self->fleet, err, sizeof err))
        ss_fleet_destroy (&self->fleet);
    free (sets);
    if (!self->fleet) {
        fprintf (stderr, "coordinator: %s\n", err);
        return 2;
    }
    //  Our own signal handling: CZMQ's would make sockets fail with EINTR
    zsys_handler_set (NULL);
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);

    int rc;
    if (s_setup (self, err, sizeof err, &rc)) {
        fprintf (stderr, "coordinator: %s\n", err);
        s_coord_destroy (self);
        return rc;
    }
    if (!quiet)
        fprintf (stderr, "coordinator: fleet %s, %d agents, listening on %s%s\n",
                 self->fleet->name, self->n, self->fleet->coordinator,
                 insecure? " (insecure)": " (CURVE)");
    ss_notify_ready ();        //  bound: systemctl start returns (Type=notify)
    zpoller_t *poller = zpoller_new (self->router, NULL);
    zpoller_set_nonstop (poller, true);
    int seen_signals = 0;
    rc = 0;
    while (true) {
        if (s_signals != seen_signals) {
            seen_signals = s_signals;
            if (seen_signals > 1 || self->fleet->rounds > 0 || self->deadline > 0)
                break;          //  write what we have
            fprintf (stderr, "coordinator: signal: stopping the fleet\n");
            s_begin_stop (self, SIGNAL_WAIT);
        }
        if (self->final_round >= 0 && self->last_round >= self->final_round) {
            s_send_stop (self, self->final_round);
            break;
        }
        if (self->fleet->rounds > 0 && self->highest >= 0 && s_live_count (self) == 0
        &&  s_oldest_slot (self) < 0) {
            //  Every agent finished (or died): nothing more will come
            int64_t gap = s_report_rounds_between (self, self->last_round,
                                                   self->final_round + 1);
            fprintf (stderr, "coordinator: every agent is silent: ending the run at "
                             "round %lld (%lld report rounds up to %lld never seen)\n",
                     (long long) self->last_round, (long long) gap,
                     (long long) self->final_round);
            self->missed += gap;
            break;
        }
        if (self->deadline > 0 && s_now () >= self->deadline) {
            fprintf (stderr, "coordinator: gave up waiting for the reports of round %lld "
                             "(last complete round %lld)\n", (long long) self->final_round,
                     (long long) self->last_round);
            if (!seen_signals)
                rc = 1;
            break;
        }
        void *which = zpoller_wait (poller, POLL_MS);
        if (which == self->router) {
            //  Drain what is queued, then look at signals and deadlines
            for (int burst = 0; burst < 1000
                            && (zsock_events (self->router) & ZMQ_POLLIN); burst++) {
                zmsg_t *msg = zmsg_recv (self->router);
                if (!msg)
                    break;
                s_on_message (self, msg);
                zmsg_destroy (&msg);
            }
        }
        if (!(zsock_events (self->router) & ZMQ_POLLIN)) {
            //  Caught up: judge silences and deadlines
            s_check_liveness (self, s_now ());
            if (s_flush (self, true))
                rc = 1;
        }
    }
    zpoller_destroy (&poller);
    if (s_write_files (self))
        rc = 1;
    s_coord_destroy (self);
    return rc;
}
