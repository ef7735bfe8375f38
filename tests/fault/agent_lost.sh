#!/usr/bin/env bash
#   agent_lost.sh BUILD_DIR: kill -9 of one agent mid-run, with the
#   coordinator running. The coordinator declares it lost (one log line);
#   once declared, every trace row has agents = N-1 and lost = [id]; no row
#   has fewer than N-1 agents; every report round has a row (nothing
#   reported is lost); summary.json has agents = N-1 and lost = [id].
#   Needs agentd's fault handling (bounded waits): without it the killed
#   agent's neighbours wait forever and this test times out.
#   Every wait is bounded; every process started here is killed by pid.
. "$(dirname "$0")/procs.bash" "${1:?usage: agent_lost.sh BUILD_DIR}" agentlost
N=10
ROUNDS=3000
EVERY=10
VICTIM=3
fleet_file agentlost <<'ZPL'
    faults
        heartbeat_ms = 100
        round_timeout_ms = 500
        lost_after_ms = 1500
ZPL

OUT=$T/run
"$COORD" --fleet "$T/f.zpl" --out "$OUT" 2> "$T/coord.err" &
C=$!; PIDS+=($C)
APIDS=()
for i in $(seq 0 $((N - 1))); do
    "$AGENTD" --fleet "$T/f.zpl" --id "$i" 2> "$T/agent-$i.log" &
    APIDS+=($!); PIDS+=($!)
done

last_round () { tail -n 1 "$OUT/trace.jsonl" 2>/dev/null | sed -n 's/^{"round":\([0-9]*\),.*}$/\1/p'; }
past_150 () { local r; r=$(last_round); [ -n "$r" ] && [ "$r" -ge 150 ]; }
if wait_for 60 past_150; then
    kill -KILL "${APIDS[$VICTIM]}"
    wait "${APIDS[$VICTIM]}" 2>/dev/null
    pass "agent $VICTIM killed (-9) after traced round $(last_round)"
else
    fail "no trace row past round 150 within 60 s"
fi

finish $C 240; rc=$?
[ $rc -eq 0 ] && pass "coordinator: exit 0" || { fail "coordinator: exit $rc"; tail -5 "$T/coord.err"; }
arc=0
for i in $(seq 0 $((N - 1))); do
    [ $i -eq $VICTIM ] && continue
    finish "${APIDS[$i]}" 60 || arc=$?
done
[ $arc -eq 0 ] && pass "every other agent exited 0" || fail "an agent exited $arc"
grep "agent $VICTIM lost" "$T/coord.err" | sed 's/^/    /'
[ "$(grep -c "agent $VICTIM lost" "$T/coord.err")" -eq 1 ] \
    && pass "the loss is logged once" || fail "'agent $VICTIM lost' not logged exactly once"

python3 - "$OUT" "$ROUNDS" "$EVERY" "$N" "$VICTIM" <<'PY' || FAILS=$((FAILS + 1))
import json, sys
out, rounds, every, n, victim = sys.argv[1], *map(int, sys.argv[2:])
bad = 0
def check(ok, what):
    global bad
    print(('ok: ' if ok else 'FAIL: ') + what)
    bad += not ok
rows = [json.loads(l) for l in open(out + '/trace.jsonl')]
rs = [r['round'] for r in rows]
check(all(a < b for a, b in zip(rs, rs[1:])), 'trace rounds strictly increasing (%d rows)' % len(rs))
expected = set(range(0, rounds + 1, every)) | {rounds}
check(expected <= set(rs), 'a row for every report round (%d missing)' % len(expected - set(rs)))
first_lost = next((i for i, r in enumerate(rows) if r['lost'] == [victim]), None)
check(first_lost is not None, 'rows with lost = [%d]' % victim)
if first_lost is not None:
    later = rows[first_lost:]
    print('    first row with lost = [%d]: round %d; %d rows after it'
          % (victim, rows[first_lost]['round'], len(later)))
    check(all(r['agents'] == n - 1 and r['lost'] == [victim] for r in later),
          'every later row: agents = %d, lost = [%d]' % (n - 1, victim))
short = [r for r in rows if r['agents'] < n - 1 or (first_lost is not None
         and r['round'] >= rows[first_lost]['round'] and r['agents'] != n - 1)]
for r in short[:5]:
    print('    short row: %s' % json.dumps(r))
check(all(r['agents'] >= n - 1 for r in rows), 'no row with fewer than %d agents' % (n - 1))
check(rows[-1]['round'] == rounds, 'the trace reaches round %d' % rounds)
s = json.load(open(out + '/summary.json'))
print('    summary: agents %d, lost %s, missed %d, late %d'
      % (s['agents'], s['lost'], s['missed_reports'], s.get('late_reports', -1)))
check(s['agents'] == n - 1 and s['lost'] == [victim], 'summary: agents = %d, lost = [%d]' % (n - 1, victim))
check(s['missed_reports'] == 0, 'summary: missed_reports = 0')
pos = [l.split(',') for l in open(out + '/positions.csv').read().split('\n')[1:] if l]
check([int(p[0]) for p in pos] == list(range(n)), 'positions.csv: one row per agent id, lost one included')
sys.exit(bad)
PY

[ $FAILS -eq 0 ] && echo "agent_lost.sh: all passed" || echo "agent_lost.sh: $FAILS failed"
exit $((FAILS > 0))
