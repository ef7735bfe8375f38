#   scale_lib.bash (sourced by tests/integration/scale*.sh; not a test: the
#   ctest glob takes *.sh only). A fleet of N agents on this host, launched
#   by `swarmshape launch` (CURVE on, the keys' defaults, every fault key at
#   its default) against `swarmshape sim` of the same file, checked by
#   tests/fleetcheck.py compare. Gives B, SS, T (scratch, removed on exit
#   unless KEEP=1), pass/fail counting FAILS, OTHER_PIDS (killed on exit),
#   and:
#     scale_fleet NAME N ROUNDS   writes $T/NAME.zpl (ring of degree 4,
#                                 report every 10) on private ports, keygen
#     scale_sim NAME              sim of it into $T/NAME-sim
#     scale_launch NAME SECONDS   launch into $T/NAME-run in the background:
#                                 LAUNCH_PID (stderr in $T/NAME-launch.err)
#     scale_wait NAME SECONDS     wait for it (bounded); its exit status
#     scale_check NAME N WHAT     the assertions of the scale tests, one line
#                                 each; on failure the agents' log lines that
#                                 say why (epochs, losses, substitutions)
#     agent_pid NAME I            pid of agent I of the run
#     traced_round NAME           the last round of the run's trace (-1)
#   A machine that cannot hold N agents (nofile hard limit, memory) makes
#   the test say SKIP and exit 0.
set -u
B=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SS=$B/cli/swarmshape
CHECK=$SRC/tests/fleetcheck.py
T=$(mktemp -d "/tmp/ss-$(basename "$0" .sh).XXXXXX")
FAILS=0
OTHER_PIDS=()
LAUNCH_PID=

scale_cleanup () {
    [ -n "$LAUNCH_PID" ] && kill -TERM "$LAUNCH_PID" 2> /dev/null && sleep 4
    for pid in "${OTHER_PIDS[@]}"; do kill -KILL "$pid" 2> /dev/null; done
    #   what a killed launch left behind (every agent reads a fleet file of $T)
    for pid in $(pgrep -f -- "--fleet $T/"); do kill -KILL "$pid" 2> /dev/null; done
    if [ -n "${KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap scale_cleanup EXIT

fail () { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass () { echo "ok: $*"; }

#   scale_can_hold N: SKIP (exit 0) when this host cannot hold N agents
scale_can_hold () {
    local n=$1 mem
    for bin in "$SS" "$B/agentd/agentd" "$B/coordinator/coordinator"; do
        [ -x "$bin" ] || { echo "FAIL: no $bin"; exit 1; }
    done
    command -v python3 > /dev/null || { echo "SKIP: no python3"; exit 0; }
    if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt $((n + 200)) ]; then
        echo "SKIP: nofile hard limit $(ulimit -Hn) is below $((n + 200)) for $n agents"
        exit 0
    fi
    ulimit -Sn "$(ulimit -Hn)" 2> /dev/null
    #   an agent's Pss is about 2.5 MiB; ask for 8 MiB each
    mem=$(awk '/^MemAvailable:/ { print int ($2 / 1024) }' /proc/meminfo)
    if [ -n "$mem" ] && [ "$mem" -lt $((n * 8)) ]; then
        echo "SKIP: $mem MiB of memory available, $((n * 8)) wanted for $n agents"
        exit 0
    fi
}

. "$SRC/tests/ports.bash"

scale_fleet () {
    local name=$1 n=$2 rounds=$3 port
    port=$(free_ports $((n + 100))) || { echo "FAIL: no free ports"; exit 1; }
    cat > "$T/$name.zpl" <<ZPL
fleet
    name = $name
    rounds = $rounds
    graph
        kind = ring
        degree = 4
    agents
        count = $n
        base_port = $port
    coordinator
        endpoint = tcp://127.0.0.1:$((port + n))
        report_every = 10
    security
        keys = keys-$name
ZPL
    timeout 120 "$SS" keygen "$T/$name.zpl" > /dev/null 2> "$T/$name-keygen.err" \
        || { echo "FAIL: keygen: $(tail -1 "$T/$name-keygen.err")"; exit 1; }
}

scale_sim () {
    timeout 300 "$SS" sim "$T/$1.zpl" --out "$T/$1-sim" --quiet 2> "$T/$1-sim.err" \
        || { echo "FAIL: sim: $(tail -1 "$T/$1-sim.err")"; exit 1; }
}

scale_launch () {
    timeout -k 10 "$2" "$SS" launch "$T/$1.zpl" --out "$T/$1-run" 2> "$T/$1-launch.err" &
    LAUNCH_PID=$!
}

scale_wait () {
    local rc
    timeout "$2" tail --pid="$LAUNCH_PID" -f /dev/null
    wait "$LAUNCH_PID"; rc=$?
    LAUNCH_PID=
    return $rc
}

agent_pid () {
    pgrep -f -- "--fleet $T/$1.zpl --id $2( |\$)" | head -1
}

traced_round () {
    local r
    r=$(tail -n 1 "$T/$1-run/trace.jsonl" 2> /dev/null | sed -n 's/^{"round":\([0-9]*\),.*/\1/p')
    echo "${r:--1}"
}

#   scale_check NAME N WHAT: the launch of NAME equals its sim
scale_check () {
    local name=$1 n=$2 what=$3 json
    json=$(python3 "$CHECK" compare "$T/$name-run" "$T/$name-sim" "$n")
    echo "$what: $json" | cut -c1-600
    field () { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$json" "$1"; }
    local first agents min j0 sj0 dj dx states sr ep sub lost
    first=$(field first_round); agents=$(field first_agents); min=$(field min_agents)
    j0=$(field J0); sj0=$(field sim_J0); dj=$(field dJ); dx=$(field dx)
    states=$(field states); sr=$(field state_rounds_ok)
    ep=$(field epoch_changes); sub=$(field substitutions); lost=$(field lost)
    [ "$states" = "$n" ] && [ "$sr" = True ] && [ "$min" = "$n" ] \
        && pass "$what: every agent live to the last round ($n state files at the last round, $n agents in every row)" \
        || fail "$what: agents: $states state files (at the last round: $sr), fewest agents in a row $min of $n"
    [ "$ep" = 0 ] && [ "$sub" = 0 ] && [ "$lost" = 0 ] \
        && pass "$what: no epoch change, no substitution, no loss in any agent's counters" \
        || fail "$what: counters: epoch changes $ep, substitutions $sub, lost $lost: $(field worst)"
    [ "$(field same_rounds)" = True ] && [ "$first" = 0 ] && [ "$agents" = "$n" ] && [ "$j0" = "$sj0" ] \
        && pass "$what: trace complete from round 0 with all $n agents, J0 = sim's J0 = $j0" \
        || fail "$what: trace: first row round $first with $agents agents, J0 $j0 (sim $sj0), same rounds as sim: $(field same_rounds)"
    [ "$dx" = 0.0 ] && [ "$dj" = 0.0 ] \
        && pass "$what: positions and J equal sim's (difference 0)" \
        || fail "$what: launch differs from sim: positions by $dx, J by $dj"
    if [ "$(field ok)" != True ]; then
        echo "--- why (agents' logs: epochs, losses, substitutions; coordinator):"
        grep -h -E "epoch|lost|substitut|Assert|died" "$T/$name-run"/logs/agent-*.log 2> /dev/null | head -20
        grep -E "lost|late|died|deadline" "$T/$name-launch.err" | head -20
        echo "--- reproduce: KEEP=1 bash $0 $B (the run: $T/$name-run, kept with KEEP=1)"
    fi
}
