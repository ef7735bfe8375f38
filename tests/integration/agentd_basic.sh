#!/usr/bin/env bash
#   agentd_basic: six agentd processes (CURVE, no coordinator) end where
#   `swarmshape sim` ends, bit for bit (checked to 1e-9); plus the flags,
#   the configuration errors (exit 2, one line) and SIGTERM (exit 0, state).
#   Usage: agentd_basic.sh BUILD_DIR
set -u
BUILD=${1:?usage: agentd_basic.sh BUILD_DIR}
AGENTD=$BUILD/agentd/agentd
SWARMSHAPE=${SWARMSHAPE:-$BUILD/cli/swarmshape}
TMP=$(mktemp -d /tmp/agentd_basic.XXXXXX)
PIDS=()
cleanup () {
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
fail () { echo "FAIL: $*" >&2; exit 1; }

[ -x "$AGENTD" ] || fail "no $AGENTD"
[ -x "$SWARMSHAPE" ] || fail "no $SWARMSHAPE"

. "$(dirname "$0")/../ports.bash"
BASE_PORT=$(free_ports 100) || { echo "FAIL: no free ports"; exit 1; }
COORD_PORT=$((BASE_PORT + 99))

write_fleet () {    #   FILE ROUNDS
    cat > "$1" <<EOF
fleet
    faults                      # no deadline may fire under a loaded
        round_timeout_ms = 600000   # (sanitizer) build: this run is
        lost_after_ms = 1200000     # compared with sim to round-off
    name = basic
    rounds = $2
    seed = 7
    model
        m = 4
        nq = 16
    graph
        kind = ring
        degree = 2
    agents
        count = 6
        base_port = $BASE_PORT
    coordinator
        endpoint = tcp://127.0.0.1:$COORD_PORT
        report_every = 10
EOF
}
FLEET=$TMP/fleet.zpl
write_fleet "$FLEET" 200

#   Flags
timeout 10 "$AGENTD" --help > /dev/null || fail "--help"
timeout 10 "$AGENTD" --version | grep -q agentd || fail "--version"

#   Keys: swarmshape keygen
timeout 60 "$SWARMSHAPE" keygen "$FLEET" > /dev/null 2> "$TMP/keygen.err" \
    || fail "swarmshape keygen: $(cat "$TMP/keygen.err")"
[ -f "$TMP/keys/agent-5.key_secret" ] || fail "keygen wrote no agent-5.key_secret"

one_line_exit2 () {     #   WHAT GREP -- agentd args
    local what=$1 pattern=$2; shift 3
    timeout 10 "$AGENTD" "$@" > /dev/null 2> "$TMP/err"
    local rc=$?
    [ $rc -eq 2 ] || fail "$what: exit $rc, expected 2 ($(cat "$TMP/err"))"
    [ "$(wc -l < "$TMP/err")" -eq 1 ] || fail "$what: stderr is not one line: $(cat "$TMP/err")"
    grep -q -- "$pattern" "$TMP/err" || fail "$what: stderr lacks '$pattern': $(cat "$TMP/err")"
}
one_line_exit2 "unknown id" "99" -- --fleet "$FLEET" --id 99
one_line_exit2 "bad flag" "bogus" -- --fleet "$FLEET" --id 0 --bogus
printf 'fleet\n    nonsense = 1\n' > "$TMP/bad.zpl"
one_line_exit2 "bad fleet" "bad.zpl" -- --fleet "$TMP/bad.zpl" --id 0
one_line_exit2 "curve off" "insecure" -- --fleet "$FLEET" --id 0 --set security/curve=0
chmod 644 "$TMP/keys/agent-2.key_secret"
one_line_exit2 "secret 0644" "mode 0644" -- --fleet "$FLEET" --id 2
chmod 600 "$TMP/keys/agent-2.key_secret"

#   The reference
timeout 120 "$SWARMSHAPE" sim "$FLEET" --out "$TMP/sim" --quiet 2> "$TMP/sim.err" \
    || fail "swarmshape sim: $(cat "$TMP/sim.err")"

#   Six agents, encrypted, without a coordinator
for i in 0 1 2 3 4 5; do
    "$AGENTD" --fleet "$FLEET" --id $i --state-dir "$TMP/state" --quiet \
        2> "$TMP/agent-$i.log" &
    PIDS+=($!)
done
for i in 0 1 2 3 4 5; do
    timeout 120 tail --pid="${PIDS[$i]}" -f /dev/null \
        || fail "agent $i did not finish in 120 s: $(tail -3 "$TMP/agent-$i.log")"
    wait "${PIDS[$i]}"
    rc=$?
    [ $rc -eq 0 ] || fail "agent $i exited $rc: $(tail -3 "$TMP/agent-$i.log")"
done
PIDS=()
for i in 0 1 2 3 4 5; do
    [ -f "$TMP/state/agent-$i.state" ] || fail "no state file of agent $i"
    grep -q "^round 200$" "$TMP/state/agent-$i.state" || fail "agent $i not at round 200"
done
#   positions.csv: id,x1,x2 — compare with each state's x line
awk -v dir="$TMP/state" '
    BEGIN { FS = "," }
    NR > 1 {
        file = dir "/agent-" $1 ".state"
        found = 0
        while ((getline line < file) > 0) {
            n = split (line, f, " ")
            if (f [1] == "x") {
                found = 1
                for (c = 2; c <= NF; c++) {
                    d = f [c] - $c; if (d < 0) d = -d
                    if (d > 1e-9) { printf "agent %s x%d: agentd %s sim %s\n", $1, c - 1, f [c], $c; bad = 1 }
                }
            }
        }
        close (file)
        if (!found) { print "agent " $1 ": no x in state"; bad = 1 }
        rows++
    }
    END { if (rows != 6) { print "positions.csv has " rows " rows"; bad = 1 }; exit bad }
' "$TMP/sim/positions.csv" || fail "agentd positions differ from sim's"

#   SIGTERM: a rounds = 0 fleet, one agent alone, exits 0 within 5 s with a state
write_fleet "$TMP/forever.zpl" 0
"$AGENTD" --fleet "$TMP/forever.zpl" --id 3 --keys "$TMP/keys" \
    --state-dir "$TMP/state-term" --quiet 2> "$TMP/term.log" &
pid=$!
PIDS=($pid)
sleep 1
kill -0 $pid 2>/dev/null || fail "agentd (rounds 0) exited early: $(cat "$TMP/term.log")"
kill -TERM $pid
timeout 5 tail --pid=$pid -f /dev/null || fail "agentd did not exit within 5 s of SIGTERM"
wait $pid
rc=$?
PIDS=()
[ $rc -eq 0 ] || fail "agentd after SIGTERM exited $rc: $(cat "$TMP/term.log")"
[ -f "$TMP/state-term/agent-3.state" ] || fail "no state file after SIGTERM"

echo "agentd_basic: ok"
