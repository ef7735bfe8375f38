/*  ss_plot: the pictures of a run directory, drawn with cairo (ss_canvas)
    from what ss_rundir read back.

    density.png/.svg    2-D: the target q and the fitted macroscopic density
                        p_theta* side by side (theta* solved exactly from
                        the final positions), one colour scale, with the
                        agents' initial and final positions and their paths;
                        1-D: both density curves, the agents on the axis
                        and their paths over the rounds; 3-D: the marginals
                        of both densities on the three coordinate planes,
                        the agents projected.
    convergence.png/.svg  J, disagreement and tracker bias over the rounds
                        on log scales, target switches and lost agents
                        marked.
    frames/frame-NNNNNN.png  with --frames: the density picture of every
                        reported round (fitted to that round's positions,
                        against the target in force then), one colour scale
                        for all, and replay.gif made of them by ffmpeg when
                        ffmpeg is on the PATH.
    The target in force is the fleet's, or after a switch the one
    targets.txt gives for the trace row's target count.
*/
#ifndef SS_PLOT_H
#define SS_PLOT_H

#include <stdbool.h>
#include <stdio.h>
#include "ss_rundir.h"

typedef struct {
    bool frames;            //  also the frames and the animation
    FILE *out;              //  the paths written, one a line (or NULL)
    FILE *log;              //  notes: what is missing, ffmpeg (or NULL)
} ss_plot_options_t;

//  Draw the run's pictures into its directory. 0, or -1 with one line in
//  err (a file that cannot be written, ffmpeg failing).
int ss_plot_run (const ss_rundir_t *run, const ss_plot_options_t *options,
                 char *err, size_t err_size);

#endif
