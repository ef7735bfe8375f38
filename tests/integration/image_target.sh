#!/usr/bin/env bash
#   image_target.sh BUILD_DIR: a launched fleet (16 agents, CURVE) switched
#   to the shipped picture by `swarmshape target FLEET deploy/targets/s.pgm`
#   while it runs: the coordinator announces round R and reports "target 1:
#   16/16 agents switched at round R"; every agent's log says the grid (0
#   components, a grid) is in force from round R; targets.txt holds R and
#   the 1024 levels of the picture; the trace counts the switch from round
#   R + 1 and J falls after it; swarmshape plot draws the run. And the
#   refusals: a picture for a 3-D fleet and a white picture get one line,
#   exit 2, nothing sent. Every wait is bounded; leftovers are killed.
source "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/../ports.bash"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SS=$SWARMSHAPE
PICTURE=$SRC/deploy/targets/s.pgm
T=$TMP
LPID=
leftovers () {
    [ -n "$LPID" ] && kill -TERM "$LPID" 2>/dev/null
    for pid in $(pgrep -f "$T/"); do kill -KILL "$pid" 2>/dev/null; done
}
cleanup_hooks+=(leftovers)

PORT=$(free_ports 100) || { echo "FAIL: no free ports"; exit 1; }
cat > "$T/fleet.zpl" <<ZPL
fleet
    name = image
    rounds = 700
    faults                      # no deadline may fire under a loaded
        round_timeout_ms = 600000   # (sanitizer) build
        lost_after_ms = 1200000
    graph
        kind = ring
        degree = 4
    agents
        count = 16
        base_port = $((PORT + 1))
    coordinator
        endpoint = tcp://127.0.0.1:$PORT
        report_every = 10
ZPL

#   --- refusals: before anything is sent ------------------------------------
timeout 10 "$SS" target "$T/fleet.zpl" "$PICTURE" --set model/dim=3 --set model/nq=12 \
    > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$T/err")" -eq 1 ] \
    && grep -q "s.pgm: an image target needs model/dim = 2, got 3" "$T/err" \
    && pass "3-D fleet: $(cat "$T/err")" || fail "3-D fleet: rc $rc: $(cat "$T/err")"
printf 'P2 2 2 255 255 255 255 255\n' > "$T/white.pgm"
timeout 10 "$SS" target "$T/fleet.zpl" "$T/white.pgm" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$T/err")" -eq 1 ] && grep -q "white everywhere" "$T/err" \
    && pass "white picture: $(cat "$T/err")" || fail "white picture: rc $rc: $(cat "$T/err")"

#   --- the switch -----------------------------------------------------------
timeout 300 "$SS" launch "$T/fleet.zpl" --out "$T/run" 2> "$T/launch.err" &
LPID=$!
has_rounds () { [ -s "$T/run/trace.jsonl" ] && [ "$(wc -l < "$T/run/trace.jsonl")" -ge 5 ]; }
wait_for 120 has_rounds || fail "no reports within 120 s: $(tail -3 "$T/launch.err")"
timeout 10 "$SS" target "$T/fleet.zpl" "$PICTURE" > "$T/target.out" 2> "$T/target.err"; rc=$?
R=$(sed -n 's/^target switches at round \([0-9]*\)$/\1/p' "$T/target.out")
timeout 280 tail --pid="$LPID" -f /dev/null; wait "$LPID"; lrc=$?; LPID=
if [ $rc -ne 0 ] || [ -z "$R" ]; then
    fail "target: rc $rc: $(cat "$T/target.out" "$T/target.err")"
else
    pass "target switches at round $R"
    [ $lrc -eq 0 ] || fail "launch exit $lrc: $(tail -5 "$T/launch.err")"
    grep -q "target 1: 16/16 agents switched at round $R " "$T/launch.err" \
        && pass "the coordinator: 16/16 agents switched at round $R" \
        || fail "the coordinator's switch line: $(grep 'target 1:' "$T/launch.err")"
    applied=0
    for ((i = 0; i < 16; i++)); do
        grep -q "new target (0 components, a grid) in force from round $R\b" \
            "$T/run/logs/agent-$i.log" && applied=$((applied + 1)) \
            || echo "  agent $i: $(grep 'new target' "$T/run/logs/agent-$i.log")"
    done
    [ $applied -eq 16 ] && pass "every agent's log: the grid in force from round $R" \
        || fail "$applied/16 agents logged the grid in force from round $R"
    python3 - "$T/run" "$R" "$PICTURE" <<'PY' && pass "targets.txt and the trace" || fail "targets.txt or the trace"
import json, sys
run, R, picture = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fields = open(run + '/targets.txt').read().split()
assert fields[:3] == [str(R), '0', '1024'] and len(fields) == 4, fields[:3]
levels = bytes.fromhex(fields[3])
# The picture's levels: 255 - the mean of each 2 x 2 block of the 64 x 64
# PGM (a whole-pixel area average), rows from the top, y up on the grid
words = [w for l in open(picture) for w in l.split('#')[0].split()]
assert words[:4] == ['P2', '64', '64', '255'], words[:4]
px = list(map(int, words[4:]))
want = bytearray(1024)
for j in range(32):
    for i in range(32):
        r = 2 * (31 - j)
        s = px[64 * r + 2 * i] + px[64 * r + 2 * i + 1] + px[64 * (r + 1) + 2 * i] \
            + px[64 * (r + 1) + 2 * i + 1]
        want[32 * j + i] = int(255 - s / 4 + 0.5)
bad = sum(abs(a - b) > 1 for a, b in zip(levels, want))
assert bad == 0, f'{bad} levels differ from the picture'
rows = [json.loads(l) for l in open(run + '/trace.jsonl')]
assert all(r['target'] == (1 if r['round'] > R else 0) for r in rows), 'target column'
after = [r for r in rows if r['round'] > R]
print('  J at round %d: %.4f, at round %d: %.4f' % (after[0]['round'], after[0]['J'],
                                                  after[-1]['round'], after[-1]['J']))
assert after[-1]['J'] < 0.8 * after[0]['J']
PY
    timeout 120 "$SS" plot "$T/run" > "$T/plot.out" 2>&1 \
        && head -c 8 "$T/run/density.png" | od -An -tx1 | grep -q "89 50 4e 47 0d 0a 1a 0a" \
        && pass "plot: $(tr '\n' ' ' < "$T/plot.out")" || fail "plot: $(cat "$T/plot.out")"
fi

finish
