/*  swarmshape plot RUNDIR [--frames] [--fleet FILE]

    Draws a run directory's pictures (ss_plot.h says which) into it and
    prints the paths written. Exit 2 when the run directory lacks a file
    or holds a bad one (one line naming it), 1 when a picture cannot be
    written or ffmpeg fails.
*/

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "ss_cli.h"
#include "ss_plot.h"
#include "ss_rundir.h"

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: swarmshape plot RUNDIR [--frames] [--fleet FILE]\n"
        "\n"
        "Draws the run's pictures into RUNDIR as PNG and SVG and prints their paths:\n"
        "  density.png/.svg      target and fitted density with the agents and their paths\n"
        "  convergence.png/.svg  J, disagreement and tracker bias over the rounds\n"
        "\n"
        "options:\n"
        "  --frames       also frames/frame-NNNNNN.png, one per reported round, and\n"
        "                 replay.gif when ffmpeg is on the PATH\n"
        "  --fleet FILE   the run's fleet file (default RUNDIR/fleet.zpl)\n");
}

int
ss_cmd_plot (int argc, char **argv)
{
    static struct option options [] = {
        { "frames", no_argument, 0, 'F' },
        { "fleet", required_argument, 0, 'f' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    bool frames = false;
    const char *fleet = NULL;
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        switch (opt) {
            case 'F': frames = true; break;
            case 'f': fleet = optarg; break;
            case 'h': s_usage (stdout); return 0;
            case ':':
                fprintf (stderr, "swarmshape plot: option '%s' needs a value\n",
                         argv [optind - 1]);
                return 2;
            default:
                fprintf (stderr, "swarmshape plot: unknown option '%s' (see --help)\n",
                         argv [optind - 1]);
                return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf (stderr, optind < argc? "swarmshape plot: unexpected argument '%s'\n"
                                      : "swarmshape plot: expected RUNDIR (see --help)%s\n",
                 optind < argc? argv [argc - 1]: "");
        return 2;
    }
    char err [1024];
    ss_rundir_t *run = ss_rundir_new (argv [optind], fleet, frames, err, sizeof err);
    if (!run) {
        fprintf (stderr, "swarmshape plot: %s\n", err);
        return 2;
    }
    ss_plot_options_t plot = { .frames = frames, .out = stdout, .log = stderr };
    int rc = ss_plot_run (run, &plot, err, sizeof err);
    if (rc)
        fprintf (stderr, "swarmshape plot: %s\n", err);
    ss_rundir_destroy (&run);
    return rc? 1: 0;
}
