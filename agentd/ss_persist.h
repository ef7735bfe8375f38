/*  ss_persist: what an agent keeps on disk, so that after a crash and a
    restart it resumes where it was: its checkpoint (fleet/ss_checkpoint,
    atomic, checksummed) every checkpoint_every rounds (written by a
    thread of its own, so that the fsync never stalls a round) and at exit, the
    text state file <state_dir>/agent-<i>.state at exit, and the resume at
    start: a valid checkpoint of this agent of this fleet is resumed, a
    bad or foreign one is reported and set aside, never trusted. Files are
    opened refusing symbolic links (ss_file). Logs are rate-limited.
*/
#ifndef SS_PERSIST_H
#define SS_PERSIST_H

#include "ss_fleet.h"
#include "ss_round.h"

//  The state that is saved and resumed
typedef struct {
    ss_agent_t *agent;          //  x, x0, theta, s
    uint64_t round, epoch;
    uint64_t targets;           //  targets applied so far
    ss_mixture_t *target;       //  in force (count 0 and cells 0: the fleet's)
    uint64_t target_round;      //  round it was applied at
    const uint64_t *counters;   //  SS_CTR_COUNT, for the state file (may be NULL)
} ss_persist_state_t;

typedef struct ss_persist_t ss_persist_t;

//  For agent id of the fleet (fleet->state_dir); NULL after a log line if
//  the state directory cannot be made
ss_persist_t *ss_persist_new (const ss_fleet_t *fleet, int id, uint64_t fleet_id);
void ss_persist_destroy (ss_persist_t **self_p);

//  Resume from the checkpoint if it is valid for this agent and fleet and
//  not of a finished run: fills state (its target checked against the
//  model and applied to P) and returns 1; 0 to start fresh (nothing there,
//  or set aside with a log line)
int ss_persist_resume (ss_persist_t *self, ss_problem_t *P, int d, int K,
                       ss_persist_state_t *state);

//  The checkpoint of state, encoded now and written (fsynced, renamed over
//  the last) by the writer thread, so that the round goes on meanwhile;
//  when several wait, the newest is written. 0 when queued (or written,
//  without the thread), -1 after a log line (the writer logs its own
//  errors, rate-limited)
int ss_persist_checkpoint (ss_persist_t *self, const ss_persist_state_t *state, int d, int K);
//  Wait until every checkpoint queued so far is written (or failed)
void ss_persist_flush (ss_persist_t *self);
//  How many checkpoints are on disk so far
uint64_t ss_persist_written (ss_persist_t *self);

//  Write the text state file (round, epoch, x, x0, theta, s, and a line
//  `counter NAME VALUE` per counter); 0 or -1 after a line
int ss_persist_state_file (ss_persist_t *self, const ss_persist_state_t *state, int d, int K);

#endif
