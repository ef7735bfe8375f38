#!/usr/bin/env bash
#   hostile_report (issue 9, item 3): report rounds past the run. Agent
#   3's own certificate (tests/fault/forge) sends the coordinator of a
#   4000-round run (report window 64 x 10 + 1000 rounds), before agent 3
#   itself connects, under agent 3's routing id:
#     REPORTs of round 4e18, rounds + 1 and rounds (beyond what two agents
#     have shown), HEARTBEATs of round 2^64-1 and rounds + 1, and a REPORT
#     claiming agent 5 (before the fix one REPORT of round 4e18 ended a
#     40,000-round run at round 16,220 with a one-agent row);
#   then mid-run the same frames again, under agent 3's routing id (held
#   by agent 3 itself: libzmq refuses the second connection) and under a
#   routing id of its own.
#   Asserted: the coordinator counts them (its "drops:" line: "round
#   outside the run or beyond the fleet's" >= 5, "sender not authenticated
#   as claimed" >= 2); the run ends at its own last round: the trace has
#   every report round with all agents and equals sim's of the same fleet
#   row for row; summary.json says rounds = 4000; every process exits 0.
#   Usage: hostile_report.sh BUILD_DIR
N=${N:-8}
ROUNDS=${ROUNDS:-4000}
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/hostile_lib.bash"
FAULTS=("${NO_DEADLINE[@]}" --set faults/checkpoint_every=100)
timeout 300 "$SWARMSHAPE" sim "$FLEET" --out "$TMP/sim" --quiet > "$TMP/sim.log" 2>&1 \
    || fail "sim: $(tail -3 "$TMP/sim.log")"
FRAMES=("report:round=4000000000000000000" "report:round=$((ROUNDS + 1))" "report:round=$ROUNDS"
        "heartbeat:round=max" "heartbeat:round=$((ROUNDS + 1))" "report:round=10:sender=5")
start_coord run "${FAULTS[@]}"
wait_until 20 test -s "$TMP/run/coord/trace.jsonl" || fail "the coordinator did not start"
"$FORGE" "$FLEET" 3 coordinator --route agent-3 "${FRAMES[@]}" > "$TMP/forge.out" 2>&1 \
    || fail "forge: $(cat "$TMP/forge.out")"
note "before agent 3: $(cat "$TMP/forge.out")"
for ((i = 0; i < N; i++)); do start_agent run $i --quiet "${FAULTS[@]}"; done
wait_round run 0 1000 300
for route in "--route agent-3" ""; do
    # shellcheck disable=SC2086
    "$FORGE" "$FLEET" 3 coordinator $route "${FRAMES[@]}" > "$TMP/forge.out" 2>&1 \
        || fail "forge: $(cat "$TMP/forge.out")"
    note "mid-run${route:+, $route}: $(cat "$TMP/forge.out")"
done
wait_fleet run 600
wait_coord run 60
no_crash run
L=$TMP/run/coordinator.log
drops=$(grep "coordinator: drops:" "$L")
note "$drops"
n_round=$(sed -n "s/.*round outside the run or beyond the fleet's \([0-9]*\).*/\1/p" <<< "$drops")
n_auth=$(sed -n "s/.*sender not authenticated as claimed \([0-9]*\).*/\1/p" <<< "$drops")
[ "${n_round:-0}" -ge 5 ] || fail "the coordinator counted ${n_round:-0} rounds out of the run"
[ "${n_auth:-0}" -ge 2 ] || fail "the coordinator counted ${n_auth:-0} senders not authenticated"
S=$(cat "$TMP/run/coord/summary.json")
grep -q "\"rounds\":$ROUNDS," <<< "$S" || fail "the summary does not say $ROUNDS rounds: $S"
TR=$(trace_equal "$TMP/sim/trace.jsonl" "$TMP/run/coord/trace.jsonl") \
    || fail "the trace differs from sim's: $TR"
note "the trace equals sim's: $TR; the run ended at round $ROUNDS"
echo "hostile_report: ok"
