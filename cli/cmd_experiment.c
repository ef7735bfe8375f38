/*  swarmshape experiment FLEET SCENARIO... --out DIR [--set K=V]...
    [--insecure] [--quiet]: fault-injection experiments (issue 11).

    The undisturbed `sim` of the fleet first (DIR/undisturbed), then, per
    scenario file (ss_scenario), one supervised run of the fleet
    (ss_fleetrun) with the scenario's events applied when the coordinator's
    trace reaches their round (or after their seconds): kill, SIGSTOP and
    SIGCONT, restart, target switch (`swarmshape target`), and on the
    network of its hosts (ss_hosts: one network namespace per host, made
    and torn down here) loss and partitions in the kernel (nftables, whose
    drop counters go into the report), delay with jitter, duplication and
    reordering with tc netem where the kernel has it, else the userspace
    wire (`swarmshape wire`). Not root: network events are refused with one
    line, process events still run (on the loopback).

    Files: one scenario: its run in DIR; several: DIR/<name>/ each. A run
    directory holds the run's usual files (trace.jsonl, summary.json with
    its "supervision", positions.csv, logs/), events.jsonl (what was done,
    when, to whom), report.json and report.md: per event J before and
    after, rounds to recover (README: from the disturbance, or its end, the
    first report round from which every row has disagreement <=
    recover_disagreement and bias <= recover_bias), the undisturbed run's
    same numbers, dropped packets; per scenario final J against the
    undisturbed J and the scenario's bound, bias, lost and restarted
    agents. DIR/report.md and DIR/report.json compare every scenario.

    Exit: 0 when every run completed within its bound, 1 when one did not
    (the reports say which), 2 for a usage or file error (one line).
*/

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ss_cli.h"
#include "ss_fleetrun.h"
#include "ss_hosts.h"
#include "ss_keys.h"
#include "ss_runlog.h"
#include "ss_scenario.h"
#include "ss_sim.h"

#define SS_EXP_MAX_SCENARIOS 64

//  `swarmshape plot RUNDIR` once the plot branch has landed (cmd_plot.c
//  defines it); until then the hook below finds no symbol and does nothing
extern int ss_cmd_plot (int argc, char **argv) __attribute__ ((weak));

typedef enum { EV_PENDING, EV_ACTIVE, EV_DONE, EV_REFUSED, EV_MISSED } s_state_t;

typedef struct {
    const ss_event_spec_t *spec;
    int index;
    s_state_t state;
    int64_t start_round, end_round;
    double start_s, end_s;
    int64_t dropped;            //  -1: not counted
    char what [320];
    char detail [320];
    int helper;                 //  target: the supervisor index of `swarmshape target`
    bool restart_pending;       //  restart: start them again once dead
} s_event_t;

typedef struct {
    int64_t round;
    int agents;
    double J, disagreement, bias;
    double seconds;             //  since the coordinator's start
} s_row_t;

typedef struct {
    s_row_t *rows;
    int n;
} s_trace_t;

typedef struct {
    //  inputs
    const char *fleet_path;
    const char *sets [SS_CLI_MAX_SETS];
    int n_sets;
    bool insecure, quiet;
    const char *out;
    char self_exe [PATH_MAX];
    //  per scenario
    ss_scenario_t *sc;
    char run_dir [PATH_MAX];
    char base_dir [PATH_MAX + 32];
    FILE *events_log;
    ss_fleetrun_t *run;
    ss_hosts_t *hosts;
    s_event_t events [SS_SCENARIO_MAX_EVENTS];
    char refused [256];
    char network [128];
    double run_seconds;
    const ss_fleet_t *fleet;
    char run_fleet_path [PATH_MAX + 32];
} s_exp_t;

static void
s_log_event (s_exp_t *x, const s_event_t *ev, const char *action, const char *format, ...)
{
    char text [640];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    for (char *c = text; *c; c++)
        if (*c == '"' || *c == '\\' || (unsigned char) *c < 0x20)
            *c = '\'';
    const ss_fleetrun_row_t *row = x->run? ss_fleetrun_row (x->run): NULL;
    if (x->events_log) {
        fprintf (x->events_log, "{\"event\":%d,\"do\":\"%s\",\"action\":\"%s\","
                                "\"round\":%lld,\"seconds\":%.3f,\"what\":\"%s\"}\n",
                 ev? ev->index: -1, ev? ss_event_do_name (ev->spec->what): "run", action,
                 (long long) (row? row->round: -1),
                 x->run? ss_fleetrun_seconds (x->run): 0.0, text);
        fflush (x->events_log);
    }
    if (x->run && !x->quiet)
        ss_fleetrun_note (x->run, "%s: %s", action, text);
}

//  --- the run's fleet file on the hosts ------------------------------------

static void
s_absolute (const char *path, char *out, size_t size)
{
    if (path [0] == '/')
        snprintf (out, size, "%s", path);
    else {
        char cwd [PATH_MAX] = ".";
        if (!getcwd (cwd, sizeof cwd))
            strcpy (cwd, ".");
        snprintf (out, size, "%s/%s", cwd, path);
    }
}

//  The fleet file the run's processes read when the agents live on the
//  hosts: the user's file with the overrides applied, every agent's host
//  its namespace's address, the coordinator on its own host, paths made
//  absolute. 0 or -1 with a line in err.
static int
s_write_host_fleet (s_exp_t *x, const ss_fleet_t *fleet, const char *const *sets,
                    int n_sets, char *err, size_t err_size)
{
    zconfig_t *root = zconfig_load (x->fleet_path);
    zconfig_t *top = root? zconfig_locate (root, "fleet"): NULL;
    if (!top) {
        snprintf (err, err_size, "%s: cannot read it again", x->fleet_path);
        zconfig_destroy (&root);
        return -1;
    }
    for (int s = 0; s < n_sets; s++) {
        const char *equal = strchr (sets [s], '=');
        char key [512];
        snprintf (key, sizeof key, "%.*s", (int) (equal - sets [s]), sets [s]);
        const char *rel = key [0] == '/'? key + 1: key;
        if (!strncmp (rel, "fleet/", 6))
            rel += 6;
        zconfig_put (top, rel, equal + 1);
    }
    char path [PATH_MAX];
    s_absolute (fleet->keys, path, sizeof path);
    zconfig_put (top, "security/keys", path);
    s_absolute (fleet->state_dir, path, sizeof path);
    zconfig_put (top, "security/state", path);
    if (fleet->init == SS_INIT_FILE) {
        s_absolute (fleet->init_file, path, sizeof path);
        zconfig_put (top, "agents/file", path);
    }
    if (*fleet->target_image) {
        s_absolute (fleet->target_image, path, sizeof path);
        zconfig_put (top, "target/image", path);
    }
    const char *port = strrchr (fleet->coordinator, ':');
    char endpoint [256];
    snprintf (endpoint, sizeof endpoint, "tcp://%s:%s",
              ss_hosts_ip (x->hosts, x->sc->hosts), port? port + 1: "7099");
    zconfig_put (top, "coordinator/endpoint", endpoint);
    zconfig_put (top, "agents/host", ss_hosts_ip (x->hosts, 0));
    zconfig_t *agents = zconfig_locate (top, "agents");
    bool *have = calloc ((size_t) fleet->count, sizeof (bool));
    if (!agents || !have) {
        free (have);
        zconfig_destroy (&root);
        snprintf (err, err_size, "out of memory");
        return -1;
    }
    for (zconfig_t *c = zconfig_child (agents); c; c = zconfig_next (c)) {
        if (strcmp (zconfig_name (c), "agent"))
            continue;
        int id = atoi (zconfig_get (c, "id", "-1"));
        if (id < 0 || id >= fleet->count)
            continue;
        have [id] = true;
        zconfig_put (c, "host",
                     ss_hosts_ip (x->hosts, ss_scenario_host_of (x->sc, id, fleet->count)));
    }
    for (int i = 0; i < fleet->count; i++) {
        if (have [i])
            continue;
        zconfig_t *c = zconfig_new ("agent", agents);
        char id [16];
        snprintf (id, sizeof id, "%d", i);
        zconfig_put (c, "id", id);
        zconfig_put (c, "host",
                     ss_hosts_ip (x->hosts, ss_scenario_host_of (x->sc, i, fleet->count)));
    }
    free (have);
    snprintf (x->run_fleet_path, sizeof x->run_fleet_path, "%s/fleet.zpl", x->run_dir);
    int rc = zconfig_save (root, x->run_fleet_path);
    zconfig_destroy (&root);
    if (rc) {
        snprintf (err, err_size, "%s: cannot write", x->run_fleet_path);
        return -1;
    }
    return 0;
}

//  --- events ----------------------------------------------------------------

//  The hosts an event concerns into hosts (all: every agent host); count
static int
s_event_hosts (s_exp_t *x, const ss_event_spec_t *spec, int *hosts)
{
    int n = 0;
    if (spec->all_hosts)
        for (int h = 0; h < x->sc->hosts; h++)
            hosts [n++] = h;
    else
        for (int h = 0; h < spec->n_hosts; h++)
            hosts [n++] = spec->hosts [h];
    return n;
}

//  The supervisor children an event concerns into children; count
static int
s_event_children (s_exp_t *x, const ss_event_spec_t *spec, int *children)
{
    int n = 0;
    if (spec->all_agents)
        for (int i = 0; i < x->fleet->count; i++)
            children [n++] = ss_fleetrun_agent (x->run, i);
    else
        for (int a = 0; a < spec->n_agents; a++)
            children [n++] = ss_fleetrun_agent (x->run, spec->agents [a]);
    if (spec->coordinator)
        children [n++] = ss_fleetrun_coordinator (x->run);
    return n;
}

static void
s_table_name (const s_event_t *ev, char *buf, size_t size)
{
    snprintf (buf, size, "ss_e%d", ev->index);
}

static void
s_netem_args (const ss_event_spec_t *spec, char *buf, size_t size)
{
    if (spec->what == SS_DO_DELAY)
        snprintf (buf, size, "delay %gms %gms", spec->delay_ms, spec->jitter_ms);
    else
    if (spec->what == SS_DO_DUPLICATE)
        snprintf (buf, size, "duplicate %g%%", spec->percent);
    else
        snprintf (buf, size, "delay %gms reorder %g%% 50%%", spec->delay_ms, spec->percent);
}

static void
s_start_event (s_exp_t *x, s_event_t *ev)
{
    const ss_event_spec_t *spec = ev->spec;
    ss_supervisor_t *sv = ss_fleetrun_supervisor (x->run);
    const ss_fleetrun_row_t *row = ss_fleetrun_row (x->run);
    ev->start_round = row->round;
    ev->start_s = ss_fleetrun_seconds (x->run);
    ev->state = EV_DONE;
    if (ss_event_is_network (spec) && !x->hosts) {
        ev->state = EV_REFUSED;
        s_log_event (x, ev, "refused", "%s: %s", ev->what, x->refused);
        return;
    }
    int children [SS_FLEET_MAX_AGENTS / 64 + 8];
    int hosts [256];
    char table [32];
    s_table_name (ev, table, sizeof table);
    switch (spec->what) {
        case SS_DO_KILL:
        case SS_DO_STOP:
        case SS_DO_RESTART: {
            int n = s_event_children (x, spec, children);
            int sig = spec->what == SS_DO_KILL? spec->signal:
                      spec->what == SS_DO_STOP? SIGSTOP: SIGKILL;
            char pids [512] = "";
            for (int c = 0; c < n; c++) {
                if (children [c] < 0)
                    continue;
                bool alive = ss_supervisor_alive (sv, children [c]);
                size_t used = strlen (pids);
                if (alive)
                    snprintf (pids + used, sizeof pids - used, "%s%s pid %d", used? ", ": "",
                              ss_supervisor_name (sv, children [c]),
                              (int) ss_supervisor_pid (sv, children [c]));
                else
                    snprintf (pids + used, sizeof pids - used, "%s%s (down)", used? ", ": "",
                              ss_supervisor_name (sv, children [c]));
                if (spec->what == SS_DO_RESTART && !alive)
                    ss_fleetrun_restart (x->run, children [c]);
                else
                if (alive)
                    ss_supervisor_signal (sv, children [c], sig);
            }
            if (spec->what == SS_DO_RESTART)
                ev->restart_pending = true;
            if (spec->what == SS_DO_STOP)
                ev->state = EV_ACTIVE;
            snprintf (ev->detail, sizeof ev->detail, "%s", pids);
            s_log_event (x, ev, "start", "%s: %s", ev->what, pids);
            break;
        }
        case SS_DO_TARGET: {
            const char *argv [2 * SS_CLI_MAX_SETS + 16];
            int a = 0;
            argv [a++] = x->self_exe;
            argv [a++] = "target";
            argv [a++] = x->run_fleet_path;
            argv [a++] = spec->file;
            if (!x->hosts) {
                for (int s = 0; s < x->n_sets; s++) {
                    argv [a++] = "--set";
                    argv [a++] = x->sets [s];
                }
                for (int s = 0; s < x->sc->n_sets; s++) {
                    argv [a++] = "--set";
                    argv [a++] = x->sc->sets [s];
                }
            }
            if (x->insecure)
                argv [a++] = "--insecure";
            argv [a] = NULL;
            char log [PATH_MAX + 64], name [32];
            snprintf (log, sizeof log, "%s/logs/target-%d.log", x->run_dir, ev->index);
            snprintf (name, sizeof name, "target-%d", ev->index);
            ss_restart_t no;
            ss_restart_defaults (&no);
            no.policy = SS_RESTART_NO;
            ev->helper = ss_supervisor_add (sv, name, argv, log,
                                            x->hosts? ss_hosts_netns (x->hosts, x->sc->hosts): NULL,
                                            &no);
            char err [256] = "";
            if (ev->helper < 0 || ss_supervisor_start (sv, ev->helper, err, sizeof err))
                s_log_event (x, ev, "failed", "%s: %s", ev->what, err);
            else {
                ev->state = EV_ACTIVE;
                s_log_event (x, ev, "start", "%s: swarmshape target (log %s)", ev->what, log);
            }
            break;
        }
        case SS_DO_LOSS:
        case SS_DO_PARTITION: {
            int n = s_event_hosts (x, spec, hosts);
            char rules [4096], set [2048] = "";
            if (spec->what == SS_DO_PARTITION)
                for (int h = 0; h < n; h++) {
                    size_t used = strlen (set);
                    snprintf (set + used, sizeof set - used, "%s%s", h? ", ": "",
                              ss_hosts_ip (x->hosts, hosts [h]));
                }
            if (spec->what == SS_DO_LOSS)
                snprintf (rules, sizeof rules,
                          "table inet %s {\n"
                          "    chain input {\n"
                          "        type filter hook input priority -50; policy accept;\n"
                          "        iifname != \"lo\" numgen random mod 10000 < %d counter drop\n"
                          "    }\n}\n", table, (int) lround (spec->percent * 100));
            else
                snprintf (rules, sizeof rules,
                          "table inet %s {\n"
                          "    chain input {\n"
                          "        type filter hook input priority -50; policy accept;\n"
                          "        iifname != \"lo\" ip saddr != { %s } counter drop\n"
                          "    }\n"
                          "    chain output {\n"
                          "        type filter hook output priority -50; policy accept;\n"
                          "        oifname != \"lo\" ip daddr != { %s } counter drop\n"
                          "    }\n}\n", table, set, set);
            int failed = 0;
            for (int h = 0; h < n; h++)
                if (ss_hosts_nft (x->hosts, hosts [h], rules))
                    failed++;
            ev->state = EV_ACTIVE;
            snprintf (ev->detail, sizeof ev->detail, "nftables table inet %s in %d host%s%s",
                      table, n, n == 1? "": "s", failed? " (some failed: see logs/hosts.log)": "");
            s_log_event (x, ev, "start", "%s: %s", ev->what, ev->detail);
            break;
        }
        case SS_DO_DELAY:
        case SS_DO_DUPLICATE:
        case SS_DO_REORDER: {
            int n = s_event_hosts (x, spec, hosts);
            char args [128];
            s_netem_args (spec, args, sizeof args);
            int failed = 0;
            for (int h = 0; h < n; h++)
                if (ss_hosts_impair (x->hosts, hosts [h], args))
                    failed++;
            ev->state = EV_ACTIVE;
            snprintf (ev->detail, sizeof ev->detail, "'%s' on the egress of %d host%s (%s)%s",
                      args, n, n == 1? "": "s",
                      ss_hosts_netem (x->hosts)? "tc netem": "the wire",
                      failed? " (some failed: see logs/hosts.log)": "");
            s_log_event (x, ev, "start", "%s: %s", ev->what, ev->detail);
            break;
        }
        default:
            break;
    }
}

static void
s_end_event (s_exp_t *x, s_event_t *ev)
{
    const ss_event_spec_t *spec = ev->spec;
    ss_supervisor_t *sv = ss_fleetrun_supervisor (x->run);
    ev->end_round = ss_fleetrun_row (x->run)->round;
    ev->end_s = ss_fleetrun_seconds (x->run);
    ev->state = EV_DONE;
    int children [SS_FLEET_MAX_AGENTS / 64 + 8], hosts [256];
    char table [32];
    s_table_name (ev, table, sizeof table);
    if (spec->what == SS_DO_STOP) {
        int n = s_event_children (x, spec, children);
        for (int c = 0; c < n; c++)
            if (children [c] >= 0)
                ss_supervisor_signal (sv, children [c], SIGCONT);
        s_log_event (x, ev, "end", "SIGCONT: %s", ev->detail);
    }
    else
    if (spec->what == SS_DO_TARGET) {
        char log [PATH_MAX + 64], line [512];
        snprintf (log, sizeof log, "%s/logs/target-%d.log", x->run_dir, ev->index);
        FILE *file = fopen (log, "r");
        while (file && fgets (line, sizeof line, file))
            if (!strncmp (line, "target switches at round", 24)) {
                line [strcspn (line, "\n")] = 0;
                snprintf (ev->detail, sizeof ev->detail, "%.300s", line);
            }
        if (file)
            fclose (file);
        if (!*ev->detail)
            snprintf (ev->detail, sizeof ev->detail, "swarmshape target failed: see %.250s", log);
        s_log_event (x, ev, "end", "%s", ev->detail);
    }
    else
    if (spec->what == SS_DO_LOSS || spec->what == SS_DO_PARTITION) {
        int n = s_event_hosts (x, spec, hosts);
        ev->dropped = 0;
        for (int h = 0; h < n; h++) {
            int64_t d = ss_hosts_nft_dropped (x->hosts, hosts [h], table);
            if (d > 0)
                ev->dropped += d;
            ss_hosts_nft_delete (x->hosts, hosts [h], table);
        }
        s_log_event (x, ev, "end", "%s: removed; the kernel dropped %lld packets",
                     ev->what, (long long) ev->dropped);
    }
    else
    if (ss_event_needs_wire (spec)) {
        int n = s_event_hosts (x, spec, hosts);
        for (int h = 0; h < n; h++)
            ss_hosts_impair (x->hosts, hosts [h], "");
        s_log_event (x, ev, "end", "%s: removed", ev->what);
    }
}

//  Start what is due, end what is over, finish restarts
static void
s_drive_events (s_exp_t *x, bool ending)
{
    const ss_fleetrun_row_t *row = ss_fleetrun_row (x->run);
    double now = ss_fleetrun_seconds (x->run);
    ss_supervisor_t *sv = ss_fleetrun_supervisor (x->run);
    for (int e = 0; e < x->sc->n_events; e++) {
        s_event_t *ev = &x->events [e];
        const ss_event_spec_t *spec = ev->spec;
        if (ev->state == EV_PENDING && !ending) {
            bool due = spec->by_round? row->round >= (int64_t) spec->at: now >= spec->at;
            if (due)
                s_start_event (x, ev);
        }
        else
        if (ev->state == EV_PENDING && ending) {
            ev->state = EV_MISSED;
            s_log_event (x, ev, "missed", "%s: the run ended first", ev->what);
        }
        if (ev->state == EV_ACTIVE) {
            bool over = ending;
            if (spec->what == SS_DO_TARGET)
                over = over || !ss_supervisor_alive (sv, ev->helper);
            else
            if (spec->for_kind == SS_FOR_ROUNDS)
                over = over || row->round >= ev->start_round + (int64_t) spec->for_value;
            else
            if (spec->for_kind == SS_FOR_SECONDS)
                over = over || now - ev->start_s >= spec->for_value;
            if (over)
                s_end_event (x, ev);
        }
        if (ev->restart_pending && !ending) {
            //  Killed by the restart event: start them once reaped (unless
            //  their policy already restarts them)
            int children [SS_FLEET_MAX_AGENTS / 64 + 8];
            int n = s_event_children (x, spec, children), left = 0;
            for (int c = 0; c < n; c++) {
                ss_child_state_t state = ss_supervisor_state (sv, children [c]);
                if (state == SS_CHILD_DEAD || state == SS_CHILD_DONE)
                    ss_fleetrun_restart (x->run, children [c]);
                else
                if (state != SS_CHILD_RUNNING)
                    left++;
            }
            if (left == 0)
                ev->restart_pending = false;
        }
    }
}

//  --- results ---------------------------------------------------------------

static int
s_load_trace (const char *dir, s_trace_t *trace)
{
    char path [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/trace.jsonl", dir);
    trace->rows = NULL;
    trace->n = 0;
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    char line [8192];
    int cap = 0;
    while (fgets (line, sizeof line, file)) {
        double round = ss_json_number (line, "round", -1);
        if (line [0] != '{' || round < 0)
            continue;
        if (trace->n == cap) {
            cap = cap? 2 * cap: 256;
            s_row_t *grown = realloc (trace->rows, (size_t) cap * sizeof (s_row_t));
            if (!grown)
                break;
            trace->rows = grown;
        }
        trace->rows [trace->n++] = (s_row_t) {
            .round = (int64_t) round, .agents = (int) ss_json_number (line, "agents", 0),
            .J = ss_json_number (line, "J", NAN),
            .disagreement = ss_json_number (line, "disagreement", NAN),
            .bias = ss_json_number (line, "bias", NAN),
            .seconds = ss_json_number (line, "seconds", NAN)
        };
    }
    fclose (file);
    return trace->n > 0? 0: -1;
}

//  The row at or just before round (NULL: none)
static const s_row_t *
s_row_at (const s_trace_t *trace, int64_t round)
{
    const s_row_t *at = NULL;
    for (int r = 0; r < trace->n && trace->rows [r].round <= round; r++)
        at = &trace->rows [r];
    return at;
}

//  Rounds per second between the rows at rounds from and to (NAN: fewer
//  than two rows between them, or no time between them)
static double
s_pace (const s_trace_t *trace, int64_t from, int64_t to)
{
    const s_row_t *a = NULL, *b = NULL;
    for (int r = 0; r < trace->n; r++) {
        const s_row_t *row = &trace->rows [r];
        if (!a && row->round >= from)
            a = row;
        if (row->round <= to)
            b = row;
    }
    if (!a || !b || b->round <= a->round || !(b->seconds > a->seconds))
        return NAN;
    return (double) (b->round - a->round) / (b->seconds - a->seconds);
}

//  The first report round >= from from which every row meets both
//  thresholds (-1: none)
static int64_t
s_recover (const s_trace_t *trace, int64_t from, double dmax, double bmax)
{
    int64_t at = -1;
    for (int r = trace->n - 1; r >= 0 && trace->rows [r].round >= from; r--) {
        const s_row_t *row = &trace->rows [r];
        if (row->disagreement <= dmax && row->bias <= bmax)
            at = row->round;
        else
            break;
    }
    return at;
}

//  text as the inside of a JSON string (quotes, backslashes and control
//  characters escaped); eight buffers in turn, for one fprintf
static const char *
s_esc (const char *text)
{
    static char bufs [8][PATH_MAX + 512];
    static int next = 0;
    char *out = bufs [next++ % 8];
    size_t used = 0, size = sizeof bufs [0];
    for (const char *c = text? text: ""; *c && used + 7 < size; c++) {
        if (*c == '"' || *c == '\\') {
            out [used++] = '\\';
            out [used++] = *c;
        }
        else
        if ((unsigned char) *c < 0x20)
            used += (size_t) snprintf (out + used, size - used, "\\u%04x", (unsigned char) *c);
        else
            out [used++] = *c;
    }
    out [used] = 0;
    return out;
}

static void
s_jnum (FILE *f, const char *key, double v, bool comma)
{
    if (isfinite (v))
        fprintf (f, "\"%s\":%.17g%s", key, v, comma? ",": "");
    else
        fprintf (f, "\"%s\":null%s", key, comma? ",": "");
}

static void
s_jint (FILE *f, const char *key, int64_t v, bool comma)
{
    if (v >= 0)
        fprintf (f, "\"%s\":%lld%s", key, (long long) v, comma? ",": "");
    else
        fprintf (f, "\"%s\":null%s", key, comma? ",": "");
}

typedef struct {
    char name [64];
    char description [320];
    char run_dir [PATH_MAX];
    char network [128];
    bool completed, within;
    int exit_code;
    double J, base_J, ratio, bound, dis, bias;
    int64_t rounds, worst_recover, worst_base;
    int agents, deaths, restarts, n_events;
    char lost [256];
    int64_t dropped;
    double seconds;
    double pace;                //  rounds/s from the first row after round 0
    double worst_pace;          //  the slowest pace during an event (NAN: none lasted)
} s_result_t;

//  Summary field as raw JSON text (an array) into buf
static void
s_summary_raw (const char *summary, const char *key, char *buf, size_t size)
{
    char pattern [64];
    snprintf (pattern, sizeof pattern, "\"%s\":[", key);
    const char *at = strstr (summary, pattern);
    if (!at) {
        snprintf (buf, size, "[]");
        return;
    }
    at += strlen (pattern) - 1;
    snprintf (buf, size, "%.*s", (int) strcspn (at, "]") + 1, at);
}

static char *
s_read_file (const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return NULL;
    char *text = calloc (1, 1 << 20);
    if (text)
        text [fread (text, 1, (1 << 20) - 1, file)] = 0;
    fclose (file);
    return text;
}

//  report.json and report.md of one run; fills result
static void
s_report (s_exp_t *x, int exit_code, s_result_t *res)
{
    const ss_scenario_t *sc = x->sc;
    s_trace_t trace, base;
    s_load_trace (x->run_dir, &trace);
    s_load_trace (x->base_dir, &base);
    char path [PATH_MAX + 64];
    snprintf (path, sizeof path, "%s/summary.json", x->run_dir);
    char *summary = s_read_file (path);
    snprintf (path, sizeof path, "%s/summary.json", x->base_dir);
    char *base_summary = s_read_file (path);
    memset (res, 0, sizeof *res);
    snprintf (res->name, sizeof res->name, "%s", sc->name);
    snprintf (res->run_dir, sizeof res->run_dir, "%s", x->run_dir);
    snprintf (res->network, sizeof res->network, "%s", x->network);
    res->exit_code = exit_code;
    res->completed = exit_code == 0;
    res->J = summary? ss_json_number (summary, "J", NAN): NAN;
    res->rounds = summary? (int64_t) ss_json_number (summary, "rounds", -1): -1;
    res->dis = summary? ss_json_number (summary, "disagreement", NAN): NAN;
    res->bias = summary? ss_json_number (summary, "bias", NAN): NAN;
    res->agents = summary? (int) ss_json_number (summary, "agents", 0): 0;
    res->deaths = summary? (int) ss_json_number (summary, "deaths", 0): 0;
    res->restarts = summary? (int) ss_json_number (summary, "restarts", 0): 0;
    res->base_J = base_summary? ss_json_number (base_summary, "J", NAN): NAN;
    res->ratio = res->J / res->base_J;
    res->bound = sc->bound;
    res->within = res->completed && res->J <= sc->bound * res->base_J;
    res->seconds = x->run_seconds;
    res->n_events = sc->n_events;
    res->worst_recover = res->worst_base = -1;
    //  Row 0 is written when the coordinator starts, before the agents'
    //  start barrier: the pace counts from the next row
    res->pace = trace.n > 1? s_pace (&trace, trace.rows [0].round + 1, INT64_MAX): NAN;
    res->worst_pace = NAN;
    s_summary_raw (summary? summary: "", "lost", res->lost, sizeof res->lost);
    bool all_recovered = true;
    res->dropped = -1;

    snprintf (path, sizeof path, "%s/report.json", x->run_dir);
    FILE *json = fopen (path, "w");
    snprintf (path, sizeof path, "%s/report.md", x->run_dir);
    FILE *md = fopen (path, "w");
    if (md) {
        fprintf (md, "# Experiment %s\n\n%s\n\n", sc->name, *sc->description? sc->description: "");
        fprintf (md, "Fleet: %s (%d agents, %lld rounds); scenario: %s; network: %s; "
                     "agents' restart policy %s, coordinator's %s.\n"
                     "Undisturbed run: `swarmshape sim` of the same fleet (%s).\n"
                     "Rounds to recover: from the disturbance (or its end), the first report "
                     "round from which every row of the trace has disagreement <= %g and "
                     "tracker bias <= %g (\"-\": never).\n\n",
                 x->fleet->name, x->fleet->count, (long long) x->fleet->rounds, sc->path,
                 x->network, ss_restart_policy_name (sc->restart),
                 ss_restart_policy_name (sc->coordinator_restart), x->base_dir,
                 sc->recover_disagreement, sc->recover_bias);
        fprintf (md, "| # | event | applied at round | until round | rounds/s meanwhile "
                     "| J before | J after "
                     "| undisturbed J before / after | rounds to recover | undisturbed, same "
                     "round | dropped packets | detail |\n"
                     "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    }
    if (json) {
        fprintf (json, "{\"scenario\":\"%s\",\"file\":\"%s\",\"description\":\"%s\","
                       "\"fleet\":\"%s\",\"agents\":%d,\"fleet_rounds\":%lld,"
                       "\"network\":\"%s\",\"run_dir\":\"%s\",\"undisturbed_dir\":\"%s\","
                       "\"recover_disagreement\":%g,\"recover_bias\":%g,\"events\":[",
                 s_esc (sc->name), s_esc (sc->path), s_esc (sc->description),
                 s_esc (x->fleet->name), x->fleet->count,
                 (long long) x->fleet->rounds, s_esc (x->network), s_esc (x->run_dir),
                 s_esc (x->base_dir),
                 sc->recover_disagreement, sc->recover_bias);
    }
    for (int e = 0; e < sc->n_events; e++) {
        s_event_t *ev = &x->events [e];
        bool happened = ev->state == EV_DONE || ev->state == EV_ACTIVE;
        bool lasting = ev->spec->for_kind != SS_FOR_NONE || ev->spec->what == SS_DO_TARGET;
        int64_t from = lasting? ev->end_round: ev->start_round;
        const s_row_t *before = happened? s_row_at (&trace, ev->start_round): NULL;
        const s_row_t *base_before = happened? s_row_at (&base, ev->start_round): NULL;
        int64_t rec = happened? s_recover (&trace, from, sc->recover_disagreement,
                                           sc->recover_bias): -1;
        int64_t brec = happened? s_recover (&base, from, sc->recover_disagreement,
                                            sc->recover_bias): -1;
        const s_row_t *after = rec >= 0? s_row_at (&trace, rec):
                               trace.n? &trace.rows [trace.n - 1]: NULL;
        const s_row_t *base_after = after? s_row_at (&base, after->round): NULL;
        //  The fleet's pace while a lasting event was on
        double pace = happened && lasting && ev->spec->what != SS_DO_TARGET?
                      s_pace (&trace, ev->start_round, ev->end_round): NAN;
        if (!isnan (pace) && (isnan (res->worst_pace) || pace < res->worst_pace))
            res->worst_pace = pace;
        if (happened && rec < 0)
            all_recovered = false;
        if (rec >= 0 && rec - from > res->worst_recover)
            res->worst_recover = rec - from;
        if (brec >= 0 && brec - from > res->worst_base)
            res->worst_base = brec - from;
        if (ev->dropped >= 0)
            res->dropped = (res->dropped < 0? 0: res->dropped) + ev->dropped;
        const char *state = ev->state == EV_REFUSED? "refused":
                            ev->state == EV_MISSED? "missed": "done";
        if (json) {
            fprintf (json, "%s{\"index\":%d,\"do\":\"%s\",\"what\":\"%s\",\"state\":\"%s\","
                           "\"detail\":\"%s\",", e? ",": "", ev->index,
                     ss_event_do_name (ev->spec->what), s_esc (ev->what), state,
                     s_esc (ev->detail));
            s_jint (json, "start_round", happened? ev->start_round: -1, true);
            s_jint (json, "end_round", happened? (lasting? ev->end_round: ev->start_round): -1, true);
            s_jnum (json, "start_seconds", happened? ev->start_s: NAN, true);
            s_jnum (json, "end_seconds", happened? (lasting? ev->end_s: ev->start_s): NAN, true);
            s_jnum (json, "J_before", before? before->J: NAN, true);
            s_jnum (json, "J_after", after && happened? after->J: NAN, true);
            s_jnum (json, "undisturbed_J_before", base_before? base_before->J: NAN, true);
            s_jnum (json, "undisturbed_J_after", base_after && happened? base_after->J: NAN, true);
            s_jint (json, "recover_round", rec, true);
            s_jint (json, "rounds_to_recover", rec >= 0? rec - from: -1, true);
            s_jint (json, "undisturbed_rounds_to_recover", brec >= 0? brec - from: -1, true);
            s_jnum (json, "rounds_per_second", pace, true);
            s_jint (json, "dropped_packets", ev->dropped, false);
            fprintf (json, "}");
        }
        if (md) {
            char pace_text [32] = "-";
            if (!isnan (pace))
                snprintf (pace_text, sizeof pace_text, "%.1f", pace);
            char rec_text [32] = "-", brec_text [32] = "-", drop [32] = "-";
            if (rec >= 0)
                snprintf (rec_text, sizeof rec_text, "%lld", (long long) (rec - from));
            if (brec >= 0)
                snprintf (brec_text, sizeof brec_text, "%lld", (long long) (brec - from));
            if (ev->dropped >= 0)
                snprintf (drop, sizeof drop, "%lld", (long long) ev->dropped);
            fprintf (md, "| %d | %s%s | %lld | %lld | %s | %.6f | %.6f | %.6f / %.6f | %s | %s | %s | %s |\n",
                     ev->index, ev->what, happened? "": ev->state == EV_REFUSED? " (refused)":
                     " (not reached)",
                     (long long) (happened? ev->start_round: -1),
                     (long long) (happened? (lasting? ev->end_round: ev->start_round): -1),
                     pace_text,
                     before? before->J: NAN, after && happened? after->J: NAN,
                     base_before? base_before->J: NAN, base_after && happened? base_after->J: NAN,
                     rec_text, brec_text, drop, ev->detail);
        }
    }
    char supervision [8192] = "{}";
    if (summary) {
        const char *at = strstr (summary, "\"supervision\":");
        if (at) {
            at += 14;
            size_t len = strlen (at);
            while (len && (at [len - 1] == '\n' || at [len - 1] == '}'))
                len--;
            snprintf (supervision, sizeof supervision, "%.*s}", (int) len, at);
            //  the object itself closes with ']}' (down list): keep that
            if (len && at [len - 1] == ']')
                snprintf (supervision, sizeof supervision, "%.*s}", (int) len, at);
        }
        res->deaths = (int) ss_json_number (at? at: "", "deaths", 0);
        res->restarts = (int) ss_json_number (at? at: "", "restarts", 0);
    }
    if (json) {
        fprintf (json, "],\"completed\":%s,\"exit\":%d,", res->completed? "true": "false",
                 exit_code);
        s_jint (json, "rounds", res->rounds, true);
        s_jnum (json, "final_J", res->J, true);
        s_jnum (json, "undisturbed_J", res->base_J, true);
        s_jnum (json, "ratio", res->ratio, true);
        fprintf (json, "\"bound\":%g,\"within_bound\":%s,\"all_recovered\":%s,", sc->bound,
                 res->within? "true": "false", all_recovered? "true": "false");
        s_jnum (json, "final_disagreement", res->dis, true);
        s_jnum (json, "final_bias", res->bias, true);
        fprintf (json, "\"agents_live\":%d,\"lost\":%s,", res->agents, res->lost);
        s_jint (json, "dropped_packets", res->dropped, true);
        s_jnum (json, "seconds", res->seconds, true);
        s_jnum (json, "rounds_per_second", res->pace, true);
        s_jnum (json, "slowest_event_rounds_per_second", res->worst_pace, true);
        fprintf (json, "\"supervision\":%s}\n", supervision);
        fclose (json);
    }
    if (md) {
        fprintf (md, "\nResult: %s; final J %.6f, undisturbed J %.6f, ratio %.3f (bound %g: %s); "
                     "final disagreement %.3g, tracker bias %.3g; %d agents live at the end, "
                     "lost %s; %d deaths, %d restarts; %.1f rounds/s.\n\nFiles: trace.jsonl, summary.json "
                     "(\"supervision\"), events.jsonl (what was done, when, to whom), logs/.\n",
                 res->completed? "the run completed": "the run did NOT complete", res->J,
                 res->base_J, res->ratio, sc->bound, res->within? "within": "OUTSIDE",
                 res->dis, res->bias, res->agents, res->lost, res->deaths, res->restarts,
                 res->pace);
        fclose (md);
    }
    free (summary);
    free (base_summary);
    free (trace.rows);
    free (base.rows);
}

//  The plots of the run, where `swarmshape plot` exists (the plot branch)
static void
s_plot_hook (s_exp_t *x)
{
    if (!ss_cmd_plot)
        return;
    ss_supervisor_t *sv = ss_supervisor_new ();
    if (!sv)
        return;
    const char *argv [] = { x->self_exe, "plot", x->run_dir, NULL };
    char log [PATH_MAX + 32], err [256];
    snprintf (log, sizeof log, "%s/logs/plot.log", x->run_dir);
    ss_restart_t no;
    ss_restart_defaults (&no);
    no.policy = SS_RESTART_NO;
    int child = ss_supervisor_add (sv, "plot", argv, log, NULL, &no);
    if (child >= 0 && ss_supervisor_start (sv, child, err, sizeof err) == 0) {
        ss_event_t event;
        for (int t = 0; t < 6000 && ss_supervisor_alive (sv, child); t++) {
            while (ss_supervisor_poll (sv, &event))
                ;
            usleep (10000);
        }
    }
    ss_supervisor_destroy (&sv);
}

//  --- one scenario -------------------------------------------------------------

//  Every event done (or refused, missed), and the trace after_rounds past
//  the last one's end?
static bool
s_events_over (s_exp_t *x, int64_t after_rounds)
{
    int64_t last = -1;
    for (int e = 0; e < x->sc->n_events; e++) {
        const s_event_t *ev = &x->events [e];
        if (ev->state == EV_PENDING || ev->state == EV_ACTIVE || ev->restart_pending)
            return false;
        int64_t end = ev->end_round >= 0? ev->end_round: ev->start_round;
        if (end > last)
            last = end;
    }
    return ss_fleetrun_row (x->run)->round >= last + after_rounds;
}

//  The wire's counters (its last line, printed when it stops) into the
//  reports of the events it carried: what it delayed, duplicated, reordered
static void
s_wire_counters (s_exp_t *x)
{
    char path [PATH_MAX + 32], line [512], last [512] = "";
    snprintf (path, sizeof path, "%s/logs/wire.ctl.log", x->run_dir);
    FILE *file = fopen (path, "r");
    if (!file)
        return;
    while (fgets (line, sizeof line, file))
        if (!strncmp (line, "wire: counters ", 15)) {
            line [strcspn (line, "\n")] = 0;
            snprintf (last, sizeof last, "%.400s", line + 6);
        }
    fclose (file);
    if (!*last)
        return;
    for (int e = 0; e < x->sc->n_events; e++)
        if (ss_event_needs_wire (x->events [e].spec) && x->events [e].state == EV_DONE) {
            size_t used = strlen (x->events [e].detail);
            snprintf (x->events [e].detail + used, sizeof x->events [e].detail - used,
                      "; the wire's %s", last);
        }
}

//  The undisturbed sim of a run until stopped: to the run's final round
static int
s_sim_to_final (s_exp_t *x, const char *const *sets, int n_sets, char *err, size_t err_size)
{
    char path [PATH_MAX + 64], rounds [64];
    snprintf (path, sizeof path, "%s/summary.json", x->run_dir);
    char *summary = s_read_file (path);
    double final = summary? ss_json_number (summary, "rounds", -1): -1;
    free (summary);
    if (final < 1) {
        snprintf (err, err_size, "%s: no final round", path);
        return -1;
    }
    const char *all [SS_CLI_MAX_SETS + SS_SCENARIO_MAX_SETS + 2];
    for (int s = 0; s < n_sets; s++)
        all [s] = sets [s];
    snprintf (rounds, sizeof rounds, "rounds=%.0f", final);
    all [n_sets] = rounds;
    ss_fleet_t *fleet = ss_fleet_load (x->fleet_path, all, n_sets + 1, err, err_size);
    if (!fleet)
        return -1;
    ss_sim_options_t options = { .quiet = true };
    int rc = ss_sim_run (fleet, x->base_dir, &options, err, err_size);
    ss_fleet_destroy (&fleet);
    return rc;
}

static int
s_run_scenario (s_exp_t *x, const ss_fleet_t *user_fleet, s_result_t *res)
{
    ss_scenario_t *sc = x->sc;
    char err [8192] = "";
    //  The fleet with the user's and the scenario's overrides
    const char *sets [SS_CLI_MAX_SETS + SS_SCENARIO_MAX_SETS + 1];
    int n_sets = 0;
    for (int s = 0; s < x->n_sets; s++)
        sets [n_sets++] = x->sets [s];
    for (int s = 0; s < sc->n_sets; s++)
        sets [n_sets++] = sc->sets [s];
    //  Until stopped: the undisturbed sim runs after the run, to its final round
    bool until_stopped = sc->stop_after_rounds > 0;
    int n_run_sets = n_sets;
    sets [n_run_sets++] = "rounds=0";
    if (until_stopped)
        n_sets = n_run_sets;
    ss_fleet_t *fleet = ss_fleet_load (x->fleet_path, sets, n_sets, err, sizeof err);
    if (!fleet) {
        fprintf (stderr, "swarmshape experiment: %s: %s\n", sc->path, err);
        return 2;
    }
    (void) user_fleet;
    if (ss_mkdirs (x->run_dir, 0755)) {
        fprintf (stderr, "swarmshape experiment: %s: cannot create: %s\n", x->run_dir,
                 strerror (errno));
        ss_fleet_destroy (&fleet);
        return 1;
    }
    char logs [PATH_MAX + 8];
    snprintf (logs, sizeof logs, "%s/logs", x->run_dir);
    ss_mkdirs (logs, 0755);
    //  The undisturbed run of this fleet (shared when the scenario sets nothing)
    struct stat st;
    char base_summary [PATH_MAX + 64];
    if (sc->n_sets == 0 && !until_stopped)
        snprintf (x->base_dir, sizeof x->base_dir, "%s/undisturbed", x->out);
    else
        snprintf (x->base_dir, sizeof x->base_dir, "%s/undisturbed", x->run_dir);
    snprintf (base_summary, sizeof base_summary, "%s/summary.json", x->base_dir);
    if (!until_stopped && (stat (base_summary, &st) || sc->n_sets)) {
        if (!x->quiet)
            fprintf (stderr, "swarmshape experiment: %s: the undisturbed sim of %s into %s\n",
                     sc->name, fleet->name, x->base_dir);
        ss_sim_options_t options = { .quiet = true };
        if (ss_sim_run (fleet, x->base_dir, &options, err, sizeof err)) {
            fprintf (stderr, "swarmshape experiment: sim: %s\n", err);
            ss_fleet_destroy (&fleet);
            return 1;
        }
    }
    if (!x->insecure && fleet->curve && ss_keys_generate (fleet, false, err, sizeof err) < 0) {
        fprintf (stderr, "swarmshape experiment: %s\n", err);
        ss_fleet_destroy (&fleet);
        return 1;
    }
    //  Hosts, if the scenario has them and we may
    bool network = sc->hosts >= 2;
    bool wire_needed = false;
    for (int e = 0; e < sc->n_events; e++)
        if (ss_event_needs_wire (&sc->events [e]))
            wire_needed = true;
    snprintf (x->network, sizeof x->network, "loopback");
    *x->refused = 0;
    ss_supervisor_t *sv_hosts = NULL;
    x->fleet = fleet;
    snprintf (x->run_fleet_path, sizeof x->run_fleet_path, "%s", x->fleet_path);
    const char *why = network? ss_hosts_unavailable (): NULL;
    if (network && why) {
        snprintf (x->refused, sizeof x->refused, "network faults refused: %s (network "
                  "namespaces need root, ip and nft)", why);
        fprintf (stderr, "swarmshape experiment: %s: %s; its process faults still run, on "
                         "the loopback\n", sc->name, x->refused);
        network = false;
    }
    //  The events start pending
    memset (x->events, 0, sizeof x->events);
    for (int e = 0; e < sc->n_events; e++) {
        x->events [e] = (s_event_t) { .spec = &sc->events [e], .index = e, .dropped = -1,
                                      .helper = -1, .start_round = -1, .end_round = -1 };
        ss_event_describe (&sc->events [e], x->events [e].what, sizeof x->events [e].what);
    }
    char events_path [PATH_MAX + 32];
    snprintf (events_path, sizeof events_path, "%s/events.jsonl", x->run_dir);
    x->events_log = fopen (events_path, "w");
    const char **agent_netns = NULL;
    ss_fleetrun_options_t options = {
        .fleet_path = x->fleet_path, .sets = sets, .n_sets = n_sets,
        .insecure = x->insecure, .quiet = true, .out = x->run_dir, .every_agent = true,
        .coordinator_log = true,
        .progress = x->quiet? SS_PROGRESS_QUIET: SS_PROGRESS_AUTO,
        .label = sc->name, .stop = &ss_cli_stop
    };
    ss_restart_defaults (&options.agents);
    ss_restart_defaults (&options.coordinator);
    options.agents.policy = sc->restart;
    options.coordinator.policy = sc->coordinator_restart;
    options.agents.restart_sec = options.coordinator.restart_sec = sc->restart_sec;
    x->run = NULL;
    int rc = 0;
    if (network) {
        //  The hosts' helpers (the wire) live in this supervisor of ours
        sv_hosts = ss_supervisor_new ();
        char hosts_log [PATH_MAX + 32], ctl [PATH_MAX + 32];
        snprintf (hosts_log, sizeof hosts_log, "%s/hosts.log", logs);
        snprintf (ctl, sizeof ctl, "%s/wire.ctl", logs);
        bool wire = wire_needed && !ss_hosts_have_netem ();
        x->hosts = sv_hosts? ss_hosts_new (sc->hosts, wire, x->self_exe, sv_hosts, hosts_log,
                                           ctl, err, sizeof err): NULL;
        agent_netns = calloc ((size_t) fleet->count, sizeof (char *));
        if (!x->hosts || !agent_netns
        ||  s_write_host_fleet (x, fleet, sets, n_sets, err, sizeof err)) {
            fprintf (stderr, "swarmshape experiment: %s: hosts: %s\n", sc->name, err);
            rc = 1;
        }
        else {
            for (int i = 0; i < fleet->count; i++)
                agent_netns [i] = ss_hosts_netns (x->hosts,
                                                  ss_scenario_host_of (sc, i, fleet->count));
            options.fleet_path = x->run_fleet_path;
            options.sets = NULL;
            options.n_sets = 0;
            options.agent_netns = agent_netns;
            options.coordinator_netns = ss_hosts_netns (x->hosts, sc->hosts);
            snprintf (x->network, sizeof x->network, "%d hosts (network namespaces, %s "
                      "layout), %s", sc->hosts, sc->block? "block": "spread",
                      ss_hosts_wiring (x->hosts));
        }
    }
    ss_fleet_t *run_fleet = NULL;
    if (rc == 0) {
        run_fleet = ss_fleet_load (options.fleet_path, options.sets, options.n_sets,
                                   err, sizeof err);
        if (!run_fleet) {
            fprintf (stderr, "swarmshape experiment: %s: %s\n", sc->name, err);
            rc = 1;
        }
    }
    if (rc == 0) {
        x->run = ss_fleetrun_new (run_fleet, &options, err, sizeof err);
        if (!x->run || ss_fleetrun_start (x->run, err, sizeof err)) {
            fprintf (stderr, "swarmshape experiment: %s: %s\n", sc->name, err);
            rc = 1;
        }
    }
    if (rc == 0) {
        if (!x->quiet)
            ss_fleetrun_note (x->run, "%d agents on %s; %d events; files in %s",
                              fleet->count, x->network, sc->n_events, x->run_dir);
        s_log_event (x, NULL, "start", "%d agents on %s", fleet->count, x->network);
        ss_event_t event;
        bool stopping = false;
        while (ss_fleetrun_step (x->run, 20)) {
            s_drive_events (x, false);
            if (until_stopped && !stopping && s_events_over (x, sc->stop_after_rounds)) {
                stopping = true;
                ss_supervisor_signal (ss_fleetrun_supervisor (x->run),
                                      ss_fleetrun_coordinator (x->run), SIGTERM);
                s_log_event (x, NULL, "stop", "%lld rounds after the last event: SIGTERM "
                             "to the coordinator (it announces a STOP round)",
                             (long long) sc->stop_after_rounds);
            }
            if (sv_hosts)
                while (ss_supervisor_poll (sv_hosts, &event))
                    if (event.kind != SS_EVENT_EXITED)
                        s_log_event (x, NULL, "wire", "the wire %s (%s)",
                                     event.kind == SS_EVENT_DIED? "died": "changed", event.how);
        }
        s_drive_events (x, true);
        rc = ss_fleetrun_finish (x->run);
        x->run_seconds = ss_fleetrun_seconds (x->run);
        ss_hosts_destroy (&x->hosts);       //  the wire prints its counters
        s_wire_counters (x);
        s_log_event (x, NULL, "end", "run %s", rc == 0? "complete": "incomplete");
        if (until_stopped && s_sim_to_final (x, sets, n_sets - 1, err, sizeof err)) {
            fprintf (stderr, "swarmshape experiment: %s: sim: %s\n", sc->name, err);
            rc = 1;
        }
        s_report (x, rc, res);
        snprintf (res->description, sizeof res->description, "%s", sc->description);
        if (!res->within)
            rc = 1;
    }
    ss_fleetrun_destroy (&x->run);
    ss_hosts_destroy (&x->hosts);
    ss_supervisor_destroy (&sv_hosts);
    free (agent_netns);
    if (x->events_log)
        fclose (x->events_log);
    x->events_log = NULL;
    if (rc == 0 || res->completed)
        s_plot_hook (x);
    ss_fleet_destroy (&run_fleet);
    ss_fleet_destroy (&fleet);
    return rc;
}

//  DIR/report.md and DIR/report.json over every scenario
static void
s_compare (s_exp_t *x, const s_result_t *res, int n, const ss_fleet_t *fleet)
{
    char path [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/report.json", x->out);
    FILE *json = n > 1? fopen (path, "w"): NULL;
    snprintf (path, sizeof path, "%s/report.md", x->out);
    FILE *md = n > 1? fopen (path, "w"): NULL;
    if (md) {
        fprintf (md, "# Experiments on fleet %s\n\n%d agents, %lld rounds; the undisturbed "
                     "run is `swarmshape sim` of the same fleet. Each scenario's own report: "
                     "<name>/report.md.\n\n", fleet->name, fleet->count,
                 (long long) fleet->rounds);
        fprintf (md, "| scenario | disturbance | network | final J | undisturbed J | ratio | "
                     "bound | rounds to recover (undisturbed, same round) | final disagreement "
                     "| final bias | live agents | lost | deaths / restarts | dropped packets "
                     "| seconds | rounds/s (during the disturbance) "
                     "|\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    }
    if (json)
        fprintf (json, "{\"fleet\":\"%s\",\"agents\":%d,\"rounds\":%lld,\"scenarios\":[",
                 s_esc (fleet->name), fleet->count, (long long) fleet->rounds);
    for (int r = 0; r < n; r++) {
        const s_result_t *s = &res [r];
        if (md) {
            char rec [64] = "-", drop [32] = "-";
            if (s->worst_recover >= 0)
                snprintf (rec, sizeof rec, "%lld (%s)", (long long) s->worst_recover, "");
            if (s->worst_recover >= 0) {
                if (s->worst_base >= 0)
                    snprintf (rec, sizeof rec, "%lld (%lld)", (long long) s->worst_recover,
                              (long long) s->worst_base);
                else
                    snprintf (rec, sizeof rec, "%lld (-)", (long long) s->worst_recover);
            }
            if (s->dropped >= 0)
                snprintf (drop, sizeof drop, "%lld", (long long) s->dropped);
            char pace [64] = "-";
            if (!isnan (s->pace) && !isnan (s->worst_pace))
                snprintf (pace, sizeof pace, "%.1f (%.1f)", s->pace, s->worst_pace);
            else if (!isnan (s->pace))
                snprintf (pace, sizeof pace, "%.1f (-)", s->pace);
            fprintf (md, "| %s | %s | %s | %.6f | %.6f | %.3f | %g%s | %s | %.3g | %.3g | %d | %s "
                         "| %d / %d | %s | %.0f | %s |\n", s->name, s->description, s->network, s->J,
                     s->base_J, s->ratio, s->bound, s->within? "": " (OUTSIDE)", rec, s->dis,
                     s->bias, s->agents, s->lost, s->deaths, s->restarts, drop, s->seconds, pace);
        }
        if (json) {
            fprintf (json, "%s{\"scenario\":\"%s\",\"report\":\"%s/report.json\",\"completed\":%s,"
                           "\"within_bound\":%s,", r? ",": "", s_esc (s->name), s_esc (s->run_dir),
                     s->completed? "true": "false", s->within? "true": "false");
            s_jnum (json, "final_J", s->J, true);
            s_jnum (json, "undisturbed_J", s->base_J, true);
            s_jnum (json, "ratio", s->ratio, true);
            fprintf (json, "\"bound\":%g,", s->bound);
            s_jint (json, "rounds_to_recover", s->worst_recover, true);
            s_jint (json, "undisturbed_rounds_to_recover", s->worst_base, true);
            s_jnum (json, "rounds_per_second", s->pace, true);
            s_jnum (json, "slowest_event_rounds_per_second", s->worst_pace, true);
            s_jint (json, "dropped_packets", s->dropped, false);
            fprintf (json, "}");
        }
    }
    if (md) {
        fprintf (md, "\n\"Rounds to recover\": the largest over the scenario's events (each in "
                     "its report.md).\n");
        fclose (md);
    }
    if (json) {
        fprintf (json, "]}\n");
        fclose (json);
    }
}

int
ss_cmd_experiment (int argc, char **argv)
{
    //  FLEET SCENARIO...: every positional argument after the first is a
    //  scenario; the common parser sees FLEET and the options only
    static const char *valued [] = { "--out", "-o", "--set", "-s", "--host", "-H",
                                     "--prefix", "-P", NULL };
    const char *scenarios [SS_EXP_MAX_SCENARIOS];
    int n_scenarios = 0, kept = 1;
    bool fleet_seen = false;
    for (int a = 1; a < argc; a++) {
        const char *arg = argv [a];
        bool value_next = false;
        for (int v = 0; valued [v]; v++)
            if (!strcmp (arg, valued [v]))
                value_next = true;
        if (value_next && a + 1 < argc) {
            argv [kept++] = argv [a++];
            argv [kept++] = argv [a];
            continue;
        }
        if (arg [0] == '-' || !fleet_seen) {
            fleet_seen = fleet_seen || arg [0] != '-';
            argv [kept++] = argv [a];
            continue;
        }
        if (n_scenarios == SS_EXP_MAX_SCENARIOS) {
            fprintf (stderr, "swarmshape experiment: at most %d scenarios\n",
                     SS_EXP_MAX_SCENARIOS);
            return 2;
        }
        scenarios [n_scenarios++] = arg;
    }
    argv [kept] = NULL;
    ss_cli_args_t args;
    int rc = ss_cli_parse ("experiment", kept, argv, 1, "FLEET SCENARIO...", &args);
    if (rc)
        return rc;
    if (n_scenarios == 0) {
        fprintf (stderr, "swarmshape experiment: expected FLEET SCENARIO... (see --help)\n");
        return 2;
    }
    if (!args.out) {
        fprintf (stderr, "swarmshape experiment: missing --out DIR\n");
        return 2;
    }
    ss_fleet_t *fleet = ss_cli_load (&args);
    if (!fleet)
        return 2;
    if (!args.insecure && !fleet->curve) {
        fprintf (stderr, "swarmshape experiment: %s: security/curve: 0 needs --insecure\n",
                 fleet->path);
        ss_fleet_destroy (&fleet);
        return 2;
    }
    ss_scenario_t *loaded [SS_EXP_MAX_SCENARIOS];
    char err [8192];
    for (int s = 0; s < n_scenarios; s++) {
        loaded [s] = ss_scenario_load (scenarios [s], err, sizeof err);
        if (!loaded [s] || ss_scenario_check_fleet (loaded [s], fleet, err, sizeof err)) {
            fprintf (stderr, "swarmshape experiment: %s\n", err);
            for (int t = 0; t <= s; t++)
                ss_scenario_destroy (&loaded [t]);
            ss_fleet_destroy (&fleet);
            return 2;
        }
        for (int t = 0; t < s; t++)
            if (!strcmp (loaded [t]->name, loaded [s]->name)) {
                fprintf (stderr, "swarmshape experiment: %s: scenario/name: '%s' is also the "
                                 "name of %s\n", scenarios [s], loaded [s]->name, scenarios [t]);
                for (int u = 0; u <= s; u++)
                    ss_scenario_destroy (&loaded [u]);
                ss_fleet_destroy (&fleet);
                return 2;
            }
    }
    s_exp_t *x = calloc (1, sizeof (s_exp_t));
    s_result_t *results = calloc ((size_t) n_scenarios, sizeof (s_result_t));
    if (!x || !results || ss_mkdirs (args.out, 0755)) {
        fprintf (stderr, "swarmshape experiment: %s: cannot create: %s\n", args.out,
                 strerror (errno));
        free (x);
        free (results);
        for (int s = 0; s < n_scenarios; s++)
            ss_scenario_destroy (&loaded [s]);
        ss_fleet_destroy (&fleet);
        return 1;
    }
    x->fleet_path = args.positional [0];
    for (int s = 0; s < args.n_sets; s++)
        x->sets [x->n_sets++] = args.sets [s];
    x->insecure = args.insecure;
    x->quiet = args.quiet;
    x->out = args.out;
    ssize_t len = readlink ("/proc/self/exe", x->self_exe, sizeof x->self_exe - 1);
    x->self_exe [len > 0? len: 0] = 0;
    ss_cli_catch_signals ();
    signal (SIGPIPE, SIG_IGN);
    rc = 0;
    int done = 0;
    for (int s = 0; s < n_scenarios && !ss_cli_stop; s++) {
        x->sc = loaded [s];
        if (n_scenarios == 1)
            snprintf (x->run_dir, sizeof x->run_dir, "%s", args.out);
        else
            snprintf (x->run_dir, sizeof x->run_dir, "%s/%s", args.out, loaded [s]->name);
        int r = s_run_scenario (x, fleet, &results [done]);
        if (r == 2) {
            rc = 2;
            break;
        }
        if (r)
            rc = 1;
        if (!args.quiet)
            fprintf (stderr, "swarmshape experiment: %s: %s, final J %.6f vs undisturbed "
                             "%.6f (ratio %.3f, bound %g); report in %s/report.md\n",
                     loaded [s]->name, results [done].completed? "completed": "INCOMPLETE",
                     results [done].J, results [done].base_J, results [done].ratio,
                     results [done].bound, x->run_dir);
        done++;
    }
    if (done > 1)
        s_compare (x, results, done, fleet);
    if (ss_cli_stop)
        rc = 1;
    if (!args.quiet && done > 1)
        fprintf (stderr, "swarmshape experiment: %d scenarios; comparison in %s/report.md\n",
                 done, args.out);
    for (int s = 0; s < n_scenarios; s++)
        ss_scenario_destroy (&loaded [s]);
    free (results);
    free (x);
    ss_fleet_destroy (&fleet);
    return rc;
}
