/*  inspect: measure a fleet's state from its agents' checkpoints.

    inspect FLEET STATE_DIR [--set PATH=VALUE]... [--skip I,J,...]
            [--compare STATE_DIR2]

    Loads <STATE_DIR>/agent-<i>.ckpt of every agent not skipped (the live
    ones), checks each against the fleet (ss_checkpoint_check), and prints
    one JSON line scored exactly as sim scores (ss_score_state):
    {"agents":n,"round_min":..,"round_max":..,"epoch_min":..,"epoch_max":..,
     "J":..,"disagreement":..,"bias":..[,"maxdiff":..]}
    bias = |mean_live s_i - mean_live psi(x_i)|_inf, disagreement =
    max_i |theta_i - mean theta|_inf. With --compare, maxdiff is the largest
    |x_i - x_i'| against the same agents' checkpoints in STATE_DIR2.
    Exit 0, 1 (a checkpoint missing or bad), 2 (usage).
*/

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ss_fleet.h"
#include "ss_checkpoint.h"
#include "ss_expfam.h"
#include "ss_sim.h"

#define MAX_SETS 64

static int
s_load (const ss_fleet_t *fleet, uint64_t id, int K, const char *dir, int i,
        ss_checkpoint_t *cp)
{
    char path [PATH_MAX + 64];
    snprintf (path, sizeof path, "%s/agent-%d.ckpt", dir, i);
    int rc = ss_checkpoint_read (path, cp);
    if (rc == 0)
        rc = ss_checkpoint_check (cp, id, (uint32_t) i, (uint32_t) fleet->model.dim,
                                  (uint32_t) K, fleet->model.lo, fleet->model.hi);
    if (rc)
        fprintf (stderr, "inspect: %s: %s\n", path, ss_checkpoint_strerror (rc));
    return rc;
}

int
main (int argc, char **argv)
{
    if (argc < 3) {
        fprintf (stderr, "usage: inspect FLEET STATE_DIR [--set PATH=VALUE]... "
                         "[--skip I,J,...] [--compare STATE_DIR2]\n");
        return 2;
    }
    const char *sets [MAX_SETS];
    int n_sets = 0;
    const char *skip = "", *compare = NULL;
    for (int a = 3; a < argc; a++) {
        if (!strcmp (argv [a], "--set") && a + 1 < argc && n_sets < MAX_SETS)
            sets [n_sets++] = argv [++a];
        else
        if (!strcmp (argv [a], "--skip") && a + 1 < argc)
            skip = argv [++a];
        else
        if (!strcmp (argv [a], "--compare") && a + 1 < argc)
            compare = argv [++a];
        else {
            fprintf (stderr, "inspect: bad argument '%s'\n", argv [a]);
            return 2;
        }
    }
    char err [1024];
    ss_fleet_t *fleet = ss_fleet_load (argv [1], sets, n_sets, err, sizeof err);
    if (!fleet) {
        fprintf (stderr, "inspect: %s\n", err);
        return 2;
    }
    ss_problem_t *P = ss_problem_new (&fleet->model, &fleet->target);
    int N = fleet->count, d = fleet->model.dim, K = P->K;
    uint64_t id = ss_fleet_id (fleet);
    bool *skipped = calloc ((size_t) N, sizeof (bool));
    for (const char *p = skip; *p; ) {
        char *end;
        long i = strtol (p, &end, 10);
        if (end == p)
            break;
        if (i >= 0 && i < N)
            skipped [i] = true;
        p = *end == ','? end + 1: end;
    }
    double *x = calloc ((size_t) N * d, sizeof (double));
    double *x0 = calloc ((size_t) N * d, sizeof (double));
    double *theta = calloc ((size_t) N * K, sizeof (double));
    double *s = calloc ((size_t) N * K, sizeof (double));
    double *grad = calloc ((size_t) N * d, sizeof (double));
    double warm [SS_MAX_K] = { 0 };
    int n = 0, rc = 0;
    int64_t round_min = INT64_MAX, round_max = -1;
    uint64_t epoch_min = UINT64_MAX, epoch_max = 0;
    double maxdiff = 0;
    ss_checkpoint_t cp, other;
    for (int i = 0; i < N && rc == 0; i++) {
        if (skipped [i])
            continue;
        if (s_load (fleet, id, K, argv [2], i, &cp)) {
            rc = 1;
            break;
        }
        if (compare) {
            if (s_load (fleet, id, K, compare, i, &other)) {
                rc = 1;
                break;
            }
            for (int a = 0; a < d; a++)
                if (fabs (cp.x [a] - other.x [a]) > maxdiff)
                    maxdiff = fabs (cp.x [a] - other.x [a]);
        }
        memcpy (x + (size_t) n * d, cp.x, (size_t) d * sizeof (double));
        memcpy (x0 + (size_t) n * d, cp.x0, (size_t) d * sizeof (double));
        memcpy (theta + (size_t) n * K, cp.theta, (size_t) K * sizeof (double));
        memcpy (s + (size_t) n * K, cp.s, (size_t) K * sizeof (double));
        if (cp.round < round_min) round_min = cp.round;
        if (cp.round > round_max) round_max = cp.round;
        if (cp.epoch < epoch_min) epoch_min = cp.epoch;
        if (cp.epoch > epoch_max) epoch_max = cp.epoch;
        n++;
    }
    if (rc == 0 && n > 0) {
        ss_work_t *w = ss_work_new (P);
        ss_sim_score_t score;
        ss_score_state (P, n, x, x0, theta, s, (size_t) K, warm, grad, w, &score);
        printf ("{\"agents\":%d,\"round_min\":%lld,\"round_max\":%lld,"
                "\"epoch_min\":%llu,\"epoch_max\":%llu,\"J\":%.17g,"
                "\"disagreement\":%.6e,\"bias\":%.6e",
                n, (long long) round_min, (long long) round_max,
                (unsigned long long) epoch_min, (unsigned long long) epoch_max,
                score.J, score.disagreement, score.bias);
        if (compare)
            printf (",\"maxdiff\":%.6e", maxdiff);
        printf ("}\n");
        ss_work_destroy (&w);
    }
    else
    if (rc == 0) {
        fprintf (stderr, "inspect: no agent left\n");
        rc = 1;
    }
    free (x); free (x0); free (theta); free (s); free (grad); free (skipped);
    ss_problem_destroy (&P);
    ss_fleet_destroy (&fleet);
    return rc;
}
