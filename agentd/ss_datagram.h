/*  ss_datagram: an agent's estimates as sealed UDP datagrams, beside its
    TCP links, on links that lose packets.

    Under loss a TCP connection stalls behind each lost segment until the
    segment is retransmitted, and every connection of a link stalls in
    turn: at 30% loss on every link the fleet ran at 0.08-0.12 of its
    lossless pace whatever its connections, copies and waits (README,
    "Packet loss"). What a round needs is each neighbour's newest estimate,
    and the running sums make a lost estimate harmless (the next one
    carries all of it). So on a link seen retransmitting, each estimate
    (each resend, each heartbeat) also goes out as links/datagrams
    UDP datagrams, which nothing holds back; the receiver keeps the first
    copy of a round to arrive (datagram or TCP: the same bytes), and TCP
    stays the reliable path. A lossless link sends none.

    Sealed with libsodium's crypto_box (X25519, XSalsa20-Poly1305) under
    the agents' CURVE keys, the key of each pair computed once
    (crypto_box_beforenm). One datagram:

        "SSD1" | nonce (24 bytes) | box (16-byte tag, then the frame)

    The nonce is the sender's agent id (4 bytes, big-endian) and 20 random
    bytes. A datagram is accepted only from a neighbour, opened by that
    neighbour's pair key, with the sender's id in its nonce: one reflected
    back to us (the pair key is the same both ways) names us and is
    refused. A frame replayed within a run is a duplicate or a stale
    round to the neighbour set, as TCP duplicates are. Frames longer than
    SS_DATAGRAM_FRAME_MAX (one Ethernet packet, no IP fragments) go by TCP
    only.

    The socket is UDP on the agent's own address and port (the TCP port's
    number). A host or container that does not let UDP through loses the
    datagrams, and the fleet runs as it does without them.
*/
#ifndef SS_DATAGRAM_H
#define SS_DATAGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SS_DATAGRAM_KEY       32      //  a pair key (crypto_box_BEFORENMBYTES)
#define SS_DATAGRAM_OVERHEAD  44      //  magic 4 + nonce 24 + tag 16
#define SS_DATAGRAM_FRAME_MAX 1400    //  longest frame sent as a datagram

//  The pure part: no socket

//  The pair key of our secret key and a peer's public key (32 bytes each):
//  0, or -1 for a key libsodium refuses (a low-order point)
int ss_datagram_pair_key (const uint8_t *secret, const uint8_t *peer_public,
                          uint8_t *key);
//  Seal frame (size <= SS_DATAGRAM_FRAME_MAX) from sender under key into
//  out (at least size + SS_DATAGRAM_OVERHEAD): its size, or 0 if too long
size_t ss_datagram_seal (const uint8_t *key, uint32_t sender, const void *frame,
                         size_t size, uint8_t *out);
//  The sender a datagram names (in its nonce): 0, or -1 when it is not one
//  of ours (short, long or another magic)
int ss_datagram_sender (const uint8_t *data, size_t size, uint32_t *sender);
//  Open a datagram under key into frame (at least size -
//  SS_DATAGRAM_OVERHEAD): the frame's size, or -1 when it does not
//  authenticate (forged, altered, truncated, another key)
long ss_datagram_open (const uint8_t *key, const uint8_t *data, size_t size,
                       uint8_t *frame);

//  The socket

typedef struct ss_datagram_t ss_datagram_t;

//  A UDP socket bound to address:port (IPv4 literal, or `*`), sealing as
//  agent `id` with its 32-byte secret key, for n neighbours. NULL and one
//  line in err.
ss_datagram_t *ss_datagram_new (const char *address, int port, int id,
                                const uint8_t *secret, int n, char *err,
                                size_t err_size);
void ss_datagram_destroy (ss_datagram_t **self_p);
//  Neighbour p (0 <= p < n, ids ascending in p): its agent id, public key
//  and address (resolved now, IPv4). 0, or -1 and one line in err.
int ss_datagram_peer (ss_datagram_t *self, int p, int id, const uint8_t *peer_public,
                      const char *host, int port, char *err, size_t err_size);
//  The descriptor to poll for input
int ss_datagram_fd (ss_datagram_t *self);
//  Send frame to neighbour p `copies` times, never waiting: the datagrams
//  the kernel took (a frame too long for one: 0)
int ss_datagram_send (ss_datagram_t *self, int p, const void *frame, size_t size,
                      int copies);
//  Receive one datagram without waiting: 1 with its frame (valid until the
//  next call) and the neighbour p it came from; 0 when nothing is there;
//  -1 when one was read and refused (not ours, not a neighbour's, not
//  authentic, truncated)
int ss_datagram_recv (ss_datagram_t *self, const uint8_t **frame, size_t *size, int *p);

#endif
