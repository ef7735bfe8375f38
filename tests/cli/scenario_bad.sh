#!/usr/bin/env bash
# A malformed scenario file: `swarmshape experiment` exits 2 with one line
# naming the file and the key (issue 11); nothing runs. Each case is one
# broken file; the line must name the key given beside it.
source "$(dirname "$0")/lib.sh"
cat > "$TMP/f.zpl" <<'ZPL'
fleet
    name = bad
    rounds = 50
    agents
        count = 6
ZPL
#   case NAME KEY BODY: the scenario file BODY must give exit 2, one line, KEY
case_bad () {
    local name=$1 key=$2 body=$3
    printf '%s\n' "$body" > "$TMP/$name.zpl"
    "$SWARMSHAPE" experiment "$TMP/f.zpl" "$TMP/$name.zpl" --out "$TMP/out-$name" --insecure \
        > "$TMP/out" 2> "$TMP/err"
    local rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l < "$TMP/err")" -eq 1 ] && grep -qF "$key" "$TMP/err" \
        && grep -qF "$TMP/$name.zpl" "$TMP/err" && [ ! -e "$TMP/out-$name/trace.jsonl" ]; then
        pass "$name: exit 2, one line naming $key: $(cat "$TMP/err")"
    else
        fail "$name: rc $rc, expected one line naming $key: $(cat "$TMP/err")"
    fi
}
case_bad unknown_key "scenario/event[0]/percnt" 'scenario
    event
        at_round = 10
        do = loss
        percnt = 10
        for_rounds = 5'
case_bad bad_do "scenario/event[0]/do" 'scenario
    event
        at_round = 10
        do = explode'
case_bad bad_percent "scenario/event[1]/percent" 'scenario
    hosts = 2
    event
        at_round = 10
        do = kill
        agents = "1"
    event
        at_round = 20
        do = loss
        percent = 130
        for_rounds = 5'
case_bad no_when "scenario/event[0]/at_round" 'scenario
    event
        do = kill
        agents = "1"'
case_bad no_duration "scenario/event[0]/for_rounds" 'scenario
    event
        at_round = 5
        do = stop
        agents = "1"'
case_bad agent_range "scenario/event[0]/agents" 'scenario
    event
        at_round = 5
        do = kill
        agents = "9"'
case_bad top_key "nonsense" 'nonsense
    x = 1'
case_bad bad_policy "scenario/restart" 'scenario
    restart = sometimes
    event
        at_round = 5
        do = kill
        agents = "1"'
case_bad net_no_hosts "scenario/event[0]/do" 'scenario
    event
        at_round = 5
        do = partition
        hosts = "0"
        for_seconds = 1'
#   No event: a baseline (the fleet undisturbed), reported like any other
#   with its pace
printf 'scenario\n    name = baseline\n' > "$TMP/baseline.zpl"
"$SWARMSHAPE" experiment "$TMP/f.zpl" "$TMP/baseline.zpl" --out "$TMP/out-baseline" --insecure \
    --quiet > "$TMP/out" 2> "$TMP/err"
check "a scenario without events runs as a baseline: exit 0, completed, rounds/s reported" \
    [ $? -eq 0 ] && grep -q '"events":\[\],"completed":true' "$TMP/out-baseline/report.json" \
    && grep -Eq '"rounds_per_second":[0-9]' "$TMP/out-baseline/report.json"
"$SWARMSHAPE" experiment "$TMP/f.zpl" "$TMP/missing.zpl" --out "$TMP/o" --insecure 2> "$TMP/err"
check "missing scenario file: exit 2, one line" [ $? -eq 2 ] && [ "$(wc -l < "$TMP/err")" -eq 1 ]
"$SWARMSHAPE" experiment "$TMP/f.zpl" --out "$TMP/o" 2> "$TMP/err"
check "no scenario: exit 2" [ $? -eq 2 ]
"$SWARMSHAPE" launch "$TMP/f.zpl" --out "$TMP/o" --restart sometimes 2> "$TMP/err"
check "launch --restart sometimes: exit 2, one line" [ $? -eq 2 ] && [ "$(wc -l < "$TMP/err")" -eq 1 ]
"$SWARMSHAPE" launch "$TMP/f.zpl" --out "$TMP/o" --start-limit 5 2> "$TMP/err"
check "launch --start-limit 5: exit 2 (BURST/SECONDS)" [ $? -eq 2 ]
finish
