#!/usr/bin/env bash
#   hostile_values (issue 9, item 6): values a receiver could not encode
#   again. Agent 1's own certificate (tests/fault/forge) sends agent 0
#   ESTIMATEs within the decoder's bounds (|value| <= 1e6) but beyond the
#   fleet's: theta = 1e6 in every feature, theta = 100001 in one, running
#   sums stepping by 2048 and by -1001 (the bound is 1e3), a degree of 5
#   (agent 1 has 4). Before the fix, theta = s = 1e6 passed: receivers'
#   own values then exceeded the encoder's limit, they stopped sending
#   ("cannot encode an estimate: out of range") two hops away too, 26-28
#   timeouts per agent, 1925 -> 252 rounds/s. (NaN and Inf are refused at
#   decode: hostile.sh sends them.)
#   a. refused: agent 0 counts every one as "value out of range"; the run
#      equals the undisturbed one (positions difference 0).
#   b. the worst accepted input: theta = +-1e5 in every feature (the
#      state clamp) and a running sum of 900 (a step below the bound of
#      1e3), for every round from agent 0's on, in bursts (those that come
#      before the honest estimate of their round are used: the honest one
#      is then a duplicate).
#      Asserted: it changed the run (positions differ), yet every agent
#      kept encoding (no "cannot encode" line anywhere), every agent ran
#      all rounds and ends with finite values, and at most N rounds in
#      all ran past a grace (substitutions; before the fix 26-28 per
#      agent).
#   The pace of each run (the coordinator's rounds/s) is printed, not
#   asserted.
#   Usage: hostile_values.sh BUILD_DIR
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/hostile_lib.bash"
FAULTS=("${NO_DEADLINE[@]}" --set faults/checkpoint_every=10)
baseline
pace () { sed -n 's/.*"rounds_per_second":\([0-9.]*\).*/\1/p' "$TMP/$1/coord/summary.json"; }
ckpt_round () { od -An -t d8 -j 40 -N 8 "$TMP/$1/state/agent-0.ckpt" 2>/dev/null | tr -d ' '; }

#   --- a. refused ------------------------------------------------------------
start_coord run --quiet "${FAULTS[@]}"
for ((i = 0; i < N; i++)); do start_agent run $i "${FAULTS[@]}"; done
wait_round run 0 20 120
r=$(ckpt_round run)
"$FORGE" "$FLEET" 1 0 --gap 2 "estimate:round=$((r + 40)):theta=1e6" \
    "estimate:round=$((r + 41)):theta0=100001" "estimate:round=$((r + 42)):mass=2048" \
    "estimate:round=$((r + 43)):mass=-1001" "estimate:round=$((r + 44)):degree=5" \
    > "$TMP/forge.out" 2>&1 || fail "forge: $(cat "$TMP/forge.out")"
note "refused values: $(cat "$TMP/forge.out")"
wait_fleet run 300
wait_coord run 60
no_crash run
c=$(counter run 0 value_out_of_range)
[ "$c" = 5 ] || fail "agent 0 counted $c values out of range, not 5"
R=$(inspect run --compare "$TMP/base/state")
note "values refused: $R"
[ "$(field "$R" maxdiff)" = "0.000000e+00" ] || fail "positions differ from the undisturbed run: $R"

#   --- b. the worst accepted --------------------------------------------------
start_coord worst --quiet "${FAULTS[@]}"
for ((i = 0; i < N; i++)); do start_agent worst $i "${FAULTS[@]}"; done
wait_round worst 0 20 120
r=$(ckpt_round worst)
span=$((ROUNDS - r - 1))
"$FORGE" "$FLEET" 1 0 "estimate:round=$r:span=$span:theta=1e5:mass=900:repeat=10:every=20" \
    "estimate:round=$r:span=$span:theta=-1e5:mass=900:repeat=10:every=20" > "$TMP/forge.out" 2>&1 \
    || fail "forge: $(cat "$TMP/forge.out")"
note "worst accepted, rounds $r..$((ROUNDS - 2)) again and again: $(cat "$TMP/forge.out")"
wait_fleet worst 300
wait_coord worst 60
no_crash worst
W=$(inspect worst --compare "$TMP/base/state")
note "worst accepted: $W"
[ "$(field "$W" maxdiff)" != "0.000000e+00" ] || fail "the worst accepted input was not used (sent too late?)"
[ "$(field "$W" round_min)" = "$ROUNDS" ] || fail "not every agent ran $ROUNDS rounds: $W"
grep -l "cannot encode" "$TMP/worst"/agent-*.log && fail "an agent could not encode its state"
#   Before the fix every agent timed out 26-28 times; a few graces may pass
#   while agent 0 reads the bursts on a loaded machine
subs=$(agents_counter worst substitutions)
[ "$subs" -le "$N" ] || fail "$subs substitutions: rounds waited past their grace"
awk -v j="$(field "$W" J)" 'BEGIN { exit !(j == j + 0 && j < 1e300) }' || fail "J is not finite: $W"
note "agent 0: clamped $(counter worst 0 clamped), received $(counter worst 0 received); every agent: clamped $(agents_counter worst clamped)"
note "pace (rounds/s): undisturbed $(pace base), values refused $(pace run), worst accepted $(pace worst)"
echo "hostile_values: ok"
