#!/usr/bin/env bash
#   kill_five: 16 agents; kill -9 of agents 1, 4, 7, 10, 13 at round 100 of
#   800 (the live ring stays connected). The other 11 complete (exit 0); on
#   their final checkpoints, all in one epoch: bias < 1e-9, disagreement
#   < max (5 x baseline, 0.05), J <= 1.5 x the undisturbed run's J.
#   Usage: kill_five.sh BUILD_DIR
ROUNDS=${ROUNDS:-800}
source "$(dirname "$0")/common.bash"
KILLED="1 4 7 10 13"

baseline
start_fleet run "${FAULTS[@]}"
wait_round run 1 100 120
for i in $KILLED; do kill9 run $i; done
wait_fleet run 180 $KILLED
no_crash run
R=$(inspect run --skip "${KILLED// /,}")
note "after kill -9 of agents $KILLED: $R"
[ "$(field "$R" epoch_min)" = "$(field "$R" epoch_max)" ] || fail "live agents in different epochs: $R"
[ "$(field "$R" round_min)" = "$ROUNDS" ] || fail "live agents did not all reach round $ROUNDS: $R"
check_le bias "$(field "$R" bias)" 1e-9
check_le disagreement "$(field "$R" disagreement)" "$(awk -v b="$BASE_DIS" 'BEGIN { print (5 * b > 0.05? 5 * b: 0.05) }')"
check_le J "$(field "$R" J)" "$(awk -v b="$BASE_J" 'BEGIN { print 1.5 * b }')"
grep -q "neighbour agent-4 lost" "$TMP/run/agent-5.log" || fail "agent 5 never declared agent 4 lost"
echo "kill_five: ok"
