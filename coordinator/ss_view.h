/*  ss_view: what the coordinator's live page and /metrics show, as a
    snapshot that the reactor updates and the HTTP thread reads.

    The reactor calls ss_view_row after every trace row (the row's round,
    scores, positions, the target in force) and ss_view_run after a row
    and on its liveness timer (what it knows of each agent, the drops by
    reason, late and missed reports). The HTTP thread renders the
    snapshot as Prometheus text (ss_view_metrics) or as the JSON the page
    draws (ss_view_json). One mutex guards the snapshot; updates copy
    plain numbers in, a render copies the snapshot out (a few memcpy's)
    and formats the copy without the lock, so the reactor never waits on a
    render or a slow client (bench_view: the lock is held microseconds
    where a render of 500 agents takes milliseconds).

    What it keeps:
    - the last row: round, J, kl, disagreement, bias, grad, step, the
      run's clock, the agents scored and their positions (ids and x);
    - the trace so far: round, J, disagreement, bias and targets in force
      of every row, at most SS_VIEW_TRACE points: when full, every other
      point is dropped and then only every 2nd (4th, ...) row is kept, so
      that the points stay evenly spread over the run; the newest row is
      always the last point;
    - rounds per second: over the rows of the last SS_VIEW_RATE_S seconds
      (falls towards 0 when the rows stop);
    - the target density on the quadrature grid (nq values in 1-D, nq x nq
      in 2-D, the (x1, x2) marginal in 3-D; first coordinate fastest),
      rebuilt when the count of targets in force changes;
    - per agent: live or lost, the highest round it reported, its lag
      behind the fleet's highest round, epoch, drops and substitutions (as
      its last report counted them), state, silence.

    Pure (clocks passed in: now in seconds of the monotonic clock, member
    times in microseconds as ss_members keeps them), so test_view checks
    the rendering without sockets.
*/
#ifndef SS_VIEW_H
#define SS_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include "ss_expfam.h"
#include "ss_members.h"
#include "ss_score.h"

#define SS_VIEW_TRACE   2048    //  trace points kept
#define SS_VIEW_RATE_S  10.0    //  s: window of the rounds-per-second rate

typedef struct ss_view_t ss_view_t;

//  A trace row as the coordinator wrote it
typedef struct {
    int64_t round;
    int agents;                 //  agents scored
    const int *ids;             //  their ids (NULL: 0 .. agents - 1)
    const double *x;            //  their positions, agents x d
    ss_score_t score;
    double step;
    double seconds;             //  the run's clock (trace.jsonl "seconds")
    int target;                 //  targets in force at the row
} ss_view_row_t;

//  What the coordinator knows of the run besides its rows
typedef struct {
    int64_t highest;            //  highest round corroborated (-1: none)
    int64_t final_round;        //  -1: until stopped
    int64_t missed, late;       //  report rounds without a row, late reports
    int targets;                //  targets announced
    const uint64_t *drops;      //  the coordinator's drops by reason (n_reasons)
} ss_view_run_t;

//  A view of fleet `name` (copied): n agents of the model, rounds (0: until
//  stopped); drop reasons named by reasons (n_reasons, not copied: static
//  text). NULL if out of memory.
ss_view_t *ss_view_new (const char *name, const ss_model_t *model, int n, int64_t rounds,
                        const char *const *reasons, int n_reasons);
void ss_view_destroy (ss_view_t **self_p);

//  A row was written at now; problem: the scoring problem, its target q
//  the one in force at the row
void ss_view_row (ss_view_t *self, const ss_view_row_t *row, const ss_problem_t *problem,
                  double now);
//  What the coordinator knows now of the agents (members) and the run;
//  now_us: the members' clock
void ss_view_run (ss_view_t *self, ss_members_t *members, const ss_view_run_t *run,
                  int64_t now_us);

//  Rounds per second at now (0 until two rows)
double ss_view_rate (ss_view_t *self, double now);
//  The last row's round (-1: none yet)
int64_t ss_view_round (ss_view_t *self);

//  /metrics: the Prometheus text exposition format (HELP and TYPE lines,
//  one sample per line). /state.json: one JSON object (README.md "The live page"
//  lists its fields). Both malloc'd (the caller frees), NULL if out of
//  memory.
char *ss_view_metrics (ss_view_t *self, double now);
char *ss_view_json (ss_view_t *self, double now);

#endif
