/*  ss_runlog: a run's files, the same for sim and launch (contract.md):
    initial.csv and positions.csv (header id,x1[,x2[,x3]], %.17g),
    trace.jsonl (one object per reported round) and summary.json.
    Files other than the trace are written atomically (ss_file: a
    temporary, fsync, rename, fsync of the directory), so a reader never
    sees half a file.
*/
#ifndef SS_RUNLOG_H
#define SS_RUNLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ss_file.h"       //  ss_mkdirs, ss_file_write_atomic

typedef struct {
    int64_t round;
    int agents;             //  live agents
    double J, kl;           //  exact, from the true positions
    double disagreement;    //  max_i |theta_i - mean theta|_inf
    double step;            //  largest motion of the round
    double grad;            //  max_i N |projected grad_{x_i} J|
    double bias;            //  |mean_i s_i - sigma(x)|_inf
    double seconds;         //  since the run started
    uint64_t target;        //  how many targets were switched to so far
    const int *lost;        //  ids of agents declared lost (may be NULL)
    int n_lost;
} ss_trace_row_t;

typedef struct {
    const char *mode;       //  "sim", "centralized", "launch"
    const char *fleet;      //  fleet name
    int64_t rounds;
    int agents;
    double J0, J, kl0, kl, grad0, grad, disagreement, bias;
    double seconds;
    double rounds_per_second;
    const int *lost;
    int n_lost;
    int64_t missed_reports; //  report rounds the coordinator never received
    int64_t late_reports;   //  reports that came after their round's row
} ss_summary_t;

typedef struct ss_runlog_t ss_runlog_t;

//  Create the directory (and parents) and open trace.jsonl for writing
//  (append when resume is true: a partial last line, left by a writer
//  that was killed mid-row, is cut off first, so every line stays one
//  whole JSON object). NULL and a line in err on failure.
ss_runlog_t *ss_runlog_new (const char *dir, bool resume, char *err, size_t err_size);
void ss_runlog_destroy (ss_runlog_t **self_p);

//  Write NAME (e.g. "initial.csv") in the run directory: n rows of dim
//  coordinates. 0 or -1.
int ss_runlog_positions (ss_runlog_t *self, const char *name, const double *x,
                         int n, int dim);
//  Append one line to trace.jsonl and flush it. 0 or -1.
int ss_runlog_trace (ss_runlog_t *self, const ss_trace_row_t *row);
//  Write NAME in the run directory with the given text (atomically, like
//  every file but the trace). 0 or -1.
int ss_runlog_text (ss_runlog_t *self, const char *name, const char *text);
//  Write summary.json. 0 or -1.
int ss_runlog_summary (ss_runlog_t *self, const ss_summary_t *summary);
//  The run directory
const char *ss_runlog_dir (ss_runlog_t *self);

#endif
