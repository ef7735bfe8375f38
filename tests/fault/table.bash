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
