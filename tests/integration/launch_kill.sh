#!/usr/bin/env bash
#   launch_kill.sh BUILD_DIR: `swarmshape launch` survives its agents
#   (issue 11). A 20-agent fleet, 600 rounds; kill -9 of agent 7 once the
#   trace reaches round 200. Twice:
#   - --restart no: launch exits 0, the run completes (trace and summary
#     at round 600), summary.json counts 19 live agents, its "supervision"
#     object 1 death, 0 restarts, agent 7 lost, down from about round 200
#     to the end; supervision.json says the same;
#   - --restart on-failure --restart-sec 1: launch exits 0, the run
#     completes, summary.json counts 20 live agents, 1 death and 1
#     restart, and agent 7's log says it resumed from its checkpoint.
#   Every wait is bounded; leftovers are killed on exit.
. "$(dirname "$0")/experiment_lib.bash" "${1:?usage: launch_kill.sh BUILD_DIR}"
exp_fleet launchkill 600 20 1 300 1000
timeout 60 "$SS" keygen "$T/f.zpl" > /dev/null 2>&1 || fail "keygen"

traced () {   # the last round of RUN's trace (-1: none)
    local r; r=$(tail -n 1 "$T/$1/trace.jsonl" 2>/dev/null | sed -n 's/^{"round":\([0-9]*\),.*/\1/p')
    echo "${r:--1}"
}
reached () { [ "$(traced "$1")" -ge "$2" ]; }

#   run NAME ARGS...: launch in the background, kill -9 agent 7 at round 200
run () {
    local name=$1; shift
    timeout 240 "$SS" launch "$T/f.zpl" --out "$T/$name" "$@" 2> "$T/$name.err" &
    local lpid=$!; PIDS+=($lpid)
    if wait_for 120 reached "$name" 200; then
        local apid
        apid=$(pgrep -f -- "--id 7 --state-dir $T/$name/state" | head -1)
        if [ -n "$apid" ]; then kill -9 "$apid"; KILLED_AT=$(traced "$name")
        else fail "$name: no agent 7 process"; fi
    else
        fail "$name: the trace never reached round 200"
    fi
    timeout 200 tail --pid=$lpid -f /dev/null
    wait $lpid; RC=$?
}

#   field FILE EXPR: a python expression on the summary s
field () { python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print($2)" "$1" 2>&1; }

run norestart --restart no
[ $RC -eq 0 ] && pass "--restart no: launch exit 0 after the kill at round $KILLED_AT" \
    || { fail "--restart no: launch exit $RC"; tail -5 "$T/norestart.err"; }
S=$T/norestart/summary.json
[ "$(field "$S" "s['rounds']")" = 600 ] && [ "$(traced norestart)" = 600 ] \
    && pass "--restart no: the run completes (round 600)" || fail "--restart no: rounds $(field "$S" "s['rounds']")"
[ "$(field "$S" "s['agents']")" = 19 ] && pass "--restart no: summary counts 19 live agents" \
    || fail "--restart no: summary agents $(field "$S" "s['agents']")"
v=$(field "$S" "(s['supervision']['deaths'], s['supervision']['restarts'], s['supervision']['lost_agents'], s['lost'])")
[ "$v" = "(1, 0, [7], [7])" ] && pass "--restart no: supervision 1 death, 0 restarts, agent 7 lost" \
    || fail "--restart no: supervision $v"
#   Down from the trace's round at the death to the end: the round the
#   supervisor noted is the one this test saw at the kill (the trace is
#   polled every 0.1 s, so it is 200 or a few rows past it: 260 on a fast
#   run), and rounds_down runs from it to round 600
v=$(field "$S" "(s['supervision']['down'][0]['died_at_round'], s['supervision']['down'][0]['rounds_down'])")
read -r died d <<< "$(echo "$v" | tr -d '(),')"
[ "${died:-x}" -ge 200 ] 2>/dev/null && [ "$died" -le $((${KILLED_AT:-0} + 20)) ] \
    && [ "$d" -eq $((600 - died)) ] \
    && pass "--restart no: agent 7 down $d rounds (from round $died, the trace at the kill $KILLED_AT, to the end)" \
    || fail "--restart no: died at round '$died', rounds down '$d' (the trace at the kill: ${KILLED_AT:-none})"
cmp -s <(field "$S" "s['supervision']") <(field "$T/norestart/supervision.json" "s") \
    && pass "--restart no: supervision.json = summary's supervision" || fail "supervision.json differs"
grep -q "agent 7 died (signal 9" "$T/norestart.err" && pass "--restart no: launch reported the death" \
    || fail "--restart no: no death line: $(tail -3 "$T/norestart.err")"

run restart --restart on-failure --restart-sec 1
[ $RC -eq 0 ] && pass "--restart on-failure: launch exit 0 after the kill at round $KILLED_AT" \
    || { fail "--restart on-failure: launch exit $RC"; tail -5 "$T/restart.err"; }
S=$T/restart/summary.json
[ "$(field "$S" "s['rounds']")" = 600 ] && pass "--restart on-failure: the run completes (round 600)" \
    || fail "--restart on-failure: rounds $(field "$S" "s['rounds']")"
[ "$(field "$S" "s['agents']")" = 20 ] && pass "--restart on-failure: summary counts 20 live agents" \
    || fail "--restart on-failure: summary agents $(field "$S" "s['agents']")"
v=$(field "$S" "(s['supervision']['deaths'], s['supervision']['restarts'], s['supervision']['lost_agents'])")
[ "$v" = "(1, 1, [])" ] && pass "--restart on-failure: supervision 1 death, 1 restart, none lost" \
    || fail "--restart on-failure: supervision $v"
d=$(field "$S" "s['supervision']['down'][0]['rounds_down']")
pass "--restart on-failure: agent 7 down $d rounds"
grep -q "resumed from checkpoint" "$T/restart/logs/agent-7.log" \
    && pass "--restart on-failure: agent 7 $(grep -o 'resumed from checkpoint.*' "$T/restart/logs/agent-7.log" | head -1 | sed 's|/tmp/[^:]*/||')" \
    || fail "--restart on-failure: agent 7's log has no 'resumed from checkpoint'"

done_checks launch_kill.sh
