#!/usr/bin/env bash
#   hostile_files (issue 9, item 7, "also seen in the code"): files and
#   addresses an attacker on the host could point elsewhere.
#   a. agent 0's checkpoint and state file are symbolic links to files
#      of someone else's (a victim: a valid checkpoint of agent 0's, a
#      text file) when it starts. Asserted: it does not resume from the
#      link ("resumed 0"), it runs the whole run, neither victim changes
#      (same bytes), and at the end agent-0.ckpt and agent-0.state are
#      regular files of its own (the atomic writer renames over the link,
#      never writes through it). Control: the victim checkpoint copied as
#      a regular file is resumed.
#   b. agents/host = localhost (a name): agent 0 binds its resolved
#      address only (the kernel's table of listening sockets has
#      127.0.0.1:PORT, not 0.0.0.0:PORT), and a connection to another
#      loopback address of this host (127.0.0.2:PORT) is refused; with
#      host = "*" (asked for) the same connection is accepted.
#   Usage: hostile_files.sh BUILD_DIR
N=${N:-6}
ROUNDS=${ROUNDS:-60}
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/hostile_lib.bash"
FAULTS=("${NO_DEADLINE[@]}" --set faults/checkpoint_every=10)

#   --- a. symbolic links ------------------------------------------------------
#   The victim checkpoint: agent 0's at round 20, short of the run's
#   ROUNDS, so that following the link would resume from it. Written by a
#   run of 20 rounds, at its end: copied while a run of ROUNDS went on, the
#   copy could already be its last (round ROUNDS, a finished run, not
#   resumed) on a fast machine, checkpoints coming every 10 rounds
start_fleet first --quiet "${FAULTS[@]}" --set rounds=20
wait_fleet first 120
mkdir -p "$TMP/victim" "$TMP/run/state"
cp "$TMP/first/state/agent-0.ckpt" "$TMP/victim/agent-0.ckpt"
victim_round=$(od -An -t d8 -j 40 -N 8 "$TMP/victim/agent-0.ckpt" | tr -d ' ')
[ "$victim_round" = 20 ] || fail "the victim checkpoint is of round $victim_round, not 20"
echo "someone else's file" > "$TMP/victim/notes.txt"
ln -s "$TMP/victim/agent-0.ckpt" "$TMP/run/state/agent-0.ckpt"
ln -s "$TMP/victim/notes.txt" "$TMP/run/state/agent-0.state"
sums_before=$(cd "$TMP/victim" && sha256sum agent-0.ckpt notes.txt)
start_fleet run "${FAULTS[@]}"
wait_fleet run 120
no_crash run
L=$TMP/run/agent-0.log
note "agent 0 on its links: $(grep -m1 -i "checkpoint" "$L")"
[ "$(counter run 0 resumed)" = 0 ] || fail "agent 0 resumed from a symbolic link"
[ "$(cd "$TMP/victim" && sha256sum agent-0.ckpt notes.txt)" = "$sums_before" ] \
    || fail "a victim file changed"
for f in agent-0.ckpt agent-0.state; do
    [ -f "$TMP/run/state/$f" ] && [ ! -L "$TMP/run/state/$f" ] || fail "$f is not a regular file of agent 0's"
done
R=$(inspect run)
[ "$(field "$R" round_min)" = "$ROUNDS" ] || fail "not every agent ran $ROUNDS rounds: $R"
note "victims unchanged; agent-0.ckpt and agent-0.state are agent 0's own regular files"
#   Control: the same checkpoint as a regular file is resumed
mkdir -p "$TMP/control/state"
cp "$TMP/victim/agent-0.ckpt" "$TMP/control/state/"
start_agent control 0 "${FAULTS[@]}"
wait_until 20 grep -q "resumed from checkpoint" "$TMP/control/agent-0.log" \
    || fail "control: the victim checkpoint as a regular file was not resumed: $(head -3 "$TMP/control/agent-0.log")"
term_within "${PID[control.0]}" 5 || fail "control: agent 0 ignored SIGTERM"
wait "${PID[control.0]}"; unset "PID[control.0]"
note "control: the victim checkpoint, as a regular file, is resumed"

#   --- b. binding --------------------------------------------------------------
#   listening ADDR_HEX PORT: the kernel lists a listening TCP socket there
listening () {
    local port_hex
    port_hex=$(printf '%04X' "$2")
    awk -v a="$1:$port_hex" '$2 == a && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp
}
#   connects HOST PORT: a TCP connection is accepted
connects () { timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2> /dev/null; }
#   bind_start NAME HOST: agent 0 alone with agents/host = HOST (it waits
#   at its start barrier); BPID
bind_start () {
    local name=$1 host=$2
    mkdir -p "$TMP/$name"
    "$AGENTD" --fleet "$FLEET" --id 0 --state-dir "$TMP/$name/state" "${FAULTS[@]}" \
        --set "agents/host=$host" > "$TMP/$name/agent-0.log" 2>&1 &
    BPID=$!
    OTHER_PIDS+=($BPID)
    wait_until 20 grep -q "start: fleet" "$TMP/$name/agent-0.log" \
        || fail "$name: agent 0 did not start: $(tail -2 "$TMP/$name/agent-0.log")"
    note "$name: agent 0 $(grep -o "bound [^,]*" "$TMP/$name/agent-0.log")"
}
bind_stop () {
    term_within $BPID 5 || fail "$1: agent 0 ignored SIGTERM"
    wait $BPID
}
P0=$BASE_PORT
bind_start named localhost
listening 0100007F "$P0" || fail "host = localhost: nothing listens on 127.0.0.1:$P0"
listening 00000000 "$P0" && fail "host = localhost: agent 0 listens on every address"
connects 127.0.0.1 "$P0" || fail "host = localhost: 127.0.0.1:$P0 refused"
connects 127.0.0.2 "$P0" && fail "host = localhost: 127.0.0.2:$P0 was accepted"
note "host = localhost: listening on 127.0.0.1:$P0 only; 127.0.0.2:$P0 refused"
bind_stop named
bind_start star '*'
listening 00000000 "$P0" || fail "host = *: agent 0 does not listen on every address"
connects 127.0.0.2 "$P0" || fail "host = *: 127.0.0.2:$P0 refused"
note "host = *: listening on every address, 127.0.0.2:$P0 accepted"
bind_stop star
echo "hostile_files: ok"
