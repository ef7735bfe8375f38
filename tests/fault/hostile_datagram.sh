#!/usr/bin/env bash
#   hostile_datagram: what reaches an agent's UDP port (links/datagrams,
#   agentd/ss_datagram.h). 8 agents over tcp:// (links/transport = tcp,
#   so each has its UDP socket); for the whole run a stranger floods agent
#   0's UDP port (its TCP port's number) with garbage, empty datagrams,
#   datagrams of 64000 bytes, datagrams of our format naming agent 0's
#   neighbour 1 (and agent 0 itself, as a reflection) with boxes it cannot
#   seal, and the same bytes replayed.
#   Asserted: no agent crashes; every agent ends exactly where the
#   undisturbed run ends (positions difference 0: nothing forged is
#   opened); agent 0 counted what it refused (bad authentication, at least
#   the forged ones the kernel delivered it) and logged it at most once a
#   second; its memory stayed within 16 MiB of what it was.
#   Usage: hostile_datagram.sh BUILD_DIR
N=${N:-8}
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/hostile_lib.bash"
[ $SANITIZED = 1 ] && FLOOD_MB=${FLOOD_MB:-48}
FLOOD_MB=${FLOOD_MB:-16}
FAULTS=("${NO_DEADLINE[@]}" --set links/transport=tcp)
#   The undisturbed run
start_fleet base --quiet "${FAULTS[@]}"
wait_fleet base 180
no_crash base
#   The flood, from the first agent's start until the run is over
t0=$SECONDS
start_agent run 0 "${FAULTS[@]}"
started () { grep -q "start: fleet" "$TMP/run/agent-0.log"; }
wait_until 20 started || fail "agent 0 did not start"
grep -q "datagrams on lossy links" "$TMP/run/agent-0.log" \
    || fail "agent 0 has no datagram socket: $(grep 'start: fleet' "$TMP/run/agent-0.log")"
mem_watch a0 "${PID[run.0]}"
python3 - "$BASE_PORT" 60 > "$TMP/flood.out" 2>&1 <<'PY' &
import os, signal, socket, struct, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def forged(sender, size):
    return b'SSD1' + struct.pack('>I', sender) + os.urandom(20) + os.urandom(16 + size)
kinds = [lambda: os.urandom(300), lambda: b'', lambda: os.urandom(64000),
         lambda: forged(1, 420), lambda: forged(0, 420), lambda: forged(7, 1), lambda: b'SSD1']
sent, forged_sent, end = 0, 0, time.time() + seconds
keep = forged(1, 420)
def report(*_):
    print('sent %d datagrams, %d forged in our format' % (sent, forged_sent))
    sys.exit(0)
signal.signal(signal.SIGTERM, report)
while time.time() < end:
    for k, kind in enumerate(kinds):
        try:
            s.sendto(kind(), ('127.0.0.1', port))
            s.sendto(keep, ('127.0.0.1', port))       # a replay of the same bytes
            sent += 2
            forged_sent += 2 if k in (3, 4, 5) else 1
        except OSError:
            pass
    time.sleep(0.0005)
report()
PY
FLOOD=$!
OTHER_PIDS+=($FLOOD)
for ((i = 1; i < N; i++)); do start_agent run $i --quiet "${FAULTS[@]}"; done
wait_fleet run 240
no_crash run
kill -TERM $FLOOD 2>/dev/null
wait $FLOOD 2>/dev/null
read -r peak0 first0 <<< "$(mem_stop a0)"
note "$(cat "$TMP/flood.out")"
note "VmRSS: agent 0 $first0 kB before, peak $peak0 kB"
check_le "agent 0's VmRSS growth (kB)" $((peak0 - first0)) $((FLOOD_MB * 1024))
refused=$(counter run 0 bad_authentication)
[ "$refused" != missing ] && [ "$refused" -ge 100 ] \
    || fail "agent 0 counted $refused refused datagrams (expected thousands)"
logged=$(grep -c "a datagram that is not a neighbour's" "$TMP/run/agent-0.log")
note "agent 0: bad authentication $refused, logged $logged times"
[ "$logged" -ge 1 ] || fail "agent 0 never said it refused a datagram"
check_le "log lines about refused datagrams (at most one a second)" "$logged" $((SECONDS - t0 + 2))
R=$(inspect run "${FAULTS[@]}" --compare "$TMP/base/state")
note "under the flood: $R"
check_le "positions' difference" "$(field "$R" maxdiff)" 0
echo "hostile_datagram: ok"
