#!/usr/bin/env bash
#   systemd.sh BUILD_DIR: the units for real, with systemd as PID 1 in a
#   container of deploy/container/Containerfile.systemd (podman run
#   --systemd=always --cap-add SYS_ADMIN, no network but its loopback).
#   One host's `swarmshape plan` bundle (4 agents and the coordinator) is
#   copied in and installed with its install.sh; then:
#   1. `systemctl start swarmshape-agents.target` returns with every agent
#      active: Type=notify, and each agent's own "start:" line (its sockets
#      set up) comes before systemd's "Started" line (READY=1 came after).
#   2. The agents run as swarmshape-agent, the coordinator as
#      swarmshape-coordinator; neither user can read the other's secret
#      certificate; the key directory is 0750 root:swarmshape.
#   3. The hardening is in force in the running processes: no capabilities,
#      NoNewPrivs, a seccomp filter, / and /etc read-only in the unit's
#      mount namespace while its state directory is writable, MemoryMax=
#      and TasksMax= applied; `systemd-analyze security` scores each unit
#      (printed) at most SECURITY_MAX.
#   4. kill -9 of agent 1's main process: systemd restarts it (NRestarts 1,
#      a new PID), it resumes from its checkpoint, and the run completes:
#      every agent's unit ends with status 0, the coordinator writes the
#      run's files, and the result is within the fault bounds of a restart
#      (tests/fault/restart.sh): every agent live at the end, bias <=
#      1e-9, disagreement <= max (5 x sim's, 0.05), J <= 1.5 x sim's J.
#   The container is removed at the end. SKIP when podman cannot run a
#   container, or systemd does not boot in one here.
source "$(dirname "$0")/../cli/lib.sh"
source "$(dirname "$0")/lib.bash"
deploy_require
SECURITY_MAX=${SECURITY_MAX:-3.0}
IMAGE=$(deploy_systemd_image) || exit 1

F=$TMP/host.zpl
cat > "$F" << 'ZPL'
fleet
    name = units
    rounds = 60000
    graph
        kind = ring
        degree = 2
    agents
        count = 4
        host = 127.0.0.1
        base_port = 7100
    coordinator
        endpoint = tcp://127.0.0.1:7099
        report_every = 10
ZPL
"$SWARMSHAPE" plan "$F" --out "$TMP/bundles" --quiet > "$TMP/plan.out" 2>&1 \
    || { fail "swarmshape plan: $(cat "$TMP/plan.out")"; finish; }
B=$TMP/bundles/127.0.0.1

C=${DEPLOY_RUN}-systemd
deploy_track container "$C"
podman run -d --name "$C" --systemd=always --cap-add SYS_ADMIN --network none \
    "$IMAGE" /lib/systemd/systemd > "$TMP/run.out" 2>&1 \
    || { echo "SKIP: systemd does not start in a container here: $(tail -n 1 "$TMP/run.out")"; exit 0; }
cx() { timeout 120 podman exec "$C" "$@"; }
#   Bounded: until systemd answers on its socket, then until it settles
for ((i = 0; i < 120; i++)); do
    state=$(cx systemctl is-system-running --wait 2>&1)
    case "$state" in running|degraded|maintenance|stopping) break ;; esac
    sleep 0.5
done
case "$state" in
    running|degraded) pass "systemd is PID 1 and up ($state)" ;;
    *) echo "SKIP: systemd did not boot in the container: $state"; podman logs --tail 5 "$C"; exit 0 ;;
esac
[ "$state" = degraded ] && cx systemctl --failed --no-legend | sed 's/^/     failed: /'

#   The bundle, as an operator copies it to its host
podman cp "$B" "$C:/root/bundle" || { fail "podman cp of the bundle"; finish; }
cx /root/bundle/install.sh > "$TMP/install.out" 2>&1
check "install.sh of the bundle exits 0" [ $? -eq 0 ]
[ "$FAILS" -eq 0 ] || { cat "$TMP/install.out"; cx journalctl --no-pager -n 30; finish; }
#   install.sh started the units; the target start returns once all are up
cx systemctl start swarmshape-agents.target
check "systemctl start swarmshape-agents.target returns 0" [ $? -eq 0 ]
agents=(agentd@0.service agentd@1.service agentd@2.service agentd@3.service)
show() { cx systemctl show -P "$1" "$2"; }
for u in coordinator.service "${agents[@]}"; do
    check "$u: Type=notify, active" [ "$(show Type "$u") $(show ActiveState "$u")" = "notify active" ]
done
#   READY=1 came once the sockets were set up: agentd's start line is
#   logged before systemd's "Started"
cx journalctl --no-pager -o short-monotonic -u agentd@2 > "$TMP/journal2" 2>&1
start_line=$(grep -n 'start: fleet units' "$TMP/journal2" | head -n 1 | cut -d: -f1)
started_line=$(grep -n 'Started.*swarmshape agent 2' "$TMP/journal2" | head -n 1 | cut -d: -f1)
check "agentd@2 logged its start (line ${start_line:-none}) before systemd counted it started (line ${started_line:-none})" \
    [ "${start_line:-9999}" -lt "${started_line:-0}" ]

#   2. users
pid_of() { show MainPID "$1"; }
user_of() { cx ps -o user= -p "$(pid_of "$1")" | tr -d ' '; }
check "agents run as swarmshape-agent" [ "$(user_of agentd@0.service)" = swarmshape-agent ]
check "the coordinator runs as swarmshape-coordinator" [ "$(user_of coordinator.service)" = swarmshape-coordinator ]
check "the agents' user cannot read the coordinator's secret" \
    bash -c "! timeout 60 podman exec '$C' setpriv --reuid swarmshape-agent --regid swarmshape-agent --init-groups cat /etc/swarmshape/keys/coordinator.key_secret > /dev/null 2>&1"
check "the coordinator's user cannot read an agent's secret" \
    bash -c "! timeout 60 podman exec '$C' setpriv --reuid swarmshape-coordinator --regid swarmshape-coordinator --init-groups cat /etc/swarmshape/keys/agent-0.key_secret > /dev/null 2>&1"
check "each reads its own" bash -c "timeout 60 podman exec '$C' setpriv --reuid swarmshape-agent --regid swarmshape-agent --init-groups cat /etc/swarmshape/keys/agent-0.key_secret > /dev/null"
check "key directory 0750 root:swarmshape" [ "$(cx stat -c '%a %U:%G' /etc/swarmshape/keys)" = "750 root:swarmshape" ]

#   3. hardening in force
for u in coordinator.service agentd@0.service; do
    pid=$(pid_of "$u")
    status=$(cx cat "/proc/$pid/status")
    check "$u: no effective capabilities" grep -q '^CapEff:[[:space:]]*0000000000000000$' <<< "$status"
    check "$u: NoNewPrivs" grep -q '^NoNewPrivs:[[:space:]]*1$' <<< "$status"
    check "$u: a seccomp filter" grep -q '^Seccomp:[[:space:]]*2$' <<< "$status"
    #   In the unit's mount namespace (nsenter needs a privileged exec):
    #   a write fails for being read-only, not for anything else
    in_ns() { timeout 60 podman exec --privileged "$C" nsenter -t "$pid" -m sh -c "$1" 2>&1; }
    check "$u: /etc read-only in its namespace" \
        grep -q 'Read-only file system' <<< "$(in_ns ': > /etc/swarmshape/probe')"
    check "$u: /usr read-only in its namespace" \
        grep -q 'Read-only file system' <<< "$(in_ns ': > /usr/probe')"
    dir=$(show StateDirectory "$u")
    check "$u: its state directory /var/lib/$dir writable" \
        bash -c "timeout 60 podman exec --privileged '$C' nsenter -t $pid -m sh -c ': > /var/lib/$dir/.probe && rm /var/lib/$dir/.probe'"
done
check "agentd@0: MemoryMax 256M, TasksMax 16" \
    [ "$(show MemoryMax agentd@0.service) $(show TasksMax agentd@0.service)" = "268435456 16" ]
check "coordinator: MemoryMax 1G, TasksMax 32" \
    [ "$(show MemoryMax coordinator.service) $(show TasksMax coordinator.service)" = "1073741824 32" ]
for u in agentd@0.service coordinator.service; do
    score=$(cx systemd-analyze security "$u" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    echo "     systemd-analyze security $u: $score"
    check "$u: exposure $score <= $SECURITY_MAX" \
        awk -v s="${score:-99}" -v m="$SECURITY_MAX" 'BEGIN { exit !(s <= m) }'
done

#   4. kill -9 of agent 1 mid-run: systemd restarts it, it resumes
trace_round() { cx sh -c 'tail -n 1 /var/lib/swarmshape/coordinator/trace.jsonl 2>/dev/null' \
                | sed -n 's/.*"round":\([0-9]*\).*/\1/p'; }
for ((i = 0; i < 600; i++)); do [ "$(trace_round)" -ge 300 ] 2> /dev/null && break; sleep 0.2; done
old=$(pid_of agentd@1.service)
check "the run reached round 300 before the kill" [ "$(trace_round)" -ge 300 ]
cx kill -9 "$old"
for ((i = 0; i < 150; i++)); do
    new=$(pid_of agentd@1.service)
    [ "$new" != 0 ] && [ "$new" != "$old" ] && [ "$(show ActiveState agentd@1.service)" = active ] && break
    sleep 0.2
done
check "systemd restarted agentd@1 (NRestarts 1, PID $old -> $new)" \
    [ "$(show NRestarts agentd@1.service) $((new != old))" = "1 1" ]
for ((i = 0; i < 100; i++)); do
    cx journalctl --no-pager -u agentd@1 | grep -q 'resumed from checkpoint' && break
    sleep 0.2
done
check "agentd@1 resumed from its checkpoint" \
    bash -c "timeout 60 podman exec '$C' journalctl --no-pager -u agentd@1 | grep -q 'resumed from checkpoint'"

#   the run completes
for ((i = 0; i < 900; i++)); do
    done_units=0
    for u in "${agents[@]}"; do [ "$(show ActiveState "$u")" = inactive ] && done_units=$((done_units + 1)); done
    [ $done_units -eq 4 ] && cx test -s /var/lib/swarmshape/coordinator/summary.json && break
    sleep 0.2
done
for u in "${agents[@]}"; do
    check "$u ended with status 0" \
        [ "$(show ActiveState "$u") $(show ExecMainStatus "$u") $(show Result "$u")" = "inactive 0 success" ]
done
mkdir -p "$TMP/run"
podman cp "$C:/var/lib/swarmshape/coordinator/." "$TMP/run/" 2> /dev/null
check "the coordinator wrote the run's files" \
    bash -c "[ -s '$TMP/run/summary.json' ] && [ -s '$TMP/run/positions.csv' ]"
"$SWARMSHAPE" sim "$B/fleet.zpl" --out "$TMP/sim" --quiet > /dev/null 2>&1 || fail "sim of the bundle's fleet"
if line=$("$DEPLOY_PYTHON" - "$TMP/run/summary.json" "$TMP/sim/summary.json" << 'PY'
import json, sys
run, sim = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
dis_max = max(5 * sim['disagreement'], 0.05)
print('rounds %d, J %.6g (sim %.6g, ratio %.4f), disagreement %.3g (<= %.3g), bias %.3g, '
      'lost %s, missed reports %s' % (run['rounds'], run['J'], sim['J'], run['J'] / sim['J'],
      run['disagreement'], dis_max, run['bias'], run['lost'], run.get('missed_reports')))
ok = (run['rounds'] == sim['rounds'] and run['agents'] == sim['agents'] and not run['lost']
      and run['bias'] <= 1e-9 and run['disagreement'] <= dis_max and run['J'] <= 1.5 * sim['J'])
sys.exit(0 if ok else 1)
PY
); then
    pass "the run completed within the restart's fault bounds: $line"
else
    fail "the run is outside the restart's fault bounds: $line"
fi
[ "$FAILS" -eq 0 ] || cx journalctl --no-pager -n 40 -u coordinator -u 'agentd@*'
finish
