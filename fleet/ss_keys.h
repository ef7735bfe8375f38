/*  ss_keys: the fleet's CURVE certificates (CZMQ zcert files): names,
    keygen, loading one certificate, CURVE socket options, and the ZAP
    handler a daemon starts (ss_keyring + ss_zap). See docs/fleet-design.md.

    A certificate's name is the name of the file it came from: agent-<i>,
    coordinator or operator. The metadata inside a file (`name = ...`) is
    informational: nothing reads it.
*/
#ifndef SS_KEYS_H
#define SS_KEYS_H

#include <czmq.h>
#include <signal.h>
#include "ss_fleet.h"

#define SS_KEYS_COORDINATOR (-1)    //  ss_keys_name ids that are no agent's
#define SS_KEYS_OPERATOR    (-2)

//  Largest certificate file read (a zcert file is a few hundred bytes)
#define SS_KEYS_MAX_FILE    65536

//  Certificate base names: "agent-<i>", "coordinator" (SS_KEYS_COORDINATOR)
//  or "operator" (SS_KEYS_OPERATOR)
void ss_keys_name (int agent_id, char *out, size_t out_size);

//  Write every missing certificate (or all, with force) into the fleet's
//  key directory, creating it (0700): agent-<i> for every agent,
//  coordinator and operator. Secret files are 0600. Returns the number of
//  certificates written, or -1 with a line in err.
int ss_keys_generate (const ss_fleet_t *fleet, bool force, char *err, size_t err_size);

//  Parse the text of a zcert file (size bytes, need not end in NUL): the
//  Z85 public key (curve/public-key) into public_z85 [41] and, if
//  secret_z85 is not NULL, the secret key (curve/secret-key). A strict
//  reading of the ZPL that zcert_save writes; never logs. 0, or -1 with
//  *problem set to a short phrase ("no curve/public-key", ...).
int ss_keys_parse (const char *text, size_t size, char *public_z85,
                   char *secret_z85, const char **problem);

//  Load the secret certificate NAME from the key directory, refusing one
//  that is missing, unreadable, malformed, whose keys do not belong
//  together or that is readable by group/others (mode & 077). NULL and a
//  line in err ("DIR/NAME.key_secret: ...").
zcert_t *ss_keys_load_secret (const ss_fleet_t *fleet, const char *name,
                              char *err, size_t err_size);

//  Load the public certificate NAME; NULL and a line in err
zcert_t *ss_keys_load_public (const ss_fleet_t *fleet, const char *name,
                              char *err, size_t err_size);

//  Start the ZAP handler of a daemon, as an actor (ss_zap): load the key
//  ring (ss_keyring_load: exit-2 errors into err), check that own (agent
//  agent_id, or the coordinator for SS_KEYS_COORDINATOR) secret
//  certificate matches its public file, and admit agent_id's graph
//  neighbours (ss_fleet_graph), or, for the coordinator, every agent and
//  the operator. Logs (zsys_warning) each ignored file of the key
//  directory once, and a missing operator.key on the coordinator. NULL and
//  a line in err. Destroy with zactor_destroy.
zactor_t *ss_keys_start_zap (const ss_fleet_t *fleet, int agent_id, bool verbose,
                             char *err, size_t err_size);

//  The same handler, not started: a daemon with a reactor polls
//  ss_zap_socket and calls ss_zap_handle (no thread). NULL and a line in err.
struct _ss_zap_t *ss_keys_zap_new (const ss_fleet_t *fleet, int agent_id, bool verbose,
                                   char *err, size_t err_size);

//  Make sock a CURVE server with cert; or a client of server_public (Z85)
void ss_keys_apply_server (zsock_t *sock, zcert_t *cert);
void ss_keys_apply_client (zsock_t *sock, zcert_t *cert, const char *server_public);

//  Watch the CURVE handshakes of a client socket (call it before
//  connecting): a PAIR receiving sock's monitor events, or NULL.
//  ss_keys_handshake_wait reads it; ss_keys_handshake_unwatch ends it.
zsock_t *ss_keys_handshake_watch (zsock_t *sock);

//  The verdict on the next handshake seen by monitor: 200 when it
//  succeeded, the ZAP status (400, 500) when the server's ZAP handler
//  refused it, -1 for another handshake failure (protocol), 0 if none
//  within timeout ms or once *stop (may be NULL) is set
int ss_keys_handshake_wait (zsock_t *monitor, int timeout,
                            volatile sig_atomic_t *stop);

//  Stop watching sock and destroy *monitor_p
void ss_keys_handshake_unwatch (zsock_t *sock, zsock_t **monitor_p);

//  The authenticated name of a received frame's peer ("agent-7",
//  "operator"): the ZAP user id (zframe_meta "User-Id"), which our ZAP
//  handler sets to the name of the key's file. NULL on an unauthenticated
//  (insecure) connection.
const char *ss_keys_peer_name (zframe_t *frame);

#endif
