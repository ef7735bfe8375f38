#!/usr/bin/env bash
#   live.sh BUILD_DIR: the coordinator's live page and metrics during a
#   launched run (16 agents on the loopback, coordinator/http on, rounds = 0:
#   until stopped), and `swarmshape status`:
#   a. the coordinator says where it serves, read-only, loopback only; a
#      POST is refused (405);
#   b. /metrics, fetched with curl, passes `promtool check metrics` and has
#      every family the live page promises, one swarmshape_agent_lag per agent;
#   c. a real Prometheus server (loopback, free port, its own data dir,
#      scrape interval 1 s) records swarmshape_round increasing (its HTTP
#      API: at least 3 samples, never decreasing, the last above the first)
#      and the target up;
#   d. /state.json parses and holds every agent (positions of the last
#      row, members), the trace in order, the target grid;
#   e. the live page in headless Chromium (tests/integration/live_page.py,
#      over chromedriver): no console errors, its canvases drawn (not
#      blank screenshots), the round shown advances;
#   f. `swarmshape status` lists every agent live, `--json` parses with
#      every agent;
#   g. the coordinator's progress: the periodic lines when stderr is not a
#      terminal, the live line (redrawn in place, messages above it) on one.
#   Parts b/c and e SKIP (said, not silent) when prometheus or
#   chromium/chromedriver are not installed (deploy/install-deps.sh @live).
#   Every wait is bounded; every process started here is killed by pid.
set -u
. "$(dirname "$0")/../ports.bash"
B=$(cd "${1:?usage: live.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SS=$B/cli/swarmshape
T=$(mktemp -d /tmp/ss-live.XXXXXX)
FAILS=0
PIDS=()
N=16

cleanup () {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    sleep 0.5
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    for pid in $(pgrep -f "$T/"); do kill -KILL "$pid" 2>/dev/null; done
    if [ -n "${KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT

fail () { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass () { echo "ok: $*"; }

wait_for () {
    local until=$((SECONDS + $1)); shift
    until "$@"; do
        [ $SECONDS -ge $until ] && return 1
        sleep 0.2
    done
}

command -v curl > /dev/null || { echo "SKIP: curl not installed (deploy/install-deps.sh @live)"; exit 0; }
port=$(free_ports 100) || { echo "FAIL: no free ports"; exit 1; }
HTTP=$((port + 90)); PROM=$((port + 91)); DRIVER=$((port + 92))
URL=http://127.0.0.1:$HTTP
cat > "$T/live.zpl" <<ZPL
fleet
    name = live
    rounds = 0
    graph
        kind = ring
        degree = 4
    agents
        count = $N
        base_port = $((port + 1))
    coordinator
        endpoint = tcp://127.0.0.1:$port
        report_every = 10
        http = 127.0.0.1:$HTTP
    security
        keys = keys
ZPL

timeout 170 "$SS" launch "$T/live.zpl" --out "$T/run" 2> "$T/launch.err" &
LPID=$!; PIDS+=($LPID)
serving () { curl -sf -o /dev/null "$URL/metrics" && [ -s "$T/run/trace.jsonl" ] \
             && [ "$(wc -l < "$T/run/trace.jsonl")" -ge 3 ]; }
if ! wait_for 60 serving; then
    fail "no live page at $URL within 60 s"; tail -5 "$T/launch.err"; exit 1
fi

#   --- a. where, read-only ----------------------------------------------------
grep -q "coordinator: live page $URL/, /metrics and /state.json: read-only, loopback only" \
    "$T/launch.err" && pass "the coordinator says where it serves, read-only, loopback" \
    || fail "start line: $(grep 'live page' "$T/launch.err")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data stop "$URL/metrics")
[ "$code" = 405 ] && pass "POST /metrics: 405" || fail "POST /metrics: $code"

#   --- b. /metrics and promtool -----------------------------------------------
curl -sf "$URL/metrics" > "$T/metrics.txt" || fail "curl /metrics"
if command -v promtool > /dev/null; then
    if promtool check metrics < "$T/metrics.txt" > "$T/promtool.out" 2>&1; then
        pass "promtool check metrics: no problem ($(wc -l < "$T/metrics.txt") lines)"
    else
        fail "promtool check metrics: $(head -5 "$T/promtool.out")"
    fi
else
    echo "SKIP: promtool not installed (Debian package prometheus): /metrics not linted"
fi
missing=""
for family in swarmshape_round swarmshape_J swarmshape_kl swarmshape_disagreement \
              swarmshape_bias swarmshape_agents_live swarmshape_agents_lost \
              swarmshape_dropped_total swarmshape_agent_lag swarmshape_rounds_per_second \
              swarmshape_late_reports_total swarmshape_missed_reports_total; do
    grep -q "^# TYPE $family " "$T/metrics.txt" || missing+=" $family"
done
[ -z "$missing" ] && pass "/metrics has every family" || fail "/metrics lacks:$missing"
lags=$(grep -c '^swarmshape_agent_lag{agent="[0-9]*"} [0-9]*$' "$T/metrics.txt")
[ "$lags" -eq $N ] && pass "one swarmshape_agent_lag per agent ($lags)" \
    || fail "swarmshape_agent_lag lines: $lags, want $N"
grep -q '^swarmshape_dropped_total{reason="undecodable frame"} 0$' "$T/metrics.txt" \
    && pass "drops by reason" || fail "no swarmshape_dropped_total{reason=...}"

#   --- c. a real Prometheus scraping it ---------------------------------------
if command -v prometheus > /dev/null; then
    cat > "$T/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: swarmshape
    static_configs:
      - targets: ['127.0.0.1:$HTTP']
YML
    prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
               --web.listen-address=127.0.0.1:$PROM > "$T/prometheus.log" 2>&1 &
    PIDS+=($!)
    ready () { curl -sf -o /dev/null "http://127.0.0.1:$PROM/-/ready"; }
    recorded () {
        curl -sf "http://127.0.0.1:$PROM/api/v1/query" \
             --data-urlencode 'query=swarmshape_round[60s]' > "$T/prom-round.json" \
        && curl -sf "http://127.0.0.1:$PROM/api/v1/query" \
             --data-urlencode 'query=up{job="swarmshape"}' > "$T/prom-up.json" \
        && python3 - "$T/prom-round.json" "$T/prom-up.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))['data']['result']
up = json.load(open(sys.argv[2]))['data']['result']
values = [float(v) for _, v in rows[0]['values']] if rows else []
ok = (len(values) >= 3 and all(b >= a for a, b in zip(values, values[1:]))
      and values[-1] > values[0] and up and up[0]['value'][1] == '1')
if ok:
    print('%d samples, swarmshape_round %d -> %d' % (len(values), values[0], values[-1]))
sys.exit(0 if ok else 1)
PY
    }
    if ! wait_for 30 ready; then
        fail "prometheus not ready within 30 s: $(tail -3 "$T/prometheus.log")"
    elif wait_for 40 recorded > "$T/prom.out"; then
        pass "prometheus (scrape 1 s) records swarmshape_round increasing: $(tail -1 "$T/prom.out")"
    else
        fail "prometheus: swarmshape_round not increasing: $(head -c 400 "$T/prom-round.json")"
    fi
else
    echo "SKIP: prometheus not installed (Debian package prometheus): no scrape test"
fi

#   --- d. /state.json ---------------------------------------------------------
curl -sf "$URL/state.json" > "$T/state.json" || fail "curl /state.json"
python3 - "$T/state.json" $N <<'PY' && pass "/state.json: every agent, the trace, the grid" \
    || fail "/state.json"
import json, sys
s = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
assert s['fleet'] == 'live' and s['agents'] == n and s['dim'] == 2, s['fleet']
assert s['box'] == [0, 1] or s['box'] == [0.0, 1.0], s['box']
pos = s['positions']
assert sorted(pos['ids']) == list(range(n)), pos['ids']
assert len(pos['x']) == n and all(len(x) == 2 and all(0 <= c <= 1 for c in x) for x in pos['x'])
assert pos['round'] == s['round'] >= 20, (pos['round'], s['round'])
assert sorted(m['id'] for m in s['members']) == list(range(n))
assert all(m['live'] for m in s['members']) and s['live'] == n and s['lost'] == []
t = s['trace']
assert len(t['round']) >= 3 and t['round'] == sorted(t['round']) and t['round'][0] == 0
assert t['round'][-1] == s['round'] and len(t['J']) == len(t['round'])
g = s['grid']
assert g['dim'] == 2 and len(g['values']) == g['nq'] ** 2 and max(g['values']) > 0
assert s['rounds_per_second'] > 0, s['rounds_per_second']
print('round %d, %d agents, %d trace points, %.0f rounds/s'
      % (s['round'], n, len(t['round']), s['rounds_per_second']))
PY

#   --- e. the live page in headless Chromium ----------------------------------
if [ -x /usr/bin/chromium ] && command -v chromedriver > /dev/null; then
    chromedriver --port=$DRIVER > "$T/chromedriver.log" 2>&1 &
    PIDS+=($!)
    driver_up () { curl -sf "http://127.0.0.1:$DRIVER/status" | grep -q '"ready":true'; }
    if ! wait_for 20 driver_up; then
        fail "chromedriver not ready: $(tail -3 "$T/chromedriver.log")"
    else
        mkdir -p "$T/shots"
        timeout 90 python3 "$HERE/live_page.py" "$URL/" "http://127.0.0.1:$DRIVER" \
            "$T/chrome-profile" "$T/shots" > "$T/page.out" 2>&1
        cat "$T/page.out"
        FAILS=$((FAILS + $(grep -c '^FAIL' "$T/page.out")))
        grep -q '^ok: no console errors' "$T/page.out" \
            || fail "live_page.py did not finish: $(tail -3 "$T/page.out")"
    fi
else
    echo "SKIP: chromium or chromedriver not installed (Debian packages chromium," \
         "chromium-driver): no browser test"
fi

#   --- f. swarmshape status ---------------------------------------------------
timeout 20 "$SS" status "$T/live.zpl" > "$T/status.out" 2> "$T/status.err"; rc=$?
listed=$(grep -cE '^ *[0-9]+ +live +[0-9]+ ' "$T/status.out")
[ $rc -eq 0 ] && grep -q "^round [0-9]* *J " "$T/status.out" && [ "$listed" -eq $N ] \
    && pass "status lists all $N agents live" \
    || fail "status: rc $rc, $listed agents listed: $(head -3 "$T/status.out") $(cat "$T/status.err")"
timeout 20 "$SS" status "$T/live.zpl" --json > "$T/status.json"; rc=$?
python3 - "$T/status.json" $N <<'PY' && [ $rc -eq 0 ] && pass "status --json parses, every agent" \
    || fail "status --json (rc $rc): $(head -c 300 "$T/status.json")"
import json, sys
s = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
assert s['fleet_agents'] == n and s['round'] >= 0
assert sorted(m['id'] for m in s['members']) == list(range(n))
assert all(m['live'] and m['round'] >= 0 for m in s['members'])
PY

#   --- the end: SIGTERM to launch, everything gone ----------------------------
kill -TERM $LPID
gone () { ! kill -0 $LPID 2>/dev/null && ! pgrep -f "$T/live.zpl" > /dev/null; }
wait_for 15 gone && pass "launch and its processes gone after SIGTERM" \
    || fail "left after SIGTERM: $(pgrep -af "$T/live.zpl" | head -3)"

#   --- g. the coordinator's progress: periodic lines when stderr is not a
#   terminal (launch's, above), one line kept in place on a terminal
#   (under script(1): a pty), with its messages printed above that line
grep -q '^coordinator: round 0  J [0-9.]*  kl [0-9.]*  disagreement ' "$T/launch.err" \
    && pass "not a terminal: the periodic 'coordinator: round' lines" \
    || fail "no periodic progress line in launch's stderr"
if command -v script > /dev/null; then
    timeout 30 script -qfec "$B/coordinator/coordinator --fleet $T/live.zpl --out $T/tty \
        --fresh --set coordinator/http=" "$T/tty.log" > /dev/null 2>&1 &
    PIDS+=($!)
    coord_up () { grep -q "listening on" "$T/tty.log" 2>/dev/null; }
    wait_for 15 coord_up || fail "the coordinator on a terminal did not start"
    for pid in $(pgrep -f "$T/tty"); do
        [ "$(cat /proc/$pid/comm 2>/dev/null)" = coordinator ] && kill -TERM "$pid"
    done
    tty_done () { grep -q "coordinator: done" "$T/tty.log" 2>/dev/null; }
    wait_for 15 tty_done || fail "the coordinator on a terminal did not finish"
    if grep -q $'\r\033\[Kcoordinator: round 0  J [0-9.]*  disagreement [0-9.e+-]*  agents ' \
           "$T/tty.log" \
    && grep -q $'\r\033\[Kcoordinator: fleet live, 16 agents, listening' "$T/tty.log"; then
        pass "on a terminal: the live line, messages above it"
    else
        fail "terminal output: $(head -c 400 "$T/tty.log" | cat -v)"
    fi
else
    echo "SKIP: no script(1) (bsdutils): the live line on a terminal not checked"
fi

[ $FAILS -eq 0 ] && echo "live.sh: all passed" || echo "live.sh: $FAILS failed"
exit $((FAILS > 0))
