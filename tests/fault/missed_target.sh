#!/usr/bin/env bash
#   missed_target: an agent that was down when a target was announced (or
#   restarted while it was still pending, which its checkpoint does not
#   hold) must still end up under it. 16 agents and a coordinator; kill -9
#   agent 5; inject a target with `swarmshape target`; once the fleet is
#   past the switch round, restart agent 5 from its checkpoint (which has
#   no target): the coordinator sees it report without the target, sends it
#   again to it alone, and agent 5 applies it (late); its final checkpoint
#   holds the target.
#   Usage: missed_target.sh BUILD_DIR
ROUNDS=${ROUNDS:-1500}
source "$(dirname "$0")/common.bash"
start_coord run "${FAULTS[@]}"
start_fleet run "${FAULTS[@]}"
wait_round run 5 100 120
kill9 run 5
R=$(inject_target) || fail "no target injected"
note "agent 5 killed; target switches at round $R"
wait_round run 4 $((R + 30)) 120
start_agent run 5 "${FAULTS[@]}"
wait_fleet run 240
wait_coord run 60
no_crash run
grep -q "resumed from checkpoint" "$TMP/run/agent-5.log" \
    || fail "agent 5 did not resume: $(tail -5 "$TMP/run/agent-5.log")"
grep -q "resumed target applied" "$TMP/run/agent-5.log" \
    && fail "agent 5's checkpoint had the target: the scenario did not happen"
LINE=$(grep "new target (1 components) in force from round .* (late)" "$TMP/run/agent-5.log") \
    || fail "agent 5 never applied the target: $(grep -i target "$TMP/run/agent-5.log")"
grep -q "agent 5 reports round .* without target 1" "$TMP/run/coordinator.log" \
    || fail "the coordinator did not send the target again: $(grep -i target "$TMP/run/coordinator.log")"
#   Offset of the target's count: 64 + 16 (dim + K), dim 2, K = 4^2
COUNT=$(od -An -t u4 -j $((64 + 16 * (2 + 16))) -N 4 "$TMP/run/state/agent-5.ckpt" | tr -d ' ')
[ "$COUNT" = 1 ] || fail "agent 5's final checkpoint holds $COUNT target components, not 1"
note "agent 5: $LINE"
echo "missed_target: ok"
