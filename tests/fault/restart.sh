#!/usr/bin/env bash
#   restart: 16 agents; kill -9 of agent 5 at round 300 of 3000, then after
#   1.5 s (its neighbours have declared it lost) the same command again: it
#   logs that it resumed from its checkpoint, its neighbours re-admit it, it
#   jumps to their round, and all 16 complete (exit 0). On the final
#   checkpoints of all 16, in one epoch: bias < 1e-9, disagreement
#   < max (5 x baseline, 0.05), J <= 1.5 x the undisturbed run's J.
#   A coordinator traces both runs: rounds to recover (same thresholds)
#   from the restart (the first row with all 16 agents again after the
#   kill), versus the undisturbed trace from the same round; one section
#   of the faults table.
#   Also: a corrupt checkpoint is set aside, never trusted, never a crash.
#   Usage: restart.sh BUILD_DIR
ROUNDS=${ROUNDS:-3000}
source "$(dirname "$0")/common.bash"
baseline
start_coord run "${FAULTS[@]}"
start_fleet run "${FAULTS[@]}"
wait_round run 5 300 120
KILL_CKPT=$(od -An -t d8 -j 40 -N 8 "$TMP/run/state/agent-5.ckpt" | tr -d ' ')
KILL_TRACED=$(traced_round run)
kill9 run 5
#   Restart once the coordinator has traced a round without agent 5 (at
#   least 1.2 s, at most 15 s): the trace then shows it gone and back
sleep 1.2
for ((try = 0; try < 138; try++)); do
    [ "$(first_row run "r['agents'] < $N" "$KILL_TRACED")" != - ] && break
    sleep 0.1
done
RESTART_TRACED=$(traced_round run)
start_agent run 5 "${FAULTS[@]}"
wait_fleet run 180
wait_coord run 60
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
#   The restart's report round: the first row with all N agents again
#   after the rows traced when it was restarted (without it: it was lost)
GONE=$(first_row run "r['agents'] < $N" "$KILL_TRACED")
[ "$GONE" != - ] || fail "no trace row without agent 5"
FROM=$(first_row run "r['agents'] == $N" "$RESTART_TRACED")
[ "$FROM" != - ] || fail "no trace row with agent 5 back"
note "agent 5 killed after its checkpoint of round $KILL_CKPT, first row without it: round $GONE; restarted (traced to round $RESTART_TRACED), first row with it again: round $FROM"
WINDOW="$KILL_TRACED $FROM"
WINDOW_TEXT="from the trace's last row at the kill to the first row with agent 5 back"
fault_table "restart" "kill -9 of agent 5 at round $KILL_CKPT of $ROUNDS, restarted from its checkpoint once the trace showed it gone (trace then at round $RESTART_TRACED; all 16 again from round $FROM)" \
    "$FROM" "the restart: the first row with agent 5 back" "$R"

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
