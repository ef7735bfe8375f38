#   Shared by tests/fault/*.sh (sourced, not a test: the ctest glob takes
#   *.sh only). A fleet of N agentd processes on this host, CURVE on, no
#   coordinator; results are read from the agents' final checkpoints with
#   $BUILD/tests/inspect. Every wait is bounded; every process is killed on
#   exit.
set -u
BUILD=${1:?usage: $0 BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
AGENTD=$BUILD/agentd/agentd
SWARMSHAPE=${SWARMSHAPE:-$BUILD/cli/swarmshape}
INSPECT=$BUILD/tests/inspect
HOSTILE=$BUILD/tests/hostile
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NAME=$(basename "$0" .sh)
TMP=$(mktemp -d /tmp/fault_$NAME.XXXXXX)
N=${N:-16}
ROUNDS=${ROUNDS:-400}
#   Faults tuned short for the tests (not part of the fleet id)
FAULTS=(--set faults/heartbeat_ms=100 --set faults/round_timeout_ms=300
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

for bin in "$AGENTD" "$SWARMSHAPE" "$INSPECT" "$HOSTILE"; do
    [ -x "$bin" ] || fail "no $bin"
done

#   Private ports: base..base+N-1, the (absent) coordinator at base+99
BASE_PORT=$((20000 + RANDOM % 50 * 100))
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
        "$TMP/$1"/agent-*.log > "$TMP/crashed" 2>/dev/null; then
        fail "$1: crash or sanitizer report in $(cat "$TMP/crashed")"
    fi
}

#   The undisturbed run: BASE_J, BASE_DIS, BASE_BIAS
baseline () {
    start_fleet base --quiet "${FAULTS[@]}"
    wait_fleet base 180
    no_crash base
    BASE=$(inspect base)
    BASE_J=$(field "$BASE" J)
    BASE_DIS=$(field "$BASE" disagreement)
    BASE_BIAS=$(field "$BASE" bias)
    note "baseline: $BASE"
}
