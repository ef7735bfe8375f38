/*  swarmshape launch FLEET --out DIR [--insecure] [--host NAME] [--quiet]
    [--verbose]: the fleet on this host. Starts the coordinator (which
    writes the run's files into DIR) and one agentd per agent whose host is
    this machine (127.0.0.1, localhost, ::1, the hostname, or --host), each
    with fork + execv, all in one process group led by the coordinator.

    Children: the coordinator's stderr passes through (progress lines);
    agents' stderr goes to DIR/logs/agent-<i>.log unless --verbose.
    A failing agent ends the run: the others get SIGTERM. The coordinator
    dying does not: agents never depend on it, so launch says so, tells how
    to restart it by hand (`coordinator --fleet F --out DIR` resumes the
    trace) and waits for the agents; launch then exits 1. On SIGINT or
    SIGTERM every child gets SIGTERM, those alive after 3 s SIGKILL, and all
    are reaped before launch exits (1: interrupted).
*/

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ss_cli.h"
#include "ss_keys.h"
#include "ss_runlog.h"

#define SS_LAUNCH_KILL_WAIT   3.0   //  s between SIGTERM and SIGKILL
#define SS_LAUNCH_GRACE       15.0  //  s the others may take after one finished

typedef struct {
    pid_t pid;
    int id;                 //  agent id, -1 the coordinator
    bool live;
    int status;
} s_child_t;

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

//  Find program NAME: next to us in the build tree (<bindir>/../NAME/NAME),
//  in our own directory (installed), else on PATH. 0 or -1.
static int
s_find_program (const char *name, char *out, size_t size)
{
    char self [PATH_MAX];
    ssize_t len = readlink ("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
        self [len] = 0;
        char *dir = dirname (self);
        snprintf (out, size, "%s/../%s/%s", dir, name, name);
        if (access (out, X_OK) == 0)
            return 0;
        snprintf (out, size, "%s/%s", dir, name);
        if (access (out, X_OK) == 0)
            return 0;
    }
    const char *path = getenv ("PATH");
    while (path && *path) {
        const char *colon = strchr (path, ':');
        int n = colon? (int) (colon - path): (int) strlen (path);
        snprintf (out, size, "%.*s/%s", n, path, name);
        if (n > 0 && access (out, X_OK) == 0)
            return 0;
        path = colon? colon + 1: NULL;
    }
    return -1;
}

static bool
s_is_local (const char *host, const char *hostname, const char *extra)
{
    return !strcmp (host, "127.0.0.1") || !strcmp (host, "localhost")
        || !strcmp (host, "::1") || (*hostname && !strcmp (host, hostname))
        || (extra && !strcmp (host, extra));
}

//  Fork and exec argv; the child joins process group pgid (0: its own) and
//  sends its stderr (and stdout) to log_path when given. The pid or -1.
static pid_t
s_spawn (char **argv, pid_t pgid, const char *log_path)
{
    pid_t pid = fork ();
    if (pid == 0) {
        setpgid (0, pgid);
        signal (SIGINT, SIG_DFL);
        signal (SIGTERM, SIG_DFL);
        if (log_path) {
            int fd = open (log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd >= 0) {
                dup2 (fd, STDOUT_FILENO);
                dup2 (fd, STDERR_FILENO);
            }
        }
        execv (argv [0], argv);
        fprintf (stderr, "swarmshape launch: cannot run %s: %s\n", argv [0],
                 strerror (errno));
        _exit (127);
    }
    if (pid > 0)
        setpgid (pid, pgid? pgid: pid);     //  both sides: no race
    return pid;
}

static void
s_signal_live (s_child_t *children, int n, int sig)
{
    for (int c = 0; c < n; c++)
        if (children [c].live)
            kill (children [c].pid, sig);
}

static void
s_describe (const s_child_t *child, const char *out, bool verbose)
{
    char what [64];
    if (child->id < 0)
        snprintf (what, sizeof what, "the coordinator");
    else
        snprintf (what, sizeof what, "agent %d", child->id);
    char how [64];
    if (WIFEXITED (child->status))
        snprintf (how, sizeof how, "exit %d", WEXITSTATUS (child->status));
    else
        snprintf (how, sizeof how, "signal %d", WTERMSIG (child->status));
    if (child->id >= 0 && !verbose)
        fprintf (stderr, "swarmshape launch: %s failed (%s); see %s/logs/agent-%d.log\n",
                 what, how, out, child->id);
    else
        fprintf (stderr, "swarmshape launch: %s failed (%s)\n", what, how);
}

int
ss_cmd_launch (int argc, char **argv)
{
    ss_cli_args_t args;
    int rc = ss_cli_parse ("launch", argc, argv, 1, "FLEET", &args);
    if (rc)
        return rc;
    if (!args.out) {
        fprintf (stderr, "swarmshape launch: missing --out DIR\n");
        return 2;
    }
    ss_fleet_t *fleet = ss_cli_load_ports (&args);
    if (!fleet)
        return 2;
    char err [8192];
    if (!args.insecure && !fleet->curve) {
        fprintf (stderr, "swarmshape launch: %s: security/curve: 0 needs --insecure\n",
                 fleet->path);
        ss_fleet_destroy (&fleet);
        return 2;
    }
    char agentd [PATH_MAX], coordinator [PATH_MAX];
    if (s_find_program ("agentd", agentd, sizeof agentd)
    ||  s_find_program ("coordinator", coordinator, sizeof coordinator)) {
        fprintf (stderr, "swarmshape launch: cannot find the agentd and coordinator "
                         "programs (next to swarmshape or on PATH)\n");
        ss_fleet_destroy (&fleet);
        return 1;
    }
    if (!args.insecure) {
        int written = ss_keys_generate (fleet, false, err, sizeof err);
        if (written < 0) {
            fprintf (stderr, "swarmshape launch: %s\n", err);
            ss_fleet_destroy (&fleet);
            return 1;
        }
        if (written > 0 && !args.quiet)
            fprintf (stderr, "swarmshape launch: wrote %d certificates into %s\n",
                     written, fleet->keys);
    }
    //  A launch is a new run: its agents keep their checkpoints in the run
    //  directory, so an old run's checkpoints are never resumed by mistake
    char logs [PATH_MAX], state [PATH_MAX];
    snprintf (logs, sizeof logs, "%s/logs", args.out);
    snprintf (state, sizeof state, "%s/state", args.out);
    if (ss_mkdirs (logs, 0755)) {
        fprintf (stderr, "swarmshape launch: %s: cannot create: %s\n", logs,
                 strerror (errno));
        ss_fleet_destroy (&fleet);
        return 1;
    }
    char hostname [256] = "";
    gethostname (hostname, sizeof hostname - 1);

    //  Arguments common to every child: --fleet FILE [--set X]... flags
    int n_common = 0;
    const char *common [2 * SS_CLI_MAX_SETS + 8];
    common [n_common++] = "--fleet";
    common [n_common++] = args.positional [0];
    for (int s = 0; s < args.n_sets; s++) {
        common [n_common++] = "--set";
        common [n_common++] = args.sets [s];
    }
    if (args.insecure)
        common [n_common++] = "--insecure";
    if (args.quiet)
        common [n_common++] = "--quiet";

    int n = fleet->count;
    s_child_t *children = calloc ((size_t) n + 1, sizeof (s_child_t));
    char **child_argv = calloc ((size_t) n_common + 8, sizeof (char *));
    if (!children || !child_argv) {
        fprintf (stderr, "swarmshape launch: out of memory\n");
        free (children);
        free (child_argv);
        ss_fleet_destroy (&fleet);
        return 1;
    }
    ss_cli_catch_signals ();
    signal (SIGPIPE, SIG_IGN);
    int n_children = 0;
    bool failed = false, interrupted = false;

    //  The coordinator first: it leads the process group
    int a = 0;
    child_argv [a++] = coordinator;
    for (int c = 0; c < n_common; c++)
        child_argv [a++] = (char *) common [c];
    child_argv [a++] = "--out";
    child_argv [a++] = (char *) args.out;
    child_argv [a++] = "--fresh";          //  a launch is a new run
    child_argv [a] = NULL;
    pid_t pgid = s_spawn (child_argv, 0, NULL);
    if (pgid < 0) {
        fprintf (stderr, "swarmshape launch: cannot fork: %s\n", strerror (errno));
        failed = true;
    }
    else
        children [n_children++] = (s_child_t) { .pid = pgid, .id = -1, .live = true };

    int here = 0;
    for (int i = 0; !failed && i < n; i++) {
        if (!s_is_local (fleet->agents [i].host, hostname, args.host))
            continue;
        char id [32], log_path [PATH_MAX + 64];
        snprintf (id, sizeof id, "%d", i);
        snprintf (log_path, sizeof log_path, "%s/agent-%d.log", logs, i);
        a = 0;
        child_argv [a++] = agentd;
        for (int c = 0; c < n_common; c++)
            child_argv [a++] = (char *) common [c];
        child_argv [a++] = "--id";
        child_argv [a++] = id;
        child_argv [a++] = "--state-dir";
        child_argv [a++] = state;
        child_argv [a] = NULL;
        pid_t pid = s_spawn (child_argv, pgid, args.verbose? NULL: log_path);
        if (pid < 0) {
            fprintf (stderr, "swarmshape launch: cannot fork agent %d: %s\n", i,
                     strerror (errno));
            failed = true;
            break;
        }
        children [n_children++] = (s_child_t) { .pid = pid, .id = i, .live = true };
        here++;
    }
    if (!args.quiet && !failed)
        fprintf (stderr, "swarmshape launch: coordinator and %d of %d agents started "
                         "on this host (%s); agents' logs in %s, checkpoints in %s\n", here, n,
                 args.insecure? "insecure": "CURVE", args.verbose? "stderr": logs, state);
    if (here == 0 && !failed)
        fprintf (stderr, "swarmshape launch: warning: no agent of %s runs on this host\n",
                 fleet->path);

    //  Wait for all; any failure or a signal ends the run for everyone
    int live = n_children;
    double kill_at = 0, grace_until = 0;
    bool terminating = false, killed = false, coordinator_died = false;
    if (failed) {
        s_signal_live (children, n_children, SIGTERM);
        terminating = true;
        kill_at = s_now () + SS_LAUNCH_KILL_WAIT;
    }
    while (live > 0) {
        double now = s_now ();
        if (ss_cli_stop && !interrupted) {
            interrupted = true;
            if (!args.quiet)
                fprintf (stderr, "swarmshape launch: interrupted: stopping %d processes\n", live);
            s_signal_live (children, n_children, SIGTERM);
            if (!terminating) {
                terminating = true;
                kill_at = now + SS_LAUNCH_KILL_WAIT;
            }
        }
        if (!terminating && grace_until > 0 && now >= grace_until) {
            fprintf (stderr, "swarmshape launch: %d processes still running %.0f s after "
                             "the run ended: stopping them\n", live, SS_LAUNCH_GRACE);
            s_signal_live (children, n_children, SIGTERM);
            terminating = true;
            failed = true;
            kill_at = now + SS_LAUNCH_KILL_WAIT;
        }
        if (terminating && !killed && now >= kill_at) {
            s_signal_live (children, n_children, SIGKILL);
            killed = true;
        }
        int status;
        pid_t pid = waitpid (-1, &status, WNOHANG);
        if (pid <= 0) {
            if (pid < 0 && errno == ECHILD)
                break;
            nanosleep (&(struct timespec) { 0, 20 * 1000 * 1000 }, NULL);
            continue;
        }
        for (int c = 0; c < n_children; c++) {
            s_child_t *child = &children [c];
            if (child->pid != pid || !child->live)
                continue;
            child->live = false;
            child->status = status;
            live--;
            bool ok = WIFEXITED (status) && WEXITSTATUS (status) == 0;
            //  Children we stopped may end by our signal: not their failure
            if (!ok && !terminating && child->id < 0) {
                //  The agents carry on without their monitor
                coordinator_died = true;
                s_describe (child, args.out, args.verbose);
                fprintf (stderr, "swarmshape launch: the agents keep running; restart the "
                                 "coordinator by hand to resume the run's files:\n"
                                 "    %s --fleet %s", coordinator, args.positional [0]);
                for (int s = 0; s < args.n_sets; s++)
                    fprintf (stderr, " --set %s", args.sets [s]);
                fprintf (stderr, "%s --out %s\n", args.insecure? " --insecure": "", args.out);
            }
            else
            if (!ok && !(terminating && WIFSIGNALED (status))) {
                s_describe (child, args.out, args.verbose);
                failed = true;
                if (!terminating) {
                    s_signal_live (children, n_children, SIGTERM);
                    terminating = true;
                    kill_at = s_now () + SS_LAUNCH_KILL_WAIT;
                }
            }
            else
            if (!terminating && grace_until == 0 && ok)
                grace_until = s_now () + SS_LAUNCH_GRACE;
        }
    }
    if (interrupted)
        fprintf (stderr, "swarmshape launch: interrupted; files in %s\n", args.out);
    else
    if (!failed && coordinator_died)
        fprintf (stderr, "swarmshape launch: the agents are done; the coordinator died "
                         "during the run, so the files in %s are complete only if a "
                         "restarted coordinator finished them\n", args.out);
    else
    if (!failed && !args.quiet)
        fprintf (stderr, "swarmshape launch: done; files in %s\n", args.out);
    free (children);
    free (child_argv);
    ss_fleet_destroy (&fleet);
    return failed || interrupted || coordinator_died? 1: 0;
}
