/*  ss_members: what the coordinator knows of each agent: when it was last
    heard, whether it is lost, the highest round it reported, its last
    known position and epoch, and its counters. Pure (time passed in, in
    microseconds), so the rules are unit-tested without sockets.

    Any REPORT or HEARTBEAT of agent i is a sign of life. An agent silent
    for lost_after_ms is lost, and heard again re-admitted. An agent never
    heard is waited for start_timeout_ms from the coordinator's start (a
    500-process start takes seconds), then counted lost. An agent that
    reported the run's last round is done: never lost after it.
*/
#ifndef SS_MEMBERS_H
#define SS_MEMBERS_H

#include <stdbool.h>
#include <stdint.h>
#include "ss_counters.h"

typedef struct {
    int64_t heard;              //  last sign of life (us), -1 never
    bool lost;
    int64_t hi;                 //  highest round reported, -1 none
    int64_t shown;              //  highest round it said it is at (heartbeat
                                //  or report), -1 none
    uint64_t epoch;             //  its epoch, last said
    int64_t pos_round;          //  round of pos, -1: still x0
    uint32_t state;             //  its heartbeat state (ss_state_t)
    int64_t target_resent;      //  when the latest target was sent it alone (us)
    uint64_t counters [SS_CTR_COUNT];   //  of its newest report
} ss_member_t;

typedef struct ss_members_t ss_members_t;

//  n agents of dimension d, initial positions x0 (n x d, copied)
ss_members_t *ss_members_new (int n, int d, const double *x0, int lost_after_ms,
                              int start_timeout_ms, int64_t now);
void ss_members_destroy (ss_members_t **self_p);

int ss_members_size (const ss_members_t *self);
ss_member_t *ss_members_get (ss_members_t *self, int i);
//  Every agent's last known position (n x d)
const double *ss_members_positions (const ss_members_t *self);

//  A sign of life of agent i at now, of round `round` and epoch; true if
//  it was lost (re-admitted)
bool ss_members_heard (ss_members_t *self, int i, int64_t now, int64_t round,
                       uint64_t epoch);
//  Agent i reported round (with position x, counters): keeps the newest
void ss_members_report (ss_members_t *self, int i, int64_t round, const double *x,
                        const uint64_t *counters, int n_counters);

//  The run's last round (-1: not known): an agent that reported it is
//  done, and never declared lost for the silence that follows
void ss_members_set_final (ss_members_t *self, int64_t round);
//  Declare lost who is silent; newly lost ids into lost (up to n, their
//  count returned)
int ss_members_check (ss_members_t *self, int64_t now, int *lost, int n);
//  When the next agent may go lost (us), for a timer; INT64_MAX none
int64_t ss_members_next_check (const ss_members_t *self);

int ss_members_live (const ss_members_t *self);
//  Ids of the lost agents into ids (n entries), their count
int ss_members_lost_ids (const ss_members_t *self, int *ids);
//  Is agent i still expected to report round k: not lost, and no report
//  of k or later yet (each agent sends in order on one connection)
bool ss_members_expected (const ss_members_t *self, int i, int64_t k);
//  Is agent i expected and not at round k yet: it lives and has not
//  shown round k (slow, not lost: its report of k is still to come)
bool ss_members_behind (const ss_members_t *self, int i, int64_t k);

#endif
