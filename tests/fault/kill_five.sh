#!/usr/bin/env bash
#   kill_five: 16 agents; kill -9 of agents 1, 4, 7, 10, 13 at round 100 of
#   800 (the live ring stays connected). The other 11 complete (exit 0); on
#   their final checkpoints, all in one epoch: bias < 1e-9, disagreement
#   < max (5 x baseline, 0.05), J <= 1.5 x the undisturbed run's J.
#   A coordinator traces both runs: rounds to recover (same thresholds)
#   from the first report round without the five, versus the undisturbed
#   trace from the same round; one section of the faults table.
#   Usage: kill_five.sh BUILD_DIR
ROUNDS=${ROUNDS:-800}
source "$(dirname "$0")/common.bash"
KILLED="1 4 7 10 13"

baseline
start_coord run "${FAULTS[@]}"
start_fleet run "${FAULTS[@]}"
wait_round run 1 100 120
KILL_CKPT=$(od -An -t d8 -j 40 -N 8 "$TMP/run/state/agent-1.ckpt" | tr -d ' ')
KILL_TRACED=$(traced_round run)
for i in $KILLED; do kill9 run $i; done
wait_fleet run 180 $KILLED
wait_coord run 60
no_crash run
R=$(inspect run --skip "${KILLED// /,}")
note "after kill -9 of agents $KILLED: $R"
[ "$(field "$R" epoch_min)" = "$(field "$R" epoch_max)" ] || fail "live agents in different epochs: $R"
[ "$(field "$R" round_min)" = "$ROUNDS" ] || fail "live agents did not all reach round $ROUNDS: $R"
check_le bias "$(field "$R" bias)" 1e-9
check_le disagreement "$(field "$R" disagreement)" "$(awk -v b="$BASE_DIS" 'BEGIN { print (5 * b > 0.05? 5 * b: 0.05) }')"
check_le J "$(field "$R" J)" "$(awk -v b="$BASE_J" 'BEGIN { print 1.5 * b }')"
grep -q "neighbour agent-4 lost" "$TMP/run/agent-5.log" || fail "agent 5 never declared agent 4 lost"
#   The kill's report round: the first row without (some of) the five
#   (after the rows already traced when they were killed)
FROM=$(first_row run "r['agents'] < $N" "$KILL_TRACED")
[ "$FROM" != - ] || fail "no trace row without the killed agents"
note "agents $KILLED killed after agent 1's checkpoint of round $KILL_CKPT (traced to round $KILL_TRACED); first row without them: round $FROM"
WINDOW="$KILL_TRACED $FROM"
WINDOW_TEXT="from the trace's last row at the kill to the first row without the killed agents: their neighbours wait for them until they declare them lost"
fault_table "kill_five" "kill -9 of agents ${KILLED// /, } at round $KILL_CKPT of $ROUNDS" "$FROM" \
    "the kill: the first row without the killed agents" "$R"
echo "kill_five: ok"
