#!/usr/bin/env bash
#   hostile_pushback (issue 9, item 5): data pushed back on an agent's
#   outbound links. Agent 1's own certificate serves agent 1's endpoint
#   (tests/fault/forge serve: agent 1 compromised), so its neighbours'
#   DEALERs (agents 7, 0, 2, 3; two connections each) connect to it; on
#   every connection it pushes 1000 frames of 100 bytes, then 300 of
#   1 MiB (before the fix the neighbour DEALERs were not read: 300 x 1 MiB
#   took two agents from 8.4 MB to 317 MB for the rest of the run).
#   Asserted: the peak VmRSS of agents 0 and 2 stays within PUSH_MB of
#   what it was before the attack; agent 0 counts the small frames it
#   read and dropped ("wrong type": data on an outbound link); every
#   frame above the DEALER's 256-byte limit is refused by libzmq (the
#   connection is dropped and made again: the pushing side sees it go);
#   the run ends like one where agent 1 is simply absent (lost at the
#   start barrier in both): final J within 1%, positions within 0.01,
#   trackers unbiased (bias <= 1e-9). Not bit for bit: losing an agent
#   changes epochs, and an agent adopts a neighbour's epoch from whichever
#   message brings it first, heartbeats included, which the clock times
#   (measured: 2e-5 to 4e-4 in positions, 2e-6 in J).
#   Usage: hostile_pushback.sh BUILD_DIR
N=${N:-8}
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/hostile_lib.bash"
[ $SANITIZED = 1 ] && PUSH_MB=${PUSH_MB:-48}      #   ASan's redzones and shadow
PUSH_MB=${PUSH_MB:-16}
#   TCP between the agents (a compromised agent on another host; on one
#   host links/transport = auto takes ipc://, which forge does not serve)
FAULTS=("${NO_DEADLINE[@]}" --set faults/start_timeout_ms=3000 --set faults/checkpoint_every=10
        --set links/transport=tcp)
#   fleet_run RUN [serve]: the fleet without agent 1 (served by forge if asked)
fleet_run () {
    local run=$1
    start_coord "$run" --quiet "${FAULTS[@]}"
    if [ -n "${2:-}" ]; then
        "$FORGE" "$FLEET" 1 serve "${FAULTS[@]}" --hold 60000 "raw:size=100:repeat=1000" \
            "raw:size=1048576:repeat=300" > "$TMP/serve.out" 2>&1 &
        SERVE=$!; OTHER_PIDS+=($SERVE)
        sleep 0.5
    fi
    for ((i = 0; i < N; i++)); do
        [ $i = 1 ] || start_agent "$run" $i "${FAULTS[@]}"
    done
    if [ -n "${2:-}" ]; then
        started () { grep -q "start: fleet" "$TMP/$run/agent-0.log" \
                     && grep -q "start: fleet" "$TMP/$run/agent-2.log"; }
        wait_until 20 started || fail "agents 0 and 2 did not start"
        mem_watch a0 "${PID[$run.0]}"
        mem_watch a2 "${PID[$run.2]}"
    fi
    wait_fleet "$run" 300 1
    #   The coordinator waits for agent 1's rows until it is lost
    term_within "${PID[$run.coord]}" 10 || fail "$run: the coordinator did not stop"
    unset "PID[$run.coord]"
    no_crash "$run"
}
fleet_run base
fleet_run run serve
read -r peak0 first0 <<< "$(mem_stop a0)"
read -r peak2 first2 <<< "$(mem_stop a2)"
kill -TERM $SERVE
wait $SERVE
note "$(cat "$TMP/serve.out")"
note "VmRSS: agent 0 $first0 kB before, peak $peak0 kB; agent 2 $first2 kB, peak $peak2 kB"
check_le "agent 0's VmRSS growth (kB)" $((peak0 - first0)) $((PUSH_MB * 1024))
check_le "agent 2's VmRSS growth (kB)" $((peak2 - first2)) $((PUSH_MB * 1024))
served=$(sed -n 's/.*: \([0-9]*\) connections, .*/\1/p' "$TMP/serve.out")
gone=$(sed -n 's/.* \([0-9]*\) connections gone before all was pushed.*/\1/p' "$TMP/serve.out")
[ "${served:-0}" -ge 8 ] || fail "only ${served:-0} connections reached the pushing side"
[ "${gone:-0}" -ge 1 ] || fail "no connection was dropped for a 1 MiB frame"
wrong=$(counter run 0 wrong_type)
[ "$wrong" != missing ] && [ "$wrong" -ge 1 ] || fail "agent 0 counted no data on its outbound links ($wrong)"
note "agent 0: wrong type $wrong; lost $(counter run 0 lost) (agent 1, at the start barrier)"
R=$(inspect run "${FAULTS[@]}" --skip 1 --compare "$TMP/base/state")
note "with agent 1 pushing back: $R"
B=$(inspect base "${FAULTS[@]}" --skip 1)
note "agent 1 absent: $B"
check_le "positions' difference" "$(field "$R" maxdiff)" 0.01
check_le "bias" "$(field "$R" bias)" 1e-9
ratio=$(awk -v a="$(field "$R" J)" -v b="$(field "$B" J)" 'BEGIN { r = a / b - 1; print (r < 0? -r: r) }')
check_le "|J / J(agent 1 absent) - 1|" "$ratio" 0.01
echo "hostile_pushback: ok"
