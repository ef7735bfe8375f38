#!/usr/bin/env bash
# Every bad fleet file or flag: exit 2 and exactly one line on stderr that
# names the file, the key and the problem.
source "$(dirname "$0")/lib.sh"

expect_error_in() {    # expect_error_in COMMAND NAME PATTERN ZPL [extra args...]
    local command=$1 name=$2 pattern=$3 zpl=$4; shift 4
    printf '%s' "$zpl" > "$TMP/$name.zpl"
    timeout 30 "$SWARMSHAPE" "$command" "$TMP/$name.zpl" --out "$TMP/out-$name" --quiet "$@" \
        >/dev/null 2>"$TMP/$name.err"
    local rc=$? lines
    lines=$(wc -l < "$TMP/$name.err")
    if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -q -- "$name.zpl" "$TMP/$name.err" \
            && grep -q -- "$pattern" "$TMP/$name.err"; then
        pass "$name: $(cat "$TMP/$name.err")"
    else
        fail "$name: rc=$rc lines=$lines: $(cat "$TMP/$name.err")"
    fi
}
expect_error() {    # expect_error NAME PATTERN ZPL [extra args...]: with sim
    expect_error_in sim "$@"
}

expect_error unknown_key   "fleet/model/foo: unknown key"   $'fleet\n    model\n        foo = 1\n'
expect_error bad_number    "fleet/model/ell"                $'fleet\n    model\n        ell = abc\n'
expect_error negative      "fleet/model/ell"                $'fleet\n    model\n        ell = -1\n'
expect_error huge          "fleet/model/alpha"              $'fleet\n    model\n        alpha = 1e999\n'
expect_error bad_kind      "fleet/graph/kind"               $'fleet\n    graph\n        kind = star\n'
expect_error odd_degree    "fleet/graph/degree"             $'fleet\n    graph\n        degree = 3\n'
expect_error bad_edges     "fleet/graph/edges"              $'fleet\n    agents\n        count = 3\n    graph\n        kind = edges\n        edges = "0-1 1-7"\n'
expect_error disconnected  "not connected"                  $'fleet\n    graph\n        kind = geometric\n        radius = 0.001\n'
expect_error bad_count     "fleet/agents/count"             $'fleet\n    agents\n        count = 0\n'
expect_error bad_section   "fleet/nonsense"                 $'fleet\n    nonsense\n        a = 1\n'
expect_error bad_mean      "fleet/target"                   $'fleet\n    target\n        component\n            weight = 1\n            mean = "0.5"\n            std = 0.1\n'
expect_error bad_set       "fleet/model/dim"                $'fleet\n    name = x\n' --set model/dim=7
expect_error unknown_set   "fleet/model/bogus"              $'fleet\n    name = x\n' --set model/bogus=1
expect_error syntax        "syntax"                         $'fleet\n        name = x\n  bad indentation\n'

# Ports are checked where sockets open: launch and plan refuse a fleet
# whose base_port + id passes 65535 (before any key or process), sim runs it
ports=$'fleet\n    rounds = 1\n    agents\n        count = 40\n        base_port = 65500\n'
expect_error_in launch port_overflow "fleet/agents/base_port: base_port + id = 65536 for agent 36 is above 65535" "$ports" --insecure
check "port overflow: launch started nothing, wrote no keys" [ ! -e "$TMP/keys" ] && [ ! -e "$TMP/out-port_overflow" ]
expect_error_in plan port_overflow_plan "fleet/agents/base_port: base_port + id" "$ports"
expect_error_in launch port_twice "fleet/agents/agent/port: agents 0 and 2 both listen on 127.0.0.1:7100" \
    $'fleet\n    agents\n        count = 5\n        agent\n            id = 2\n            port = 7100\n' --insecure
printf '%s' "$ports" > "$TMP/ports_sim.zpl"
timeout 60 "$SWARMSHAPE" sim "$TMP/ports_sim.zpl" --out "$TMP/out-ports_sim" --quiet 2>"$TMP/ports_sim.err"
check "port overflow: sim opens no socket and runs it" [ $? -eq 0 ] && [ -s "$TMP/out-ports_sim/summary.json" ]

timeout 10 "$SWARMSHAPE" sim "$TMP/does-not-exist.zpl" --out "$TMP/o" 2>"$TMP/missing.err"
rc=$?
check "missing file: exit 2, one line naming it" \
    [ $rc -eq 2 ] && [ "$(wc -l < "$TMP/missing.err")" -eq 1 ] && grep -q "does-not-exist.zpl" "$TMP/missing.err"

timeout 10 "$SWARMSHAPE" sim --bogus "$TMP/x.zpl" 2>"$TMP/flag.err"
rc=$?
check "unknown flag: exit 2, one line" [ $rc -eq 2 ] && [ "$(wc -l < "$TMP/flag.err")" -eq 1 ]
timeout 10 "$SWARMSHAPE" frobnicate 2>"$TMP/cmd.err"
check "unknown command: exit 2" [ $? -eq 2 ]
finish
