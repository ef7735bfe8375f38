/*  swarmshape wire CTL READY NET NS0 NS1 ...: the userspace wire of
    `swarmshape experiment` (ss_hosts), for what this kernel cannot do in
    itself (it has no sch_netem): delay with jitter, duplication,
    reordering. Root only.

    Opens a TUN device tun0 inside each network namespace NSi (host i,
    address NET.(i+1)), creates READY, then carries every IPv4 packet from
    host i to the host its destination address names, applying host i's
    egress impairments read from CTL (lines "i<TAB>netem args", reread
    when the file changes), with netem's syntax and meaning:
        loss P%              drop with probability P (the experiment uses
                             nftables for loss; this is for completeness)
        delay T [J]          hold T +- J (uniform) before delivery
        duplicate P%         deliver a second copy with probability P
        reorder P% [C%]      (with delay) P of the packets go at once, the
                             rest are delayed: they overtake each other
        down                 nothing in or out
    Runs until SIGTERM or SIGINT; prints its counters on exit. The C port
    of tests/fault/netns_lib.bash's reference wire.
*/

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ss_cli.h"
#include "ss_progress.h"

#define WIRE_MAX_HOSTS 251
#define WIRE_MTU 65536
#define WIRE_QUEUE_MAX 65536

typedef struct {
    bool down;
    double loss, delay, jitter, dup, reorder;
} s_params_t;

typedef struct {
    double due;
    uint64_t seq;
    int dst;
    size_t len;
    uint8_t *data;
} s_packet_t;

static volatile sig_atomic_t s_stop = 0;
static void s_on_signal (int sig) { (void) sig; s_stop = 1; }

static double
s_now (void)
{
    return ss_progress_now ();
}

static double
s_rand (void)
{
    return (double) random () / ((double) RAND_MAX + 1.0);
}

//  "10%" -> 0.1
static double
s_pct (const char *word)
{
    return word? strtod (word, NULL) / 100.0: 0;
}

//  "20ms", "1s", "500us", "7" (us) -> seconds; -1 if not a time
static double
s_time (const char *word)
{
    if (!word)
        return -1;
    char *end;
    double v = strtod (word, &end);
    if (end == word)
        return -1;
    if (!strcmp (end, "ms"))
        return v * 1e-3;
    if (!strcmp (end, "s"))
        return v;
    if (!strcmp (end, "us") || !*end)
        return v * 1e-6;
    return -1;
}

static void
s_parse (char *args, s_params_t *p)
{
    memset (p, 0, sizeof *p);
    char *save = NULL;
    for (char *w = strtok_r (args, " \t", &save); w; w = strtok_r (NULL, " \t", &save)) {
        if (!strcmp (w, "down"))
            p->down = true;
        else
        if (!strcmp (w, "loss")) {
            char *v = strtok_r (NULL, " \t", &save);
            if (v && !strcmp (v, "random"))
                v = strtok_r (NULL, " \t", &save);
            p->loss = s_pct (v);
        }
        else
        if (!strcmp (w, "delay")) {
            p->delay = s_time (strtok_r (NULL, " \t", &save));
            if (p->delay < 0)
                p->delay = 0;
            //  An optional jitter follows: peek by copying the rest
            char *rest = save? save: NULL;
            while (rest && (*rest == ' ' || *rest == '\t'))
                rest++;
            if (rest && *rest) {
                char word [64];
                snprintf (word, sizeof word, "%.*s", (int) strcspn (rest, " \t"), rest);
                double j = s_time (word);
                if (j >= 0 && strpbrk (word, "mus")) {
                    p->jitter = j;
                    strtok_r (NULL, " \t", &save);
                }
            }
        }
        else
        if (!strcmp (w, "duplicate"))
            p->dup = s_pct (strtok_r (NULL, " \t", &save));
        else
        if (!strcmp (w, "reorder"))
            p->reorder = s_pct (strtok_r (NULL, " \t", &save));
        //  anything else (a correlation "50%") is ignored, as in the reference
    }
}

//  Binary heap of delayed packets by (due, seq)
typedef struct {
    s_packet_t *items;
    size_t n, cap;
} s_heap_t;

static bool
s_less (const s_packet_t *a, const s_packet_t *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static int
s_push (s_heap_t *h, s_packet_t p)
{
    if (h->n == WIRE_QUEUE_MAX)
        return -1;
    if (h->n == h->cap) {
        size_t cap = h->cap? 2 * h->cap: 256;
        s_packet_t *grown = realloc (h->items, cap * sizeof (s_packet_t));
        if (!grown)
            return -1;
        h->items = grown;
        h->cap = cap;
    }
    size_t i = h->n++;
    h->items [i] = p;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!s_less (&h->items [i], &h->items [up]))
            break;
        s_packet_t t = h->items [i];
        h->items [i] = h->items [up];
        h->items [up] = t;
        i = up;
    }
    return 0;
}

static s_packet_t
s_pop (s_heap_t *h)
{
    s_packet_t top = h->items [0];
    h->items [0] = h->items [--h->n];
    size_t i = 0;
    while (true) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && s_less (&h->items [l], &h->items [m]))
            m = l;
        if (r < h->n && s_less (&h->items [r], &h->items [m]))
            m = r;
        if (m == i)
            break;
        s_packet_t t = h->items [i];
        h->items [i] = h->items [m];
        h->items [m] = t;
        i = m;
    }
    return top;
}

int
ss_cmd_wire (int argc, char **argv)
{
    if (argc < 5) {
        fprintf (stderr, "swarmshape wire: usage: wire CTL READY NET NS0 NS1 ... "
                         "(started by swarmshape experiment)\n");
        return 2;
    }
    const char *ctl = argv [1], *ready = argv [2], *net = argv [3];
    int n = argc - 4;
    if (n > WIRE_MAX_HOSTS) {
        fprintf (stderr, "swarmshape wire: at most %d hosts\n", WIRE_MAX_HOSTS);
        return 2;
    }
    uint8_t prefix [3];
    unsigned a, b, c;
    if (sscanf (net, "%u.%u.%u", &a, &b, &c) != 3 || a > 255 || b > 255 || c > 255) {
        fprintf (stderr, "swarmshape wire: NET '%s': expected A.B.C\n", net);
        return 2;
    }
    prefix [0] = (uint8_t) a; prefix [1] = (uint8_t) b; prefix [2] = (uint8_t) c;
    int fds [WIRE_MAX_HOSTS];
    for (int i = 0; i < n; i++) {
        char path [4096];
        snprintf (path, sizeof path, "/run/netns/%s", argv [4 + i]);
        int nsfd = open (path, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0 || setns (nsfd, CLONE_NEWNET)) {
            fprintf (stderr, "swarmshape wire: setns %s: %s\n", argv [4 + i], strerror (errno));
            return 1;
        }
        close (nsfd);
        fds [i] = open ("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
        struct ifreq ifr;
        memset (&ifr, 0, sizeof ifr);
        ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
        snprintf (ifr.ifr_name, IFNAMSIZ, "tun0");
        if (fds [i] < 0 || ioctl (fds [i], TUNSETIFF, &ifr)) {
            fprintf (stderr, "swarmshape wire: tun0 in %s: %s\n", argv [4 + i], strerror (errno));
            return 1;
        }
    }
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    srandom ((unsigned) getpid () ^ (unsigned) time (NULL));
    FILE *r = fopen (ready, "w");
    if (r)
        fclose (r);

    s_params_t params [WIRE_MAX_HOSTS];
    memset (params, 0, sizeof params);
    struct timespec ctl_mtime = { 0, 0 };
    ino_t ctl_ino = 0;
    double next_ctl = 0;
    s_heap_t queue = { 0 };
    uint64_t seq = 0;
    unsigned long long in = 0, out = 0, lost = 0, down = 0, dup = 0, reordered = 0,
                       unroutable = 0, overflow = 0;
    struct pollfd pfds [WIRE_MAX_HOSTS];
    for (int i = 0; i < n; i++)
        pfds [i] = (struct pollfd) { .fd = fds [i], .events = POLLIN };
    static uint8_t pkt [WIRE_MTU];
    while (!s_stop) {
        double now = s_now ();
        if (now >= next_ctl) {
            next_ctl = now + 0.02;
            struct stat st;
            if (stat (ctl, &st) == 0
            &&  (st.st_ino != ctl_ino || st.st_mtim.tv_sec != ctl_mtime.tv_sec
            ||   st.st_mtim.tv_nsec != ctl_mtime.tv_nsec)) {
                ctl_ino = st.st_ino;
                ctl_mtime = st.st_mtim;
                memset (params, 0, sizeof params);
                FILE *file = fopen (ctl, "r");
                char line [512];
                while (file && fgets (line, sizeof line, file)) {
                    line [strcspn (line, "\n")] = 0;
                    char *tab = strchr (line, '\t');
                    if (!tab)
                        continue;
                    *tab = 0;
                    int h = atoi (line);
                    if (h >= 0 && h < n) {
                        fprintf (stderr, "wire: host %d: '%s'\n", h, tab + 1);
                        s_parse (tab + 1, &params [h]);
                    }
                }
                if (file)
                    fclose (file);
            }
        }
        while (queue.n && queue.items [0].due <= now) {
            s_packet_t p = s_pop (&queue);
            if (write (fds [p.dst], p.data, p.len) == (ssize_t) p.len)
                out++;
            free (p.data);
        }
        int wait = 20;
        if (queue.n) {
            double ms = (queue.items [0].due - now) * 1000.0;
            if (ms < wait)
                wait = ms < 0? 0: (int) ms;
        }
        int got = poll (pfds, (nfds_t) n, wait);
        if (got <= 0)
            continue;
        now = s_now ();
        for (int src = 0; src < n; src++) {
            if (!(pfds [src].revents & POLLIN))
                continue;
            for (int burst = 0; burst < 64; burst++) {
                ssize_t len = read (fds [src], pkt, sizeof pkt);
                if (len <= 0)
                    break;
                in++;
                if (len < 20 || pkt [0] >> 4 != 4 || memcmp (pkt + 16, prefix, 3)) {
                    unroutable++;
                    continue;
                }
                int dst = pkt [19] - 1;
                if (dst < 0 || dst >= n || dst == src) {
                    unroutable++;
                    continue;
                }
                const s_params_t *p = &params [src];
                if (p->down || params [dst].down) {
                    down++;
                    continue;
                }
                if (p->loss > 0 && s_rand () < p->loss) {
                    lost++;
                    continue;
                }
                int copies = p->dup > 0 && s_rand () < p->dup? 2: 1;
                if (copies == 2)
                    dup++;
                for (int k = 0; k < copies; k++) {
                    double d = p->delay;
                    if (p->jitter > 0)
                        d += (2 * s_rand () - 1) * p->jitter;
                    if (p->reorder > 0 && s_rand () < p->reorder) {
                        d = 0;
                        reordered++;
                    }
                    if (d <= 0) {
                        if (write (fds [dst], pkt, (size_t) len) == len)
                            out++;
                        continue;
                    }
                    uint8_t *copy = malloc ((size_t) len);
                    if (!copy || s_push (&queue, (s_packet_t) {
                            .due = now + d, .seq = ++seq, .dst = dst,
                            .len = (size_t) len, .data = copy })) {
                        free (copy);
                        overflow++;
                        continue;
                    }
                    memcpy (copy, pkt, (size_t) len);
                }
            }
        }
    }
    while (queue.n) {
        s_packet_t p = s_pop (&queue);
        free (p.data);
    }
    free (queue.items);
    fprintf (stderr, "wire: counters in %llu out %llu lost %llu down %llu dup %llu "
                     "reordered %llu unroutable %llu overflow %llu\n", in, out, lost, down,
             dup, reordered, unroutable, overflow);
    return 0;
}
