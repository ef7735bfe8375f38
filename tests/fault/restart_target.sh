#!/usr/bin/env bash
#   restart_target: 16 agents and a coordinator; a target injected with
#   `swarmshape target` mid-run; once agent 5 has checkpointed a round past
#   the switch, kill -9 and restart it: it must log that it resumed its
#   checkpoint WITH the injected target ("resumed target applied at round
#   R", R the switch round it logged before the kill), and the checkpoint
#   it wrote after the restart must still hold that target (count 1).
#   Usage: restart_target.sh BUILD_DIR
ROUNDS=${ROUNDS:-1500}
source "$(dirname "$0")/common.bash"
start_coord run "${FAULTS[@]}"
start_fleet run "${FAULTS[@]}"
wait_round run 5 100 120
R=$(inject_target) || fail "no target injected"
note "target switches at round $R"
wait_round run 5 $((R + 30)) 120
APPLIED=$(sed -n 's/.*new target (1 components) in force from round \([0-9]*\).*/\1/p' \
    "$TMP/run/agent-5.log" | head -1)
[ -n "$APPLIED" ] || fail "agent 5 did not apply the target: $(tail -5 "$TMP/run/agent-5.log")"
#   Offset of the target's count: 64 + 16 (dim + K), dim 2, K = 4^2
COUNT=$(od -An -t u4 -j $((64 + 16 * (2 + 16))) -N 4 "$TMP/run/state/agent-5.ckpt" | tr -d ' ')
[ "$COUNT" = 1 ] || fail "agent 5's checkpoint holds $COUNT target components, not 1"
kill9 run 5
sleep 1.2
start_agent run 5 "${FAULTS[@]}"
wait_fleet run 240
wait_coord run 60
no_crash run
grep -q "resumed from checkpoint" "$TMP/run/agent-5.log" \
    || fail "agent 5 did not resume: $(tail -5 "$TMP/run/agent-5.log")"
LINE=$(grep "resumed target applied at round" "$TMP/run/agent-5.log") \
    || fail "agent 5 resumed without its target: $(grep -i target "$TMP/run/agent-5.log")"
GOT=$(sed -n 's/.*resumed target applied at round \([0-9]*\).*/\1/p' <<< "$LINE")
[ "$GOT" = "$APPLIED" ] || fail "resumed target of round $GOT, applied at round $APPLIED"
COUNT=$(od -An -t u4 -j $((64 + 16 * (2 + 16))) -N 4 "$TMP/run/state/agent-5.ckpt" | tr -d ' ')
[ "$COUNT" = 1 ] || fail "agent 5's final checkpoint holds $COUNT target components, not 1"
note "agent 5: target applied at round $APPLIED, killed, resumed with it ($LINE)"
echo "restart_target: ok"
