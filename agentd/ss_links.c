/*  ss_links: an agent's sockets (see ss_links.h). */

#include <arpa/inet.h>
#include <stdarg.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include "ss_links.h"
#include "ss_keys.h"
#include "ss_proto.h"
#include "ss_tcptune.h"
#include "ss_datagram.h"

#define S_HANDSHAKE_MS   10000  //  an unauthenticated handshake is dropped after
#define S_NEIGHBOUR_HWM  2      //  frames queued per outbound connection ...
#define S_IPC_HWM        64     //  ... over tcp://; over ipc:// (one connection)
#define S_NEIGHBOUR_BUF  8192   //  ... and kernel send buffer (bytes): a connection
                                //  stalled behind a lost segment fills them at
                                //  once and the next connection is used
#define S_DEALER_MAXMSG  256    //  nothing legitimate comes back on a DEALER
#define S_MAX_CONNECTIONS 8     //  per link (links/connections)
#define S_RECONNECT_MS   100
#define S_RECONNECT_MAX  2000
#define S_BACKLOG        1024   //  pending connections (libzmq's default, 100,
                                //  is filled by a stranger's connection flood:
                                //  honest SYNs are then dropped and retried
                                //  seconds later)

typedef struct {
    int id;
    bool ipc;
    int connections;            //  links/connections over tcp://, 1 over ipc://
    zsock_t *dealers [S_MAX_CONNECTIONS];
    int watch [S_MAX_CONNECTIONS];  //  each one's index in the tcptune, or -1
} s_link_t;

struct ss_links_t {
    ss_links_config_t config;
    int connections;
    s_link_t *links;
    zsock_t *router;
    zsock_t *router_monitor;    //  its accepted connections (in the tcptune)
    zsock_t *coord;
    int coord_watch;            //  its index in the tcptune, or -1
    ss_zap_t *zap;
    zcert_t *cert;
    ss_tcptune_t *tune;         //  TCP options of every tcp:// connection
    ss_datagram_t *datagram;    //  sealed UDP to tcp:// neighbours, or NULL
    char endpoints [600];
};

//  The abstract ipc:// endpoint of an agent of a fleet: named after its
//  port, which no other agent of this host holds (ss_fleet_check_ports),
//  whatever fleet it belongs to
static void
s_ipc_endpoint (uint64_t fleet_id, const ss_agent_spec_t *spec, char *out, size_t size)
{
    snprintf (out, size, "ipc://@swarmshape-%d-%016llx", spec->port,
              (unsigned long long) fleet_id);
}

//  The address an agent binds: its host as a literal, resolved when a
//  name (IPv4), `*` only when the fleet says `*`. 0 or -1.
static int
s_bind_address (const char *host, char *out, size_t size)
{
    struct in_addr addr;
    if (streq (host, "*") || inet_pton (AF_INET, host, &addr) == 1) {
        snprintf (out, size, "%s", host);
        return 0;
    }
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
    struct addrinfo *found = NULL;
    if (getaddrinfo (host, NULL, &hints, &found) || !found)
        return -1;
    inet_ntop (AF_INET, &((struct sockaddr_in *) found->ai_addr)->sin_addr, out,
               (socklen_t) size);
    freeaddrinfo (found);
    return 0;
}

//  Dead connections are closed by the kernel, not by ZMTP heartbeats:
//  libzmq 4.3.4 aborts (!_io_error, stream_engine_base.cpp:331; libzmq
//  issues 3937, 4364, 4767) when a ZMTP heartbeat fires on a connection
//  whose receive pipe is full, which a peer flooding us can cause. A TCP
//  connection whose data stays unacknowledged for 4 x lost_after_ms
//  (TCP_USER_TIMEOUT, ZMQ_TCP_MAXRT) or that is idle and silent (keepalive)
//  is closed, and a DEALER reconnects. Liveness itself is our heartbeats'.
//  Under heavy loss a connection retransmits for seconds: it is slow, not
//  dead, and the other connections of the link carry the traffic meanwhile.
static void
s_keepalive (zsock_t *sock, const ss_fleet_t *fleet)
{
    int seconds = fleet->lost_after_ms / 1000 > 0? fleet->lost_after_ms / 1000: 1;
    //  A connection slow to deliver (retransmitting under loss) is not dead:
    //  give up on unacknowledged data only after several lost_after
    zsock_set_tcp_maxrt (sock, 4 * fleet->lost_after_ms);
    zsock_set_tcp_keepalive (sock, 1);
    zsock_set_tcp_keepalive_idle (sock, seconds);
    zsock_set_tcp_keepalive_intvl (sock, 1);
    zsock_set_tcp_keepalive_cnt (sock, 3);
}

void
ss_links_destroy (ss_links_t **self_p)
{
    ss_links_t *self = *self_p;
    if (!self)
        return;
    ss_tcptune_stop (self->tune);
    for (int p = 0; self->links && p < self->config.n; p++)
        for (int c = 0; c < S_MAX_CONNECTIONS; c++)
            zsock_destroy (&self->links [p].dealers [c]);
    free (self->links);
    zsock_destroy (&self->coord);
    zsock_destroy (&self->router);
    ss_tcptune_destroy (&self->tune);
    ss_datagram_destroy (&self->datagram);
    ss_zap_destroy (&self->zap);
    zcert_destroy (&self->cert);
    free (self);
    *self_p = NULL;
}

static ss_links_t *
s_fail (ss_links_t **self_p, int *rc, int code, char *err, size_t err_size,
        const char *format, ...)
{
    if (format) {
        va_list args;
        va_start (args, format);
        vsnprintf (err, err_size, format, args);
        va_end (args);
    }
    *rc = code;
    ss_links_destroy (self_p);
    return NULL;
}

ss_links_t *
ss_links_new (const ss_links_config_t *config, char *err, size_t err_size, int *rc)
{
    ss_links_t *self = calloc (1, sizeof (ss_links_t));
    if (!self)
        return s_fail (&self, rc, 1, err, err_size, "out of memory");
    self->config = *config;
    const ss_fleet_t *fleet = config->fleet;
    const ss_agent_spec_t *me = &fleet->agents [config->id];
    self->connections = fleet->connections < 1? 1: fleet->connections > 8? 8: fleet->connections;
    self->links = calloc ((size_t) (config->n > 0? config->n: 1), sizeof (s_link_t));
    if (!self->links)
        return s_fail (&self, rc, 1, err, err_size, "out of memory");
    if (ss_fleet_check_ports (fleet, err, err_size))
        return s_fail (&self, rc, 2, err, err_size, NULL);

    //  Keys: ours, the neighbours' and the coordinator's, and the handler
    //  admitting the neighbours. The handler is bound before any server
    //  socket (libzmq admits every client of a server without one).
    char name [64];
    zcert_t *coord_cert = NULL;
    zcert_t *peer_certs [1024] = { NULL };
    if (config->n > 1024)
        return s_fail (&self, rc, 2, err, err_size, "%s: agent %d has %d neighbours: at "
                       "most 1024", fleet->path, config->id, config->n);
    if (!config->insecure) {
        ss_keys_name (config->id, name, sizeof name);
        self->cert = ss_keys_load_secret (fleet, name, err, err_size);
        if (!self->cert)
            return s_fail (&self, rc, 2, err, err_size, NULL);
        coord_cert = ss_keys_load_public (fleet, "coordinator", err, err_size);
        for (int p = 0; coord_cert && p < config->n; p++) {
            ss_keys_name (config->ids [p], name, sizeof name);
            peer_certs [p] = ss_keys_load_public (fleet, name, err, err_size);
            if (!peer_certs [p])
                zcert_destroy (&coord_cert);
        }
        if (coord_cert)
            self->zap = ss_keys_zap_new (fleet, config->id, config->verbose, err, err_size);
        if (!self->zap || !ss_zap_socket (self->zap)) {
            if (self->zap)
                snprintf (err, err_size, "cannot bind the ZAP handler at %s", SS_ZAP_ENDPOINT);
            zcert_destroy (&coord_cert);
            for (int p = 0; p < config->n; p++)
                zcert_destroy (&peer_certs [p]);
            return s_fail (&self, rc, 2, err, err_size, NULL);
        }
    }
    int code = 0;
    //  The ROUTER: our address only, and ipc:// for neighbours on our host
    char address [256];
    if (s_bind_address (me->host, address, sizeof address)) {
        code = 2;
        snprintf (err, err_size, "%s: agents/host: cannot resolve '%s' (agent %d)",
                  fleet->path, me->host, config->id);
        goto done;
    }
    bool any_ipc = false;
    bool any_tcp = false;
    for (int p = 0; p < config->n; p++) {
        const ss_agent_spec_t *spec = &fleet->agents [config->ids [p]];
        self->links [p].id = config->ids [p];
        self->links [p].ipc = fleet->transport == SS_TRANSPORT_AUTO
                           && streq (spec->host, me->host);
        any_ipc |= self->links [p].ipc;
        any_tcp |= !self->links [p].ipc;
    }
    self->router = zsock_new (ZMQ_ROUTER);
    self->coord = zsock_new (ZMQ_DEALER);
    //  The kernel refuses less than 5 ms (it counts in ticks of 4 ms)
    ss_tcpopt_t opt = { .rto_min_us = fleet->rto_min_ms > 0 && fleet->rto_min_ms < 5?
                                      5000: fleet->rto_min_ms * 1000,
                        .delack_max_us = fleet->delack_max_ms > 0 && fleet->delack_max_ms < 5?
                                         5000: fleet->delack_max_ms * 1000,
                        .rto_max_ms = fleet->rto_max_ms > 0 && fleet->rto_max_ms < 1000?
                                      1000: fleet->rto_max_ms,
                        .thin_linear = fleet->rto_min_ms > 0 };
    self->tune = ss_tcptune_new (&opt);
    if (!self->router || !self->coord || !self->tune) {
        code = 1;
        snprintf (err, err_size, "cannot create sockets");
        goto done;
    }
    int hwm = 16 * self->connections * (config->n > 0? config->n: 1);
    zsock_set_rcvhwm (self->router, hwm < 256? 256: hwm);
    zsock_set_maxmsgsize (self->router, (int) config->max_frame);
    zsock_set_handshake_ivl (self->router, S_HANDSHAKE_MS);
    zsock_set_backlog (self->router, S_BACKLOG);
    s_keepalive (self->router, fleet);
    //  At most twice what the neighbours need, plus room, per remote address
    self->router_monitor = ss_tcptune_watch_accepts (self->tune, self->router,
        ss_connlimit_bound (config->n * self->connections));
    if (!config->insecure)
        ss_keys_apply_server (self->router, self->cert);
    if (zsock_bind (self->router, "tcp://%s:%d", address, me->port) < 0) {
        code = 1;
        snprintf (err, err_size, "cannot bind tcp://%s:%d: %s", address, me->port,
                  zmq_strerror (zmq_errno ()));
        goto done;
    }
    size_t used = (size_t) snprintf (self->endpoints, sizeof self->endpoints,
                                     "tcp://%s:%d", address, me->port);
    if (any_ipc) {
        char ipc [128];
        s_ipc_endpoint (config->fleet_id, me, ipc, sizeof ipc);
        if (zsock_bind (self->router, "%s", ipc) < 0) {
            code = 1;
            snprintf (err, err_size, "cannot bind %s: %s", ipc, zmq_strerror (zmq_errno ()));
            goto done;
        }
        snprintf (self->endpoints + used, sizeof self->endpoints - used, " %s", ipc);
    }
    //  Sealed datagrams to the tcp:// neighbours (links/datagrams), on the
    //  UDP port of our TCP port's number. Without it (the port taken) the
    //  fleet runs as with links/datagrams = 0: said, not fatal
    if (!config->insecure && fleet->datagrams > 0 && any_tcp) {
        char why [256];
        self->datagram = ss_datagram_new (address, me->port, config->id,
                                          zcert_secret_key (self->cert), config->n,
                                          why, sizeof why);
        for (int p = 0; self->datagram && p < config->n; p++) {
            const ss_agent_spec_t *spec = &fleet->agents [config->ids [p]];
            if (!self->links [p].ipc
            &&  ss_datagram_peer (self->datagram, p, config->ids [p],
                                  zcert_public_key (peer_certs [p]), spec->host, spec->port,
                                  why, sizeof why))
                ss_datagram_destroy (&self->datagram);
        }
        if (!self->datagram)
            zsys_warning ("%s: links/datagrams off for this agent", why);
    }
    //  The neighbours' connections
    for (int p = 0; p < config->n; p++) {
        const ss_agent_spec_t *spec = &fleet->agents [config->ids [p]];
        char endpoint [300];
        if (self->links [p].ipc)
            s_ipc_endpoint (config->fleet_id, spec, endpoint, sizeof endpoint);
        else
            snprintf (endpoint, sizeof endpoint, "tcp://%s:%d", spec->host, spec->port);
        //  A local socket loses nothing and never stalls behind a lost
        //  segment: one connection over ipc://
        self->links [p].connections = self->links [p].ipc? 1: self->connections;
        for (int c = 0; c < self->links [p].connections; c++) {
            zsock_t *dealer = self->links [p].dealers [c] = zsock_new (ZMQ_DEALER);
            if (!dealer) {
                code = 1;
                snprintf (err, err_size, "cannot create a socket");
                goto done;
            }
            //  ... and its queue may be deeper (a burst of an estimate and
            //  repair heartbeats filled a queue of 2 and dropped the
            //  estimate; rounds then waited for the heartbeat timer)
            zsock_set_sndhwm (dealer, self->links [p].ipc? S_IPC_HWM: S_NEIGHBOUR_HWM);
            if (!self->links [p].ipc)
                zsock_set_sndbuf (dealer, S_NEIGHBOUR_BUF);
            zsock_set_rcvhwm (dealer, 1);
            zsock_set_maxmsgsize (dealer, S_DEALER_MAXMSG);
            zsock_set_immediate (dealer, 1);
            zsock_set_linger (dealer, 0);
            zsock_set_reconnect_ivl (dealer, S_RECONNECT_MS);
            zsock_set_reconnect_ivl_max (dealer, S_RECONNECT_MAX);
            s_keepalive (dealer, fleet);
            self->links [p].watch [c] = -1;
            if (!self->links [p].ipc && ss_tcptune_watch (self->tune, dealer))
                self->links [p].watch [c] = ss_tcptune_size (self->tune) - 1;
            if (!config->insecure)
                ss_keys_apply_client (dealer, self->cert, zcert_public_txt (peer_certs [p]));
            if (zsock_connect (dealer, "%s", endpoint)) {
                code = 1;
                snprintf (err, err_size, "cannot connect to %s: %s", endpoint,
                          zmq_strerror (zmq_errno ()));
                goto done;
            }
        }
    }
    //  The coordinator's link (libzmq's routing id: the coordinator knows
    //  us by our key, not by a name we could claim)
    zsock_set_sndhwm (self->coord, 1000);
    zsock_set_rcvhwm (self->coord, 100);
    zsock_set_maxmsgsize (self->coord, SS_PROTO_MAX_FRAME);
    //  Not ZMQ_IMMEDIATE: what we send before the link is up (a coordinator
    //  starved of CPU by 500 agents takes seconds to accept their CURVE
    //  handshakes, longer than a fast region of the ring takes to run all
    //  its rounds) waits in the queue (sndhwm; sends never block) instead
    //  of being dropped: no report is lost to a slow start
    zsock_set_immediate (self->coord, 0);
    zsock_set_linger (self->coord, 0);
    s_keepalive (self->coord, fleet);
    self->coord_watch = -1;
    if (strncmp (fleet->coordinator, "tcp://", 6) == 0 && ss_tcptune_watch (self->tune, self->coord))
        self->coord_watch = ss_tcptune_size (self->tune) - 1;
    if (!config->insecure)
        ss_keys_apply_client (self->coord, self->cert, zcert_public_txt (coord_cert));
    char coord [300];
    const char *star = strstr (fleet->coordinator, "://*:");
    if (star)
        snprintf (coord, sizeof coord, "%.*s://127.0.0.1:%s", (int) (star - fleet->coordinator),
                  fleet->coordinator, star + 5);
    else
        snprintf (coord, sizeof coord, "%s", fleet->coordinator);
    if (zsock_connect (self->coord, "%s", coord)) {
        code = 2;
        snprintf (err, err_size, "%s: coordinator/endpoint: cannot connect to %s",
                  fleet->path, coord);
        goto done;
    }
done:
    zcert_destroy (&coord_cert);
    for (int p = 0; p < config->n; p++)
        zcert_destroy (&peer_certs [p]);
    if (code)
        return s_fail (&self, rc, code, err, err_size, NULL);
    *rc = 0;
    return self;
}

zsock_t *
ss_links_router (ss_links_t *self)
{
    return self->router;
}

long
ss_links_coordinator_unacked (ss_links_t *self)
{
    return ss_tcptune_unacked (self->tune, self->coord_watch);
}

zsock_t *
ss_links_coordinator (ss_links_t *self)
{
    return self->coord;
}

ss_zap_t *
ss_links_zap (ss_links_t *self)
{
    return self->zap;
}

zsock_t *
ss_links_router_monitor (ss_links_t *self)
{
    return self->router_monitor;
}

int
ss_links_connections (ss_links_t *self, int p)
{
    return p < 0? self->connections: self->links [p].connections;
}

zsock_t *
ss_links_dealer (ss_links_t *self, int p, int c)
{
    return self->links [p].dealers [c];
}

ss_datagram_t *
ss_links_datagram (ss_links_t *self)
{
    return self->datagram;
}

ss_tcptune_t *
ss_links_tune (ss_links_t *self)
{
    return self->tune;
}

const char *
ss_links_endpoints (ss_links_t *self)
{
    return self->endpoints;
}

const char *
ss_links_transport (ss_links_t *self, int p)
{
    return self->links [p].ipc? "ipc": "tcp";
}

int
ss_links_send (ss_links_t *self, int p, int c, int span, const void *data, size_t size,
               int copies, int *extra, int *stalls, int *losses)
{
    int C = self->links [p].connections, first = -1, sent = 0;
    span = span < 1? 1: span > C? C: span;
    c = c < 0? 0: c % span;
    //  The order: the span from c on, then the other connections
    int order [S_MAX_CONNECTIONS];
    bool stalled [S_MAX_CONNECTIONS];
    if (stalls)
        *stalls = 0;
    if (losses)
        *losses = 0;
    for (int i = 0; i < C; i++) {
        order [i] = i < span? (c + i) % span: i;
        //  Outside the span a connection carries nothing (heartbeats go on
        //  the span too): nothing to retransmit, no TCP_INFO to ask for
        int how = i < span? ss_tcptune_stalled (self->tune, self->links [p].watch [order [i]]): 0;
        //  Merely unacknowledged (a delayed acknowledgement, maybe) counts
        //  only on a link in use whole (seen losing packets): on a lossless
        //  link passing it over spread the estimates over idle connections,
        //  each with acknowledgements of its own to wait for
        stalled [i] = (how & SS_TCP_RETRANSMITTING) || ((how & SS_TCP_UNACKED) && span == C);
        if (stalls && (how & SS_TCP_RETRANSMITTING))
            (*stalls)++;
        if (losses && (how & SS_TCP_LOST))
            (*losses)++;
    }
    //  Pass 0: connections not stalled; pass 1: the stalled ones
    for (int pass = 0; pass < 2 && sent < copies; pass++)
        for (int tries = 0; tries < C && sent < copies; tries++) {
            int use = order [tries];
            if (stalled [tries] != (pass == 1))
                continue;
            if (zmq_send (zsock_resolve (self->links [p].dealers [use]), data, size,
                          ZMQ_DONTWAIT) < 0)
                continue;
            if (first < 0)
                first = use;
            sent++;
        }
    if (extra)
        *extra = sent > 0? sent - 1: 0;
    return first;
}

int
ss_links_send_coordinator (ss_links_t *self, const void *data, size_t size)
{
    return zmq_send (zsock_resolve (self->coord), data, size, ZMQ_DONTWAIT) < 0? -1: 0;
}

int
ss_links_recv (ss_links_t *self, zsock_t *sock, zmq_msg_t *body, const char **name)
{
    (void) self;
    void *handle = zsock_resolve (sock);
    *name = NULL;
    zmq_msg_init (body);
    if (zmq_msg_recv (body, handle, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (body);
        return 0;
    }
    bool shape = true;
    if (zsock_type (sock) == ZMQ_ROUTER) {
        //  The routing id, then exactly one body frame
        shape = zmq_msg_more (body);
        if (shape) {
            zmq_msg_close (body);
            zmq_msg_init (body);
            shape = zmq_msg_recv (body, handle, ZMQ_DONTWAIT) >= 0;
        }
    }
    if (shape && zmq_msg_more (body))
        shape = false;
    if (!shape) {
        //  Read the rest of the message and drop it all
        while (zmq_msg_more (body)) {
            zmq_msg_close (body);
            zmq_msg_init (body);
            if (zmq_msg_recv (body, handle, ZMQ_DONTWAIT) < 0)
                break;
        }
        zmq_msg_close (body);
        return -1;
    }
    *name = zmq_msg_gets (body, "User-Id");
    return 1;
}

void
ss_links_set_linger (ss_links_t *self, int msecs, int coord_msecs)
{
    for (int p = 0; p < self->config.n; p++)
        for (int c = 0; c < self->links [p].connections; c++)
            zsock_set_linger (self->links [p].dealers [c], msecs);
    zsock_set_linger (self->coord, coord_msecs);
}
