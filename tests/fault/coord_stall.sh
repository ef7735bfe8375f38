#!/usr/bin/env bash
#   coord_stall.sh BUILD_DIR: the links to the coordinator of one host stall
#   until after the fleet's last round (what 30% loss does now and then:
#   TCP backs off, seconds pass with nothing delivered). Two network
#   namespaces are two hosts (netns_lib.bash), 8 agents in blocks (0-3 on
#   host 0 with the coordinator, 4-7 on host 1), a 5 ms wire delay (a LAN's
#   pace). From report round STALL, host 1 drops every packet it sends to
#   the coordinator's port (nftables in host 1's namespace); its agents'
#   links with their neighbours are untouched. The coordinator counts host
#   1's agents lost after lost_after_ms; the rest of the fleet finishes;
#   the last row then waits up to lost_after_ms for the lost agents
#   (coordinator: "counted lost: waiting"), and the test lets host 1's
#   packets through again once the coordinator says so. Asserted: every
#   process exits 0; the coordinator counted host 1's agents lost and
#   waited; the trace has rows without them and its last row has all 8,
#   none lost; summary.json has 8 agents, none lost; the positions equal
#   sim's bit for bit and J on the whole rows to 1e-12 (nothing between
#   agents was disturbed, so the arithmetic is sim's). Without the last row's wait the run ends with host 1's
#   agents lost. Root only (else SKIP). Every wait is bounded.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh" "${1:?usage: coord_stall.sh BUILD_DIR}"
. "$HERE/netns_lib.bash"
ns_require || exit 0
command -v nft > /dev/null || { echo "SKIP: no nft(8) (nftables drops the packets)"; exit 0; }

AGENTS=8
ROUNDS=${ROUNDS:-800}
STALL=${STALL:-250}             # report round host 1's coordinator links stall at
#   The rest of the fleet finishes ~3 s after the stall (the wire's delay
#   sets the pace, ~170 rounds/s): host 1's agents, lingering lost_after_ms
#   after their end, still send when the packets go through again (TCP
#   retransmits within rto_max_ms, 1 s) however fast the host
WIRE_DELAY=${WIRE_DELAY:-delay 5ms}
export FAULT_HEARTBEAT_MS=100
export FAULT_ROUND_TIMEOUT_MS=1000
export FAULT_LOST_AFTER_MS=3000

ns_setup 2 block stall "$ROUNDS" "$AGENTS" "$TMP/sim"
ns_netem_all "$WIRE_DELAY" || fail "wire delay"

#   host 1's packets to the coordinator's port: dropped / let through
stall () {
    ns_exec 1 nft add table inet ssstall \
    && ns_exec 1 nft add chain inet ssstall out '{ type filter hook output priority 0; }' \
    && ns_exec 1 nft add rule inet ssstall out ip daddr "$(ns_ip 0)" tcp dport 7099 drop
}
unstall () { ns_exec 1 nft delete table inet ssstall; }

R=$TMP/run
LOG=$R.logs/coordinator.log
ns_start_run "$F" "$R" "$AGENTS"
ns_wait_round "$R" "$STALL" 60 || fail "the trace never reached round $STALL"
FROM=$(ns_trace_round "$R")
stall && pass "host 1's packets to the coordinator dropped from round $FROM" \
    || fail "nft: could not drop host 1's packets"
#   bounded: the coordinator says the last row waits for the lost agents
until=$((SECONDS + 60))
until grep -q "counted lost: waiting" "$LOG" 2> /dev/null || [ $SECONDS -ge $until ] \
      || ! kill -0 "$RUN_COORD" 2> /dev/null; do
    sleep 0.05
done
at=$(ns_trace_round "$R")
unstall || fail "nft: could not let host 1's packets through"
if grep -q "counted lost: waiting" "$LOG"; then
    pass "coordinator: $(grep -m1 "counted lost: waiting" "$LOG" | sed 's/^[^:]*: //') (trace at round $at); host 1's packets let through"
else
    fail "the coordinator never said the last row waits for lost agents"
fi
ns_wait_run "$R" 60
[ "$RUN_FAILS" -eq 0 ] && pass "every process exited 0" \
    || { fail "processes:$RUN_WHY"; tail -n 3 "$R".logs/*.log | head -40; }

python3 - "$R" "$AGENTS" > "$TMP/check" 2>&1 <<'PY'
import json, sys
run, n = sys.argv[1], int(sys.argv[2])
rows = [json.loads(l) for l in open(run + '/trace.jsonl') if l.strip()]
summ = json.load(open(run + '/summary.json'))
host1 = list(range(n // 2, n))
bad = []
stalled = [r['round'] for r in rows if sorted(r.get('lost') or []) == host1]
if not stalled: bad.append('no row with host 1 agents %s lost' % host1)
last = rows[-1]
if last['round'] != summ['rounds']: bad.append('trace ends at %d of %d' % (last['round'], summ['rounds']))
if last['agents'] != n or last.get('lost'): bad.append('last row: %d agents, lost %s' % (last['agents'], last.get('lost')))
if summ.get('agents') != n or summ.get('lost'): bad.append('summary: %s agents, lost %s' % (summ.get('agents'), summ.get('lost')))
print('rows with host 1 lost: %d (rounds %s..%s); last row (round %d): %d agents, lost %s; summary: %s agents, lost %s'
      % (len(stalled), stalled[0] if stalled else '-', stalled[-1] if stalled else '-',
         last['round'], last['agents'], last.get('lost'), summ.get('agents'), summ.get('lost')))
for b in bad: print(b)
sys.exit(1 if bad else 0)
PY
[ $? -eq 0 ] && pass "$(head -n 1 "$TMP/check")" || fail "$(tr '\n' ';' < "$TMP/check")"
#   sim: the same positions, bit for bit, and the same J on every row with
#   all 8 agents (to 1e-12: the coordinator's lower-level solve starts from
#   the previous row's, which had 4 agents)
ns_compare_sim "$R" "$TMP/sim" 0 "$AGENTS" 1e-12 > "$TMP/cmp" 2>&1
[ $? -eq 0 ] && pass "run equals sim: $(cat "$TMP/cmp")" || fail "run differs from sim: $(cat "$TMP/cmp")"

#   rounds/s (table.bash: trace_pace): before the stall, and from it to the
#   last row before the wait (the coordinator's clock)
PACE_BEFORE=$(trace_pace "$R/trace.jsonl" "" "$FROM")
PACE_STALL=$(trace_pace "$R/trace.jsonl" "$FROM" "$at")
echo "     rounds/s: before the stall $PACE_BEFORE; during it (rows without host 1) $PACE_STALL"
ns_table_section "coord_stall.sh" "$(cat <<EOF2
Fleet: $AGENTS agents, ring degree 4, 2 hosts in blocks (agents 0-3 with the
coordinator, 4-7), "$WIRE_DELAY" on both, $ROUNDS rounds, report every 10; faults:
heartbeat ${FAULT_HEARTBEAT_MS} ms, round timeout ${FAULT_ROUND_TIMEOUT_MS} ms, lost after ${FAULT_LOST_AFTER_MS} ms.
From report round $FROM host 1 drops its packets to the coordinator's port
(nftables); they go through again once the coordinator says the last row
waits for the lost agents (trace at round $at).

Reproduce: \`bash tests/fault/coord_stall.sh build\` (as root)

| scenario | stalled from round | rows with host 1 lost | last row | positions against sim | rounds/s before the stall | rounds/s during it |
|---|---|---|---|---|---|---|
| coordinator links of host 1 stall until the end | $FROM | $(head -n 1 "$TMP/check" | sed 's/^rows with host 1 lost: \([0-9]*\).*/\1/') | $(head -n 1 "$TMP/check" | sed 's/.*last row (round [0-9]*): \([^;]*\);.*/\1/') | $(sed 's/,.*//' "$TMP/cmp") | $PACE_BEFORE | $PACE_STALL |
EOF2
)"
finish
