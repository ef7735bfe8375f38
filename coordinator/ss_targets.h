/*  ss_targets: the targets announced during a run, in switch order.

    The coordinator announces a target at switch_round = (highest round
    reported) + margin, margin = max (50, 5 report_every), later if the
    operator asked for later, and always after the previous switch: every
    agent then switches at that same round. Agents switch just before
    computing round switch_round, so state switch_round + 1 is the first
    under the new target: a trace row of round k is scored against the
    targets with switch_round < k.

    targets.txt in the run directory keeps them for a restarted
    coordinator, one line each: "switch_round count (weight mean... std)...
    cells [hex levels]" (cells 0 and no hex for a mixture; a line without
    the cells field, written by an older coordinator, is a mixture).
*/
#ifndef SS_TARGETS_H
#define SS_TARGETS_H

#include <stdint.h>
#include "ss_model.h"

#define SS_TARGETS_MAX 64

typedef struct {
    uint64_t switch_round;
    ss_mixture_t mixture;
} ss_target_entry_t;

typedef struct ss_targets_t ss_targets_t;

ss_targets_t *ss_targets_new (const ss_model_t *model);
void ss_targets_destroy (ss_targets_t **self_p);

int ss_targets_count (const ss_targets_t *self);
const ss_target_entry_t *ss_targets_get (const ss_targets_t *self, int index);

//  Announce mixture: its switch round (see above), or -1 with *why when
//  it is refused (the model refuses it, or SS_TARGETS_MAX are announced)
int64_t ss_targets_announce (ss_targets_t *self, const ss_mixture_t *mixture,
                             uint64_t requested, int64_t highest, int64_t margin,
                             const char **why);

//  How many targets are in force at report round k (switch_round < k)
int ss_targets_in_force (const ss_targets_t *self, int64_t k);

//  targets.txt as text (the caller frees it), or NULL
char *ss_targets_text (const ss_targets_t *self, int dim);
//  Read targets.txt (path); the targets the model accepts, in order. Its
//  count, or -1 if the file cannot be read.
int ss_targets_load (ss_targets_t *self, const char *path, int dim);

#endif
