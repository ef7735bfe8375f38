# netns_lib.bash: hosts made of network namespaces on a private bridge, for
# the fault-injection and multi-host tests. Source it after tests/cli/lib.sh
# (which sets BUILD, TMP, pass/fail/check/finish and the EXIT trap):
#
#     . "$(dirname "$0")/../cli/lib.sh" "$1"
#     . "$(dirname "$0")/netns_lib.bash"
#     ns_require || exit 0              # prints SKIP when not root / no netns
#     ns_create_hosts 3                 # NS_H0..: hosts 0..2, 10.77.X.1..3
#     ns_exec 0 some command            # run in host 0's namespace
#     ns_netem 1 "loss 10%"             # netem on host 1's link (egress)
#     ns_link_down 2; ns_link_up 2      # cut / restore host 2's wire
#
# Two kinds of wire, chosen by ns_create_hosts N [veth|wire|auto]:
# - veth: a namespace "${NS_P}br" holds a bridge br0; host i is the
# namespace "${NS_P}h<i>" whose eth0 is one end of a veth pair, the other
# end (v<i>) is a port of br0; impairments are `tc qdisc ... netem` on eth0.
# - wire: host i's interface is a TUN device tun0; one process of ours
#   (ns_wire_py below, started in the root namespace, it opens each tun0 inside its
#   namespace and owns no other socket) carries every IP packet from host to
#   host and applies the impairments itself, with netem's syntax and meaning
#   (loss P%, delay T [J], duplicate P%, reorder P% [C%], and "down").
#   Used when the kernel has no sch_netem (this machine's does not), which
#   "auto" (the default) probes for.
# Nothing is created in the root namespace: the machine's own networking is
# never touched. Addresses 10.77.X.(i+1)/24 with
# X drawn per run; every name carries the shell's pid and a random number, so
# parallel runs never collide. ns_cleanup (registered in cleanup_hooks, run
# by lib.sh's EXIT trap; INT/TERM/HUP exit through it too) kills every
# process this library started and deletes the namespaces (with them the
# veths and the bridge).

NS_P="ss$$r$((RANDOM % 1000))"
NS_NET="10.77.$(( ($$ + RANDOM) % 200 + 20 ))"
NS_N=0
NS_KIND=""             # veth | wire
NS_WIRE_PID=""
NS_PIDS=()              # every process started by ns_spawn
NS_MADE=()              # namespaces created, deleted by ns_cleanup

# ns_require: root and a working `ip netns`, else "SKIP: ..." and status 1
ns_require () {
    if [ "$(id -u)" -ne 0 ]; then echo "SKIP: not root (network namespaces need root)"; return 1; fi
    command -v ip > /dev/null || { echo "SKIP: no ip(8)"; return 1; }
    command -v tc > /dev/null || { echo "SKIP: no tc(8)"; return 1; }
    if ! ip netns add "${NS_P}probe" 2> /dev/null; then
        echo "SKIP: ip netns add fails here"; return 1
    fi
    ip netns del "${NS_P}probe"
    return 0
}

ns_name () { echo "${NS_P}h$1"; }
ns_ip () { echo "$NS_NET.$(($1 + 1))"; }

# ns_wire_py: the wire's program (see ns_create_hosts)
ns_wire_py () {
    cat <<'PY'
# ns_wire.py CTL READY NET NS0 NS1 ...: the userspace wire of netns_lib.bash.
# Opens a TUN device tun0 inside each namespace NSi (host i, address
# NET.(i+1)), then forwards every IPv4 packet from host i to the host its
# destination address names, applying host i's egress impairments, read
# from CTL (lines "i<TAB>netem args", reread when it changes):
#   down                   host i's cable is pulled: nothing in or out
#   loss P%                drop with probability P
#   delay T [J]            hold T +- J (uniform) before delivery
#   duplicate P%           deliver a second copy with probability P
#   reorder P% [C%]        (with delay) P of the packets go at once, the
#                          rest are delayed: they overtake each other
# Runs until SIGTERM; prints counters on exit.
import ctypes, fcntl, heapq, os, random, re, select, signal, struct, sys, time
ctl, ready, net, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454ca, 0x0001, 0x1000
fds = []
for name in names:
    nsfd = os.open('/run/netns/' + name, os.O_RDONLY)
    if libc.setns(nsfd, CLONE_NEWNET) != 0:
        sys.exit('setns %s: %s' % (name, os.strerror(ctypes.get_errno())))
    os.close(nsfd)
    fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', b'tun0', IFF_TUN | IFF_NO_PI))
    fds.append(fd)
prefix = bytes(int(x) for x in net.split('.'))
host_of_fd = {fd: i for i, fd in enumerate(fds)}

def parse(args):
    p = {'down': False, 'loss': 0.0, 'delay': 0.0, 'jitter': 0.0, 'dup': 0.0, 'reorder': 0.0}
    t = args.split()
    def pct(x): return float(x.rstrip('%')) / 100.0
    def sec(x):
        m = re.match(r'^([0-9.]+)(us|ms|s)?$', x)
        return float(m.group(1)) * {'us': 1e-6, 'ms': 1e-3, 's': 1.0, None: 1e-6}[m.group(2)]
    i = 0
    while i < len(t):
        w = t[i]
        if w == 'down': p['down'] = True
        elif w == 'loss':
            i += 1
            if t[i] == 'random': i += 1
            p['loss'] = pct(t[i])
        elif w == 'delay':
            i += 1; p['delay'] = sec(t[i])
            if i + 1 < len(t) and re.match(r'^[0-9.]+(us|ms|s)$', t[i + 1]):
                i += 1; p['jitter'] = sec(t[i])
        elif w == 'duplicate': i += 1; p['dup'] = pct(t[i])
        elif w == 'reorder': i += 1; p['reorder'] = pct(t[i])
        elif w.endswith('%'): pass          # a correlation: ignored
        else: sys.stderr.write('wire: ignored %r\n' % w)
        i += 1
    return p
params = [parse('') for _ in names]
ctl_mtime = None
def reread():
    global ctl_mtime, params
    try: m = os.stat(ctl).st_mtime_ns
    except OSError: return
    if m == ctl_mtime: return
    ctl_mtime = m
    new = [parse('') for _ in names]
    for line in open(ctl):
        if '\t' in line:
            i, args = line.rstrip('\n').split('\t', 1)
            new[int(i)] = parse(args)
    params = new
    sys.stderr.write('wire: %s\n' % open(ctl).read().replace('\n', ' | '))

stop = False
def on_term(*_):
    global stop; stop = True
signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)
open(ready, 'w').close()
queue, seq = [], 0
count = {'in': 0, 'out': 0, 'lost': 0, 'down': 0, 'dup': 0, 'reordered': 0, 'unroutable': 0}
next_ctl = 0.0
poll = select.poll()
for fd in fds: poll.register(fd, select.POLLIN)
while not stop:
    now = time.monotonic()
    if now >= next_ctl:
        reread(); next_ctl = now + 0.02
    while queue and queue[0][0] <= now:
        _, _, fd, pkt = heapq.heappop(queue)
        try: os.write(fd, pkt); count['out'] += 1
        except OSError: pass
    wait = 20.0
    if queue: wait = min(wait, (queue[0][0] - now) * 1000.0)
    try: evs = poll.poll(max(0.0, wait))
    except InterruptedError: continue
    now = time.monotonic()
    for fd, _ in evs:
        src = host_of_fd[fd]
        for _ in range(64):
            try: pkt = os.read(fd, 65536)
            except BlockingIOError: break
            except OSError: break
            count['in'] += 1
            if len(pkt) < 20 or pkt[0] >> 4 != 4 or pkt[16:19] != prefix:
                count['unroutable'] += 1; continue
            dst = pkt[19] - 1
            if not 0 <= dst < len(fds) or dst == src:
                count['unroutable'] += 1; continue
            p = params[src]
            if p['down'] or params[dst]['down']:
                count['down'] += 1; continue
            if p['loss'] and random.random() < p['loss']:
                count['lost'] += 1; continue
            copies = 2 if p['dup'] and random.random() < p['dup'] else 1
            if copies == 2: count['dup'] += 1
            for _ in range(copies):
                d = p['delay']
                if p['jitter']: d += random.uniform(-p['jitter'], p['jitter'])
                if p['reorder'] and random.random() < p['reorder']:
                    d = 0.0; count['reordered'] += 1
                if d <= 0:
                    try: os.write(fds[dst], pkt); count['out'] += 1
                    except OSError: pass
                else:
                    seq += 1
                    heapq.heappush(queue, (now + d, seq, fds[dst], pkt))
sys.stderr.write('wire: counters %s\n' % count)
PY
}

# ns_has_netem: the kernel has sch_netem (probed in a scratch namespace)
ns_has_netem () {
    local ns="${NS_P}nq" rc=1
    ip netns add "$ns" 2> /dev/null || return 1
    ip netns exec "$ns" tc qdisc add dev lo root netem delay 1ms 2> /dev/null && rc=0
    ip netns del "$ns"
    return $rc
}

# ns_rto_min: the hosts' route to the subnet gets rto_min NS_RTO_MIN (20ms):
# on a sub-millisecond LAN, Linux's 200 ms floor would turn every lost
# segment into a 200 ms stall of the whole fleet
NS_RTO_MIN=${NS_RTO_MIN:-20ms}
ns_rto_min () {
    local i ns dev
    for ((i = 0; i < NS_N; i++)); do
        ns=$(ns_name $i); dev=eth0; [ "$NS_KIND" = wire ] && dev=tun0
        ip -n "$ns" route replace "$NS_NET.0/24" dev "$dev" src "$(ns_ip $i)" rto_min "$NS_RTO_MIN" \
            || return 1
    done
}

# ns_create_hosts N [veth|wire|auto]: N hosts on one network
ns_create_hosts () {
    local n=$1 kind=${2:-auto} i ns
    cleanup_hooks+=("ns_cleanup")
    # SS_KEEP=DIR: keep the run's files (logs, traces) there for a post mortem
    cleanup_hooks+=('[ -n "${SS_KEEP:-}" ] && rm -rf "$SS_KEEP" && cp -r "$TMP" "$SS_KEEP"')
    trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 129' HUP
    if [ "$kind" = auto ]; then
        if ns_has_netem; then kind=veth; else kind=wire; fi
    fi
    NS_KIND=$kind
    for ((i = 0; i < n; i++)); do
        ns=$(ns_name $i)
        ip netns add "$ns" || return 1
        NS_MADE+=("$ns")
        ip -n "$ns" link set lo up
    done
    NS_N=$n
    if [ "$kind" = veth ]; then
        local br="${NS_P}br"
        ip netns add "$br" || return 1
        NS_MADE+=("$br")
        ip -n "$br" link set lo up
        ip -n "$br" link add br0 type bridge || return 1
        ip -n "$br" link set br0 type bridge stp_state 0 forward_delay 0 2> /dev/null
        ip -n "$br" link set br0 up
        for ((i = 0; i < n; i++)); do
            ns=$(ns_name $i)
            ip -n "$br" link add "v$i" type veth peer name eth0 netns "$ns" || return 1
            ip -n "$br" link set "v$i" master br0
            ip -n "$br" link set "v$i" up
            ip -n "$ns" addr add "$(ns_ip $i)/24" dev eth0
            ip -n "$ns" link set eth0 up
        done
        ns_rto_min
    else
        NS_WIRE_CTL=$TMP/wire.ctl
        : > "$NS_WIRE_CTL"
        local names=()
        for ((i = 0; i < n; i++)); do names+=("$(ns_name $i)"); done
        ns_wire_py > "$TMP/ns_wire.py"
        python3 "$TMP/ns_wire.py" "$NS_WIRE_CTL" "$TMP/wire.ready" "$NS_NET" "${names[@]}" \
            > "$TMP/wire.log" 2>&1 &
        NS_WIRE_PID=$!
        local until=$((SECONDS + 10))
        until [ -e "$TMP/wire.ready" ]; do
            kill -0 "$NS_WIRE_PID" 2> /dev/null && [ $SECONDS -lt $until ] \
                || { echo "netns: the wire did not start: $(cat "$TMP/wire.log")"; return 1; }
            sleep 0.05
        done
        for ((i = 0; i < n; i++)); do
            ns=$(ns_name $i)
            ip -n "$ns" addr add "$(ns_ip $i)/24" dev tun0 || return 1
            ip -n "$ns" link set tun0 up || return 1
        done
        ns_rto_min
    fi
    # bounded: host 0 reaches every other host within 10 s
    local until=$((SECONDS + 10)) ok
    while :; do
        ok=1
        for ((i = 1; i < n; i++)); do
            ns_reaches 0 "$(ns_ip $i)" || ok=0
        done
        [ $ok -eq 1 ] && return 0
        [ $SECONDS -ge $until ] && { echo "netns: hosts do not reach each other"; return 1; }
        sleep 0.2
    done
}

# ns_reaches HOST IP: a TCP connection from HOST to IP:9 (nothing listens)
# is refused at once when IP answers (there is no ping here)
ns_reaches () {
    ns_exec "$1" timeout 2 bash -c "exec 3<>/dev/tcp/$2/9" 2>&1 | grep -q refused
}

ns_exec () { local h=$1; shift; ip netns exec "$(ns_name "$h")" "$@"; }

# ns_spawn HOST LOG cmd...: start cmd in HOST's namespace in the
# background, stderr+stdout to LOG; its pid is in NS_LAST_PID
ns_spawn () {
    local h=$1 log=$2; shift 2
    ip netns exec "$(ns_name "$h")" "$@" > "$log" 2>&1 &
    NS_LAST_PID=$!
    NS_PIDS+=("$NS_LAST_PID")
}

# ns_netem HOST "ARGS": netem impairments on HOST's egress ("loss 10%",
# "delay 20ms 10ms", "duplicate 5%", "delay 10ms reorder 25% 50%"); ""
# removes them
NS_WIRE_STATE=()
ns_wire_write () {
    local i
    for ((i = 0; i < NS_N; i++)); do printf '%s\t%s\n' "$i" "${NS_WIRE_STATE[$i]:-}"; done \
        > "$NS_WIRE_CTL.tmp"
    mv -f "$NS_WIRE_CTL.tmp" "$NS_WIRE_CTL"
    sleep 0.1       # the wire rereads its control file every 20 ms
}
ns_netem () {
    local ns; ns=$(ns_name "$1")
    if [ "$NS_KIND" = wire ]; then
        local down=""
        case "${NS_WIRE_STATE[$1]:-}" in down*) down="down ";; esac
        NS_WIRE_STATE[$1]="$down$2"
        ns_wire_write
    elif [ -z "$2" ]; then
        ip netns exec "$ns" tc qdisc del dev eth0 root 2> /dev/null || true
    else
        # shellcheck disable=SC2086
        ip netns exec "$ns" tc qdisc replace dev eth0 root netem $2
    fi
}
ns_netem_all () { local i; for ((i = 0; i < NS_N; i++)); do ns_netem $i "$1" || return 1; done; }

# ns_link_down/up HOST: HOST's cable is pulled (nothing in or out; veth:
# the bridge's port goes down and HOST's eth0 loses carrier) / plugged back
ns_link_down () {
    if [ "$NS_KIND" = wire ]; then
        NS_WIRE_STATE[$1]="down ${NS_WIRE_STATE[$1]:-}"; ns_wire_write
    else
        ip -n "${NS_P}br" link set "v$1" down
    fi
}
ns_link_up () {
    if [ "$NS_KIND" = wire ]; then
        local st=${NS_WIRE_STATE[$1]:-}; st=${st#down}; NS_WIRE_STATE[$1]=${st# }
        ns_wire_write
    else
        ip -n "${NS_P}br" link set "v$1" up
    fi
}

ns_cleanup () {
    local pid ns
    for pid in "${NS_PIDS[@]}"; do kill -TERM "$pid" 2> /dev/null; done
    for pid in "${NS_PIDS[@]}"; do
        timeout 3 tail --pid="$pid" -f /dev/null 2> /dev/null || kill -KILL "$pid" 2> /dev/null
    done
    if [ -n "$NS_WIRE_PID" ]; then
        kill -TERM "$NS_WIRE_PID" 2> /dev/null
        timeout 3 tail --pid="$NS_WIRE_PID" -f /dev/null || kill -KILL "$NS_WIRE_PID" 2> /dev/null
        NS_WIRE_PID=""
    fi
    # anything else still inside our namespaces was started by us too
    for ns in "${NS_MADE[@]}"; do
        for pid in $(ip netns pids "$ns" 2> /dev/null); do kill -KILL "$pid" 2> /dev/null; done
    done
    for ns in "${NS_MADE[@]}"; do ip netns del "$ns" 2> /dev/null; done
    NS_MADE=(); NS_PIDS=()
}

# --- fleets on the namespace hosts ------------------------------------------

# ns_fleet FILE NAME ROUNDS AGENTS HOSTS LAYOUT [faults lines...]
# A ring (degree 4) of AGENTS agents over HOSTS hosts, the coordinator on
# host 0. LAYOUT "block": agents 0..k-1 on host 0, k..2k-1 on host 1, ...
# (some ring links cross hosts); "spread": agent i on host i mod HOSTS (with
# HOSTS >= 3 every ring link crosses hosts). Ports: 7100 + id, the
# coordinator 7099 (each host has its own address: nothing collides).
# NS_HOST_OF[i] is the host of agent i. The `faults` section comes from the
# variables FAULT_HEARTBEAT_MS, FAULT_ROUND_TIMEOUT_MS, FAULT_LOST_AFTER_MS,
# FAULT_CHECKPOINT_EVERY when set.
NS_HOST_OF=()
ns_fleet () {
    local file=$1 name=$2 rounds=$3 agents=$4 hosts=$5 layout=$6 i h per
    per=$(( (agents + hosts - 1) / hosts ))
    {
        printf 'fleet\n    name = %s\n    rounds = %s\n    seed = 3\n' "$name" "$rounds"
        printf '    graph\n        kind = ring\n        degree = 4\n'
        printf '    agents\n        count = %s\n        host = %s\n        base_port = 7100\n' \
            "$agents" "$(ns_ip 0)"
        for ((i = 0; i < agents; i++)); do
            if [ "$layout" = spread ]; then h=$((i % hosts)); else h=$((i / per)); fi
            NS_HOST_OF[$i]=$h
            printf '        agent\n            id = %s\n            host = %s\n' "$i" "$(ns_ip $h)"
        done
        printf '    coordinator\n        endpoint = tcp://%s:7099\n        report_every = %s\n' \
            "$(ns_ip 0)" "${REPORT_EVERY:-10}"
        printf '    security\n        keys = keys\n'
        printf '    faults\n'
        printf '        heartbeat_ms = %s\n' "${FAULT_HEARTBEAT_MS:-100}"
        printf '        round_timeout_ms = %s\n' "${FAULT_ROUND_TIMEOUT_MS:-1000}"
        printf '        lost_after_ms = %s\n' "${FAULT_LOST_AFTER_MS:-2000}"
        printf '        checkpoint_every = %s\n' "${FAULT_CHECKPOINT_EVERY:-50}"
    } > "$file"
}

# ns_setup HOSTS LAYOUT NAME ROUNDS AGENTS [SIM]: HOSTS namespace hosts
# (passed, or the test ends failed), the fleet file F=$TMP/NAME.zpl on them
# (ns_fleet, fleet name NAME<pid>), its keys, and with SIM the undisturbed
# sim of it in the directory SIM
ns_setup () {
    local hosts=$1 layout=$2 name=$3 rounds=$4 agents=$5 sim=${6:-} i ips=""
    ns_create_hosts "$hosts" || { fail "$hosts namespace hosts"; finish; }
    for ((i = 0; i < hosts; i++)); do ips+=" $(ns_ip $i)"; done
    pass "$hosts hosts ($NS_KIND wire)$ips"
    F=$TMP/$name.zpl
    ns_fleet "$F" "$name$$" "$rounds" "$agents" "$hosts" "$layout"
    timeout 60 "$SWARMSHAPE" keygen "$F" > /dev/null || { fail "keygen"; finish; }
    [ -z "$sim" ] || timeout 120 "$SWARMSHAPE" sim "$F" --out "$sim" --quiet \
        || { fail "sim"; finish; }
}

# ns_start_run FLEET OUT AGENTS: coordinator (host 0, --out OUT) and every
# agent on its host, logs in OUT.logs/, state in OUT.state/. Pids in
# RUN_COORD and RUN_AGENTS[i]. The fleet's keys must exist. Per host,
# NS_FLEET_OF_HOST[h] (a bundle's fleet file) replaces FLEET; RUN_SET holds
# extra arguments for every process (e.g. --set rounds=0).
RUN_AGENTS=()
NS_FLEET_OF_HOST=()
RUN_SET=()
ns_start_run () {
    local fleet=$1 out=$2 agents=$3 i h
    mkdir -p "$out.logs"
    ns_spawn 0 "$out.logs/coordinator.log" "$COORDINATOR" --fleet "${NS_FLEET_OF_HOST[0]:-$fleet}" \
        --out "$out" --quiet "${RUN_SET[@]}"
    RUN_COORD=$NS_LAST_PID
    RUN_AGENTS=()
    for ((i = 0; i < agents; i++)); do
        h=${NS_HOST_OF[$i]}
        ns_spawn "$h" "$out.logs/agent-$i.log" \
            "$AGENTD" --fleet "${NS_FLEET_OF_HOST[$h]:-$fleet}" --id "$i" \
            --state-dir "$out.state/host$h" "${RUN_SET[@]}"
        RUN_AGENTS[$i]=$NS_LAST_PID
    done
}

# ns_wait_recovered OUT N K DIS_MAX BIAS_MAX SECONDS: until the trace's last
# K rows all have N agents, none lost, disagreement <= DIS_MAX and bias <=
# BIAS_MAX (bounded by SECONDS)
ns_wait_recovered () {
    local until=$((SECONDS + $6))
    until tail -n "$3" "$1/trace.jsonl" 2> /dev/null | python3 -c '
import json, sys
n, k, d, b = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
rows = [json.loads(l) for l in sys.stdin if l.strip()]
ok = len(rows) == k and all(r["agents"] == n and not r.get("lost")
        and r.get("disagreement") is not None and r["disagreement"] <= d
        and r.get("bias") is not None and r["bias"] <= b for r in rows)
sys.exit(0 if ok else 1)' "$2" "$3" "$4" "$5"; do
        [ $SECONDS -ge $until ] && return 1
        sleep 0.2
    done
}

# ns_partition OUT N HOST: (a run with rounds = 0 going) at report round
# CUT HOST's cable is pulled for PART_SECONDS, then plugged back; waits
# (RECOVER_SECONDS) for the recovery, lets the fleet run EXTRA_ROUNDS more
# report rounds, then stops it (SIGTERM to the coordinator: it announces a
# STOP round to every agent) and waits for every process. Sets PART_CUT,
# PART_HEAL (trace rounds at the cut and at the heal), PART_REC_SECONDS
# ("-": no recovery seen).
# rounds = 0 because, cut off, each side runs at its own pace (a host's own
# agents talk over its loopback, undelayed): a finite run would end on one
# side before the cable is back.
ns_partition () {
    local out=$1 n=$2 host=$3 t
    ns_wait_round "$out" "${CUT:-100}" 60 || fail "the trace never reached round ${CUT:-100}"
    PART_CUT=$(ns_trace_round "$out")
    ns_link_down "$host"
    sleep "${PART_SECONDS:-3}"
    PART_HEAL=$(ns_trace_round "$out")
    ns_link_up "$host"
    t=$SECONDS
    if ns_wait_recovered "$out" "$n" 5 "$DIS_MAX" "$BIAS_MAX" "${RECOVER_SECONDS:-40}"; then
        PART_REC_SECONDS=$((SECONDS - t))
    else
        PART_REC_SECONDS="-"
    fi
    ns_wait_round "$out" $(( $(ns_trace_round "$out") + ${EXTRA_ROUNDS:-200} )) 30
    kill -TERM "$RUN_COORD" 2> /dev/null
    ns_wait_run "$out" "${RUN_SECONDS:-60}"
}

# ns_merge_round TRACE HEAL N: the round of the first row after HEAL from
# which every row has all N agents and none lost ("-": none)
ns_merge_round () {
    python3 - "$@" <<'PY'
import json, sys
heal, n = int(sys.argv[2]), int(sys.argv[3])
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
merge = '-'
for r in rows:
    whole = r['agents'] == n and not r.get('lost')
    if r['round'] <= heal or not whole: merge = '-'
    elif merge == '-': merge = r['round']
print(merge)
PY
}

# ns_trace_round OUT: the last round of OUT/trace.jsonl (-1: none yet)
ns_trace_round () {
    local r
    r=$(tail -n 1 "$1/trace.jsonl" 2> /dev/null | sed -n 's/^{"round":\([0-9]*\),.*/\1/p')
    echo "${r:--1}"
}

# ns_wait_round OUT ROUND SECONDS: until the trace reaches ROUND (bounded)
ns_wait_round () {
    local until=$((SECONDS + $3))
    while [ "$(ns_trace_round "$1")" -lt "$2" ]; do
        [ $SECONDS -ge $until ] && return 1
        sleep 0.1
    done
}

# ns_wait_run OUT SECONDS: wait (bounded) for the run's processes; RUN_FAILS
# counts the ones that exited non-zero or had to be killed, RUN_WHY says
# which. Processes still alive after SECONDS get SIGTERM, then SIGKILL.
ns_wait_run () {
    local out=$1 until=$((SECONDS + $2)) pid rc i
    RUN_FAILS=0; RUN_WHY=""
    local all=("$RUN_COORD" "${RUN_AGENTS[@]}")
    for ((i = 0; i < ${#all[@]}; i++)); do
        pid=${all[$i]}
        local left=$((until - SECONDS)); [ $left -lt 1 ] && left=1
        if ! timeout "$left" tail --pid="$pid" -f /dev/null; then
            kill -TERM "$pid" 2> /dev/null
            timeout 3 tail --pid="$pid" -f /dev/null || kill -KILL "$pid" 2> /dev/null
            RUN_WHY+=" $( [ $i -eq 0 ] && echo coordinator || echo agent-$((i - 1)) ):hung"
        fi
        wait "$pid"; rc=$?
        if [ $rc -ne 0 ]; then
            RUN_FAILS=$((RUN_FAILS + 1))
            RUN_WHY+=" $( [ $i -eq 0 ] && echo coordinator || echo agent-$((i - 1)) ):exit$rc"
        fi
    done
}

# ns_analyze RUN BASE FROM DIS_MAX BIAS_MAX J_FACTOR [N]: checks a run's files
# against the undisturbed run BASE (a directory, or "" for none). FROM: the
# report round the disturbance ended (0: whole run / none). Prints one line
#   final_J base_J ratio recover_round rounds_to_recover final_dis final_bias
#   ... base_rounds_to_recover (the same measure on BASE, from the same round)
# and exits 1 (with reasons on stderr) if an assertion fails:
# files present; final disagreement <= DIS_MAX; final bias <= BIAS_MAX;
# final J <= J_FACTOR * base J; trace reaches the fleet's last round.
# recover_round: the first report round >= FROM from which every row has
# disagreement <= DIS_MAX and bias <= BIAS_MAX ("-" if none) and, with N,
# all N agents scored and none lost (the last row too).
ns_analyze () {
    python3 - "$@" <<'PY'
import json, os, sys
run, base, frm, dmax, bmax, jfac = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
nall = int(sys.argv[7]) if len(sys.argv) > 7 else 0
bad = []
def load(d):
    rows = [json.loads(l) for l in open(os.path.join(d, 'trace.jsonl')) if l.strip()]
    summ = json.load(open(os.path.join(d, 'summary.json')))
    return rows, summ
try:
    rows, summ = load(run)
except Exception as e:
    print('- - - - - - - -'); print('files: %s' % e, file=sys.stderr); sys.exit(1)
if not os.path.exists(os.path.join(run, 'positions.csv')):
    bad.append('no positions.csv')
bj = None
if base:
    brows, bsumm = load(base)
    bj = bsumm['J']
def val(r, k):
    v = r.get(k)
    return float('inf') if v is None else v
last = rows[-1]
if last['round'] != summ['rounds']:
    bad.append('trace ends at round %d, fleet has %d' % (last['round'], summ['rounds']))
fj, fd, fb = val(last, 'J'), val(last, 'disagreement'), val(last, 'bias')
def whole(r): return not nall or (r['agents'] == nall and not r.get('lost'))
if not whole(last): bad.append('last row: %d agents, lost %s' % (last['agents'], last.get('lost')))
if not fd <= dmax: bad.append('final disagreement %.3g > %.3g' % (fd, dmax))
if not fb <= bmax: bad.append('final bias %.3g > %.3g' % (fb, bmax))
ratio = fj / bj if bj else float('nan')
if bj and not fj <= jfac * bj: bad.append('final J %.6g > %.3g x baseline %.6g' % (fj, jfac, bj))
def recover(rows):
    for i, r in enumerate(rows):
        if r['round'] < frm: continue
        if all(val(s, 'disagreement') <= dmax and val(s, 'bias') <= bmax and whole(s)
               for s in rows[i:]):
            return r['round']
    return None
rec = recover(rows)
brec = recover(brows) if base else None
print('%.6f %s %s %s %s %.3g %.3g %s' % (fj, '%.6f' % bj if bj else '-',
      '%.3f' % ratio if bj else '-', rec if rec is not None else '-',
      rec - frm if rec is not None else '-', fd, fb,
      brec - frm if brec is not None else '-'))
for b in bad: print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

# ns_compare_sim RUN SIM TOL [N JTOL]: positions.csv and the trace's J of
# RUN equal SIM's to TOL; with N, J only on the rows with all N agents and
# none lost, to JTOL (rows with agents missing score fewer agents)
ns_compare_sim () {
    python3 - "$@" <<'PY'
import json, sys
a, b, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
n = int(sys.argv[4]) if len(sys.argv) > 4 else 0
jtol = float(sys.argv[5]) if len(sys.argv) > 5 else tol
def rows(p):
    return [list(map(float, l.split(',')[1:])) for l in open(p).read().split('\n')[1:] if l]
pa, pb = rows(a + '/positions.csv'), rows(b + '/positions.csv')
if len(pa) != len(pb): print('rows %d vs %d' % (len(pa), len(pb))); sys.exit(1)
dx = max(abs(x - y) for ra, rb in zip(pa, pb) for x, y in zip(ra, rb))
ta = [json.loads(l) for l in open(a + '/trace.jsonl')]
tb = [json.loads(l) for l in open(b + '/trace.jsonl')]
if n:
    sim = {r['round']: r for r in tb}
    whole = [r for r in ta if r['agents'] == n and not r.get('lost')]
    dj = max(abs(r['J'] - sim[r['round']]['J']) for r in whole)
    print('positions differ by %.3g, J by %.3g on the %d rows with all %d agents'
          % (dx, dj, len(whole), n))
    sys.exit(0 if dx <= tol and dj <= jtol else 1)
if [r['round'] for r in ta] != [r['round'] for r in tb]:
    print('trace rounds differ'); sys.exit(1)
dj = max(abs(r['J'] - s['J']) for r, s in zip(ta, tb))
print('positions differ by %.3g, J by %.3g' % (dx, dj))
sys.exit(0 if dx <= tol and dj <= tol else 1)
PY
}

# ns_table_section NAME TEXT: in table.bash (shared with common.bash)
. "$(dirname "${BASH_SOURCE[0]}")/table.bash"
