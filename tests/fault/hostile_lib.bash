#   Shared by tests/fault/hostile*.sh (sourced after common.bash, not a
#   test: the ctest glob takes *.sh only). Hostile input at every edge
#   (issue 9): the tools, the memory of an attacked process, the counters
#   of an agent's state file.
#     FORGE, PREAUTH          the tools (tests/fault/forge.c, preauth.c)
#     SANITIZED               1 in an ASan build (its memory figures differ)
#     NO_DEADLINE             fault timeouts no run reaches, even a loaded
#                             sanitizer build's: only the attack can change
#                             the arithmetic, and a stall shows as one
#     mem_kb PID              VmRSS of PID, kB (0 once it is gone)
#     pss_kb PID              Pss of PID (smaps_rollup), kB
#     mem_watch NAME PID      sample PID's VmRSS every 50 ms in the
#                             background, until mem_stop NAME
#     mem_stop NAME           prints "PEAK_KB FIRST_KB" of the samples
#     counter RUN I NAME      agent I's counter NAME in RUN's state file
#     agents_counter RUN NAME the sum of NAME over every agent of RUN
#     term_within PID SECONDS SIGTERM (unless gone), then it must be gone
#                             within SECONDS (a zombie counts as gone)
#     wait_until SECONDS CMD...  until CMD succeeds (1: it never did)
#     trace_equal A B         two traces (jsonl) have the same rows but
#                             for the clock: round, agents, J, kl,
#                             disagreement, step, grad, bias, lost
NO_DEADLINE=(--set faults/round_timeout_ms=600000 --set faults/lost_after_ms=1200000)
FORGE=$BUILD/tests/forge
PREAUTH=$BUILD/tests/preauth
for bin in "$FORGE" "$PREAUTH"; do
    [ -x "$bin" ] || fail "no $bin"
done
SANITIZED=0
grep -q "^SS_SANITIZE:BOOL=ON" "$BUILD/CMakeCache.txt" 2>/dev/null && SANITIZED=1
if [ $SANITIZED = 1 ]; then
    #   ASan holds freed memory in a quarantine (256 MB by default), which
    #   would read as growth: keep it small for the memory bounds
    export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}quarantine_size_mb=8"
fi

mem_kb () { awk '/^VmRSS:/ { print $2; f = 1 } END { if (!f) print 0 }' "/proc/$1/status" 2>/dev/null || echo 0; }
pss_kb () { awk '/^Pss:/ { print $2; f = 1 } END { if (!f) print 0 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }

declare -A MEM_WATCH=()
mem_watch () {
    local name=$1 pid=$2
    (
        #   bounded: at most 20 minutes of samples
        for ((s = 0; s < 24000; s++)); do
            kill -0 "$pid" 2>/dev/null || break
            mem_kb "$pid"
            sleep 0.05
        done
    ) > "$TMP/mem.$name" &
    MEM_WATCH[$name]=$!
    OTHER_PIDS+=($!)
}
mem_stop () {
    local name=$1
    kill "${MEM_WATCH[$name]}" 2>/dev/null
    wait "${MEM_WATCH[$name]}" 2>/dev/null
    awk 'NR == 1 { first = $1 } $1 > peak { peak = $1 } END { print peak + 0, first + 0 }' "$TMP/mem.$name"
}

counter () {
    awk -v n="$3" '$1 == "counter" && $2 == n { print $3; f = 1 } END { if (!f) print "missing" }' \
        "$TMP/$1/state/agent-$2.state" 2>/dev/null
}
agents_counter () {
    cat "$TMP/$1"/state/agent-*.state 2>/dev/null \
        | awk -v n="$2" '$1 == "counter" && $2 == n { s += $3 } END { print s + 0 }'
}

#   gone PID: it has exited (a zombie not yet waited for counts as gone)
gone () { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
term_within () {
    local pid=$1 seconds=$2
    gone "$pid" && return 0
    kill -TERM "$pid" 2>/dev/null
    wait_until "$seconds" gone "$pid"
}

wait_until () {
    local until=$((SECONDS + $1)); shift
    until "$@"; do
        [ $SECONDS -ge $until ] && return 1
        sleep 0.05
    done
}

trace_equal () {
    python3 - "$1" "$2" <<'PY'
import json, sys
keys = ('round', 'agents', 'J', 'kl', 'disagreement', 'step', 'grad', 'bias', 'lost')
rows = [[tuple(json.loads(l).get(k) for k in keys) for l in open(p) if l.strip()]
        for p in sys.argv[1:3]]
if rows[0] != rows[1]:
    diff = [i for i, (a, b) in enumerate(zip(*rows)) if a != b]
    print('traces differ: %d and %d rows, first difference at row %s' %
          (len(rows[0]), len(rows[1]), diff[0] if diff else min(map(len, rows))))
    sys.exit(1)
print('%d rows equal' % len(rows[0]))
PY
}
