#!/usr/bin/env bash
#   experiment_loss.sh BUILD_DIR: packet loss in the kernel (issue 11). An
#   8-agent ring on 2 hosts (network namespaces; agent i on host i mod 2,
#   so every ring link crosses hosts) loses 20% of the packets entering
#   each host (nftables `numgen random mod 10000 < 2000 counter drop`)
#   from round 50 for 100 rounds. Asserts: exit 0; the kernel counter of
#   the rule, read into report.json, shows dropped packets (> 0); the run
#   converges within 10% of the undisturbed J (|J / J_sim - 1| <= 0.1);
#   the agents sent sealed datagrams (links/datagrams) and refused none;
#   the tables and namespaces are gone afterwards. The same again with the
#   kernel's own TCP timeouts (links/rto_min_ms, delack_max_ms, rto_max_ms
#   = 0, as on Linux < 6.15), where no send sees a connection retransmit
#   before its 200 ms timeout: the links went to datagrams all the same
#   (a resend asked for long after the send marks them). Root and network
#   namespaces needed (label netns, like the tests using
#   tests/fault/netns_lib.bash): SKIP otherwise.
[ "$(id -u)" -eq 0 ] || { echo "SKIP: not root (network namespaces need root)"; exit 0; }
command -v nft > /dev/null || { echo "SKIP: no nft(8) (package nftables)"; exit 0; }
command -v ip > /dev/null || { echo "SKIP: no ip(8)"; exit 0; }
ip netns add "ssprobe$$" 2>/dev/null || { echo "SKIP: ip netns add fails here"; exit 0; }
ip netns del "ssprobe$$"
. "$(dirname "$0")/experiment_lib.bash" "${1:?usage: experiment_loss.sh BUILD_DIR}"
exp_fleet loss 300 8 5 1000 2000
cat > "$T/loss.zpl" <<'ZPL'
scenario
    name = loss20
    description = "loss 20% on both hosts from round 50 for 100 rounds"
    hosts = 2
    event
        at_round = 50
        do = loss
        percent = 20
        for_rounds = 100
ZPL
#   loss_case WHAT OUT [--set K=V...]: the experiment, checked
loss_case () {
    local what=$1 out=$2 rc left
    shift 2
    timeout 200 "$SS" experiment "$T/f.zpl" "$T/loss.zpl" --out "$T/$out" "$@" > "$T/$out.log" 2>&1; rc=$?
    [ $rc -eq 0 ] && pass "$what: experiment exit 0" || { fail "$what: experiment exit $rc"; grep -v ': round ' "$T/$out.log" | tail; }
    python3 - "$T/$out/report.json" "$what" <<'PY' || FAILS=$((FAILS + 1))
import json, sys
r = json.load(open(sys.argv[1]))
e = r['events'][0]
bad = 0
def ok(c, m):
    global bad; print(('ok: ' if c else 'FAIL: ') + sys.argv[2] + ': ' + m); bad += 0 if c else 1
ok('network namespaces' in r['network'], 'on ' + r['network'])
ok(e['state'] == 'done' and (e['dropped_packets'] or 0) > 0,
   'the nftables rule counted %s dropped packets (rounds %s to %s)' % (e['dropped_packets'], e['start_round'], e['end_round']))
ratio = r['final_J'] / r['undisturbed_J']
ok(r['completed'] and abs(ratio - 1) <= 0.1,
   'converges within 10%% of the undisturbed J: %.6f vs %.6f (ratio %.4f)' % (r['final_J'], r['undisturbed_J'], ratio))
sys.exit(1 if bad else 0)
PY
    #  Under the loss the links went to sealed datagrams too (links/datagrams):
    #  agents sent them, and every one received opened and authenticated (a
    #  datagram refused counts as bad authentication)
    python3 - "$T/$out/state" "$what" <<'PY' || FAILS=$((FAILS + 1))
import glob, sys
sent, refused, files = 0, 0, 0
for path in glob.glob(sys.argv[1] + '/agent-*.state'):
    files += 1
    for line in open(path):
        f = line.split()
        if len(f) == 3 and f[0] == 'counter' and f[1] == 'datagrams':
            sent += int(f[2])
        if len(f) == 3 and f[0] == 'counter' and f[1] == 'bad_authentication':
            refused += int(f[2])
bad = 0
def ok(c, m):
    global bad; print(('ok: ' if c else 'FAIL: ') + sys.argv[2] + ': ' + m); bad += 0 if c else 1
ok(files == 8, '%d state files' % files)
ok(sent > 0, 'agents sent %d sealed datagrams under the loss' % sent)
ok(refused == 0, 'none refused (bad authentication: %d)' % refused)
sys.exit(1 if bad else 0)
PY
    grep -q 'numgen random mod 10000 < 2000 counter drop' "$T/$out/logs/hosts.log" \
        && pass "$what: the rule was numgen random mod 10000 < 2000 counter drop" || fail "$what: no nft rule in hosts.log"
    left=$(left_namespaces "$T/$out")
    [ -z "$left" ] && [ -s "$T/$out/logs/hosts.log" ] && pass "$what: namespaces torn down" || fail "$what: namespaces left: $left"
}
loss_case "defaults" out
loss_case "kernel timeouts" out-kernel --set links/rto_min_ms=0 --set links/delack_max_ms=0 \
    --set links/rto_max_ms=0
done_checks experiment_loss.sh
