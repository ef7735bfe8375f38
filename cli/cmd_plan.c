/*  swarmshape plan: arrives with the deployment issue. */

#include <stdio.h>
#include "ss_cli.h"

int
ss_cmd_plan (int argc, char **argv)
{
    (void) argc;
    (void) argv;
    fprintf (stderr, "swarmshape plan: not available in this build\n");
    return 2;
}
