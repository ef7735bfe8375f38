/*  ss_rows: the report rounds the coordinator has open, and when each
    one's trace row is due. Pure (time passed in, microseconds).

    Reports of one round are gathered in a row (slot). Rows are written in
    increasing round order, each at most once. The oldest open row k is due
    when no agent is still expected to report it (ss_members_expected: not
    lost, and no report of k or later yet), or when its deadline passes.
    No deadline runs while an expected agent lives and has not shown round
    k yet (ss_members_behind): slow is not lost (a 500-agent ring on a
    loaded host runs its regions many rounds apart, its last agents start
    seconds after the first ones began their rounds). The deadline is for
    an agent past k whose report of k is missing; it adapts to the fleet's
    pace, max (2 lost_after, 8 x the median time between the first reports
    of successive rows), so that an overloaded host (everyone slow) or a
    fleet waiting for a dead agent until it is declared lost (lost_after)
    never hits it, while an agent whose report was lost holds a row for a
    bounded time. A report of a round whose row is written is late
    (counted). At most `slots` rows are open: a report of a newer round
    then forces the oldest out (written with what it has, counted).
*/
#ifndef SS_ROWS_H
#define SS_ROWS_H

#include <stdbool.h>
#include <stdint.h>
#include "ss_members.h"

typedef struct {
    int64_t round;
    int count;                  //  agents that reported it
    int64_t first;              //  when its first report came (us)
    bool forced;                //  forced out by a newer round
    int64_t held;               //  the last row: when it began waiting for
                                //  lost agents (us), -1
    uint8_t *have;              //  n
    double *x, *theta, *s;      //  n x d, n x K, n x K
    double step;                //  the largest step reported
} ss_row_t;

typedef enum {
    SS_ROWS_ADDED = 0,
    SS_ROWS_LATE,               //  its row is written already
    SS_ROWS_DUPLICATE,          //  this agent reported this round already
    SS_ROWS_FULL                //  every slot holds a newer round: dropped
} ss_rows_add_t;

typedef struct ss_rows_t ss_rows_t;

ss_rows_t *ss_rows_new (int n, int d, int K, int slots, int lost_after_ms);
void ss_rows_destroy (ss_rows_t **self_p);

//  The last round whose row is written (-1: none); set it after writing
//  the round-0 row or resuming a trace
int64_t ss_rows_written (const ss_rows_t *self);
void ss_rows_set_written (ss_rows_t *self, int64_t round);

//  The run's last round (when known): its row, complete but for agents
//  counted lost, waits grace_ms more for them (from when it was otherwise
//  due). An agent whose link to the coordinator stalled (TCP backing off
//  after a burst of loss) lives, and its reports come once the link is
//  back: the fleet, already past the fault, may finish sooner. An agent
//  lingers as long at its end for its last reports to go out.
void ss_rows_set_last (ss_rows_t *self, int64_t round, int grace_ms);

//  Agent i's report of round
ss_rows_add_t ss_rows_add (ss_rows_t *self, int i, int64_t round, const double *x,
                           const double *theta, const double *s, double step,
                           int64_t now);

//  The oldest open row if it is due now (*complete: no agent is still
//  expected; strict: every live agent reported it, for the first row of a
//  trace that restarts, when an agent's report of that round may have
//  gone to the coordinator that died), else NULL with *wake the time its
//  deadline passes (INT64_MAX: no row open)
ss_row_t *ss_rows_due (ss_rows_t *self, const ss_members_t *members, int64_t now,
                       bool strict, int64_t *wake, bool *complete);

//  The row is written (or given up): its slot is free, the pace recorded
//  (written: the round becomes ss_rows_written)
void ss_rows_done (ss_rows_t *self, ss_row_t *row, bool written);

//  Give up every open row older than round (a trace that restarts at a
//  complete round); their count
int ss_rows_drop_before (ss_rows_t *self, int64_t round);

//  The newest open row that every live agent reported, or -1
int64_t ss_rows_newest_complete (ss_rows_t *self, const ss_members_t *members);

int ss_rows_open (const ss_rows_t *self);
//  Is the last row waiting for lost agents (ss_rows_set_last)?
bool ss_rows_holding (const ss_rows_t *self);
//  The deadline now (us after a row's first report)
int64_t ss_rows_deadline (const ss_rows_t *self);
//  Median time between successive rows (us), -1 until measured
int64_t ss_rows_pace (const ss_rows_t *self);

#endif
