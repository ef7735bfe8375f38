/*  ss_agentd: one agent of a fleet, as a daemon: its reactor (zloop) and
    the handlers that connect the pure rules (ss_peers: membership, waits,
    running sums, epochs, jumps; ss_round: the arithmetic) to the sockets
    (ss_links) and the disk (ss_persist).

    The reactor has one reader per socket (the ROUTER of neighbours, the
    coordinator's DEALER, the ZAP handler, and the neighbour DEALERs, on
    which nothing legitimate arrives), a heartbeat timer that runs however
    long a round takes (liveness, pings, heartbeats to every neighbour and
    the coordinator), and one round timer armed only while a round waits
    (the grace of a late estimate, a repair request). Every frame is
    decoded once (ss_msg_decode), checked once at the edge (version, fleet
    id, authenticated name == claimed sender, neighbour, shape; rounds,
    epochs and values by ss_peers) and dispatched; receiving only
    receives: rounds run after a socket is drained, never inside a read.

    A round: after the start barrier (every neighbour heard and READY),
    the agent sends its estimate of round k to every live neighbour (on
    connection k mod C of the link), waits as ss_peers_poll says, runs
    ss_round_step with the neighbours in id order (exactly sim's call when
    nothing was lost: bit-identical positions), and goes on. Reports go to
    the coordinator at round 0, every report_every rounds and at the last;
    checkpoints every checkpoint_every rounds and at exit.

    SIGTERM/SIGINT: the current round is finished if it can be within 2 s,
    then the final report, heartbeat, checkpoint and state file; exit 0.
*/
#ifndef SS_AGENTD_H
#define SS_AGENTD_H

#include "ss_fleet.h"

typedef struct {
    bool insecure;
    bool verbose;               //  debug lines
    bool quiet;                 //  warnings and errors only
} ss_agentd_options_t;

typedef struct ss_agentd_t ss_agentd_t;

//  Agent id of fleet (the agent owns the fleet from here). NULL after one
//  line on stderr, *rc 2 for a configuration error, 1 for a runtime one.
ss_agentd_t *ss_agentd_new (ss_fleet_t *fleet, int id, const ss_agentd_options_t *options,
                            int *rc);
void ss_agentd_destroy (ss_agentd_t **self_p);

//  Run until the last round, a STOP, or a signal. The exit code: 0 done,
//  1 runtime failure (e.g. the final state could not be written).
int ss_agentd_run (ss_agentd_t *self);

//  Install the SIGTERM/SIGINT handlers the reactor checks (call before
//  zsys_init: CZMQ's own would make every socket call fail)
void ss_agentd_catch_signals (void);

#endif
