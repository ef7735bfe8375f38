#!/usr/bin/env bash
#   intruder.sh BUILD_DIR: while a CURVE fleet runs, a client with a fresh
#   key (not in the key directory) connects to the coordinator's and an
#   agent's ROUTER and sends frames. Its handshakes must be refused
#   (HANDSHAKE_FAILED_AUTH seen on the client socket) and the fleet's result
#   must still equal sim's to 1e-9.
set -u
B=$(cd "${1:?usage: intruder.sh BUILD_DIR}" && pwd)
SS=$B/cli/swarmshape
INTRUDER=$B/tests/intruder
T=$(mktemp -d /tmp/ss-intruder.XXXXXX)
FAILS=0
LPID=
cleanup () {
    [ -n "$LPID" ] && kill -TERM "$LPID" 2>/dev/null
    for pid in $(pgrep -f "$T/"); do kill -KILL "$pid" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
fail () { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass () { echo "ok: $*"; }

. "$(dirname "$0")/../ports.bash"
PORT=$(free_ports 100) || { echo "FAIL: no free ports"; exit 1; }
cat > "$T/fleet.zpl" <<ZPL
fleet
    faults                      # no deadline may fire under a loaded
        round_timeout_ms = 600000   # (sanitizer) build: this run is
        lost_after_ms = 1200000     # compared with sim to round-off
    name = intruded
    rounds = 1000
    graph
        kind = ring
        degree = 4
    agents
        count = 20
        base_port = $((PORT + 1))
    coordinator
        endpoint = tcp://127.0.0.1:$PORT
        report_every = 10
ZPL
timeout 60 "$SS" sim "$T/fleet.zpl" --out "$T/sim" --quiet || fail "sim"
timeout 30 "$SS" keygen "$T/fleet.zpl" > /dev/null || fail "keygen"
timeout 120 "$SS" launch "$T/fleet.zpl" --out "$T/run" --quiet 2> "$T/launch.err" &
LPID=$!
until=$((SECONDS + 60))
until [ -s "$T/run/trace.jsonl" ] || [ $SECONDS -ge $until ]; do sleep 0.1; done
[ -s "$T/run/trace.jsonl" ] || fail "the fleet never reported"

timeout 15 "$INTRUDER" "tcp://127.0.0.1:$PORT" "$T/keys/coordinator.key" 5 \
    && pass "coordinator refused a stranger" || fail "coordinator: intruder verdict $?"
timeout 15 "$INTRUDER" "tcp://127.0.0.1:$((PORT + 1))" "$T/keys/agent-0.key" 5 \
    && pass "agent 0 refused a stranger" || fail "agent 0: intruder verdict $?"

timeout 120 tail --pid=$LPID -f /dev/null
wait $LPID; rc=$?; LPID=
[ $rc -eq 0 ] || { fail "launch exit $rc"; tail -5 "$T/launch.err"; }
python3 - "$T/run" "$T/sim" <<'PY' && pass "result equals sim" || fail "result differs from sim"
import json, sys
a, b = sys.argv[1], sys.argv[2]
def rows(p):
    return [list(map(float, l.split(',')[1:])) for l in open(p).read().split('\n')[1:] if l]
pa, pb = rows(a + '/positions.csv'), rows(b + '/positions.csv')
assert len(pa) == len(pb) == 20
dx = max(abs(x - y) for ra, rb in zip(pa, pb) for x, y in zip(ra, rb))
ja = json.load(open(a + '/summary.json'))['J']
jb = json.load(open(b + '/summary.json'))['J']
print('positions %.3g, J %.3g' % (dx, abs(ja - jb)))
sys.exit(0 if dx <= 1e-9 and abs(ja - jb) <= 1e-9 else 1)
PY
[ $FAILS -eq 0 ] && echo "intruder.sh: all passed" || echo "intruder.sh: $FAILS failed"
exit $((FAILS > 0))
