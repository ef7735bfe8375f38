/*  ss_keys: the fleet's CURVE certificates (CZMQ zcert files) and the ZAP
    handler that admits only them. See docs/fleet-design.md.
*/
#ifndef SS_KEYS_H
#define SS_KEYS_H

#include <czmq.h>
#include "ss_fleet.h"

//  Certificate base names: "agent-<i>" or "coordinator"
void ss_keys_name (int agent_id, char *out, size_t out_size);   //  -1: coordinator

//  Write every missing certificate (or all, with force) into the fleet's
//  key directory, creating it (0700). Secret files are 0600. Returns the
//  number of certificates written, or -1 with a line in err.
int ss_keys_generate (const ss_fleet_t *fleet, bool force, char *err, size_t err_size);

//  Load the secret certificate NAME from the key directory, refusing one
//  that is missing, unreadable, malformed or readable by group/others
//  (mode & 077). NULL and a line in err ("DIR/NAME.key_secret: ...").
zcert_t *ss_keys_load_secret (const ss_fleet_t *fleet, const char *name,
                              char *err, size_t err_size);

//  Load the public certificate NAME; NULL and a line in err
zcert_t *ss_keys_load_public (const ss_fleet_t *fleet, const char *name,
                              char *err, size_t err_size);

//  Start a zauth actor admitting only the key directory's public keys for
//  CURVE. NULL and a line in err.
zactor_t *ss_keys_start_auth (const ss_fleet_t *fleet, bool verbose,
                              char *err, size_t err_size);

//  Make sock a CURVE server with cert; or a client of server_public (Z85)
void ss_keys_apply_server (zsock_t *sock, zcert_t *cert);
void ss_keys_apply_client (zsock_t *sock, zcert_t *cert, const char *server_public);

//  The authenticated name of a received frame's peer ("agent-7",
//  "coordinator"), or NULL on an unauthenticated (insecure) connection
const char *ss_keys_peer_name (zframe_t *frame);

#endif
