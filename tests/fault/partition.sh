#!/usr/bin/env bash
#   partition.sh BUILD_DIR: a partition of the graph that heals (faults
#   issue). Three network namespaces are three hosts (netns_lib.bash); 12
#   agents in blocks (0-3 on host 0 with the coordinator, 4-7 on host 1,
#   8-11 on host 2), a degree-4 ring, so host 2's agents form a connected
#   piece of the graph and so do the others. At report round CUT host 2's
#   cable is pulled for PART_SECONDS (> lost_after_ms): the agents on both
#   sides wait round_timeout_ms, declare the others lost and go on in
#   separate epochs; when the cable comes back they re-admit each other,
#   jump rounds and unify epochs. Asserted: every process exits 0; the
#   partition happened (agents logged lost neighbours and re-admissions,
#   the trace has rows with lost agents); the trace reaches the last round
#   with all 12 agents and none lost; at the end disagreement <= DIS_MAX,
#   bias <= BIAS_MAX and J <= J_FACTOR x the undisturbed run's J.
#   The run has rounds = 0: cut off, each side runs at its own pace (host
#   2's agents talk over its loopback), so a finite run would end on one
#   side before the heal; it is stopped EXTRA_ROUNDS report rounds after
#   the recovery, and the undisturbed reference is sim to its final round.
#   "Rounds to recover": from the merge (the first report row after the
#   heal with all 12 agents), the first report round after which every row
#   meets both thresholds, minus the merge round; also seconds from the
#   heal to 5 consecutive good rows. The result goes to the table in
#   BUILD/faults-table.md (section "partition.sh"; SS_FAULTS_TABLE=docs/faults-table.md: the README's). Root only, else SKIP.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh" "${1:?usage: partition.sh BUILD_DIR}"
. "$HERE/netns_lib.bash"
ns_require || exit 0

AGENTS=12
WIRE_DELAY=${WIRE_DELAY:-delay 10ms}    # a LAN-like pace, ~40 rounds/s, both runs
CUT=${CUT:-200}                 # report round the cable is pulled at
PART_SECONDS=${PART_SECONDS:-3}
RUN_SECONDS=${RUN_SECONDS:-60}
DIS_MAX=${DIS_MAX:-0.1}
BIAS_MAX=${BIAS_MAX:-1e-6}
J_FACTOR=${J_FACTOR:-1.5}
CUT_HOST=${CUT_HOST:-2}
EXTRA_ROUNDS=${EXTRA_ROUNDS:-200}
RECOVER_SECONDS=${RECOVER_SECONDS:-40}
export FAULT_HEARTBEAT_MS=${FAULT_HEARTBEAT_MS:-50}
export FAULT_ROUND_TIMEOUT_MS=${FAULT_ROUND_TIMEOUT_MS:-300}
export FAULT_LOST_AFTER_MS=${FAULT_LOST_AFTER_MS:-1000}

ns_setup 3 block part 0 "$AGENTS"
#   Without a delay the fleet does ~200 rounds/s here and would finish
#   before TCP's backed-off retransmissions find the healed link
[ -n "$WIRE_DELAY" ] && { ns_netem_all "$WIRE_DELAY" || fail "wire delay"; }

#   the partition: a run with rounds = 0 (see ns_partition), stopped once
#   recovered; the undisturbed reference is sim to the same final round
R=$TMP/run-part
RUN_SET=(--set rounds=0)
t0=$SECONDS
ns_start_run "$F" "$R" "$AGENTS"
ns_partition "$R" "$AGENTS" "$CUT_HOST"
SECS=$((SECONDS - t0))
cut_round=$PART_CUT; heal=$PART_HEAL
echo "     host $CUT_HOST cut off at report round $cut_round, back at round $heal ($PART_SECONDS s); recovered after $PART_REC_SECONDS s"
[ "$RUN_FAILS" -eq 0 ] && pass "partition: every process exited 0" \
    || { fail "partition: processes:$RUN_WHY"; tail -n 3 "$R".logs/*.log | head -60; }
[ "$PART_REC_SECONDS" != "-" ] && pass "recovered $PART_REC_SECONDS s after the heal" \
    || fail "no recovery within ${RECOVER_SECONDS:-40} s of the heal"
FINAL=$(sed -n 's/.*"rounds":\([0-9]*\).*/\1/p' "$R/summary.json" 2> /dev/null)
B=$TMP/sim-final
timeout 300 "$SWARMSHAPE" sim "$F" --set "rounds=${FINAL:-1}" --out "$B" --quiet || fail "sim to round $FINAL"

#   it did happen, both sides noticed, and it healed
lost_logs=$(grep -l "lost" "$R".logs/agent-*.log 2> /dev/null | wc -l)
readm_logs=$(grep -il "re-admit" "$R".logs/agent-*.log 2> /dev/null | wc -l)
[ "$lost_logs" -ge 2 ] && pass "$lost_logs agents logged lost neighbours" \
    || fail "only $lost_logs agents logged a lost neighbour"
[ "$readm_logs" -ge 2 ] && pass "$readm_logs agents logged re-admissions" \
    || fail "only $readm_logs agents logged a re-admission"
python3 - "$R/trace.jsonl" "$AGENTS" > "$TMP/lostcheck" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
part = [r['round'] for r in rows if r.get('lost') or r['agents'] < n]
print('rows with agents missing or lost: %d (rounds %s..%s); last row: agents %d, lost %s'
      % (len(part), part[0] if part else '-', part[-1] if part else '-', rows[-1]['agents'], rows[-1].get('lost')))
sys.exit(0 if part and rows[-1]['agents'] == n and not rows[-1].get('lost') else 1)
PY
[ $? -eq 0 ] && pass "trace: $(cat "$TMP/lostcheck")" || fail "trace: $(cat "$TMP/lostcheck")"

if line=$(ns_analyze "$R" "$B" "$heal" "$DIS_MAX" "$BIAS_MAX" "$J_FACTOR" "$AGENTS" 2> "$R.why"); then
    pass "partition: completed; final disagreement, bias, J within bounds ($line)"
else
    fail "partition: $(tr '\n' ';' < "$R.why") ($line)"
fi
read -r fj bj ratio rec torec fd fb btorec <<< "$line"
merge=$(ns_merge_round "$R/trace.jsonl" "$heal" "$AGENTS")
[ "$merge" != - ] && [ "$rec" != - ] && torec=$((rec - merge))
#   rounds/s (table.bash: trace_pace): the whole run; before the cut (the
#   undisturbed reference is sim, which has no wire: no pace of its own);
#   while the cable was out (the rows of host 0's side)
PACE=$(trace_pace "$R/trace.jsonl")
PACE_BEFORE=$(trace_pace "$R/trace.jsonl" "" "$cut_round")
PACE_CUT=$(trace_pace "$R/trace.jsonl" "$cut_round" "$heal")
echo "     rounds/s: $PACE; before the cut: $PACE_BEFORE; while cut off: $PACE_CUT"

table () {
    echo "| scenario | disturbance | healed at round | merged at round | final round | final J | undisturbed J (sim, same round) | ratio | rounds to recover (after the merge) | seconds to recover (after heal) | final disagreement | final bias | rounds/s | undisturbed rounds/s (the same run before the cut) | rounds/s during the cut |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    echo "| partition | host $CUT_HOST's cable pulled at round $cut_round for $PART_SECONDS s | $heal | $merge | $FINAL | $fj | $bj | $ratio | $torec | $PART_REC_SECONDS | $fd | $fb | $PACE | $PACE_BEFORE | $PACE_CUT |"
}
echo; table; echo
ns_table_section "partition.sh" "$(cat <<EOF2
Fleet: $AGENTS agents, ring degree 4, 3 hosts in blocks (agents 0-3, 4-7, 8-11;
the coordinator on host 0): host $CUT_HOST's agents are a connected piece of the
graph, cut from the rest while its cable is out. rounds = 0, stopped (SIGTERM to
the coordinator, which announces a STOP round) $EXTRA_ROUNDS report rounds after the
recovery; report every 10. The undisturbed reference is sim to the same final round;
faults: heartbeat ${FAULT_HEARTBEAT_MS} ms, round timeout ${FAULT_ROUND_TIMEOUT_MS} ms, lost after ${FAULT_LOST_AFTER_MS} ms.
Thresholds: disagreement <= $DIS_MAX, bias <= $BIAS_MAX, final J <= $J_FACTOR x undisturbed.
"Rounds to recover": from the merge (the row after the heal from which every row
has all 12 agents, none lost),
the first report round after which every row meets both thresholds, with all
12 agents scored and none lost.
"Rounds/s": report rounds per second of the coordinator's clock, from its
trace.jsonl ("round" and "seconds" fields), from the first row after round
0 to the last row (the start-up is not counted; rounds jumped at the
merge count). The undisturbed reference is sim, which has no wire and no
pace of its own, so "undisturbed rounds/s" is the same run's before the
cut (first row after round 0 to the last row at or before round
$cut_round); "during the cut": from the row at round $cut_round to the
last row at or before round $heal (the heal), the rows of the side with
the coordinator.
Network: $NS_KIND, "$WIRE_DELAY" on every host in both runs.

Reproduce: \`bash tests/fault/partition.sh build\` (as root)

$(table)
EOF2
)"
finish
