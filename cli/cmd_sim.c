/*  swarmshape sim FLEET --out DIR [--centralized] */

#include <stdio.h>
#include <string.h>
#include "ss_cli.h"
#include "ss_sim.h"

int
ss_cmd_sim (int argc, char **argv)
{
    ss_cli_args_t args;
    int rc = ss_cli_parse ("sim", argc, argv, 1, "FLEET", &args);
    if (rc)
        return rc;
    if (!args.out) {
        fprintf (stderr, "swarmshape sim: missing --out DIR\n");
        return 2;
    }
    ss_fleet_t *fleet = ss_cli_load (&args);
    if (!fleet)
        return 2;
    ss_cli_catch_signals ();
    ss_sim_options_t options = {
        .centralized = args.centralized, .quiet = args.quiet, .stop = &ss_cli_stop
    };
    char err [1024];
    rc = ss_sim_run (fleet, args.out, &options, err, sizeof err);
    if (rc) {
        fprintf (stderr, "swarmshape sim: %s\n", err);
        //  A configuration problem found late (the graph) is still exit 2
        rc = strstr (err, ": fleet/")? 2: 1;
    }
    ss_fleet_destroy (&fleet);
    return rc;
}
