/*  ss_hosts: network-namespace hosts, nftables, netem or the wire. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ss_hosts.h"
#include "ss_progress.h"

#define SS_HOSTS_MAX 251

struct ss_hosts_t {
    int n;                          //  agent hosts (+1 coordinator)
    bool wire, netem;
    char prefix [32];
    char net [32];                  //  "10.A.B"
    char names [SS_HOSTS_MAX][48];
    char ips [SS_HOSTS_MAX][48];
    char bridge [48];
    bool bridge_made;
    int made;                       //  namespaces created
    char log_path [4096];
    char ctl_path [4096];
    char *impair [SS_HOSTS_MAX];    //  the wire's current lines
    ss_supervisor_t *sv;
    int wire_child;
};

//  Run argv, stdout to out_path (NULL: the log) and stderr to the log;
//  the exit status, or -1
static int
s_run_to (const char *log_path, const char *out_path, const char *const *argv)
{
    fflush (NULL);
    pid_t pid = fork ();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int log = open (log_path && *log_path? log_path: "/dev/null",
                        O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        int out = out_path? open (out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644): log;
        if (log >= 0) {
            dprintf (log, "+");
            for (int a = 0; argv [a]; a++)
                dprintf (log, " %s", argv [a]);
            dprintf (log, "\n");
            dup2 (log, STDERR_FILENO);
        }
        if (out >= 0)
            dup2 (out, STDOUT_FILENO);
        int null = open ("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2 (null, STDIN_FILENO);
        execvp (argv [0], (char **) argv);
        _exit (127);
    }
    int status;
    while (waitpid (pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED (status)? WEXITSTATUS (status): -1;
}

static int
s_run (ss_hosts_t *self, const char *const *argv)
{
    return s_run_to (self? self->log_path: NULL, NULL, argv);
}

static bool
s_have (const char *program)
{
    const char *argv [] = { "sh", "-c", NULL, NULL };
    char cmd [256];
    snprintf (cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", program);
    argv [2] = cmd;
    return s_run_to (NULL, NULL, argv) == 0;
}

const char *
ss_hosts_unavailable (void)
{
    if (geteuid () != 0)
        return "not root";
    if (!s_have ("ip"))
        return "no ip(8) (Debian package iproute2)";
    if (!s_have ("nft"))
        return "no nft(8) (Debian package nftables)";
    char name [64];
    snprintf (name, sizeof name, "ssx%dprobe", (int) getpid ());
    const char *add [] = { "ip", "netns", "add", name, NULL };
    if (s_run_to (NULL, NULL, add))
        return "ip netns add fails here";
    const char *del [] = { "ip", "netns", "del", name, NULL };
    s_run_to (NULL, NULL, del);
    return NULL;
}

bool
ss_hosts_have_netem (void)
{
    char name [64];
    snprintf (name, sizeof name, "ssx%dnq", (int) getpid ());
    const char *add [] = { "ip", "netns", "add", name, NULL };
    if (s_run_to (NULL, NULL, add))
        return false;
    const char *probe [] = { "ip", "netns", "exec", name, "tc", "qdisc", "add", "dev", "lo",
                             "root", "netem", "delay", "1ms", NULL };
    bool ok = s_run_to (NULL, NULL, probe) == 0;
    const char *del [] = { "ip", "netns", "del", name, NULL };
    s_run_to (NULL, NULL, del);
    return ok;
}

//  ip with printf-made words: "ip -n NS link set lo up" as a format
static int
s_ip (ss_hosts_t *self, const char *format, ...)
{
    char line [1024];
    va_list args;
    va_start (args, format);
    vsnprintf (line, sizeof line, format, args);
    va_end (args);
    const char *argv [32];
    int a = 0;
    argv [a++] = "ip";
    for (char *word = strtok (line, " "); word && a < 31; word = strtok (NULL, " "))
        argv [a++] = word;
    argv [a] = NULL;
    return s_run (self, argv);
}

static int
s_wait_file (const char *path, double seconds, ss_supervisor_t *sv, int child)
{
    double until = ss_progress_now () + seconds;
    while (access (path, F_OK)) {
        if (ss_progress_now () >= until)
            return -1;
        if (sv && child >= 0) {
            ss_event_t event;
            while (ss_supervisor_poll (sv, &event))
                ;
            if (!ss_supervisor_alive (sv, child))
                return -1;
        }
        nanosleep (&(struct timespec) { 0, 20 * 1000 * 1000 }, NULL);
    }
    return 0;
}

ss_hosts_t *
ss_hosts_new (int n, bool wire, const char *self_exe, ss_supervisor_t *sv,
              const char *log_path, const char *ctl_path, char *err, size_t err_size)
{
    if (n < 1 || n + 1 > SS_HOSTS_MAX) {
        snprintf (err, err_size, "hosts: %d: expected 1..%d", n, SS_HOSTS_MAX - 1);
        return NULL;
    }
    ss_hosts_t *self = calloc (1, sizeof (ss_hosts_t));
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->n = n;
    self->wire = wire;
    self->sv = sv;
    self->wire_child = -1;
    snprintf (self->log_path, sizeof self->log_path, "%s", log_path? log_path: "");
    snprintf (self->ctl_path, sizeof self->ctl_path, "%s", ctl_path? ctl_path: "");
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    unsigned seed = (unsigned) getpid () * 2654435761u ^ (unsigned) ts.tv_nsec;
    snprintf (self->prefix, sizeof self->prefix, "ssx%d_%u", (int) getpid (), seed % 1000);
    snprintf (self->net, sizeof self->net, "10.%u.%u", 80 + (seed >> 8) % 40,
              (seed >> 16) % 250 + 1);
    for (int i = 0; i <= n; i++) {
        snprintf (self->names [i], sizeof self->names [i], "%s_%d", self->prefix, i);
        snprintf (self->ips [i], sizeof self->ips [i], "%s.%d", self->net, i + 1);
    }
    for (int i = 0; i <= n; i++) {
        if (s_ip (self, "netns add %s", self->names [i])) {
            snprintf (err, err_size, "ip netns add %s failed (see %s)", self->names [i],
                      self->log_path);
            ss_hosts_destroy (&self);
            return NULL;
        }
        self->made++;
        s_ip (self, "-n %s link set lo up", self->names [i]);
    }
    int rc = 0;
    const char *dev = wire? "tun0": "eth0";
    if (!wire) {
        self->netem = ss_hosts_have_netem ();
        snprintf (self->bridge, sizeof self->bridge, "%s_br", self->prefix);
        rc = s_ip (self, "netns add %s", self->bridge);
        self->bridge_made = rc == 0;
        if (rc == 0) {
            s_ip (self, "-n %s link set lo up", self->bridge);
            rc = s_ip (self, "-n %s link add br0 type bridge", self->bridge);
        }
        if (rc == 0)
            s_ip (self, "-n %s link set br0 type bridge stp_state 0 forward_delay 0",
                  self->bridge);
        if (rc == 0)
            rc = s_ip (self, "-n %s link set br0 up", self->bridge);
        for (int i = 0; rc == 0 && i <= n; i++) {
            rc = s_ip (self, "-n %s link add v%d type veth peer name eth0 netns %s",
                       self->bridge, i, self->names [i]);
            if (rc == 0)
                rc = s_ip (self, "-n %s link set v%d master br0", self->bridge, i);
            if (rc == 0)
                rc = s_ip (self, "-n %s link set v%d up", self->bridge, i);
        }
    }
    else {
        //  The wire opens tun0 in every namespace, then we address them
        char ready [4200];
        snprintf (ready, sizeof ready, "%s.ready", self->ctl_path);
        unlink (ready);
        FILE *ctl = fopen (self->ctl_path, "w");
        if (ctl)
            fclose (ctl);
        const char **argv = calloc ((size_t) n + 8, sizeof (char *));
        if (!argv)
            rc = -1;
        else {
            int a = 0;
            argv [a++] = self_exe;
            argv [a++] = "wire";
            argv [a++] = self->ctl_path;
            argv [a++] = ready;
            argv [a++] = self->net;
            for (int i = 0; i <= n; i++)
                argv [a++] = self->names [i];
            argv [a] = NULL;
            ss_restart_t no;
            ss_restart_defaults (&no);
            no.policy = SS_RESTART_NO;
            char wire_log [4200];
            snprintf (wire_log, sizeof wire_log, "%s.log", self->ctl_path);
            self->wire_child = ss_supervisor_add (sv, "wire", argv, wire_log, NULL, &no);
            free (argv);
            rc = self->wire_child < 0
              || ss_supervisor_start (sv, self->wire_child, err, err_size)? -1: 0;
            if (rc == 0 && s_wait_file (ready, 10, sv, self->wire_child)) {
                snprintf (err, err_size, "the wire did not start (see %s)", wire_log);
                ss_hosts_destroy (&self);
                return NULL;
            }
        }
    }
    for (int i = 0; rc == 0 && i <= n; i++) {
        rc = s_ip (self, "-n %s addr add %s/24 dev %s", self->names [i], self->ips [i], dev);
        if (rc == 0)
            rc = s_ip (self, "-n %s link set %s up", self->names [i], dev);
        if (rc == 0)
            rc = s_ip (self, "-n %s route replace %s.0/24 dev %s src %s",
                       self->names [i], self->net, dev, self->ips [i]);
    }
    if (rc) {
        if (!*err)
            snprintf (err, err_size, "cannot wire the hosts (see %s)", self->log_path);
        ss_hosts_destroy (&self);
        return NULL;
    }
    return self;
}

void
ss_hosts_destroy (ss_hosts_t **self_p)
{
    if (*self_p) {
        ss_hosts_t *self = *self_p;
        //  The wire first (it sits in the namespaces too): SIGTERM, so it
        //  prints its counters, then whatever is left in them is ours
        if (self->wire_child >= 0 && ss_supervisor_alive (self->sv, self->wire_child)) {
            ss_supervisor_signal (self->sv, self->wire_child, SIGTERM);
            ss_event_t event;
            for (int t = 0; t < 300 && ss_supervisor_alive (self->sv, self->wire_child); t++) {
                while (ss_supervisor_poll (self->sv, &event))
                    ;
                nanosleep (&(struct timespec) { 0, 10 * 1000 * 1000 }, NULL);
            }
        }
        for (int i = 0; i < self->made; i++) {
            //  Whatever still runs inside was started by this experiment
            char cmd [256];
            snprintf (cmd, sizeof cmd, "for p in $(ip netns pids %s 2>/dev/null); do "
                      "kill -KILL $p 2>/dev/null; done", self->names [i]);
            const char *argv [] = { "sh", "-c", cmd, NULL };
            s_run (self, argv);
            s_ip (self, "netns del %s", self->names [i]);
        }
        if (self->bridge_made)
            s_ip (self, "netns del %s", self->bridge);
        for (int i = 0; i < SS_HOSTS_MAX; i++)
            free (self->impair [i]);
        free (self);
        *self_p = NULL;
    }
}

const char *
ss_hosts_netns (ss_hosts_t *self, int i)
{
    return i >= 0 && i <= self->n? self->names [i]: NULL;
}

const char *
ss_hosts_ip (ss_hosts_t *self, int i)
{
    return i >= 0 && i <= self->n? self->ips [i]: NULL;
}

const char *
ss_hosts_wiring (ss_hosts_t *self)
{
    return self->wire? "userspace wire (TUN; this kernel has no sch_netem)":
           self->netem? "veth bridge, tc netem": "veth bridge";
}

bool
ss_hosts_netem (ss_hosts_t *self)
{
    return self->netem;
}

int
ss_hosts_nft (ss_hosts_t *self, int i, const char *rules)
{
    char path [4200];
    snprintf (path, sizeof path, "%s.nft", self->ctl_path);
    FILE *file = fopen (path, "w");
    if (!file)
        return -1;
    fputs (rules, file);
    fclose (file);
    char log [8192];
    snprintf (log, sizeof log, "nft rules for host %d:\n%s", i, rules);
    int fd = open (self->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dprintf (fd, "%s", log);
        close (fd);
    }
    const char *argv [] = { "ip", "netns", "exec", self->names [i], "nft", "-f", path, NULL };
    int rc = s_run (self, argv);
    unlink (path);
    return rc? -1: 0;
}

int64_t
ss_hosts_nft_dropped (ss_hosts_t *self, int i, const char *table)
{
    char path [4200];
    snprintf (path, sizeof path, "%s.json", self->ctl_path);
    const char *argv [] = { "ip", "netns", "exec", self->names [i], "nft", "-j", "list",
                            "table", "inet", table, NULL };
    if (s_run_to (self->log_path, path, argv)) {
        unlink (path);
        return -1;
    }
    FILE *file = fopen (path, "r");
    int64_t total = -1;
    if (file) {
        total = 0;
        char buf [65536];
        size_t got = fread (buf, 1, sizeof buf - 1, file);
        buf [got] = 0;
        fclose (file);
        for (char *at = strstr (buf, "\"packets\":"); at; at = strstr (at + 1, "\"packets\":"))
            total += strtoll (at + 10, NULL, 10);
    }
    unlink (path);
    return total;
}

int
ss_hosts_nft_delete (ss_hosts_t *self, int i, const char *table)
{
    const char *argv [] = { "ip", "netns", "exec", self->names [i], "nft", "delete",
                            "table", "inet", table, NULL };
    return s_run (self, argv)? -1: 0;
}

int
ss_hosts_impair (ss_hosts_t *self, int i, const char *netem)
{
    if (i < 0 || i > self->n)
        return -1;
    if (self->wire) {
        free (self->impair [i]);
        self->impair [i] = netem && *netem? strdup (netem): NULL;
        char tmp [4200];
        snprintf (tmp, sizeof tmp, "%s.tmp", self->ctl_path);
        FILE *file = fopen (tmp, "w");
        if (!file)
            return -1;
        for (int h = 0; h <= self->n; h++)
            fprintf (file, "%d\t%s\n", h, self->impair [h]? self->impair [h]: "");
        fclose (file);
        return rename (tmp, self->ctl_path);
    }
    if (!self->netem)
        return -1;
    if (!netem || !*netem) {
        const char *argv [] = { "ip", "netns", "exec", self->names [i], "tc", "qdisc",
                                "del", "dev", "eth0", "root", NULL };
        s_run (self, argv);
        return 0;
    }
    char line [512];
    snprintf (line, sizeof line, "ip netns exec %s tc qdisc replace dev eth0 root netem %s",
              self->names [i], netem);
    const char *argv [] = { "sh", "-c", line, NULL };
    return s_run (self, argv)? -1: 0;
}
