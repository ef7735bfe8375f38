#!/usr/bin/env bash
#   launch.sh BUILD_DIR: a launched fleet against sim, a target injected
#   mid-run, SIGTERM to launch, and the coordinator's command line.
#   Every wait is bounded; leftovers are killed on exit.
set -u
. "$(dirname "$0")/../ports.bash"
B=$(cd "${1:?usage: launch.sh BUILD_DIR}" && pwd)
SS=$B/cli/swarmshape
COORD=$B/coordinator/coordinator
T=$(mktemp -d /tmp/ss-launch.XXXXXX)
FAILS=0
PIDS=()

cleanup () {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in $(pgrep -f "$T/"); do kill -KILL "$pid" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

fail () { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass () { echo "ok: $*"; }

#   fleet NAME ROUNDS [EXTRA LINES]: a 20-agent ring on private ports
fleet () {
    local port
    port=$(free_ports 100) || { echo "FAIL: no free ports"; exit 1; }
    cat > "$T/$1.zpl" <<ZPL
fleet
    faults                      # no deadline may fire under a loaded
        round_timeout_ms = 600000   # (sanitizer) build: this run is
        lost_after_ms = 1200000     # compared with sim to round-off
    name = $1
    rounds = $2
    graph
        kind = ring
        degree = 4
    agents
        count = 20
        base_port = $((port + 1))
    coordinator
        endpoint = tcp://127.0.0.1:$port
        report_every = 10
    security
        keys = keys-$1
ZPL
}

#   wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for () {
    local until=$((SECONDS + $1)); shift
    until "$@"; do
        [ $SECONDS -ge $until ] && return 1
        sleep 0.1
    done
}

#   compare A B TOL: positions.csv of two runs agree to TOL; traces' rounds
#   equal and J to TOL
compare () {
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
a, b, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
def rows(p):
    return [list(map(float, l.split(',')[1:])) for l in open(p).read().split('\n')[1:] if l]
pa, pb = rows(a + '/positions.csv'), rows(b + '/positions.csv')
assert len(pa) == len(pb) == 20, (len(pa), len(pb))
dx = max(abs(x - y) for ra, rb in zip(pa, pb) for x, y in zip(ra, rb))
ta = [json.loads(l) for l in open(a + '/trace.jsonl')]
tb = [json.loads(l) for l in open(b + '/trace.jsonl')]
assert [r['round'] for r in ta] == [r['round'] for r in tb], 'trace rounds differ'
dj = max(abs(r['J'] - s['J']) for r, s in zip(ta, tb))
print('positions %.3g, J %.3g' % (dx, dj))
sys.exit(0 if dx <= tol and dj <= tol else 1)
PY
}

#   --- d. the coordinator's command line -----------------------------------
timeout 10 "$COORD" --help > /dev/null && pass "coordinator --help" || fail "coordinator --help"
timeout 10 "$COORD" --version | grep -q "^coordinator " && pass "coordinator --version" \
    || fail "coordinator --version"
fleet bad 10
timeout 10 "$COORD" --fleet "$T/nothere.zpl" --out "$T/x" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$T/err")" -eq 1 ] && pass "missing fleet file: exit 2, one line" \
    || fail "missing fleet file: rc $rc, $(cat "$T/err")"
timeout 10 "$COORD" --fleet "$T/bad.zpl" --out "$T/x" --set graph/kind=nonsense 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$T/err")" -eq 1 ] && pass "bad key: exit 2, one line" \
    || fail "bad key: rc $rc, $(cat "$T/err")"
timeout 10 "$COORD" --fleet "$T/bad.zpl" --out "$T/x" --bogus 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$T/err")" -eq 1 ] && pass "bad flag: exit 2, one line" \
    || fail "bad flag: rc $rc, $(cat "$T/err")"

#   --- a. a launched fleet equals sim ---------------------------------------
fleet same 300
timeout 60 "$SS" sim "$T/same.zpl" --out "$T/same-sim" --quiet || fail "sim"
timeout 120 "$SS" launch "$T/same.zpl" --out "$T/same-launch" 2> "$T/same.err"; rc=$?
if [ $rc -ne 0 ]; then
    fail "launch exit $rc"; tail -5 "$T/same.err"
elif compare "$T/same-launch" "$T/same-sim" 1e-9; then
    pass "launch equals sim (20 agents, 300 rounds)"
else
    fail "launch differs from sim"
fi
for f in initial.csv positions.csv trace.jsonl summary.json; do
    [ -s "$T/same-launch/$f" ] || fail "launch wrote no $f"
done
grep -q '"mode":"launch"' "$T/same-launch/summary.json" || fail "summary mode"
[ "$(grep -c 'coordinator: round' "$T/same.err")" -le 25 ] || fail "too many progress lines"

#   --- b. a target injected mid-run -----------------------------------------
fleet tgt 1500
cat > "$T/newtarget.zpl" <<'ZPL'
target
    component
        weight = 1
        mean = "0.5 0.5"
        std = 0.12
ZPL
timeout 180 "$SS" launch "$T/tgt.zpl" --out "$T/tgt-run" 2> "$T/tgt.err" &
LPID=$!; PIDS+=($LPID)
has_rounds () { [ -s "$T/tgt-run/trace.jsonl" ] && [ "$(wc -l < "$T/tgt-run/trace.jsonl")" -ge 5 ]; }
wait_for 60 has_rounds || fail "no reports from the target run"
timeout 10 "$SS" status "$T/tgt.zpl" > "$T/status.out" && grep -q "^round [0-9]* *J " "$T/status.out" \
    && pass "status: $(cat "$T/status.out")" || fail "status: $(cat "$T/status.out")"
timeout 10 "$SS" target "$T/tgt.zpl" "$T/newtarget.zpl" > "$T/target.out"; rc=$?
R=$(sed -n 's/^target switches at round \([0-9]*\)$/\1/p' "$T/target.out")
timeout 120 tail --pid=$LPID -f /dev/null; wait $LPID; lrc=$?
if [ $rc -ne 0 ] || [ -z "$R" ]; then
    fail "target: rc $rc: $(cat "$T/target.out")"
else
    pass "target switches at round $R"
    [ $lrc -eq 0 ] || fail "target run: launch exit $lrc"
    grep -q "target 1: 20/20 agents switched at round $R " "$T/tgt.err" \
        && pass "every agent switched at round $R" \
        || fail "agents' switch rounds: $(grep 'target 1:' "$T/tgt.err")"
    python3 - "$T/tgt-run/trace.jsonl" "$R" <<'PY' && pass "J falls after the switch" || fail "J after the switch"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
R = int(sys.argv[2])
assert all(r['target'] == (1 if r['round'] > R else 0) for r in rows), 'target column'
after = [r for r in rows if r['round'] > R]
print('J at round %d: %.6f, final J at round %d: %.6f'
      % (after[0]['round'], after[0]['J'], after[-1]['round'], after[-1]['J']))
assert after[-1]['J'] < after[0]['J']
PY
fi

#   --- c. SIGTERM to launch --------------------------------------------------
fleet term 1000000
timeout 60 "$SS" launch "$T/term.zpl" --out "$T/term-run" --quiet 2> "$T/term.err" &
LPID=$!; PIDS+=($LPID)
has_term_rounds () { [ -s "$T/term-run/trace.jsonl" ] && [ "$(wc -l < "$T/term-run/trace.jsonl")" -ge 3 ]; }
wait_for 60 has_term_rounds || fail "no reports from the SIGTERM run"
kill -TERM $LPID
gone () { ! pgrep -f "$T/term.zpl" > /dev/null; }
if wait_for 5 gone; then pass "SIGTERM: every process gone within 5 s"
else fail "SIGTERM: left: $(pgrep -af "$T/term.zpl")"; fi
wait $LPID; rc=$?
[ $rc -eq 1 ] && pass "SIGTERM: launch exit 1 (interrupted)" || fail "SIGTERM: launch exit $rc"
[ -s "$T/term-run/summary.json" ] && [ -s "$T/term-run/positions.csv" ] \
    && pass "SIGTERM: summary.json and positions.csv written" || fail "SIGTERM: files missing"

[ $FAILS -eq 0 ] && echo "launch.sh: all passed" || echo "launch.sh: $FAILS failed"
exit $((FAILS > 0))
