#!/usr/bin/env bash
#   keys.sh BUILD_DIR: the key directory and who may do what, with real
#   CURVE sockets on the loopback (docs/fleet-design.md, "Keys").
#   a. start-up: two expected files holding one key stop agentd and the
#      coordinator with exit 2 and one line naming both files (never an
#      assertion, exit 134); a missing or malformed expected file: exit 2,
#      one line naming it.
#   b. a 12-agent ring launched with strays in its key directory from the
#      start (agent-1.key.bak, old/agent-2.key + secret, evil.key: an extra
#      certificate whose metadata says name = coordinator, agent-99.key
#      beyond count): it runs, and each daemon logs each stray once.
#   c. copies dropped into the running fleet's key directory change
#      nothing: new handshakes afterwards get the same verdicts (tests/
#      intruder: a stranger, evil.key, the coordinator's key, a non-
#      neighbour agent and the operator are refused by agent 0; its
#      neighbour agent 1 is admitted; the coordinator refuses the stranger,
#      evil.key and its own key, admits an agent) and every process lives.
#   d. target and status with the operator key work from a key directory
#      holding only coordinator.key and the operator's pair (the
#      coordinator's secret is not needed); with an agent's key as
#      operator key they get no answer (the coordinator drops them: "sender
#      not authenticated as claimed"); with evil.key or the coordinator's
#      key the handshake is refused (ZAP 400) and they say so; without
#      operator.key_secret they say to run keygen (exit 2).
#   e. each refusal is counted by reason in the daemons' logs, at most one
#      "zap: refused" line a second.
#   f. SIGTERM ends the fleet; no daemon died on the way. Then an old key
#      directory (no operator key): keygen adds it (1 certificate).
source "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/../ports.bash"
SS=$SWARMSHAPE
COORD=$COORDINATOR
INTRUDER=$BUILD/tests/intruder
T=$TMP
LPID=
cleanup_hooks+=('[ -n "$LPID" ] && kill -TERM "$LPID" 2>/dev/null'
                'for pid in $(pgrep -f "$T/"); do kill -KILL "$pid" 2>/dev/null; done')
#   wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for () {
    local until=$((SECONDS + $1)); shift
    until "$@"; do
        [ $SECONDS -ge $until ] && return 1
        sleep 0.1
    done
}

PORT=$(free_ports 100) || { echo "FAIL: no free ports"; exit 1; }
cat > "$T/f.zpl" <<ZPL
fleet
    faults
        round_timeout_ms = 600000
        lost_after_ms = 1200000
    name = keyed
    rounds = 0
    graph
        kind = ring
        degree = 2
    agents
        count = 12
        base_port = $((PORT + 1))
    coordinator
        endpoint = tcp://127.0.0.1:$PORT
        report_every = 10
ZPL
K=$T/keys
out=$(timeout 30 "$SS" keygen "$T/f.zpl")
check "keygen: 14 certificates, the operator's among them ($out)" \
    grep -q "wrote 14 certificates (of 14: 12 agents + coordinator + operator)" <<< "$out"
check "operator.key_secret is 0600" [ "$(stat -c %a "$K/operator.key_secret")" = 600 ]
#   Another fleet's certificates: their metadata says name = coordinator, agent-0...
cat > "$T/other.zpl" <<ZPL
fleet
    name = other
    agents
        count = 6
        base_port = $((PORT + 50))
    coordinator
        endpoint = tcp://127.0.0.1:$((PORT + 49))
    security
        keys = otherkeys
ZPL
timeout 30 "$SS" keygen "$T/other.zpl" > /dev/null || fail "keygen of the other fleet"
grep -q 'name = "coordinator"' "$T/otherkeys/coordinator.key" || fail "metadata name in a certificate"

#   --- a. refused at start-up -----------------------------------------------
#   one_line FILE: FILE holds exactly one line
one_line () { [ "$(wc -l < "$1")" -eq 1 ]; }
cp -a "$K" "$T/dup"
cp "$T/dup/agent-1.key" "$T/dup/agent-2.key"
cp -p "$T/dup/agent-1.key_secret" "$T/dup/agent-2.key_secret"
timeout 20 "$AGENTD" --fleet "$T/f.zpl" --id 0 --keys "$T/dup" --quiet > "$T/a.out" 2> "$T/a.err"; rc=$?
check "agentd, duplicate keys: exit 2 (got $rc)" [ $rc -eq 2 ]
check "agentd, duplicate keys: one line naming both files: $(cat "$T/a.err")" \
    grep -q "$T/dup/agent-2.key: same public key as $T/dup/agent-1.key" "$T/a.err"
check "agentd, duplicate keys: one line" one_line "$T/a.err"
timeout 20 "$COORD" --fleet "$T/f.zpl" --set "security/keys=$T/dup" --out "$T/dup-run" \
    > "$T/c.out" 2> "$T/c.err"; rc=$?
check "coordinator, duplicate keys: exit 2 (got $rc)" [ $rc -eq 2 ]
check "coordinator, duplicate keys: one line naming both files: $(cat "$T/c.err")" \
    grep -q "$T/dup/agent-2.key: same public key as $T/dup/agent-1.key" "$T/c.err"
check "coordinator, duplicate keys: one line" one_line "$T/c.err"
rm "$T/dup/agent-2.key"
timeout 20 "$AGENTD" --fleet "$T/f.zpl" --id 5 --keys "$T/dup" --quiet > /dev/null 2> "$T/a.err"; rc=$?
check "agentd, a missing key file: exit 2, one line naming it: $(cat "$T/a.err")" \
    eval '[ $rc -eq 2 ] && one_line "$T/a.err" && grep -q "$T/dup/agent-2.key: cannot read" "$T/a.err"'
echo 'curve
    public-key = "too short"' > "$T/dup/agent-2.key"
timeout 20 "$COORD" --fleet "$T/f.zpl" --set "security/keys=$T/dup" --out "$T/dup-run" \
    > /dev/null 2> "$T/c.err"; rc=$?
check "coordinator, a malformed key file: exit 2, one line naming it: $(cat "$T/c.err")" \
    eval '[ $rc -eq 2 ] && one_line "$T/c.err" && grep -q "$T/dup/agent-2.key: not a CURVE certificate" "$T/c.err"'

#   --- b. strays from the start ---------------------------------------------
cp "$K/agent-1.key" "$K/agent-1.key.bak"
mkdir "$K/old" && cp -p "$K/agent-2.key" "$K/agent-2.key_secret" "$K/old/"
cp "$T/otherkeys/coordinator.key" "$K/evil.key"
cp -p "$T/otherkeys/coordinator.key_secret" "$K/evil.key_secret"
cp "$T/otherkeys/agent-0.key" "$K/agent-99.key"
timeout 300 "$SS" launch "$T/f.zpl" --out "$T/run" > "$T/launch.out" 2> "$T/launch.err" &
LPID=$!
rows () { [ -s "$T/run/trace.jsonl" ] && [ "$(wc -l < "$T/run/trace.jsonl")" -ge "$1" ]; }
wait_for 90 rows 3 || { fail "the fleet never reported: $(tail -3 "$T/launch.err")"; exit 1; }
pass "the fleet runs with strays in its key directory"
for stray in agent-1.key.bak old evil.key evil.key_secret agent-99.key; do
    n_agent=$(grep -c "$K/$stray: not a key file of this fleet, ignored" "$T/run/logs/agent-0.log")
    n_coord=$(cat "$T/launch.out" "$T/launch.err" | grep -c "$K/$stray: not a key file of this fleet, ignored")
    check "$stray logged once by agent 0 ($n_agent) and by the coordinator ($n_coord)" \
        [ "$n_agent$n_coord" = 11 ]
done

#   --- c. copies dropped while it runs; handshakes afterwards -----------------
cp "$K/agent-1.key" "$K/agent-1.key.copy"
mkdir "$K/new" && cp -p "$K/agent-3.key" "$K/agent-3.key_secret" "$K/new/"
cp "$T/otherkeys/agent-1.key" "$K/agent-1.key~"
cp "$K/evil.key" "$K/coordinator.key.new"
A0="tcp://127.0.0.1:$((PORT + 1))"
C="tcp://127.0.0.1:$PORT"
#   verdict NAME ENDPOINT SERVER_CERT WANT [CLIENT_CERT]: intruder's exit (0 refused, 1 admitted)
verdict () {
    local name=$1 endpoint=$2 server=$3 want=$4; shift 4
    timeout 20 "$INTRUDER" "$endpoint" "$server" 8 "$@" > "$T/intruder.out" 2>&1
    local rc=$?
    check "$name: $(cat "$T/intruder.out")" [ $rc -eq "$want" ]
}
verdict "agent 0 refuses a stranger" "$A0" "$K/agent-0.key" 0
verdict "agent 0 refuses evil.key (says name = coordinator)" "$A0" "$K/agent-0.key" 0 "$K/evil.key"
verdict "agent 0 refuses the coordinator's key" "$A0" "$K/agent-0.key" 0 "$K/coordinator.key"
verdict "agent 0 refuses the operator's key" "$A0" "$K/agent-0.key" 0 "$K/operator.key"
verdict "agent 0 refuses agent 3 (no neighbour)" "$A0" "$K/agent-0.key" 0 "$K/agent-3.key"
verdict "agent 0 admits agent 1 (a neighbour)" "$A0" "$K/agent-0.key" 1 "$K/agent-1.key"
verdict "the coordinator refuses a stranger" "$C" "$K/coordinator.key" 0
verdict "the coordinator refuses evil.key (says name = coordinator)" "$C" "$K/coordinator.key" 0 "$K/evil.key"
verdict "the coordinator refuses its own key" "$C" "$K/coordinator.key" 0 "$K/coordinator.key"
verdict "the coordinator admits agent 4" "$C" "$K/coordinator.key" 1 "$K/agent-4.key"
n_agents=$(pgrep -fc "agentd --fleet $T/f.zpl")
n_coord=$(pgrep -fc "coordinator --fleet $T/f.zpl")
check "every process lives (12 agents: $n_agents, coordinator: $n_coord)" \
    [ "$n_agents:$n_coord" = 12:1 ]
r1=$(wc -l < "$T/run/trace.jsonl")
wait_for 30 rows $((r1 + 2)) && pass "the fleet goes on reporting" || fail "no report after the handshakes"

#   --- d. who may steer -----------------------------------------------------
cat > "$T/target.zpl" <<'ZPL'
target
    component
        weight = 1
        mean = "0.5 0.5"
        std = 0.12
ZPL
#   opdir NAME SECRET: a key directory with coordinator.key and SECRET as the operator's key
opdir () {
    mkdir -m 0700 "$T/$1"
    cp "$K/coordinator.key" "$T/$1/"
    if [ -n "$2" ]; then
        cp -p "$2" "$T/$1/operator.key_secret"
        cp "${2%_secret}" "$T/$1/operator.key"
    fi
}
opdir op "$K/operator.key_secret"
timeout 20 "$SS" status "$T/f.zpl" > "$T/s.out" 2>&1; rc=$?
check "status with the fleet's key directory: $(cat "$T/s.out")" \
    eval '[ $rc -eq 0 ] && grep -q "^round [0-9]* *J " "$T/s.out"'
timeout 20 "$SS" status "$T/f.zpl" --set "security/keys=$T/op" > "$T/s.out" 2>&1; rc=$?
check "status with only coordinator.key and the operator's pair: $(cat "$T/s.out")" \
    eval '[ $rc -eq 0 ] && grep -q "^round [0-9]* *J " "$T/s.out"'
timeout 20 "$SS" target "$T/f.zpl" "$T/target.zpl" --set "security/keys=$T/op" > "$T/t.out" 2>&1; rc=$?
check "target with only coordinator.key and the operator's pair: $(cat "$T/t.out")" \
    eval '[ $rc -eq 0 ] && grep -q "^target switches at round [0-9]*$" "$T/t.out"'
opdir agentop "$K/agent-0.key_secret"
drops_before=$(grep -c "sender not authenticated as claimed" "$T/launch.err")
timeout 20 "$SS" status "$T/f.zpl" --set "security/keys=$T/agentop" > "$T/s.out" 2>&1; rc=$?
check "status with agent 0's key: no answer, exit 1: $(cat "$T/s.out")" \
    eval '[ $rc -eq 1 ] && grep -q "no answer from the coordinator" "$T/s.out"'
timeout 20 "$SS" target "$T/f.zpl" "$T/target.zpl" --set "security/keys=$T/agentop" > "$T/t.out" 2>&1; rc=$?
check "target with agent 0's key: no answer, exit 1: $(cat "$T/t.out")" \
    eval '[ $rc -eq 1 ] && grep -q "no answer from the coordinator" "$T/t.out"'
drops=$(grep "sender not authenticated as claimed" "$T/launch.err" | tail -1)
check "the coordinator dropped them: $drops" \
    [ "$(grep -c "sender not authenticated as claimed" "$T/launch.err")" -gt "$drops_before" ]
for who in evil coordinator; do
    opdir "${who}op" "$K/$who.key_secret"
    timeout 20 "$SS" status "$T/f.zpl" --set "security/keys=$T/${who}op" > "$T/s.out" 2>&1; rc=$?
    check "status with $who.key as operator key: refused, exit 1: $(cat "$T/s.out")" \
        eval '[ $rc -eq 1 ] && grep -q "refused the operator key .*(ZAP status 400)" "$T/s.out"'
done
opdir noop ""
timeout 20 "$SS" status "$T/f.zpl" --set "security/keys=$T/noop" > "$T/s.out" 2>&1; rc=$?
check "status without an operator key: exit 2, says to run keygen: $(cat "$T/s.out")" \
    eval '[ $rc -eq 2 ] && one_line "$T/s.out" && grep -q "run swarmshape keygen" "$T/s.out"'

#   --- e. refusals counted by reason, logged at most once a second -----------
#   count LINE REASON: the count of REASON in a "zap: refused" log line
count () { sed -n "s/.*refused so far:.*$2 \([0-9]*\).*/\1/p" <<< "$1"; }
sleep 1.5       #   the tail of a burst is logged within a second
zap_coord=$(cat "$T/launch.out" "$T/launch.err" | grep "zap: refused" | tail -1)
zap_agent=$(grep "zap: refused" "$T/run/logs/agent-0.log" | tail -1)
#   agent 0 refused a stranger and evil.key (unknown), the coordinator's,
#   the operator's and agent 3's keys (not admitted); the coordinator a
#   stranger, evil.key and evil's key as operator's (unknown), its own key
#   twice (not admitted)
check "agent 0 counts its refusals by reason: $zap_agent" \
    eval '[ "$(count "$zap_agent" "unknown key")" -ge 2 ] && [ "$(count "$zap_agent" "not admitted")" -ge 3 ]'
check "the coordinator counts its refusals by reason: $zap_coord" \
    eval '[ "$(count "$zap_coord" "unknown key")" -ge 3 ] && [ "$(count "$zap_coord" "not admitted")" -ge 2 ]'
check "no malformed request, no other mechanism" \
    eval '[ "$(count "$zap_agent" "malformed")$(count "$zap_coord" "mechanism")" = 00 ]'
per_second=$(grep "zap: refused" "$T/run/logs/agent-0.log" | grep -o ' [0-9][0-9]:[0-9][0-9]:[0-9][0-9] ' \
             | sort | uniq -c | sort -rn | head -1 | awk '{print $1}')
check "agent 0 logs at most one refusal line a second (${per_second:-0})" [ "${per_second:-0}" -le 1 ]

#   --- f. SIGTERM; an old key directory --------------------------------------
kill -TERM $LPID
gone () { ! pgrep -f -- "--fleet $T/f.zpl" > /dev/null; }
wait_for 10 gone && pass "SIGTERM: every process gone" || fail "SIGTERM: left: $(pgrep -af -- "--fleet $T/f.zpl")"
wait $LPID; rc=$?; LPID=
check "launch exit 1 (interrupted), got $rc" [ $rc -eq 1 ]
check "no daemon failed: $(grep -m1 'failed (' "$T/launch.err")" eval '! grep -q "failed (" "$T/launch.err"'
rm "$K/operator.key" "$K/operator.key_secret"
out=$(timeout 30 "$SS" keygen "$T/f.zpl")
check "keygen adds the operator key to an old directory: $out" \
    eval 'grep -q "wrote 1 certificate " <<< "$out" && [ -s "$K/operator.key_secret" ]'

finish
