#!/usr/bin/env bash
#   hostile: 16 agents; during the whole run agent 8's key (authenticated,
#   not a neighbour of agent 0) sends agent 0 every malformed frame the
#   fuzzers know (tests/fault/hostile.c). Every agent ends exactly where
#   the undisturbed run ends (|x - x_base| <= 1e-9, expected 0), and agent
#   0 counted the drops by reason. Default fault timeouts (no deadline may
#   pass in either run: both must be the undisturbed arithmetic).
#   A coordinator traces both runs: rounds to recover from round 0 (the
#   hostile peer starts with the run; disagreement <= max (5 x baseline,
#   0.05), bias <= 1e-9), versus the undisturbed trace; one section of the
#   faults table.
#   Usage: hostile.sh BUILD_DIR
source "$(dirname "$0")/common.bash"
#   No deadline may fire, even under a loaded sanitizer build: the result
#   is compared with the undisturbed run to round-off
FAULTS=(--set faults/round_timeout_ms=600000 --set faults/lost_after_ms=1200000)
baseline
#   the run's agents and coordinator: the same long timeouts, so that only
#   the hostile frames could change anything
start_coord run "${FAULTS[@]}"
#   agent 0 logs its drops (not --quiet)
start_agent run 0 "${FAULTS[@]}"
"$HOSTILE" "$FLEET" 0 8 "$SRC/tests/fuzz/corpus" 6 > "$TMP/hostile.out" 2>&1 &
OTHER_PIDS+=($!)
for ((i = 1; i < N; i++)); do start_agent run $i --quiet "${FAULTS[@]}"; done
wait_fleet run 180
wait_coord run 60
no_crash run
timeout 30 tail --pid="${OTHER_PIDS[0]}" -f /dev/null || fail "hostile did not finish"
note "$(cat "$TMP/hostile.out")"
R=$(inspect run --compare "$TMP/base/state")
note "with a hostile peer: $R"
check_le maxdiff "$(field "$R" maxdiff)" 1e-9
[ "$(field "$R" epoch_max)" = 0 ] || fail "an epoch changed: a rule fired ($R)"
L=$TMP/run/agent-0.log
grep "drops:" "$L" | sed "s/^/$NAME: agent 0 /"
for reason in "undecodable" "wrong fleet" "bad authentication" "not a neighbour" "wrong type"; do
    grep "drops:" "$L" | grep -q "$reason [1-9]" || fail "agent 0 counted no '$reason' drop: $(grep drops: "$L")"
done
[ "$(grep -c "dropped a frame" "$L")" -lt 200 ] || fail "drops are not rate-limited"
fault_table "hostile" "agent 8's key sends agent 0 every malformed frame of the fuzz corpus, the whole run" 0 \
    "the start of the run: the hostile peer starts with it" "$R"
echo "hostile: ok"
