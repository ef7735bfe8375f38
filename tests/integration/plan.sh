#!/usr/bin/env bash
# swarmshape plan: one bundle per host of a 3-host fleet; each bundle holds
# every agent's and the coordinator's public certificate, exactly its own
# agents' secret certificates (and the coordinator's secret and the
# operator's public key on the coordinator's host only; the operator's
# secret in no bundle), the right units.txt, a
# fleet file that plans the same fleet, and an install.sh that parses.
source "$(dirname "$0")/../cli/lib.sh"

cat > "$TMP/three.zpl" <<'ZPL'
fleet
    name = three
    rounds = 0
    graph
        kind = ring
        degree = 2
    agents
        count = 6
        host = 10.0.0.1
        agent
            id = 2
            host = 10.0.0.2
        agent
            id = 3
            host = 10.0.0.2
        agent
            id = 4
            host = 10.0.0.3
        agent
            id = 5
            host = 10.0.0.3
            port = 7300
    coordinator
        endpoint = tcp://10.0.0.2:7099
ZPL
declare -A agents_of=([10.0.0.1]="0 1" [10.0.0.2]="2 3" [10.0.0.3]="4 5")
coordinator_host=10.0.0.2

"$SWARMSHAPE" plan "$TMP/three.zpl" --out "$TMP/bundles" >"$TMP/out" 2>"$TMP/err"
check "plan exits 0" [ $? -eq 0 ]
check "nothing on stderr" [ ! -s "$TMP/err" ]
check "a summary line per host" [ "$(grep -c ' -> ' "$TMP/out")" -eq 3 ]
check "keys generated next to the fleet file" [ -f "$TMP/keys/agent-5.key_secret" ]
check "exactly the three hosts' bundles" \
    [ "$(cd "$TMP/bundles" && ls | sort | tr '\n' ' ')" = "10.0.0.1 10.0.0.2 10.0.0.3 " ]

mode() { stat -c %a "$1"; }
for host in 10.0.0.1 10.0.0.2 10.0.0.3; do
    b=$TMP/bundles/$host
    mine=${agents_of[$host]}
    for i in 0 1 2 3 4 5; do
        check "$host: public agent-$i.key" cmp -s "$b/keys/agent-$i.key" "$TMP/keys/agent-$i.key"
        if [[ " $mine " == *" $i "* ]]; then
            check "$host: own secret agent-$i.key_secret" \
                cmp -s "$b/keys/agent-$i.key_secret" "$TMP/keys/agent-$i.key_secret"
            check "$host: agent-$i.key_secret is 0600" [ "$(mode "$b/keys/agent-$i.key_secret")" = 600 ]
        else
            check "$host: no secret of agent $i" [ ! -e "$b/keys/agent-$i.key_secret" ]
        fi
    done
    check "$host: public coordinator.key" cmp -s "$b/keys/coordinator.key" "$TMP/keys/coordinator.key"
    expected=""
    if [ "$host" = "$coordinator_host" ]; then
        check "$host: coordinator secret" \
            cmp -s "$b/keys/coordinator.key_secret" "$TMP/keys/coordinator.key_secret"
        check "$host: coordinator.key_secret is 0600" [ "$(mode "$b/keys/coordinator.key_secret")" = 600 ]
        expected="coordinator.service"$'\n'
    else
        check "$host: no coordinator secret" [ ! -e "$b/keys/coordinator.key_secret" ]
    fi
    # The operator's public key on the coordinator's host only, its secret nowhere
    if [ "$host" = "$coordinator_host" ]; then
        check "$host: public operator.key" cmp -s "$b/keys/operator.key" "$TMP/keys/operator.key"
    else
        check "$host: no operator.key" [ ! -e "$b/keys/operator.key" ]
    fi
    check "$host: no operator secret" [ ! -e "$b/keys/operator.key_secret" ]
    # Nothing else: exactly 7 public (8 with the operator's) and the expected secret certificates
    n_secret=$(wc -w <<<"$mine")
    n_public=7
    [ "$host" = "$coordinator_host" ] && n_secret=$((n_secret + 1)) && n_public=8
    check "$host: $n_public public certificates" [ "$(ls "$b/keys" | grep -c '\.key$')" -eq "$n_public" ]
    check "$host: $n_secret secret certificates" \
        [ "$(ls "$b/keys" | grep -c '\.key_secret$')" -eq "$n_secret" ]
    check "$host: no secret of another host anywhere in the bundle" \
        [ "$(find "$b" -name '*_secret' | wc -l)" -eq "$n_secret" ]
    for i in $mine; do expected+="agentd@$i.service"$'\n'; done
    check "$host: units.txt" [ "$(cat "$b/units.txt")"$'\n' = "$expected" ]
    check "$host: bundle directory 0700" [ "$(mode "$b")" = 700 ]
    check "$host: keys directory 0700" [ "$(mode "$b/keys")" = 700 ]
    check "$host: install.sh is executable" [ -x "$b/install.sh" ]
    check "$host: install.sh passes bash -n" bash -n "$b/install.sh"
    check "$host: install.sh creates the system users" grep -q 'useradd --system' "$b/install.sh"
    check "$host: agents and coordinator under separate users" \
        bash -c "grep -q '^agent_user=swarmshape-agent$' '$b/install.sh' \
                 && grep -q '^coordinator_user=swarmshape-coordinator$' '$b/install.sh'"
    want_coord=false; [ "$host" = "$coordinator_host" ] && want_coord=true
    check "$host: install.sh knows whether the coordinator runs here" \
        grep -q "^coordinator=$want_coord$" "$b/install.sh"
    check "$host: key directory 0750 root:swarmshape" \
        grep -q 'install -d -m 0750 -o root -g "$group" "$prefix/keys.new"' "$b/install.sh"
    check "$host: install.sh installs into /etc/swarmshape" grep -q '^prefix=/etc/swarmshape$' "$b/install.sh"
    check "$host: fleet.zpl names the bundle's keys" grep -Eq '^ +keys = "?keys"?$' "$b/fleet.zpl"
    # The bundle's fleet file is the fleet planned: planning it again gives
    # the same hosts and units
    "$SWARMSHAPE" plan "$b/fleet.zpl" --out "$TMP/replan-$host" --quiet 2>>"$TMP/err"
    check "$host: its fleet.zpl plans again" [ $? -eq 0 ]
    check "$host: to the same units" cmp -s "$b/units.txt" "$TMP/replan-$host/$host/units.txt"
done

# An existing bundle is refused, replaced with --force (no stale secrets)
"$SWARMSHAPE" plan "$TMP/three.zpl" --out "$TMP/bundles" --quiet 2>"$TMP/err"
check "an existing bundle is refused (exit 2)" [ $? -eq 2 ]
check "... with a line naming it" grep -q "10.0.0.1: the bundle exists" "$TMP/err"
touch "$TMP/bundles/10.0.0.1/keys/agent-9.key_secret"
"$SWARMSHAPE" plan "$TMP/three.zpl" --out "$TMP/bundles" --force --quiet 2>"$TMP/err"
check "--force replaces it" [ $? -eq 0 ]
check "... leaving no stale secret" [ ! -e "$TMP/bundles/10.0.0.1/keys/agent-9.key_secret" ]

# --set overrides reach the bundles; --prefix reaches install.sh
"$SWARMSHAPE" plan "$TMP/three.zpl" --out "$TMP/moved" --quiet --prefix /opt/ss/etc \
    --set agents/agent/host=10.0.0.9 2>"$TMP/err"
rc=$?
check "plan with --set and --prefix" [ $rc -eq 0 ]
check "install.sh uses --prefix" grep -q '^prefix=/opt/ss/etc$' "$TMP/moved/10.0.0.1/install.sh"

# A picture as the target travels with the bundles (target-NAME), and the
# bundle's fleet.zpl names it there
mkdir -p "$TMP/pics"
printf 'P2 2 2 255 0 255 255 0\n' > "$TMP/pics/logo.pgm"
"$SWARMSHAPE" plan "$TMP/three.zpl" --out "$TMP/pictured" --quiet \
    --set target/image=pics/logo.pgm 2>"$TMP/err"
check "plan with target/image" [ $? -eq 0 ]
for host in 10.0.0.1 10.0.0.2 10.0.0.3; do
    b=$TMP/pictured/$host
    check "$host: the picture in the bundle" cmp -s "$b/target-logo.pgm" "$TMP/pics/logo.pgm"
    check "$host: fleet.zpl names it" grep -Eq '^ +image = "?target-logo.pgm"?$' "$b/fleet.zpl"
    check "$host: install.sh installs it" grep -q 'for f in "$here"/target-\*' "$b/install.sh"
    "$SWARMSHAPE" plan "$b/fleet.zpl" --out "$TMP/replan-pic-$host" --quiet 2>>"$TMP/err"
    check "$host: its fleet.zpl plans again" [ $? -eq 0 ]
done

# Configuration errors: exit 2 with one line
expect_2() {   # expect_2 "what" args...
    local what=$1; shift
    "$SWARMSHAPE" plan "$TMP/three.zpl" --out "$TMP/err-out" "$@" >/dev/null 2>"$TMP/err"
    local rc=$?
    check "$what: exit 2" [ $rc -eq 2 ]
    check "$what: one line" [ "$(wc -l <"$TMP/err")" -eq 1 ]
}
expect_2 "loopback coordinator across hosts" --set coordinator/endpoint=tcp://127.0.0.1:7099
expect_2 "wildcard coordinator" --set 'coordinator/endpoint=tcp://*:7099'
expect_2 "insecure fleet" --set security/curve=0
expect_2 "host that cannot name a directory" --set agents/host=../x
expect_2 "relative prefix" --prefix etc/swarmshape
"$SWARMSHAPE" plan "$TMP/three.zpl" >/dev/null 2>"$TMP/err"
check "missing --out: exit 2" [ $? -eq 2 ]
check "no bundle written on errors" [ ! -e "$TMP/err-out" ]
finish
