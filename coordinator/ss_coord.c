/*  ss_coord: the coordinator's reactor and handlers (see ss_coord.h and
    coordinator/README.md).

    Trust: a REPORT or HEARTBEAT is agent i's only when the frame's ZAP
    user id (the name of the key's file) is "agent-<i>"; TARGET and
    CONTROL are obeyed from "operator" only. What goes to agent i (TARGET,
    STOP) goes to the connection whose message was the first authenticated
    as agent i, and to a later one of agent i's only once that one is gone
    (a send to it fails: ROUTER_MANDATORY). Routing ids are libzmq's own:
    a client's claimed routing id names nothing (when agents named their
    connection "agent-<i>", agent 5's key could take "agent-3" first, and
    agent 3's TARGET went to it while agent 3's reports were refused). With
    --insecure there is no authentication and the claimed sender is all
    there is.

    Numbers from outside are checked here, once: a report's round must lie
    within the run (rounds > 0) and not beyond what two agents have shown
    (the second-highest round any agent reported or heartbeated, plus a
    window), so one agent's frame can neither end a run nor hold the rows.
*/

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include "ss_coord.h"
#include "ss_counters.h"
#include "ss_footprint.h"
#include "ss_graph.h"
#include "ss_http.h"
#include "ss_keys.h"
#include "ss_members.h"
#include "ss_notify.h"
#include "ss_progress.h"
#include "ss_proto.h"
#include "ss_round.h"
#include "ss_rows.h"
#include "ss_runlog.h"
#include "ss_score.h"
#include "ss_targets.h"
#include "ss_tcptune.h"
#include "ss_view.h"
#include "ss_zap.h"

#define S_WINDOW_REPORTS 64     //  report rounds ahead of what two agents showed
#define S_SLOTS_MIN     64      //  report rounds open at once: at least,
#define S_SLOTS_MAX     1024    //  at most,
#define S_SLOTS_BYTES   (8 << 20)   //  and what their rows may take between
#define S_DRAIN         1000    //  frames read per reader call
#define S_SIGNAL_WAIT   1.5     //  s: final reports after SIGTERM (rounds = 0)
#define S_STOP_WAIT     30.0    //  s: final reports after a CONTROL STOP
#define S_LAST_GRACE_MS 5000    //  the last row's wait for lost agents, at
                                //  most (an agent lingers as long at its end)
#define S_LOG_MS        1000

static volatile sig_atomic_t s_signals = 0;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_signals++;
}

void
ss_coord_catch_signals (void)
{
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
}

typedef enum {
    DROP_DECODE, DROP_FLEET, DROP_AUTH, DROP_SENDER, DROP_SHAPE, DROP_STALE,
    DROP_FULL, DROP_TYPE, DROP_TARGET, DROP_ROUND, DROP_COUNT
} s_drop_t;

static const char *s_drop_names [DROP_COUNT] = {
    "undecodable frame", "wrong fleet id", "sender not authenticated as claimed",
    "unknown sender", "wrong dimension or K", "duplicate report",
    "too many open report rounds", "unexpected message type", "invalid target",
    "round outside the run or beyond the fleet's"
};

//  The connection of agent i's (libzmq's routing id of the first one that
//  brought a message authenticated as agent i) and its latest other one
#define S_ROUTE_MAX     16
typedef struct {
    uint8_t id [S_ROUTE_MAX], alt [S_ROUTE_MAX];
    uint8_t size, alt_size;     //  0: none
} s_route_t;

struct ss_coord_t {
    ss_fleet_t *fleet;
    ss_coord_options_t options;
    int n, d, K, every;
    uint64_t fleet_id;
    int64_t margin;
    ss_problem_t *problem;
    ss_work_t *work;
    double *x0, *grad, *theta_warm;
    double *sub_x, *sub_x0, *sub_theta, *sub_s;     //  scoring scratch
    int *lost_ids, *sub_ids;
    ss_members_t *members;
    ss_rows_t *rows;
    ss_targets_t *targets;
    int applied, verified;      //  targets in force in the scoring, checked
    ss_runlog_t *log;
    zsock_t *router;
    ss_tcptune_t *tune;         //  its accepted connections, bounded per address
    zsock_t *router_monitor;
    ss_zap_t *zap;
    zcert_t *cert;
    zloop_t *loop;
    int row_timer;
    int64_t row_timer_at;
    ss_msg_t *msg;
    uint8_t *frame;
    size_t frame_cap;
    int64_t *claims;            //  n: the round of each agent's latest message
    s_route_t *routes;          //  n: where what is meant for agent i goes
    //  The run
    int64_t highest;            //  second-highest claim (corroborated), -1
    int64_t final_round;        //  -1 until known
    double deadline;            //  > 0: give up waiting for final reports
    bool synced;                //  this process has written a row
    bool said_held;             //  said that the last row waits for the lost
    int64_t resumed;            //  last traced round before a restart, -1
    int slots;                  //  report rounds open at once (s_slots)
    int64_t missed, late;
    bool have_first;
    ss_score_t first, score;
    double last_step;
    int64_t progress;
    double last_print, start;
    bool finished;
    int seen_signals;
    int exit_code;
    uint64_t drops [DROP_COUNT];
    double drop_logged [DROP_COUNT];
    double late_logged;
    bool warned_targets;
    ss_progress_t *shown;       //  the live progress line (stderr a terminal)
    ss_view_t *view;            //  coordinator/http: the live page's snapshot
    ss_http_t *http;            //  ... and its server
};

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int64_t
s_usecs (void)
{
    return zclock_usecs ();
}

//  A line on stderr; above the live progress line when one is drawn
static void
s_say (ss_coord_t *self, const char *format, ...)
{
    char text [1024];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    if (self->shown && ss_progress_mode (self->shown) == SS_PROGRESS_LIVE) {
        text [strcspn (text, "\n")] = 0;
        ss_progress_note (self->shown, "%s", text);
    }
    else
        fputs (text, stderr);
}

static void
s_drop (ss_coord_t *self, s_drop_t reason)
{
    self->drops [reason]++;
    double now = s_now ();
    if (now - self->drop_logged [reason] >= 1.0) {
        self->drop_logged [reason] = now;
        s_say (self, "coordinator: dropped a message: %s (%" PRIu64 " so far)\n",
                 s_drop_names [reason], self->drops [reason]);
    }
}

static void
s_header (ss_coord_t *self, ss_header_t *hdr)
{
    hdr->version = SS_PROTO_VERSION;
    hdr->fleet = self->fleet_id;
    hdr->epoch = 0;
    hdr->round = self->highest < 0? 0: (uint64_t) self->highest;
    hdr->sender = SS_PROTO_COORDINATOR;
}

//  Send a frame to a routing id (and an optional text frame after it)
static int
s_send_to (ss_coord_t *self, const void *route, size_t route_size, const uint8_t *data,
           size_t size, const char *text)
{
    void *handle = zsock_resolve (self->router);
    if (zmq_send (handle, route, route_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    if (zmq_send (handle, data, size, (text? ZMQ_SNDMORE: 0) | ZMQ_DONTWAIT) < 0)
        return -1;
    if (text && zmq_send (handle, text, strlen (text), ZMQ_DONTWAIT) < 0)
        return -1;
    return 0;
}

//  A frame to agent i's connection; when that one is gone, to its latest
//  other one (a restarted agent's). 0, or -1 (none, or it cannot take it)
static int
s_send_agent (ss_coord_t *self, int i, const uint8_t *data, size_t size)
{
    s_route_t *route = &self->routes [i];
    if (route->size == 0)
        return -1;
    if (s_send_to (self, route->id, route->size, data, size, NULL) == 0)
        return 0;
    if (zmq_errno () != EHOSTUNREACH || route->alt_size == 0)
        return -1;
    memcpy (route->id, route->alt, route->alt_size);
    route->size = route->alt_size;
    route->alt_size = 0;
    return s_send_to (self, route->id, route->size, data, size, NULL);
}

//  A message authenticated as agent i came on connection `id`
static void
s_learn_route (ss_coord_t *self, int i, const uint8_t *id, size_t size)
{
    s_route_t *route = &self->routes [i];
    if (size == 0 || size > S_ROUTE_MAX)
        return;                 //  not a routing id of libzmq's: nothing goes there
    if (route->size == 0) {
        memcpy (route->id, id, size);
        route->size = (uint8_t) size;
    }
    else
    if (route->size != size || memcmp (route->id, id, size)) {
        memcpy (route->alt, id, size);
        route->alt_size = (uint8_t) size;
    }
}

//  A frame to every agent; the count of agents it could be queued for
static int
s_broadcast (ss_coord_t *self, const uint8_t *data, size_t size)
{
    int told = 0;
    for (int i = 0; i < self->n; i++)
        if (s_send_agent (self, i, data, size) == 0)
            told++;
    return told;
}

static void
s_send_stop (ss_coord_t *self, int64_t stop_round)
{
    ss_control_t stop = { .command = SS_CONTROL_STOP, .arg = (uint64_t) stop_round };
    s_header (self, &stop.hdr);
    size_t size;
    if (ss_control_encode_into (&stop, self->frame, self->frame_cap, &size) == 0) {
        int told = s_broadcast (self, self->frame, size);
        if (self->options.verbose)
            s_say (self, "coordinator: STOP after round %lld sent to %d agents\n",
                     (long long) stop_round, told);
    }
}

//  Report rounds r with a < r < b (a may be -1: from round 0). Agents
//  report at 0, every `every` rounds and at the last round.
static int64_t
s_report_rounds_between (ss_coord_t *self, int64_t a, int64_t b)
{
    if (b <= a + 1)
        return 0;
    int64_t e = self->every;
    int64_t upto_b = b - 1 < 0? 0: (b - 1) / e + 1;
    int64_t upto_a = a < 0? 0: a / e + 1;
    int64_t count = upto_b - upto_a;
    int64_t last = self->fleet->rounds;
    if (last > 0 && last % e != 0 && a < last && last < b)
        count++;
    return count;
}

static void
s_print_progress (ss_coord_t *self, int64_t k, bool last)
{
    if (self->options.quiet)
        return;
    double now = s_now ();
    if (self->shown && ss_progress_mode (self->shown) == SS_PROGRESS_LIVE) {
        ss_progress_sample_t sample = {
            .round = k, .J = self->score.J, .kl = self->score.kl,
            .disagreement = self->score.disagreement, .grad = self->score.grad,
            .step = self->last_step, .live = ss_members_live (self->members),
            .agents = self->n, .deaths = -1, .restarts = -1
        };
        ss_progress_update (self->shown, &sample, last, now);
        return;
    }
    bool due = self->fleet->rounds > 0? k % self->progress == 0
                                       : now - self->last_print >= 5.0 || k == 0;
    if (!due && !last)
        return;
    self->last_print = now;
    char total [32] = "";
    if (self->fleet->rounds > 0)
        snprintf (total, sizeof total, "/%lld", (long long) self->fleet->rounds);
    s_say (self, "coordinator: round %lld%s  J %.6f  kl %.6f  disagreement %.2e"
                     "  grad %.3g  step %.2e  live %d/%d\n", (long long) k, total,
             self->score.J, self->score.kl, self->score.disagreement, self->score.grad,
             self->last_step, ss_members_live (self->members), self->n);
}

//  Which agents switched to the targets they should have by round k
//  (their newest reports)
static void
s_verify_targets (ss_coord_t *self, int64_t k)
{
    while (self->verified < ss_targets_count (self->targets)) {
        int t = self->verified;
        uint64_t at = ss_targets_get (self->targets, t)->switch_round;
        if ((uint64_t) k <= at)
            return;
        int on_time = 0, seen = 0;
        uint64_t late = 0, lo = UINT64_MAX, hi = 0;
        for (int i = 0; i < self->n; i++) {
            ss_member_t *m = ss_members_get (self->members, i);
            if (m->lost || m->pos_round < k)
                continue;
            seen++;
            const uint64_t *c = m->counters;
            if (c [SS_CTR_TARGETS] < (uint64_t) t + 1)
                return;             //  not everyone yet: look again later
            late += c [SS_CTR_LATE_TARGETS];
            uint64_t r = c [SS_CTR_TARGET_ROUND];
            if (c [SS_CTR_TARGETS] == (uint64_t) t + 1) {
                on_time += r == at;
                lo = r < lo? r: lo;
                hi = r > hi? r: hi;
            }
            else
                on_time++;          //  already on a later target
        }
        s_say (self, "coordinator: target %d: %d/%d agents switched at round %" PRIu64
                         " (rounds %" PRIu64 "..%" PRIu64 ", late %" PRIu64
                         ", checked at round %lld)\n", t + 1, on_time, seen, at,
                 lo == UINT64_MAX? at: lo, lo == UINT64_MAX? at: hi, late, (long long) k);
        self->verified++;
    }
}

//  The live page's snapshot (coordinator/http): after a row (row not
//  NULL) and on the liveness timer
static void
s_show (ss_coord_t *self, const ss_view_row_t *row)
{
    if (!self->view)
        return;
    if (row)
        ss_view_row (self->view, row, self->problem, s_now ());
    ss_view_run_t run = {
        .highest = self->highest, .final_round = self->final_round, .missed = self->missed,
        .late = self->late, .targets = ss_targets_count (self->targets), .drops = self->drops
    };
    ss_view_run (self->view, self->members, &run, s_usecs ());
}

//  Score n agents' state (packed) into self->score and write round k's row
static int
s_write_row (ss_coord_t *self, int64_t k, int m, const int *ids, const double *x,
             const double *theta, const double *s, double step)
{
    int in_force = ss_targets_in_force (self->targets, k);
    while (self->applied < in_force) {
        ss_problem_set_target (self->problem,
                               &ss_targets_get (self->targets, self->applied)->mixture);
        self->applied++;
    }
    ss_score_state (self->problem, m, x, self->sub_x0, theta, s, (size_t) self->K,
                    self->theta_warm, self->grad, self->work, &self->score);
    if (!self->have_first) {
        self->first = self->score;
        self->have_first = true;
    }
    int n_lost = ss_members_lost_ids (self->members, self->lost_ids);
    self->last_step = step;
    ss_trace_row_t row = {
        .round = k, .agents = m, .J = self->score.J, .kl = self->score.kl,
        .disagreement = self->score.disagreement, .step = step,
        .grad = self->score.grad, .bias = self->score.bias,
        .seconds = s_now () - self->start, .target = (uint64_t) self->applied,
        .lost = self->lost_ids, .n_lost = n_lost
    };
    if (ss_runlog_trace (self->log, &row)) {
        s_say (self, "coordinator: %s: cannot write trace.jsonl\n", self->options.out);
        return -1;
    }
    if (ss_runlog_frames (self->log, k, x, ids, m, self->d))
        s_say (self, "coordinator: %s: cannot write frames.csv\n", self->options.out);
    s_verify_targets (self, k);
    s_print_progress (self, k, k == self->final_round);
    ss_view_row_t shown = { .round = k, .agents = m, .ids = ids, .x = x, .score = self->score,
                            .step = step, .seconds = row.seconds, .target = self->applied };
    s_show (self, &shown);
    return 0;
}

//  The round-0 row of a fresh run, from the fleet file: every agent at
//  x0, theta = 0, s = psi(x0), what each agent holds at round 0
static int
s_write_row0 (ss_coord_t *self)
{
    size_t n = (size_t) self->n, K = (size_t) self->K;
    memset (self->sub_theta, 0, n * K * sizeof (double));
    for (size_t i = 0; i < n; i++)
        ss_footprint (self->problem, self->x0 + i * self->d, self->sub_s + i * K);
    memcpy (self->sub_x0, self->x0, n * self->d * sizeof (double));
    int rc = s_write_row (self, 0, self->n, NULL, self->x0, self->sub_theta, self->sub_s, 0);
    ss_rows_set_written (self->rows, 0);
    self->synced = true;
    return rc;
}

//  Pack the agents that reported a row (ascending id order: all of them
//  in an undisturbed run, exactly what sim scores) and write it
static int
s_complete (ss_coord_t *self, ss_row_t *row)
{
    int64_t k = row->round;
    size_t d = (size_t) self->d, K = (size_t) self->K;
    int m = 0;
    for (int i = 0; i < self->n; i++) {
        if (!row->have [i])
            continue;
        memcpy (self->sub_x + m * d, row->x + i * d, d * sizeof (double));
        memcpy (self->sub_x0 + m * d, self->x0 + i * d, d * sizeof (double));
        memcpy (self->sub_theta + m * K, row->theta + i * K, K * sizeof (double));
        memcpy (self->sub_s + m * K, row->s + i * K, K * sizeof (double));
        self->sub_ids [m] = i;
        m++;
    }
    int64_t written = ss_rows_written (self->rows);
    int64_t gap = s_report_rounds_between (self, written, k);
    if (!self->synced && self->resumed >= 0) {
        int64_t from = written + self->every, to = k - self->every;
        if (gap > 0)
            s_say (self, "coordinator: resumed run: last traced round %lld, missed "
                             "rounds %lld .. %lld (%lld report rounds); tracing from round "
                             "%lld\n", (long long) self->resumed, (long long) from,
                     (long long) (to < from? from: to), (long long) gap, (long long) k);
        else
            s_say (self, "coordinator: resumed run: last traced round %lld, missed "
                             "none; tracing from round %lld\n", (long long) self->resumed,
                     (long long) k);
    }
    else
    if (gap > 0)
        s_say (self, "coordinator: no row for %lld report round%s between rounds %lld "
                         "and %lld (missed)\n", (long long) gap, gap > 1? "s": "",
                 (long long) written, (long long) k);
    self->missed += gap;
    self->synced = true;
    if (m < self->n && !self->options.quiet)
        s_say (self, "coordinator: round %lld: %d of %d agents reported (%d lost)\n",
                 (long long) k, m, self->n, self->n - ss_members_live (self->members));
    return s_write_row (self, k, m, self->sub_ids, self->sub_x, self->sub_theta, self->sub_s,
                        row->step);
}

//  Report rounds open at once: as many as S_SLOTS_BYTES of rows hold,
//  between the bounds (10 agents: 1024; 500: 64). A small fleet runs ~1000
//  rounds/s, and 64 open report rounds are 0.64 s of its pace; a restarted
//  coordinator accepts reports this many report rounds ahead until its
//  first complete row (s_on_report)
static int
s_slots (const ss_coord_t *self)
{
    size_t row = (size_t) self->n * ((size_t) self->d + 2 * (size_t) self->K) * sizeof (double)
               + (size_t) self->n;
    size_t slots = S_SLOTS_BYTES / (row > 0? row: 1);
    return slots < S_SLOTS_MIN? S_SLOTS_MIN: slots > S_SLOTS_MAX? S_SLOTS_MAX: (int) slots;
}

static int s_on_row_timer (zloop_t *loop, int timer_id, void *arg);

//  How long the last row waits for agents counted lost
static int
s_last_grace_ms (ss_coord_t *self)
{
    return self->fleet->lost_after_ms < S_LAST_GRACE_MS? self->fleet->lost_after_ms
                                                       : S_LAST_GRACE_MS;
}

//  The run's last round is known (or moved sooner); grace: its row may
//  wait for agents counted lost (not on a stop, which has its deadline)
static void
s_set_final (ss_coord_t *self, int64_t round, bool grace)
{
    self->final_round = round;
    ss_members_set_final (self->members, round);
    ss_rows_set_last (self->rows, round, grace? s_last_grace_ms (self): 0);
}

//  Write every row that is due, oldest first; arm the timer for the next
static int
s_flush (ss_coord_t *self)
{
    int64_t now = s_usecs ();
    if (!self->synced) {
        //  The trace (re)starts at a complete round: older open rounds can
        //  no longer complete in full
        int64_t newest = ss_rows_newest_complete (self->rows, self->members);
        if (newest >= 0)
            ss_rows_drop_before (self->rows, newest);
    }
    int64_t wake = INT64_MAX;
    while (true) {
        bool complete = false;
        ss_row_t *row = ss_rows_due (self->rows, self->members, now, !self->synced, &wake,
                                     &complete);
        if (!row)
            break;
        bool write = self->synced || complete;
        if (write && s_complete (self, row))
            self->exit_code = 1;
        else
        if (!write && self->options.verbose)
            s_say (self, "coordinator: round %lld: %d of %d agents, not complete: "
                             "waiting for a complete round to start the trace\n",
                     (long long) row->round, row->count, self->n);
        ss_rows_done (self->rows, row, write);
    }
    if (ss_rows_holding (self->rows) && !self->said_held) {
        self->said_held = true;
        int lost = self->n - ss_members_live (self->members);
        s_say (self, "coordinator: round %lld (the last): %d agent%s counted lost: waiting "
                         "up to %.1f s for their reports\n", (long long) self->final_round,
                 lost, lost == 1? "": "s", s_last_grace_ms (self) / 1000.0);
    }
    if (wake != INT64_MAX && (!self->row_timer || wake < self->row_timer_at)) {
        if (self->row_timer)
            zloop_timer_end (self->loop, self->row_timer);
        int64_t delay = (wake - now + 999) / 1000;
        self->row_timer = zloop_timer (self->loop, (size_t) (delay > 0? delay: 0), 1,
                                       s_on_row_timer, self);
        self->row_timer_at = wake;
    }
    return 0;
}

//  The corroborated highest round: the second-highest claim of any agent
static void
s_claim (ss_coord_t *self, int i, int64_t round)
{
    self->claims [i] = round;
    int64_t first = -1, second = -1;
    for (int a = 0; a < self->n; a++)
        if (self->claims [a] > first) {
            second = first;
            first = self->claims [a];
        }
        else
        if (self->claims [a] > second)
            second = self->claims [a];
    int64_t h = self->n > 1? second: first;
    if (h > self->highest)
        self->highest = h;
}

//  An agent past the latest target's switch round that has not applied it
//  (restarted while it was pending, or it missed the announcement): send
//  it again to that agent alone, at most once a second; it applies it at
//  once and counts it late
static void
s_resend_target (ss_coord_t *self, int id, const ss_report_t *rep)
{
    int count = ss_targets_count (self->targets);
    if (count == 0 || rep->n_counters <= SS_CTR_TARGET_ROUND)
        return;
    const ss_target_entry_t *last = ss_targets_get (self->targets, count - 1);
    ss_member_t *member = ss_members_get (self->members, id);
    int64_t now = s_usecs ();
    if (rep->hdr.round <= last->switch_round
    ||  rep->counters [SS_CTR_TARGET_ROUND] >= last->switch_round
    ||  (member->target_resent >= 0 && now - member->target_resent < 1000000))
        return;
    ss_target_t *target = (ss_target_t *) self->msg;     //  scratch: done with rep
    uint64_t round = rep->hdr.round;
    memset (&target->hdr, 0, sizeof target->hdr);
    target->switch_round = last->switch_round;
    target->dim = (uint32_t) self->d;
    target->mixture = last->mixture;
    s_header (self, &target->hdr);
    size_t size;
    if (ss_target_encode_into (target, self->frame, self->frame_cap, &size) == 0) {
        s_send_agent (self, id, self->frame, size);
        member->target_resent = now;
        s_say (self, "coordinator: agent %d reports round %llu without target %d "
                         "(switch round %llu): sent it again\n", id,
                 (unsigned long long) round, count,
                 (unsigned long long) last->switch_round);
    }
}

//  Check an agent's frame: fleet, sender, authentication (ZAP user id
//  "agent-<i>"); learn its connection. The sender, or -1 (dropped)
static int
s_agent_of (ss_coord_t *self, const ss_header_t *hdr, const char *name,
            const uint8_t *route, size_t route_size)
{
    if (hdr->fleet != self->fleet_id) {
        s_drop (self, DROP_FLEET);
        return -1;
    }
    if (hdr->sender >= (uint32_t) self->n) {
        s_drop (self, DROP_SENDER);
        return -1;
    }
    int id = (int) hdr->sender;
    char want [32];
    ss_keys_name (id, want, sizeof want);
    if (!self->options.insecure && (!name || !streq (name, want))) {
        s_drop (self, DROP_AUTH);
        return -1;
    }
    s_learn_route (self, id, route, route_size);
    return id;
}

static void
s_on_report (ss_coord_t *self, const ss_report_t *rep, int id)
{
    if (rep->dim != (uint32_t) self->d || rep->k != (uint32_t) self->K) {
        s_drop (self, DROP_SHAPE);
        return;
    }
    int64_t now = s_usecs ();
    uint64_t round = rep->hdr.round;
    if ((self->fleet->rounds > 0 && round > (uint64_t) self->fleet->rounds)
    ||  round > INT64_MAX / 4) {
        s_drop (self, DROP_ROUND);
        return;
    }
    int64_t k = (int64_t) round;
    if (ss_members_heard (self->members, id, now, k, rep->hdr.epoch))
        s_say (self, "coordinator: agent %d is back (%d agents live)\n", id,
                 ss_members_live (self->members));
    s_claim (self, id, k);
    //  Within the rounds two agents have shown (a window of 64 reports: an
    //  agent's key cannot end the run with a lie about its round). While a
    //  restarted coordinator waits for its first complete row, the others'
    //  reports queued during its absence still come in, and what they show
    //  lags: then as many report rounds as rows are kept open (64 dropped
    //  a fast agent's reports of 41 rows, which went out without it)
    int64_t window = (int64_t) (self->synced? S_WINDOW_REPORTS: self->slots)
                   * (int64_t) self->every + 1000;
    if (k > (self->highest < 0? 0: self->highest) + window) {
        s_drop (self, DROP_ROUND);
        return;
    }
    ss_members_report (self->members, id, k, rep->x, rep->counters, (int) rep->n_counters);
    int count = ss_targets_count (self->targets);
    if (rep->n_counters > SS_CTR_TARGETS && rep->counters [SS_CTR_TARGETS] > (uint64_t) count
    &&  !self->warned_targets) {
        self->warned_targets = true;
        s_say (self, "coordinator: warning: agent %d applied %llu targets, this "
                         "coordinator knows %d: rows score against the targets it knows\n",
                 id, (unsigned long long) rep->counters [SS_CTR_TARGETS], count);
    }
    double step = rep->step;
    ss_rows_add_t added = ss_rows_add (self->rows, id, k, rep->x, rep->theta, rep->s,
                                       step, now);
    if (added == SS_ROWS_FULL) {
        //  The oldest open row is forced out; then there is room
        s_drop (self, DROP_FULL);
        s_flush (self);
        added = ss_rows_add (self->rows, id, k, rep->x, rep->theta, rep->s, step, now);
    }
    if (added == SS_ROWS_LATE && k > 0) {
        self->late++;
        double t = s_now ();
        if (t - self->late_logged >= 1.0) {
            self->late_logged = t;
            s_say (self, "coordinator: late report of round %lld from agent %d: its "
                             "row is written (%lld late reports so far)\n", (long long) k,
                     id, (long long) self->late);
        }
    }
    else
    if (added == SS_ROWS_DUPLICATE)
        s_drop (self, DROP_STALE);
    s_resend_target (self, id, rep);
}

static void
s_on_heartbeat (ss_coord_t *self, const ss_heartbeat_t *hb, int id)
{
    if (hb->hdr.round > INT64_MAX / 4
    ||  (self->fleet->rounds > 0 && hb->hdr.round > (uint64_t) self->fleet->rounds)) {
        s_drop (self, DROP_ROUND);
        return;
    }
    ss_member_t *m = ss_members_get (self->members, id);
    m->state = hb->state;
    if (ss_members_heard (self->members, id, s_usecs (), (int64_t) hb->hdr.round,
                          hb->hdr.epoch))
        s_say (self, "coordinator: agent %d is back (%d agents live)\n", id,
                 ss_members_live (self->members));
    s_claim (self, id, (int64_t) hb->hdr.round);
}

static void
s_save_targets (ss_coord_t *self)
{
    char *text = ss_targets_text (self->targets, self->d);
    if (!text || ss_runlog_text (self->log, "targets.txt", text))
        s_say (self, "coordinator: %s: cannot write targets.txt\n", self->options.out);
    free (text);
}

static bool
s_operator (ss_coord_t *self, const ss_header_t *hdr, const char *name)
{
    if (hdr->fleet != self->fleet_id) {
        s_drop (self, DROP_FLEET);
        return false;
    }
    if (self->options.insecure? hdr->sender != SS_PROTO_COORDINATOR
                              : !name || !streq (name, "operator")) {
        s_drop (self, DROP_AUTH);
        return false;
    }
    return true;
}

static void
s_on_target (ss_coord_t *self, ss_target_t *target, const uint8_t *route, size_t route_size)
{
    if (target->dim != (uint32_t) self->d) {
        s_drop (self, DROP_TARGET);
        return;
    }
    const char *why;
    int64_t at = ss_targets_announce (self->targets, &target->mixture, target->switch_round,
                                      self->highest, self->margin, &why);
    if (at < 0) {
        s_say (self, "coordinator: target refused: %s\n", why);
        s_drop (self, DROP_TARGET);
        return;
    }
    s_save_targets (self);
    target->switch_round = (uint64_t) at;
    s_header (self, &target->hdr);
    size_t size;
    if (ss_target_encode_into (target, self->frame, self->frame_cap, &size)) {
        s_say (self, "coordinator: cannot encode a target\n");
        return;
    }
    int told = s_broadcast (self, self->frame, size);
    s_send_to (self, route, route_size, self->frame, size, NULL);
    s_say (self, "coordinator: target %d from the operator: switch at round %lld "
                     "(highest reported %lld), sent to %d/%d agents\n",
             ss_targets_count (self->targets), (long long) at, (long long) self->highest,
             told, self->n);
    if (self->final_round >= 0 && at >= self->final_round)
        s_say (self, "coordinator: warning: the run ends at round %lld, before target "
                         "%d switches\n", (long long) self->final_round,
                 ss_targets_count (self->targets));
}

//  Ask the agents to stop at highest + margin and wait for their last reports
static void
s_begin_stop (ss_coord_t *self, double wait)
{
    int64_t at = (self->highest < 0? 0: self->highest) + self->margin;
    if (self->final_round < 0 || at < self->final_round)
        s_set_final (self, at, false);
    if (self->final_round <= ss_rows_written (self->rows)) {
        self->deadline = s_now ();      //  nothing left to wait for
        return;
    }
    s_send_stop (self, self->final_round);
    self->deadline = s_now () + wait;
    s_say (self, "coordinator: stopping the fleet after round %lld\n",
             (long long) self->final_round);
}

//  The drops by reason, into out: `"reason":count,...` (json) or
//  `reason count, ...`; only reasons that happened
static void
s_drops_text (ss_coord_t *self, bool json, char *out, size_t size)
{
    size_t used = 0;
    *out = 0;
    for (int r = 0; r < DROP_COUNT && used < size; r++)
        if (self->drops [r])
            used += (size_t) snprintf (out + used, size - used, json? "%s\"%s\":%" PRIu64
                                       : "%s%s %" PRIu64, used? (json? ",": ", "): "",
                                       s_drop_names [r], self->drops [r]);
}

//  The status of the run: one JSON object, every agent in it. The caller
//  frees it.
static char *
s_status_text (ss_coord_t *self)
{
    char drops [1024];
    s_drops_text (self, true, drops, sizeof drops);
    size_t size = 2048 + (size_t) self->n * 160;
    char *text = malloc (size);
    if (!text)
        return NULL;
    int64_t last = ss_rows_written (self->rows);
    bool some = last >= 0;
    size_t used = (size_t) snprintf (text, size,
        "{\"fleet\":\"%s\",\"round\":%lld,\"agents\":%d,\"J\":%.17g,\"kl\":%.17g,"
        "\"disagreement\":%.17g,\"bias\":%.17g,\"highest\":%lld,\"final\":%lld,"
        "\"targets\":%d,\"missed_reports\":%lld,\"late_reports\":%lld,\"drops\":{%s},"
        "\"fleet_agents\":%d,\"seconds\":%.3f,\"lost\":[",
        self->fleet->name, (long long) last, ss_members_live (self->members),
        some? self->score.J: 0, some? self->score.kl: 0, some? self->score.disagreement: 0,
        some? self->score.bias: 0, (long long) self->highest,
        (long long) self->final_round, ss_targets_count (self->targets),
        (long long) self->missed, (long long) self->late, drops, self->n,
        s_now () - self->start);
    int n_lost = ss_members_lost_ids (self->members, self->lost_ids);
    for (int l = 0; l < n_lost && used + 32 < size; l++)
        used += (size_t) snprintf (text + used, size - used, "%s%d", l? ",": "",
                                   self->lost_ids [l]);
    used += (size_t) snprintf (text + used, size - used, "],\"members\":[");
    int64_t now = s_usecs ();
    for (int i = 0; i < self->n && used + 200 < size; i++) {
        ss_member_t *m = ss_members_get (self->members, i);
        uint64_t drops = 0;
        for (int c = SS_CTR_DROP_DECODE; c <= SS_CTR_DROP_TYPE; c++)
            drops += m->counters [c];
        drops += m->counters [SS_CTR_DROP_EPOCH] + m->counters [SS_CTR_DROP_VALUE];
        used += (size_t) snprintf (text + used, size - used,
            "%s{\"id\":%d,\"live\":%s,\"round\":%lld,\"lag\":%lld,\"epoch\":%llu,"
            "\"drops\":%llu,\"substitutions\":%llu,\"silent_ms\":%lld}", i? ",": "", i,
            m->lost? "false": "true", (long long) m->hi,
            (long long) (m->hi >= 0 && self->highest >= m->hi? self->highest - m->hi: 0),
            (unsigned long long) m->epoch, (unsigned long long) drops,
            (unsigned long long) m->counters [SS_CTR_SUBSTITUTIONS],
            (long long) (m->heard >= 0? (now - m->heard) / 1000: -1));
    }
    snprintf (text + used, size - used, "]}");
    return text;
}

static void
s_on_control (ss_coord_t *self, const ss_control_t *control, const uint8_t *route,
              size_t route_size)
{
    ss_control_t reply = { .command = control->command };
    s_header (self, &reply.hdr);
    char *text = NULL;
    if (control->command == SS_CONTROL_STOP) {
        if (self->deadline == 0)
            s_begin_stop (self, S_STOP_WAIT);
        reply.arg = (uint64_t) self->final_round;
        s_say (self, "coordinator: STOP from the operator\n");
    }
    else
    if (control->command == SS_CONTROL_STATUS) {
        int64_t last = ss_rows_written (self->rows);
        reply.arg = last < 0? UINT64_MAX: (uint64_t) last;
        text = s_status_text (self);
    }
    else {
        s_drop (self, DROP_TYPE);
        return;
    }
    size_t size;
    if (ss_control_encode_into (&reply, self->frame, self->frame_cap, &size) == 0)
        s_send_to (self, route, route_size, self->frame, size, text);
    free (text);
}

static void
s_dispatch (ss_coord_t *self, ss_msg_t *msg, const char *name, const uint8_t *route,
            size_t route_size)
{
    int id;
    switch (msg->hdr.type) {
        case SS_MSG_REPORT:
            if ((id = s_agent_of (self, &msg->hdr, name, route, route_size)) >= 0)
                s_on_report (self, &msg->report, id);
            break;
        case SS_MSG_HEARTBEAT:
            if ((id = s_agent_of (self, &msg->hdr, name, route, route_size)) >= 0)
                s_on_heartbeat (self, &msg->heartbeat, id);
            break;
        case SS_MSG_TARGET:
            if (s_operator (self, &msg->hdr, name))
                s_on_target (self, &msg->target, route, route_size);
            break;
        case SS_MSG_CONTROL:
            if (s_operator (self, &msg->hdr, name))
                s_on_control (self, &msg->control, route, route_size);
            break;
        default:
            s_drop (self, DROP_TYPE);
    }
}

//  Is the run over? Then write the files and end the loop (-1)
static int
s_check_end (ss_coord_t *self)
{
    if (s_signals != self->seen_signals) {
        self->seen_signals = s_signals;
        if (self->seen_signals > 1 || self->fleet->rounds > 0 || self->deadline > 0)
            return -1;          //  write what we have
        s_say (self, "coordinator: signal: stopping the fleet\n");
        s_begin_stop (self, S_SIGNAL_WAIT);
    }
    int64_t last = ss_rows_written (self->rows);
    if (self->final_round >= 0 && last >= self->final_round) {
        s_send_stop (self, self->final_round);
        return -1;
    }
    if (self->fleet->rounds > 0 && self->highest >= 0 && ss_members_live (self->members) == 0
    &&  ss_rows_open (self->rows) == 0) {
        //  Every agent finished (or died): nothing more will come
        int64_t gap = s_report_rounds_between (self, last, self->final_round + 1);
        s_say (self, "coordinator: every agent is silent: ending the run at round %lld "
                         "(%lld report rounds up to %lld never seen)\n", (long long) last,
                 (long long) gap, (long long) self->final_round);
        self->missed += gap;
        return -1;
    }
    if (self->deadline > 0 && s_now () >= self->deadline) {
        s_say (self, "coordinator: gave up waiting for the reports of round %lld (last "
                         "complete round %lld)\n", (long long) self->final_round,
                 (long long) last);
        if (!self->seen_signals)
            self->exit_code = 1;
        return -1;
    }
    return 0;
}

static int
s_on_router (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    ss_coord_t *self = (ss_coord_t *) arg;
    void *handle = zsock_resolve (sock);
    for (int i = 0; i < S_DRAIN; i++) {
        zmq_msg_t route, body;
        zmq_msg_init (&route);
        if (zmq_msg_recv (&route, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&route);
            break;
        }
        zmq_msg_init (&body);
        bool shape = zmq_msg_more (&route) && zmq_msg_recv (&body, handle, ZMQ_DONTWAIT) >= 0
                  && !zmq_msg_more (&body);
        if (!shape) {
            while (zmq_msg_more (&body) || zmq_msg_more (&route)) {
                //  read the rest of the message and drop it
                zmq_msg_close (&route);
                zmq_msg_init (&route);
                if (zmq_msg_recv (&route, handle, ZMQ_DONTWAIT) < 0)
                    break;
                zmq_msg_close (&body);
                zmq_msg_init (&body);
            }
            s_drop (self, DROP_DECODE);
        }
        else {
            int rc = ss_msg_decode ((const uint8_t *) zmq_msg_data (&body),
                                    zmq_msg_size (&body), self->msg);
            if (rc)
                s_drop (self, DROP_DECODE);
            else
                s_dispatch (self, self->msg, zmq_msg_gets (&body, "User-Id"),
                            (const uint8_t *) zmq_msg_data (&route), zmq_msg_size (&route));
        }
        zmq_msg_close (&route);
        zmq_msg_close (&body);
    }
    s_flush (self);
    return s_check_end (self);
}

static int
s_on_zap (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    //  Every pending request, not one per turn of the loop: at 500 agents a
    //  turn also drains the ROUTER, and a handshake waiting behind the
    //  others' heartbeats timed out (agents never heard in 120 s)
    for (int i = 0; i < S_DRAIN && (zsock_events (sock) & ZMQ_POLLIN); i++)
        ss_zap_handle (((ss_coord_t *) arg)->zap);
    return 0;
}

static int
s_on_row_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    ss_coord_t *self = (ss_coord_t *) arg;
    self->row_timer = 0;
    s_flush (self);
    return s_check_end (self);
}

static int
s_on_liveness (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    ss_coord_t *self = (ss_coord_t *) arg;
    int lost [64];
    int count = ss_members_check (self->members, s_usecs (), lost, 64);
    for (int l = 0; l < count && l < 64; l++) {
        ss_member_t *m = ss_members_get (self->members, lost [l]);
        char last [64] = "never reported";
        if (m->hi >= 0)
            snprintf (last, sizeof last, "last report round %lld", (long long) m->hi);
        s_say (self, "coordinator: agent %d lost: %s (%s; %d agents live)\n", lost [l],
                 m->heard >= 0? "silent": "never heard", last, ss_members_live (self->members));
    }
    if (count > 64)
        s_say (self, "coordinator: %d more agents lost (%d live)\n", count - 64,
                 ss_members_live (self->members));
    if (self->zap)
        ss_zap_flush (self->zap);
    s_show (self, NULL);
    s_flush (self);
    return s_check_end (self);
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
s_try_resume (ss_coord_t *self)
{
    const char *out = self->options.out;
    char path [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/run.json", out);
    FILE *file = fopen (path, "r");
    if (!file)
        return false;
    char line [1024] = "";
    bool got = fgets (line, sizeof line, file) != NULL;
    fclose (file);
    char want [64];
    snprintf (want, sizeof want, "\"fleet_id\":\"%016" PRIx64 "\"", self->fleet_id);
    if (!got || !strstr (line, want)) {
        s_say (self, "coordinator: %s holds a run of another fleet: starting a new one\n",
                 out);
        return false;
    }
    double started = s_json_number (line, "started", 0);
    snprintf (path, sizeof path, "%s/trace.jsonl", out);
    file = fopen (path, "r");
    if (!file)
        return false;
    char row [4096];
    int64_t last = -1, missed = 0, rows = 0;
    ss_score_t first = { 0 }, score = { 0 };
    while (fgets (row, sizeof row, file)) {
        size_t len = strlen (row);
        if (len < 2 || row [0] != '{' || row [len - 1] != '\n' || row [len - 2] != '}')
            continue;           //  not a whole row
        double r = s_json_number (row, "round", -1);
        if (r < 0 || r <= last || r > (double) (INT64_MAX / 4))
            continue;
        ss_score_t sc = {
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
        s_say (self, "coordinator: %s holds a finished run of this fleet: starting a "
                         "new one\n", out);
        return false;
    }
    self->resumed = last;
    ss_rows_set_written (self->rows, last);
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
    snprintf (path, sizeof path, "%s/targets.txt", out);
    int count = ss_targets_load (self->targets, path, self->d);
    if (count > 0) {
        self->verified = count;     //  checked before the restart
        s_say (self, "coordinator: %d target%s from %s\n", count, count > 1? "s": "",
                 path);
    }
    s_say (self, "coordinator: resuming the run in %s: %lld rows, last traced round "
                     "%lld, %lld report rounds missed so far\n", out, (long long) rows,
             (long long) last, (long long) missed);
    return true;
}

//  positions.csv: every agent's last known position (its last report; the
//  initial position if it never reported to this process); summary.json
//  of the last row. 0 or -1.
static int
s_write_files (ss_coord_t *self)
{
    int64_t last = ss_rows_written (self->rows);
    int64_t done = last < 0? 0: last;
    double seconds = s_now () - self->start;
    const char *out = self->options.out;
    if (ss_runlog_positions (self->log, "positions.csv", ss_members_positions (self->members),
                             self->n, self->d)) {
        s_say (self, "coordinator: %s: cannot write positions.csv\n", out);
        return -1;
    }
    int n_lost = ss_members_lost_ids (self->members, self->lost_ids);
    int live = ss_members_live (self->members);
    ss_summary_t summary = {
        .mode = "launch", .fleet = self->fleet->name, .rounds = done,
        .agents = live, .lost = self->lost_ids, .n_lost = n_lost,
        .late_reports = self->late, .J0 = self->first.J, .J = self->score.J,
        .kl0 = self->first.kl, .kl = self->score.kl, .grad0 = self->first.grad,
        .grad = self->score.grad, .disagreement = self->score.disagreement,
        .bias = self->score.bias, .seconds = seconds,
        .rounds_per_second = seconds > 0? done / seconds: 0,
        .missed_reports = self->missed
    };
    if (ss_runlog_summary (self->log, &summary)) {
        s_say (self, "coordinator: %s: cannot write summary.json\n", out);
        return -1;
    }
    char drops [1024];
    s_drops_text (self, false, drops, sizeof drops);
    if (*drops)
        s_say (self, "coordinator: drops: %s\n", drops);
    if (!self->options.quiet)
        s_say (self, "coordinator: done: %lld rounds, %d of %d agents live, J %.6f -> "
                         "%.6f, %.1f rounds/s, %lld report rounds missed, %lld late "
                         "reports; files in %s\n", (long long) done, live, self->n,
                 self->first.J, self->score.J, summary.rounds_per_second,
                 (long long) self->missed, (long long) self->late, out);
    return 0;
}

void
ss_coord_destroy (ss_coord_t **self_p)
{
    ss_coord_t *self = *self_p;
    if (!self)
        return;
    ss_http_destroy (&self->http);      //  its thread reads the view
    ss_view_destroy (&self->view);
    ss_progress_destroy (&self->shown);
    zloop_destroy (&self->loop);
    ss_tcptune_stop (self->tune);
    zsock_destroy (&self->router);
    ss_tcptune_destroy (&self->tune);
    ss_zap_destroy (&self->zap);
    zcert_destroy (&self->cert);
    ss_runlog_destroy (&self->log);
    ss_members_destroy (&self->members);
    ss_rows_destroy (&self->rows);
    ss_targets_destroy (&self->targets);
    ss_work_destroy (&self->work);
    ss_problem_destroy (&self->problem);
    free (self->x0);
    free (self->grad);
    free (self->theta_warm);
    free (self->sub_x);
    free (self->sub_x0);
    free (self->sub_theta);
    free (self->sub_s);
    free (self->lost_ids);
    free (self->sub_ids);
    free (self->claims);
    free (self->routes);
    free (self->msg);
    free (self->frame);
    ss_fleet_destroy (&self->fleet);
    free (self);
    *self_p = NULL;
}

static ss_coord_t *
s_fail (ss_coord_t **self_p, int *rc, int code, const char *err)
{
    if (err && *err)
        fprintf (stderr, "coordinator: %s\n", err);
    *rc = code;
    ss_coord_destroy (self_p);
    return NULL;
}

ss_coord_t *
ss_coord_new (ss_fleet_t *fleet, const ss_coord_options_t *options, int *rc)
{
    char err [16384] = "";
    ss_coord_t *self = calloc (1, sizeof (ss_coord_t));
    if (!self) {
        ss_fleet_destroy (&fleet);
        fprintf (stderr, "coordinator: out of memory\n");
        *rc = 1;
        return NULL;
    }
    self->fleet = fleet;
    self->options = *options;
    self->start = s_now ();
    if (!options->insecure && !fleet->curve) {
        snprintf (err, sizeof err, "%s: security/curve: 0 needs --insecure", fleet->path);
        return s_fail (&self, rc, 2, err);
    }
    self->n = fleet->count;
    self->d = fleet->model.dim;
    self->every = fleet->report_every;
    self->margin = 5 * (int64_t) self->every > 50? 5 * (int64_t) self->every: 50;
    self->fleet_id = ss_fleet_id (fleet);
    self->problem = ss_problem_new (&fleet->model, &fleet->target);
    if (!self->problem) {
        snprintf (err, sizeof err, "%s: fleet/model: cannot build the model", fleet->path);
        return s_fail (&self, rc, 2, err);
    }
    ss_graph_t *graph = ss_fleet_graph (fleet, err, sizeof err);
    if (!graph)
        return s_fail (&self, rc, 2, err);
    ss_graph_destroy (&graph);
    if (!options->insecure) {
        self->cert = ss_keys_load_secret (fleet, "coordinator", err, sizeof err);
        if (!self->cert)
            return s_fail (&self, rc, 2, err);
        //  Key ring errors (duplicates, missing files) are exit 2; the
        //  handler is bound before the server socket
        self->zap = ss_keys_zap_new (fleet, SS_KEYS_COORDINATOR, options->verbose, err,
                                     sizeof err);
        if (!self->zap)
            return s_fail (&self, rc, 2, err);
        if (!ss_zap_socket (self->zap)) {
            snprintf (err, sizeof err, "cannot bind the ZAP handler at %s", SS_ZAP_ENDPOINT);
            return s_fail (&self, rc, 1, err);
        }
    }
    if (*fleet->http) {
        int http_rc = 1;
        self->view = ss_view_new (fleet->name, &fleet->model, self->n, fleet->rounds,
                                  s_drop_names, DROP_COUNT);
        char why [512] = "out of memory";
        self->http = self->view? ss_http_new (fleet->http, self->view, why, sizeof why,
                                              &http_rc): NULL;
        if (!self->http) {
            snprintf (err, sizeof err, "%s: coordinator/http: %s", fleet->path, why);
            return s_fail (&self, rc, http_rc, err);
        }
    }
    self->K = self->problem->K;
    size_t n = (size_t) self->n, d = (size_t) self->d, K = (size_t) self->K;
    self->work = ss_work_new (self->problem);
    self->x0 = calloc (n * d, sizeof (double));
    self->grad = calloc (n * d, sizeof (double));
    self->theta_warm = calloc (K, sizeof (double));
    self->sub_x = calloc (n * d, sizeof (double));
    self->sub_x0 = calloc (n * d, sizeof (double));
    self->sub_theta = calloc (n * K, sizeof (double));
    self->sub_s = calloc (n * K, sizeof (double));
    self->lost_ids = calloc (n, sizeof (int));
    self->sub_ids = calloc (n, sizeof (int));
    self->claims = malloc (n * sizeof (int64_t));
    self->routes = calloc (n, sizeof (s_route_t));
    self->msg = calloc (1, sizeof (ss_msg_t));
    self->frame_cap = SS_PROTO_MAX_FRAME;
    self->frame = malloc (self->frame_cap);
    if (!self->work || !self->x0 || !self->grad || !self->theta_warm || !self->sub_x
    ||  !self->sub_x0 || !self->sub_theta || !self->sub_s || !self->lost_ids || !self->sub_ids
    ||  !self->claims || !self->routes || !self->msg || !self->frame) {
        snprintf (err, sizeof err, "out of memory for %d agents", self->n);
        return s_fail (&self, rc, 1, err);
    }
    for (size_t i = 0; i < n; i++)
        self->claims [i] = -1;
    ss_fleet_positions (fleet, self->x0);
    self->members = ss_members_new (self->n, self->d, self->x0, fleet->lost_after_ms,
                                    fleet->start_timeout_ms, s_usecs ());
    self->slots = s_slots (self);
    self->rows = ss_rows_new (self->n, self->d, self->K, self->slots, fleet->lost_after_ms);
    self->targets = ss_targets_new (&fleet->model);
    if (!self->members || !self->rows || !self->targets) {
        snprintf (err, sizeof err, "out of memory for %d agents", self->n);
        return s_fail (&self, rc, 1, err);
    }
    self->highest = -1;
    self->resumed = -1;
    s_set_final (self, fleet->rounds > 0? fleet->rounds: -1, true);
    if (fleet->rounds > 0) {
        int64_t every = self->every;
        self->progress = every * ((fleet->rounds / 20 + every - 1) / every);
        if (self->progress < every)
            self->progress = every;
    }
    bool resume = !options->fresh && s_try_resume (self);
    self->log = ss_runlog_new (options->out, resume, err, sizeof err);
    if (!self->log)
        return s_fail (&self, rc, 1, err);
    if (!resume) {
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        char run [512];
        snprintf (run, sizeof run, "{\"fleet\":\"%s\",\"fleet_id\":\"%016" PRIx64
                  "\",\"agents\":%d,\"rounds\":%lld,\"report_every\":%d,"
                  "\"started\":%.3f}\n", fleet->name, self->fleet_id, self->n,
                  (long long) fleet->rounds, self->every, ts.tv_sec + ts.tv_nsec * 1e-9);
        char targets [PATH_MAX + 32];
        snprintf (targets, sizeof targets, "%s/targets.txt", options->out);
        unlink (targets);
        if (ss_runlog_text (self->log, "run.json", run)) {
            snprintf (err, sizeof err, "%s: cannot write run.json", options->out);
            return s_fail (&self, rc, 1, err);
        }
    }
    if (ss_runlog_positions (self->log, "initial.csv", self->x0, self->n, self->d)
    ||  ss_runlog_fleet (self->log, fleet, err, sizeof err)) {
        if (!*err)
            snprintf (err, sizeof err, "%s: cannot write initial.csv", options->out);
        return s_fail (&self, rc, 1, err);
    }
    if (options->insecure)
        s_say (self, "coordinator: warning: --insecure: no encryption, no "
                         "authentication\n");
    self->router = zsock_new (ZMQ_ROUTER);
    if (!self->router) {
        snprintf (err, sizeof err, "cannot create a socket");
        return s_fail (&self, rc, 1, err);
    }
    int hwm = self->n * 8 > 1000? self->n * 8: 1000;
    zsock_set_linger (self->router, 500);
    zsock_set_router_mandatory (self->router, 1);    //  a send to a gone connection says so
    zsock_set_rcvhwm (self->router, hwm);
    zsock_set_sndhwm (self->router, hwm);
    //  The largest legal frame: a report of K features, or a target
    size_t largest = ss_report_max_size ((uint32_t) self->K);
    zsock_set_maxmsgsize (self->router, (int) (largest > SS_PROTO_MAX_FRAME? largest:
                                               SS_PROTO_MAX_FRAME));
    zsock_set_handshake_ivl (self->router, 10000);
    //  Pending connections: every agent at once (a restarted coordinator),
    //  and room for a stranger's connection flood (libzmq's default of 100
    //  fills, and honest SYNs are dropped and retried seconds later)
    zsock_set_backlog (self->router, self->n * 2 > 1024? self->n * 2: 1024);
    //  Dead connections closed by the kernel (not ZMTP heartbeats: see
    //  agentd/ss_links.c s_keepalive)
    zsock_set_tcp_maxrt (self->router, 4 * fleet->lost_after_ms);
    zsock_set_tcp_keepalive (self->router, 1);
    zsock_set_tcp_keepalive_idle (self->router, fleet->lost_after_ms / 1000 > 0?
                                                fleet->lost_after_ms / 1000: 1);
    zsock_set_tcp_keepalive_intvl (self->router, 1);
    zsock_set_tcp_keepalive_cnt (self->router, 3);
    if (self->cert)
        ss_keys_apply_server (self->router, self->cert);
    //  At most twice what the fleet needs from one address (every agent,
    //  and operators), plus room: a stranger's flood of half-open
    //  handshakes is bounded (agentd/ss_connlimit.h)
    ss_tcpopt_t none = { 0 };
    self->tune = ss_tcptune_new (&none);
    if (self->tune)
        self->router_monitor = ss_tcptune_watch_accepts (self->tune, self->router,
                                                         ss_connlimit_bound (self->n + 16));
    if (!self->router_monitor) {
        snprintf (err, sizeof err, "cannot watch the coordinator's connections");
        return s_fail (&self, rc, 1, err);
    }
    if (zsock_bind (self->router, "%s", fleet->coordinator) == -1) {
        snprintf (err, sizeof err, "%s: coordinator/endpoint: cannot bind %s: %s",
                  fleet->path, fleet->coordinator, zmq_strerror (zmq_errno ()));
        return s_fail (&self, rc, 1, err);
    }
    if (!options->quiet)
        self->shown = ss_progress_new (stderr, "coordinator", fleet->rounds,
                                       self->progress > 0? self->progress: 1,
                                       SS_PROGRESS_AUTO);
    if (!resume && s_write_row0 (self))
        return s_fail (&self, rc, 1, NULL);
    *rc = 0;
    return self;
}

//  The ROUTER's connections: counted per address, the excess shut down
static int
s_on_monitor (zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    ss_coord_t *self = (ss_coord_t *) arg;
    ss_tcptune_drain (self->tune, sock);
    return 0;
}

int
ss_coord_run (ss_coord_t *self)
{
    if (!self->options.quiet)
        s_say (self, "coordinator: fleet %s, %d agents, listening on %s%s\n",
                 self->fleet->name, self->n, self->fleet->coordinator,
                 self->options.insecure? " (insecure)": " (CURVE)");
    if (self->http)
        s_say (self, "coordinator: live page %s, /metrics and /state.json: read-only, %s\n",
               ss_http_url (self->http), ss_http_loopback (self->http)? "loopback only"
               : "WARNING: reachable from other hosts, without authentication");
    self->loop = zloop_new ();
    if (!self->loop)
        return 1;
    //  Bound: systemctl start returns (Type=notify)
    ss_notify_ready ();
    zloop_reader (self->loop, self->router, s_on_router, self);
    zloop_reader (self->loop, self->router_monitor, s_on_monitor, self);
    if (self->zap)
        zloop_reader (self->loop, ss_zap_socket (self->zap), s_on_zap, self);
    zloop_timer (self->loop, (size_t) self->fleet->heartbeat_ms, 0, s_on_liveness, self);
    //  zloop_start returns 0 when a signal interrupts its poll, -1 when a
    //  handler ended the run
    for (int turns = 0; turns < 1000000; turns++) {
        if (zloop_start (self->loop) == -1 || s_check_end (self) == -1)
            break;
    }
    ss_notify_stopping ();
    if (ss_tcptune_limited (self->tune))
        s_say (self, "coordinator: %llu connections refused: too many from one address\n",
               (unsigned long long) ss_tcptune_limited (self->tune));
    if (s_write_files (self))
        self->exit_code = 1;
    return self->exit_code;
}
