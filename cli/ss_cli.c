/*  ss_cli: argument parsing and fleet loading for the subcommands. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ss_cli.h"
#include "ss_keys.h"

volatile sig_atomic_t ss_cli_stop = 0;

#define SS_CLI_HANDSHAKE_MS 5000    //  longest wait for the coordinator's handshake

static void
s_on_signal (int sig)
{
    (void) sig;
    ss_cli_stop = 1;
}

void
ss_cli_catch_signals (void)
{
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
}

void
ss_cli_usage (FILE *out)
{
    fprintf (out,
        "usage: swarmshape COMMAND [OPTIONS]\n"
        "\n"
        "commands:\n"
        "  sim FLEET --out DIR [--centralized]   run the fleet in one process\n"
        "  keygen FLEET [--force]                CURVE certificates for the fleet\n"
        "  launch FLEET --out DIR [--insecure]   coordinator + one agentd per agent\n"
        "  target FLEET TARGETFILE               inject a new target (ZPL, .pgm, .png)\n"
        "  status FLEET [--json]                 the running fleet: round, J, every agent\n"
        "  plan FLEET --out DIR                  one install bundle per host\n"
        "  plot RUNDIR [--frames] [--fleet FILE] draw a run's pictures (PNG, SVG)\n"
        "  experiment FLEET SCENARIO... --out DIR  fault-injection experiments\n"
        "\n"
        "options:\n"
        "  --set PATH=VALUE   override a fleet-file key (e.g. agents/count=200)\n"
        "  --quiet            no progress lines\n"
        "  --restart no|on-failure|always, --restart-sec S, --start-limit N/S\n"
        "                     launch: how dead agents and coordinator are restarted\n"
        "  --help, --version\n"
        "\n"
        "exit status: 0 success, 1 runtime failure, 2 usage or configuration error\n");
}

int
ss_cli_parse (const char *command, int argc, char **argv, int n_positional,
              const char *positional_names, ss_cli_args_t *args)
{
    static struct option options [] = {
        { "out", required_argument, 0, 'o' },
        { "set", required_argument, 0, 's' },
        { "host", required_argument, 0, 'H' },
        { "prefix", required_argument, 0, 'P' },
        { "centralized", no_argument, 0, 'c' },
        { "quiet", no_argument, 0, 'q' },
        { "insecure", no_argument, 0, 'I' },
        { "force", no_argument, 0, 'f' },
        { "verbose", no_argument, 0, 'v' },
        { "json", no_argument, 0, 'j' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    memset (args, 0, sizeof *args);
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long (argc, argv, ":o:s:H:P:cqIfvh", options, NULL)) != -1) {
        switch (opt) {
            case 'o': args->out = optarg; break;
            case 'H': args->host = optarg; break;
            case 'P': args->prefix = optarg; break;
            case 'c': args->centralized = true; break;
            case 'q': args->quiet = true; break;
            case 'I': args->insecure = true; break;
            case 'f': args->force = true; break;
            case 'v': args->verbose = true; break;
            case 'j': args->json = true; break;
            case 'h': ss_cli_usage (stdout); exit (0);
            case 's':
                if (args->n_sets == SS_CLI_MAX_SETS) {
                    fprintf (stderr, "swarmshape %s: too many --set options\n", command);
                    return 2;
                }
                args->sets [args->n_sets++] = optarg;
                break;
            case ':':
                fprintf (stderr, "swarmshape %s: option '%s' needs a value\n",
                         command, argv [optind - 1]);
                return 2;
            default:
                fprintf (stderr, "swarmshape %s: unknown option '%s' (see --help)\n",
                         command, argv [optind - 1]);
                return 2;
        }
    }
    while (optind < argc && args->n_positional < SS_CLI_MAX_POSITIONAL)
        args->positional [args->n_positional++] = argv [optind++];
    if (optind < argc || args->n_positional > n_positional) {
        fprintf (stderr, "swarmshape %s: unexpected argument '%s'\n", command,
                 args->positional [n_positional]? args->positional [n_positional]: argv [optind]);
        return 2;
    }
    if (args->n_positional < n_positional) {
        fprintf (stderr, "swarmshape %s: expected %s (see --help)\n", command,
                 positional_names);
        return 2;
    }
    return 0;
}

ss_fleet_t *
ss_cli_load (const ss_cli_args_t *args)
{
    char err [1024];
    ss_fleet_t *fleet = ss_fleet_load (args->positional [0], args->sets,
                                       args->n_sets, err, sizeof err);
    if (!fleet)
        fprintf (stderr, "swarmshape: %s\n", err);
    return fleet;
}

ss_fleet_t *
ss_cli_load_ports (const ss_cli_args_t *args)
{
    ss_fleet_t *fleet = ss_cli_load (args);
    char err [1024];
    if (fleet && ss_fleet_check_ports (fleet, err, sizeof err)) {
        fprintf (stderr, "swarmshape: %s\n", err);
        ss_fleet_destroy (&fleet);
    }
    return fleet;
}

zsock_t *
ss_cli_operator_socket (const char *command, const ss_fleet_t *fleet,
                        bool insecure, char *endpoint, size_t endpoint_size,
                        int *rc)
{
    if (!insecure && !fleet->curve) {
        fprintf (stderr, "swarmshape %s: %s: security/curve: 0 needs --insecure\n",
                 command, fleet->path);
        *rc = 2;
        return NULL;
    }
    //  Our own key, operator.key_secret, and the coordinator's public key:
    //  never the coordinator's secret (who steers cannot impersonate it)
    zcert_t *cert = NULL, *server = NULL;
    if (!insecure) {
        char err [1024], path [PATH_MAX + 32];
        struct stat st;
        snprintf (path, sizeof path, "%s/operator.key_secret", fleet->keys);
        if (stat (path, &st) && errno == ENOENT) {
            fprintf (stderr, "swarmshape %s: %s: no operator key (the key directory "
                     "was made by an older keygen?): run swarmshape keygen %s, then "
                     "restart the coordinator\n", command, path, fleet->path);
            *rc = 2;
            return NULL;
        }
        cert = ss_keys_load_secret (fleet, "operator", err, sizeof err);
        server = cert? ss_keys_load_public (fleet, "coordinator", err, sizeof err): NULL;
        if (!server) {
            fprintf (stderr, "swarmshape %s: %s\n", command, err);
            zcert_destroy (&cert);
            *rc = 2;
            return NULL;
        }
    }
    //  The coordinator binds; "tcp://*:port" is reached on the loopback
    snprintf (endpoint, endpoint_size, "%s", fleet->coordinator);
    char *star = strstr (endpoint, "://*:");
    if (star)
        snprintf (star, endpoint_size - (size_t) (star - endpoint), "://127.0.0.1:%s",
                  strstr (fleet->coordinator, "://*:") + 5);
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_t *monitor = NULL;
    if (sock) {
        zsock_set_linger (sock, 0);
        if (cert) {
            ss_keys_apply_client (sock, cert, zcert_public_txt (server));
            //  Watch the handshake: a refusal of our key gets its own line
            monitor = ss_keys_handshake_watch (sock);
        }
        if (zsock_connect (sock, "%s", endpoint) == -1) {
            fprintf (stderr, "swarmshape %s: cannot connect to %s\n", command, endpoint);
            zsock_destroy (&sock);
        }
    }
    if (sock && monitor) {
        int status = ss_keys_handshake_wait (monitor, SS_CLI_HANDSHAKE_MS, &ss_cli_stop);
        if (status == 0)
            fprintf (stderr, "swarmshape %s: no answer from the coordinator at %s "
                     "within %d s\n", command, endpoint, SS_CLI_HANDSHAKE_MS / 1000);
        else
        if (status < 0)
            fprintf (stderr, "swarmshape %s: the CURVE handshake with the coordinator "
                     "at %s failed (is %s/coordinator.key its key?)\n", command,
                     endpoint, fleet->keys);
        else
        if (status != 200)
            fprintf (stderr, "swarmshape %s: the coordinator at %s refused the operator "
                     "key %s/operator.key (ZAP status %d): if operator.key was made "
                     "after the coordinator started, restart the coordinator\n",
                     command, endpoint, fleet->keys, status);
        ss_keys_handshake_unwatch (sock, &monitor);
        if (status != 200)
            zsock_destroy (&sock);
    }
    zcert_destroy (&cert);
    zcert_destroy (&server);
    *rc = 1;
    return sock;
}
