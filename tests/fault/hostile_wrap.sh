#!/usr/bin/env bash
#   hostile_wrap (issue 9, item 2): one frame must not spin an agent. In a
#   fleet of rounds = 0 (run until stopped), agent 1's own certificate
#   (tests/fault/forge) sends agent 0 an ESTIMATE and a RUNNING HEARTBEAT
#   of round 2^64-1, a HEARTBEAT of epoch 2^64-1, one with a WANT of round
#   2^64-2, and an ESTIMATE of round 2^40 (accepted: within 2^40 of ours;
#   one neighbour's claim moves nobody). Before the fix the jump's report
#   loop wrapped around: the agent ignored SIGTERM, wrote 68 MB of trace
#   rows in 15 s, and the summary ended with a nonsense round count.
#   Asserted: agent 0 counts them as "wrong round" and "epoch out of range"
#   and never jumps; it goes on running rounds (its checkpoint advances by
#   ADVANCE rounds after the frames); SIGTERM ends every process within
#   5 s, exit 0; the coordinator's summary says a round count no larger
#   than the agents' own (their checkpoints) and its trace has one row per
#   report round, at most (rounds / report_every + 2) rows.
#   Usage: hostile_wrap.sh BUILD_DIR
N=${N:-8}
ROUNDS=0
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/hostile_lib.bash"
ADVANCE=${ADVANCE:-50}
FAULTS=("${NO_DEADLINE[@]}" --set faults/checkpoint_every=10)
start_coord run --quiet "${FAULTS[@]}"
for ((i = 0; i < N; i++)); do start_agent run $i "${FAULTS[@]}"; done
wait_round run 0 20 120
"$FORGE" "$FLEET" 1 0 "estimate:round=max" "heartbeat:round=max" "heartbeat:round=5:epoch=max" \
    "heartbeat:round=5:want=max" \
    "estimate:round=$((1 << 40))" > "$TMP/forge.out" 2>&1 || fail "forge: $(cat "$TMP/forge.out")"
note "$(cat "$TMP/forge.out")"
ckpt_round () { od -An -t d8 -j 40 -N 8 "$TMP/run/state/agent-$1.ckpt" 2>/dev/null | tr -d ' '; }
after=$(ckpt_round 0)
wait_round run 0 $((after + ADVANCE)) 60
note "agent 0's checkpoint: round $after after the frames, $(ckpt_round 0) now"
kill -0 "${PID[run.0]}" || fail "agent 0 died"
#   SIGTERM: agent 0 first (it ignored it before), then the rest
term_within "${PID[run.0]}" 5 || fail "agent 0 ignored SIGTERM"
for ((i = 1; i < N; i++)); do kill -TERM "${PID[run.$i]}" 2>/dev/null; done
term_within "${PID[run.coord]}" 5 || fail "the coordinator ignored SIGTERM"
for ((i = 0; i < N; i++)); do wait_agent run $i 5; done
wait_coord run 10
no_crash run
for reason in wrong_round epoch_out_of_range; do
    c=$(counter run 0 $reason)
    [ "$c" != missing ] && [ "$c" -ge 1 ] || fail "agent 0 counted no '$reason' drop ($c)"
done
note "agent 0: wrong round $(counter run 0 wrong_round), epoch out of range $(counter run 0 epoch_out_of_range), jumps $(counter run 0 jumps)"
[ "$(agents_counter run jumps)" = 0 ] || fail "an agent jumped"
R=$(inspect run)
note "final state: $R"
top=$(field "$R" round_max)
[ -n "$top" ] && [ "$top" -lt 1000000 ] || fail "an agent's round is absurd: $R"
S=$(cat "$TMP/run/coord/summary.json")
done_rounds=$(sed -n 's/.*"rounds":\([0-9]*\).*/\1/p' <<< "$S")
[ -n "$done_rounds" ] && [ "$done_rounds" -le "$top" ] && [ "$done_rounds" -ge "$after" ] \
    || fail "the summary's round count $done_rounds is not within [$after, $top]: $S"
rows=$(wc -l < "$TMP/run/coord/trace.jsonl")
bytes=$(wc -c < "$TMP/run/coord/trace.jsonl")
[ "$rows" -le $((top / 10 + 2)) ] || fail "$rows trace rows for $top rounds"
note "summary: $done_rounds rounds; trace: $rows rows, $bytes bytes; agents' rounds up to $top"
echo "hostile_wrap: ok"
