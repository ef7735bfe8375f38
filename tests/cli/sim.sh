#!/usr/bin/env bash
# swarmshape sim writes the run's files exactly as contract.md says, shows
# progress on stderr, and --centralized runs the reference.
source "$(dirname "$0")/lib.sh"

cat > "$TMP/small.zpl" <<'ZPL'
fleet
    name = small
    rounds = 60
    agents
        count = 8
    coordinator
        report_every = 20
ZPL

timeout 120 "$SWARMSHAPE" sim "$TMP/small.zpl" --out "$TMP/run" 2>"$TMP/err"
check "sim exits 0" [ $? -eq 0 ]
check "progress lines on stderr" grep -q "round 60/60" "$TMP/err"
for f in initial.csv positions.csv trace.jsonl summary.json; do
    check "$f written" [ -s "$TMP/run/$f" ]
done
python3 - "$TMP/run" <<'PY'
import csv, json, math, sys
run = sys.argv[1]
def rows(name):
    with open(f"{run}/{name}") as f:
        return list(csv.reader(f))
for name in ("initial.csv", "positions.csv"):
    r = rows(name)
    assert r[0] == ["id", "x1", "x2"], r[0]
    assert len(r) == 9, len(r)
    assert [int(x[0]) for x in r[1:]] == list(range(8))
    for x in r[1:]:
        for v in x[1:]:
            assert 0 <= float(v) <= 1 and float(repr(float(v))) == float(v)
trace = [json.loads(line) for line in open(f"{run}/trace.jsonl")]
assert [t["round"] for t in trace] == [0, 20, 40, 60], [t["round"] for t in trace]
for t in trace:
    for key in ("round", "agents", "J", "kl", "disagreement", "step"):
        assert key in t, key
    assert t["agents"] == 8 and math.isfinite(t["J"])
assert trace[-1]["J"] < trace[0]["J"]
s = json.load(open(f"{run}/summary.json"))
for key in ("rounds", "agents", "J0", "J", "seconds", "rounds_per_second"):
    assert key in s, key
assert s["rounds"] == 60 and s["agents"] == 8 and s["J"] == trace[-1]["J"]
assert s["J0"] == trace[0]["J"]
PY
check "files follow the contract" [ $? -eq 0 ]

timeout 120 "$SWARMSHAPE" sim "$TMP/small.zpl" --out "$TMP/ref" --centralized --quiet 2>"$TMP/err"
check "sim --centralized exits 0" [ $? -eq 0 ]
check "--quiet prints nothing" [ ! -s "$TMP/err" ]
check "centralized summary says so" grep -q '"mode":"centralized"' "$TMP/ref/summary.json"

# Same fleet, same numbers: sim is deterministic
timeout 120 "$SWARMSHAPE" sim "$TMP/small.zpl" --out "$TMP/again" --quiet
check "sim is deterministic" cmp -s "$TMP/run/positions.csv" "$TMP/again/positions.csv"

# --set reaches the run
timeout 120 "$SWARMSHAPE" sim "$TMP/small.zpl" --out "$TMP/set" --quiet --set agents/count=5 --set rounds=3
check "--set overrides" [ "$(wc -l < "$TMP/set/positions.csv")" -eq 6 ]

"$SWARMSHAPE" --version | grep -q "^swarmshape [0-9]"
check "--version" [ $? -eq 0 ]
"$SWARMSHAPE" --help | grep -q "sim FLEET"
check "--help" [ $? -eq 0 ]
"$SWARMSHAPE" sim "$TMP/small.zpl" 2>"$TMP/err"
check "sim without --out exits 2 with one line" [ $? -eq 2 ] && [ "$(wc -l < "$TMP/err")" -eq 1 ]
finish
