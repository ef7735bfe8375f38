/*  swarmshape target FLEET TARGETFILE: inject a new target into a running
    fleet. TARGETFILE is a ZPL target (components or `image = FILE`), a
    fleet file, or a picture (PGM or PNG: a grid of levels on the model's
    nodes, ss_fleet_load_target). Sends TARGET (switch_round 0:
    "coordinator decides") to the coordinator over a DEALER holding the
    operator certificate, and prints the switch round the coordinator
    chose and announced. */

#include <czmq.h>
#include <stdio.h>
#include <string.h>
#include "ss_cli.h"
#include "ss_proto.h"

#define SS_TARGET_WAIT_MS 5000

int
ss_cmd_target (int argc, char **argv)
{
    ss_cli_args_t args;
    int rc = ss_cli_parse ("target", argc, argv, 2, "FLEET TARGETFILE", &args);
    if (rc)
        return rc;
    ss_fleet_t *fleet = ss_cli_load (&args);
    if (!fleet)
        return 2;
    char err [8192];
    ss_target_t msg;
    memset (&msg, 0, sizeof msg);
    if (ss_fleet_load_target (args.positional [1], &fleet->model, &msg.mixture,
                              err, sizeof err)) {
        fprintf (stderr, "swarmshape target: %s\n", err);
        ss_fleet_destroy (&fleet);
        return 2;
    }
    msg.hdr = (ss_header_t) {
        .version = SS_PROTO_VERSION, .type = SS_MSG_TARGET,
        .fleet = ss_fleet_id (fleet), .sender = SS_PROTO_COORDINATOR
    };
    msg.switch_round = 0;
    msg.dim = (uint32_t) fleet->model.dim;
    uint8_t *data = NULL;
    size_t size = 0;
    if (ss_target_encode (&msg, &data, &size)) {
        fprintf (stderr, "swarmshape target: %s: cannot encode the target\n",
                 args.positional [1]);
        ss_fleet_destroy (&fleet);
        return 2;
    }
    char endpoint [300];
    zsock_t *sock = ss_cli_operator_socket ("target", fleet, args.insecure,
                                            endpoint, sizeof endpoint, &rc);
    if (sock) {
        zframe_t *frame = zframe_new (data, size);
        zframe_send (&frame, sock, 0);
        zpoller_t *poller = zpoller_new (sock, NULL);
        int64_t until = zclock_mono () + SS_TARGET_WAIT_MS;
        while (rc && zclock_mono () < until) {
            if (zpoller_wait (poller, (int) (until - zclock_mono ())) != sock)
                continue;
            zframe_t *reply = zframe_recv (sock);
            ss_target_t answer;
            if (reply && ss_target_decode (zframe_data (reply), zframe_size (reply),
                                           &answer) == 0) {
                printf ("target switches at round %llu\n",
                        (unsigned long long) answer.switch_round);
                rc = 0;
            }
            zframe_destroy (&reply);
        }
        zpoller_destroy (&poller);
        if (rc)
            fprintf (stderr, "swarmshape target: no answer from the coordinator at %s "
                             "within %d s\n", endpoint, SS_TARGET_WAIT_MS / 1000);
    }
    free (data);
    zsock_destroy (&sock);
    ss_fleet_destroy (&fleet);
    return rc;
}
