#   Shared by the experiment and launch-supervision tests (sourced, not a
#   test: the ctest glob takes *.sh only). Usage: . experiment_lib.bash BUILD_DIR
#   Gives B, SS, SRC, a scratch directory T (every process whose command
#   line names it is killed on exit, then it is removed), pass/fail
#   counting FAILS, done_checks NAME (the closing line and exit status),
#   wait_for SECONDS CMD..., and
#     exp_fleet NAME ROUNDS COUNT SEED TIMEOUT_MS LOST_MS: $T/f.zpl, a ring
#     (degree 4) of COUNT agents on a free block of loopback ports, m = 4,
#     nq = 16, report every 10, CURVE keys in $T/keys, heartbeat 100 ms,
#     round timeout TIMEOUT_MS, lost after LOST_MS, checkpoints every 10.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../ports.bash"
B=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
SS=$B/cli/swarmshape
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T=$(mktemp -d "/tmp/ss-$(basename "$0" .sh).XXXXXX")
FAILS=0
cleanup () {
    for pid in $(pgrep -f "$T/"); do kill -KILL "$pid" 2>/dev/null; done
    [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
fail () { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass () { echo "ok: $*"; }
done_checks () {
    [ $FAILS -eq 0 ] && echo "$1: all passed" || echo "$1: $FAILS failed"
    exit $((FAILS > 0))
}
wait_for () {
    local until=$((SECONDS + $1)); shift
    until "$@"; do [ $SECONDS -ge $until ] && return 1; sleep 0.05; done
}
exp_fleet () {
    local port
    port=$(free_ports 100) || { echo "FAIL: no free ports"; exit 1; }
    cat > "$T/f.zpl" <<ZPL
fleet
    name = $1
    rounds = $2
    seed = $4
    model
        m = 4
        nq = 16
    graph
        kind = ring
        degree = 4
    agents
        count = $3
        base_port = $((port + 1))
    coordinator
        endpoint = tcp://127.0.0.1:$port
        report_every = 10
    security
        keys = keys
    faults
        heartbeat_ms = 100
        round_timeout_ms = $5
        lost_after_ms = $6
        checkpoint_every = 10
ZPL
}
#   left_namespaces DIR: the namespaces an experiment made (its logs/hosts.log
#   files under DIR say which) that still exist; prints them
left_namespaces () {
    local made
    made=$(grep -ho '^+ ip netns add [^ ]*' $(find "$1" -name hosts.log) 2>/dev/null | awk '{print $5}')
    [ -n "$made" ] || return 0
    ip netns list 2>/dev/null | awk '{print $1}' | grep -Fx "$made"
}
