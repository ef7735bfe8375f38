#!/usr/bin/env bash
#   restart: 16 agents; kill -9 of agent 5 at round 300 of 3000, then after
#   1.5 s (its neighbours have declared it lost) the same command again: it
#   logs that it resumed from its checkpoint, its neighbours re-admit it, it
#   jumps to their round, and all 16 complete (exit 0). On the final
#   checkpoints of all 16, in one epoch: bias < 1e-9, disagreement
#   < max (5 x baseline, 0.05), J <= 1.5 x the undisturbed run's J.
#   Also: a corrupt checkpoint is set aside, never trusted, never a crash.
#   Usage: restart.sh BUILD_DIR
ROUNDS=${ROUNDS:-3000}
source "$(dirname "$0")/common.bash"
baseline
start_fleet run "${FAULTS[@]}"
wait_round run 5 300 120
kill9 run 5
sleep 1.2
start_agent run 5 "${FAULTS[@]}"
wait_fleet run 180
no_crash run
grep -q "resumed from checkpoint" "$TMP/run/agent-5.log" \
    || fail "agent 5 did not resume: $(tail -5 "$TMP/run/agent-5.log")"
grep -q "neighbour agent-5 re-admitted" "$TMP/run/agent-6.log" "$TMP/run/agent-4.log" \
    "$TMP/run/agent-3.log" "$TMP/run/agent-7.log" || fail "nobody re-admitted agent 5"
R=$(inspect run)
note "after kill -9 and restart of agent 5: $R"
[ "$(field "$R" epoch_min)" = "$(field "$R" epoch_max)" ] || fail "agents in different epochs: $R"
[ "$(field "$R" round_min)" = "$ROUNDS" ] || fail "agents did not all reach round $ROUNDS: $R"
check_le bias "$(field "$R" bias)" 1e-9
check_le disagreement "$(field "$R" disagreement)" "$(awk -v b="$BASE_DIS" 'BEGIN { print (5 * b > 0.05? 5 * b: 0.05) }')"
check_le J "$(field "$R" J)" "$(awk -v b="$BASE_J" 'BEGIN { print 1.5 * b }')"

#   A corrupt checkpoint: agent 5 alone (rounds = 20), flipped byte
CKPT=$TMP/run/state/agent-5.ckpt
printf '\xff' | dd of="$CKPT" bs=1 seek=70 conv=notrunc 2>/dev/null
timeout 60 "$AGENTD" --fleet "$FLEET" --id 5 --state-dir "$TMP/run/state" \
    --set rounds=20 "${FAULTS[@]}" > "$TMP/corrupt.log" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "agent with a corrupt checkpoint exited $rc: $(tail -3 "$TMP/corrupt.log")"
grep -q "set aside" "$TMP/corrupt.log" || fail "corrupt checkpoint not reported: $(cat "$TMP/corrupt.log")"
ls "$TMP/run/state"/agent-5.ckpt.bad-* > /dev/null 2>&1 || fail "corrupt checkpoint not set aside"
grep -q "resumed" "$TMP/corrupt.log" && fail "a corrupt checkpoint was trusted"
#   A foreign checkpoint (agent 6's as agent 5's)
cp "$TMP/run/state/agent-6.ckpt" "$CKPT"
timeout 60 "$AGENTD" --fleet "$FLEET" --id 5 --state-dir "$TMP/run/state" \
    --set rounds=20 "${FAULTS[@]}" > "$TMP/foreign.log" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "agent with a foreign checkpoint exited $rc"
grep -q "set aside" "$TMP/foreign.log" || fail "foreign checkpoint not reported: $(cat "$TMP/foreign.log")"
echo "restart: ok"
