/*  swarmshape status FLEET: ask the coordinator how the run goes.

    The query is a CONTROL STATUS (SS_CONTROL_STATUS), accepted only from
    a peer authenticated as "operator" (operator.key_secret). The reply's
    last frame is one JSON object: round (last traced), agents (live), J,
    kl, disagreement, highest, final, targets, missed_reports, late_reports,
    fleet_agents, lost (ids). The line printed adds `lost 3,7` and
    `missed M` when there are any. */

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ss_cli.h"
#include "ss_proto.h"

#define SS_STATUS_WAIT_MS 5000

static double
s_field (const char *json, const char *key, double fallback)
{
    char pattern [64];
    snprintf (pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr (json, pattern);
    return at? strtod (at + strlen (pattern), NULL): fallback;
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
    if (zpoller_wait (poller, SS_STATUS_WAIT_MS) == sock) {
        zmsg_t *reply = zmsg_recv (sock);
        zframe_t *last = reply? zmsg_last (reply): NULL;
        char *json = last? zframe_strdup (last): NULL;
        if (json && *json == '{') {
            double round = s_field (json, "round", -1);
            if (round < 0)
                printf ("no complete round yet (%d agents)\n",
                        (int) s_field (json, "agents", 0));
            else
            {
                const char *lost = strstr (json, "\"lost\":[");
                int lost_len = 0;
                if (lost) {
                    lost += 7;
                    lost_len = (int) strcspn (lost, "]");
                }
                printf ("round %.0f  J %.9g  kl %.6g  disagreement %.3g  "
                        "agents %.0f  targets %.0f", round,
                        s_field (json, "J", 0), s_field (json, "kl", 0),
                        s_field (json, "disagreement", 0),
                        s_field (json, "agents", 0), s_field (json, "targets", 0));
                if (lost && lost_len > 0)
                    printf ("  lost %.*s", lost_len, lost);
                double missed = s_field (json, "missed_reports", 0);
                if (missed > 0)
                    printf ("  missed %.0f", missed);
                printf ("\n");
            }
            if (args.verbose)
                printf ("%s\n", json);
            rc = 0;
        }
        else
            fprintf (stderr, "swarmshape status: unexpected reply from %s\n", endpoint);
        free (json);
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
