/*  ss_links: an agent's sockets (see ss_links.h). */

#include <arpa/inet.h>
#include <stdarg.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include "ss_links.h"
#include "ss_keys.h"
#include "ss_proto.h"

#define S_HANDSHAKE_MS   10000  //  an unauthenticated handshake is dropped after
#define S_NEIGHBOUR_HWM  16     //  frames queued per outbound connection
#define S_DEALER_MAXMSG  256    //  nothing legitimate comes back on a DEALER
#define S_RECONNECT_MS   100
#define S_RECONNECT_MAX  2000

typedef struct {
    int id;
    bool ipc;
    zsock_t *dealers [8];
} s_link_t;

struct ss_links_t {
    ss_links_config_t config;
    int connections;
    s_link_t *links;
    zsock_t *router;
    zsock_t *coord;
    ss_zap_t *zap;
    zcert_t *cert;
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

//  ZMTP heartbeats: a connection that carries nothing for lost_after_ms is
//  closed (and a DEALER reconnects) instead of queueing into it for ever
static void
s_keepalive (zsock_t *sock, const ss_fleet_t *fleet)
{
    zsock_set_heartbeat_ivl (sock, fleet->heartbeat_ms);
    zsock_set_heartbeat_timeout (sock, fleet->lost_after_ms);
    //  ZMTP carries the TTL in deciseconds, 16 bits
    zsock_set_heartbeat_ttl (sock, fleet->lost_after_ms < 6553500? fleet->lost_after_ms: 6553500);
}

void
ss_links_destroy (ss_links_t **self_p)
{
    ss_links_t *self = *self_p;
    if (!self)
        return;
    for (int p = 0; self->links && p < self->config.n; p++)
        for (int c = 0; c < self->connections; c++)
            zsock_destroy (&self->links [p].dealers [c]);
    free (self->links);
    zsock_destroy (&self->coord);
    zsock_destroy (&self->router);
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
    for (int p = 0; p < config->n; p++) {
        const ss_agent_spec_t *spec = &fleet->agents [config->ids [p]];
        self->links [p].id = config->ids [p];
        self->links [p].ipc = fleet->transport == SS_TRANSPORT_AUTO
                           && streq (spec->host, me->host);
        any_ipc |= self->links [p].ipc;
    }
    self->router = zsock_new (ZMQ_ROUTER);
    self->coord = zsock_new (ZMQ_DEALER);
    if (!self->router || !self->coord) {
        code = 1;
        snprintf (err, err_size, "cannot create sockets");
        goto done;
    }
    int hwm = 16 * self->connections * (config->n > 0? config->n: 1);
    zsock_set_rcvhwm (self->router, hwm < 256? 256: hwm);
    zsock_set_maxmsgsize (self->router, (int) config->max_frame);
    zsock_set_handshake_ivl (self->router, S_HANDSHAKE_MS);
    //  No ZMTP heartbeats on the ROUTER: libzmq 4.3.4 aborts
    //  (`Assertion failed: !_io_error (src/stream_engine_base.cpp:331)`,
    //  zeromq/libzmq#4364) when a heartbeat timer fires on a connection
    //  whose input stopped because its socket is closing while the peer
    //  still sends: at exit, with neighbours heartbeating to us (1 agent
    //  of 500 per run here). Liveness is our HEARTBEATs'; the DEALERs, which
    //  receive nothing, keep ZMTP heartbeats (they answer PINGs regardless)
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
    //  The neighbours' connections
    for (int p = 0; p < config->n; p++) {
        const ss_agent_spec_t *spec = &fleet->agents [config->ids [p]];
        char endpoint [300];
        if (self->links [p].ipc)
            s_ipc_endpoint (config->fleet_id, spec, endpoint, sizeof endpoint);
        else
            snprintf (endpoint, sizeof endpoint, "tcp://%s:%d", spec->host, spec->port);
        for (int c = 0; c < self->connections; c++) {
            zsock_t *dealer = self->links [p].dealers [c] = zsock_new (ZMQ_DEALER);
            if (!dealer) {
                code = 1;
                snprintf (err, err_size, "cannot create a socket");
                goto done;
            }
            zsock_set_sndhwm (dealer, S_NEIGHBOUR_HWM);
            zsock_set_rcvhwm (dealer, 1);
            zsock_set_maxmsgsize (dealer, S_DEALER_MAXMSG);
            zsock_set_immediate (dealer, 1);
            zsock_set_linger (dealer, 0);
            zsock_set_reconnect_ivl (dealer, S_RECONNECT_MS);
            zsock_set_reconnect_ivl_max (dealer, S_RECONNECT_MAX);
            s_keepalive (dealer, fleet);
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
    //  The coordinator's link: our name as routing id
    ss_keys_name (config->id, name, sizeof name);
    zsock_set_identity (self->coord, name);
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

int
ss_links_connections (ss_links_t *self)
{
    return self->connections;
}

zsock_t *
ss_links_dealer (ss_links_t *self, int p, int c)
{
    return self->links [p].dealers [c];
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
ss_links_send (ss_links_t *self, int p, int c, const void *data, size_t size)
{
    for (int tries = 0; tries < self->connections; tries++) {
        int use = (c + tries) % self->connections;
        if (zmq_send (zsock_resolve (self->links [p].dealers [use]), data, size,
                      ZMQ_DONTWAIT) >= 0)
            return use;
    }
    return -1;
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
        for (int c = 0; c < self->connections; c++)
            zsock_set_linger (self->links [p].dealers [c], msecs);
    zsock_set_linger (self->coord, coord_msecs);
}
