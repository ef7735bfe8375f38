/*  ss_supervisor: child processes kept running the way systemd keeps
    services, for `swarmshape launch` and `swarmshape experiment`.

    Each child has a name, an argv (and optionally another argv for its
    restarts: the coordinator restarts without --fresh), a log file its
    stdout and stderr go to (truncated at the first start, appended to at
    each restart, with a marker line), an optional network namespace it is
    exec'ed in (setns before execv: root only), and a restart policy:
    no | on-failure (restart after a non-zero exit or a signal) | always
    (also after exit 0), after restart_sec, with a start limit like
    systemd's StartLimitBurst/StartLimitIntervalSec: more than `burst`
    starts within `interval_sec` and the supervisor gives up on the child.

    Children get their own process group and PR_SET_PDEATHSIG SIGKILL, so
    a supervisor that is killed takes them with it. ss_supervisor_poll
    reaps (waitpid of each child's pid, never of other processes), starts
    the restarts that are due and returns what happened, one event at a
    time; the caller decides what an event means for its run.
*/
#ifndef SS_SUPERVISOR_H
#define SS_SUPERVISOR_H

#include <stdbool.h>
#include <sys/types.h>

typedef enum {
    SS_RESTART_NO, SS_RESTART_ON_FAILURE, SS_RESTART_ALWAYS
} ss_restart_policy_t;

typedef struct {
    ss_restart_policy_t policy;     //  [on-failure]
    double restart_sec;             //  [1] between a death and the restart
    int burst;                      //  [5] starts allowed within interval_sec
    double interval_sec;            //  [10]
} ss_restart_t;

typedef enum {
    SS_CHILD_NEW,           //  never started
    SS_CHILD_RUNNING,
    SS_CHILD_FROZEN,        //  running, stopped by SIGSTOP (ss_supervisor_signal)
    SS_CHILD_WAITING,       //  dead, restart due at restart_at
    SS_CHILD_DONE,          //  exited 0, not restarted
    SS_CHILD_DEAD           //  died, not restarted (policy, start limit, hold)
} ss_child_state_t;

typedef enum {
    SS_EVENT_EXITED,        //  exit 0 (restarted only under always)
    SS_EVENT_DIED,          //  non-zero exit or signal
    SS_EVENT_RESTARTED,     //  started again
    SS_EVENT_GAVE_UP        //  start limit reached: stays dead
} ss_event_kind_t;

typedef struct {
    ss_event_kind_t kind;
    int child;              //  index from ss_supervisor_add
    int status;             //  wait status (EXITED, DIED)
    pid_t pid;              //  the process concerned
    char how [48];          //  "exit 3", "signal 9 (Killed)"
} ss_event_t;

typedef struct ss_supervisor_t ss_supervisor_t;

void ss_restart_defaults (ss_restart_t *restart);
//  "no" | "on-failure" | "always": 0 or -1
int ss_restart_policy_parse (const char *text, ss_restart_policy_t *policy);
const char *ss_restart_policy_name (ss_restart_policy_t policy);

//  Take --restart POLICY, --restart-sec S and --start-limit BURST/SECONDS
//  (also --opt=value) out of argv (argv[0] stays), so the remaining
//  arguments go to the common parser. 0, or 2 after one line on stderr.
int ss_restart_take_options (const char *command, int *argc, char **argv,
                             ss_restart_t *restart);

ss_supervisor_t *ss_supervisor_new (void);
//  Stops every child still running (ss_supervisor_stop_all, 3 s) and frees
void ss_supervisor_destroy (ss_supervisor_t **self_p);

//  Add increment to child c's nice value at each start (before exec: every
//  thread inherits it; a refused increase of priority is ignored). 0 or -1.
int ss_supervisor_set_nice (ss_supervisor_t *self, int c, int increment);
//  May this process raise a child's priority (a negative increment)?
bool ss_supervisor_can_raise_priority (void);

//  A child (not started). argv is copied; log_path NULL: inherit stdout and
//  stderr; netns NULL: this namespace. Its index, or -1.
int ss_supervisor_add (ss_supervisor_t *self, const char *name,
                       const char *const *argv, const char *log_path,
                       const char *netns, const ss_restart_t *restart);
//  The argv of the child's restarts (copied); 0 or -1
int ss_supervisor_set_restart_argv (ss_supervisor_t *self, int child,
                                    const char *const *argv);
//  Start it now (also a DEAD or DONE child: a restart by hand, which
//  counts as a restart). 0, or -1 with a line in err.
int ss_supervisor_start (ss_supervisor_t *self, int child, char *err, size_t err_size);

//  Reap, restart what is due; 1 and *event when something happened, 0
//  when nothing did. Call it until it returns 0.
int ss_supervisor_poll (ss_supervisor_t *self, ss_event_t *event);

//  Send sig to the child if it runs (SIGSTOP/SIGCONT tracked as FROZEN).
//  0, or -1 when it is not running.
int ss_supervisor_signal (ss_supervisor_t *self, int child, int sig);
//  No more restarts (the run is ending); WAITING children become DEAD
void ss_supervisor_hold (ss_supervisor_t *self);
//  SIGCONT + SIGTERM to every running child, SIGKILL to those alive after
//  kill_wait seconds; reaps them all (their deaths are not events)
void ss_supervisor_stop_all (ss_supervisor_t *self, double kill_wait);

int ss_supervisor_count (ss_supervisor_t *self);
ss_child_state_t ss_supervisor_state (ss_supervisor_t *self, int child);
pid_t ss_supervisor_pid (ss_supervisor_t *self, int child);
const char *ss_supervisor_name (ss_supervisor_t *self, int child);
int ss_supervisor_deaths (ss_supervisor_t *self, int child);
int ss_supervisor_restarts (ss_supervisor_t *self, int child);
//  The last wait status (after EXITED/DIED), -1 none
int ss_supervisor_status (ss_supervisor_t *self, int child);
//  Running or frozen
bool ss_supervisor_alive (ss_supervisor_t *self, int child);

//  "exit 3" or "signal 9 (Killed)" for a wait status
void ss_supervisor_describe_status (int status, char *buf, size_t size);

#endif
