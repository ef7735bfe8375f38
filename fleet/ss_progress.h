/*  ss_progress: how a run shows its progress on stderr, the same for sim,
    launch, experiment and the coordinator.

    On a terminal: one line kept updated in place (carriage return and
    erase-line), redrawn at most ten times a second: round/rounds, J,
    disagreement, live agents, rounds/s, time left, and the deaths and
    restarts a supervisor counted. Messages (ss_progress_note) are printed
    above it without garbling it. When the stream is not a terminal: the
    periodic lines the tools always printed ("LABEL: round k/R  J ...  kl
    ...  disagreement ...  grad ...  step ..."), one every `period` rounds
    and one for the last round.

    Pure formatting (ss_progress_format) is separate from the drawing, so
    the live line can be tested without a terminal.
*/
#ifndef SS_PROGRESS_H
#define SS_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    SS_PROGRESS_AUTO,       //  LIVE on a terminal, LINES otherwise
    SS_PROGRESS_LIVE,       //  one line updated in place
    SS_PROGRESS_LINES,      //  periodic lines
    SS_PROGRESS_QUIET       //  nothing (notes still printed)
} ss_progress_mode_t;

typedef struct {
    int64_t round;          //  last complete round (-1: none yet)
    double J, kl, disagreement, grad, step;
    int live;               //  live agents (< 0: not shown)
    int agents;             //  agents of the fleet (0: not shown)
    int deaths, restarts;   //  from a supervisor (< 0: not shown)
} ss_progress_sample_t;

typedef struct ss_progress_t ss_progress_t;

//  A progress display on out (stderr normally). label starts every line
//  ("sim", "coordinator", "launch"); rounds is the run's length (0: until
//  stopped); period is the round step of the periodic lines (>= 1).
ss_progress_t *ss_progress_new (FILE *out, const char *label, int64_t rounds,
                                int64_t period, ss_progress_mode_t mode);
//  Ends the live line (a newline) if one is drawn
void ss_progress_destroy (ss_progress_t **self_p);

//  A new sample; last: the final one (always printed, the live line is
//  then ended). now: monotonic seconds.
void ss_progress_update (ss_progress_t *self, const ss_progress_sample_t *sample,
                         bool last, double now);
//  One message line ("LABEL: text" is the caller's text as given)
void ss_progress_note (ss_progress_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  The mode in use (AUTO resolved)
ss_progress_mode_t ss_progress_mode (ss_progress_t *self);

//  The live line for sample at time now into buf (no control characters,
//  cut to width when width > 0). Rates come from the samples seen so far.
void ss_progress_format (ss_progress_t *self, const ss_progress_sample_t *sample,
                         double now, char *buf, size_t size, int width);
//  The periodic line for sample into buf
void ss_progress_format_line (ss_progress_t *self, const ss_progress_sample_t *sample,
                              char *buf, size_t size);

//  Monotonic seconds
double ss_progress_now (void);

#endif
