/*  ss_sim: the whole fleet in one process. Every agent runs ss_round_step,
    the function agentd runs; message passing is replaced by reading the
    neighbours' previous-round values. With `centralized` the reference
    runs instead: the lower level solved exactly every round, every agent
    stepping with theta*.
*/
#ifndef SS_SIM_H
#define SS_SIM_H

#include <signal.h>
#include <stdbool.h>
#include "ss_fleet.h"
#include "ss_expfam.h"
#include "ss_round.h"
#include "ss_runlog.h"
#include "ss_score.h"

typedef struct ss_sim_t ss_sim_t;

//  Exact measures of the fleet's current state (core/ss_score.h)
typedef ss_score_t ss_sim_score_t;

//  A sim of the fleet at round 0; NULL and a line in err on failure
ss_sim_t *ss_sim_new (const ss_fleet_t *fleet, bool centralized, char *err,
                      size_t err_size);
void ss_sim_destroy (ss_sim_t **self_p);

//  One round for every agent; returns the largest motion
double ss_sim_step (ss_sim_t *self);
//  Score the current positions exactly (lower level to 1e-10)
void ss_sim_score (ss_sim_t *self, ss_sim_score_t *score);

int64_t ss_sim_round (ss_sim_t *self);
//  Agent i's state (x, theta, s of the current round)
const ss_agent_t *ss_sim_agent (ss_sim_t *self, int i);
//  Current positions, N x d
const double *ss_sim_positions (ss_sim_t *self);
const ss_problem_t *ss_sim_problem (ss_sim_t *self);

typedef struct {
    bool centralized;
    bool quiet;                     //  no progress lines
    volatile sig_atomic_t *stop;    //  set from a signal handler: finish
} ss_sim_options_t;

//  Run the fleet's rounds and write the run's files into out_dir.
//  0 on success, -1 with a line in err.
int ss_sim_run (const ss_fleet_t *fleet, const char *out_dir,
                const ss_sim_options_t *options, char *err, size_t err_size);

#endif
