#!/usr/bin/env bash
#   hostile: 16 agents; during the whole run agent 1's own certificate (a
#   neighbour of agent 0's: its ZAP handler admits it, so every frame meets
#   the edge checks) sends agent 0 every malformed frame the fuzzers know
#   and every well-formed one a neighbour must not send (tests/fault/
#   hostile.c: rounds beyond the run, an epoch of 2^64-1, values and
#   degrees beyond the fleet's, other senders, other message types), and
#   agent 8's (no neighbour of agent 0's) tries the same.
#   Asserted: every agent ends exactly where the undisturbed run ends
#   (positions difference 0, no epoch changed); agent 0 counted the drops
#   by reason (its state file: undecodable, wrong fleet, bad
#   authentication, wrong type, wrong round, value out of range, epoch
#   out of range) and logged them at most once a second per reason; its
#   ZAP handler refused agent 8 ("not admitted"). Default fault timeouts
#   would let a deadline pass under a loaded sanitizer build: no deadline
#   may pass in either run, both must be the undisturbed arithmetic.
#   A coordinator traces both runs: rounds to recover from round 0 (the
#   hostile peers start with the run; disagreement <= max (5 x baseline,
#   0.05), bias <= 1e-9), versus the undisturbed trace; one section of
#   the faults table.
#   Usage: hostile.sh BUILD_DIR
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/hostile_lib.bash"
FAULTS=("${NO_DEADLINE[@]}")
baseline
start_coord run "${FAULTS[@]}"
#   agent 0 logs its drops (not --quiet)
start_agent run 0 "${FAULTS[@]}"
"$HOSTILE" "$FLEET" 0 1 "$SRC/tests/fuzz/corpus" 6 > "$TMP/hostile.out" 2>&1 &
OTHER_PIDS+=($!)
H1=$!
"$HOSTILE" "$FLEET" 0 8 "$SRC/tests/fuzz/corpus" 6 > "$TMP/stranger.out" 2>&1 &
OTHER_PIDS+=($!)
H8=$!
for ((i = 1; i < N; i++)); do start_agent run $i --quiet "${FAULTS[@]}"; done
wait_fleet run 180
wait_coord run 60
no_crash run
timeout 30 tail --pid=$H1 -f /dev/null || fail "hostile (agent 1) did not finish"
timeout 30 tail --pid=$H8 -f /dev/null || fail "hostile (agent 8) did not finish"
note "agent 1's key: $(cat "$TMP/hostile.out")"
note "agent 8's key: $(cat "$TMP/stranger.out")"
R=$(inspect run --compare "$TMP/base/state")
note "with a hostile peer: $R"
[ "$(field "$R" maxdiff)" = "0.000000e+00" ] || fail "positions differ from the undisturbed run: $R"
[ "$(field "$R" epoch_max)" = 0 ] || fail "an epoch changed: a rule fired ($R)"
L=$TMP/run/agent-0.log
grep "drops:" "$L" | sed "s/^/$NAME: agent 0 /"
for reason in undecodable wrong_fleet bad_authentication wrong_type wrong_round \
              value_out_of_range epoch_out_of_range; do
    c=$(counter run 0 $reason)
    [ "$c" != missing ] && [ "$c" -ge 1 ] || fail "agent 0 counted no '$reason' drop ($c)"
done
per_second=$(grep "dropped a frame" "$L" | grep -o ' [0-9][0-9]:[0-9][0-9]:[0-9][0-9] ' \
             | sort | uniq -c | sort -rn | head -1 | awk '{print $1}')
#   one line a second per reason at most: 9 reasons
[ "${per_second:-0}" -le 9 ] || fail "drops are not rate-limited: $per_second lines in one second"
zap=$(grep "zap: refused" "$L" | tail -1)
note "agent 0: $zap"
grep -q "not admitted [1-9]" <<< "$zap" || fail "agent 0's ZAP handler did not refuse agent 8: $zap"
WINDOW="1 $ROUNDS"
WINDOW_TEXT="the whole run: the hostile peers run with it"
fault_table "hostile" "agent 1's key sends agent 0 every malformed or out-of-bounds frame, the whole run (agent 8's is refused by ZAP)" 0 \
    "the start of the run: the hostile peer starts with it" "$R"
echo "hostile: ok"
