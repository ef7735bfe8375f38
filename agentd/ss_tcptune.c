/*  ss_tcptune: TCP options per connection, through ZeroMQ's socket monitor. */
#include "ss_tcptune.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

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
    zsock_t *watched [S_MAX_WATCHED];   //  the socket each monitor watches
    int fds [S_MAX_WATCHED];    //  its last connection's descriptor, or -1
    ss_tcploss_t loss [S_MAX_WATCHED];  //  that connection's retransmissions judged
    ss_connlimit_t *limits [S_MAX_WATCHED];     //  accepted ones per address, or NULL
    int n;
    uint64_t tuned, refused;
    int said;                   //  refusal bits already logged
    int64_t warned;             //  when a refused connection was last logged
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
    for (int i = 0; i < self->n; i++) {
        zsock_destroy (&self->monitors [i]);
        ss_connlimit_destroy (&self->limits [i]);
    }
    free (self);
    *self_p = NULL;
}

void
ss_tcptune_stop (ss_tcptune_t *self)
{
    for (int i = 0; self && i < self->n; i++)
        if (self->watched [i]) {
            zmq_socket_monitor (zsock_resolve (self->watched [i]), NULL, 0);
            self->watched [i] = NULL;
        }
}

bool
ss_tcptune_active (ss_tcptune_t *self)
{
    return self->opt.rto_min_us > 0 || self->opt.delack_max_us > 0 || self->opt.rto_max_ms > 0
        || self->opt.thin_linear;
}

static zsock_t *s_watch (ss_tcptune_t *self, zsock_t *sock);

zsock_t *
ss_tcptune_watch (ss_tcptune_t *self, zsock_t *sock)
{
    if (!ss_tcptune_active (self))
        return NULL;
    return s_watch (self, sock);
}

zsock_t *
ss_tcptune_watch_accepts (ss_tcptune_t *self, zsock_t *sock, int limit)
{
    ss_connlimit_t *table = ss_connlimit_new (limit);
    zsock_t *monitor = table? s_watch (self, sock): NULL;
    if (!monitor) {
        ss_connlimit_destroy (&table);
        return NULL;
    }
    self->limits [self->n - 1] = table;
    return monitor;
}

static zsock_t *
s_watch (ss_tcptune_t *self, zsock_t *sock)
{
    if (self->n == S_MAX_WATCHED)
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
    self->watched [self->n] = sock;
    self->monitors [self->n++] = monitor;
    return monitor;
}

//  The remote address of an accepted TCP connection fd, as text, when fd
//  is that (its local port is the one the event's endpoint names: a
//  descriptor closed and reused since is not); false otherwise
static bool
s_accepted_address (int fd, const char *endpoint, char *address, size_t size)
{
    struct sockaddr_storage local, peer;
    socklen_t llen = sizeof local, plen = sizeof peer;
    if (getsockname (fd, (struct sockaddr *) &local, &llen)
    ||  getpeername (fd, (struct sockaddr *) &peer, &plen))
        return false;
    const char *colon = strrchr (endpoint, ':');
    long port = colon? strtol (colon + 1, NULL, 10): -1;
    const void *raw;
    int local_port;
    if (peer.ss_family == AF_INET && local.ss_family == AF_INET) {
        raw = &((struct sockaddr_in *) &peer)->sin_addr;
        local_port = ntohs (((struct sockaddr_in *) &local)->sin_port);
    }
    else
    if (peer.ss_family == AF_INET6 && local.ss_family == AF_INET6) {
        raw = &((struct sockaddr_in6 *) &peer)->sin6_addr;
        local_port = ntohs (((struct sockaddr_in6 *) &local)->sin6_port);
    }
    else
        return false;           //  not TCP (ipc://): not limited
    return local_port == port && inet_ntop (peer.ss_family, raw, address, (socklen_t) size);
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
        char endpoint [128] = "";
        for (int part = 0; zmq_msg_more (&frame); part++) {
            zmq_msg_close (&frame);
            zmq_msg_init (&frame);
            if (zmq_msg_recv (&frame, handle, ZMQ_DONTWAIT) < 0)
                break;
            size_t size = zmq_msg_size (&frame);
            if (part == 0 && size < sizeof endpoint) {
                memcpy (endpoint, zmq_msg_data (&frame), size);
                endpoint [size] = 0;
            }
        }
        zmq_msg_close (&frame);
        ss_connlimit_t *limit = i < self->n? self->limits [i]: NULL;
        if (ok && i < self->n && (event & (ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED))) {
            if (self->fds [i] == (int) value)
                self->fds [i] = -1;
            if (limit)
                ss_connlimit_close (limit, (int) value);
        }
        char address [SS_CONNLIMIT_ADDRESS];
        if (ok && limit && (event & ZMQ_EVENT_ACCEPTED)
        &&  s_accepted_address ((int) value, endpoint, address, sizeof address)
        &&  !ss_connlimit_accept (limit, (int) value, address)) {
            //  Over the bound: libzmq sees the end of the stream and closes it
            shutdown ((int) value, SHUT_RDWR);
            int64_t now = zclock_mono ();
            if (self->warned == 0 || now - self->warned >= 1000) {
                self->warned = now;
                zsys_warning ("refused a connection from %s: %d open from there, the "
                              "bound (%llu refused so far)", address,
                              ss_connlimit_count (limit, address),
                              (unsigned long long) ss_connlimit_refused (limit));
            }
            continue;
        }
        if (!ok || !(event & (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_ACCEPTED)))
            continue;
        int missed = ss_tcpopt_apply ((int) value, &self->opt);
        if (missed & SS_TCPOPT_NOT_TCP)
            continue;
        if (i < self->n && (event & ZMQ_EVENT_CONNECTED)) {
            self->fds [i] = (int) value;
            self->loss [i] = (ss_tcploss_t) { 0 };
        }
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

//  The kernel's tcp_info up to tcpi_dsack_dups: glibc's ends at
//  tcpi_total_retrans, the kernel's grows at its end only (linux/tcp.h,
//  which cannot be included beside netinet/tcp.h)
typedef struct {
    struct tcp_info base;
    uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
    uint32_t segs_out, segs_in, notsent_bytes, min_rtt, data_segs_in, data_segs_out;
    uint64_t delivery_rate, busy_time, rwnd_limited, sndbuf_limited;
    uint32_t delivered, delivered_ce;
    uint64_t bytes_sent, bytes_retrans;
    uint32_t dsack_dups;
} s_tcp_info_t;
_Static_assert (offsetof (s_tcp_info_t, dsack_dups) == 216, "tcp_info layout");

bool
ss_tcploss_judge (ss_tcploss_t *self, int64_t now, uint32_t total_retrans,
                  uint32_t dsack_dups)
{
    bool lost = false;
    if (self->pending_at == 0) {
        //  The first look: what came before it is history, not news
        self->judged = total_retrans > dsack_dups? total_retrans - dsack_dups: 0;
        self->pending = total_retrans;
        self->pending_at = now? now: 1;
    }
    else
    if (now - self->pending_at >= SS_TCPLOSS_JUDGE_MS) {
        //  Retransmissions at least JUDGE_MS old, less those shown spurious
        uint32_t real = self->pending > dsack_dups? self->pending - dsack_dups: 0;
        if (real > self->judged) {
            lost = true;
            self->judged = real;
        }
        self->pending = total_retrans;
        self->pending_at = now;
    }
    return lost;
}

int
ss_tcpopt_stalled (int fd)
{
    return ss_tcpopt_judge (fd, 0, NULL);
}

//  TCP_INFO of fd into ext: the bytes the kernel filled, 0 when fd is not
//  a TCP connection
static socklen_t
s_tcp_info (int fd, s_tcp_info_t *ext)
{
    socklen_t len = sizeof *ext;
    memset (ext, 0, sizeof *ext);
    if (fd < 0 || getsockopt (fd, IPPROTO_TCP, TCP_INFO, ext, &len))
        return 0;
    return len;
}

int
ss_tcpopt_judge (int fd, int64_t now, ss_tcploss_t *record)
{
    s_tcp_info_t ext;
    const struct tcp_info *info = &ext.base;
    socklen_t len = s_tcp_info (fd, &ext);
    if (len < 32)
        return 0;
    int lost = 0;
    if (record && len >= offsetof (s_tcp_info_t, dsack_dups) + sizeof ext.dsack_dups
    &&  ss_tcploss_judge (record, now, info->tcpi_total_retrans, ext.dsack_dups))
        lost = SS_TCP_LOST;
    //  Retransmitting: a timeout fired, or fast recovery
    if (info->tcpi_ca_state >= TCP_CA_Recovery || info->tcpi_retransmits > 0)
        return lost | SS_TCP_RETRANSMITTING;
    //  Data in flight unacknowledged for two round trips and 2 ms: maybe a
    //  lost segment whose timeout has not fired yet, maybe an acknowledgement
    //  delayed (up to delack_max): worth passing over, no proof of loss
    if (info->tcpi_unacked > 0 && info->tcpi_last_ack_recv >= 2 + 2 * info->tcpi_rtt / 1000)
        return lost | SS_TCP_UNACKED;
    return lost;
}

int
ss_tcptune_stalled (ss_tcptune_t *self, int i)
{
    return i >= 0 && i < self->n? ss_tcpopt_judge (self->fds [i], zclock_mono (),
                                                   &self->loss [i]): 0;
}

long
ss_tcpopt_unacked (int fd)
{
    s_tcp_info_t ext;
    int queued = 0;
    if (s_tcp_info (fd, &ext) == 0
    ||  ext.base.tcpi_state != TCP_ESTABLISHED || ioctl (fd, SIOCOUTQ, &queued))
        return 0;
    return queued;
}

long
ss_tcptune_unacked (ss_tcptune_t *self, int i)
{
    return i >= 0 && i < self->n? ss_tcpopt_unacked (self->fds [i]): 0;
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

uint64_t
ss_tcptune_limited (ss_tcptune_t *self)
{
    uint64_t refused = 0;
    for (int i = 0; i < self->n; i++)
        if (self->limits [i])
            refused += ss_connlimit_refused (self->limits [i]);
    return refused;
}
