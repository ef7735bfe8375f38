/*  ss_fleetrun: a supervised fleet run (launch, experiment). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ss_fleetrun.h"
#include "ss_runlog.h"

#define SS_RUN_GRACE        15.0    //  s the agents may take after the coordinator ended
#define SS_RUN_KILL_WAIT    3.0     //  s between SIGTERM and SIGKILL
#define SS_RUN_LINE         4096    //  longest trace row read
#define SS_RUN_COORD_NICE   (-10)   //  the coordinator's priority over the agents

typedef struct {
    int child, id;                  //  id -1: the coordinator
    char how [48];
    int64_t died_round, back_round;     //  back -1: never
    double died_at, back_at;
} s_down_t;

struct ss_fleetrun_t {
    const ss_fleet_t *fleet;
    ss_fleetrun_options_t opt;
    char out [PATH_MAX];
    char agentd [PATH_MAX], coordinator [PATH_MAX];
    ss_supervisor_t *sv;
    int coord;                      //  supervisor index
    int *agent_child;               //  count: supervisor index or -1
    int local;
    ss_progress_t *progress;
    double start, coord_done_at;
    bool started, over, interrupted, coord_ok;
    //  the trace follower
    char trace_path [PATH_MAX + 32];
    long offset;
    char partial [SS_RUN_LINE];
    size_t partial_len;
    ss_fleetrun_row_t row;
    //  what the run survived
    s_down_t *downs;
    int n_downs, cap_downs;
    int deaths, restarts;
    char *supervision;
};

static double
s_now (void)
{
    return ss_progress_now ();
}

int
ss_find_program (const char *name, char *out, size_t size)
{
    char self [PATH_MAX];
    ssize_t len = readlink ("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
        self [len] = 0;
        char *dir = dirname (self);
        snprintf (out, size, "%s/../%s/%s", dir, name, name);
        if (access (out, X_OK) == 0)
            return 0;
        snprintf (out, size, "%s/%s", dir, name);
        if (access (out, X_OK) == 0)
            return 0;
    }
    const char *path = getenv ("PATH");
    while (path && *path) {
        const char *colon = strchr (path, ':');
        int n = colon? (int) (colon - path): (int) strlen (path);
        snprintf (out, size, "%.*s/%s", n, path, name);
        if (n > 0 && access (out, X_OK) == 0)
            return 0;
        path = colon? colon + 1: NULL;
    }
    return -1;
}

double
ss_json_number (const char *json, const char *key, double fallback)
{
    char pattern [80];
    snprintf (pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr (json, pattern);
    if (!at)
        return fallback;
    at += strlen (pattern);
    char *end;
    double value = strtod (at, &end);
    return end == at? fallback: value;
}

static bool
s_is_local (const char *host, const char *hostname, const char *extra)
{
    return !strcmp (host, "127.0.0.1") || !strcmp (host, "localhost")
        || !strcmp (host, "::1") || (*hostname && !strcmp (host, hostname))
        || (extra && !strcmp (host, extra));
}

ss_fleetrun_t *
ss_fleetrun_new (const ss_fleet_t *fleet, const ss_fleetrun_options_t *options,
                 char *err, size_t err_size)
{
    ss_fleetrun_t *self = calloc (1, sizeof (ss_fleetrun_t));
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->fleet = fleet;
    self->opt = *options;
    if (!self->opt.label)
        self->opt.label = "launch";
    snprintf (self->out, sizeof self->out, "%s", options->out);
    self->coord = -1;
    self->row.round = -1;
    self->sv = ss_supervisor_new ();
    self->agent_child = malloc ((size_t) fleet->count * sizeof (int));
    if (!self->sv || !self->agent_child) {
        snprintf (err, err_size, "out of memory");
        ss_fleetrun_destroy (&self);
        return NULL;
    }
    for (int i = 0; i < fleet->count; i++)
        self->agent_child [i] = -1;
    if (ss_find_program ("agentd", self->agentd, sizeof self->agentd)
    ||  ss_find_program ("coordinator", self->coordinator, sizeof self->coordinator)) {
        snprintf (err, err_size, "cannot find the agentd and coordinator programs "
                                 "(next to swarmshape or on PATH)");
        ss_fleetrun_destroy (&self);
        return NULL;
    }
    snprintf (self->trace_path, sizeof self->trace_path, "%s/trace.jsonl", self->out);
    return self;
}

void
ss_fleetrun_destroy (ss_fleetrun_t **self_p)
{
    if (*self_p) {
        ss_fleetrun_t *self = *self_p;
        ss_supervisor_destroy (&self->sv);
        ss_progress_destroy (&self->progress);
        free (self->agent_child);
        free (self->downs);
        free (self->supervision);
        free (self);
        *self_p = NULL;
    }
}

void
ss_fleetrun_note (ss_fleetrun_t *self, const char *format, ...)
{
    char text [1024];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    if (self->progress)
        ss_progress_note (self->progress, "swarmshape %s: %s", self->opt.label, text);
    else {
        fprintf (stderr, "swarmshape %s: %s\n", self->opt.label, text);
        fflush (stderr);
    }
}

int
ss_fleetrun_start (ss_fleetrun_t *self, char *err, size_t err_size)
{
    const ss_fleet_t *fleet = self->fleet;
    const ss_fleetrun_options_t *opt = &self->opt;
    char logs [PATH_MAX + 8], state [PATH_MAX + 8];
    snprintf (logs, sizeof logs, "%s/logs", self->out);
    snprintf (state, sizeof state, "%s/state", self->out);
    if (ss_mkdirs (logs, 0755)) {
        snprintf (err, err_size, "%s: cannot create: %s", logs, strerror (errno));
        return -1;
    }
    //  A new run: the coordinator starts it afresh, so the old files go
    //  now (the trace follower must never read an old run's rows)
    unlink (self->trace_path);
    char path [PATH_MAX + 300];
    snprintf (path, sizeof path, "%s/summary.json", self->out);
    unlink (path);
    //  ... and so do an old run's checkpoints: agents of a new run must not
    //  resume them (a restart during this run resumes this run's)
    DIR *dir = opendir (state);
    struct dirent *entry;
    while (dir && (entry = readdir (dir)))
        if (!strncmp (entry->d_name, "agent-", 6)
        &&  (strstr (entry->d_name, ".ckpt") || strstr (entry->d_name, ".state"))) {
            snprintf (path, sizeof path, "%s/%s", state, entry->d_name);
            unlink (path);
        }
    if (dir)
        closedir (dir);
    snprintf (path, sizeof path, "%s/supervision.json", self->out);
    unlink (path);

    int n_common = 0;
    const char **common = calloc (2 * (size_t) opt->n_sets + 16, sizeof (char *));
    const char **argv = calloc (2 * (size_t) opt->n_sets + 32, sizeof (char *));
    if (!common || !argv) {
        free (common);
        free (argv);
        snprintf (err, err_size, "out of memory");
        return -1;
    }
    common [n_common++] = "--fleet";
    common [n_common++] = opt->fleet_path;
    for (int s = 0; s < opt->n_sets; s++) {
        common [n_common++] = "--set";
        common [n_common++] = opt->sets [s];
    }
    if (opt->insecure)
        common [n_common++] = "--insecure";
    if (opt->quiet)
        common [n_common++] = "--quiet";

    //  The coordinator: --fresh the first time, resuming its trace after
    int a = 0;
    argv [a++] = self->coordinator;
    for (int c = 0; c < n_common; c++)
        argv [a++] = common [c];
    argv [a++] = "--out";
    argv [a++] = self->out;
    argv [a++] = "--fresh";
    argv [a] = NULL;
    char coord_log [PATH_MAX + 32];
    snprintf (coord_log, sizeof coord_log, "%s/coordinator.log", logs);
    self->coord = ss_supervisor_add (self->sv, "coordinator", argv,
                                     opt->coordinator_log? coord_log: NULL,
                                     opt->coordinator_netns, &opt->coordinator);
    argv [a - 1] = NULL;                //  its restarts: without --fresh
    if (self->coord < 0 || ss_supervisor_set_restart_argv (self->sv, self->coord, argv)) {
        snprintf (err, err_size, "out of memory");
        free (common);
        free (argv);
        return -1;
    }
    char hostname [256] = "";
    gethostname (hostname, sizeof hostname - 1);
    for (int i = 0; i < fleet->count; i++) {
        if (!opt->every_agent && !s_is_local (fleet->agents [i].host, hostname, opt->host))
            continue;
        char id [32], name [48], log_path [PATH_MAX + 64];
        snprintf (id, sizeof id, "%d", i);
        snprintf (name, sizeof name, "agent-%d", i);
        snprintf (log_path, sizeof log_path, "%s/agent-%d.log", logs, i);
        a = 0;
        argv [a++] = self->agentd;
        for (int c = 0; c < n_common; c++)
            argv [a++] = common [c];
        argv [a++] = "--id";
        argv [a++] = id;
        argv [a++] = "--state-dir";
        argv [a++] = state;
        argv [a] = NULL;
        int child = ss_supervisor_add (self->sv, name, argv,
                                       opt->verbose? NULL: log_path,
                                       opt->agent_netns? opt->agent_netns [i]: NULL,
                                       &opt->agents);
        if (child < 0) {
            snprintf (err, err_size, "out of memory");
            free (common);
            free (argv);
            return -1;
        }
        self->agent_child [i] = child;
        self->local++;
    }
    free (common);
    free (argv);
    //  The coordinator serves every agent: under the scheduler's fairness
    //  one process among 500 busy agents gets 1/500 of the CPU and falls
    //  seconds behind (its sockets' receive queues grow, handshakes wait,
    //  a fast region of the ring runs all its rounds and exits before its
    //  reports get in). So it gets priority: nice -10 when we may raise
    //  it, else the agents get +10 (the same ratio of weights, 9:1)
    if (ss_supervisor_can_raise_priority ())
        ss_supervisor_set_nice (self->sv, self->coord, SS_RUN_COORD_NICE);
    else
        for (int i = 0; i < fleet->count; i++)
            if (self->agent_child [i] >= 0)
                ss_supervisor_set_nice (self->sv, self->agent_child [i], -SS_RUN_COORD_NICE);

    self->start = s_now ();
    self->started = true;
    if (ss_supervisor_start (self->sv, self->coord, err, err_size))
        return -1;
    for (int i = 0; i < fleet->count; i++)
        if (self->agent_child [i] >= 0
        &&  ss_supervisor_start (self->sv, self->agent_child [i], err, err_size))
            return -1;
    if (opt->progress != SS_PROGRESS_QUIET)
    {
        //  Periodic lines: about 20 a run, as sim prints them
        int64_t every = fleet->report_every;
        int64_t period = every * ((fleet->rounds / 20 + every - 1) / every);
        self->progress = ss_progress_new (stderr, opt->label, fleet->rounds,
                                          period < every? every: period, opt->progress);
    }
    return 0;
}

//  Read the trace rows written since the last call
static void
s_follow_trace (ss_fleetrun_t *self)
{
    FILE *file = fopen (self->trace_path, "r");
    if (!file)
        return;
    struct stat st;
    if (fstat (fileno (file), &st) == 0 && st.st_size < self->offset) {
        self->offset = 0;           //  rewritten: start again
        self->partial_len = 0;
    }
    if (fseek (file, self->offset, SEEK_SET) == 0) {
        char buf [8192];
        size_t got;
        while ((got = fread (buf, 1, sizeof buf, file)) > 0) {
            self->offset += (long) got;
            for (size_t b = 0; b < got; b++) {
                if (buf [b] != '\n') {
                    if (self->partial_len < sizeof self->partial - 1)
                        self->partial [self->partial_len++] = buf [b];
                    continue;
                }
                self->partial [self->partial_len] = 0;
                const char *line = self->partial;
                self->partial_len = 0;
                double round = ss_json_number (line, "round", -1);
                if (line [0] != '{' || round < 0)
                    continue;
                ss_fleetrun_row_t *row = &self->row;
                row->round = (int64_t) round;
                row->agents = (int) ss_json_number (line, "agents", 0);
                row->J = ss_json_number (line, "J", NAN);
                row->kl = ss_json_number (line, "kl", NAN);
                row->disagreement = ss_json_number (line, "disagreement", NAN);
                row->grad = ss_json_number (line, "grad", NAN);
                row->step = ss_json_number (line, "step", NAN);
                row->bias = ss_json_number (line, "bias", NAN);
                row->seconds = ss_json_number (line, "seconds", NAN);
                row->rows++;
            }
        }
    }
    fclose (file);
}

static int
s_agent_of (ss_fleetrun_t *self, int child)
{
    for (int i = 0; i < self->fleet->count; i++)
        if (self->agent_child [i] == child)
            return i;
    return -1;
}

static void
s_record_death (ss_fleetrun_t *self, int child, int id, const char *how)
{
    if (self->n_downs == self->cap_downs) {
        int cap = self->cap_downs? 2 * self->cap_downs: 16;
        s_down_t *grown = realloc (self->downs, (size_t) cap * sizeof (s_down_t));
        if (!grown)
            return;
        self->downs = grown;
        self->cap_downs = cap;
    }
    s_down_t *down = &self->downs [self->n_downs++];
    *down = (s_down_t) { .child = child, .id = id, .died_round = self->row.round,
                         .back_round = -1, .died_at = s_now () - self->start };
    snprintf (down->how, sizeof down->how, "%s", how);
}

static void
s_record_back (ss_fleetrun_t *self, int child)
{
    for (int d = self->n_downs - 1; d >= 0; d--)
        if (self->downs [d].child == child && self->downs [d].back_round < 0
        &&  self->downs [d].back_at == 0) {
            self->downs [d].back_round = self->row.round;
            self->downs [d].back_at = s_now () - self->start;
            return;
        }
}

static void
s_on_event (ss_fleetrun_t *self, const ss_event_t *event)
{
    int id = s_agent_of (self, event->child);
    bool coord = event->child == self->coord;
    if (id < 0 && !coord)
        return;                     //  not ours (a helper of the caller)
    const char *name = ss_supervisor_name (self->sv, event->child);
    char what [64];
    if (coord)
        snprintf (what, sizeof what, "the coordinator");
    else
        snprintf (what, sizeof what, "agent %d", id);
    const ss_restart_t *policy = coord? &self->opt.coordinator: &self->opt.agents;
    switch (event->kind) {
        case SS_EVENT_EXITED:
            if (coord && !self->over) {
                self->coord_ok = true;
                self->coord_done_at = s_now ();
            }
            break;
        case SS_EVENT_DIED: {
            self->deaths++;
            s_record_death (self, event->child, id, event->how);
            bool again = ss_supervisor_state (self->sv, event->child) == SS_CHILD_WAITING;
            char log [PATH_MAX + 64] = "";
            if (!coord && !self->opt.verbose)
                snprintf (log, sizeof log, "; see %s/logs/%s.log", self->out, name);
            if (again)
                ss_fleetrun_note (self, "%s died (%s) at round %lld; restarting it in %g s "
                                  "(--restart %s)%s", what, event->how,
                                  (long long) self->row.round, policy->restart_sec,
                                  ss_restart_policy_name (policy->policy), log);
            else
                ss_fleetrun_note (self, "%s died (%s) at round %lld; not restarted "
                                  "(--restart %s); the %s go on%s", what, event->how,
                                  (long long) self->row.round,
                                  ss_restart_policy_name (policy->policy),
                                  coord? "agents": "others", log);
            break;
        }
        case SS_EVENT_RESTARTED:
            self->restarts++;
            s_record_back (self, event->child);
            ss_fleetrun_note (self, "%s restarted (%s, pid %d) at round %lld%s", what,
                              event->how, (int) event->pid, (long long) self->row.round,
                              coord? ": it resumes the trace": ": it resumes from its checkpoint");
            break;
        case SS_EVENT_GAVE_UP:
            ss_fleetrun_note (self, "%s: start limit hit (%s): not restarted again", what,
                              event->how);
            break;
    }
}

static int
s_alive_agents (ss_fleetrun_t *self, bool count_waiting)
{
    int n = 0;
    for (int i = 0; i < self->fleet->count; i++) {
        int c = self->agent_child [i];
        if (c < 0)
            continue;
        if (ss_supervisor_alive (self->sv, c)
        ||  (count_waiting && ss_supervisor_state (self->sv, c) == SS_CHILD_WAITING))
            n++;
    }
    return n;
}

static void
s_sample (ss_fleetrun_t *self, ss_progress_sample_t *sample)
{
    *sample = (ss_progress_sample_t) {
        .round = self->row.round, .J = self->row.J, .kl = self->row.kl,
        .disagreement = self->row.disagreement, .grad = self->row.grad,
        .step = self->row.step, .live = self->row.agents,
        .agents = self->fleet->count, .deaths = self->deaths,
        .restarts = self->restarts
    };
}

//  Handle the supervisor's events, read new trace rows, update the
//  progress (last: the final update, on the live line only)
static void
s_refresh (ss_fleetrun_t *self, bool last)
{
    ss_event_t event;
    while (ss_supervisor_poll (self->sv, &event))
        s_on_event (self, &event);
    s_follow_trace (self);
    if (self->progress && (!last || (ss_progress_mode (self->progress) == SS_PROGRESS_LIVE
                                 &&  self->row.round >= 0))) {
        ss_progress_sample_t sample;
        s_sample (self, &sample);
        ss_progress_update (self->progress, &sample, last, s_now ());
    }
}

int
ss_fleetrun_step (ss_fleetrun_t *self, int wait_ms)
{
    if (self->over || !self->started)
        return 0;
    if (wait_ms > 0)
        nanosleep (&(struct timespec) { wait_ms / 1000, (wait_ms % 1000) * 1000000L }, NULL);
    s_refresh (self, false);
    double now = s_now ();
    if (self->opt.stop && *self->opt.stop) {
        self->interrupted = true;
        self->over = true;
        ss_fleetrun_note (self, "interrupted: stopping %d processes",
                          s_alive_agents (self, false)
                          + (ss_supervisor_alive (self->sv, self->coord)? 1: 0));
        return 0;
    }
    ss_child_state_t cs = ss_supervisor_state (self->sv, self->coord);
    if (cs == SS_CHILD_DONE) {
        //  The coordinator wrote the run's files; the agents end by
        //  themselves, or are stopped after the grace period
        int alive = s_alive_agents (self, false);
        if (alive == 0 || now - self->coord_done_at >= SS_RUN_GRACE) {
            if (alive)
                ss_fleetrun_note (self, "%d agents still running %.0f s after the run "
                                  "ended: stopping them", alive, SS_RUN_GRACE);
            self->over = true;
            return 0;
        }
        ss_supervisor_hold (self->sv);  //  no agent is restarted now
    }
    else
    if (cs == SS_CHILD_DEAD && s_alive_agents (self, true) == 0) {
        self->over = true;          //  no coordinator, and nothing left to monitor
        return 0;
    }
    return 1;
}

//  Append text to a growing string; 0 or -1
static int
s_cat (char **buf, size_t *len, size_t *cap, const char *format, ...)
{
    va_list args;
    while (true) {
        va_start (args, format);
        int n = vsnprintf (*buf? *buf + *len: NULL, *buf? *cap - *len: 0, format, args);
        va_end (args);
        if (n < 0)
            return -1;
        if (*buf && *len + (size_t) n < *cap) {
            *len += (size_t) n;
            return 0;
        }
        size_t cap2 = (*cap + (size_t) n + 1) * 2;
        char *grown = realloc (*buf, cap2);
        if (!grown)
            return -1;
        *buf = grown;
        *cap = cap2;
    }
}

//  summary.json + "supervision": object, atomically; 0 or -1
static int
s_merge_summary (ss_fleetrun_t *self)
{
    char path [PATH_MAX + 32], tmp [PATH_MAX + 48];
    snprintf (path, sizeof path, "%s/summary.json", self->out);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    char *text = NULL;
    size_t len = 0, cap = 0;
    char buf [4096];
    size_t got;
    while ((got = fread (buf, 1, sizeof buf, file)) > 0)
        if (s_cat (&text, &len, &cap, "%.*s", (int) got, buf)) {
            fclose (file);
            free (text);
            return -1;
        }
    fclose (file);
    char *close = text? strrchr (text, '}'): NULL;
    if (!close || strstr (text, "\"supervision\":")) {
        free (text);
        return -1;
    }
    *close = 0;
    snprintf (tmp, sizeof tmp, "%s/.summary.json.tmp", self->out);
    file = fopen (tmp, "w");
    int rc = file? 0: -1;
    if (file) {
        fprintf (file, "%s,\"supervision\":%s}\n", text, self->supervision);
        if (fflush (file) || fsync (fileno (file)))
            rc = -1;
        if (fclose (file))
            rc = -1;
        if (rc == 0 && rename (tmp, path))
            rc = -1;
        if (rc)
            unlink (tmp);
    }
    free (text);
    return rc;
}

int
ss_fleetrun_finish (ss_fleetrun_t *self)
{
    if (!self->started)
        return 1;
    self->over = true;
    ss_supervisor_stop_all (self->sv, SS_RUN_KILL_WAIT);
    s_refresh (self, true);
    ss_progress_destroy (&self->progress);
    //  Did the coordinator complete the run?
    char path [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/summary.json", self->out);
    double rounds = -1;
    FILE *file = fopen (path, "r");
    if (file) {
        char line [8192] = "";
        if (fgets (line, sizeof line, file))
            rounds = ss_json_number (line, "rounds", -1);
        fclose (file);
    }
    bool complete = self->coord_ok && !self->interrupted && rounds >= 0
                 && (self->fleet->rounds == 0 || rounds >= (double) self->fleet->rounds);

    //  The supervision object
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int lost = 0;
    s_cat (&buf, &len, &cap, "{\"agents_policy\":\"%s\",\"coordinator_policy\":\"%s\","
           "\"restart_sec\":%g,\"start_limit\":\"%d/%g\",\"agents_started\":%d,"
           "\"deaths\":%d,\"restarts\":%d,\"complete\":%s,\"lost_agents\":[",
           ss_restart_policy_name (self->opt.agents.policy),
           ss_restart_policy_name (self->opt.coordinator.policy),
           self->opt.agents.restart_sec, self->opt.agents.burst,
           self->opt.agents.interval_sec, self->local, self->deaths, self->restarts,
           complete? "true": "false");
    for (int i = 0; i < self->fleet->count; i++) {
        //  Lost: dead at the end by a death we saw (not by our SIGTERM)
        int c = self->agent_child [i];
        bool open = false;
        for (int d = 0; d < self->n_downs; d++)
            if (self->downs [d].child == c)
                open = self->downs [d].back_at == 0;
        if (c >= 0 && open) {
            s_cat (&buf, &len, &cap, "%s%d", lost? ",": "", i);
            lost++;
        }
    }
    s_cat (&buf, &len, &cap, "],\"coordinator_deaths\":%d,\"coordinator_restarts\":%d,"
           "\"down\":[", ss_supervisor_deaths (self->sv, self->coord),
           ss_supervisor_restarts (self->sv, self->coord));
    int64_t end = self->row.round;
    for (int d = 0; d < self->n_downs; d++) {
        s_down_t *down = &self->downs [d];
        bool back = down->back_at > 0;
        int64_t until = back? down->back_round: end;
        int64_t from = down->died_round < 0? 0: down->died_round;
        s_cat (&buf, &len, &cap, "%s{\"name\":\"%s\",\"id\":%d,\"how\":\"%s\","
               "\"died_at_round\":%lld,\"back_at_round\":", d? ",": "",
               ss_supervisor_name (self->sv, down->child), down->id, down->how,
               (long long) down->died_round);
        if (back)
            s_cat (&buf, &len, &cap, "%lld", (long long) down->back_round);
        else
            s_cat (&buf, &len, &cap, "null");
        s_cat (&buf, &len, &cap, ",\"rounds_down\":%lld,\"seconds_down\":%.3f}",
               (long long) (until >= from? until - from: 0),
               (back? down->back_at: s_now () - self->start) - down->died_at);
    }
    s_cat (&buf, &len, &cap, "]}");
    free (self->supervision);
    self->supervision = buf;
    if (buf) {
        char sv_path [PATH_MAX + 32], tmp [PATH_MAX + 48];
        snprintf (sv_path, sizeof sv_path, "%s/supervision.json", self->out);
        snprintf (tmp, sizeof tmp, "%s/.supervision.json.tmp", self->out);
        file = fopen (tmp, "w");
        if (file) {
            fprintf (file, "%s\n", buf);
            bool ok = fflush (file) == 0 && fsync (fileno (file)) == 0;
            if (fclose (file) == 0 && ok)
                rename (tmp, sv_path);
            else
                unlink (tmp);
        }
        if (rounds >= 0 && s_merge_summary (self))
            ss_fleetrun_note (self, "warning: cannot add the supervision to %s", path);
    }
    if (self->interrupted)
        return 1;
    if (!complete) {
        ss_fleetrun_note (self, "the run did not complete (%s); files in %s",
                          !self->coord_ok? "the coordinator did not finish it":
                          "the trace stops before the last round", self->out);
        return 1;
    }
    return 0;
}

int
ss_fleetrun_restart (ss_fleetrun_t *self, int child)
{
    char err [256];
    if (ss_supervisor_start (self->sv, child, err, sizeof err)) {
        ss_fleetrun_note (self, "cannot restart: %s", err);
        return -1;
    }
    ss_event_t event = { .kind = SS_EVENT_RESTARTED, .child = child,
                         .pid = ss_supervisor_pid (self->sv, child) };
    snprintf (event.how, sizeof event.how, "by hand, restart %d",
              ss_supervisor_restarts (self->sv, child));
    s_on_event (self, &event);
    return 0;
}

const ss_fleetrun_row_t *
ss_fleetrun_row (ss_fleetrun_t *self)
{
    return &self->row;
}

ss_supervisor_t *
ss_fleetrun_supervisor (ss_fleetrun_t *self)
{
    return self->sv;
}

int
ss_fleetrun_agent (ss_fleetrun_t *self, int id)
{
    return id >= 0 && id < self->fleet->count? self->agent_child [id]: -1;
}

int
ss_fleetrun_coordinator (ss_fleetrun_t *self)
{
    return self->coord;
}

int
ss_fleetrun_local_agents (ss_fleetrun_t *self)
{
    return self->local;
}

int
ss_fleetrun_deaths (ss_fleetrun_t *self)
{
    return self->deaths;
}

int
ss_fleetrun_restarts (ss_fleetrun_t *self)
{
    return self->restarts;
}

double
ss_fleetrun_seconds (ss_fleetrun_t *self)
{
    return self->started? s_now () - self->start: 0;
}

const char *
ss_fleetrun_supervision (ss_fleetrun_t *self)
{
    return self->supervision? self->supervision: "{}";
}
