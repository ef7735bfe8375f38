/*  ss_supervisor: spawn, reap, restart with a start limit. */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ss_supervisor.h"
#include "ss_progress.h"

#define SS_SV_MAX_STARTS 64     //  start times remembered for the limit

typedef struct {
    char *name;
    char **argv, **restart_argv;
    char *log_path, *netns;
    int nice;                   //  added to its nice value before exec
    ss_restart_t restart;
    ss_child_state_t state;
    pid_t pid;
    int status;
    int deaths, restarts, starts;
    double restart_at;
    double start_times [SS_SV_MAX_STARTS];     //  ring of the last starts
} s_child_t;

struct ss_supervisor_t {
    s_child_t *children;
    int n, cap;
    bool hold;
};

static double
s_now (void)
{
    return ss_progress_now ();
}

void
ss_restart_defaults (ss_restart_t *restart)
{
    *restart = (ss_restart_t) {
        .policy = SS_RESTART_ON_FAILURE, .restart_sec = 1.0, .burst = 5,
        .interval_sec = 10.0
    };
}

int
ss_restart_policy_parse (const char *text, ss_restart_policy_t *policy)
{
    if (!text)
        return -1;
    if (!strcmp (text, "no"))
        *policy = SS_RESTART_NO;
    else
    if (!strcmp (text, "on-failure"))
        *policy = SS_RESTART_ON_FAILURE;
    else
    if (!strcmp (text, "always"))
        *policy = SS_RESTART_ALWAYS;
    else
        return -1;
    return 0;
}

const char *
ss_restart_policy_name (ss_restart_policy_t policy)
{
    return policy == SS_RESTART_NO? "no":
           policy == SS_RESTART_ALWAYS? "always": "on-failure";
}

//  A number in [lo, hi] from text, whole: 0 or -1
static int
s_number (const char *text, double lo, double hi, double *value)
{
    if (!text || !*text)
        return -1;
    char *end;
    errno = 0;
    double v = strtod (text, &end);
    if (errno || *end || !(v >= lo && v <= hi))
        return -1;
    *value = v;
    return 0;
}

int
ss_restart_take_options (const char *command, int *argc, char **argv,
                         ss_restart_t *restart)
{
    static const char *names [] = { "--restart", "--restart-sec", "--start-limit" };
    int out = 1;
    for (int a = 1; a < *argc; a++) {
        const char *arg = argv [a];
        if (!strcmp (arg, "--")) {
            //  Everything after -- is positional: keep it as it is
            while (a < *argc)
                argv [out++] = argv [a++];
            break;
        }
        int which = -1;
        const char *value = NULL;
        for (int w = 0; w < 3; w++) {
            size_t len = strlen (names [w]);
            if (!strncmp (arg, names [w], len) && (arg [len] == 0 || arg [len] == '=')) {
                which = w;
                value = arg [len] == '='? arg + len + 1: NULL;
            }
        }
        if (which < 0) {
            argv [out++] = argv [a];
            continue;
        }
        if (!value) {
            if (a + 1 >= *argc) {
                fprintf (stderr, "swarmshape %s: option '%s' needs a value\n", command,
                         names [which]);
                return 2;
            }
            value = argv [++a];
        }
        double v;
        if (which == 0) {
            if (ss_restart_policy_parse (value, &restart->policy)) {
                fprintf (stderr, "swarmshape %s: --restart '%s': expected no, on-failure "
                                 "or always\n", command, value);
                return 2;
            }
        }
        else
        if (which == 1) {
            if (s_number (value, 0, 3600, &v)) {
                fprintf (stderr, "swarmshape %s: --restart-sec '%s': expected seconds "
                                 "(0..3600)\n", command, value);
                return 2;
            }
            restart->restart_sec = v;
        }
        else {
            char copy [64];
            snprintf (copy, sizeof copy, "%s", value);
            char *slash = strchr (copy, '/');
            double burst, interval;
            if (!slash || (*slash = 0, s_number (copy, 1, 1000, &burst))
            ||  s_number (slash + 1, 0, 86400, &interval) || burst != (int) burst) {
                fprintf (stderr, "swarmshape %s: --start-limit '%s': expected BURST/SECONDS "
                                 "(e.g. 5/10)\n", command, value);
                return 2;
            }
            restart->burst = (int) burst;
            restart->interval_sec = interval;
        }
    }
    argv [out] = NULL;
    *argc = out;
    return 0;
}

ss_supervisor_t *
ss_supervisor_new (void)
{
    return calloc (1, sizeof (ss_supervisor_t));
}

static void
s_free_argv (char ***argv_p)
{
    if (*argv_p) {
        for (char **a = *argv_p; *a; a++)
            free (*a);
        free (*argv_p);
        *argv_p = NULL;
    }
}

static char **
s_copy_argv (const char *const *argv)
{
    int n = 0;
    while (argv [n])
        n++;
    char **copy = calloc ((size_t) n + 1, sizeof (char *));
    for (int a = 0; copy && a < n; a++)
        if (!(copy [a] = strdup (argv [a]))) {
            s_free_argv (&copy);
            return NULL;
        }
    return copy;
}

void
ss_supervisor_destroy (ss_supervisor_t **self_p)
{
    if (*self_p) {
        ss_supervisor_t *self = *self_p;
        ss_supervisor_stop_all (self, 3.0);
        for (int c = 0; c < self->n; c++) {
            s_child_t *child = &self->children [c];
            free (child->name);
            free (child->log_path);
            free (child->netns);
            s_free_argv (&child->argv);
            s_free_argv (&child->restart_argv);
        }
        free (self->children);
        free (self);
        *self_p = NULL;
    }
}

int
ss_supervisor_add (ss_supervisor_t *self, const char *name, const char *const *argv,
                   const char *log_path, const char *netns, const ss_restart_t *restart)
{
    if (self->n == self->cap) {
        int cap = self->cap? 2 * self->cap: 32;
        s_child_t *grown = realloc (self->children, (size_t) cap * sizeof (s_child_t));
        if (!grown)
            return -1;
        self->children = grown;
        self->cap = cap;
    }
    s_child_t *child = &self->children [self->n];
    memset (child, 0, sizeof *child);
    child->name = strdup (name);
    child->argv = s_copy_argv (argv);
    child->log_path = log_path? strdup (log_path): NULL;
    child->netns = netns? strdup (netns): NULL;
    child->status = -1;
    if (restart)
        child->restart = *restart;
    else
        ss_restart_defaults (&child->restart);
    if (!child->name || !child->argv || (log_path && !child->log_path)
    ||  (netns && !child->netns)) {
        free (child->name);
        free (child->log_path);
        free (child->netns);
        s_free_argv (&child->argv);
        return -1;
    }
    return self->n++;
}

int
ss_supervisor_set_restart_argv (ss_supervisor_t *self, int c, const char *const *argv)
{
    if (c < 0 || c >= self->n)
        return -1;
    s_free_argv (&self->children [c].restart_argv);
    self->children [c].restart_argv = s_copy_argv (argv);
    return self->children [c].restart_argv? 0: -1;
}

int
ss_supervisor_set_nice (ss_supervisor_t *self, int c, int increment)
{
    if (c < 0 || c >= self->n)
        return -1;
    self->children [c].nice = increment;
    return 0;
}

bool
ss_supervisor_can_raise_priority (void)
{
    errno = 0;
    int now = getpriority (PRIO_PROCESS, 0);
    if (now == -1 && errno)
        return false;
    if (now <= -20 || setpriority (PRIO_PROCESS, 0, now - 1))
        return false;
    setpriority (PRIO_PROCESS, 0, now);
    return true;
}

//  In the child: never returns
static void
s_exec_child (s_child_t *child, char **argv, bool again)
{
    setpgid (0, 0);
    if (child->nice) {
        //  Before exec, so every thread of the program inherits it; a
        //  refusal (no privilege to raise it) leaves it as it is
        errno = 0;
        int now = getpriority (PRIO_PROCESS, 0);
        if (now != -1 || errno == 0)
            setpriority (PRIO_PROCESS, 0, now + child->nice);
    }
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    signal (SIGINT, SIG_DFL);
    signal (SIGTERM, SIG_DFL);
    signal (SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
    if (child->log_path) {
        int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (again? O_APPEND: O_TRUNC);
        int fd = open (child->log_path, flags, 0644);
        if (fd >= 0) {
            dup2 (fd, STDOUT_FILENO);
            dup2 (fd, STDERR_FILENO);
        }
        if (again)
            fprintf (stderr, "--- swarmshape supervisor: %s started again (restart %d) ---\n",
                     child->name, child->restarts + 1);
    }
    if (child->netns) {
        char path [4096];
        snprintf (path, sizeof path, "/run/netns/%s", child->netns);
        int fd = open (path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns (fd, CLONE_NEWNET)) {
            fprintf (stderr, "swarmshape: %s: cannot enter network namespace %s: %s\n",
                     child->name, child->netns, strerror (errno));
            _exit (127);
        }
        close (fd);
    }
    execv (argv [0], argv);
    fprintf (stderr, "swarmshape: cannot run %s: %s\n", argv [0], strerror (errno));
    _exit (127);
}

static int
s_spawn (s_child_t *child, bool again, char *err, size_t err_size)
{
    char **argv = again && child->restart_argv? child->restart_argv: child->argv;
    fflush (NULL);
    pid_t pid = fork ();
    if (pid < 0) {
        snprintf (err, err_size, "%s: cannot fork: %s", child->name, strerror (errno));
        return -1;
    }
    if (pid == 0)
        s_exec_child (child, argv, again);
    setpgid (pid, pid);                 //  both sides: no race
    child->pid = pid;
    child->state = SS_CHILD_RUNNING;
    child->start_times [child->starts % SS_SV_MAX_STARTS] = s_now ();
    child->starts++;
    return 0;
}

int
ss_supervisor_start (ss_supervisor_t *self, int c, char *err, size_t err_size)
{
    if (c < 0 || c >= self->n) {
        snprintf (err, err_size, "no child %d", c);
        return -1;
    }
    s_child_t *child = &self->children [c];
    if (child->state == SS_CHILD_RUNNING || child->state == SS_CHILD_FROZEN) {
        snprintf (err, err_size, "%s is running", child->name);
        return -1;
    }
    bool again = child->starts > 0;
    if (s_spawn (child, again, err, err_size))
        return -1;
    if (again)
        child->restarts++;
    return 0;
}

//  More than burst starts within interval_sec, counting the one to come?
static bool
s_limit_hit (const s_child_t *child, double now)
{
    int burst = child->restart.burst;
    if (burst <= 0 || burst > SS_SV_MAX_STARTS || child->starts < burst)
        return false;
    double oldest = child->start_times [(child->starts - burst) % SS_SV_MAX_STARTS];
    return now - oldest < child->restart.interval_sec;
}

void
ss_supervisor_describe_status (int status, char *buf, size_t size)
{
    if (status < 0)
        snprintf (buf, size, "not run");
    else
    if (WIFEXITED (status))
        snprintf (buf, size, "exit %d", WEXITSTATUS (status));
    else
    if (WIFSIGNALED (status))
        snprintf (buf, size, "signal %d (%s)", WTERMSIG (status), strsignal (WTERMSIG (status)));
    else
        snprintf (buf, size, "status %d", status);
}

int
ss_supervisor_poll (ss_supervisor_t *self, ss_event_t *event)
{
    double now = s_now ();
    for (int c = 0; c < self->n; c++) {
        s_child_t *child = &self->children [c];
        if (child->state != SS_CHILD_RUNNING && child->state != SS_CHILD_FROZEN)
            continue;
        int status;
        pid_t pid = waitpid (child->pid, &status, WNOHANG);
        if (pid != child->pid)
            continue;
        child->status = status;
        bool ok = WIFEXITED (status) && WEXITSTATUS (status) == 0;
        *event = (ss_event_t) { .kind = ok? SS_EVENT_EXITED: SS_EVENT_DIED,
                                .child = c, .status = status, .pid = pid };
        ss_supervisor_describe_status (status, event->how, sizeof event->how);
        if (!ok)
            child->deaths++;
        bool again = !self->hold
                  && (child->restart.policy == SS_RESTART_ALWAYS
                  ||  (!ok && child->restart.policy == SS_RESTART_ON_FAILURE));
        if (again) {
            child->state = SS_CHILD_WAITING;
            child->restart_at = now + child->restart.restart_sec;
        }
        else
            child->state = ok? SS_CHILD_DONE: SS_CHILD_DEAD;
        return 1;
    }
    for (int c = 0; c < self->n; c++) {
        s_child_t *child = &self->children [c];
        if (child->state != SS_CHILD_WAITING || now < child->restart_at)
            continue;
        *event = (ss_event_t) { .child = c, .status = child->status };
        if (s_limit_hit (child, now)) {
            child->state = SS_CHILD_DEAD;
            event->kind = SS_EVENT_GAVE_UP;
            snprintf (event->how, sizeof event->how, "%d starts within %g s",
                      child->restart.burst, child->restart.interval_sec);
            return 1;
        }
        char err [256];
        if (s_spawn (child, true, err, sizeof err)) {
            child->state = SS_CHILD_DEAD;
            event->kind = SS_EVENT_GAVE_UP;
            snprintf (event->how, sizeof event->how, "cannot fork");
            return 1;
        }
        child->restarts++;
        event->kind = SS_EVENT_RESTARTED;
        event->pid = child->pid;
        snprintf (event->how, sizeof event->how, "restart %d", child->restarts);
        return 1;
    }
    return 0;
}

int
ss_supervisor_signal (ss_supervisor_t *self, int c, int sig)
{
    if (c < 0 || c >= self->n || !ss_supervisor_alive (self, c))
        return -1;
    s_child_t *child = &self->children [c];
    if (kill (child->pid, sig))
        return -1;
    if (sig == SIGSTOP)
        child->state = SS_CHILD_FROZEN;
    else
    if (sig == SIGCONT)
        child->state = SS_CHILD_RUNNING;
    return 0;
}

void
ss_supervisor_hold (ss_supervisor_t *self)
{
    self->hold = true;
    for (int c = 0; c < self->n; c++)
        if (self->children [c].state == SS_CHILD_WAITING)
            self->children [c].state = SS_CHILD_DEAD;
}

void
ss_supervisor_stop_all (ss_supervisor_t *self, double kill_wait)
{
    ss_supervisor_hold (self);
    for (int c = 0; c < self->n; c++)
        if (ss_supervisor_alive (self, c)) {
            kill (self->children [c].pid, SIGCONT);
            kill (self->children [c].pid, SIGTERM);
        }
    double until = s_now () + kill_wait;
    bool killed = false;
    while (true) {
        int alive = 0;
        for (int c = 0; c < self->n; c++) {
            s_child_t *child = &self->children [c];
            if (!ss_supervisor_alive (self, c))
                continue;
            int status;
            if (waitpid (child->pid, &status, WNOHANG) == child->pid) {
                child->status = status;
                child->state = WIFEXITED (status) && WEXITSTATUS (status) == 0?
                               SS_CHILD_DONE: SS_CHILD_DEAD;
            }
            else
                alive++;
        }
        if (alive == 0)
            break;
        if (!killed && s_now () >= until) {
            for (int c = 0; c < self->n; c++)
                if (ss_supervisor_alive (self, c))
                    kill (self->children [c].pid, SIGKILL);
            killed = true;
        }
        nanosleep (&(struct timespec) { 0, 10 * 1000 * 1000 }, NULL);
    }
}

int
ss_supervisor_count (ss_supervisor_t *self)
{
    return self->n;
}

ss_child_state_t
ss_supervisor_state (ss_supervisor_t *self, int c)
{
    return c >= 0 && c < self->n? self->children [c].state: SS_CHILD_NEW;
}

pid_t
ss_supervisor_pid (ss_supervisor_t *self, int c)
{
    return c >= 0 && c < self->n? self->children [c].pid: -1;
}

const char *
ss_supervisor_name (ss_supervisor_t *self, int c)
{
    return c >= 0 && c < self->n? self->children [c].name: "?";
}

int
ss_supervisor_deaths (ss_supervisor_t *self, int c)
{
    return c >= 0 && c < self->n? self->children [c].deaths: 0;
}

int
ss_supervisor_restarts (ss_supervisor_t *self, int c)
{
    return c >= 0 && c < self->n? self->children [c].restarts: 0;
}

int
ss_supervisor_status (ss_supervisor_t *self, int c)
{
    return c >= 0 && c < self->n? self->children [c].status: -1;
}

bool
ss_supervisor_alive (ss_supervisor_t *self, int c)
{
    if (c < 0 || c >= self->n)
        return false;
    ss_child_state_t state = self->children [c].state;
    return state == SS_CHILD_RUNNING || state == SS_CHILD_FROZEN;
}
