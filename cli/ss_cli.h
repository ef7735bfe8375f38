/*  ss_cli: what the swarmshape subcommands share: argument parsing with
    getopt_long, loading the fleet file, the stop flag set by signals.
    Each subcommand lives in its own file, cmd_<name>.c.
*/
#ifndef SS_CLI_H
#define SS_CLI_H

#include <czmq.h>
#include <signal.h>
#include <stdbool.h>
#include "ss_fleet.h"

#define SS_CLI_MAX_SETS 256
#define SS_CLI_MAX_POSITIONAL 4

typedef struct {
    const char *positional [SS_CLI_MAX_POSITIONAL]; //  [0] is FLEET
    int n_positional;
    const char *out;            //  --out DIR
    const char *sets [SS_CLI_MAX_SETS];
    int n_sets;
    bool centralized;           //  --centralized
    bool quiet;                 //  --quiet
    bool insecure;              //  --insecure
    bool force;                 //  --force
    bool verbose;               //  --verbose
    bool json;                  //  --json (status: the JSON as the coordinator sent it)
    const char *host;           //  --host NAME (launch: this host's agents)
    const char *prefix;         //  --prefix DIR (plan: where bundles install)
} ss_cli_args_t;

//  Parse argv (argv[0] is the command name) expecting n_positional
//  positional arguments. 0, or 2 after printing one line to stderr.
int ss_cli_parse (const char *command, int argc, char **argv,
                  int n_positional, const char *positional_names,
                  ss_cli_args_t *args);

//  Load positional[0] with the --set overrides; NULL after printing one line
ss_fleet_t *ss_cli_load (const ss_cli_args_t *args);

//  The same, then the agents' ports checked (ss_fleet_check_ports), for a
//  command that opens sockets or plans them; NULL after printing one line
ss_fleet_t *ss_cli_load_ports (const ss_cli_args_t *args);

//  The operator's link to the running coordinator: a DEALER connected to
//  the fleet's coordinator endpoint ("*" reached on the loopback), unless
//  insecure a CURVE client holding the operator's certificate
//  (operator.key_secret) with the coordinator's public key (coordinator.key)
//  as server key; the coordinator's secret is not needed. The endpoint
//  used goes into endpoint. NULL after one line on stderr, with *rc = 2 for
//  a configuration problem (no key, curve = 0 without --insecure), 1 else.
zsock_t *ss_cli_operator_socket (const char *command, const ss_fleet_t *fleet,
                                 bool insecure, char *endpoint,
                                 size_t endpoint_size, int *rc);

//  Install SIGINT/SIGTERM handlers that set ss_cli_stop
void ss_cli_catch_signals (void);
extern volatile sig_atomic_t ss_cli_stop;

//  The subcommands
int ss_cmd_sim (int argc, char **argv);
int ss_cmd_keygen (int argc, char **argv);
int ss_cmd_launch (int argc, char **argv);
int ss_cmd_target (int argc, char **argv);
int ss_cmd_status (int argc, char **argv);
int ss_cmd_plan (int argc, char **argv);
int ss_cmd_plot (int argc, char **argv);
int ss_cmd_experiment (int argc, char **argv);
int ss_cmd_wire (int argc, char **argv);

//  Print the swarmshape usage
void ss_cli_usage (FILE *out);

#endif
