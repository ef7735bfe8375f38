/*  ss_tcptune: the TCP options ZeroMQ has none for, set on each connection
    of a socket as it is made or accepted.

    On a lossy link a lost segment stalls its TCP connection until the
    sender retransmits: after the retransmission timeout, at least 200 ms
    by default (and doubled at each further loss), 50 to 100 of a fleet's
    rounds. Linux >= 6.15 lets a program choose, per socket, the
    retransmission timeout's floor (TCP_RTO_MIN_US) and how long the
    receiver may delay an acknowledgement (TCP_DELACK_MAX_US, so the
    sender's round-trip estimate and its timeout stay short); linear
    timeouts for thin streams (TCP_THIN_LINEAR_TIMEOUTS, any kernel) stop
    the doubling for the first retransmissions of a connection with few
    segments in flight, which is what a fleet's links are; after those the
    timeouts double up to the ceiling, which Linux >= 6.15 also lets a
    program lower per socket (TCP_RTO_MAX_MS, at least 1 s; the kernel's
    is 120 s: at 30% loss a connection was seen waiting 13 s). Nothing is
    changed for the rest of the host (no route or sysctl).

    ZeroMQ makes and accepts the connections in its I/O thread; its socket
    monitor reports each one with the descriptor (ZMQ_EVENT_CONNECTED,
    ZMQ_EVENT_ACCEPTED), which the reactor reads from the monitor's PAIR
    socket and tunes. Descriptors that are not TCP (ipc://) are left alone.
    A kernel without an option refuses it once (counted, said once in the
    log): the fleet then runs with the kernel's timeouts.
*/
#ifndef SS_TCPTUNE_H
#define SS_TCPTUNE_H

#include <stdbool.h>
#include <czmq.h>
#include "ss_connlimit.h"

typedef struct {
    int rto_min_us;             //  > 0: the retransmission timeout's floor
    int delack_max_us;          //  > 0: the longest delayed acknowledgement
    int rto_max_ms;             //  > 0: the retransmission timeout's ceiling
    bool thin_linear;           //  linear timeouts for thin streams
} ss_tcpopt_t;

//  What ss_tcpopt_apply could not set (bits), 0 when all of it was set
#define SS_TCPOPT_NO_RTO_MIN    1
#define SS_TCPOPT_NO_DELACK_MAX 2
#define SS_TCPOPT_NO_THIN       4
#define SS_TCPOPT_NOT_TCP       8   //  not a TCP descriptor: nothing tried
#define SS_TCPOPT_NO_RTO_MAX    16

//  Set the options on one descriptor; the bits of what was not set
int ss_tcpopt_apply (int fd, const ss_tcpopt_t *opt);

typedef struct ss_tcptune_t ss_tcptune_t;

ss_tcptune_t *ss_tcptune_new (const ss_tcpopt_t *opt);
void ss_tcptune_destroy (ss_tcptune_t **self_p);
//  Stop watching, before the watched sockets are destroyed: libzmq's
//  reaper would otherwise send their closing events to monitors already
//  gone, and leak them (LeakSanitizer: 80 bytes a frame)
void ss_tcptune_stop (ss_tcptune_t *self);
//  Does anything need setting (any option on)? Off: watch does nothing
bool ss_tcptune_active (ss_tcptune_t *self);
//  Watch sock's connections (before it connects or binds); its monitor
//  socket (for the reactor), or NULL when off or the monitor failed
zsock_t *ss_tcptune_watch (ss_tcptune_t *self, zsock_t *sock);
//  Watch a listening socket's accepted connections, whatever the options:
//  tuned as above, and at most `limit` live ones per remote address (TCP
//  only; one above it is shut down at once, counted and logged at most
//  once a second). Its monitor socket, or NULL
zsock_t *ss_tcptune_watch_accepts (ss_tcptune_t *self, zsock_t *sock, int limit);
//  Read and act on every pending event of one monitor: connections tuned
int ss_tcptune_drain (ss_tcptune_t *self, zsock_t *monitor);
//  Is this TCP connection stalled (TCP_INFO)? SS_TCP_RETRANSMITTING (a
//  timeout fired, or fast recovery: the link loses packets), SS_TCP_UNACKED
//  (data in flight unacknowledged for two round trips and 2 ms: a lost
//  segment before its timeout, or a delayed acknowledgement), or 0 (also
//  when fd is not a TCP connection)
#define SS_TCP_RETRANSMITTING   1
#define SS_TCP_UNACKED          2
int ss_tcpopt_stalled (int fd);

//  Loss, as opposed to a slow host: a retransmission counts once it is
//  SS_TCPLOSS_JUDGE_MS old and the receiver has not shown it spurious (a
//  duplicate SACK: an overloaded host's late acknowledgement fires the
//  5 ms timeout, and the segment arrives twice). One connection's record:
typedef struct {
    uint32_t pending;           //  retransmissions at the last judgement
    int64_t pending_at;         //  when (ms; 0: never)
    uint32_t judged;            //  retransmissions judged real so far
} ss_tcploss_t;
#define SS_TCPLOSS_JUDGE_MS     20
//  Judge at now (ms) with the connection's counters: true when a
//  retransmission was judged real since the last call. Pure
bool ss_tcploss_judge (ss_tcploss_t *self, int64_t now, uint32_t total_retrans,
                       uint32_t dsack_dups);
//  Stalled, as ss_tcpopt_stalled, plus SS_TCP_LOST when the connection's
//  record judges a retransmission real (kernels without tcpi_dsack_dups,
//  before 5.10: never)
#define SS_TCP_LOST             4
int ss_tcpopt_judge (int fd, int64_t now, ss_tcploss_t *record);
//  Is the connection of watched socket i (0 .. size - 1, in the order
//  watched; one that connects: a DEALER) stalled? False when not
//  connected or not TCP. The descriptor is libzmq's: read, never written
//  (one closed and reused meanwhile gives a wrong answer, never harm).
//  With SS_TCP_LOST as ss_tcpopt_judge (the record is the connection's)
int ss_tcptune_stalled (ss_tcptune_t *self, int i);
//  Bytes in the send queue of an established TCP connection not yet
//  acknowledged (SIOCOUTQ); 0 when fd is not one. And of watched socket i
long ss_tcpopt_unacked (int fd);
long ss_tcptune_unacked (ss_tcptune_t *self, int i);
//  Monitors to poll, and each
int ss_tcptune_size (ss_tcptune_t *self);
zsock_t *ss_tcptune_monitor (ss_tcptune_t *self, int i);
//  Connections tuned, and options the kernel refused (each option counted
//  once per connection)
uint64_t ss_tcptune_tuned (ss_tcptune_t *self);
uint64_t ss_tcptune_refused (ss_tcptune_t *self);
//  Connections refused over the per-address bound, all watched sockets
uint64_t ss_tcptune_limited (ss_tcptune_t *self);

#endif
