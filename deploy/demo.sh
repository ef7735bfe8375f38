#!/usr/bin/env bash
# The main job on a fresh Debian/Ubuntu machine: install what is missing,
# build, then run the demo fleet (deploy/fleets/demo.zpl, 50 agents) with
# live progress in two acts: the default two-Gaussian target until the
# swarm has converged, then `swarmshape target` switches the running fleet
# to a picture (deploy/targets/s.pgm, the letter S: dark = dense) and the
# run goes on. It prints the summary and where the run's files are, and
# draws the run's pictures (swarmshape plot: the target in force, the
# swarm, the switch on the convergence curve) and prints their paths.
#
#   ./deploy/demo.sh              encrypted fleet: coordinator + 50 agentd over CURVE
#   ./deploy/demo.sh --sim        the same fleet in one process (swarmshape sim); the
#                                 second act is a second sim from the first one's
#                                 final positions, in DIR/picture
#   OUT=DIR ./deploy/demo.sh      where the run's files go (default runs/demo-DATE)
#   HTTP=HOST:PORT ./deploy/demo.sh   where the coordinator's live page and
#                                 /metrics are served (default 127.0.0.1:7098; empty: off)
#   PICTURE=FILE ./deploy/demo.sh the second act's picture (PGM or PNG)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=launch
[ "${1:-}" = "--sim" ] && mode=sim

./deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

ss=./build/cli/swarmshape
out=${OUT:-runs/demo-$(date +%Y%m%d-%H%M%S)}
fleet=deploy/fleets/demo.zpl
picture=${PICTURE:-deploy/targets/s.pgm}
[ "$mode" = launch ] && { [ -x build/agentd/agentd ] && [ -x build/coordinator/coordinator ] \
    || mode=sim; }

# converged TRACE PID: wait (at most 10 minutes) until the run of PID has
# converged on its first target: J fell by less than 5% over the last 100
# rounds, or half the fleet's rounds are done. Prints "ROUND J"; fails if
# the run ended first.
converged() {
    python3 - "$1" "$2" "$(sed -n 's/^ *rounds *= *\([0-9]*\).*/\1/p' "$fleet" | head -1)" <<'PY'
import json, os, sys, time
path, pid, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3] or 1000)
until = time.time() + 600
while time.time() < until:
    rows = []
    try:
        for line in open(path):
            try:
                rows.append(json.loads(line))
            except ValueError:
                pass                    # a line being written
    except OSError:
        pass
    if rows:
        last = rows[-1]
        before = [r for r in rows if r['round'] <= last['round'] - 100]
        if last['round'] >= rounds // 2 or (before and last['J'] > 0.95 * before[-1]['J']):
            print(last['round'], '%.4f' % last['J'])
            sys.exit(0)
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    time.sleep(0.5)
sys.exit(1)
PY
}

if [ "$mode" = launch ]; then
    echo "demo: 50 agents, one agentd process each, CURVE-encrypted ZeroMQ on loopback"
    echo "demo: act 1, the default target; act 2, the picture $picture"
    http=${HTTP-127.0.0.1:7098}
    [ -n "$http" ] && echo "demo: live page http://$http/ (and /metrics) while the run goes"
    $ss launch "$fleet" --out "$out" --set "coordinator/http=$http" &
    lpid=$!
    trap 'kill -TERM $lpid 2>/dev/null || true; wait $lpid 2>/dev/null || true' INT TERM
    if at=$(converged "$out/trace.jsonl" $lpid); then
        echo
        echo "demo: act 1 converged (round ${at% *}, J ${at#* }): switching to $picture"
        $ss target "$fleet" "$picture" | sed 's/^/demo: /' || echo "demo: no second act"
    else
        echo "demo: the run ended before it converged: no second act"
    fi
    wait $lpid
    trap - INT TERM
    runs=("$out")
else
    echo "demo: 50 agents simulated in one process"
    echo "demo: act 1, the default target, in $out"
    $ss sim "$fleet" --out "$out"
    echo "demo: act 2, the picture $picture, from act 1's final positions, in $out/picture"
    $ss sim "$fleet" --out "$out/picture" --set rounds=500 \
        --set "target/image=$(cd "$(dirname "$picture")" && pwd)/$(basename "$picture")" \
        --set agents/init=file --set "agents/file=$(cd "$out" && pwd)/positions.csv"
    runs=("$out" "$out/picture")
fi
echo
echo "summary ($out/summary.json):"
python3 - "$out" "${runs[@]}" <<'PY'
import json, sys
for run in sys.argv[2:]:
    s = json.load(open(run + '/summary.json'))
    rows = [json.loads(l) for l in open(run + '/trace.jsonl')]
    print(f"  {run}: mode {s['mode']}, {s['agents']} agents, {s['rounds']} rounds in "
          f"{s['seconds']:.1f} s ({s['rounds_per_second']:.0f} rounds/s)")
    switched = [r for r in rows if r.get('target', 0) > 0]
    if switched:
        first = [r for r in rows if r.get('target', 0) == 0][-1]
        print(f"  act 1, J (KL to the default target): {rows[0]['J']:.4f} -> "
              f"{first['J']:.4f} at round {first['round']}")
        print(f"  act 2, J (KL to the picture): {switched[0]['J']:.4f} at round "
              f"{switched[0]['round']} -> {rows[-1]['J']:.4f} at round {rows[-1]['round']}")
    else:
        print(f"  J (KL to the target): {s['J0']:.4f} -> {s['J']:.4f}")
    print(f"  largest hypergradient component: {s['grad0']:.3g} -> {s['grad']:.3g}")
PY
for run in "${runs[@]}"; do
    echo "run's files: $run/ (initial.csv positions.csv trace.jsonl summary.json)"
    plot=("$ss" plot "$run")
    [ -e "$run/fleet.zpl" ] || plot+=(--fleet "$fleet")
    [ -e "$run/frames.csv" ] && plot+=(--frames)
    echo
    echo "pictures (${plot[*]#./build/cli/}):"
    "${plot[@]}" | sed 's/^/  /'
done
