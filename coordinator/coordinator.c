/*  coordinator: the fleet's monitor, main and wiring. The daemon is
    ss_coord (reactor and handlers); its rules are ss_members, ss_rows and
    ss_targets; see coordinator/README.md and docs/fleet-design.md.

    Exit status: 0 success, 1 runtime failure, 2 usage or configuration
    error (one line).
*/

#include <czmq.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ss_version.h"
#include "ss_fleet.h"
#include "ss_coord.h"

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: coordinator --fleet FILE --out DIR [OPTIONS]\n"
        "\n"
        "Monitors a running fleet: collects the agents' reports, scores them\n"
        "exactly, writes the run's files into DIR, forwards targets and stops\n"
        "the run.\n"
        "\n"
        "options:\n"
        "  --fleet FILE       the fleet file\n"
        "  --out DIR          where to write initial.csv, trace.jsonl,\n"
        "                     positions.csv, summary.json\n"
        "  --set PATH=VALUE   override a fleet-file key (repeatable)\n"
        "  --insecure         no CURVE encryption, no authentication\n"
        "  --fresh            start a new trace even if DIR holds an unfinished run\n"
        "                     of this fleet (default: resume it, see README)\n"
        "  --quiet            no progress lines\n"
        "  --verbose          log every accepted operator message and ZAP\n"
        "  --help, --version\n"
        "\n"
        "exit status: 0 success, 1 runtime failure, 2 usage or configuration error\n");
}

int
main (int argc, char **argv)
{
    static struct option options [] = {
        { "fleet", required_argument, 0, 'F' },
        { "out", required_argument, 0, 'o' },
        { "set", required_argument, 0, 's' },
        { "insecure", no_argument, 0, 'I' },
        { "fresh", no_argument, 0, 'f' },
        { "quiet", no_argument, 0, 'q' },
        { "verbose", no_argument, 0, 'v' },
        { "help", no_argument, 0, 'h' },
        { "version", no_argument, 0, 'V' },
        { 0, 0, 0, 0 }
    };
    const char *fleet_path = NULL;
    const char **sets = calloc ((size_t) argc + 1, sizeof (char *));
    int n_sets = 0;
    ss_coord_options_t opts = { 0 };
    opterr = 0;
    int opt;
    while ((opt = getopt_long (argc, argv, ":F:o:s:Iqvh", options, NULL)) != -1) {
        switch (opt) {
            case 'F': fleet_path = optarg; break;
            case 'o': opts.out = optarg; break;
            case 's': sets [n_sets++] = optarg; break;
            case 'I': opts.insecure = true; break;
            case 'f': opts.fresh = true; break;
            case 'q': opts.quiet = true; break;
            case 'v': opts.verbose = true; break;
            case 'h': s_usage (stdout); free (sets); return 0;
            case 'V': printf ("coordinator %s\n", SS_VERSION); free (sets); return 0;
            case ':':
                fprintf (stderr, "coordinator: option '%s' needs a value\n", argv [optind - 1]);
                free (sets);
                return 2;
            default:
                fprintf (stderr, "coordinator: unknown option '%s' (see --help)\n",
                         argv [optind - 1]);
                free (sets);
                return 2;
        }
    }
    if (optind < argc || !fleet_path || !opts.out) {
        if (optind < argc)
            fprintf (stderr, "coordinator: unexpected argument '%s'\n", argv [optind]);
        else
            fprintf (stderr, "coordinator: missing %s (see --help)\n",
                     fleet_path? "--out DIR": "--fleet FILE");
        free (sets);
        return 2;
    }
    char err [16384] = "";
    ss_fleet_t *fleet = ss_fleet_load (fleet_path, sets, n_sets, err, sizeof err);
    free (sets);
    if (!fleet) {
        fprintf (stderr, "coordinator: %s\n", err);
        return 2;
    }
    //  Our own signal handling: CZMQ's would make sockets fail with EINTR
    zsys_handler_set (NULL);
    ss_coord_catch_signals ();
    int rc;
    ss_coord_t *coord = ss_coord_new (fleet, &opts, &rc);
    if (coord) {
        rc = ss_coord_run (coord);
        ss_coord_destroy (&coord);
    }
    return rc;
}
