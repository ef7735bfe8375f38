/*  ss_fleetrun: one supervised run of a fleet on this machine, the core of
    `swarmshape launch` and of each run of `swarmshape experiment`.

    Starts the coordinator (--fresh; its restarts resume the trace; at nice
    -10 when allowed, else the agents at nice +10: it serves them all) and
    one agentd per agent of this host under an ss_supervisor, follows the
    coordinator's growing trace.jsonl (the last complete round, J,
    disagreement, live agents), draws the progress line (ss_progress),
    reports deaths and restarts as they happen, and records what the run
    survived: every death with the trace round it happened at and the
    round its process was back (or the end), restarts, agents lost for
    good. ss_fleetrun_finish writes that as DIR/supervision.json and merges
    it into the coordinator's DIR/summary.json as its "supervision" object
    (read, add, write to a temporary name, rename: atomic).

    The run is complete when the coordinator exited 0 with a summary that
    reaches the fleet's last round (any round for rounds = 0): that is exit
    code 0, whatever died on the way.
*/
#ifndef SS_FLEETRUN_H
#define SS_FLEETRUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "ss_fleet.h"
#include "ss_progress.h"
#include "ss_supervisor.h"

typedef struct {
    const char *fleet_path;         //  the fleet file the children read
    const char *const *sets;        //  --set overrides passed to every child
    int n_sets;
    bool insecure, quiet, verbose;
    const char *out;                //  the run directory
    const char *host;               //  --host NAME: also this host's name
    bool every_agent;               //  run every agent here, whatever its host
    ss_restart_t agents, coordinator;   //  restart policies
    const char *coordinator_netns;  //  network namespace of the coordinator
    const char *const *agent_netns; //  per agent (count entries), or NULL
    bool coordinator_log;           //  its stderr to DIR/logs/coordinator.log
    ss_progress_mode_t progress;    //  the line drawn from the trace
    const char *label;              //  of the progress line and the notes
    volatile sig_atomic_t *stop;    //  set by a signal: end the run
} ss_fleetrun_options_t;

typedef struct {
    int64_t round;                  //  -1: no row yet
    int agents;                     //  live agents in the row
    double J, kl, disagreement, grad, step, bias, seconds;
    int rows;                       //  rows read so far
} ss_fleetrun_row_t;

typedef struct ss_fleetrun_t ss_fleetrun_t;

//  fleet is the loaded fleet (not owned; it must outlive the run).
//  NULL and a line in err on failure.
ss_fleetrun_t *ss_fleetrun_new (const ss_fleet_t *fleet,
                                const ss_fleetrun_options_t *options,
                                char *err, size_t err_size);
//  Stops what still runs
void ss_fleetrun_destroy (ss_fleetrun_t **self_p);

//  Start the coordinator and the agents. 0 or -1 with a line in err.
int ss_fleetrun_start (ss_fleetrun_t *self, char *err, size_t err_size);
//  Handle what happened (deaths, restarts, new trace rows), sleeping up
//  to wait_ms first. 1 while the run goes on, 0 when it is over.
int ss_fleetrun_step (ss_fleetrun_t *self, int wait_ms);
//  Stop what is left, write supervision.json, merge it into summary.json.
//  0 when the run completed, 1 otherwise (interrupted, incomplete).
int ss_fleetrun_finish (ss_fleetrun_t *self);

//  Start child (a dead agent or coordinator) again by hand, counted and
//  recorded as a restart. 0 or -1.
int ss_fleetrun_restart (ss_fleetrun_t *self, int child);

//  The last trace row read
const ss_fleetrun_row_t *ss_fleetrun_row (ss_fleetrun_t *self);
ss_supervisor_t *ss_fleetrun_supervisor (ss_fleetrun_t *self);
//  The supervisor's index of agent id (-1: not on this host), of the coordinator
int ss_fleetrun_agent (ss_fleetrun_t *self, int id);
int ss_fleetrun_coordinator (ss_fleetrun_t *self);
//  Agents started here
int ss_fleetrun_local_agents (ss_fleetrun_t *self);
//  Deaths and restarts so far (agents and coordinator)
int ss_fleetrun_deaths (ss_fleetrun_t *self);
int ss_fleetrun_restarts (ss_fleetrun_t *self);
//  Seconds since the start
double ss_fleetrun_seconds (ss_fleetrun_t *self);
//  The supervision object (JSON), valid after ss_fleetrun_finish
const char *ss_fleetrun_supervision (ss_fleetrun_t *self);
//  A message line through the progress display ("LABEL: text")
void ss_fleetrun_note (ss_fleetrun_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Program NAME next to swarmshape in the build tree (<bindir>/../NAME/NAME),
//  in its own directory (installed), else on PATH. 0 or -1.
int ss_find_program (const char *name, char *out, size_t size);

//  A number from a one-line JSON object: the value after "key": (fallback
//  when absent or not a number)
double ss_json_number (const char *json, const char *key, double fallback);

#endif
