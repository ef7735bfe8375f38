#   Shared by tests/fault/*.sh (sourced, not a test: the ctest glob takes
#   *.sh only). A fleet of N agentd processes on this host, CURVE on, and
#   a coordinator per run (start_coord, its own --out dir); results are
#   read from the agents' final checkpoints with $BUILD/tests/inspect,
#   "rounds to recover" from the coordinator's trace.jsonl (recovery), and
#   each script writes its section of the faults table (fault_table, via
#   table.bash). Every wait is bounded; every process is killed on exit.
set -u
BUILD=${1:?usage: $0 BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
AGENTD=$BUILD/agentd/agentd
SWARMSHAPE=${SWARMSHAPE:-$BUILD/cli/swarmshape}
INSPECT=$BUILD/tests/inspect
HOSTILE=$BUILD/tests/hostile
COORD=$BUILD/coordinator/coordinator
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NAME=$(basename "$0" .sh)
TMP=$(mktemp -d /tmp/fault_$NAME.XXXXXX)
N=${N:-16}
ROUNDS=${ROUNDS:-400}
#   Faults tuned short for the tests (not part of the fleet id)
FAULTS=(--set faults/heartbeat_ms=100 --set faults/round_timeout_ms=300
        --set faults/start_timeout_ms=5000
        --set faults/lost_after_ms=1000 --set faults/checkpoint_every=10)
declare -A PID=()
OTHER_PIDS=()

cleanup () {
    for pid in "${PID[@]}" "${OTHER_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    if [ -n "${KEEP:-}" ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
fail () { echo "FAIL: $NAME: $*" >&2; exit 1; }
note () { echo "$NAME: $*"; }

for bin in "$AGENTD" "$SWARMSHAPE" "$INSPECT" "$HOSTILE" "$COORD"; do
    [ -x "$bin" ] || fail "no $bin"
done

#   Private ports: base..base+N-1, the coordinator at base+99
. "$SRC/tests/ports.bash"
BASE_PORT=$(free_ports 100) || fail "no free ports"
FLEET=$TMP/fleet.zpl
cat > "$FLEET" <<EOT
fleet
    name = fault
    rounds = $ROUNDS
    seed = 11
    model
        m = 4
        nq = 16
    graph
        kind = ring
        degree = 4
    agents
        count = $N
        base_port = $BASE_PORT
    coordinator
        endpoint = tcp://127.0.0.1:$((BASE_PORT + 99))
        report_every = 10
EOT
timeout 60 "$SWARMSHAPE" keygen "$FLEET" > /dev/null 2> "$TMP/keygen.err" \
    || fail "keygen: $(cat "$TMP/keygen.err")"

#   start_agent RUN I [agentd args...]: agent I of run RUN in the background
start_agent () {
    local run=$1 i=$2; shift 2
    mkdir -p "$TMP/$run"
    "$AGENTD" --fleet "$FLEET" --id "$i" --state-dir "$TMP/$run/state" "$@" \
        >> "$TMP/$run/agent-$i.log" 2>&1 &
    PID[$run.$i]=$!
}

#   start_fleet RUN [agentd args...]: all N agents
start_fleet () {
    local run=$1; shift
    for ((i = 0; i < N; i++)); do start_agent "$run" $i "$@"; done
}

#   wait_agent RUN I SECONDS: it must exit 0 within SECONDS
wait_agent () {
    local run=$1 i=$2 seconds=$3 pid=${PID[$1.$2]}
    timeout "$seconds" tail --pid="$pid" -f /dev/null \
        || fail "$run: agent $i did not finish within $seconds s: $(tail -3 "$TMP/$run/agent-$i.log")"
    wait "$pid"
    local rc=$?
    unset "PID[$run.$i]"
    [ $rc -eq 0 ] || fail "$run: agent $i exited $rc: $(tail -5 "$TMP/$run/agent-$i.log")"
}

#   wait_fleet RUN SECONDS [SKIPPED_IDS...]
wait_fleet () {
    local run=$1 seconds=$2; shift 2
    local skip=" $* "
    for ((i = 0; i < N; i++)); do
        [[ "$skip" == *" $i "* ]] && continue
        wait_agent "$run" $i "$seconds"
    done
}

#   kill9 RUN I
kill9 () {
    local pid=${PID[$1.$2]}
    kill -9 "$pid" 2>/dev/null || fail "$1: agent $2 was not running"
    wait "$pid" 2>/dev/null
    unset "PID[$1.$2]"
}

#   wait_round RUN I ROUND SECONDS: until agent I's checkpoint is at ROUND
#   or later (checkpoints every 10 rounds)
wait_round () {
    local run=$1 i=$2 round=$3 seconds=$4
    local until=$((SECONDS + seconds))
    while [ $SECONDS -lt $until ]; do
        local r
        r=$(od -An -t d8 -j 40 -N 8 "$TMP/$run/state/agent-$i.ckpt" 2>/dev/null | tr -d ' ')
        [ -n "$r" ] && [ "$r" -ge "$round" ] && return 0
        sleep 0.02
    done
    fail "$run: agent $i did not reach round $round within $seconds s"
}

#   inspect RUN [inspect args...]: prints the JSON line
inspect () {
    local run=$1; shift
    timeout 60 "$INSPECT" "$FLEET" "$TMP/$run/state" "$@" 2> "$TMP/inspect.err" \
        || fail "inspect $run: $(cat "$TMP/inspect.err")"
}

#   field JSON NAME
field () { sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" <<< "$1"; }

#   check_le WHAT VALUE LIMIT
check_le () {
    awk -v v="$2" -v l="$3" 'BEGIN { exit !(v + 0 <= l + 0) }' \
        || fail "$1 = $2, above $3"
}

#   no_crash RUN: no sanitizer report, no crash line in any log
no_crash () {
    if grep -l -E "ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:|Segmentation|Assertion" \
        "$TMP/$1"/agent-*.log "$TMP/$1"/coordinator.log > "$TMP/crashed" 2>/dev/null; then
        fail "$1: crash or sanitizer report in $(cat "$TMP/crashed")"
    fi
}

#   start_coord RUN [coordinator args...]: the coordinator of run RUN in
#   the background, started like the agents (CURVE on, the keys from
#   keygen), writing to $TMP/RUN/coord. Start it before the agents; one run
#   at a time (one endpoint, base+99).
start_coord () {
    local run=$1; shift
    mkdir -p "$TMP/$run"
    "$COORD" --fleet "$FLEET" --out "$TMP/$run/coord" --fresh "$@" \
        >> "$TMP/$run/coordinator.log" 2>&1 &
    PID[$run.coord]=$!
}

#   wait_coord RUN SECONDS: it must exit 0 within SECONDS (it stops after
#   the row of the last round) and have written a trace
wait_coord () {
    local run=$1 seconds=$2 pid=${PID[$1.coord]}
    timeout "$seconds" tail --pid="$pid" -f /dev/null \
        || fail "$run: coordinator did not finish within $seconds s: $(tail -3 "$TMP/$run/coordinator.log")"
    wait "$pid"
    local rc=$?
    unset "PID[$run.coord]"
    [ $rc -eq 0 ] || fail "$run: coordinator exited $rc: $(tail -5 "$TMP/$run/coordinator.log")"
    [ -s "$TMP/$run/coord/trace.jsonl" ] || fail "$run: the coordinator wrote no trace"
}

#   traced_round RUN: the last round in RUN's trace so far (-1: none yet)
traced_round () {
    local r
    r=$(tail -n 1 "$TMP/$1/coord/trace.jsonl" 2>/dev/null | sed -n 's/^{"round":\([0-9]*\),.*/\1/p')
    echo "${r:--1}"
}

#   Recovery thresholds = the final-state thresholds the kill and restart
#   scripts assert on the checkpoints: bias <= BIAS_MAX, disagreement <=
#   DIS_MAX = max (5 x the undisturbed run's final disagreement, 0.05)
#   (set by baseline)
BIAS_MAX=1e-9
DIS_MAX=0.05

#   recovery RUN FROM: "rounds to recover" from report round FROM in RUN's
#   trace: the first report round R >= FROM from which every row (R's and
#   every later one) has disagreement <= DIS_MAX and bias <= BIAS_MAX;
#   prints "R-FROM LAST AGENTS FIRST" ("-" for R-FROM: the last row misses
#   them), LAST and AGENTS from the trace's last row, FIRST = the first row
#   at or after FROM that meets both, minus FROM ("-": none).
recovery () {
    python3 - "$TMP/$1/coord/trace.jsonl" "$2" "$DIS_MAX" "$BIAS_MAX" <<'PY'
import json, sys
path, start, dmax, bmax = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
rows = [json.loads(l) for l in open(path) if l.strip()]
later = [r for r in rows if r['round'] >= start]
at = None
for r in reversed(later):
    if r['disagreement'] <= dmax and r['bias'] <= bmax:
        at = r['round']
    else:
        break
ok = [r['round'] for r in later if r['disagreement'] <= dmax and r['bias'] <= bmax]
last = rows[-1] if rows else {'round': -1, 'agents': 0}
print('%s %d %d %s' % ('-' if at is None else at - start, last['round'], last['agents'],
                       ok[0] - start if ok else '-'))
PY
}

#   first_row RUN CONDITION [AFTER]: the round of RUN's first trace row
#   with round > AFTER (default -1) for which the python expression
#   CONDITION on the row r is true ("-": none)
first_row () {
    python3 - "$TMP/$1/coord/trace.jsonl" "$2" "${3:--1}" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
hit = [r['round'] for r in rows if r['round'] > int(sys.argv[3]) and eval(sys.argv[2], {'r': r})]
print(hit[0] if hit else '-')
PY
}

#   fault_table SCENARIO DISTURBANCE FROM FROM_TEXT R: rounds to recover of
#   run and base from report round FROM (FROM_TEXT: what FROM is), R the
#   inspect JSON of the run's final state; notes the numbers, sets RECOVER
#   and BASE_RECOVER, and writes the script's section of the faults table
#   (table.bash: $BUILD/faults-table.md, or SS_FAULTS_TABLE). Rounds/s of
#   both runs from their traces (trace_pace); WINDOW="A B" (report rounds)
#   and WINDOW_TEXT (what they are), if set: also rounds/s of both runs
#   between those rows, the disturbance's window
fault_table () {
    local scenario=$1 disturbance=$2 from=$3 from_text=$4 r=$5
    local last agents first blast bagents bfirst j dis bias ratio
    read -r RECOVER last agents first <<< "$(recovery run "$from")"
    read -r BASE_RECOVER blast bagents bfirst <<< "$(recovery base "$from")"
    note "rounds to recover from report round $from: $RECOVER (undisturbed, same round: $BASE_RECOVER); first row within the thresholds: $from + $first (undisturbed: $from + $bfirst); traces end at round $last with $agents agents (undisturbed: $blast, $bagents)"
    j=$(field "$r" J); dis=$(field "$r" disagreement); bias=$(field "$r" bias)
    ratio=$(awk -v a="$j" -v b="$BASE_J" 'BEGIN { printf "%.3f", (b > 0? a / b: 0) }')
    local extra=""
    if [ "$first" != "$RECOVER" ] || [ "$bfirst" != "$BASE_RECOVER" ]; then
        extra="
Where the two numbers differ, later rows left the thresholds again (the
disagreement rises for a while mid-run, in the undisturbed trace too when
its two numbers differ): the last return sets the rounds to recover."
    fi
    . "$SRC/tests/fault/table.bash"
    local pace bpace wpace="-" bwpace="-" wtext=""
    pace=$(trace_pace "$TMP/run/coord/trace.jsonl")
    bpace=$(trace_pace "$TMP/base/coord/trace.jsonl")
    if [ -n "${WINDOW:-}" ]; then
        wpace=$(trace_pace "$TMP/run/coord/trace.jsonl" $WINDOW)
        bwpace=$(trace_pace "$TMP/base/coord/trace.jsonl" $WINDOW)
        wtext="
\"Rounds/s during the disturbance\": the same, from the first row at or
after report round ${WINDOW% *} to the last row at or before round ${WINDOW#* } (${WINDOW_TEXT:-the disturbance}),
in brackets the undisturbed run's over the same rounds."
    fi
    note "rounds/s: $pace (undisturbed: $bpace); during the disturbance: $wpace (undisturbed, same rounds: $bwpace)"
    ns_table_section "$NAME.sh" "$(cat <<EOT
Fleet: $N agentd processes on one host (CURVE on), ring degree 4, $ROUNDS rounds,
seed 11, m = 4, nq = 16, report every 10; a coordinator traces both runs
(its own trace.jsonl each). Faults: ${FAULTS_TEXT:-$(printf "%s " "${FAULTS[@]}" | sed "s/--set //g; s/ $//")}.
The undisturbed run: the same fleet, no disturbance.
Final J, disagreement, bias: from the final checkpoints of the agents alive
at the end (tests/inspect), the state the script asserts on.
Thresholds: disagreement <= $DIS_MAX (max of 5 x the undisturbed final
disagreement and 0.05), bias <= $BIAS_MAX.
"Rounds to recover": from report round $from ($from_text), the first
report round from which every later row of the coordinator's trace meets
both thresholds, minus $from ("-": never); "undisturbed, same round": the
same on the undisturbed run's trace from the same round. The first row
from round $from on that meets both thresholds: $from + $first (undisturbed:
$from + $bfirst).$extra
"Rounds/s": report rounds per second of the coordinator's clock over the
whole run, from its trace.jsonl ("round" and "seconds" fields), from the
first row after round 0 to the last row (the start-up is not counted);
"undisturbed rounds/s": the same on the undisturbed run's trace.$wtext

Reproduce: \`bash tests/fault/$NAME.sh build\`

| scenario | disturbance | final J | undisturbed J | ratio | rounds to recover | undisturbed, same round | final disagreement | final bias | rounds/s | undisturbed rounds/s | rounds/s during the disturbance (undisturbed) | command |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
| $scenario | $disturbance | $(printf %.6f "$j") | $(printf %.6f "$BASE_J") | $ratio | $RECOVER | $BASE_RECOVER | $(printf %.3g "$dis") | $(printf %.3g "$bias") | $pace | $bpace | $wpace ($bwpace) | \`bash tests/fault/$NAME.sh build\` |
EOT
)"
}

#   The undisturbed run, with its coordinator: BASE_J, BASE_DIS, BASE_BIAS,
#   DIS_MAX
baseline () {
    start_coord base --quiet "${FAULTS[@]}"
    start_fleet base --quiet "${FAULTS[@]}"
    wait_fleet base 180
    wait_coord base 60
    no_crash base
    BASE=$(inspect base)
    BASE_J=$(field "$BASE" J)
    BASE_DIS=$(field "$BASE" disagreement)
    BASE_BIAS=$(field "$BASE" bias)
    DIS_MAX=$(awk -v b="$BASE_DIS" 'BEGIN { print (5 * b > 0.05? 5 * b: 0.05) }')
    note "baseline: $BASE"
}

#   inject_target: `swarmshape target` of one Gaussian at the centre (std
#   0.12) into the running fleet; prints the switch round it announced
inject_target () {
    cat > "$TMP/newtarget.zpl" <<'ZPL'
target
    component
        weight = 1
        mean = "0.5 0.5"
        std = 0.12
ZPL
    timeout 10 "$SWARMSHAPE" target "$FLEET" "$TMP/newtarget.zpl" > "$TMP/target.out" 2>&1 \
        || fail "swarmshape target: $(cat "$TMP/target.out")"
    local r
    r=$(sed -n 's/^target switches at round \([0-9]*\)$/\1/p' "$TMP/target.out")
    [ -n "$r" ] || fail "no switch round: $(cat "$TMP/target.out")"
    echo "$r"
}
