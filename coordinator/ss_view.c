/*  ss_view: the live page's snapshot and its renderings (see ss_view.h). */

#include <assert.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ss_view.h"

#define S_RING 256              //  recent rows kept for the rate

typedef struct {
    int64_t round;
    double J, disagreement, bias;
    int target;
} s_point_t;

typedef struct {
    bool live;
    int64_t round;              //  highest reported, -1 none
    uint64_t epoch, drops, substitutions;
    uint32_t state;
    int64_t silent_ms;          //  -1: never heard
} s_agent_t;

struct ss_view_t {
    pthread_mutex_t lock;
    char name [256];
    int n, d, nq;
    double lo, hi;
    int64_t rounds;
    const char *const *reasons;
    int n_reasons;
    //  The last row
    bool have_row;
    int64_t round;
    int in_row, target;
    ss_score_t score;
    double step, seconds;
    int *ids;                   //  n
    double *x;                  //  n x d
    //  The trace, evenly thinned (ss_view.h)
    s_point_t *trace;
    int n_trace;
    int64_t stride, rows_seen;
    bool tail_extra;            //  the last point is off the stride
    //  Recent rows: (round, time) for the rate
    int64_t ring_round [S_RING];
    double ring_time [S_RING];
    int ring_next, ring_count;
    //  The target density drawn: grid_n values per axis, grid_dim axes
    int grid_target;            //  targets in force it was built for, -1 none
    int grid_dim;
    double *grid;               //  nq^grid_dim
    //  The run and its agents
    int64_t highest, final_round, missed, late;
    int targets, live;
    uint64_t *drops;            //  n_reasons
    s_agent_t *agents;          //  n
};

ss_view_t *
ss_view_new (const char *name, const ss_model_t *model, int n, int64_t rounds,
             const char *const *reasons, int n_reasons)
{
    assert (n > 0 && model->dim >= 1 && model->dim <= SS_MAX_DIM && n_reasons >= 0);
    ss_view_t *self = calloc (1, sizeof (ss_view_t));
    if (!self)
        return NULL;
    pthread_mutex_init (&self->lock, NULL);
    snprintf (self->name, sizeof self->name, "%s", name);
    self->n = n;
    self->d = model->dim;
    self->nq = model->nq;
    self->lo = model->lo;
    self->hi = model->hi;
    self->rounds = rounds;
    self->reasons = reasons;
    self->n_reasons = n_reasons;
    self->round = -1;
    self->stride = 1;
    self->grid_target = -1;
    self->grid_dim = self->d > 2? 2: self->d;
    self->highest = -1;
    self->final_round = rounds > 0? rounds: -1;
    self->live = n;
    size_t cells = (size_t) self->nq * (self->grid_dim == 2? (size_t) self->nq: 1);
    self->ids = calloc ((size_t) n, sizeof (int));
    self->x = calloc ((size_t) n * self->d, sizeof (double));
    self->trace = calloc (SS_VIEW_TRACE, sizeof (s_point_t));
    self->grid = calloc (cells, sizeof (double));
    self->drops = calloc ((size_t) (n_reasons > 0? n_reasons: 1), sizeof (uint64_t));
    self->agents = calloc ((size_t) n, sizeof (s_agent_t));
    if (!self->ids || !self->x || !self->trace || !self->grid || !self->drops
    ||  !self->agents) {
        ss_view_destroy (&self);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        self->agents [i] = (s_agent_t) { .live = true, .round = -1, .silent_ms = -1 };
    return self;
}

//  Free a view's arrays and the view (or a copy made by s_copy)
static void
s_copy_free (ss_view_t **copy_p)
{
    ss_view_t *copy = *copy_p;
    if (copy) {
        free (copy->ids);
        free (copy->x);
        free (copy->trace);
        free (copy->grid);
        free (copy->drops);
        free (copy->agents);
        free (copy);
        *copy_p = NULL;
    }
}

void
ss_view_destroy (ss_view_t **self_p)
{
    if (*self_p)
        pthread_mutex_destroy (&(*self_p)->lock);
    s_copy_free (self_p);
}

//  The target density in force: per unit length (1-D), area (2-D), or
//  the (x1, x2) marginal per unit area (3-D)
static void
s_build_grid (ss_view_t *self, const ss_problem_t *problem)
{
    int nq = self->nq;
    double cell = (self->hi - self->lo) / nq;
    size_t plane = (size_t) nq * (self->grid_dim == 2? (size_t) nq: 1);
    memset (self->grid, 0, plane * sizeof (double));
    for (int g = 0; g < problem->G; g++)
        self->grid [(size_t) g % plane] += problem->q [g];
    for (size_t c = 0; c < plane; c++)
        self->grid [c] /= self->grid_dim == 2? cell * cell: cell;
}

static void
s_trace_add (ss_view_t *self, const s_point_t *point)
{
    if (self->tail_extra)
        self->n_trace--;            //  the newest row replaces an off-stride one
    int64_t index = self->rows_seen++;
    if (self->n_trace == SS_VIEW_TRACE) {
        int kept = 0;
        for (int i = 0; i < self->n_trace; i += 2)
            self->trace [kept++] = self->trace [i];
        self->n_trace = kept;
        self->stride *= 2;
    }
    self->trace [self->n_trace++] = *point;
    self->tail_extra = index % self->stride != 0;
}

void
ss_view_row (ss_view_t *self, const ss_view_row_t *row, const ss_problem_t *problem,
             double now)
{
    assert (self && row && row->agents >= 0 && row->agents <= self->n);
    pthread_mutex_lock (&self->lock);
    self->have_row = true;
    self->round = row->round;
    self->in_row = row->agents;
    self->score = row->score;
    self->step = row->step;
    self->seconds = row->seconds;
    self->target = row->target;
    size_t d = (size_t) self->d;
    for (int a = 0; a < row->agents; a++)
        self->ids [a] = row->ids? row->ids [a]: a;
    memcpy (self->x, row->x, (size_t) row->agents * d * sizeof (double));
    s_point_t point = { .round = row->round, .J = row->score.J,
                        .disagreement = row->score.disagreement, .bias = row->score.bias,
                        .target = row->target };
    s_trace_add (self, &point);
    self->ring_round [self->ring_next] = row->round;
    self->ring_time [self->ring_next] = now;
    self->ring_next = (self->ring_next + 1) % S_RING;
    if (self->ring_count < S_RING)
        self->ring_count++;
    if (problem && row->target != self->grid_target) {
        s_build_grid (self, problem);
        self->grid_target = row->target;
    }
    pthread_mutex_unlock (&self->lock);
}

//  An agent's drops by its own counters: frames it refused (not the
//  stale and duplicate estimates every lossy run has)
static uint64_t
s_agent_drops (const ss_member_t *m)
{
    uint64_t drops = m->counters [SS_CTR_DROP_EPOCH] + m->counters [SS_CTR_DROP_VALUE];
    for (int c = SS_CTR_DROP_DECODE; c <= SS_CTR_DROP_TYPE; c++)
        drops += m->counters [c];
    return drops;
}

void
ss_view_run (ss_view_t *self, ss_members_t *members, const ss_view_run_t *run,
             int64_t now_us)
{
    assert (self && members && run && ss_members_size (members) == self->n);
    pthread_mutex_lock (&self->lock);
    self->highest = run->highest;
    self->final_round = run->final_round;
    self->missed = run->missed;
    self->late = run->late;
    self->targets = run->targets;
    if (run->drops)
        memcpy (self->drops, run->drops, (size_t) self->n_reasons * sizeof (uint64_t));
    self->live = ss_members_live (members);
    for (int i = 0; i < self->n; i++) {
        const ss_member_t *m = ss_members_get (members, i);
        self->agents [i] = (s_agent_t) {
            .live = !m->lost, .round = m->hi, .epoch = m->epoch, .drops = s_agent_drops (m),
            .substitutions = m->counters [SS_CTR_SUBSTITUTIONS], .state = m->state,
            .silent_ms = m->heard >= 0? (now_us - m->heard) / 1000: -1
        };
    }
    pthread_mutex_unlock (&self->lock);
}

//  The rate over the window (ss_view.h), under the lock or of a copy
static double
s_rate (ss_view_t *self, double now)
{
    if (self->ring_count < 2)
        return 0;
    int newest = (self->ring_next + S_RING - 1) % S_RING;
    int oldest = (self->ring_next + S_RING - self->ring_count) % S_RING;
    int ref = oldest;
    for (int k = 0; k < self->ring_count; k++) {
        int at = (oldest + k) % S_RING;
        if (self->ring_time [at] <= now - SS_VIEW_RATE_S)
            ref = at;
    }
    double span = now - self->ring_time [ref];
    int64_t rounds = self->ring_round [newest] - self->ring_round [ref];
    return span > 0 && rounds > 0? (double) rounds / span: 0;
}

double
ss_view_rate (ss_view_t *self, double now)
{
    pthread_mutex_lock (&self->lock);
    double rate = s_rate (self, now);
    pthread_mutex_unlock (&self->lock);
    return rate;
}

int64_t
ss_view_round (ss_view_t *self)
{
    pthread_mutex_lock (&self->lock);
    int64_t round = self->round;
    pthread_mutex_unlock (&self->lock);
    return round;
}

static void *
s_dup (const void *data, size_t size)
{
    void *copy = malloc (size? size: 1);
    if (copy)
        memcpy (copy, data, size);
    return copy;
}

//  The snapshot copied under the lock, so that rendering (the slow part:
//  text, a jansson tree) holds it only for a few memcpy's; NULL if out of
//  memory. The copy has no lock: s_copy_free it.
static ss_view_t *
s_copy (ss_view_t *self)
{
    ss_view_t *copy = malloc (sizeof (ss_view_t));
    if (!copy)
        return NULL;
    pthread_mutex_lock (&self->lock);
    *copy = *self;
    size_t n = (size_t) self->n, d = (size_t) self->d;
    size_t cells = (size_t) self->nq * (self->grid_dim == 2? (size_t) self->nq: 1);
    copy->ids = s_dup (self->ids, (size_t) self->in_row * sizeof (int));
    copy->x = s_dup (self->x, (size_t) self->in_row * d * sizeof (double));
    copy->trace = s_dup (self->trace, (size_t) self->n_trace * sizeof (s_point_t));
    copy->grid = s_dup (self->grid, cells * sizeof (double));
    copy->drops = s_dup (self->drops, (size_t) self->n_reasons * sizeof (uint64_t));
    copy->agents = s_dup (self->agents, n * sizeof (s_agent_t));
    pthread_mutex_unlock (&self->lock);
    if (!copy->ids || !copy->x || !copy->trace || !copy->grid || !copy->drops
    ||  !copy->agents)
        s_copy_free (&copy);
    return copy;
}

static int64_t
s_lag (const ss_view_t *self, const s_agent_t *a)
{
    return a->round >= 0 && self->highest >= a->round? self->highest - a->round: 0;
}

//  A Prometheus sample value: Go's float syntax (NaN, +Inf, -Inf)
static void
s_value (FILE *out, double v)
{
    if (isnan (v))
        fputs ("NaN", out);
    else
    if (isinf (v))
        fputs (v > 0? "+Inf": "-Inf", out);
    else
        fprintf (out, "%.17g", v);
}

static void
s_family (FILE *out, const char *name, const char *type, const char *help)
{
    fprintf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
s_metric (FILE *out, const char *name, const char *type, const char *help, double v)
{
    s_family (out, name, type, help);
    fprintf (out, "%s ", name);
    s_value (out, v);
    fputc ('\n', out);
}

//  A label value: backslash, double quote and newline escaped
static void
s_label (FILE *out, const char *text)
{
    for (const char *c = text; *c; c++) {
        if (*c == '\\' || *c == '"')
            fputc ('\\', out);
        if (*c == '\n')
            fputs ("\\n", out);
        else
            fputc (*c, out);
    }
}

char *
ss_view_metrics (ss_view_t *view, double now)
{
    ss_view_t *self = s_copy (view);
    char *text = NULL;
    size_t size = 0;
    FILE *out = self? open_memstream (&text, &size): NULL;
    if (!out) {
        s_copy_free (&self);
        return NULL;
    }
    s_family (out, "swarmshape_info", "gauge", "The fleet monitored (value 1).");
    fputs ("swarmshape_info{fleet=\"", out);
    s_label (out, self->name);
    fprintf (out, "\",dim=\"%d\"} 1\n", self->d);
    bool row = self->have_row;
    s_metric (out, "swarmshape_round", "gauge",
              "Last complete round traced (-1: none yet).", (double) self->round);
    s_metric (out, "swarmshape_run_rounds", "gauge",
              "Rounds of the run (0: until stopped).", (double) self->rounds);
    s_metric (out, "swarmshape_final_round", "gauge",
              "Round the run ends after (-1: not known yet).", (double) self->final_round);
    s_metric (out, "swarmshape_highest_round", "gauge",
              "Highest round two agents have shown (-1: none).", (double) self->highest);
    s_metric (out, "swarmshape_J", "gauge",
              "J: KL(q || p_theta*) plus anchoring, of the last row's positions.", row? self->score.J: NAN);
    s_metric (out, "swarmshape_kl", "gauge",
              "KL(q || p_theta*): the KL part of J in the last row.",
              row? self->score.kl: NAN);
    s_metric (out, "swarmshape_disagreement", "gauge",
              "max_i |theta_i - mean theta|_inf in the last row.",
              row? self->score.disagreement: NAN);
    s_metric (out, "swarmshape_bias", "gauge",
              "|mean_i s_i - sigma(x)|_inf: the trackers' bias in the last row.",
              row? self->score.bias: NAN);
    s_metric (out, "swarmshape_grad", "gauge",
              "max_i N |projected grad_x_i J| in the last row.", row? self->score.grad: NAN);
    s_metric (out, "swarmshape_step", "gauge",
              "Largest step an agent reported for the last row.", row? self->step: NAN);
    s_metric (out, "swarmshape_run_seconds", "gauge",
              "The run's clock at the last row (s).", row? self->seconds: 0);
    s_metric (out, "swarmshape_rounds_per_second", "gauge",
              "Rounds per second over the last rows.", s_rate (self, now));
    s_metric (out, "swarmshape_agents", "gauge", "Agents of the fleet.", self->n);
    s_metric (out, "swarmshape_agents_live", "gauge", "Agents live now.", self->live);
    s_metric (out, "swarmshape_agents_lost", "gauge", "Agents declared lost now.",
              self->n - self->live);
    s_metric (out, "swarmshape_agents_in_row", "gauge",
              "Agents scored in the last row.", self->in_row);
    s_metric (out, "swarmshape_targets", "gauge",
              "Targets in force at the last row.", self->target);
    s_metric (out, "swarmshape_targets_announced", "gauge",
              "Targets announced by the operator.", self->targets);
    s_metric (out, "swarmshape_late_reports_total", "counter",
              "Reports that came after their round's row was written.", (double) self->late);
    s_metric (out, "swarmshape_missed_reports_total", "counter",
              "Report rounds without a row in the trace.", (double) self->missed);
    s_family (out, "swarmshape_dropped_total", "counter",
              "Messages the coordinator dropped, by reason.");
    for (int r = 0; r < self->n_reasons; r++) {
        fputs ("swarmshape_dropped_total{reason=\"", out);
        s_label (out, self->reasons [r]);
        fprintf (out, "\"} %llu\n", (unsigned long long) self->drops [r]);
    }
    s_family (out, "swarmshape_agent_up", "gauge", "1: the agent is live, 0: lost.");
    for (int i = 0; i < self->n; i++)
        fprintf (out, "swarmshape_agent_up{agent=\"%d\"} %d\n", i, self->agents [i].live);
    s_family (out, "swarmshape_agent_round", "gauge",
              "Highest round the agent reported (-1: none).");
    for (int i = 0; i < self->n; i++)
        fprintf (out, "swarmshape_agent_round{agent=\"%d\"} %lld\n", i,
                 (long long) self->agents [i].round);
    s_family (out, "swarmshape_agent_lag", "gauge",
              "Rounds the agent's last report is behind the fleet's highest round.");
    for (int i = 0; i < self->n; i++)
        fprintf (out, "swarmshape_agent_lag{agent=\"%d\"} %lld\n", i,
                 (long long) s_lag (self, &self->agents [i]));
    s_family (out, "swarmshape_agent_epoch", "gauge", "The agent's membership epoch.");
    for (int i = 0; i < self->n; i++)
        fprintf (out, "swarmshape_agent_epoch{agent=\"%d\"} %llu\n", i,
                 (unsigned long long) self->agents [i].epoch);
    s_family (out, "swarmshape_agent_dropped_total", "counter",
              "Frames the agent refused, as its last report counted them.");
    for (int i = 0; i < self->n; i++)
        fprintf (out, "swarmshape_agent_dropped_total{agent=\"%d\"} %llu\n", i,
                 (unsigned long long) self->agents [i].drops);
    s_family (out, "swarmshape_agent_substitutions_total", "counter",
              "Rounds the agent ran without a live neighbour's estimate.");
    for (int i = 0; i < self->n; i++)
        fprintf (out, "swarmshape_agent_substitutions_total{agent=\"%d\"} %llu\n", i,
                 (unsigned long long) self->agents [i].substitutions);
    s_copy_free (&self);
    if (fclose (out)) {
        free (text);
        return NULL;
    }
    return text;
}

//  A JSON number, or null when it is not finite (JSON has no NaN)
static json_t *
s_real (double v)
{
    return isfinite (v)? json_real (v): json_null ();
}

static const char *
s_state_name (uint32_t state)
{
    static const char *names [] = { "starting", "ready", "running", "stopping" };
    return state < 4? names [state]: "unknown";
}

//  The trace as columns
static json_t *
s_json_trace (const ss_view_t *self)
{
    json_t *round = json_array (), *J = json_array (), *dis = json_array (),
           *bias = json_array (), *target = json_array ();
    for (int p = 0; p < self->n_trace; p++) {
        const s_point_t *point = &self->trace [p];
        json_array_append_new (round, json_integer (point->round));
        json_array_append_new (J, s_real (point->J));
        json_array_append_new (dis, s_real (point->disagreement));
        json_array_append_new (bias, s_real (point->bias));
        json_array_append_new (target, json_integer (point->target));
    }
    return json_pack ("{s:o, s:o, s:o, s:o, s:o, s:I}", "round", round, "J", J,
                      "disagreement", dis, "bias", bias, "target", target,
                      "stride", (json_int_t) self->stride);
}

static json_t *
s_json_positions (const ss_view_t *self)
{
    json_t *ids = json_array (), *xs = json_array ();
    for (int a = 0; a < self->in_row; a++) {
        json_array_append_new (ids, json_integer (self->ids [a]));
        json_t *x = json_array ();
        for (int c = 0; c < self->d; c++)
            json_array_append_new (x, s_real (self->x [(size_t) a * self->d + c]));
        json_array_append_new (xs, x);
    }
    return json_pack ("{s:I, s:o, s:o}", "round", (json_int_t) self->round, "ids", ids,
                      "x", xs);
}

static json_t *
s_json_target (const ss_view_t *self)
{
    json_t *values = json_array ();
    size_t cells = self->grid_target < 0? 0:
                   (size_t) self->nq * (self->grid_dim == 2? (size_t) self->nq: 1);
    for (size_t c = 0; c < cells; c++)
        json_array_append_new (values, s_real (self->grid [c]));
    return json_pack ("{s:i, s:i, s:i, s:s, s:o}", "index", self->grid_target,
                      "nq", self->nq, "dim", self->grid_dim, "axes",
                      self->d == 3? "x1,x2 (marginal)": self->d == 2? "x1,x2": "x1",
                      "values", values);
}

static json_t *
s_json_members (const ss_view_t *self)
{
    json_t *members = json_array ();
    for (int i = 0; i < self->n; i++) {
        const s_agent_t *a = &self->agents [i];
        json_array_append_new (members, json_pack (
            "{s:i, s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "id", i, "live", a->live,
            "state", s_state_name (a->state), "round", (json_int_t) a->round,
            "lag", (json_int_t) s_lag (self, a), "epoch", (json_int_t) a->epoch,
            "drops", (json_int_t) a->drops, "substitutions", (json_int_t) a->substitutions,
            "silent_ms", (json_int_t) a->silent_ms));
    }
    return members;
}

char *
ss_view_json (ss_view_t *view, double now)
{
    ss_view_t *self = s_copy (view);
    if (!self)
        return NULL;
    bool row = self->have_row;
    json_t *lost = json_array (), *drops = json_object ();
    for (int i = 0; i < self->n; i++)
        if (!self->agents [i].live)
            json_array_append_new (lost, json_integer (i));
    for (int r = 0; r < self->n_reasons; r++)
        json_object_set_new (drops, self->reasons [r], json_integer ((json_int_t)
                                                                     self->drops [r]));
    json_t *root = json_pack (
        "{s:s, s:i, s:[f, f], s:i, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o,"
        " s:f, s:f, s:i, s:i, s:o, s:i, s:i, s:I, s:I, s:o}",
        "fleet", self->name, "dim", self->d, "box", self->lo, self->hi,
        "agents", self->n, "rounds", (json_int_t) self->rounds,
        "round", (json_int_t) self->round, "final", (json_int_t) self->final_round,
        "highest", (json_int_t) self->highest,
        "J", s_real (row? self->score.J: NAN), "kl", s_real (row? self->score.kl: NAN),
        "disagreement", s_real (row? self->score.disagreement: NAN),
        "bias", s_real (row? self->score.bias: NAN),
        "grad", s_real (row? self->score.grad: NAN), "step", s_real (row? self->step: NAN),
        "seconds", row? self->seconds: 0.0, "rounds_per_second", s_rate (self, now),
        "live", self->live, "in_row", self->in_row, "lost", lost,
        "target", self->target, "targets", self->targets,
        "missed_reports", (json_int_t) self->missed, "late_reports", (json_int_t) self->late,
        "drops", drops);
    if (root) {
        json_object_set_new (root, "positions", s_json_positions (self));
        json_object_set_new (root, "trace", s_json_trace (self));
        json_object_set_new (root, "grid", s_json_target (self));
        json_object_set_new (root, "members", s_json_members (self));
    }
    s_copy_free (&self);
    char *text = root? json_dumps (root, JSON_COMPACT | JSON_REAL_PRECISION (10)): NULL;
    json_decref (root);
    return text;
}
