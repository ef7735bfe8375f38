#!/usr/bin/env bash
#   fleet.sh BUILD_DIR [N...]: the fleet at scale, measured in one run
#   (issue 14). For each N [10 50 100 200 500 1000] one fleet file (a ring
#   of degree 4, the default model, ROUNDS [200] rounds, report every 10,
#   every other key at its default) is run by `swarmshape sim` and by
#   `swarmshape launch` (CURVE on, supervised), and a bare CURVE skeleton
#   of the same topology (bench_skeleton: a ROUTER and one DEALER per
#   neighbour per process, one message of the estimate's size per
#   neighbour per round in lockstep, no arithmetic) runs over tcp:// and
#   over ipc://. Prints one table:
#     sim r/s, launch r/s    rounds per second from the trace's first row
#                            after round 0 (round 10) to its last row
#                            (the start apart: "start s", launch's seconds
#                            until that row, and "wall s", its whole run)
#     launch/sim             their ratio
#     fleet us               agents' CPU (user + system, every thread) per
#                            agent-round from the row of round 10 to the
#                            first row at or past 3/4 of ROUNDS, each read
#                            from /proc as the row appeared (the exit's
#                            checkpoints, lingers and teardown are not in
#                            it; tests/fleetcheck.py measure; to the exit
#                            when an agent had finished by then); "start CPU"
#                            is that CPU per agent (start-up and 10 rounds)
#     fleet cs, skel ipc cs  context switches per agent-round (every thread)
#                            of the agents over the same rounds (/proc) and
#                            of the skeleton over ipc:// (getrusage): each
#                            wake-up of a thread is one
#     skel tcp/ipc us, r/s   the skeleton's CPU per agent-round and rounds/s
#     limit r/s              2 cores / (sim's CPU per round + N x skeleton
#                            ipc CPU per agent-round): both cores busy with
#                            the arithmetic (sim's, scoring included) and
#                            the bare messaging; launch/limit its ratio
#     Pss MiB, thr           median agent Pss and threads at the middle round
#     epoch, subst, lost     sums of the agents' counters (state files): 0
#     = sim                  yes when the launch equals sim: trace from round
#                            0 with every agent in every row, the true J0,
#                            J and positions equal (difference 0)
#   and the DISROPT-style baseline ratio (issue 14: 45 rounds/s at N = 50).
#   N = 1000 runs only within a budget of 15 minutes (BUDGET_1000 seconds).
#   Figures only: nothing is asserted. Run it on a quiet machine; the load
#   before and after is printed. KEEP=1 keeps the run directories.
#   SETS="faults/lost_after_ms=20000 ..." passes --set PATH=VALUE to sim and
#   launch (fault keys are not part of the fleet id).
set -u
B=$(cd "${1:?usage: fleet.sh BUILD_DIR [N...]}" && pwd); shift
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SS=$B/cli/swarmshape
SKEL=$B/tests/bench_skeleton
CHECK=$SRC/tests/fleetcheck.py
NS=("$@"); [ ${#NS[@]} -gt 0 ] || NS=(10 50 100 200 500 1000)
ROUNDS=${ROUNDS:-200}
SETARGS=()
for kv in ${SETS:-}; do SETARGS+=(--set "$kv"); done
SKEL_ROUNDS=${SKEL_ROUNDS:-300}
BUDGET_1000=${BUDGET_1000:-900}
BUDGET=${BUDGET:-1800}
for bin in "$SS" "$SKEL" "$B/agentd/agentd" "$B/coordinator/coordinator"; do
    [ -x "$bin" ] || { echo "fleet.sh: no $bin (build first)" >&2; exit 1; }
done
. "$SRC/tests/ports.bash"
T=$(mktemp -d /tmp/ss-bench-fleet.XXXXXX)
cleanup () {
    if [ -n "${KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT

load () { cut -d' ' -f1-3 /proc/loadavg; }
echo "fleet.sh: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1)," \
     "$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "command: tests/bench/fleet.sh $B ${NS[*]} (ROUNDS=$ROUNDS SKEL_ROUNDS=$SKEL_ROUNDS${SETS:+ SETS=\"$SETS\"})"
echo "nofile: soft $(ulimit -Sn), hard $(ulimit -Hn); load before: $(load)"

for n in "${NS[@]}"; do
    d=$T/n$n
    mkdir -p "$d"
    budget=$BUDGET
    [ "$n" -ge 1000 ] && budget=$BUDGET_1000
    #   fds: the coordinator holds one connection per agent, an agent ~40
    if [ $((n + 200)) -gt "$(ulimit -Hn)" ]; then
        echo "N=$n: skipped: nofile hard limit $(ulimit -Hn) below N + 200" > "$d/skip"
        continue
    fi
    port=$(free_ports $((n + 100))) || { echo "N=$n: no free ports" > "$d/skip"; continue; }
    cat > "$d/fleet.zpl" <<ZPL
fleet
    name = bench$n
    rounds = $ROUNDS
    graph
        kind = ring
        degree = 4
    agents
        count = $n
        base_port = $port
    coordinator
        endpoint = tcp://127.0.0.1:$((port + n))
        report_every = 10
    security
        keys = keys
ZPL
    started=$SECONDS
    timeout 120 "$SS" keygen "$d/fleet.zpl" > /dev/null 2> "$d/keygen.err" \
        || { echo "N=$n: keygen failed: $(tail -1 "$d/keygen.err")" > "$d/skip"; continue; }
    echo "N=$n: sim ..." >&2
    python3 "$CHECK" measure "$d/sim.json" "$d/sim/trace.jsonl" "$ROUNDS" "$budget" -- \
        "$SS" sim "$d/fleet.zpl" --out "$d/sim" --quiet "${SETARGS[@]}" 2> "$d/sim.err" \
        || { echo "N=$n: sim failed: $(tail -1 "$d/sim.err")" > "$d/skip"; continue; }
    left=$((budget - (SECONDS - started)))
    echo "N=$n: launch (at most ${left} s) ..." >&2
    if ! python3 "$CHECK" measure "$d/launch.json" "$d/launch/trace.jsonl" "$ROUNDS" "$left" -- \
            "$SS" launch "$d/fleet.zpl" --out "$d/launch" --quiet "${SETARGS[@]}" 2> "$d/launch.err"; then
        echo "N=$n: launch did not complete within $budget s (load $(load)): $(tail -1 "$d/launch.err")" > "$d/skip"
        continue
    fi
    python3 "$CHECK" compare "$d/launch" "$d/sim" "$n" > "$d/compare.json"
    k=$(sed -n 's/^features //p' "$d/launch/state/agent-0.state" 2>/dev/null)
    for tr in tcp ipc; do
        echo "N=$n: skeleton over $tr ..." >&2
        timeout 600 "$SKEL" "$n" "$SKEL_ROUNDS" "$tr" "k${k:-25}" "$port" 500 \
            > "$d/skel-$tr.out" 2> "$d/skel-$tr.err" \
            || echo "skeleton failed: $(tail -1 "$d/skel-$tr.err")" > "$d/skel-$tr.out"
    done
    echo "N=$n: done in $((SECONDS - started)) s, load $(load)" >&2
done

python3 - "$T" "$ROUNDS" "${NS[@]}" <<'PY'
import json, os, sys
T, rounds, ns = sys.argv[1], int(sys.argv[2]), [int(n) for n in sys.argv[3:]]

def rate(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    a, b = rows[1 if len(rows) > 2 else 0], rows[-1]
    return (b['round'] - a['round']) / (b['seconds'] - a['seconds'])

def skel(path):
    text = open(path).read().split()
    kv = dict(w.split('=', 1) for w in text if '=' in w)
    return (float(kv['cpu_us']), float(kv['rounds_per_second']), kv.get('size')) if 'cpu_us' in kv else (None, None, None)

def skel_cs(path):
    kv = dict(w.split('=', 1) for w in open(path).read().split() if '=' in w)
    return float(kv['cs']) if 'cs' in kv else None

head = ['N', 'sim r/s', 'launch r/s', 'launch/sim', 'fleet us', 'fleet cs', 'skel ipc cs',
        'skel tcp us', 'skel ipc us',
        'skel tcp r/s', 'skel ipc r/s', 'limit r/s', 'launch/limit', 'Pss MiB', 'thr',
        'epoch', 'subst', 'lost', 'wants/agent-round', '= sim', 'start s', 'wall s',
        'start CPU ms/agent']
print()
print('| ' + ' | '.join(head) + ' |')
print('|' + '---|' * len(head))
notes, at50, size = [], None, None
for n in ns:
    d = '%s/n%d' % (T, n)
    if os.path.exists(d + '/skip'):
        notes.append(open(d + '/skip').read().strip())
        continue
    sim, lau = json.load(open(d + '/sim.json')), json.load(open(d + '/launch.json'))
    cmp_ = json.load(open(d + '/compare.json'))
    srate, lrate = rate(d + '/sim/trace.jsonl'), rate(d + '/launch/trace.jsonl')
    first = lau['first_round'] or 0
    fleet_cs = None
    #   The late sample counts only with every agent still there (agents
    #   far ahead of the trace may have finished): else the whole run's
    if lau.get('agents_cpu_late') is not None \
            and lau.get('agents_late_seen') == lau.get('agents_seen'):
        fleet_us = 1e6 * (lau['agents_cpu_late'] - (lau['agents_cpu_first'] or 0)) \
            / (n * (lau['late_round'] - first))
        if lau.get('agents_cs_late') is not None and lau.get('agents_cs_first') is not None:
            fleet_cs = (lau['agents_cs_late'] - lau['agents_cs_first']) / (n * (lau['late_round'] - first))
    else:
        fleet_us = 1e6 * (lau['agents_cpu'] - (lau['agents_cpu_first'] or 0)) / (n * (rounds - first))
    tcp_us, tcp_r, size = skel(d + '/skel-tcp.out')
    ipc_us, ipc_r, _ = skel(d + '/skel-ipc.out')
    limit = None
    if ipc_us is not None:
        limit = 2 / (sim['tree_cpu'] / rounds + n * ipc_us * 1e-6)
    if n == 50:
        at50 = lrate
    same = 'yes' if cmp_['ok'] else 'NO (%s)' % ', '.join(
        '%s %s' % (k, cmp_[k]) for k in ('first_round', 'first_agents', 'min_agents', 'dJ', 'dx')
        if cmp_[k] not in (0, n))
    f = lambda v, fmt: '-' if v is None else fmt % v
    print('| ' + ' | '.join([
        str(n), '%.1f' % srate, '%.1f' % lrate, '%.2f' % (lrate / srate), '%.0f' % fleet_us,
        f(fleet_cs, '%.1f'), f(skel_cs(d + '/skel-ipc.out'), '%.1f'),
        f(tcp_us, '%.0f'), f(ipc_us, '%.0f'), f(tcp_r, '%.0f'), f(ipc_r, '%.0f'),
        f(limit, '%.1f'), f(limit and lrate / limit, '%.2f'),
        f(lau['pss_kib'] and lau['pss_kib'] / 1024, '%.2f'), f(lau['threads'], '%g'),
        str(cmp_['epoch_changes']), str(cmp_['substitutions']), str(cmp_['lost']),
        '%.2f' % (cmp_['wants'] / (n * rounds)), same, f(lau['first_seconds'], '%.1f'),
        '%.1f' % lau['wall'], f(lau['agents_cpu_first'] and 1e3 * lau['agents_cpu_first'] / n, '%.0f')]) + ' |')
    if not cmp_['ok']:
        notes.append('N=%d: launch differs from sim: %s' % (n, json.dumps(cmp_)))
print()
print('rounds: %d (skeleton: its own, after 10 of warm-up); message size %s bytes (an ESTIMATE)'
      % (rounds, size))
if at50 is not None:
    print('DISROPT-style baseline (issue 14: 45 rounds/s at N = 50): launch/45 = %.2f' % (at50 / 45))
for line in notes:
    print(line)
PY
echo "load after: $(load)"
