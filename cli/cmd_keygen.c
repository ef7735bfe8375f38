/*  swarmshape keygen FLEET [--force]: the fleet's CURVE certificates
    (docs/fleet-design.md, "Keys"): one per agent, the coordinator's and
    the operator's (for target and status). Idempotent: existing
    certificates are kept unless --force renews them all; a directory made
    by an older keygen gets its missing operator key. */

#include <stdio.h>
#include "ss_cli.h"
#include "ss_keys.h"

int
ss_cmd_keygen (int argc, char **argv)
{
    ss_cli_args_t args;
    int rc = ss_cli_parse ("keygen", argc, argv, 1, "FLEET", &args);
    if (rc)
        return rc;
    ss_fleet_t *fleet = ss_cli_load (&args);
    if (!fleet)
        return 2;
    char err [8192];
    int written = ss_keys_generate (fleet, args.force, err, sizeof err);
    if (written < 0) {
        fprintf (stderr, "swarmshape keygen: %s\n", err);
        rc = 1;
    }
    else
    if (written == 0)
        printf ("%s: all %d certificates present (%d agents + coordinator + "
                "operator); --force renews them\n", fleet->keys, fleet->count + 2,
                fleet->count);
    else
        printf ("%s: wrote %d certificate%s (of %d: %d agents + coordinator + "
                "operator)\n", fleet->keys, written, written == 1? "": "s",
                fleet->count + 2, fleet->count);
    ss_fleet_destroy (&fleet);
    return rc;
}
