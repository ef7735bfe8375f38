/*  ss_scenario: the scenario file reader (see ss_scenario.h for its keys). */

#include <czmq.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ss_scenario.h"

static const char *s_do_names [SS_DO_COUNT] = {
    "kill", "stop", "restart", "target", "loss", "delay", "duplicate", "reorder",
    "partition"
};

const char *
ss_event_do_name (ss_do_t what)
{
    return what < SS_DO_COUNT? s_do_names [what]: "?";
}

bool
ss_event_is_network (const ss_event_spec_t *event)
{
    return event->what >= SS_DO_LOSS;
}

bool
ss_event_needs_wire (const ss_event_spec_t *event)
{
    return event->what == SS_DO_DELAY || event->what == SS_DO_DUPLICATE
        || event->what == SS_DO_REORDER;
}

typedef struct {
    const char *path;
    char *err;
    size_t err_size;
} s_ctx_t;

static int
s_fail (s_ctx_t *ctx, const char *key, const char *format, ...)
{
    char what [512];
    va_list args;
    va_start (args, format);
    vsnprintf (what, sizeof what, format, args);
    va_end (args);
    snprintf (ctx->err, ctx->err_size, "%s: %s: %s", ctx->path, key, what);
    for (char *c = ctx->err; *c; c++)
        if ((unsigned char) *c < 0x20)
            *c = ' ';           //  one line, whatever the file held
    return -1;
}

//  A number in [lo, hi] (open ends when lo_open/hi_open)
static int
s_number (s_ctx_t *ctx, const char *key, const char *text, double lo, bool lo_open,
          double hi, double *value)
{
    char *end;
    errno = 0;
    double v = text? strtod (text, &end): NAN;
    if (!text || !*text || errno || *end || !isfinite (v) || v < lo || (lo_open && v == lo)
    ||  v > hi)
        return s_fail (ctx, key, "'%s': expected a number in %c%g, %g]", text? text: "",
                       lo_open? '(': '[', lo, hi);
    *value = v;
    return 0;
}

//  "1 4 7" or "1,4,7" or "all" into ids (each in [0, limit)); 0 or -1
static int
s_ids (s_ctx_t *ctx, const char *key, const char *text, int limit, int **ids, int *n,
       bool *all)
{
    if (!strcmp (text, "all")) {
        *all = true;
        return 0;
    }
    int cap = 0;
    const char *c = text;
    while (*c) {
        while (*c == ' ' || *c == ',' || *c == '\t')
            c++;
        if (!*c)
            break;
        char *end;
        errno = 0;
        long v = strtol (c, &end, 10);
        if (end == c || errno || v < 0 || v >= limit || (*end && *end != ' ' && *end != ','))
            return s_fail (ctx, key, "'%s': expected ids (0..%d) separated by spaces, "
                           "or all", text, limit - 1);
        if (*n == cap) {
            cap = cap? 2 * cap: 8;
            int *grown = realloc (*ids, (size_t) cap * sizeof (int));
            if (!grown)
                return s_fail (ctx, key, "out of memory");
            *ids = grown;
        }
        (*ids) [(*n)++] = (int) v;
        c = end;
    }
    if (*n == 0)
        return s_fail (ctx, key, "'%s': expected at least one id, or all", text);
    return 0;
}

static bool
s_name_ok (const char *name)
{
    size_t len = strlen (name);
    if (len == 0 || len > 63)
        return false;
    for (const char *c = name; *c; c++)
        if (!isalnum ((unsigned char) *c) && *c != '.' && *c != '_' && *c != '-')
            return false;
    return true;
}

static int
s_read_event (s_ctx_t *ctx, ss_scenario_t *self, zconfig_t *item, int index)
{
    ss_event_spec_t *ev = &self->events [self->n_events];
    memset (ev, 0, sizeof *ev);
    ev->signal = SIGKILL;
    ev->all_hosts = true;
    char key [128];
    const char *at_round = NULL, *at_seconds = NULL, *for_rounds = NULL,
               *for_seconds = NULL, *what = NULL, *agents = NULL, *hosts = NULL,
               *percent = NULL, *delay = NULL, *jitter = NULL, *file = NULL,
               *coordinator = NULL, *signal_name = NULL;
    static const char *known [] = {
        "at_round", "at_seconds", "for_rounds", "for_seconds", "do", "agents",
        "hosts", "percent", "delay_ms", "jitter_ms", "file", "coordinator", "signal", NULL
    };
    const char **slots [] = {
        &at_round, &at_seconds, &for_rounds, &for_seconds, &what, &agents, &hosts,
        &percent, &delay, &jitter, &file, &coordinator, &signal_name
    };
    for (zconfig_t *c = zconfig_child (item); c; c = zconfig_next (c)) {
        const char *name = zconfig_name (c);
        snprintf (key, sizeof key, "scenario/event[%d]/%s", index, name);
        int k = 0;
        while (known [k] && strcmp (known [k], name))
            k++;
        if (!known [k])
            return s_fail (ctx, key, "unknown key");
        if (*slots [k])
            return s_fail (ctx, key, "duplicate key");
        if (zconfig_child (c))
            return s_fail (ctx, key, "expected a value, not a section");
        *slots [k] = zconfig_value (c)? zconfig_value (c): "";
    }
    snprintf (key, sizeof key, "scenario/event[%d]/do", index);
    if (!what)
        return s_fail (ctx, key, "missing (one of kill, stop, restart, target, loss, "
                       "delay, duplicate, reorder, partition)");
    int w = 0;
    while (w < SS_DO_COUNT && strcmp (s_do_names [w], what))
        w++;
    if (w == SS_DO_COUNT)
        return s_fail (ctx, key, "'%s': expected kill, stop, restart, target, loss, delay, "
                       "duplicate, reorder or partition", what);
    ev->what = (ss_do_t) w;
    //  When
    snprintf (key, sizeof key, "scenario/event[%d]/at_round", index);
    if ((at_round != NULL) == (at_seconds != NULL))
        return s_fail (ctx, key, "give exactly one of at_round and at_seconds");
    ev->by_round = at_round != NULL;
    if (at_round) {
        if (s_number (ctx, key, at_round, 0, false, 1e15, &ev->at))
            return -1;
        if (ev->at != floor (ev->at))
            return s_fail (ctx, key, "'%s': expected a whole round", at_round);
    }
    else {
        snprintf (key, sizeof key, "scenario/event[%d]/at_seconds", index);
        if (s_number (ctx, key, at_seconds, 0, false, 86400, &ev->at))
            return -1;
    }
    //  How long
    bool lasting = ev->what == SS_DO_STOP || ss_event_is_network (ev);
    snprintf (key, sizeof key, "scenario/event[%d]/for_rounds", index);
    if (for_rounds && for_seconds)
        return s_fail (ctx, key, "give one of for_rounds and for_seconds, not both");
    if (!lasting && (for_rounds || for_seconds))
        return s_fail (ctx, for_rounds? key: (snprintf (key, sizeof key,
                       "scenario/event[%d]/for_seconds", index), key),
                       "a %s has no duration", what);
    if (lasting && !for_rounds && !for_seconds)
        return s_fail (ctx, key, "a %s needs for_rounds or for_seconds", what);
    if (for_rounds) {
        ev->for_kind = SS_FOR_ROUNDS;
        if (s_number (ctx, key, for_rounds, 0, true, 1e15, &ev->for_value))
            return -1;
    }
    if (for_seconds) {
        snprintf (key, sizeof key, "scenario/event[%d]/for_seconds", index);
        ev->for_kind = SS_FOR_SECONDS;
        if (s_number (ctx, key, for_seconds, 0, true, 86400, &ev->for_value))
            return -1;
    }
    //  Whom
    bool process = ev->what == SS_DO_KILL || ev->what == SS_DO_STOP
                || ev->what == SS_DO_RESTART;
    snprintf (key, sizeof key, "scenario/event[%d]/agents", index);
    if (agents && !process)
        return s_fail (ctx, key, "a %s names hosts, not agents", what);
    if (agents && s_ids (ctx, key, agents, SS_FLEET_MAX_AGENTS, &ev->agents,
                         &ev->n_agents, &ev->all_agents))
        return -1;
    snprintf (key, sizeof key, "scenario/event[%d]/coordinator", index);
    if (coordinator) {
        if (!process)
            return s_fail (ctx, key, "only kill, stop and restart concern the coordinator");
        if (strcmp (coordinator, "0") && strcmp (coordinator, "1"))
            return s_fail (ctx, key, "'%s': expected 0 or 1", coordinator);
        ev->coordinator = !strcmp (coordinator, "1");
    }
    if (process && !agents && !ev->coordinator) {
        snprintf (key, sizeof key, "scenario/event[%d]/agents", index);
        return s_fail (ctx, key, "a %s needs agents (or coordinator = 1)", what);
    }
    snprintf (key, sizeof key, "scenario/event[%d]/signal", index);
    if (signal_name) {
        static const struct { const char *name; int sig; } sigs [] = {
            { "KILL", SIGKILL }, { "TERM", SIGTERM }, { "INT", SIGINT },
            { "SEGV", SIGSEGV }, { "ABRT", SIGABRT }
        };
        if (ev->what != SS_DO_KILL)
            return s_fail (ctx, key, "only a kill has a signal");
        int s = 0;
        while (s < 5 && strcmp (sigs [s].name, signal_name))
            s++;
        if (s == 5)
            return s_fail (ctx, key, "'%s': expected KILL, TERM, INT, SEGV or ABRT",
                           signal_name);
        ev->signal = sigs [s].sig;
    }
    snprintf (key, sizeof key, "scenario/event[%d]/hosts", index);
    if (hosts) {
        if (!ss_event_is_network (ev))
            return s_fail (ctx, key, "a %s names agents, not hosts", what);
        ev->all_hosts = false;
        if (s_ids (ctx, key, hosts, 1024, &ev->hosts, &ev->n_hosts, &ev->all_hosts))
            return -1;
    }
    if (ev->what == SS_DO_PARTITION && ev->all_hosts)
        return s_fail (ctx, key, "a partition needs the hosts it cuts off");
    //  How much
    bool wants_percent = ev->what == SS_DO_LOSS || ev->what == SS_DO_DUPLICATE
                      || ev->what == SS_DO_REORDER;
    snprintf (key, sizeof key, "scenario/event[%d]/percent", index);
    if (percent && !wants_percent)
        return s_fail (ctx, key, "a %s has no percent", what);
    if (wants_percent && !percent)
        return s_fail (ctx, key, "missing (a %s needs it)", what);
    if (percent && s_number (ctx, key, percent, 0, true, 100, &ev->percent))
        return -1;
    bool wants_delay = ev->what == SS_DO_DELAY || ev->what == SS_DO_REORDER;
    snprintf (key, sizeof key, "scenario/event[%d]/delay_ms", index);
    if (delay && !wants_delay)
        return s_fail (ctx, key, "a %s has no delay", what);
    if (wants_delay && !delay)
        return s_fail (ctx, key, "missing (a %s needs it)", what);
    if (delay && s_number (ctx, key, delay, 0, true, 60000, &ev->delay_ms))
        return -1;
    snprintf (key, sizeof key, "scenario/event[%d]/jitter_ms", index);
    if (jitter) {
        if (ev->what != SS_DO_DELAY)
            return s_fail (ctx, key, "only a delay has a jitter");
        if (s_number (ctx, key, jitter, 0, false, 60000, &ev->jitter_ms))
            return -1;
        if (ev->jitter_ms >= ev->delay_ms)
            return s_fail (ctx, key, "'%s': must be below delay_ms", jitter);
    }
    snprintf (key, sizeof key, "scenario/event[%d]/file", index);
    if (file && ev->what != SS_DO_TARGET)
        return s_fail (ctx, key, "only a target has a file");
    if (ev->what == SS_DO_TARGET) {
        if (!file || !*file)
            return s_fail (ctx, key, "missing (a target needs its file)");
        if (file [0] == '/')
            snprintf (ev->file, sizeof ev->file, "%s", file);
        else {
            char dir [PATH_MAX];
            snprintf (dir, sizeof dir, "%s", self->path);
            char *slash = strrchr (dir, '/');
            if (slash)
                *slash = 0;
            else
                strcpy (dir, ".");
            snprintf (ev->file, sizeof ev->file, "%.2000s/%.2000s", dir, file);
        }
        FILE *probe = fopen (ev->file, "r");
        if (!probe)
            return s_fail (ctx, key, "%s: %s", ev->file, strerror (errno));
        fclose (probe);
    }
    self->n_events++;
    return 0;
}

static int
s_read (s_ctx_t *ctx, ss_scenario_t *self, zconfig_t *root)
{
    zconfig_t *section = NULL;
    for (zconfig_t *item = zconfig_child (root); item; item = zconfig_next (item)) {
        if (strcmp (zconfig_name (item), "scenario"))
            return s_fail (ctx, zconfig_name (item),
                           "unknown key (only 'scenario' is allowed at the top level)");
        if (section)
            return s_fail (ctx, "scenario", "duplicate key");
        section = item;
    }
    if (!section)
        return s_fail (ctx, "scenario", "missing section (the file must start with a "
                       "line 'scenario')");
    //  Defaults
    const char *base = strrchr (self->path, '/');
    snprintf (self->name, sizeof self->name, "%.63s", base? base + 1: self->path);
    char *dot = strrchr (self->name, '.');
    if (dot && dot != self->name)
        *dot = 0;
    self->restart = SS_RESTART_NO;
    self->coordinator_restart = SS_RESTART_ON_FAILURE;
    self->restart_sec = 1;
    self->bound = 1.5;
    self->recover_disagreement = 0.1;
    self->recover_bias = 1e-6;
    int index = 0;
    char key [128];
    static const char *once [] = {
        "name", "description", "hosts", "layout", "restart", "coordinator_restart",
        "restart_sec", "bound", "recover_disagreement", "recover_bias",
        "stop_after_rounds", NULL
    };
    bool seen [11] = { false };
    for (zconfig_t *c = zconfig_child (section); c; c = zconfig_next (c)) {
        const char *name = zconfig_name (c);
        const char *value = zconfig_value (c)? zconfig_value (c): "";
        snprintf (key, sizeof key, "scenario/%s", name);
        if (!strcmp (name, "event")) {
            if (self->n_events == SS_SCENARIO_MAX_EVENTS)
                return s_fail (ctx, key, "more than %d events", SS_SCENARIO_MAX_EVENTS);
            if (s_read_event (ctx, self, c, index++))
                return -1;
            continue;
        }
        if (zconfig_child (c))
            return s_fail (ctx, key, "expected a value, not a section");
        if (!strcmp (name, "set")) {
            if (self->n_sets == SS_SCENARIO_MAX_SETS)
                return s_fail (ctx, key, "more than %d overrides", SS_SCENARIO_MAX_SETS);
            const char *equal = strchr (value, '=');
            if (!equal || equal == value)
                return s_fail (ctx, key, "'%s': expected PATH=VALUE (a fleet key)", value);
            self->sets [self->n_sets] = strdup (value);
            if (!self->sets [self->n_sets])
                return s_fail (ctx, key, "out of memory");
            self->n_sets++;
            continue;
        }
        int k = 0;
        while (once [k] && strcmp (once [k], name))
            k++;
        if (!once [k])
            return s_fail (ctx, key, "unknown key");
        if (seen [k])
            return s_fail (ctx, key, "duplicate key");
        seen [k] = true;
        double v;
        switch (k) {
            case 0:
                if (!s_name_ok (value))
                    return s_fail (ctx, key, "'%s': expected 1-63 of [A-Za-z0-9._-]", value);
                snprintf (self->name, sizeof self->name, "%s", value);
                break;
            case 1:
                snprintf (self->description, sizeof self->description, "%s", value);
                for (char *d = self->description; *d; d++)
                    if ((unsigned char) *d < 0x20 || *d == '"' || *d == '\\' || *d == '|')
                        *d = ' ';
                break;
            case 2:
                if (s_number (ctx, key, value, 0, false, 250, &v))
                    return -1;
                if (v == 1 || v != floor (v))
                    return s_fail (ctx, key, "'%s': expected 0 (the loopback) or a whole "
                                   "number of hosts, 2..250", value);
                self->hosts = (int) v;
                break;
            case 3:
                if (strcmp (value, "spread") && strcmp (value, "block"))
                    return s_fail (ctx, key, "'%s': expected spread or block", value);
                self->block = !strcmp (value, "block");
                break;
            case 4:
            case 5:
                if (ss_restart_policy_parse (value, k == 4? &self->restart:
                                             &self->coordinator_restart))
                    return s_fail (ctx, key, "'%s': expected no, on-failure or always", value);
                break;
            case 6:
                if (s_number (ctx, key, value, 0, false, 3600, &self->restart_sec))
                    return -1;
                break;
            case 7:
                if (s_number (ctx, key, value, 1, false, 1e6, &self->bound))
                    return -1;
                break;
            case 8:
                if (s_number (ctx, key, value, 0, true, 1e6, &self->recover_disagreement))
                    return -1;
                break;
            case 9:
                if (s_number (ctx, key, value, 0, true, 1e6, &self->recover_bias))
                    return -1;
                break;
            case 10:
                if (s_number (ctx, key, value, 0, false, 1e12, &v))
                    return -1;
                if (v != floor (v))
                    return s_fail (ctx, key, "'%s': expected a whole number of rounds", value);
                self->stop_after_rounds = (int64_t) v;
                break;
        }
    }
    for (int e = 0; e < self->n_events; e++) {
        const ss_event_spec_t *ev = &self->events [e];
        snprintf (key, sizeof key, "scenario/event[%d]/do", e);
        if (ss_event_is_network (ev) && self->hosts < 2)
            return s_fail (ctx, key, "a %s needs hosts >= 2 (network namespaces)",
                           ss_event_do_name (ev->what));
        for (int h = 0; h < ev->n_hosts; h++)
            if (ev->hosts [h] >= self->hosts) {
                snprintf (key, sizeof key, "scenario/event[%d]/hosts", e);
                return s_fail (ctx, key, "host %d: the scenario has %d hosts (0..%d)",
                               ev->hosts [h], self->hosts, self->hosts - 1);
            }
    }
    return 0;
}

ss_scenario_t *
ss_scenario_load (const char *path, char *err, size_t err_size)
{
    s_ctx_t ctx = { .path = path, .err = err, .err_size = err_size };
    ss_scenario_t *self = calloc (1, sizeof (ss_scenario_t));
    if (!self) {
        snprintf (err, err_size, "%s: out of memory", path);
        return NULL;
    }
    snprintf (self->path, sizeof self->path, "%s", path);
    FILE *probe = fopen (path, "r");
    if (!probe) {
        snprintf (err, err_size, "%s: cannot read: %s", path, strerror (errno));
        free (self);
        return NULL;
    }
    fclose (probe);
    zconfig_t *root = zconfig_load (path);
    int rc;
    if (!root)
        rc = s_fail (&ctx, "scenario", "not a ZPL file (syntax error: 4 spaces per level, "
                     "name = value)");
    else
        rc = s_read (&ctx, self, root);
    zconfig_destroy (&root);
    if (rc)
        ss_scenario_destroy (&self);
    return self;
}

void
ss_scenario_destroy (ss_scenario_t **self_p)
{
    if (*self_p) {
        ss_scenario_t *self = *self_p;
        for (int s = 0; s < self->n_sets; s++)
            free (self->sets [s]);
        for (int e = 0; e < SS_SCENARIO_MAX_EVENTS; e++) {
            free (self->events [e].agents);
            free (self->events [e].hosts);
        }
        free (self);
        *self_p = NULL;
    }
}

int
ss_scenario_check_fleet (const ss_scenario_t *self, const ss_fleet_t *fleet,
                         char *err, size_t err_size)
{
    for (int e = 0; e < self->n_events; e++) {
        const ss_event_spec_t *ev = &self->events [e];
        for (int a = 0; a < ev->n_agents; a++)
            if (ev->agents [a] >= fleet->count) {
                snprintf (err, err_size, "%s: scenario/event[%d]/agents: agent %d: the "
                          "fleet %s has %d agents (0..%d)", self->path, e, ev->agents [a],
                          fleet->name, fleet->count, fleet->count - 1);
                return -1;
            }
    }
    if (self->hosts > fleet->count) {
        snprintf (err, err_size, "%s: scenario/hosts: %d hosts for the %d agents of %s",
                  self->path, self->hosts, fleet->count, fleet->name);
        return -1;
    }
    return 0;
}

int
ss_scenario_host_of (const ss_scenario_t *self, int agent, int n_agents)
{
    if (self->hosts < 2)
        return 0;
    if (!self->block)
        return agent % self->hosts;
    int per = (n_agents + self->hosts - 1) / self->hosts;
    return agent / per;
}

static void
s_list (char *buf, size_t size, const char *one, const char *many, const int *ids, int n,
        bool all)
{
    if (all) {
        snprintf (buf, size, "every %s", one);
        return;
    }
    size_t used = (size_t) snprintf (buf, size, "%s ", n == 1? one: many);
    for (int i = 0; i < n && used < size; i++)
        used += (size_t) snprintf (buf + used, size - used, "%s%d", i? ", ": "", ids [i]);
}

void
ss_event_describe (const ss_event_spec_t *ev, char *buf, size_t size)
{
    char whom [256] = "", when [64], span [64] = "";
    if (ev->what <= SS_DO_RESTART) {
        if (ev->n_agents || ev->all_agents)
            s_list (whom, sizeof whom, "agent", "agents", ev->agents, ev->n_agents,
                    ev->all_agents);
        if (ev->coordinator)
            snprintf (whom + strlen (whom), sizeof whom - strlen (whom), "%sthe coordinator",
                      *whom? " and ": "");
    }
    else
        s_list (whom, sizeof whom, "host", "hosts", ev->hosts, ev->n_hosts, ev->all_hosts);
    if (ev->by_round)
        snprintf (when, sizeof when, "at round %.0f", ev->at);
    else
        snprintf (when, sizeof when, "at %g s", ev->at);
    if (ev->for_kind == SS_FOR_ROUNDS)
        snprintf (span, sizeof span, " for %.0f rounds", ev->for_value);
    else
    if (ev->for_kind == SS_FOR_SECONDS)
        snprintf (span, sizeof span, " for %g s", ev->for_value);
    const char *sig = ev->signal == SIGKILL? "-9": ev->signal == SIGTERM? "-TERM":
                      ev->signal == SIGINT? "-INT": ev->signal == SIGSEGV? "-SEGV": "-ABRT";
    switch (ev->what) {
        case SS_DO_KILL:
            snprintf (buf, size, "kill %s of %s %s", sig, whom, when); break;
        case SS_DO_STOP:
            snprintf (buf, size, "SIGSTOP of %s %s%s, then SIGCONT", whom, when, span); break;
        case SS_DO_RESTART:
            snprintf (buf, size, "restart of %s %s", whom, when); break;
        case SS_DO_TARGET:
            snprintf (buf, size, "target switch to %s %s",
                      strrchr (ev->file, '/')? strrchr (ev->file, '/') + 1: ev->file, when);
            break;
        case SS_DO_LOSS:
            snprintf (buf, size, "loss %g%% on %s %s%s", ev->percent, whom, when, span); break;
        case SS_DO_DELAY:
            snprintf (buf, size, "delay %g ms +- %g ms on %s %s%s", ev->delay_ms,
                      ev->jitter_ms, whom, when, span);
            break;
        case SS_DO_DUPLICATE:
            snprintf (buf, size, "duplication %g%% on %s %s%s", ev->percent, whom, when, span);
            break;
        case SS_DO_REORDER:
            snprintf (buf, size, "reordering %g%% (delay %g ms) on %s %s%s", ev->percent,
                      ev->delay_ms, whom, when, span);
            break;
        case SS_DO_PARTITION:
            snprintf (buf, size, "partition: %s cut off %s%s", whom, when, span); break;
        default:
            snprintf (buf, size, "?");
    }
}
