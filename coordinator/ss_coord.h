/*  ss_coord: the coordinator as a daemon: its reactor (zloop) and handlers.
    The rules live in pure modules: ss_members (liveness, what each agent
    reported), ss_rows (when a trace row is due), ss_targets (switch
    rounds); scoring is core's ss_score_state, the function sim scores
    with, so an undisturbed launched run's trace equals sim's bit for bit.

    The reactor: one reader on the ROUTER (every frame decoded once and
    dispatched by type: REPORT and HEARTBEAT from agents, TARGET and
    CONTROL from the operator), one on the ZAP handler, a liveness timer
    (heartbeat_ms), and a row timer armed at the deadline of the oldest
    open row. Rows are written after a socket is drained, never inside a
    read.

    The trace of a fresh run starts with round 0, scored from the fleet
    file's initial positions (what every agent holds at round 0). A
    restarted coordinator appends to the trace of its run directory.
*/
#ifndef SS_COORD_H
#define SS_COORD_H

#include "ss_fleet.h"

typedef struct {
    const char *out;            //  the run directory
    bool insecure, quiet, verbose, fresh;
} ss_coord_options_t;

typedef struct ss_coord_t ss_coord_t;

//  A coordinator of fleet (owned from here on). NULL after one line on
//  stderr, *rc 2 for a configuration error, 1 for a runtime one.
ss_coord_t *ss_coord_new (ss_fleet_t *fleet, const ss_coord_options_t *options, int *rc);
void ss_coord_destroy (ss_coord_t **self_p);

//  Run until the run's last row, a STOP, or a signal; write the files.
//  The exit code.
int ss_coord_run (ss_coord_t *self);

//  SIGTERM/SIGINT handlers the reactor checks
void ss_coord_catch_signals (void);

#endif
