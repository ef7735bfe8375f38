/*  ss_links: an agent's sockets, and nothing else: endpoints, CURVE, ZAP,
    socket options, sending a frame, receiving one. The rules of what to
    send and what a received frame means live in ss_agent and ss_peers.

    - A ROUTER, CURVE server, bound on the agent's own address only (its
      host resolved; `*` never unless asked for) and, when a neighbour runs
      on the same host and links/transport = auto, on an abstract ipc://
      endpoint too. It receives ESTIMATE and HEARTBEAT from neighbours.
    - To each neighbour over tcp://, links/connections DEALERs (CURVE
      clients; one over ipc://), used in turn: a connection stalled behind a lost TCP segment never holds the
      next round's estimate. Their TCP retransmission timeout and delayed
      acknowledgements are short (ss_tcptune: links/rto_min_ms,
      links/delack_max_ms), so a stall lasts milliseconds. ipc:// for a neighbour on our host (auto),
      else tcp://. Nothing legitimate comes back on them: what does is read
      and dropped, so nothing piles up.
    - One DEALER to the coordinator, which brings TARGET and CONTROL (the
      coordinator sends them to the first connection authenticated with
      our key).
    - A UDP socket on our address and port (ss_datagram): estimates sealed
      with the same keys, sent to tcp:// neighbours on links seen losing
      packets, as well as on TCP.
    - Our own ZAP handler (ss_zap) on a REP socket the reactor polls (no
      zauth thread), admitting our graph neighbours' keys only.

    Memory is bounded by construction: every socket that receives has a
    ZMQ_MAXMSGSIZE from the largest legal frame of the fleet (also before
    authentication: libzmq's decoder applies it to handshake frames) and a
    receive HWM; unauthenticated handshakes are dropped after
    handshake_ms; the kernel closes dead connections (TCP_USER_TIMEOUT and
    keepalive: not ZMTP heartbeats, which libzmq 4.3.4 can abort on when a
    receive pipe is full); send HWMs are
    small and every send is non-blocking (a full or unconnected connection
    says so, and the next one is tried).
*/
#ifndef SS_LINKS_H
#define SS_LINKS_H

#include <czmq.h>
#include "ss_fleet.h"
#include "ss_zap.h"
#include "ss_tcptune.h"
#include "ss_datagram.h"

typedef struct {
    const ss_fleet_t *fleet;
    int id;                     //  our agent id
    int n;                      //  neighbours
    const int *ids;             //  their ids, ascending
    uint64_t fleet_id;          //  names the ipc endpoints
    bool insecure;              //  no CURVE, no ZAP
    bool verbose;
    size_t max_frame;           //  the largest frame a neighbour may send us
} ss_links_config_t;

typedef struct ss_links_t ss_links_t;

//  Keys, sockets, binds and connects. NULL and one line in err, with *rc 2
//  for a configuration problem (keys, addresses), 1 for a runtime one.
ss_links_t *ss_links_new (const ss_links_config_t *config, char *err,
                          size_t err_size, int *rc);
void ss_links_destroy (ss_links_t **self_p);

zsock_t *ss_links_router (ss_links_t *self);
zsock_t *ss_links_coordinator (ss_links_t *self);
//  Bytes sent to the coordinator that its host has not acknowledged yet
//  (the kernel's send queue of the link's TCP connection; 0 when not TCP
//  or not watched)
long ss_links_coordinator_unacked (ss_links_t *self);
//  The ZAP handler and its socket (NULL when insecure)
ss_zap_t *ss_links_zap (ss_links_t *self);
//  The ROUTER's socket monitor (connections per address bounded,
//  ss_tcptune_watch_accepts), for the reactor to read at once; or NULL
zsock_t *ss_links_router_monitor (ss_links_t *self);
//  Connections to neighbour p (links/connections over tcp://, 1 over
//  ipc://); p < 0: links/connections
int ss_links_connections (ss_links_t *self, int p);
zsock_t *ss_links_dealer (ss_links_t *self, int p, int c);
//  The TCP options of the links' tcp:// connections: its monitors are
//  polled by the reactor (ss_tcptune_drain)
ss_tcptune_t *ss_links_tune (ss_links_t *self);
//  Sealed datagrams to the tcp:// neighbours (ss_datagram, links/datagrams),
//  or NULL (off, insecure, no tcp:// neighbour, or its port taken)
ss_datagram_t *ss_links_datagram (ss_links_t *self);
//  What the ROUTER bound, for the log
const char *ss_links_endpoints (ss_links_t *self);
//  Transport used to reach neighbour p: "tcp" or "ipc"
const char *ss_links_transport (ss_links_t *self, int p);

//  Send a frame to neighbour p on `copies` connections (at least one): in
//  the order c mod span, c + 1 mod span ... of the first `span` connections
//  (those in use), then the others; first those not stalled (TCP
//  retransmitting, see ss_tcptune: fresh data does not queue behind a lost
//  segment), then the stalled ones; a connection that cannot take it now
//  (full, not connected) is passed over. The first connection used, or -1;
//  *extra: further copies sent, *stalls: connections of the link found
//  retransmitting, *losses: those with a retransmission judged a loss
//  (ss_tcploss_judge: not a slow host's spurious one) (any may be NULL)
int ss_links_send (ss_links_t *self, int p, int c, int span, const void *data, size_t size,
                   int copies, int *extra, int *stalls, int *losses);
//  Send a frame to the coordinator; 0, or -1 (no link: never waits)
int ss_links_send_coordinator (ss_links_t *self, const void *data, size_t size);

//  Receive one message from sock without waiting: 1 and its single body
//  frame in body (the caller closes it) and the peer's authenticated name
//  in *name (NULL insecure; valid while body is), 0 when nothing is
//  there, -1 when a message of another shape was read and dropped
int ss_links_recv (ss_links_t *self, zsock_t *sock, zmq_msg_t *body, const char **name);

//  Linger (ms) on the neighbours' links and on the coordinator's, before
//  destroying them at exit
void ss_links_set_linger (ss_links_t *self, int msecs, int coord_msecs);

#endif
