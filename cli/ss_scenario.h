/*  ss_scenario: a fault scenario file (ZPL, read with zconfig like the
    fleet file): what to do to a running fleet, and when.

        scenario
            name = kill_one                 [file name] [A-Za-z0-9._-], 1-63
            description = "..."             [""] one line for the report
            hosts = 0                       [0] 0: agents on the loopback;
                                            N >= 2: N network namespaces
            layout = spread                 [spread] agent i on host i mod N;
                                            block: consecutive agents share a host
            restart = no                    [no] agents' policy: no|on-failure|always
            coordinator_restart = on-failure    [on-failure]
            restart_sec = 1                 [1] seconds before a restart
            bound = 1.5                     [1.5] final J <= bound x undisturbed J
            recover_disagreement = 0.1      [0.1] recovery thresholds (README,
            recover_bias = 1e-6             [1e-6]  "rounds to recover")
            stop_after_rounds = 0           [0] > 0: the fleet runs until stopped
                                            (rounds = 0) and the experiment stops
                                            it (SIGTERM to the coordinator: a STOP
                                            round) this many trace rounds after the
                                            last event ended; the undisturbed sim
                                            then runs to the same final round. For
                                            partitions: a side cut off runs at its
                                            own pace, and would finish a finite
                                            run alone.
            set = "faults/lost_after_ms=1000"   fleet overrides (repeatable)
            event                           one per action (0..64; none: a
                                            baseline, the fleet undisturbed in
                                            the same network)
                at_round = 100              when: the trace reaches this round,
                at_seconds = 5              or seconds after the start (one of them)
                do = kill                   kill|stop|restart|target|loss|delay|
                                            duplicate|reorder|partition
                agents = "5 7"              kill/stop/restart: agent ids or "all"
                coordinator = 1             [0] kill/stop/restart: the coordinator
                signal = KILL               [KILL] kill: KILL|TERM|INT|SEGV|ABRT
                hosts = "2"                 [all] network events: host ids or "all";
                                            partition: the hosts cut off together
                percent = 10                loss|duplicate|reorder: (0, 100]
                delay_ms = 20               delay|reorder: > 0
                jitter_ms = 10              [0] delay: jitter (< delay_ms)
                file = target.zpl           target: a target file (relative to
                                            the scenario file)
                for_rounds = 100            stop and network events: how long,
                for_seconds = 3             in trace rounds or seconds (one of them)

    Every error is one line "FILE: scenario/event[2]/percent: what is wrong".
*/
#ifndef SS_SCENARIO_H
#define SS_SCENARIO_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ss_fleet.h"
#include "ss_supervisor.h"

#define SS_SCENARIO_MAX_EVENTS 64
#define SS_SCENARIO_MAX_SETS 32

typedef enum {
    SS_DO_KILL, SS_DO_STOP, SS_DO_RESTART, SS_DO_TARGET, SS_DO_LOSS,
    SS_DO_DELAY, SS_DO_DUPLICATE, SS_DO_REORDER, SS_DO_PARTITION, SS_DO_COUNT
} ss_do_t;

typedef enum { SS_FOR_NONE, SS_FOR_ROUNDS, SS_FOR_SECONDS } ss_for_t;

typedef struct {
    ss_do_t what;
    bool by_round;              //  at: a trace round, else seconds
    double at;
    ss_for_t for_kind;
    double for_value;
    int *agents;                //  ids (all: every agent of the fleet)
    int n_agents;
    bool all_agents, coordinator;
    int *hosts;                 //  host ids
    int n_hosts;
    bool all_hosts;
    double percent, delay_ms, jitter_ms;
    int signal;
    char file [PATH_MAX];       //  resolved
} ss_event_spec_t;

typedef struct {
    char path [PATH_MAX];
    char name [64];
    char description [256];
    int hosts;
    bool block;
    ss_restart_policy_t restart, coordinator_restart;
    double restart_sec, bound, recover_disagreement, recover_bias;
    int64_t stop_after_rounds;
    char *sets [SS_SCENARIO_MAX_SETS];
    int n_sets;
    ss_event_spec_t events [SS_SCENARIO_MAX_EVENTS];
    int n_events;
} ss_scenario_t;

//  NULL and one line in err on any error
ss_scenario_t *ss_scenario_load (const char *path, char *err, size_t err_size);
void ss_scenario_destroy (ss_scenario_t **self_p);

//  Does the scenario fit the fleet (agent ids < count)? 0 or -1 and a line
int ss_scenario_check_fleet (const ss_scenario_t *self, const ss_fleet_t *fleet,
                             char *err, size_t err_size);

//  A network event (needs namespaces)?
bool ss_event_is_network (const ss_event_spec_t *event);
//  Needs the userspace wire (or netem): delay, duplicate, reorder
bool ss_event_needs_wire (const ss_event_spec_t *event);
const char *ss_event_do_name (ss_do_t what);
//  One line saying what the event does: "kill -9 of agents 1, 4 at round 100"
void ss_event_describe (const ss_event_spec_t *event, char *buf, size_t size);
//  The host of agent i with this scenario's layout over n agents
int ss_scenario_host_of (const ss_scenario_t *self, int agent, int n_agents);

#endif
