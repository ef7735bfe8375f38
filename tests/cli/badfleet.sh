#!/usr/bin/env bash
# Every bad fleet file or flag: exit 2 and exactly one line on stderr that
# names the file, the key and the problem.
source "$(dirname "$0")/lib.sh"

expect_error() {    # expect_error NAME PATTERN ZPL [extra args...]
    local name=$1 pattern=$2 zpl=$3; shift 3
    printf '%s' "$zpl" > "$TMP/$name.zpl"
    timeout 30 "$SWARMSHAPE" sim "$TMP/$name.zpl" --out "$TMP/out-$name" --quiet "$@" \
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
