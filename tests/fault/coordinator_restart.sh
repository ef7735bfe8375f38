#!/usr/bin/env bash
#   coordinator_restart.sh BUILD_DIR: the coordinator is killed (-9) mid-run
#   and restarted by hand with the same --out 2 s later. The agents never
#   notice: the run completes, trace.jsonl has rows before and after the gap
#   (rounds strictly increasing, no duplicates), summary.json counts the
#   report rounds of the gap in missed_reports, and the final positions
#   equal an undisturbed `swarmshape sim` to 1e-9. The agents' links to the
#   coordinator queue their reports while it is away (send HWM 1000, not
#   ZMQ_IMMEDIATE), so the gap is what was in flight when it died: none to
#   a few report rounds, logged and counted either way.
#   (rounds = 4000, not 600: 10 agents run ~500 rounds/s, and the fleet must
#   outlive the coordinator's 2 s absence.) Every wait is bounded; every
#   process started here is killed by pid on exit.
. "$(dirname "$0")/procs.bash" "${1:?usage: coordinator_restart.sh BUILD_DIR}" corestart
N=10
ROUNDS=4000
EVERY=10
fleet_file corestart <<'ZPL'
    faults                      # no deadline may fire under a loaded
        round_timeout_ms = 600000   # (sanitizer) build: this run is
        lost_after_ms = 1200000     # compared with sim to round-off
ZPL
timeout 120 "$SS" sim "$T/f.zpl" --out "$T/sim" --quiet || fail "sim"

OUT=$T/run
#   Started without `timeout` so that the pids are the programs' own
"$COORD" --fleet "$T/f.zpl" --out "$OUT" 2> "$T/coord1.err" &
C1=$!; PIDS+=($C1)
APIDS=()
for i in $(seq 0 $((N - 1))); do
    "$AGENTD" --fleet "$T/f.zpl" --id "$i" 2> "$T/agent-$i.log" &
    APIDS+=($!); PIDS+=($!)
done

last_round () { tail -n 1 "$OUT/trace.jsonl" 2>/dev/null | sed -n 's/^{"round":\([0-9]*\),.*}$/\1/p'; }
past_150 () { local r; r=$(last_round); [ -n "$r" ] && [ "$r" -ge 150 ]; }
if wait_for 60 past_150; then
    kill -KILL $C1
    wait $C1 2>/dev/null
    R=$(last_round)
    pass "coordinator killed (-9) after traced round $R"
else
    fail "no trace row past round 150 within 60 s"; R=""
fi
sleep 2
alive=0
for pid in "${APIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
[ $alive -eq $N ] && pass "all $N agents still running without the coordinator" \
    || fail "only $alive of $N agents running 2 s after the coordinator died"

"$COORD" --fleet "$T/f.zpl" --out "$OUT" 2> "$T/coord2.err" &
C2=$!; PIDS+=($C2)
finish $C2 120; rc=$?
[ $rc -eq 0 ] && pass "restarted coordinator: exit 0" || { fail "restarted coordinator: exit $rc"; tail -5 "$T/coord2.err"; }
arc=0
for pid in "${APIDS[@]}"; do finish "$pid" 60 || arc=$?; done
[ $arc -eq 0 ] && pass "every agent exited 0" || fail "an agent exited $arc"
grep "resum" "$T/coord2.err" | sed 's/^/    /'
grep -Eq "resumed run: last traced round $R, missed (rounds|none)" "$T/coord2.err" \
    && pass "restart logged its gap (or none)" || fail "no 'resumed run: last traced round $R, missed ...' line"

python3 - "$OUT" "$T/sim" "${R:--1}" "$ROUNDS" "$EVERY" "$N" <<'PY' || FAILS=$((FAILS + 1))
import json, sys
out, sim, R, rounds, every, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), *map(int, sys.argv[4:])
bad = 0
def check(ok, what):
    global bad
    print(('ok: ' if ok else 'FAIL: ') + what)
    bad += not ok
rows = [json.loads(l) for l in open(out + '/trace.jsonl')]
rs = [r['round'] for r in rows]
check(all(a < b for a, b in zip(rs, rs[1:])), 'trace rounds strictly increasing, no duplicates (%d rows)' % len(rs))
check(any(r <= R for r in rs) and any(r > R for r in rs), 'rows before and after the restart (last before %d)' % R)
after = [r for r in rs if r > R]
S = after[0] if after else None
gap = (S - R) // every - 1 if S is not None else -1
expected = set(range(0, rounds + 1, every)) | {rounds}
never = len(expected - set(rs))
summary = json.load(open(out + '/summary.json'))
print('    first row after restart: %s, gap %d report rounds, never traced %d, missed_reports %d'
      % (S, gap, never, summary['missed_reports']))
check(summary['missed_reports'] == gap == never, 'missed_reports equals the gap')
check(summary['rounds'] == rounds and rs[-1] == rounds, 'trace and summary reach round %d' % rounds)
check(summary['agents'] == n and summary['lost'] == [], 'summary: %d agents, none lost' % n)
short = [(r['round'], r['agents']) for r in rows if r['agents'] != n]
check(not short, 'every row has all %d agents%s' % (n, '' if not short else
      ' (rows short: %s%s; summary late_reports %s, drops %s)' % (short[:8], ' ...' if len(short) > 8 else '',
                                                         summary.get('late_reports'), summary.get('drops'))))
def pos(p):
    return [list(map(float, l.split(',')[1:])) for l in open(p).read().split('\n')[1:] if l]
pa, pb = pos(out + '/positions.csv'), pos(sim + '/positions.csv')
dx = max(abs(x - y) for ra, rb in zip(pa, pb) for x, y in zip(ra, rb))
check(len(pa) == len(pb) == n and dx <= 1e-9, 'positions equal sim (max diff %.3g)' % dx)
ts = {r['round']: r['J'] for r in (json.loads(l) for l in open(sim + '/trace.jsonl'))}
dj = max(abs(r['J'] - ts[r['round']]) for r in rows)
check(dj <= 1e-9, 'J of every row equals sim (max diff %.3g)' % dj)
sys.exit(bad)
PY

#   rounds/s (table.bash: trace_pace) of the trace before the kill and after
#   the restart (each coordinator's own clock)
. "$(dirname "$0")/table.bash"
S=$(python3 -c 'import json,sys; print(next((json.loads(l)["round"] for l in open(sys.argv[1]) if json.loads(l)["round"] > int(sys.argv[2])), ""))' \
    "$OUT/trace.jsonl" "${R:--1}" 2> /dev/null)
echo "    rounds/s: before the kill $(trace_pace "$OUT/trace.jsonl" "" "${R:-0}"), after the restart $( [ -n "$S" ] && trace_pace "$OUT/trace.jsonl" "$S" || echo -)"

#   On a failure, what the coordinators said of rows short or late
if [ $FAILS -gt 0 ]; then
    grep -hE "dropped|late report|no row for|not complete|agents reported" "$T/coord1.err" \
        "$T/coord2.err" 2> /dev/null | head -12 | sed 's/^/    said: /'
    grep -hE "coordinator|warn|error" "$T"/agent-*.log 2> /dev/null | head -12 | sed 's/^/    agent said: /'
fi
[ $FAILS -eq 0 ] && echo "coordinator_restart.sh: all passed" || echo "coordinator_restart.sh: $FAILS failed"
exit $((FAILS > 0))
