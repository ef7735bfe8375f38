# table.bash: the faults table (docs/faults-table.md), shared by
# netns_lib.bash (netem, partition, multihost) and common.bash (kill_one,
# kill_five, restart, hostile). Sourced, not a test; needs only BUILD,
# python3 and flock (no root, no setup).
#
# ns_table_section NAME TEXT: replace the section "NAME" of the faults
# table with TEXT, under a lock (the fault scripts may run in parallel).
# The table goes to BUILD/faults-table.md, so a test run never edits the
# source tree; SS_FAULTS_TABLE=docs/faults-table.md refreshes the README's
# table, SS_FAULTS_TABLE=- writes nothing.
#
# trace_pace TRACE [FROM [TO]]: rounds/s of a coordinator's trace.jsonl
# between two rows, from their "round" and "seconds" fields: the first
# row with round >= FROM (default: the first row's round + 1, i.e. from
# the first row after round 0: the start barrier and the keygen/start-up
# are not counted) and the last row with round <= TO (default: the last
# row); (round_b - round_a) / (seconds_b - seconds_a), "%.1f", or "-"
# (no trace, fewer than two such rows, or no time between them). As
# `swarmshape experiment` computes its rounds/s.
trace_pace () {
    python3 - "$@" <<'PY' 2> /dev/null || echo -
import json, sys
try:
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
except OSError:
    rows = []
frm = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] != '' else (rows[0]['round'] + 1 if rows else 0)
to = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] != '' else None
a = next((r for r in rows if r['round'] >= frm), None)
b = [r for r in rows if to is None or r['round'] <= to]
b = b[-1] if b else None
if a is None or b is None or b['round'] <= a['round'] or not b['seconds'] > a['seconds']:
    print('-')
else:
    print('%.1f' % ((b['round'] - a['round']) / (b['seconds'] - a['seconds'])))
PY
}

ns_table_section () {
    local file=${SS_FAULTS_TABLE:-$BUILD/faults-table.md}
    [ "$file" = - ] && return 0
    [ -w "$(dirname "$file")" ] || { echo "(not writing $file: read-only)"; return 0; }
    (
        flock -w 10 9 || exit 0
        python3 - "$file" "$1" "$2" <<'PY'
import os, sys, time
path, name, text = sys.argv[1], sys.argv[2], sys.argv[3]
head = ('# Faults: the fleet under a degraded network, killed agents, hostile peers\n\n'
        'Written by tests/fault/netem.sh, tests/fault/partition.sh,\n'
        'tests/integration/multihost.sh, tests/fault/kill_one.sh, kill_five.sh,\n'
        'restart.sh and hostile.sh (each replaces its own section when it runs;\n'
        'refresh with SS_FAULTS_TABLE=docs/faults-table.md bash tests/fault/netem.sh build).\n')
old = open(path).read() if os.path.exists(path) else head
begin, end = '<!-- begin %s -->' % name, '<!-- end %s -->' % name
sec = '%s\n## %s (%s)\n\n%s\n%s' % (begin, name, time.strftime('%Y-%m-%d'), text.strip('\n'), end)
if begin in old and end in old:
    new = old[:old.index(begin)] + sec + old[old.index(end) + len(end):]
else:
    new = old.rstrip('\n') + '\n\n' + sec + '\n'
open(path + '.tmp', 'w').write(new)
os.replace(path + '.tmp', path)
PY
    ) 9>> /tmp/swarmshape-faults-table.lock
}
