/*  intruder ENDPOINT SERVER_CERT [SECONDS [CLIENT_CERT]]: a client connects
    a DEALER to ENDPOINT with the server's public key from SERVER_CERT (a
    zcert public file) and sends frames: garbage and a forged REPORT from
    agent 0. It holds a freshly generated CURVE key (in no fleet's key
    directory), or the certificate CLIENT_CERT (a zcert file: its public
    part and CLIENT_CERT_secret, e.g. keys/operator.key or a stray
    keys/evil.key). A monitor on the client socket watches the handshake.
    Exit 0: refused by the server's ZAP handler (HANDSHAKE_FAILED_AUTH);
    1: the handshake succeeded; 3: no verdict within SECONDS [5]; 2: usage.
*/

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include "ss_keys.h"
#include "ss_proto.h"

int
main (int argc, char **argv)
{
    if (argc < 3) {
        fprintf (stderr, "usage: intruder ENDPOINT SERVER_CERT [SECONDS [CLIENT_CERT]]\n");
        return 2;
    }
    int seconds = argc > 3? atoi (argv [3]): 5;
    zcert_t *server = zcert_load (argv [2]);
    if (!server) {
        fprintf (stderr, "intruder: %s: cannot load\n", argv [2]);
        return 2;
    }
    zcert_t *mine = argc > 4? zcert_load (argv [4]): zcert_new ();
    if (!mine) {
        fprintf (stderr, "intruder: %s: cannot load\n", argv [4]);
        zcert_destroy (&server);
        return 2;
    }
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_linger (sock, 0);
    ss_keys_apply_client (sock, mine, zcert_public_txt (server));
    zsock_t *monitor = ss_keys_handshake_watch (sock);
    if (!monitor || zsock_connect (sock, "%s", argv [1]) == -1) {
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
    int status = ss_keys_handshake_wait (monitor, seconds * 1000, NULL);
    int rc = 3;
    if (status == 200) {
        printf ("intruder: %s ACCEPTED the key\n", argv [1]);
        rc = 1;
    }
    else
    if (status > 0) {
        printf ("intruder: %s refused: HANDSHAKE_FAILED_AUTH (status %d)\n",
                argv [1], status);
        rc = 0;
    }
    else
    if (status < 0)
        printf ("intruder: %s: handshake failed (protocol)\n", argv [1]);
    else
        printf ("intruder: %s: no handshake verdict within %d s\n", argv [1], seconds);
    ss_keys_handshake_unwatch (sock, &monitor);
    zsock_destroy (&sock);
    zcert_destroy (&mine);
    zcert_destroy (&server);
    return rc;
}
