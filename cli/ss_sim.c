/*  ss_sim: the in-process simulator and the centralized reference. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ss_sim.h"
#include "ss_footprint.h"
#include "ss_hypergrad.h"
#include "ss_lower.h"
#include "ss_progress.h"


struct ss_sim_t {
    const ss_fleet_t *fleet;
    bool centralized;
    int n, d, K;
    int64_t round;
    ss_problem_t *problem;
    ss_graph_t *graph;
    ss_work_t *work;
    ss_agent_t *cur, *next;     //  n agents each, swapped every round
    double *store;              //  theta and s of both generations
    double *x;                  //  n x d positions, current round
    double *x0;
    double *grad;               //  n x d scratch for scoring
    double *theta_star;         //  K: warm start of exact solves
    double *theta_score;        //  K: warm start of scoring
    ss_neighbour_t *nbrs;       //  scratch, max degree
    int64_t *out, *in;          //  K: one link's mass (scratch)
};

ss_sim_t *
ss_sim_new (const ss_fleet_t *fleet, bool centralized, char *err,
            size_t err_size)
{
    ss_sim_t *self = calloc (1, sizeof (ss_sim_t));
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->fleet = fleet;
    self->centralized = centralized;
    self->n = fleet->count;
    self->d = fleet->model.dim;
    self->problem = ss_problem_new (&fleet->model, &fleet->target);
    self->graph = ss_fleet_graph (fleet, err, err_size);
    if (!self->problem || !self->graph) {
        if (!self->problem)
            snprintf (err, err_size, "%s: fleet/model: cannot build the model", fleet->path);
        ss_sim_destroy (&self);
        return NULL;
    }
    int n = self->n, d = self->d, K = self->K = self->problem->K;
    self->work = ss_work_new (self->problem);
    self->cur = calloc ((size_t) n, sizeof (ss_agent_t));
    self->next = calloc ((size_t) n, sizeof (ss_agent_t));
    self->store = calloc ((size_t) n * K * 4, sizeof (double));
    self->x = calloc ((size_t) n * d, sizeof (double));
    self->x0 = calloc ((size_t) n * d, sizeof (double));
    self->grad = calloc ((size_t) n * d, sizeof (double));
    self->theta_star = calloc ((size_t) K, sizeof (double));
    self->theta_score = calloc ((size_t) K, sizeof (double));
    self->nbrs = calloc ((size_t) n, sizeof (ss_neighbour_t));
    self->out = calloc ((size_t) K, sizeof (int64_t));
    self->in = calloc ((size_t) K, sizeof (int64_t));
    if (!self->work || !self->cur || !self->next || !self->store || !self->x
    ||  !self->x0 || !self->grad || !self->theta_star || !self->theta_score
    ||  !self->nbrs || !self->out || !self->in) {
        snprintf (err, err_size, "out of memory for %d agents", n);
        ss_sim_destroy (&self);
        return NULL;
    }
    ss_fleet_positions (fleet, self->x0);
    memcpy (self->x, self->x0, (size_t) n * d * sizeof (double));
    for (int i = 0; i < n; i++) {
        double *base = self->store + (size_t) i * 4 * K;
        self->cur [i].theta = base;
        self->cur [i].s = base + K;
        self->next [i].theta = base + 2 * K;
        self->next [i].s = base + 3 * K;
        ss_round_init (self->problem, &self->cur [i], self->x0 + (size_t) i * d);
    }
    return self;
}

void
ss_sim_destroy (ss_sim_t **self_p)
{
    if (*self_p) {
        ss_sim_t *self = *self_p;
        ss_problem_destroy (&self->problem);
        ss_graph_destroy (&self->graph);
        ss_work_destroy (&self->work);
        free (self->cur);
        free (self->next);
        free (self->store);
        free (self->x);
        free (self->x0);
        free (self->grad);
        free (self->theta_star);
        free (self->theta_score);
        free (self->nbrs);
        free (self->out);
        free (self->in);
        free (self);
        *self_p = NULL;
    }
}

//  The reference: theta* exact, everyone moves with it
static double
s_step_centralized (ss_sim_t *self)
{
    const ss_problem_t *P = self->problem;
    double sigma [SS_MAX_K], worst = 0;
    ss_footprint_aggregate (P, self->x, self->n, sigma);
    ss_lower_solve (P, sigma, self->theta_star, SS_SCORE_TOL, self->work);
    for (int i = 0; i < self->n; i++) {
        ss_agent_t *agent = &self->cur [i];
        double out [SS_MAX_DIM];
        double step = ss_round_move (P, agent->x, agent->x0, self->work, out);
        memcpy (agent->x, out, (size_t) self->d * sizeof (double));
        memcpy (agent->theta, self->theta_star, (size_t) self->K * sizeof (double));
        ss_footprint (P, agent->x, agent->s);
        if (step > worst)
            worst = step;
    }
    return worst;
}

//  One agent's round, as agentd runs it when every message is on time:
//  neighbours in ascending id order with their round-k thetas, and the net
//  tracker mass of the round, sum_j m_ji - sum_j m_ij, each mass quantised
//  by its sender exactly as agentd's ss_peers does (integer sums: the same
//  bits whatever the order)
static double
s_step_agent (ss_sim_t *self, int i, int64_t *net)
{
    const ss_problem_t *P = self->problem;
    const int K = self->K;
    int deg = ss_graph_degree (self->graph, i);
    const int *row = ss_graph_neighbours (self->graph, i);
    uint64_t *sum = (uint64_t *) net;
    memset (sum, 0, (size_t) K * sizeof (uint64_t));
    for (int r = 0; r < deg; r++) {
        int j = row [r];
        double w = ss_round_weight (deg, ss_graph_degree (self->graph, j));
        self->nbrs [r] = (ss_neighbour_t) { .theta = self->cur [j].theta, .weight = w };
        ss_round_mass (P, &self->cur [i], w, self->out);
        ss_round_mass (P, &self->cur [j], w, self->in);
        for (int k = 0; k < K; k++)
            sum [k] += (uint64_t) self->in [k] - (uint64_t) self->out [k];
    }
    return ss_round_step (P, &self->cur [i], self->nbrs, deg, net,
                          &self->next [i], self->work);
}

double
ss_sim_step (ss_sim_t *self)
{
    double worst = 0;
    if (self->centralized)
        worst = s_step_centralized (self);
    else {
        int64_t net [SS_MAX_K];
        for (int i = 0; i < self->n; i++) {
            double step = s_step_agent (self, i, net);
            if (step > worst)
                worst = step;
        }
        ss_agent_t *swap = self->cur;
        self->cur = self->next;
        self->next = swap;
    }
    for (int i = 0; i < self->n; i++)
        memcpy (self->x + (size_t) i * self->d, self->cur [i].x,
                (size_t) self->d * sizeof (double));
    self->round++;
    return worst;
}

void
ss_sim_score (ss_sim_t *self, ss_score_t *score)
{
    //  cur[i].theta and cur[i].s sit 4K apart from agent to agent (ss_sim_new)
    ss_score_state (self->problem, self->n, self->x, self->x0,
                    self->cur [0].theta, self->cur [0].s, (size_t) 4 * self->K,
                    self->theta_score, self->grad, self->work, score);
}

int64_t
ss_sim_round (ss_sim_t *self)
{
    return self->round;
}

const ss_agent_t *
ss_sim_agent (ss_sim_t *self, int i)
{
    return &self->cur [i];
}

const double *
ss_sim_positions (ss_sim_t *self)
{
    return self->x;
}

const ss_problem_t *
ss_sim_problem (ss_sim_t *self)
{
    return self->problem;
}

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int
ss_sim_run (const ss_fleet_t *fleet, const char *out_dir,
            const ss_sim_options_t *options, char *err, size_t err_size)
{
    if (fleet->rounds <= 0) {
        snprintf (err, err_size, "%s: fleet/rounds: sim needs rounds > 0", fleet->path);
        return -1;
    }
    ss_sim_t *self = ss_sim_new (fleet, options->centralized, err, err_size);
    if (!self)
        return -1;
    ss_runlog_t *log = ss_runlog_new (out_dir, false, err, err_size);
    if (!log) {
        ss_sim_destroy (&self);
        return -1;
    }
    int rc = 0;
    const char *mode = options->centralized? "centralized": "sim";
    if (ss_runlog_positions (log, "initial.csv", self->x0, self->n, self->d)) {
        snprintf (err, err_size, "%s: cannot write initial.csv", out_dir);
        rc = -1;
    }
    if (rc == 0 && ss_runlog_fleet (log, fleet, err, err_size))
        rc = -1;
    int every = fleet->report_every;
    int64_t progress = every * ((fleet->rounds / 20 + every - 1) / every);
    if (progress < every)
        progress = every;
    ss_progress_t *shown = options->quiet? NULL:
        ss_progress_new (stderr, mode, fleet->rounds, progress, SS_PROGRESS_AUTO);
    double start = s_now ();
    ss_score_t first, score;
    ss_sim_score (self, &first);
    score = first;
    double step = 0;
    for (int64_t k = 0; rc == 0 && k <= fleet->rounds; k++) {
        if (k > 0)
            step = ss_sim_step (self);
        bool last = k == fleet->rounds || (options->stop && *options->stop);
        if (k % every && !last)
            continue;
        if (k > 0)
            ss_sim_score (self, &score);
        ss_trace_row_t row = {
            .round = k, .agents = self->n, .J = score.J, .kl = score.kl,
            .disagreement = score.disagreement, .step = step,
            .grad = score.grad, .bias = score.bias,
            .seconds = s_now () - start
        };
        if (ss_runlog_trace (log, &row)) {
            snprintf (err, err_size, "%s: cannot write trace.jsonl", out_dir);
            rc = -1;
        }
        if (rc == 0 && ss_runlog_frames (log, k, self->x, NULL, self->n, self->d)) {
            snprintf (err, err_size, "%s: cannot write frames.csv", out_dir);
            rc = -1;
        }
        ss_progress_sample_t sample = {
            .round = k, .J = score.J, .kl = score.kl,
            .disagreement = score.disagreement, .grad = score.grad, .step = step,
            .live = self->n, .agents = self->n, .deaths = -1, .restarts = -1
        };
        if (shown)
            ss_progress_update (shown, &sample, last, s_now ());
        if (last)
            break;
    }
    ss_progress_destroy (&shown);
    double seconds = s_now () - start;
    int64_t done = ss_sim_round (self);
    if (rc == 0 && ss_runlog_positions (log, "positions.csv", self->x, self->n, self->d)) {
        snprintf (err, err_size, "%s: cannot write positions.csv", out_dir);
        rc = -1;
    }
    ss_summary_t summary = {
        .mode = mode, .fleet = fleet->name, .rounds = done, .agents = self->n,
        .J0 = first.J, .J = score.J, .kl0 = first.kl, .kl = score.kl,
        .grad0 = first.grad, .grad = score.grad,
        .disagreement = score.disagreement, .bias = score.bias,
        .seconds = seconds,
        .rounds_per_second = seconds > 0? done / seconds: 0
    };
    if (rc == 0 && ss_runlog_summary (log, &summary)) {
        snprintf (err, err_size, "%s: cannot write summary.json", out_dir);
        rc = -1;
    }
    if (rc == 0 && !options->quiet)
        fprintf (stderr, "%s: done: %lld rounds, %d agents, J %.6f -> %.6f, "
                         "%.1f rounds/s; files in %s\n", mode, (long long) done,
                 self->n, first.J, score.J, summary.rounds_per_second, out_dir);
    ss_runlog_destroy (&log);
    ss_sim_destroy (&self);
    return rc;
}
