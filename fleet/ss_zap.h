/*  ss_zap: our ZAP handler (ZeroMQ RFC 27), replacing CZMQ's zauth.

    libzmq asks the handler bound at inproc://zeromq.zap.01 (in the
    context of the process: CZMQ's) about every CURVE handshake a server
    socket of the process completes. A request is 7 frames:

        version "1.0" | request id | domain | address | routing id |
        mechanism "CURVE" | client public key (32 bytes)

    and the reply 6 frames:

        version "1.0" | request id | status "200"/"400"/"500" | text |
        user id | metadata (empty)

    We admit (200) a key of the key ring (ss_keyring) whose name is on
    this handler's allow-list, with user id = the name, i.e. the name of
    the file the key came from; libzmq attaches it to every message from
    that peer (zframe_meta (frame, "User-Id"), ss_keys_peer_name). Any
    other key or mechanism is refused (400); a request that is not RFC 27
    is answered 500, or, without a request id, not answered at all by the
    pure part. Each refusal is counted by reason.

    Two layers:
    - pure: ss_zap_answer takes a request's frames and returns the reply,
      no sockets, no clock (tests/unit/test_zap.c, tests/fuzz/fuzz_zap.c);
    - sockets: ss_zap_socket binds a REP at the ZAP endpoint, which a
      reactor polls, calling ss_zap_handle for each pending request; it
      logs refusals at most once a second (zsys_warning, with the counts),
      and ss_zap_flush, called from a timer, logs a burst's tail.
    ss_zap_start runs the same handler in a thread (zactor), for a daemon
    without a reactor.

    Bind the handler before any CURVE server socket of the process binds:
    libzmq 4.3 admits every client of a CURVE server when no handler is
    bound (ZMQ_ZAP_ENFORCE_DOMAIN is a draft option).
*/
#ifndef SS_ZAP_H
#define SS_ZAP_H

#include <czmq.h>
#include "ss_keyring.h"

#define SS_ZAP_ENDPOINT "inproc://zeromq.zap.01"

typedef enum {
    SS_ZAP_ADMITTED,        //  200: a ring key on the allow-list
    SS_ZAP_MALFORMED,       //  500: not an RFC 27 CURVE request
    SS_ZAP_MECHANISM,       //  400: NULL or PLAIN
    SS_ZAP_UNKNOWN_KEY,     //  400: a key of no file the fleet expects
    SS_ZAP_NOT_ALLOWED,     //  400: a fleet key this process does not admit
    SS_ZAP_VERDICTS
} ss_zap_verdict_t;

typedef struct _ss_zap_t ss_zap_t;

//  What ss_zap_answer decided about one request
typedef struct {
    ss_zap_verdict_t verdict;
    const char *name;       //  the key's name in the ring, NULL if none
    char address [64];      //  the peer's address (request frame 4), cut
} ss_zap_decision_t;

//  A handler for the keys of ring, admitting the names given (a list
//  ending with NULL; more with ss_zap_allow). It copies what it needs:
//  ring may be destroyed after. NULL if out of memory.
ss_zap_t *ss_zap_new (const ss_keyring_t *ring, const char *name, ...);
void ss_zap_destroy (ss_zap_t **self_p);

//  Admit name too. 0, or -1 if the ring holds no key of that name (the
//  name is on the list anyway: harmless, it can match nothing)
int ss_zap_allow (ss_zap_t *self, const char *name);

//  Is name on the allow-list?
bool ss_zap_allowed (const ss_zap_t *self, const char *name);

//  Log admissions too (zsys_debug)
void ss_zap_set_verbose (ss_zap_t *self, bool verbose);

//  Pure: the reply to request (not modified; the caller destroys it), or
//  NULL for a request without a request id (nothing to answer to). Fills
//  decision (may be NULL) and counts the verdict.
zmsg_t *ss_zap_answer (ss_zap_t *self, zmsg_t *request, ss_zap_decision_t *decision);

//  Requests answered with verdict so far
uint64_t ss_zap_count (const ss_zap_t *self, ss_zap_verdict_t verdict);

//  A short phrase for verdict ("unknown key", ...)
const char *ss_zap_verdict_name (ss_zap_verdict_t verdict);

//  The REP socket bound at SS_ZAP_ENDPOINT (bound at the first call), to
//  poll; NULL if it cannot be bound (another handler, zauth or ours,
//  already holds the endpoint in this process)
zsock_t *ss_zap_socket (ss_zap_t *self);

//  Receive the pending request on the socket, answer it (a REP always
//  answers: a request ss_zap_answer would drop gets a bare 500), log a
//  refusal if none was logged in the last second. 0, or -1 if nothing
//  could be received (interrupted).
int ss_zap_handle (ss_zap_t *self);

//  Log the refusals that ss_zap_handle kept for later (one line a second
//  at most) once their second is over. Returns the ms until that is due,
//  or -1 when nothing waits: a reactor calls it from a timer (every
//  second will do) so that a burst's tail is logged too.
int ss_zap_flush (ss_zap_t *self);

//  Run the handler in a thread: binds the socket here (NULL, and *self_p
//  left to the caller, if it cannot), then the actor owns the handler
//  (*self_p is set to NULL) and destroys it at zactor_destroy.
zactor_t *ss_zap_start (ss_zap_t **self_p);

//  The actor's counts (SS_ZAP_VERDICTS numbers, by verdict) into counts.
//  0, or -1 if the actor did not answer within a second.
int ss_zap_actor_counts (zactor_t *actor, uint64_t *counts);

#endif
