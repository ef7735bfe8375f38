/*  bench_skeleton: the messaging floor of a fleet. N processes in the
    fleet's topology (a ring of degree 4) doing only what the fleet's
    messaging must do: each process has a CURVE server ROUTER and one CURVE
    client DEALER per neighbour, and in every round sends one message of
    the estimate's size to each neighbour, then waits until it has every
    neighbour's message of that round (lockstep, as the fleet's rounds).
    No arithmetic, no heartbeats, no reports, no ZAP handler (the CURVE
    handshake and encryption are on; who may connect is not checked, which
    costs nothing after the handshake).

    Usage: bench_skeleton N ROUNDS tcp|ipc SIZE [BASE_PORT] [TIMEOUT_S]
      SIZE: bytes per message, or kK: the size of an ESTIMATE frame of K
            features (ss_estimate_encode_into of a typical one: every theta
            a double, every running sum a full 64-bit integer)
      tcp: process i binds tcp://127.0.0.1:BASE_PORT+i [BASE_PORT 7100]
      ipc: process i binds ipc://@ss-skeleton-PID-i (abstract namespace)
    Prints one line of key=value figures, measured over the rounds after
    the first 10 (connections up, handshakes done):
      rounds_per_second  rounds / wall seconds
      cpu_us             CPU (user + system, every thread: RUSAGE_SELF in
                         each process) per process-round, in microseconds
      threads            threads per process (/proc/self/status)
    SKEL_WAIT=fd [block]: wait as the agents do, by poll(2) on the
    ROUTER's ZMQ_FD with a timeout of SKEL_POLL_MS [10] and receives with
    ZMQ_DONTWAIT until EAGAIN (edge-triggered), instead of a blocking
    zmq_recv (libzmq's own wait, no timeout); the figures then say wait=fd.
    SKEL_LIKE=opts,tcpbind,monitor,coord [none]: parts of an agent's
    messaging added one by one, to find what costs: opts, the agents'
    socket options (agentd/ss_links.c: queue bounds, IMMEDIATE, message
    size bounds, reconnect intervals, TCP keepalive); tcpbind, the ROUTER
    bound to a tcp:// port too; monitor, a socket monitor on the ROUTER
    read every round; coord, a CURVE DEALER per process to a sink process
    over tcp:// (BASE_PORT + N) with a 700-byte report every 10 rounds and
    a 60-byte heartbeat every 250 ms. The figures then say like=....
    Exit 0, or 1 with a line on stderr (a process failed, or TIMEOUT_S
    [600] passed: every process is killed). Asserts nothing else.
*/

#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include "ss_proto.h"

#define SKEL_DEGREE     4
#define SKEL_WARMUP     10
#define SKEL_MAX_SIZE   65536

typedef struct {
    int id, ok;
    double t_warm, t_end;           //  CLOCK_MONOTONIC (one clock for all)
    double cpu_warm, cpu_end;       //  RUSAGE_SELF user + system, s
    double cs_warm, cs_end;         //  RUSAGE_SELF context switches (every thread)
    int threads;
    char why [256];
} s_result_t;

typedef struct {
    char public [41], secret [41];
} s_key_t;

//  SKEL_LIKE's parts
#define SKEL_OPTS       1
#define SKEL_TCPBIND    2
#define SKEL_MONITOR    4
#define SKEL_COORD      8
static int s_like = 0;

static void
s_opt (void *sock, int option, int value)
{
    zmq_setsockopt (sock, option, &value, sizeof value);
}

//  The agents' socket options (agentd/ss_links.c)
static void
s_agent_options (void *sock, bool router)
{
    if (router) {
        s_opt (sock, ZMQ_RCVHWM, 512);
        s_opt (sock, ZMQ_HANDSHAKE_IVL, 10000);
        s_opt (sock, ZMQ_BACKLOG, 1024);
        int64_t max = 65536;
        zmq_setsockopt (sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
    }
    else {
        s_opt (sock, ZMQ_SNDHWM, 64);
        s_opt (sock, ZMQ_RCVHWM, 1);
        s_opt (sock, ZMQ_IMMEDIATE, 1);
        s_opt (sock, ZMQ_RECONNECT_IVL, 100);
        s_opt (sock, ZMQ_RECONNECT_IVL_MAX, 2000);
        int64_t max = 256;
        zmq_setsockopt (sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
    }
    s_opt (sock, ZMQ_TCP_MAXRT, 20000);
    s_opt (sock, ZMQ_TCP_KEEPALIVE, 1);
    s_opt (sock, ZMQ_TCP_KEEPALIVE_IDLE, 5);
    s_opt (sock, ZMQ_TCP_KEEPALIVE_INTVL, 1);
    s_opt (sock, ZMQ_TCP_KEEPALIVE_CNT, 3);
}

//  The coord part's sink: a CURVE ROUTER on tcp://127.0.0.1:port that
//  reads until killed
static void
s_sink (int port, const s_key_t *key)
{
    void *ctx = zmq_ctx_new ();
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    int one = 1;
    zmq_setsockopt (router, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt (router, ZMQ_CURVE_SECRETKEY, key->secret, 40);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    if (zmq_bind (router, endpoint))
        _exit (1);
    static uint8_t frame [SKEL_MAX_SIZE];
    while (zmq_recv (router, frame, sizeof frame, 0) >= 0)
        ;
    _exit (0);
}

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double
s_cpu (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6
         + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static double
s_switches (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return (double) ru.ru_nvcsw + (double) ru.ru_nivcsw;
}

static int
s_threads (void)
{
    FILE *file = fopen ("/proc/self/status", "r");
    char line [256];
    int threads = -1;
    while (file && fgets (line, sizeof line, file))
        if (sscanf (line, "Threads: %d", &threads) == 1)
            break;
    if (file)
        fclose (file);
    return threads;
}

static void
s_endpoint (char *out, size_t size, const char *transport, int base_port,
            int parent, int id)
{
    if (!strcmp (transport, "tcp"))
        snprintf (out, size, "tcp://127.0.0.1:%d", base_port + id);
    else
        snprintf (out, size, "ipc://@ss-skeleton-%d-%d", parent, id);
}

//  The neighbours of i on a ring of degree 4: i-2, i-1, i+1, i+2 (mod n)
static int
s_neighbour (int i, int j, int n)
{
    static const int offsets [SKEL_DEGREE] = { -2, -1, 1, 2 };
    return ((i + offsets [j]) % n + n) % n;
}

//  One process of the skeleton; fills result
//  One frame of the ROUTER (routing id, then body into in): 0, or -1 with
//  errno. poll_ms < 0: a blocking zmq_recv; else poll(2) on ZMQ_FD with
//  that timeout whenever a ZMQ_DONTWAIT receive finds nothing
static int
s_recv (void *router, uint8_t *in, size_t size, int poll_ms)
{
    char routing [256];
    int flags = poll_ms < 0? 0: ZMQ_DONTWAIT;
    while (zmq_recv (router, routing, sizeof routing, flags) < 0) {
        if (flags == 0 || errno != EAGAIN)
            return -1;
        int fd;
        size_t fd_size = sizeof fd;
        if (zmq_getsockopt (router, ZMQ_FD, &fd, &fd_size))
            return -1;
        struct pollfd item = { .fd = fd, .events = POLLIN };
        if (poll (&item, 1, poll_ms) < 0 && errno != EINTR)
            return -1;
    }
    return zmq_recv (router, in, size, 0) < (int) sizeof (int64_t)? -1: 0;
}

static void
s_agent (int id, int n, int rounds, const char *transport, int size,
         int base_port, int parent, const s_key_t *keys, int poll_ms, s_result_t *result)
{
    result->id = id;
    void *ctx = zmq_ctx_new ();
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    void *dealers [SKEL_DEGREE] = { NULL };
    void *monitor = NULL, *coord = NULL;
    double beat = s_now ();
    if (s_like & SKEL_OPTS)
        s_agent_options (router, true);
    int one = 1, linger = 2000;
    char endpoint [128];
    zmq_setsockopt (router, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt (router, ZMQ_CURVE_SECRETKEY, keys [id].secret, 40);
    zmq_setsockopt (router, ZMQ_LINGER, &linger, sizeof linger);
    s_endpoint (endpoint, sizeof endpoint, transport, base_port, parent, id);
    if (zmq_bind (router, endpoint)) {
        snprintf (result->why, sizeof result->why, "bind %s: %s", endpoint,
                  zmq_strerror (errno));
        goto done;
    }
    if ((s_like & SKEL_TCPBIND) && strcmp (transport, "tcp")) {
        s_endpoint (endpoint, sizeof endpoint, "tcp", base_port, parent, id);
        if (zmq_bind (router, endpoint)) {
            snprintf (result->why, sizeof result->why, "bind %s: %s", endpoint,
                      zmq_strerror (errno));
            goto done;
        }
    }
    if (s_like & SKEL_MONITOR) {
        char name [64];
        snprintf (name, sizeof name, "inproc://monitor-%d", id);
        zmq_socket_monitor (router, name, ZMQ_EVENT_ALL);
        monitor = zmq_socket (ctx, ZMQ_PAIR);
        zmq_connect (monitor, name);
    }
    if (s_like & SKEL_COORD) {
        coord = zmq_socket (ctx, ZMQ_DEALER);
        if (s_like & SKEL_OPTS)
            s_agent_options (coord, false);
        s_opt (coord, ZMQ_IMMEDIATE, 0);
        s_opt (coord, ZMQ_SNDHWM, 1000);
        zmq_setsockopt (coord, ZMQ_CURVE_SERVERKEY, keys [n].public, 40);
        zmq_setsockopt (coord, ZMQ_CURVE_PUBLICKEY, keys [id].public, 40);
        zmq_setsockopt (coord, ZMQ_CURVE_SECRETKEY, keys [id].secret, 40);
        s_opt (coord, ZMQ_LINGER, 0);
        snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", base_port + n);
        zmq_connect (coord, endpoint);
    }
    for (int j = 0; j < SKEL_DEGREE; j++) {
        int peer = s_neighbour (id, j, n);
        dealers [j] = zmq_socket (ctx, ZMQ_DEALER);
        if (s_like & SKEL_OPTS)
            s_agent_options (dealers [j], false);
        zmq_setsockopt (dealers [j], ZMQ_CURVE_SERVERKEY, keys [peer].public, 40);
        zmq_setsockopt (dealers [j], ZMQ_CURVE_PUBLICKEY, keys [id].public, 40);
        zmq_setsockopt (dealers [j], ZMQ_CURVE_SECRETKEY, keys [id].secret, 40);
        zmq_setsockopt (dealers [j], ZMQ_LINGER, &linger, sizeof linger);
        s_endpoint (endpoint, sizeof endpoint, transport, base_port, parent, peer);
        if (zmq_connect (dealers [j], endpoint)) {
            snprintf (result->why, sizeof result->why, "connect %s: %s", endpoint,
                      zmq_strerror (errno));
            goto done;
        }
    }
    //  A neighbour is at most one round ahead (it needs our round k to
    //  finish its round k): counts of rounds k and k+1 by parity
    static uint8_t out [SKEL_MAX_SIZE], in [SKEL_MAX_SIZE];
    memset (out, 0xa5, (size_t) size);
    int have [2] = { 0, 0 };
    for (int64_t k = 0; k < rounds; k++) {
        memcpy (out, &k, sizeof k);
        for (int j = 0; j < SKEL_DEGREE; j++)
            if (zmq_send (dealers [j], out, (size_t) size, 0) != size) {
                snprintf (result->why, sizeof result->why, "send: %s", zmq_strerror (errno));
                goto done;
            }
        while (have [k & 1] < SKEL_DEGREE) {
            if (s_recv (router, in, sizeof in, poll_ms)) {
                snprintf (result->why, sizeof result->why, "recv: %s", zmq_strerror (errno));
                goto done;
            }
            int64_t round;
            memcpy (&round, in, sizeof round);
            if (round != k && round != k + 1) {
                snprintf (result->why, sizeof result->why, "round %lld in round %lld",
                          (long long) round, (long long) k);
                goto done;
            }
            have [round & 1]++;
        }
        have [k & 1] = 0;
        if (monitor) {
            uint8_t event [256];
            while (zmq_recv (monitor, event, sizeof event, ZMQ_DONTWAIT) >= 0)
                ;
        }
        if (coord) {
            if (k % 10 == 0)
                zmq_send (coord, out, 700 < size? (size_t) size: 700, ZMQ_DONTWAIT);
            if (s_now () - beat >= 0.25) {
                beat = s_now ();
                zmq_send (coord, out, 60, ZMQ_DONTWAIT);
            }
        }
        if (k + 1 == SKEL_WARMUP) {
            result->t_warm = s_now ();
            result->cpu_warm = s_cpu ();
            result->cs_warm = s_switches ();
        }
    }
    result->t_end = s_now ();
    result->cpu_end = s_cpu ();
    result->cs_end = s_switches ();
    result->threads = s_threads ();
    result->ok = 1;
done:
    if (monitor)
        zmq_close (monitor);
    if (coord)
        zmq_close (coord);
    for (int j = 0; j < SKEL_DEGREE; j++)
        if (dealers [j])
            zmq_close (dealers [j]);
    zmq_close (router);
    zmq_ctx_term (ctx);
}

//  Bytes of a typical ESTIMATE of k features
static int
s_estimate_size (int k)
{
    if (k < 1 || k > SS_MAX_K)
        return -1;
    static ss_estimate_t msg;
    msg.hdr.fleet = UINT64_MAX / 3;
    msg.hdr.epoch = 1;
    msg.hdr.round = 1000;
    msg.hdr.sender = 499;
    msg.degree = SKEL_DEGREE;
    msg.k = (uint32_t) k;
    for (int i = 0; i < k; i++) {
        msg.theta [i] = 0.1 + i;
        msg.mass [i] = UINT64_MAX - (uint64_t) i * 12345;
    }
    static uint8_t buf [SKEL_MAX_SIZE];
    size_t size;
    return ss_estimate_encode_into (&msg, buf, sizeof buf, &size)? -1: (int) size;
}

static int
s_compare (const void *a, const void *b)
{
    int x = *(const int *) a, y = *(const int *) b;
    return (x > y) - (x < y);
}

int
main (int argc, char **argv)
{
    if (argc < 5) {
        fprintf (stderr, "usage: bench_skeleton N ROUNDS tcp|ipc SIZE [BASE_PORT] [TIMEOUT_S]\n");
        return 2;
    }
    int n = atoi (argv [1]), rounds = atoi (argv [2]);
    int size = argv [4][0] == 'k'? s_estimate_size (atoi (argv [4] + 1)): atoi (argv [4]);
    const char *transport = argv [3];
    int base_port = argc > 5? atoi (argv [5]): 7100;
    int timeout = argc > 6? atoi (argv [6]): 600;
    if (n < SKEL_DEGREE + 1 || rounds <= SKEL_WARMUP || size < 8 || size > SKEL_MAX_SIZE
    ||  (strcmp (transport, "tcp") && strcmp (transport, "ipc"))
    ||  base_port < 1 || base_port + n > 65535 || timeout < 1) {
        fprintf (stderr, "bench_skeleton: need N >= 5, ROUNDS > %d, tcp|ipc, "
                         "8 <= SIZE <= %d, ports within 1..65535\n", SKEL_WARMUP, SKEL_MAX_SIZE);
        return 2;
    }
    const char *wait = getenv ("SKEL_WAIT");
    int poll_ms = -1;
    if (wait && !strcmp (wait, "fd"))
        poll_ms = getenv ("SKEL_POLL_MS")? atoi (getenv ("SKEL_POLL_MS")): 10;
    else
    if (wait && strcmp (wait, "block")) {
        fprintf (stderr, "bench_skeleton: SKEL_WAIT is block or fd\n");
        return 2;
    }
    const char *like = getenv ("SKEL_LIKE");
    if (like && strstr (like, "opts"))
        s_like |= SKEL_OPTS;
    if (like && strstr (like, "tcpbind"))
        s_like |= SKEL_TCPBIND;
    if (like && strstr (like, "monitor"))
        s_like |= SKEL_MONITOR;
    if (like && strstr (like, "coord"))
        s_like |= SKEL_COORD;
    s_key_t *keys = calloc ((size_t) n + 1, sizeof (s_key_t));
    pid_t *pids = calloc ((size_t) n, sizeof (pid_t));
    s_result_t *results = calloc ((size_t) n, sizeof (s_result_t));
    int *threads = calloc ((size_t) n, sizeof (int));
    for (int i = 0; i <= n; i++)
        if (zmq_curve_keypair (keys [i].public, keys [i].secret)) {
            fprintf (stderr, "bench_skeleton: libzmq has no CURVE\n");
            return 1;
        }
    int pipefd [2];
    if (pipe (pipefd)) {
        perror ("bench_skeleton: pipe");
        return 1;
    }
    int parent = (int) getpid ();
    pid_t sink = -1;
    if (s_like & SKEL_COORD) {
        sink = fork ();
        if (sink == 0) {
            alarm ((unsigned) timeout);
            s_sink (base_port + n, &keys [n]);
        }
    }
    for (int i = 0; i < n; i++) {
        pids [i] = fork ();
        if (pids [i] < 0) {
            perror ("bench_skeleton: fork");
            for (int j = 0; j < i; j++)
                kill (pids [j], SIGKILL);
            return 1;
        }
        if (pids [i] == 0) {
            close (pipefd [0]);
            alarm ((unsigned) timeout);
            s_result_t result = { 0 };
            s_agent (i, n, rounds, transport, size, base_port, parent, keys, poll_ms, &result);
            //  One write < PIPE_BUF: atomic
            ssize_t written = write (pipefd [1], &result, sizeof result);
            _exit (result.ok && written == (ssize_t) sizeof result? 0: 1);
        }
    }
    close (pipefd [1]);
    double start = s_now ();
    int got = 0, failed = 0;
    while (got < n) {
        s_result_t result;
        ssize_t r = read (pipefd [0], &result, sizeof result);
        if (r != (ssize_t) sizeof result)
            break;          //  every writer gone
        if (result.id >= 0 && result.id < n)
            results [result.id] = result;
        got++;
        if (!result.ok && failed++ == 0)
            fprintf (stderr, "bench_skeleton: process %d: %s\n", result.id, result.why);
    }
    for (int i = 0; i < n; i++) {
        int status;
        if (waitpid (pids [i], &status, 0) == pids [i]
        &&  !(WIFEXITED (status) && WEXITSTATUS (status) == 0) && failed++ == 0)
            fprintf (stderr, "bench_skeleton: process %d: %s\n", i,
                     WIFSIGNALED (status)? "killed (timeout?)": "failed");
    }
    if (sink > 0) {
        kill (sink, SIGKILL);
        waitpid (sink, NULL, 0);
    }
    if (failed || got < n) {
        fprintf (stderr, "bench_skeleton: %d of %d processes failed\n", failed ? failed: n - got, n);
        return 1;
    }
    double warm = results [0].t_warm, end = results [0].t_end, cpu = 0, cs = 0;
    for (int i = 0; i < n; i++) {
        if (results [i].t_warm < warm)
            warm = results [i].t_warm;
        if (results [i].t_end > end)
            end = results [i].t_end;
        cpu += results [i].cpu_end - results [i].cpu_warm;
        cs += results [i].cs_end - results [i].cs_warm;
        threads [i] = results [i].threads;
    }
    qsort (threads, (size_t) n, sizeof (int), s_compare);
    int measured = rounds - SKEL_WARMUP;
    printf ("skeleton agents=%d transport=%s size=%d rounds=%d rounds_per_second=%.1f "
            "cpu_us=%.1f cs=%.2f threads=%d wall_s=%.2f wait=%s like=%s\n",
            n, transport, size, measured, measured / (end - warm),
            1e6 * cpu / ((double) n * measured), cs / ((double) n * measured),
            threads [n / 2], s_now () - start, poll_ms < 0? "block": "fd",
            like && *like? like: "none");
    free (threads);
    free (results);
    free (pids);
    free (keys);
    return 0;
}
