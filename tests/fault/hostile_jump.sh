#!/usr/bin/env bash
#   hostile_jump (issue 9, item 7): one frame must not end a run early.
#   Agent 1's own certificate (tests/fault/forge: a compromised agent)
#   sends agent 0, at round >= 10 of a 1000-round run:
#     - one ESTIMATE of round rounds - 2 (before the fix of the jump rule,
#       every agent jumped there and the run ended in 1.7 s instead of
#       9.7 s with disagreement 0.42);
#     - an ESTIMATE and a HEARTBEAT of epoch 2^64-1 (it pinned every
#       agent's epoch and switched tracker resets off).
#   Asserted: no agent jumps; every agent runs all 1000 rounds; the
#   coordinator traces every report round with all 16 agents; agent 0
#   counts the epochs as "epoch out of range"; the run equals the
#   undisturbed one (positions difference 0, no substitution: the future
#   estimate holds an empty slot only until an honest one of a nearer
#   round comes, and its claim alone does not end a wait).
#   Default fault timeouts would let a deadline fire under a loaded
#   sanitizer build; the long ones make any wait a visible stall instead.
#   Usage: hostile_jump.sh BUILD_DIR
ROUNDS=${ROUNDS:-1000}      #   the frame must come long before the run's end
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/hostile_lib.bash"
FAULTS=("${NO_DEADLINE[@]}")
baseline
start_coord run --quiet "${FAULTS[@]}"
for ((i = 0; i < N; i++)); do start_agent run $i "${FAULTS[@]}"; done
wait_round run 0 10 120
"$FORGE" "$FLEET" 1 0 "estimate:round=$((ROUNDS - 2))" > "$TMP/forge.out" 2>&1 \
    || fail "forge: $(cat "$TMP/forge.out")"
note "$(cat "$TMP/forge.out")"
at=$(od -An -t d8 -j 40 -N 8 "$TMP/run/state/agent-0.ckpt" | tr -d ' ')
[ "$at" -lt $((ROUNDS - 20)) ] || fail "the frame came too late to test anything (agent 0 at round $at)"
note "agent 0 was at round $at when the frame had been sent"
"$FORGE" "$FLEET" 1 0 "estimate:round=$((ROUNDS / 2)):epoch=max" "heartbeat:round=20:epoch=max" \
    > "$TMP/forge.out" 2>&1 || fail "forge: $(cat "$TMP/forge.out")"
note "$(cat "$TMP/forge.out")"
wait_fleet run 300
wait_coord run 60
no_crash run
R=$(inspect run --compare "$TMP/base/state")
note "after the frames: $R"
jumps=$(agents_counter run jumps)
[ "$jumps" = 0 ] || fail "agents jumped ($jumps jumps)"
[ "$(field "$R" round_min)" = "$ROUNDS" ] || fail "not every agent ran $ROUNDS rounds: $R"
last=$(tail -n 1 "$TMP/run/coord/trace.jsonl")
rows=$(wc -l < "$TMP/run/coord/trace.jsonl")
[ "$rows" = $((ROUNDS / 10 + 1)) ] || fail "$rows trace rows, not $((ROUNDS / 10 + 1))"
grep -q "^{\"round\":$ROUNDS,\"agents\":$N," <<< "$last" || fail "the trace ends with $last"
python3 -c "
import json, sys
short = [r['round'] for r in map(json.loads, open('$TMP/run/coord/trace.jsonl')) if r['agents'] != $N]
sys.exit('rows without every agent: %s' % short if short else 0)" || fail "the trace misses agents"
epochs=$(counter run 0 epoch_out_of_range)
[ "$epochs" -ge 2 ] || fail "agent 0 counted $epochs epochs out of range"
note "agent 0: epoch out of range $epochs, substitutions $(counter run 0 substitutions), jumps $(counter run 0 jumps)"
subs=$(agents_counter run substitutions)
[ "$subs" = 0 ] || fail "$subs substitutions: a round ran without an honest estimate"
[ "$(field "$R" maxdiff)" = "0.000000e+00" ] || fail "positions differ from the undisturbed run: $R"
[ "$(field "$R" epoch_max)" = 0 ] || fail "an epoch changed: $R"
echo "hostile_jump: ok"
