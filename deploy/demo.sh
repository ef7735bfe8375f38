#!/usr/bin/env bash
# The main job on a fresh Debian/Ubuntu machine: install what is missing,
# build, then run the demo fleet (deploy/fleets/demo.zpl, 50 agents) with
# live progress, print the summary and where the run's files are, and draw
# the run's pictures (swarmshape plot) and print their paths.
#
#   ./deploy/demo.sh              encrypted fleet: coordinator + 50 agentd over CURVE
#   ./deploy/demo.sh --sim        the same fleet in one process (swarmshape sim)
#   OUT=DIR ./deploy/demo.sh      where the run's files go (default runs/demo-DATE)
#   HTTP=HOST:PORT ./deploy/demo.sh   where the coordinator's live page and
#                                 /metrics are served (default 127.0.0.1:7098; empty: off)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=launch
[ "${1:-}" = "--sim" ] && mode=sim

./deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

out=${OUT:-runs/demo-$(date +%Y%m%d-%H%M%S)}
fleet=deploy/fleets/demo.zpl
if [ "$mode" = launch ] && [ -x build/agentd/agentd ] && [ -x build/coordinator/coordinator ]; then
    echo "demo: 50 agents, one agentd process each, CURVE-encrypted ZeroMQ on loopback"
    http=${HTTP-127.0.0.1:7098}
    [ -n "$http" ] && echo "demo: live page http://$http/ (and /metrics) while the run goes"
    ./build/cli/swarmshape launch "$fleet" --out "$out" --set "coordinator/http=$http"
else
    echo "demo: 50 agents simulated in one process"
    ./build/cli/swarmshape sim "$fleet" --out "$out"
fi
echo
echo "summary ($out/summary.json):"
python3 - "$out/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"  mode {s['mode']}, {s['agents']} agents, {s['rounds']} rounds in {s['seconds']:.1f} s "
      f"({s['rounds_per_second']:.0f} rounds/s)")
print(f"  J (KL to the target): {s['J0']:.4f} -> {s['J']:.4f}")
print(f"  largest hypergradient component: {s['grad0']:.3g} -> {s['grad']:.3g}")
PY
echo "run's files: $out/ (initial.csv positions.csv trace.jsonl summary.json)"
plot=(./build/cli/swarmshape plot "$out")
[ -e "$out/fleet.zpl" ] || plot+=(--fleet "$fleet")
[ -e "$out/frames.csv" ] && plot+=(--frames)
echo
echo "pictures (${plot[*]#./build/cli/}):"
"${plot[@]}" | sed 's/^/  /'
