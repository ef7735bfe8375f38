#!/usr/bin/env bash
# Lossy links (issue 13): what packet loss costs the fleet, in pace and in
# accuracy, and what each link setting buys.
#
# A fleet of N agents (ring of degree 4) on 3 network namespaces, agent i on
# host i mod 3 (every link crosses hosts, over TCP through a veth bridge),
# default TCP settings. Loss is the kernel's: an nftables rule on every
# host's input (`numgen random mod 10000 < 100 P counter drop`) from round
# FROM to round UNTIL of ROUNDS. For each links/connections value: a
# lossless baseline in the same namespaces, then each loss percentage.
# Printed per run: rounds/s while the loss was on (and the baseline's over
# the same rounds), the ratio, final J against the undisturbed J (sim),
# agents declared lost, the first report round after the loss from which
# the tracker bias stays below 1e-9, substitutions and WANTs per
# agent-round, and for the baseline whether it equals sim bit for bit.
#
# Usage: tests/bench/lossy.sh BUILD_DIR          (as root)
#   CONNECTIONS="8 2" LOSSES="10 30" N=20 ROUNDS=600 FROM=20 UNTIL=520 (defaults: 8, the fleet's)
#   KEEP=DIR keeps the runs there; SETS="key=value ..." sets fleet keys
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
ss=$build/cli/swarmshape
connections=${CONNECTIONS:-8}
losses=${LOSSES:-10 30}
n=${N:-20}
rounds=${ROUNDS:-600}
from=${FROM:-20}
until_round=${UNTIL:-520}
#  SETS="links/copies=2 faults/grace_factor=5": more keys for every run
sets=()
for kv in ${SETS:-}; do sets+=(--set "$kv"); done
[ -x "$ss" ] || { echo "lossy.sh: no $ss (build first)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: lossy.sh needs root (network namespaces, nftables)"; exit 0; }
for tool in ip nft python3; do
    command -v $tool >/dev/null || { echo "SKIP: lossy.sh needs $tool"; exit 0; }
done
if [ -n "${KEEP:-}" ]; then
    dir=$KEEP; mkdir -p "$dir"
else
    dir=$(mktemp -d /tmp/ss-lossy.XXXXXX)
    trap 'rm -rf "$dir"' EXIT
fi
port=$(( 20000 + ($$ % 2000) * 10 ))
cat > "$dir/fleet.zpl" <<ZPL
fleet
    name = lossy
    rounds = $rounds
    seed = 5
    graph
        kind = ring
        degree = 4
    agents
        count = $n
        base_port = $port
    coordinator
        report_every = 5
    security
        keys = keys
ZPL
"$ss" keygen "$dir/fleet.zpl" > "$dir/keygen.log" 2>&1 \
    || { echo "lossy.sh: keygen failed: $(tail -1 "$dir/keygen.log")" >&2; exit 1; }
printf 'scenario\n    name = baseline\n    hosts = 3\n' > "$dir/loss0.zpl"
for p in $losses; do
    cat > "$dir/loss$p.zpl" <<ZPL
scenario
    name = loss$p
    hosts = 3
    bound = 100
    event
        at_round = $from
        do = loss
        percent = $p
        for_rounds = $(( until_round - from ))
ZPL
done

echo "lossy.sh: $n agents, ring degree 4, 3 hosts (spread: every link crosses hosts), $rounds rounds,"
echo "loss on every host's input from round $from to $until_round; default TCP; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)${SETS:+; keys: $SETS}"
printf '%-5s %-5s %9s %9s %6s %10s %10s %6s %5s %9s %8s %8s %s\n' \
    conns loss "rounds/s" baseline ratio "final J" "undist. J" "J/J0" lost "bias back" "subst/ar" "wants/ar" "lossless == sim"
for c in $connections; do
    for p in 0 $losses; do
        out=$dir/c$c-loss$p
        timeout 1200 "$ss" experiment "$dir/fleet.zpl" "$dir/loss$p.zpl" --out "$out" --quiet \
            --set links/connections=$c ${sets[@]+"${sets[@]}"} > "$out.log" 2>&1
        rc=$?
        python3 - "$out" "$dir/c$c-loss0" "$c" "$p" "$from" "$until_round" "$rc" <<'PY'
import json, os, sys, glob, filecmp
out, base, c, p, lo, hi, rc = sys.argv[1:8]
lo, hi = int(lo), int(hi)
def rows(d):
    try:
        return [json.loads(l) for l in open(d + '/trace.jsonl') if l.startswith('{')]
    except OSError:
        return []
def pace(rs, a, b):
    w = [r for r in rs if a <= r['round'] <= b]
    if len(w) < 2 or w[-1]['seconds'] <= w[0]['seconds']:
        return float('nan')
    return (w[-1]['round'] - w[0]['round']) / (w[-1]['seconds'] - w[0]['seconds'])
try:
    rep = json.load(open(out + '/report.json'))
except (OSError, ValueError):
    print('%-5s %-5s run failed (exit %s): see %s.log' % (c, p + '%', rc, out)); sys.exit(0)
rs, bs = rows(out), rows(base)
mine, theirs = pace(rs, lo, hi), pace(bs, lo, hi)
ctr = {}
for f in glob.glob(out + '/state/*.state'):
    for line in open(f):
        w = line.split()
        if len(w) == 3 and w[0] == 'counter':
            ctr[w[1]] = ctr.get(w[1], 0) + int(w[2])
agent_rounds = max(1, rep['agents'] * (rep['rounds'] or 1))
back = '-'
if p != '0':
    after = [r for r in rs if r['round'] >= hi]
    good = None
    for r in reversed(after):
        if r['bias'] < 1e-9:
            good = r['round']
        else:
            break
    back = '%d' % (good - hi) if good is not None else 'never'
same = '-'
if p == '0':
    a, b = out + '/positions.csv', rep['undisturbed_dir'] + '/positions.csv'
    same = 'yes' if os.path.exists(a) and os.path.exists(b) and filecmp.cmp(a, b, False) else 'NO'
lost = json.loads(json.dumps(rep.get('lost', [])))
print('%-5s %-5s %9.1f %9.1f %6.2f %10.6f %10.6f %6.3f %5d %9s %8.4f %8.4f %s' % (
    c, p + '%', mine, theirs, mine / theirs if theirs == theirs and theirs else float('nan'),
    rep['final_J'] or float('nan'), rep['undisturbed_J'] or float('nan'),
    rep['ratio'] or float('nan'), len(lost), back,
    ctr.get('substitutions', 0) / agent_rounds, ctr.get('wants', 0) / agent_rounds, same))
PY
    done
done
echo "rounds/s: over rounds $from..$until_round (the loss window); baseline: the lossless run's, same rounds."
echo "bias back: report rounds after round $until_round until the tracker bias stays < 1e-9; subst/ar, wants/ar: per agent-round."
