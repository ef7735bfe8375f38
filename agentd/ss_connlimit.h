/*  ss_connlimit: a bound on the connections one remote address holds open
    to a listening socket, pure (no sockets: descriptors and addresses
    passed in).

    libzmq 4.3.4 has no such limit, and ZAP sees a connection only after
    its first handshake command: a stranger could hold as many half-open
    CURVE handshakes as the descriptor limit allows, each about 25 KB
    until the handshake timeout. The daemons' socket monitors report each
    accepted connection (its descriptor) and each closed one; the table
    counts the live ones per address, and a connection above the bound is
    refused (the caller shuts it down; libzmq then closes it). The bound
    is the fleet's honest need, twice, plus room (ss_connlimit_bound):
    never reached by the fleet itself, so memory under a flood from one
    address is bounded by the bound x 25 KB.
*/
#ifndef SS_CONNLIMIT_H
#define SS_CONNLIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define SS_CONNLIMIT_ADDRESS 48     //  an IPv6 address as text, with room

typedef struct ss_connlimit_t ss_connlimit_t;

//  A table allowing `limit` live connections per address (>= 1)
ss_connlimit_t *ss_connlimit_new (int limit);
void ss_connlimit_destroy (ss_connlimit_t **self_p);

//  The bound for `honest` connections that one address may make in an
//  honest fleet: 2 x honest + 256
int ss_connlimit_bound (int honest);

//  Connection fd from address was accepted: true when it is within the
//  limit (it is counted), false when it must be refused (not counted). A
//  descriptor already in the table (its close was not reported) is
//  replaced
bool ss_connlimit_accept (ss_connlimit_t *self, int fd, const char *address);
//  Connection fd was closed (unknown descriptors are ignored)
void ss_connlimit_close (ss_connlimit_t *self, int fd);
//  Live connections from an address, in all, and refused so far
int ss_connlimit_count (ss_connlimit_t *self, const char *address);
int ss_connlimit_size (ss_connlimit_t *self);
uint64_t ss_connlimit_refused (ss_connlimit_t *self);

#endif
