/*  ss_datagram: sealed UDP datagrams (see ss_datagram.h). */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sodium.h>
#include "ss_datagram.h"

_Static_assert (crypto_box_BEFORENMBYTES == SS_DATAGRAM_KEY, "pair key size");
_Static_assert (crypto_box_NONCEBYTES == 24, "nonce size");
_Static_assert (crypto_box_MACBYTES == 16, "tag size");
_Static_assert (crypto_box_PUBLICKEYBYTES == 32 && crypto_box_SECRETKEYBYTES == 32,
                "CURVE keys are X25519 keys");

static const uint8_t s_magic [4] = { 'S', 'S', 'D', '1' };

#define S_NONCE_AT 4
#define S_BOX_AT   (4 + crypto_box_NONCEBYTES)
#define S_DATAGRAM_MAX (SS_DATAGRAM_FRAME_MAX + SS_DATAGRAM_OVERHEAD)

int
ss_datagram_pair_key (const uint8_t *secret, const uint8_t *peer_public, uint8_t *key)
{
    if (sodium_init () < 0)
        return -1;
    return crypto_box_beforenm (key, peer_public, secret) == 0? 0: -1;
}

size_t
ss_datagram_seal (const uint8_t *key, uint32_t sender, const void *frame, size_t size,
                  uint8_t *out)
{
    if (size > SS_DATAGRAM_FRAME_MAX)
        return 0;
    memcpy (out, s_magic, sizeof s_magic);
    uint8_t *nonce = out + S_NONCE_AT;
    nonce [0] = (uint8_t) (sender >> 24);
    nonce [1] = (uint8_t) (sender >> 16);
    nonce [2] = (uint8_t) (sender >> 8);
    nonce [3] = (uint8_t) sender;
    randombytes_buf (nonce + 4, crypto_box_NONCEBYTES - 4);
    crypto_box_easy_afternm (out + S_BOX_AT, (const uint8_t *) frame, size, nonce, key);
    return size + SS_DATAGRAM_OVERHEAD;
}

int
ss_datagram_sender (const uint8_t *data, size_t size, uint32_t *sender)
{
    if (size <= SS_DATAGRAM_OVERHEAD || size > S_DATAGRAM_MAX
    ||  memcmp (data, s_magic, sizeof s_magic))
        return -1;
    const uint8_t *nonce = data + S_NONCE_AT;
    *sender = (uint32_t) nonce [0] << 24 | (uint32_t) nonce [1] << 16
            | (uint32_t) nonce [2] << 8 | nonce [3];
    return 0;
}

long
ss_datagram_open (const uint8_t *key, const uint8_t *data, size_t size, uint8_t *frame)
{
    uint32_t sender;
    if (ss_datagram_sender (data, size, &sender))
        return -1;
    if (crypto_box_open_easy_afternm (frame, data + S_BOX_AT, size - S_BOX_AT,
                                      data + S_NONCE_AT, key))
        return -1;
    return (long) (size - SS_DATAGRAM_OVERHEAD);
}

typedef struct {
    int id;                             //  -1 until ss_datagram_peer
    uint8_t key [SS_DATAGRAM_KEY];
    struct sockaddr_in addr;
} s_peer_t;

struct ss_datagram_t {
    int fd;
    uint32_t id;
    uint8_t secret [32];
    int n;
    s_peer_t *peers;
    uint8_t in [S_DATAGRAM_MAX + 1];    //  one byte more: a longer one is seen
    uint8_t out [S_DATAGRAM_MAX];
    uint8_t frame [SS_DATAGRAM_FRAME_MAX];
};

ss_datagram_t *
ss_datagram_new (const char *address, int port, int id, const uint8_t *secret, int n,
                 char *err, size_t err_size)
{
    if (sodium_init () < 0) {
        snprintf (err, err_size, "cannot initialise libsodium");
        return NULL;
    }
    ss_datagram_t *self = calloc (1, sizeof (ss_datagram_t));
    if (self)
        self->peers = calloc ((size_t) (n > 0? n: 1), sizeof (s_peer_t));
    if (!self || !self->peers) {
        free (self);
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->fd = -1;
    self->id = (uint32_t) id;
    self->n = n;
    memcpy (self->secret, secret, sizeof self->secret);
    for (int p = 0; p < n; p++)
        self->peers [p].id = -1;
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    if (strcmp (address, "*") == 0)
        addr.sin_addr.s_addr = htonl (INADDR_ANY);
    else
    if (inet_pton (AF_INET, address, &addr.sin_addr) != 1) {
        snprintf (err, err_size, "datagrams: '%s' is not an IPv4 address", address);
        ss_datagram_destroy (&self);
        return NULL;
    }
    self->fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (self->fd < 0
    ||  bind (self->fd, (struct sockaddr *) &addr, sizeof addr) < 0) {
        snprintf (err, err_size, "cannot bind udp://%s:%d: %s", address, port,
                  strerror (errno));
        ss_datagram_destroy (&self);
        return NULL;
    }
    return self;
}

void
ss_datagram_destroy (ss_datagram_t **self_p)
{
    ss_datagram_t *self = *self_p;
    if (!self)
        return;
    if (self->fd >= 0)
        close (self->fd);
    if (self->peers)
        sodium_memzero (self->peers, (size_t) (self->n > 0? self->n: 1) * sizeof (s_peer_t));
    sodium_memzero (self->secret, sizeof self->secret);
    free (self->peers);
    free (self);
    *self_p = NULL;
}

int
ss_datagram_peer (ss_datagram_t *self, int p, int id, const uint8_t *peer_public,
                  const char *host, int port, char *err, size_t err_size)
{
    if (p < 0 || p >= self->n || id < 0) {
        snprintf (err, err_size, "datagrams: no neighbour %d", p);
        return -1;
    }
    s_peer_t *peer = &self->peers [p];
    if (ss_datagram_pair_key (self->secret, peer_public, peer->key)) {
        snprintf (err, err_size, "datagrams: agent-%d's public key is refused", id);
        return -1;
    }
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM };
    struct addrinfo *found = NULL;
    char service [16];
    snprintf (service, sizeof service, "%d", port);
    if (getaddrinfo (host, service, &hints, &found) || !found) {
        snprintf (err, err_size, "datagrams: cannot resolve '%s' (agent %d)", host, id);
        return -1;
    }
    memcpy (&peer->addr, found->ai_addr, sizeof peer->addr);
    freeaddrinfo (found);
    peer->id = id;
    return 0;
}

int
ss_datagram_fd (ss_datagram_t *self)
{
    return self->fd;
}

int
ss_datagram_send (ss_datagram_t *self, int p, const void *frame, size_t size, int copies)
{
    if (p < 0 || p >= self->n || self->peers [p].id < 0)
        return 0;
    s_peer_t *peer = &self->peers [p];
    int sent = 0;
    for (int c = 0; c < copies; c++) {
        //  Each copy its own nonce: the same nonce twice under one key
        //  would say the two are one message (and leak nothing more)
        size_t length = ss_datagram_seal (peer->key, self->id, frame, size, self->out);
        if (length == 0)
            break;
        if (sendto (self->fd, self->out, length, MSG_DONTWAIT,
                    (const struct sockaddr *) &peer->addr, sizeof peer->addr)
            == (ssize_t) length)
            sent++;
    }
    return sent;
}

//  The neighbour of an agent id, or -1 (a scan: degrees are small, and
//  an opened datagram costs far more)
static int
s_find (ss_datagram_t *self, uint32_t id)
{
    for (int p = 0; p < self->n; p++)
        if (self->peers [p].id >= 0 && (uint32_t) self->peers [p].id == id)
            return p;
    return -1;
}

int
ss_datagram_recv (ss_datagram_t *self, const uint8_t **frame, size_t *size, int *p)
{
    ssize_t got = recv (self->fd, self->in, sizeof self->in, MSG_DONTWAIT);
    if (got < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR? 0: -1;
    uint32_t sender;
    if (ss_datagram_sender (self->in, (size_t) got, &sender) || sender == self->id)
        return -1;
    int at = s_find (self, sender);
    if (at < 0)
        return -1;
    long length = ss_datagram_open (self->peers [at].key, self->in, (size_t) got, self->frame);
    if (length < 0)
        return -1;
    *frame = self->frame;
    *size = (size_t) length;
    *p = at;
    return 1;
}
