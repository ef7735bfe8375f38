#!/usr/bin/env bash
#   kill_one: 16 agents; kill -9 of agent 5 at round 100 of 400. The other
#   15 complete (exit 0); on the final checkpoints of the live agents, all
#   in one epoch: bias < 1e-9 (the trackers are exact again), disagreement
#   < max (5 x baseline, 0.05), J <= 1.5 x the undisturbed run's J.
#   A coordinator traces both runs: rounds to recover (same thresholds)
#   from the first report round without agent 5, versus the undisturbed
#   trace from the same round; one section of the faults table.
#   Usage: kill_one.sh BUILD_DIR
source "$(dirname "$0")/common.bash"
baseline
start_coord run "${FAULTS[@]}"
start_fleet run "${FAULTS[@]}"
wait_round run 5 100 120
KILL_CKPT=$(od -An -t d8 -j 40 -N 8 "$TMP/run/state/agent-5.ckpt" | tr -d ' ')
KILL_TRACED=$(traced_round run)
kill9 run 5
wait_fleet run 180 5
wait_coord run 60
no_crash run
R=$(inspect run --skip 5)
note "after kill -9 of agent 5: $R"
[ "$(field "$R" epoch_min)" = "$(field "$R" epoch_max)" ] || fail "live agents in different epochs: $R"
[ "$(field "$R" round_min)" = "$ROUNDS" ] || fail "live agents did not all reach round $ROUNDS: $R"
check_le bias "$(field "$R" bias)" 1e-9
check_le disagreement "$(field "$R" disagreement)" "$(awk -v b="$BASE_DIS" 'BEGIN { print (5 * b > 0.05? 5 * b: 0.05) }')"
check_le J "$(field "$R" J)" "$(awk -v b="$BASE_J" 'BEGIN { print 1.5 * b }')"
grep -q "neighbour agent-5 lost" "$TMP/run/agent-4.log" "$TMP/run/agent-6.log" \
    2>/dev/null || true
#   The kill's report round: the first row without agent 5 (after the
#   rows already traced when it was killed)
FROM=$(first_row run "r['agents'] < $N" "$KILL_TRACED")
[ "$FROM" != - ] || fail "no trace row without agent 5"
note "agent 5 killed after its checkpoint of round $KILL_CKPT (traced to round $KILL_TRACED); first row without it: round $FROM"
WINDOW="$KILL_TRACED $FROM"
WINDOW_TEXT="from the trace's last row at the kill to the first row without agent 5: its neighbours wait for it until they declare it lost"
fault_table "kill_one" "kill -9 of agent 5 at round $KILL_CKPT of $ROUNDS" "$FROM" \
    "the kill: the first row without agent 5" "$R"
echo "kill_one: ok"
