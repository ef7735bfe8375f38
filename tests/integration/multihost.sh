#!/usr/bin/env bash
#   multihost.sh BUILD_DIR: a multi-host run on one machine (deployment
#   issue). Three network namespaces are three hosts on a veth bridge
#   (tests/fault/netns_lib.bash); `swarmshape plan` makes one bundle per host
#   and each host starts its agents from ITS OWN bundle (its fleet.zpl and
#   keys/, holding only its own agents' secrets), as its units would,
#   without systemd; the coordinator runs on host 0 from host 0's bundle.
#   1. The run equals `swarmshape sim` of the planned fleet to 1e-9.
#   2. A second run (rounds = 0, stopped once recovered): host 2's link
#      goes down for PART_SECONDS and comes back; the fleet recovers as the
#      faults issue specifies (every process exits 0, all agents back, none
#      lost, disagreement <= DIS_MAX, bias <= BIAS_MAX, J <= J_FACTOR x sim
#      at the same round). Root only (else SKIP, exit 0).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh" "${1:?usage: multihost.sh BUILD_DIR}"
. "$HERE/../fault/netns_lib.bash"
ns_require || exit 0

AGENTS=12
ROUNDS=${ROUNDS:-300}
DIS_MAX=${DIS_MAX:-0.1}
BIAS_MAX=${BIAS_MAX:-1e-6}
J_FACTOR=${J_FACTOR:-1.5}
CUT=${CUT:-100}
PART_SECONDS=${PART_SECONDS:-3}
EXTRA_ROUNDS=${EXTRA_ROUNDS:-200}
export FAULT_HEARTBEAT_MS=${FAULT_HEARTBEAT_MS:-50}
export FAULT_ROUND_TIMEOUT_MS=${FAULT_ROUND_TIMEOUT_MS:-300}
export FAULT_LOST_AFTER_MS=${FAULT_LOST_AFTER_MS:-1000}

ns_create_hosts 3 veth || { fail "three namespace hosts on a veth bridge"; finish; }
pass "three hosts on a veth bridge: $(ns_ip 0) $(ns_ip 1) $(ns_ip 2)"
F=$TMP/multi.zpl
ns_fleet "$F" "multi$$" "$ROUNDS" "$AGENTS" 3 block
timeout 60 "$SWARMSHAPE" plan "$F" --out "$TMP/bundles" > "$TMP/plan.out" 2>&1 \
    && pass "plan: $(grep -c ' -> ' "$TMP/plan.out") bundles" || { fail "plan: $(cat "$TMP/plan.out")"; finish; }
for h in 0 1 2; do
    bundle=$TMP/bundles/$(ns_ip $h)
    NS_FLEET_OF_HOST[$h]=$bundle/fleet.zpl
    [ -s "$bundle/fleet.zpl" ] && [ -s "$bundle/units.txt" ] || fail "host $h: bundle incomplete"
    # each host holds exactly its own agents' secrets (and the coordinator's on host 0)
    want=$(for i in $(seq 0 $((AGENTS - 1))); do [ "${NS_HOST_OF[$i]}" = $h ] && echo "agent-$i.key_secret"; done
           [ $h = 0 ] && echo coordinator.key_secret)
    have=$(cd "$bundle/keys" && ls -- *_secret)
    [ "$(sort <<< "$want")" = "$(sort <<< "$have")" ] && pass "host $h: its bundle holds its own secrets only" \
        || fail "host $h: secrets in its bundle: $(echo $have)"
    units=$(grep -c '^agentd@' "$bundle/units.txt")
    [ "$units" -eq 4 ] || fail "host $h: units.txt names $units agents"
done
# the bundles' keys are all the processes see: no shared key directory
rm -rf "$TMP/keys"
timeout 120 "$SWARMSHAPE" sim "$F" --out "$TMP/sim" --quiet 2> "$TMP/sim.err" || { fail "sim: $(cat "$TMP/sim.err")"; finish; }

#   1. undisturbed: equals sim (no deadline may fire, even on a loaded machine)
RUN_SET=(--set faults/round_timeout_ms=600000 --set faults/lost_after_ms=1200000)
t0=$SECONDS
ns_start_run "$F" "$TMP/run" "$AGENTS"
ns_wait_run "$TMP/run" 120
[ "$RUN_FAILS" -eq 0 ] && pass "run 1: every process exited 0 ($((SECONDS - t0)) s)" \
    || { fail "run 1:$RUN_WHY"; tail -n 3 "$TMP"/run.logs/*.log | head -40; }
ns_compare_sim "$TMP/run" "$TMP/sim" 1e-9 > "$TMP/cmp" && pass "run 1 equals sim: $(cat "$TMP/cmp")" \
    || fail "run 1 differs from sim: $(cat "$TMP/cmp")"
n_state=$(ls "$TMP"/run.state/host*/agent-*.state 2> /dev/null | wc -l)
[ "$n_state" -eq "$AGENTS" ] && pass "every agent wrote its state on its own host" \
    || fail "$n_state state files"

#   2. host 2's link down for a while, then back
R=$TMP/run2
RUN_SET=(--set rounds=0)
t0=$SECONDS
ns_start_run "$F" "$R" "$AGENTS"
ns_partition "$R" "$AGENTS" 2
echo "     host 2's link down at report round $PART_CUT, up at $PART_HEAL ($PART_SECONDS s); recovered after $PART_REC_SECONDS s"
[ "$RUN_FAILS" -eq 0 ] && pass "run 2: every process exited 0 ($((SECONDS - t0)) s)" \
    || { fail "run 2:$RUN_WHY"; tail -n 3 "$R".logs/*.log | head -60; }
[ "$PART_REC_SECONDS" != "-" ] && pass "run 2: recovered $PART_REC_SECONDS s after the link came back" \
    || fail "run 2: no recovery after the link came back"
grep -q "lost" "$R".logs/agent-*.log && pass "run 2: agents declared neighbours lost" \
    || fail "run 2: no agent noticed the link down"
FINAL=$(sed -n 's/.*"rounds":\([0-9]*\).*/\1/p' "$R/summary.json" 2> /dev/null)
timeout 300 "$SWARMSHAPE" sim "$F" --set "rounds=${FINAL:-1}" --out "$TMP/sim2" --quiet || fail "sim to round $FINAL"
if line=$(ns_analyze "$R" "$TMP/sim2" "$PART_HEAL" "$DIS_MAX" "$BIAS_MAX" "$J_FACTOR" "$AGENTS" 2> "$R.why"); then
    pass "run 2: completed at round $FINAL; final disagreement, bias, J within bounds ($line)"
else
    fail "run 2: $(tr '\n' ';' < "$R.why") ($line)"
fi
read -r fj bj ratio rec torec fd fb btorec <<< "$line"
merge=$(ns_merge_round "$R/trace.jsonl" "$PART_HEAL" "$AGENTS")
[ "$merge" != - ] && [ "$rec" != - ] && torec=$((rec - merge))
#   rounds/s (table.bash: trace_pace): run 2, run 1 (undisturbed), and
#   both over the rounds the link was down
PACE=$(trace_pace "$R/trace.jsonl")
BPACE=$(trace_pace "$TMP/run/trace.jsonl")
WPACE="$(trace_pace "$R/trace.jsonl" "$PART_CUT" "$PART_HEAL") ($(trace_pace "$TMP/run/trace.jsonl" "$PART_CUT" "$PART_HEAL"))"
echo "     rounds/s: $PACE (undisturbed run 1: $BPACE); while the link was down (run 1, same rounds): $WPACE"
ns_table_section "multihost.sh" "$(cat <<EOF2
Three namespaces on a veth bridge, each starting its 4 agents from its own
\`swarmshape plan\` bundle; the undisturbed run equals sim ($(cat "$TMP/cmp")).
Then (rounds = 0, stopped $EXTRA_ROUNDS report rounds after the recovery) host 2's
link (its bridge port) goes down for $PART_SECONDS s. Faults: heartbeat ${FAULT_HEARTBEAT_MS} ms,
round timeout ${FAULT_ROUND_TIMEOUT_MS} ms, lost after ${FAULT_LOST_AFTER_MS} ms.
"Rounds/s": report rounds per second of the coordinator's clock, from its
trace.jsonl ("round" and "seconds" fields), from the first row after round
0 to the last row (the start-up is not counted; rounds jumped at the merge
count); "undisturbed rounds/s": the same on the first run's trace ($ROUNDS
rounds, no deadlines). "While the link was down": from the row at round
$PART_CUT to the last row at or before round $PART_HEAL (the side with the
coordinator), in brackets the first run's from round $PART_CUT to its last
row at or before round $PART_HEAL (it ends at round $ROUNDS).

Reproduce: \`bash tests/integration/multihost.sh build\` (as root)

| scenario | link down at round | up at round | merged at round | final round | final J | sim J, same round | ratio | rounds to recover (after the merge) | seconds to recover | final disagreement | final bias | rounds/s | undisturbed rounds/s | rounds/s while the link was down (undisturbed) |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
| host 2 link down | $PART_CUT | $PART_HEAL | $merge | $FINAL | $fj | $bj | $ratio | $torec | $PART_REC_SECONDS | $fd | $fb | $PACE | $BPACE | $WPACE |
EOF2
)"
finish
