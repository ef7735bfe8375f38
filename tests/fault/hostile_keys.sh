#!/usr/bin/env bash
#   hostile_keys (issue 9, item 4: keys). Duplicate certificates at start
#   and at run time, a certificate claiming name = coordinator, and who
#   is admitted by whom are tested by tests/integration/keys.sh (exit 2
#   and one line naming both files; strays ignored; ZAP names from file
#   names). What it leaves out, tested here on a launched 8-agent fleet (3000 rounds):
#   a. a squatter: agent 5's certificate connects to the coordinator
#      first, under the routing id "agent-3", sends a HEARTBEAT claiming
#      agent 3 and holds the connection; then the fleet starts and the
#      operator sends a target. Asserted: the claim is counted ("sender
#      not authenticated as claimed"); nothing meant for agent 3 reaches
#      the squatter; agent 3 reports every round (the trace has every
#      agent in every row) and applies the target at the announced round.
#      Before the fix (agents named their connection "agent-<i>" and the
#      coordinator sent to that name) agent 3's connection was refused by
#      libzmq: its reports never counted (rows of 7 agents, the trace
#      stalled) and its TARGET went to the squatter.
#   b. a second connection with agent 3's own certificate and routing id
#      while agent 3 is connected: it receives nothing either, and agent
#      3 applies the target.
#   Usage: hostile_keys.sh BUILD_DIR
N=${N:-8}
ROUNDS=${ROUNDS:-3000}     #   long enough for the target to come mid-run
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/hostile_lib.bash"
FAULTS=("${NO_DEADLINE[@]}" --set faults/checkpoint_every=10)
start_coord run "${FAULTS[@]}"
wait_until 20 test -s "$TMP/run/coord/trace.jsonl" || fail "the coordinator did not start"
"$FORGE" "$FLEET" 5 coordinator --route agent-3 --hold 120000 "heartbeat:round=0:state=0:sender=3" \
    > "$TMP/squatter.out" 2>&1 &
SQ=$!; OTHER_PIDS+=($SQ)
sleep 1
for ((i = 0; i < N; i++)); do start_agent run $i --quiet "${FAULTS[@]}"; done
wait_round run 0 100 300
"$FORGE" "$FLEET" 3 coordinator --route agent-3 --hold 120000 "heartbeat:round=0:state=0" \
    > "$TMP/second.out" 2>&1 &
SC=$!; OTHER_PIDS+=($SC)
sleep 0.5       #   its handshake and heartbeat
switch=$(inject_target)
note "target switches at round $switch"
wait_fleet run 600
wait_coord run 60
no_crash run
kill -TERM $SQ $SC 2>/dev/null
wait $SQ $SC
note "squatter (agent 5's key, routing id agent-3): $(cat "$TMP/squatter.out")"
note "second connection (agent 3's key and routing id): $(cat "$TMP/second.out")"
grep -q "received 0$" "$TMP/squatter.out" || fail "the squatter received frames meant for agent 3"
grep -q "received 0$" "$TMP/second.out" || fail "the second connection received frames meant for agent 3"
python3 -c "
import json, sys
short = [r['round'] for r in map(json.loads, open('$TMP/run/coord/trace.jsonl')) if r['agents'] != $N]
sys.exit('rows without every agent: %s' % short if short else 0)" || fail "the trace misses agents"
drops=$(grep "coordinator: drops:" "$TMP/run/coordinator.log")
note "$drops"
grep -q "sender not authenticated as claimed [1-9]" <<< "$drops" || fail "the squatter's claim was not counted"
for ((i = 0; i < N; i++)); do
    [ "$(counter run $i targets)" = 1 ] && [ "$(counter run $i target_round)" = "$switch" ] \
        || fail "agent $i: targets $(counter run $i targets) at round $(counter run $i target_round), not 1 at $switch"
done
echo "hostile_keys: ok"
