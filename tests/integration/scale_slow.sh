#!/usr/bin/env bash
# ctest-label: slow (tests/CMakeLists.txt: run alone, not under the sanitizers)
#   scale_slow.sh BUILD_DIR: 200 agents on a host made slower on purpose
#   (issue 14: slowness costs speed only, never correctness). Two launches
#   of a ring of 200 agents (the default model and fault keys, CURVE on),
#   each against `swarmshape sim` of its fleet file:
#     a. hog: one busy process per core (nproc of them; nice -10 when
#        allowed) for the whole run;
#     b. stop: SIGSTOP, and SIGCONT STOP_MS [lost_after_ms / 2 = 2500] ms
#        later, of three agents far apart once the trace has round 10, and
#        of two neighbours once it has round 30: a stop shorter than
#        lost_after_ms (they go evasive, never lost).
#   Each asserts what scale.sh asserts: every agent live to the last round;
#   no epoch change, no substitution, no loss in any agent's counters; the
#   trace complete from round 0 with every agent and sim's J0; positions
#   and J equal to sim's (difference 0); and that the disturbance happened
#   (the hogs used CPU; the stopped agents were in state T). Label slow.
#   SKIP when the host cannot hold 200 agents. Every wait is bounded.
. "$(dirname "$0")/scale_lib.bash"
N=${N:-200}
STOP_MS=${STOP_MS:-2500}
scale_can_hold "$N"

#   --- a. a CPU hog on every core for the whole run -------------------------
scale_fleet hog "$N" 30
scale_sim hog
HOGS=()
#   Above the agents' priority when allowed (root): a heavier hog
hog_nice=0
nice -n -10 true 2> /dev/null && hog_nice=-10
for ((c = 0; c < $(nproc); c++)); do
    nice -n "$hog_nice" bash -c 'while :; do :; done' &
    HOGS+=($!); OTHER_PIDS+=($!)
    disown $!
done
scale_launch hog 600
scale_wait hog 610; rc=$?
hog_cpu=0
for pid in "${HOGS[@]}"; do
    t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2> /dev/null)
    hog_cpu=$((hog_cpu + ${t:-0}))
    kill -KILL "$pid" 2> /dev/null
done
[ "$hog_cpu" -gt 0 ] && pass "hog: ${#HOGS[@]} busy processes (nice $hog_nice) used $((hog_cpu / $(getconf CLK_TCK))) s of CPU during the run" \
    || fail "hog: the busy processes used no CPU"
[ $rc -eq 0 ] && pass "hog: launch of $N agents: exit 0" \
    || { fail "hog: launch exit $rc"; tail -5 "$T/hog-launch.err"; }
scale_check hog "$N" "$N agents, CPU hog on every core"

#   --- b. SIGSTOP / SIGCONT of a few agents, shorter than lost_after_ms -----
scale_fleet stop "$N" 300
scale_sim stop
scale_launch stop 600
#   stop_agents SECONDS IDS...: SIGSTOP each, check it is stopped, SIGCONT
#   after STOP_MS
stop_agents () {
    local id pid pids=() stopped=0
    for id in "$@"; do
        pid=$(agent_pid stop "$id")
        if [ -z "$pid" ]; then
            kill -0 "$LAUNCH_PID" 2> /dev/null \
                && fail "stop: no process for agent $id" \
                || fail "stop: the run ended (trace at round $(traced_round stop)) before agent $id could be stopped"
            continue
        fi
        kill -STOP "$pid" && pids+=("$pid")
    done
    sleep 0.2
    for pid in "${pids[@]}"; do
        [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2> /dev/null)" = T ] && stopped=$((stopped + 1))
    done
    sleep "$(awk -v ms="$STOP_MS" 'BEGIN { print ms / 1000 - 0.2 }')"
    for pid in "${pids[@]}"; do kill -CONT "$pid"; done
    [ "$stopped" -eq $# ] && pass "stop: agents $* stopped (state T) for $STOP_MS ms, then continued" \
        || fail "stop: $stopped of $# agents of $* were stopped"
}
#   wait_traced ROUND SECONDS: until the trace has ROUND
wait_traced () {
    local until=$((SECONDS + $2))
    while [ "$(traced_round stop)" -lt "$1" ]; do
        [ $SECONDS -ge $until ] && return 1
        kill -0 "$LAUNCH_PID" 2> /dev/null || return 1
        sleep 0.05
    done
}
if wait_traced 10 300; then
    stop_agents $((N / 8)) $((N / 2)) $((N - 7))
    if wait_traced 30 300; then
        stop_agents $((N / 4)) $((N / 4 + 1))
    else
        fail "stop: the trace never reached round 30 (at $(traced_round stop))"
    fi
else
    fail "stop: the trace never reached round 10 (at $(traced_round stop))"
fi
scale_wait stop 610; rc=$?
[ $rc -eq 0 ] && pass "stop: launch of $N agents: exit 0" \
    || { fail "stop: launch exit $rc"; tail -5 "$T/stop-launch.err"; }
scale_check stop "$N" "$N agents, SIGSTOP/SIGCONT of 3 then 2 agents for $STOP_MS ms"

[ $FAILS -eq 0 ] && echo "scale_slow.sh: all passed" || echo "scale_slow.sh: $FAILS failed"
exit $((FAILS > 0))
