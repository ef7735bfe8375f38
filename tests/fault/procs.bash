#   Shared by agent_lost.sh and coordinator_restart.sh (sourced, not a test:
#   the ctest glob takes *.sh only). Usage: . procs.bash BUILD_DIR NAME
#   Gives B, SS, AGENTD, COORD, a scratch directory T removed on exit, PIDS
#   (killed by pid on exit), pass/fail counting FAILS, private ports BASE
#   (agents) and CPORT (coordinator), and two bounded waits:
#     finish PID SECONDS     wait for PID at most SECONDS (then kill it); its status
#     wait_for SECONDS CMD.. until CMD succeeds, at most SECONDS
#   and fleet_file NAME: writes $T/f.zpl, a ring of N agents on those ports
#   reporting every EVERY rounds for ROUNDS rounds, with the `faults`
#   section read from stdin, and generates its keys
set -u
B=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
SS=$B/cli/swarmshape
AGENTD=$B/agentd/agentd
COORD=$B/coordinator/coordinator
T=$(mktemp -d "/tmp/ss-${2:-fault}.XXXXXX")
FAILS=0
PIDS=()

cleanup () {
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    if [ -n "${KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT

fail () { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass () { echo "ok: $*"; }

finish () {
    local until=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null && [ $SECONDS -lt $until ]; do sleep 0.1; done
    kill -KILL "$1" 2>/dev/null
    wait "$1"
}

wait_for () {
    local until=$((SECONDS + $1)); shift
    until "$@"; do
        [ $SECONDS -ge $until ] && return 1
        sleep 0.05
    done
}

. "$(dirname "${BASH_SOURCE[0]}")/../ports.bash"
BASE=$(free_ports 100) || { echo "FAIL: no free ports"; exit 1; }
CPORT=$((BASE + 99))

fleet_file () {
    {
        echo "fleet"
        echo "    name = $1"
        echo "    rounds = $ROUNDS"
        cat
        cat <<ZPL
    graph
        kind = ring
        degree = 4
    agents
        count = $N
        base_port = $BASE
    coordinator
        endpoint = tcp://127.0.0.1:$CPORT
        report_every = $EVERY
    security
        keys = keys
ZPL
    } > "$T/f.zpl"
    timeout 60 "$SS" keygen "$T/f.zpl" > /dev/null 2>&1 || fail "keygen"
}
