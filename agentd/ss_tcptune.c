/*  ss_tcptune: TCP options per connection, through ZeroMQ's socket monitor. */
#include "ss_tcptune.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

//  Linux 6.15's per-socket options (include/uapi/linux/tcp.h); older
//  headers lack them, older kernels refuse them (ENOPROTOOPT)
#ifndef TCP_RTO_MIN_US
#   define TCP_RTO_MIN_US 45
#endif
#ifndef TCP_DELACK_MAX_US
#   define TCP_DELACK_MAX_US 46
#endif
#ifndef TCP_RTO_MAX_MS
#   define TCP_RTO_MAX_MS 44
#endif

#define S_MAX_WATCHED 1024

struct ss_tcptune_t {
    ss_tcpopt_t opt;
    zsock_t *monitors [S_MAX_WATCHED];
    int fds [S_MAX_WATCHED];    //  its last connection's descriptor, or -1
    int n;
    uint64_t tuned, refused;
    int said;                   //  refusal bits already logged
};

int
ss_tcpopt_apply (int fd, const ss_tcpopt_t *opt)
{
    int type = 0;
    struct sockaddr_storage addr;
    socklen_t len = sizeof type, alen = sizeof addr;
    if (getsockopt (fd, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_STREAM
    ||  getsockname (fd, (struct sockaddr *) &addr, &alen)
    ||  (addr.ss_family != AF_INET && addr.ss_family != AF_INET6))
        return SS_TCPOPT_NOT_TCP;
    int missed = 0;
    if (opt->rto_min_us > 0
    &&  setsockopt (fd, IPPROTO_TCP, TCP_RTO_MIN_US, &opt->rto_min_us, sizeof (int)))
        missed |= SS_TCPOPT_NO_RTO_MIN;
    if (opt->delack_max_us > 0
    &&  setsockopt (fd, IPPROTO_TCP, TCP_DELACK_MAX_US, &opt->delack_max_us, sizeof (int)))
        missed |= SS_TCPOPT_NO_DELACK_MAX;
    if (opt->rto_max_ms > 0
    &&  setsockopt (fd, IPPROTO_TCP, TCP_RTO_MAX_MS, &opt->rto_max_ms, sizeof (int)))
        missed |= SS_TCPOPT_NO_RTO_MAX;
    int one = 1;
    if (opt->thin_linear
    &&  setsockopt (fd, IPPROTO_TCP, TCP_THIN_LINEAR_TIMEOUTS, &one, sizeof one))
        missed |= SS_TCPOPT_NO_THIN;
    return missed;
}

ss_tcptune_t *
ss_tcptune_new (const ss_tcpopt_t *opt)
{
    ss_tcptune_t *self = calloc (1, sizeof (ss_tcptune_t));
    if (self)
        self->opt = *opt;
    return self;
}

void
ss_tcptune_destroy (ss_tcptune_t **self_p)
{
    ss_tcptune_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->n; i++)
        zsock_destroy (&self->monitors [i]);
    free (self);
    *self_p = NULL;
}

bool
ss_tcptune_active (ss_tcptune_t *self)
{
    return self->opt.rto_min_us > 0 || self->opt.delack_max_us > 0 || self->opt.rto_max_ms > 0
        || self->opt.thin_linear;
}

zsock_t *
ss_tcptune_watch (ss_tcptune_t *self, zsock_t *sock)
{
    if (!ss_tcptune_active (self) || self->n == S_MAX_WATCHED)
        return NULL;
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://ss-tcptune-%p", (void *) sock);
    if (zmq_socket_monitor (zsock_resolve (sock), endpoint,
                            ZMQ_EVENT_CONNECTED | ZMQ_EVENT_ACCEPTED
                          | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED))
        return NULL;
    zsock_t *monitor = zsock_new (ZMQ_PAIR);
    if (!monitor)
        return NULL;
    zsock_set_linger (monitor, 0);
    zsock_set_rcvhwm (monitor, 1000);
    if (zsock_connect (monitor, "%s", endpoint)) {
        zsock_destroy (&monitor);
        return NULL;
    }
    self->fds [self->n] = -1;
    self->monitors [self->n++] = monitor;
    return monitor;
}

int
ss_tcptune_drain (ss_tcptune_t *self, zsock_t *monitor)
{
    int tuned = 0, i = 0;
    while (i < self->n && self->monitors [i] != monitor)
        i++;
    void *handle = zsock_resolve (monitor);
    //  Each event: [uint16 event, uint32 value] and the endpoint's frame
    for (int guard = 0; guard < 1000; guard++) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&frame);
            break;
        }
        uint16_t event = 0;
        uint32_t value = 0;
        bool ok = zmq_msg_size (&frame) == 6;
        if (ok) {
            memcpy (&event, zmq_msg_data (&frame), 2);
            memcpy (&value, (uint8_t *) zmq_msg_data (&frame) + 2, 4);
        }
        while (zmq_msg_more (&frame)) {
            zmq_msg_close (&frame);
            zmq_msg_init (&frame);
            if (zmq_msg_recv (&frame, handle, ZMQ_DONTWAIT) < 0)
                break;
        }
        zmq_msg_close (&frame);
        if (ok && i < self->n && (event & (ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED))
        &&  self->fds [i] == (int) value)
            self->fds [i] = -1;
        if (!ok || !(event & (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_ACCEPTED)))
            continue;
        int missed = ss_tcpopt_apply ((int) value, &self->opt);
        if (missed & SS_TCPOPT_NOT_TCP)
            continue;
        if (i < self->n && (event & ZMQ_EVENT_CONNECTED))
            self->fds [i] = (int) value;
        self->tuned++;
        tuned++;
        for (int bit = 1; bit <= SS_TCPOPT_NO_RTO_MAX; bit <<= 1)
            if (missed & bit) {
                self->refused++;
                if (!(self->said & bit))
                    zsys_info ("this kernel refuses %s: TCP's default there",
                               bit == SS_TCPOPT_NO_RTO_MIN? "TCP_RTO_MIN_US (Linux >= 6.15)":
                               bit == SS_TCPOPT_NO_DELACK_MAX? "TCP_DELACK_MAX_US (Linux >= 6.15)":
                               bit == SS_TCPOPT_NO_RTO_MAX? "TCP_RTO_MAX_MS (Linux >= 6.15)":
                               "TCP_THIN_LINEAR_TIMEOUTS");
                self->said |= bit;
            }
    }
    return tuned;
}

int
ss_tcpopt_stalled (int fd)
{
    struct tcp_info info;
    socklen_t len = sizeof info;
    memset (&info, 0, sizeof info);
    if (fd < 0 || getsockopt (fd, IPPROTO_TCP, TCP_INFO, &info, &len) || len < 32)
        return 0;
    //  Retransmitting: a timeout fired, or fast recovery
    if (info.tcpi_ca_state >= TCP_CA_Recovery || info.tcpi_retransmits > 0)
        return SS_TCP_RETRANSMITTING;
    //  Data in flight unacknowledged for two round trips and 2 ms: maybe a
    //  lost segment whose timeout has not fired yet, maybe an acknowledgement
    //  delayed (up to delack_max): worth passing over, no proof of loss
    if (info.tcpi_unacked > 0 && info.tcpi_last_ack_recv >= 2 + 2 * info.tcpi_rtt / 1000)
        return SS_TCP_UNACKED;
    return 0;
}

int
ss_tcptune_stalled (ss_tcptune_t *self, int i)
{
    return i >= 0 && i < self->n? ss_tcpopt_stalled (self->fds [i]): 0;
}

int
ss_tcptune_size (ss_tcptune_t *self)
{
    return self->n;
}

zsock_t *
ss_tcptune_monitor (ss_tcptune_t *self, int i)
{
    return i >= 0 && i < self->n? self->monitors [i]: NULL;
}

uint64_t
ss_tcptune_tuned (ss_tcptune_t *self)
{
    return self->tuned;
}

uint64_t
ss_tcptune_refused (ss_tcptune_t *self)
{
    return self->refused;
}
