/*  agentd: one agent of a swarmshape fleet, as a daemon: main and wiring.

    agentd --fleet FILE --id I [--keys DIR] [--state-dir DIR]
           [--set PATH=VALUE]... [--insecure] [--verbose] [--quiet]

    The agent itself is ss_agentd (reactor and handlers), its sockets
    ss_links, its files ss_persist, its rules core/ss_peers; the design is
    docs/fleet-design.md.

    Exit codes: 0 done (rounds run, STOP, or SIGTERM/SIGINT), 1 runtime
    failure, 2 usage or configuration error (one line on stderr).
*/

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <czmq.h>
#include "ss_version.h"
#include "ss_fleet.h"
#include "ss_agentd.h"

#define AGENTD_MAX_SETS 256

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: agentd --fleet FILE --id I [options]\n"
        "Run agent I of a swarmshape fleet (one process per agent).\n"
        "  --fleet FILE        the fleet file (ZPL)\n"
        "  --id I              this agent's id, 0..count-1\n"
        "  --keys DIR          certificate directory [fleet security/keys]\n"
        "  --state-dir DIR     where agent-I.ckpt and agent-I.state are written\n"
        "                      [fleet security/state]\n"
        "  --set PATH=VALUE    override a fleet key (repeatable)\n"
        "  --insecure          no CURVE encryption, no authentication\n"
        "  --verbose           debug logs\n"
        "  --quiet             warnings and errors only\n"
        "  --help, --version\n"
        "Exit: 0 done, 1 runtime failure, 2 usage or configuration error.\n");
}

int
main (int argc, char **argv)
{
    const char *fleet_path = NULL, *keys = NULL, *state_dir = NULL, *id_text = NULL;
    const char *sets [AGENTD_MAX_SETS];
    int n_sets = 0;
    ss_agentd_options_t options = { 0 };
    static const struct option longopts [] = {
        { "fleet", required_argument, 0, 'f' },
        { "id", required_argument, 0, 'i' },
        { "keys", required_argument, 0, 'k' },
        { "state-dir", required_argument, 0, 'S' },
        { "set", required_argument, 0, 's' },
        { "insecure", no_argument, 0, 'I' },
        { "verbose", no_argument, 0, 'v' },
        { "quiet", no_argument, 0, 'q' },
        { "help", no_argument, 0, 'h' },
        { "version", no_argument, 0, 'V' },
        { 0, 0, 0, 0 }
    };
    opterr = 0;
    int opt;
    while ((opt = getopt_long (argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
            case 'f': fleet_path = optarg; break;
            case 'i': id_text = optarg; break;
            case 'k': keys = optarg; break;
            case 'S': state_dir = optarg; break;
            case 's':
                if (n_sets == AGENTD_MAX_SETS) {
                    fprintf (stderr, "agentd: too many --set (at most %d)\n", AGENTD_MAX_SETS);
                    return 2;
                }
                sets [n_sets++] = optarg;
                break;
            case 'I': options.insecure = true; break;
            case 'v': options.verbose = true; break;
            case 'q': options.quiet = true; break;
            case 'h': s_usage (stdout); return 0;
            case 'V': printf ("agentd %s\n", SS_VERSION); return 0;
            default:
                if (optopt)
                    fprintf (stderr, "agentd: option -%c: unknown or missing its value "
                                     "(see agentd --help)\n", optopt);
                else
                    fprintf (stderr, "agentd: %s: unknown option or missing value "
                                     "(see agentd --help)\n", argv [optind - 1]);
                return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "agentd: unexpected argument '%s' (see agentd --help)\n", argv [optind]);
        return 2;
    }
    if (!fleet_path || !id_text) {
        fprintf (stderr, "agentd: --fleet FILE and --id I are required (see agentd --help)\n");
        return 2;
    }
    char *end = NULL;
    errno = 0;
    long id = strtol (id_text, &end, 10);
    if (errno || !*id_text || *end || id < 0 || id >= SS_FLEET_MAX_AGENTS) {
        fprintf (stderr, "agentd: --id %s: not an agent id (0..count-1)\n", id_text);
        return 2;
    }
    char err [1024];
    ss_fleet_t *fleet = ss_fleet_load (fleet_path, sets, n_sets, err, sizeof (err));
    if (!fleet) {
        fprintf (stderr, "agentd: %s\n", err);
        return 2;
    }
    if (id >= fleet->count) {
        fprintf (stderr, "agentd: --id %ld: no such agent in %s (agents/count = %d)\n",
                 id, fleet_path, fleet->count);
        ss_fleet_destroy (&fleet);
        return 2;
    }
    if (!fleet->curve && !options.insecure) {
        fprintf (stderr, "agentd: %s: security/curve: 0 needs --insecure\n", fleet_path);
        ss_fleet_destroy (&fleet);
        return 2;
    }
    if (keys)
        snprintf (fleet->keys, sizeof (fleet->keys), "%s", keys);
    if (state_dir)
        snprintf (fleet->state_dir, sizeof (fleet->state_dir), "%s", state_dir);

    //  Our own signal handling: CZMQ's would make every socket call fail
    zsys_handler_set (NULL);
    ss_agentd_catch_signals ();
    char ident [64];
    snprintf (ident, sizeof (ident), "agentd-%ld", id);
    zsys_set_logident (ident);
    zsys_set_logstream (stderr);
    zsys_init ();
    zsys_handler_set (NULL);
    ss_agentd_catch_signals ();

    int rc;
    ss_agentd_t *agent = ss_agentd_new (fleet, (int) id, &options, &rc);
    if (agent) {
        rc = ss_agentd_run (agent);
        ss_agentd_destroy (&agent);
    }
    zsys_shutdown ();
    return rc;
}
