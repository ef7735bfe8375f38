/*  swarmshape launch FLEET --out DIR [--insecure] [--host NAME] [--quiet]
    [--verbose] [--restart no|on-failure|always] [--restart-sec S]
    [--start-limit BURST/SECONDS]: the fleet on this host, supervised.

    Starts the coordinator (which writes the run's files into DIR) and one
    agentd per agent whose host is this machine (127.0.0.1, localhost,
    ::1, the hostname, or --host), each under ss_supervisor (ss_fleetrun).
    A dead agent is reported and the others go on; with --restart
    on-failure (the default) or always it is started again after
    --restart-sec [1] and resumes from its checkpoint in DIR/state, up to
    the start limit [5/10: five starts in ten seconds]. A dead coordinator
    is restarted the same way (it resumes its trace). launch exits 0 when
    the run completed, whatever it survived; summary.json's "supervision"
    object (also DIR/supervision.json) says what: deaths, restarts, lost
    agents, the rounds each was down.

    Progress: on a terminal launch draws one line kept up to date from the
    growing trace (the coordinator's stderr then goes to
    DIR/logs/coordinator.log); otherwise the coordinator's periodic lines
    pass through. Agents' stderr goes to DIR/logs/agent-<i>.log unless
    --verbose. On SIGINT or SIGTERM every child gets SIGTERM, those alive
    after 3 s SIGKILL, and all are reaped before launch exits (1).
*/

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "ss_cli.h"
#include "ss_fleetrun.h"
#include "ss_keys.h"

int
ss_cmd_launch (int argc, char **argv)
{
    ss_restart_t restart;
    ss_restart_defaults (&restart);
    int rc = ss_restart_take_options ("launch", &argc, argv, &restart);
    if (rc)
        return rc;
    ss_cli_args_t args;
    rc = ss_cli_parse ("launch", argc, argv, 1, "FLEET", &args);
    if (rc)
        return rc;
    if (!args.out) {
        fprintf (stderr, "swarmshape launch: missing --out DIR\n");
        return 2;
    }
    ss_fleet_t *fleet = ss_cli_load_ports (&args);
    if (!fleet)
        return 2;
    char err [8192];
    if (!args.insecure && !fleet->curve) {
        fprintf (stderr, "swarmshape launch: %s: security/curve: 0 needs --insecure\n",
                 fleet->path);
        ss_fleet_destroy (&fleet);
        return 2;
    }
    if (!args.insecure) {
        int written = ss_keys_generate (fleet, false, err, sizeof err);
        if (written < 0) {
            fprintf (stderr, "swarmshape launch: %s\n", err);
            ss_fleet_destroy (&fleet);
            return 1;
        }
        if (written > 0 && !args.quiet)
            fprintf (stderr, "swarmshape launch: wrote %d certificates into %s\n",
                     written, fleet->keys);
    }
    ss_cli_catch_signals ();
    signal (SIGPIPE, SIG_IGN);
    //  On a terminal launch draws the line itself; otherwise the
    //  coordinator's own periodic lines pass through
    bool live = !args.quiet && isatty (STDERR_FILENO);
    ss_fleetrun_options_t options = {
        .fleet_path = args.positional [0], .sets = args.sets, .n_sets = args.n_sets,
        .insecure = args.insecure, .quiet = args.quiet, .verbose = args.verbose,
        .out = args.out, .host = args.host, .agents = restart, .coordinator = restart,
        .coordinator_log = live,
        .progress = live? SS_PROGRESS_LIVE: SS_PROGRESS_QUIET,
        .label = "launch", .stop = &ss_cli_stop
    };
    ss_fleetrun_t *run = ss_fleetrun_new (fleet, &options, err, sizeof err);
    if (!run || ss_fleetrun_start (run, err, sizeof err)) {
        fprintf (stderr, "swarmshape launch: %s\n", err);
        ss_fleetrun_destroy (&run);
        ss_fleet_destroy (&fleet);
        return 1;
    }
    int here = ss_fleetrun_local_agents (run);
    if (!args.quiet)
        ss_fleetrun_note (run, "coordinator and %d of %d agents started on this host (%s, "
                          "--restart %s); agents' logs %s%s%s, checkpoints in %s/state",
                          here, fleet->count, args.insecure? "insecure": "CURVE",
                          ss_restart_policy_name (restart.policy),
                          args.verbose? "on stderr": "in ", args.verbose? "": args.out,
                          args.verbose? "": "/logs", args.out);
    if (live && *fleet->http && !args.quiet)     //  the coordinator's own line is in its log
        ss_fleetrun_note (run, "the coordinator's live page and /metrics: coordinator/http = "
                          "%s (read-only; %s/logs/coordinator.log has its address)",
                          fleet->http, args.out);
    if (here == 0)
        ss_fleetrun_note (run, "warning: no agent of %s runs on this host", fleet->path);
    while (ss_fleetrun_step (run, 20))
        ;
    rc = ss_fleetrun_finish (run);
    if (ss_cli_stop)
        fprintf (stderr, "swarmshape launch: interrupted; files in %s\n", args.out);
    else
    if (rc == 0 && !args.quiet) {
        int deaths = ss_fleetrun_deaths (run), restarts = ss_fleetrun_restarts (run);
        if (deaths)
            fprintf (stderr, "swarmshape launch: done, surviving %d death%s and %d "
                             "restart%s (summary.json \"supervision\"); files in %s\n",
                     deaths, deaths == 1? "": "s", restarts, restarts == 1? "": "s",
                     args.out);
        else
            fprintf (stderr, "swarmshape launch: done; files in %s\n", args.out);
    }
    ss_fleetrun_destroy (&run);
    ss_fleet_destroy (&fleet);
    return rc;
}
