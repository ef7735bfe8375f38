#!/usr/bin/env bash
#   netem.sh BUILD_DIR: the fleet under a degraded network (faults issue).
#   Three network namespaces are three hosts (tests/fault/netns_lib.bash);
#   12 agents (agent i on host i mod 3: every ring link crosses hosts) and
#   the coordinator on host 0. An undisturbed run first (it must equal sim
#   to 1e-9), then one run per scenario: 10% loss, 30% loss, delay with
#   jitter, duplication, reordering, applied to every host's egress from
#   report round START until round STOP (or DIST_SECONDS), then removed.
#   Each run must: end with every process exiting 0; write its files with
#   a trace reaching the last round; end with disagreement <= DIS_MAX and
#   tracker bias <= BIAS_MAX; end with J <= J_FACTOR x the undisturbed J.
#   "Rounds to recover": from round STOP, the first report round from which
#   every row meets both thresholds, minus STOP (the undisturbed run's
#   number for the same round is printed beside it).
#   The table is printed and written to BUILD/faults-table.md (SS_FAULTS_TABLE=docs/faults-table.md: the README's) (section
#   "netem.sh"). Root only (else SKIP, exit 0). Every wait is bounded.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh" "${1:?usage: netem.sh BUILD_DIR}"
. "$HERE/netns_lib.bash"
ns_require || exit 0

AGENTS=${AGENTS:-12}
ROUNDS=${ROUNDS:-400}
START=${START:-20}              # report round the disturbance starts at
STOP=${STOP:-200}               # ... and ends at
DIST_SECONDS=${DIST_SECONDS:-30}    # or after this long, if sooner
RUN_SECONDS=${RUN_SECONDS:-120}
DIS_MAX=${DIS_MAX:-0.1}         # undisturbed: < 0.06 after round 30; a fault spike: 0.4-1.6
BIAS_MAX=${BIAS_MAX:-1e-6}
J_FACTOR=${J_FACTOR:-1.5}
export FAULT_HEARTBEAT_MS=${FAULT_HEARTBEAT_MS:-100}
export FAULT_ROUND_TIMEOUT_MS=${FAULT_ROUND_TIMEOUT_MS:-1000}
export FAULT_LOST_AFTER_MS=${FAULT_LOST_AFTER_MS:-2000}
SCENARIOS=(
    "loss10|loss 10%"
    "loss30|loss 30%"
    "delay|delay 20ms 10ms"
    "duplicate|duplicate 5%"
    "reorder|delay 10ms reorder 25% 50%"
)
if [ -n "${ONLY:-}" ]; then     # ONLY="loss30|delay": those scenarios only
    mapfile -t SCENARIOS < <(printf '%s\n' "${SCENARIOS[@]}" | grep -E "^(${ONLY})\|")
fi

ns_setup 3 spread netem "$ROUNDS" "$AGENTS" "$TMP/sim"

ROWS=()
#   scenario NAME NETEM: one run; NETEM "" is the undisturbed run
scenario () {
    local name=$1 netem=$2 out=$TMP/run-$1 t0=$SECONDS from=0 line why
    ns_start_run "$F" "$out" "$AGENTS"
    if [ -n "$netem" ]; then
        ns_wait_round "$out" "$START" 60 || fail "$name: the trace never reached round $START"
        ns_netem_all "$netem" || fail "$name: netem $netem"
        local t1=$SECONDS
        ns_wait_round "$out" "$STOP" "$DIST_SECONDS"
        from=$(ns_trace_round "$out")
        ns_netem_all ""
        echo "     $name: '$netem' from round $START to round $from ($((SECONDS - t1)) s)"
    fi
    ns_wait_run "$out" "$RUN_SECONDS"
    local secs=$((SECONDS - t0))
    [ "$RUN_FAILS" -eq 0 ] && pass "$name: every process exited 0" \
        || { fail "$name: processes:$RUN_WHY"; tail -n 3 "$out".logs/*.log | head -40; }
    if line=$(ns_analyze "$out" "${BASE:-}" "$from" "$DIS_MAX" "$BIAS_MAX" "$J_FACTOR" "$AGENTS" 2> "$out.why"); then
        pass "$name: completed; final disagreement, bias, J within bounds ($line)"
    else
        fail "$name: $(tr '\n' ';' < "$out.why") ($line)"
    fi
    # final_J base_J ratio recover_round to_recover dis bias base_to_recover
    read -r fj bj ratio rec torec fd fb btorec <<< "$line"
    # rounds/s (table.bash: trace_pace): the whole run, the undisturbed
    # run, and both over the disturbance's rounds START..from
    local pace bpace="-" wpace="-"
    pace=$(trace_pace "$out/trace.jsonl")
    if [ -n "$netem" ]; then
        bpace=$(trace_pace "$BASE/trace.jsonl")
        wpace="$(trace_pace "$out/trace.jsonl" "$START" "$from") ($(trace_pace "$BASE/trace.jsonl" "$START" "$from"))"
    fi
    echo "     $name: rounds/s $pace (undisturbed $bpace); during the disturbance (undisturbed): $wpace"
    ROWS+=("$name|${netem:-none}|$from|$fj|$bj|$ratio|$torec|$btorec|$fd|$fb|$secs|$pace|$bpace|$wpace")
}

scenario baseline ""
BASE=$TMP/run-baseline
if ns_compare_sim "$BASE" "$TMP/sim" 1e-9 > "$TMP/cmp"; then
    pass "undisturbed run equals sim: $(cat "$TMP/cmp")"
else
    fail "undisturbed run differs from sim: $(cat "$TMP/cmp")"
fi
for s in "${SCENARIOS[@]}"; do scenario "${s%%|*}" "${s#*|}"; done

#   --- the table --------------------------------------------------------------
table () {
    echo "| scenario | impairment (every host's egress) | disturbed until round | final J | undisturbed J | ratio | rounds to recover | undisturbed, same round | final disagreement | final bias | seconds | rounds/s | undisturbed rounds/s | rounds/s during the disturbance (undisturbed) |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    local r; for r in "${ROWS[@]}"; do echo "| ${r//|/ | } |"; done
}
echo; table; echo
ns_table_section "netem.sh" "$(cat <<EOF
Fleet: $AGENTS agents, ring degree 4, 3 hosts (agent i on host i mod 3, so
every link crosses hosts), $ROUNDS rounds, report every 10; faults:
heartbeat ${FAULT_HEARTBEAT_MS} ms, round timeout ${FAULT_ROUND_TIMEOUT_MS} ms, lost after
${FAULT_LOST_AFTER_MS} ms. Each impairment is applied to every host's egress from
report round $START until the round in column 3 (or ${DIST_SECONDS} s), then removed.
Thresholds: disagreement <= $DIS_MAX, bias <= $BIAS_MAX, final J <= $J_FACTOR x undisturbed.
"Rounds to recover": from the end of the disturbance, the first report round
after which every row meets both thresholds ("-": never).
"Rounds/s": report rounds per second of the coordinator's clock, from its
trace.jsonl ("round" and "seconds" fields), from the first row after round
0 to the last row (the start-up is not counted); "undisturbed rounds/s":
the same on the baseline run's trace. "During the disturbance": from the
first row at or after round $START to the last row at or before the round
in column 3 (the impairment's rows), in brackets the baseline's over the
same rounds.
Network: $NS_KIND ($( [ "$NS_KIND" = wire ] && echo "userspace wire with netem's semantics: this kernel has no sch_netem" || echo "veth bridge, tc netem")), TCP rto_min $NS_RTO_MIN.

Reproduce: \`bash tests/fault/netem.sh build\` (as root; \`ONLY=loss30\` for one scenario)

$(table)
EOF
)"
finish
