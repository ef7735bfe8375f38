#!/usr/bin/env python3
"""fleetcheck.py: what the scale tests and the fleet benchmark read off a
launched run (not a test itself: tests/integration/scale*.sh and
tests/bench/fleet.sh call it).

  fleetcheck.py compare LAUNCH_DIR SIM_DIR N
      Reads both runs' trace.jsonl and positions.csv and the launched
      agents' state files (LAUNCH_DIR/state/agent-<i>.state: `counter NAME
      VALUE` lines) and prints one JSON object:
        rows, sim_rows        trace rows of each run
        same_rounds           the traces' rounds are the same list
        first_round, first_agents   the launch trace's first row
        min_agents            fewest agents in any launch row
        J0, sim_J0            J of round 0 (the true J0 is sim's)
        dJ                    largest |J_launch - J_sim| over the rows
        dx                    largest |x_launch - x_sim| over positions.csv
        states                agents with a state file
        state_rounds_ok       every state file says round = the last round
        epoch_changes, substitutions, lost, jumps, wants, resends, stale,
        duplicate             sums of the agents' counters
        worst                 agents with an epoch change or a substitution
                              (at most 10: id, counters)
        ok                    all the assertions of the scale tests hold
      Exit 0 when ok, 1 otherwise (the JSON says which part failed).

  fleetcheck.py measure OUT_JSON TRACE ROUNDS TIMEOUT -- COMMAND...
      Runs COMMAND (swarmshape launch) for at most TIMEOUT seconds (then
      SIGTERM, which launch passes on to its processes, SIGKILL 10 s later,
      and exit 124), follows TRACE (its trace.jsonl)
      and writes OUT_JSON: wall seconds; the CPU (user + system) of the
      whole process tree (os.wait4's rusage of COMMAND: every descendant
      it reaped, exact), of COMMAND itself and of the coordinator (from
      /proc/PID/stat, the last sample, every 0.05 s), so the agents' CPU is
      the tree's minus those two; the agents' CPU when the trace's first
      row after round 0 appeared (first_round, first_seconds,
      agents_cpu_first: their start-up and the first rounds; row 0 is
      written at the coordinator's start, from the fleet file) and when
      its first row at or past 3/4 of ROUNDS appeared (late_round,
      agents_cpu_late: the rounds between the two, without the exit's
      checkpoints, lingers and teardown; agents_late_seen: how many of
      the agents were still there, agents ahead of the trace may have
      finished; agents_cs_first and
      agents_cs_late: their threads' context switches then); at the
      middle round, the median agent Pss
      (/proc/PID/smaps_rollup) and threads (/proc/PID/status). Exits with
      COMMAND's status.
"""
import json
import os
import signal
import statistics
import subprocess
import sys
import time

TICK = os.sysconf('SC_CLK_TCK')


def trace(path):
    rows = []
    try:
        with open(path) as f:
            for line in f:
                if line.endswith('\n') and line.strip():
                    rows.append(json.loads(line))
    except FileNotFoundError:
        pass
    return rows


def positions(path):
    with open(path) as f:
        lines = f.read().split('\n')[1:]
    return {int(l.split(',')[0]): [float(v) for v in l.split(',')[1:]] for l in lines if l}


def state(path):
    counters, round_ = {}, None
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 3 and w[0] == 'counter':
                counters[w[1]] = int(w[2])
            elif len(w) == 2 and w[0] == 'round':
                round_ = int(w[1])
    return round_, counters


def compare(launch, sim, n):
    lt, st = trace(launch + '/trace.jsonl'), trace(sim + '/trace.jsonl')
    lp, sp = positions(launch + '/positions.csv'), positions(sim + '/positions.csv')
    out = {'rows': len(lt), 'sim_rows': len(st),
           'same_rounds': [r['round'] for r in lt] == [r['round'] for r in st]}
    out['first_round'] = lt[0]['round'] if lt else None
    out['first_agents'] = lt[0]['agents'] if lt else None
    out['min_agents'] = min((r['agents'] for r in lt), default=0)
    out['J0'] = lt[0]['J'] if lt else None
    out['sim_J0'] = st[0]['J'] if st else None
    pairs = list(zip(lt, st))
    out['dJ'] = max((abs(a['J'] - b['J']) for a, b in pairs), default=None)
    if sorted(lp) == sorted(sp) == list(range(n)):
        out['dx'] = max(abs(x - y) for i in range(n) for x, y in zip(lp[i], sp[i]))
    else:
        out['dx'] = None
    last = st[-1]['round'] if st else None
    sums = dict.fromkeys(['epoch_changes', 'substitutions', 'lost', 'jumps', 'wants',
                          'resends', 'stale_round', 'duplicate'], 0)
    states, rounds_ok, worst = 0, True, []
    for i in range(n):
        try:
            r, c = state('%s/state/agent-%d.state' % (launch, i))
        except FileNotFoundError:
            rounds_ok = False
            continue
        states += 1
        rounds_ok = rounds_ok and r == last
        for k in sums:
            sums[k] += c.get(k, 0)
        if c.get('epoch_changes', 0) or c.get('substitutions', 0):
            if len(worst) < 10:
                worst.append({'id': i, 'round': r, 'epoch_changes': c.get('epoch_changes'),
                              'substitutions': c.get('substitutions'), 'lost': c.get('lost')})
    out['states'] = states
    out['state_rounds_ok'] = rounds_ok
    out.update(sums)
    out['worst'] = worst
    out['ok'] = bool(
        lt and st and out['same_rounds'] and out['first_round'] == 0
        and out['first_agents'] == n and out['min_agents'] == n
        and out['J0'] == out['sim_J0'] and out['dJ'] == 0 and out['dx'] == 0
        and states == n and rounds_ok
        and sums['epoch_changes'] == 0 and sums['substitutions'] == 0 and sums['lost'] == 0)
    print(json.dumps(out))
    return 0 if out['ok'] else 1


def proc_cpu(pid):
    """utime + stime of pid itself (seconds), None when gone"""
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return None


def proc_switches(pid):
    """context switches (voluntary + involuntary) of every thread of pid,
    None when gone"""
    total = 0
    try:
        for task in os.listdir('/proc/%d/task' % pid):
            with open('/proc/%d/task/%s/status' % (pid, task)) as f:
                for line in f:
                    if line.startswith(('voluntary_ctxt_switches', 'nonvoluntary_ctxt_switches')):
                        total += int(line.split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return total


def children(pid):
    """pids of pid's children with their comm"""
    kids = []
    try:
        for task in os.listdir('/proc/%d/task' % pid):
            with open('/proc/%d/task/%s/children' % (pid, task)) as f:
                kids += [int(p) for p in f.read().split()]
    except OSError:
        pass
    out = {}
    for p in kids:
        try:
            with open('/proc/%d/comm' % p) as f:
                out[p] = f.read().strip()
        except OSError:
            pass
    return out


def pss_kib(pid):
    try:
        with open('/proc/%d/smaps_rollup' % pid) as f:
            for line in f:
                if line.startswith('Pss:'):
                    return int(line.split()[1])
    except OSError:
        return None


def threads(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('Threads:'):
                    return int(line.split()[1])
    except OSError:
        return None


def measure(out_json, trace_path, rounds, timeout, command):
    start = time.monotonic()
    signalled = None
    child = subprocess.Popen(command)
    out = {'first_round': None, 'first_seconds': None, 'agents_cpu_first': None, 'pss_kib': None,
           'threads': None, 'coordinator_cpu': 0.0, 'self_cpu': 0.0,
           'late_round': None, 'agents_cpu_late': None,
           'agents_cs_first': None, 'agents_cs_late': None}
    coord, agents, middle = None, [], max(1, rounds // 2)
    late = max(1, rounds * 3 // 4)
    status, usage = None, None
    while status is None:
        time.sleep(0.05)
        pid, st, ru = os.wait4(child.pid, os.WNOHANG)
        if pid == child.pid:
            status, usage = st, ru
            break
        now = time.monotonic()
        if now - start > timeout and signalled is None:
            signalled = now
            child.send_signal(signal.SIGTERM)
        elif signalled is not None and now - signalled > 10:
            child.kill()
        c = proc_cpu(child.pid)
        if c is not None:
            out['self_cpu'] = c
        if coord is None:
            for p, comm in children(child.pid).items():
                if comm == 'coordinator':
                    coord = p
        if coord is not None:
            c = proc_cpu(coord)
            if c is not None:
                out['coordinator_cpu'] = c
        rows = trace(trace_path) if out['first_round'] is None or out['pss_kib'] is None \
            or out['late_round'] is None else []
        if rows and rows[-1]['round'] > 0 and out['first_round'] is None:
            out['first_round'] = rows[-1]['round']
            out['first_seconds'] = time.monotonic() - start
            agents = [p for p, comm in children(child.pid).items() if comm == 'agentd']
            out['agents_seen'] = len(agents)
            out['agents_cpu_first'] = sum(filter(None, (proc_cpu(p) for p in agents)))
            out['agents_cs_first'] = sum(filter(None, (proc_switches(p) for p in agents)))
        if rows and out['pss_kib'] is None and rows[-1]['round'] >= middle:
            pss = [v for v in (pss_kib(p) for p in agents) if v is not None]
            thr = [v for v in (threads(p) for p in agents) if v is not None]
            out['pss_kib'] = statistics.median(pss) if pss else None
            out['threads'] = statistics.median(thr) if thr else None
            out['pss_round'] = rows[-1]['round']
        #   The agents' CPU again near the end, before the run's exit (its
        #   checkpoints, lingers and teardown are not rounds)
        if rows and out['first_round'] is not None and out['late_round'] is None \
                and rows[-1]['round'] >= late and rows[-1]['round'] > out['first_round']:
            out['late_round'] = rows[-1]['round']
            cpu = [proc_cpu(p) for p in agents]
            out['agents_late_seen'] = sum(c is not None for c in cpu)
            out['agents_cpu_late'] = sum(filter(None, cpu))
            out['agents_cs_late'] = sum(filter(None, (proc_switches(p) for p in agents)))
    out['wall'] = time.monotonic() - start
    out['tree_cpu'] = usage.ru_utime + usage.ru_stime
    out['agents_cpu'] = out['tree_cpu'] - out['self_cpu'] - out['coordinator_cpu']
    out['exit'] = 124 if signalled else os.waitstatus_to_exitcode(status)
    with open(out_json, 'w') as f:
        json.dump(out, f)
    return out['exit']


def main(argv):
    if len(argv) == 5 and argv[1] == 'compare':
        return compare(argv[2], argv[3], int(argv[4]))
    if len(argv) > 7 and argv[1] == 'measure' and argv[6] == '--':
        return measure(argv[2], argv[3], int(argv[4]), float(argv[5]), argv[7:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
