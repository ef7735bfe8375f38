/*  intruder ENDPOINT SERVER_CERT [SECONDS]: a client holding a freshly
    generated CURVE key (in no fleet's key directory) connects a DEALER to
    ENDPOINT with the server's public key from SERVER_CERT (a zcert public
    file) and sends frames: garbage and a forged REPORT from agent 0. A
    monitor on the client socket watches the handshake.
    Exit 0: refused by the server's ZAP handler (HANDSHAKE_FAILED_AUTH);
    1: the handshake succeeded; 3: no verdict within SECONDS [5]; 2: usage.
*/

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include "ss_proto.h"

int
main (int argc, char **argv)
{
    if (argc < 3) {
        fprintf (stderr, "usage: intruder ENDPOINT SERVER_CERT [SECONDS]\n");
        return 2;
    }
    int seconds = argc > 3? atoi (argv [3]): 5;
    zcert_t *server = zcert_load (argv [2]);
    if (!server) {
        fprintf (stderr, "intruder: %s: cannot load\n", argv [2]);
        return 2;
    }
    zcert_t *mine = zcert_new ();
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_linger (sock, 0);
    zcert_apply (mine, sock);
    zsock_set_curve_serverkey (sock, zcert_public_txt (server));
    zmq_socket_monitor (zsock_resolve (sock), "inproc://intruder-monitor",
                        ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                        | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                        | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    zsock_t *monitor = zsock_new_pair (">inproc://intruder-monitor");
    if (zsock_connect (sock, "%s", argv [1]) == -1) {
        fprintf (stderr, "intruder: cannot connect to %s\n", argv [1]);
        return 2;
    }
    //  Frames the server must never see
    zstr_send (sock, "garbage");
    ss_report_t forged;
    memset (&forged, 0, sizeof forged);
    forged.hdr = (ss_header_t) { .version = SS_PROTO_VERSION, .type = SS_MSG_REPORT };
    forged.dim = 2;
    forged.k = 1;
    uint8_t *data;
    size_t size;
    if (ss_report_encode (&forged, &data, &size) == 0) {
        zframe_t *frame = zframe_new (data, size);
        zframe_send (&frame, sock, ZFRAME_DONTWAIT);
        free (data);
    }
    int rc = 3;
    zpoller_t *poller = zpoller_new (monitor, NULL);
    int64_t until = zclock_mono () + seconds * 1000;
    while (rc == 3 && zclock_mono () < until) {
        if (zpoller_wait (poller, 100) != monitor)
            continue;
        zmsg_t *msg = zmsg_recv (monitor);
        zframe_t *head = msg? zmsg_first (msg): NULL;
        if (head && zframe_size (head) >= 6) {
            uint16_t event;
            uint32_t value;
            memcpy (&event, zframe_data (head), 2);
            memcpy (&value, zframe_data (head) + 2, 4);
            if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
                printf ("intruder: %s ACCEPTED a stranger's key\n", argv [1]);
                rc = 1;
            }
            else
            if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
                printf ("intruder: %s refused: HANDSHAKE_FAILED_AUTH (status %u)\n",
                        argv [1], value);
                rc = 0;
            }
            else
                printf ("intruder: %s: handshake failed (event 0x%x, %u)\n",
                        argv [1], event, value);
        }
        zmsg_destroy (&msg);
    }
    if (rc == 3)
        printf ("intruder: %s: no handshake verdict within %d s\n", argv [1], seconds);
    zpoller_destroy (&poller);
    zmq_socket_monitor (zsock_resolve (sock), NULL, 0);
    zsock_destroy (&monitor);
    zsock_destroy (&sock);
    zcert_destroy (&mine);
    zcert_destroy (&server);
    return rc;
}
