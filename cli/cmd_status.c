/*  swarmshape status FLEET [--json]: ask the running coordinator how the
    run goes.

    The query is a CONTROL STATUS (SS_CONTROL_STATUS), accepted only from
    a peer authenticated as "operator" (operator.key_secret). The reply's
    last frame is one JSON object (coordinator/README.md): round (last
    traced), agents (live), J, kl, disagreement, bias, highest, final,
    targets, missed_reports, late_reports, fleet_agents, lost (ids), and
    members: per agent id, live, round (its highest report), lag (rounds
    behind the fleet's highest), epoch, drops, substitutions, silent_ms.

    Printed: one line for the run (`round K  J ...  agents N  targets T`,
    then `lost 3,7` and `missed M` when there are any), then a table with
    one line per agent. --json prints the reply as it came (one line).
    Exit 0; 1 when the coordinator does not answer or answers garbage. */

#include <czmq.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ss_cli.h"
#include "ss_proto.h"

#define SS_STATUS_WAIT_MS 5000

static double
s_number (json_t *object, const char *key, double fallback)
{
    json_t *value = json_object_get (object, key);
    return json_is_number (value)? json_number_value (value): fallback;
}

//  The run's line and the agents' table; -1 if the reply lacks them
static int
s_print (json_t *status)
{
    double round = s_number (status, "round", -1);
    if (round < 0)
        printf ("no complete round yet (%.0f agents live)\n", s_number (status, "agents", 0));
    else {
        printf ("round %.0f  J %.9g  kl %.6g  disagreement %.3g  agents %.0f  targets %.0f",
                round, s_number (status, "J", 0), s_number (status, "kl", 0),
                s_number (status, "disagreement", 0), s_number (status, "agents", 0),
                s_number (status, "targets", 0));
        json_t *lost = json_object_get (status, "lost");
        if (json_array_size (lost) > 0) {
            printf ("  lost ");
            for (size_t l = 0; l < json_array_size (lost); l++)
                printf ("%s%.0f", l? ",": "",
                        json_number_value (json_array_get (lost, l)));
        }
        double missed = s_number (status, "missed_reports", 0);
        if (missed > 0)
            printf ("  missed %.0f", missed);
        printf ("\n");
    }
    json_t *members = json_object_get (status, "members");
    if (!json_is_array (members))
        return -1;
    printf ("agent  state  round    lag  epoch  drops  substitutions   silent\n");
    for (size_t i = 0; i < json_array_size (members); i++) {
        json_t *m = json_array_get (members, i);
        double silent = s_number (m, "silent_ms", -1);
        char quiet [32];
        if (silent < 0)
            snprintf (quiet, sizeof quiet, "never");
        else
            snprintf (quiet, sizeof quiet, "%.1f s", silent / 1000);
        printf ("%5.0f  %-5s  %5.0f  %5.0f  %5.0f  %5.0f  %13.0f  %7s\n",
                s_number (m, "id", -1), json_is_true (json_object_get (m, "live"))? "live"
                                                                                   : "lost",
                s_number (m, "round", -1), s_number (m, "lag", 0), s_number (m, "epoch", 0),
                s_number (m, "drops", 0), s_number (m, "substitutions", 0), quiet);
    }
    return 0;
}

int
ss_cmd_status (int argc, char **argv)
{
    ss_cli_args_t args;
    int rc = ss_cli_parse ("status", argc, argv, 1, "FLEET", &args);
    if (rc)
        return rc;
    ss_fleet_t *fleet = ss_cli_load (&args);
    if (!fleet)
        return 2;
    char endpoint [300];
    zsock_t *sock = ss_cli_operator_socket ("status", fleet, args.insecure,
                                            endpoint, sizeof endpoint, &rc);
    if (!sock) {
        ss_fleet_destroy (&fleet);
        return rc;
    }
    ss_control_t control = {
        .hdr = { .version = SS_PROTO_VERSION, .type = SS_MSG_CONTROL,
                 .fleet = ss_fleet_id (fleet), .sender = SS_PROTO_COORDINATOR },
        .command = SS_CONTROL_STATUS
    };
    uint8_t *data = NULL;
    size_t size = 0;
    if (ss_control_encode (&control, &data, &size)) {
        fprintf (stderr, "swarmshape status: cannot encode the query\n");
        zsock_destroy (&sock);
        ss_fleet_destroy (&fleet);
        return 1;
    }
    zframe_t *frame = zframe_new (data, size);
    zframe_send (&frame, sock, 0);
    zpoller_t *poller = zpoller_new (sock, NULL);
    rc = 1;
    if (zpoller_wait (poller, SS_STATUS_WAIT_MS) == sock) {
        zmsg_t *reply = zmsg_recv (sock);
        zframe_t *last = reply && zmsg_size (reply) > 1? zmsg_last (reply): NULL;
        char *text = last? zframe_strdup (last): NULL;
        json_error_t error;
        json_t *status = text? json_loads (text, 0, &error): NULL;
        if (!json_is_object (status))
            fprintf (stderr, "swarmshape status: unexpected reply from %s\n", endpoint);
        else
        if (args.json) {
            printf ("%s\n", text);
            rc = 0;
        }
        else
        if (s_print (status))
            fprintf (stderr, "swarmshape status: the reply from %s lists no agents (an "
                             "older coordinator?)\n", endpoint);
        else
            rc = 0;
        json_decref (status);
        free (text);
        zmsg_destroy (&reply);
    }
    else
        fprintf (stderr, "swarmshape status: no answer from the coordinator at %s "
                         "within %d s\n", endpoint, SS_STATUS_WAIT_MS / 1000);
    zpoller_destroy (&poller);
    free (data);
    zsock_destroy (&sock);
    ss_fleet_destroy (&fleet);
    return rc;
}
