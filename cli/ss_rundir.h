/*  ss_rundir: a run directory read back for `swarmshape plot`.

    A run directory (contract.md, "A run's files") holds:
      fleet.zpl       the fleet as loaded (or --fleet FILE instead)
      initial.csv     id,x1[,x2[,x3]]: the agents' initial positions
      positions.csv   the same columns: their final positions
      trace.jsonl     one JSON object per reported round: round, agents, J,
                      kl, disagreement, step, grad, bias, seconds, target
                      (targets switched to so far), lost (ids)
      frames.csv      round,id,x1[,x2[,x3]]: every agent at every reported
                      round (optional for the pictures, required for
                      --frames)
      targets.txt     optional: one line per target switched to during a
                      launched run, "switch_round count" and then count
                      times "weight mean_1 .. mean_d std", then "cells"
                      and, for an image target, its levels as 2 hex
                      digits each (first coordinate fastest; count may be
                      0 then); a line that ends after the components is a
                      mixture (an older coordinator)
    Every file is untrusted: a missing file, a bad header, a field that is
    not a finite number, an id out of range or a dimension that differs
    from the fleet's fails with one line "FILE: line N: what is wrong".

    What is read is sorted by round (a resumed writer may repeat a round:
    the last row of a round, or of an agent in a round, wins).
*/
#ifndef SS_RUNDIR_H
#define SS_RUNDIR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ss_fleet.h"

//  Positions of the agents present at one round, sorted by id
typedef struct {
    int64_t round;
    int n;
    int *ids;               //  n
    double *x;              //  n x d
} ss_rundir_frame_t;

//  One trace row; a number missing or null in the file is NaN
typedef struct {
    int64_t round;
    int agents;
    double J, kl, disagreement, step, grad, bias, seconds;
    int64_t target;         //  targets switched to so far (0: the fleet's)
    int n_lost;
    int *lost;              //  ids of agents declared lost, sorted
} ss_rundir_row_t;

typedef struct {
    int64_t switch_round;
    ss_mixture_t mixture;
} ss_rundir_target_t;

typedef struct {
    char dir [PATH_MAX];
    ss_fleet_t *fleet;
    int d;                  //  fleet->model.dim
    ss_rundir_frame_t initial, final;
    int n_rows;
    ss_rundir_row_t *rows;
    int n_frames;           //  0 when frames.csv is absent
    ss_rundir_frame_t *frames;
    int n_targets;          //  0 when targets.txt is absent
    ss_rundir_target_t *targets;
} ss_rundir_t;

//  Read the run directory dir; the fleet from fleet_path, or dir/fleet.zpl
//  when NULL. With need_frames, a missing frames.csv is an error. NULL and
//  one line in err on failure.
ss_rundir_t *ss_rundir_new (const char *dir, const char *fleet_path,
                            bool need_frames, char *err, size_t err_size);
void ss_rundir_destroy (ss_rundir_t **self_p);

//  The target in force after `count` switches: targets.txt's entry, or the
//  fleet's own target for count 0 or when targets.txt lacks it
const ss_mixture_t *ss_rundir_target (const ss_rundir_t *self, int64_t count);

//  The frame of a round, or NULL
const ss_rundir_frame_t *ss_rundir_frame (const ss_rundir_t *self, int64_t round);

#endif
