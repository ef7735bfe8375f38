#!/usr/bin/env bash
#   experiment_scenarios.sh BUILD_DIR: every shipped scenario
#   (deploy/scenarios/*.zpl) through one `swarmshape experiment` call on
#   the shipped fleet deploy/scenarios/fleet/faults.zpl (a 12-agent ring,
#   400 rounds), on free loopback ports and keys of its own (issue 11). Asserts, per scenario, from its
#   report.json: the run completed; every event of the file is in the
#   report, was applied, and has a measured recovery (rounds_to_recover not
#   null); the final J is within the bound the scenario (the fault table)
#   states, final J <= bound x undisturbed J; the network scenarios ran on
#   network namespaces (hosts), and loss and partition report the kernel's
#   dropped packets (> 0). Also: DIR/report.md holds one comparison row per
#   scenario, events.jsonl logs each event, and no namespace of the run is
#   left behind. Network scenarios need root and namespaces (like the
#   tests using tests/fault/netns_lib.bash: label netns): without them they
#   are refused and this test says SKIP for them.
#   SS_EXPERIMENT_TABLE=FILE: also write the comparison table there.
. "$(dirname "$0")/experiment_lib.bash" "${1:?usage: experiment_scenarios.sh BUILD_DIR}"
port=$(free_ports 100) || { echo "FAIL: no free ports"; exit 1; }
FLEET=$SRC/deploy/scenarios/fleet/faults.zpl
SETS=(--set agents/base_port=$((port + 1)) --set coordinator/endpoint=tcp://127.0.0.1:$port
      --set security/keys=$T/keys)
network=1
if [ "$(id -u)" -ne 0 ] || ! command -v nft > /dev/null || ! command -v ip > /dev/null; then
    network=0
    echo "SKIP: network scenarios: not root or no ip/nft (they are refused; process scenarios still checked)"
fi
t0=$SECONDS
timeout 400 "$SS" experiment "$FLEET" "$SRC"/deploy/scenarios/*.zpl --out "$T/out" "${SETS[@]}" \
    > "$T/out.log" 2>&1; rc=$?
echo "experiment: exit $rc in $((SECONDS - t0)) s"
[ $rc -eq 0 ] && pass "experiment over the shipped scenarios: exit 0" \
    || { fail "experiment exit $rc"; grep -v ': round ' "$T/out.log" | tail -20; }
python3 - "$T/out" "$SRC/deploy/scenarios" "$network" <<'PY'
import glob, json, os, sys
out, scen, network = sys.argv[1], sys.argv[2], sys.argv[3] == '1'
bad = 0
def ok(c, msg):
    global bad
    print(('ok: ' if c else 'FAIL: ') + msg)
    bad += 0 if c else 1
table = open(os.path.join(out, 'report.md')).read()
for path in sorted(glob.glob(os.path.join(scen, '*.zpl'))):
    text = open(path).read()
    name = os.path.basename(path)[:-4]
    n_events = sum(1 for l in text.split('\n') if l.strip() == 'event')
    is_net = 'hosts = ' in text.split('event')[0]
    r = json.load(open(os.path.join(out, name, 'report.json')))
    if is_net and not network:
        ok(all(e['state'] == 'refused' for e in r['events']), '%s: refused without root (SKIP: its network faults)' % name)
        continue
    ok(r['completed'], '%s: the run completed (round %s)' % (name, r['rounds']))
    ok(len(r['events']) == n_events, '%s: %d events in the report' % (name, n_events))
    for e in r['events']:
        ok(e['state'] == 'done' and e['start_round'] is not None,
           '%s: event %d (%s) applied at round %s' % (name, e['index'], e['what'], e['start_round']))
        ok(e['rounds_to_recover'] is not None,
           '%s: event %d recovered in %s rounds (undisturbed: %s)' % (name, e['index'],
           e['rounds_to_recover'], e['undisturbed_rounds_to_recover']))
        if e['do'] in ('loss', 'partition'):
            ok((e['dropped_packets'] or 0) > 0, '%s: the kernel dropped %s packets' % (name, e['dropped_packets']))
    ok(r['final_J'] <= r['bound'] * r['undisturbed_J'],
       '%s: final J %.6f <= %g x undisturbed %.6f' % (name, r['final_J'], r['bound'], r['undisturbed_J']))
    if is_net:
        ok('network namespaces' in r['network'], '%s: on %s' % (name, r['network']))
    ev = [json.loads(l) for l in open(os.path.join(out, name, 'events.jsonl'))]
    ok(all(any(x['event'] == e['index'] and x['action'] == 'start' for x in ev) for e in r['events']),
       '%s: events.jsonl logs every event' % name)
    ok('| %s |' % name in table, '%s: a row of the comparison table' % name)
sys.exit(1 if bad else 0)
PY
[ $? -eq 0 ] || FAILS=$((FAILS + 1))
left=$(left_namespaces "$T/out")
[ -z "$left" ] && pass "no network namespace left behind" || fail "namespaces left: $left"
if [ -n "${SS_EXPERIMENT_TABLE:-}" ]; then cp "$T/out/report.md" "$SS_EXPERIMENT_TABLE"; fi
done_checks experiment_scenarios.sh
