/*  swarmshape: the operator's tool. One subcommand per job, each in its
    own cmd_<name>.c. Exit codes (contract.md): 0 success, 2 usage or
    configuration error (one line naming file, key and problem), 1 runtime
    failure.
*/

#include <stdio.h>
#include <string.h>
#include "ss_version.h"
#include "ss_cli.h"

static const struct {
    const char *name;
    int (*run) (int argc, char **argv);
} s_commands [] = {
    { "sim", ss_cmd_sim },
    { "keygen", ss_cmd_keygen },
    { "launch", ss_cmd_launch },
    { "target", ss_cmd_target },
    { "status", ss_cmd_status },
    { "plan", ss_cmd_plan },
    { "plot", ss_cmd_plot },
    { "experiment", ss_cmd_experiment },
    { "wire", ss_cmd_wire },
};

int
main (int argc, char **argv)
{
    if (argc < 2) {
        ss_cli_usage (stderr);
        return 2;
    }
    const char *command = argv [1];
    if (!strcmp (command, "--help") || !strcmp (command, "-h")) {
        ss_cli_usage (stdout);
        return 0;
    }
    if (!strcmp (command, "--version")) {
        printf ("swarmshape %s\n", SS_VERSION);
        return 0;
    }
    for (size_t c = 0; c < sizeof s_commands / sizeof s_commands [0]; c++)
        if (!strcmp (command, s_commands [c].name))
            return s_commands [c].run (argc - 1, argv + 1);
    fprintf (stderr, "swarmshape: unknown command '%s' (see --help)\n", command);
    return 2;
}
