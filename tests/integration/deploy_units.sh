#!/usr/bin/env bash
# The systemd units, exactly as `cmake --install` installs them, pass
# `systemd-analyze verify`; so do the man pages their Documentation= names.
# A negative control checks that a bad directive would be caught.
# SKIP (exit 0) only when systemd-analyze is absent (Debian package: systemd).
source "$(dirname "$0")/../cli/lib.sh"

if ! command -v systemd-analyze >/dev/null; then
    echo "SKIP: systemd-analyze not found (install the Debian package 'systemd')"
    exit 0
fi

prefix=$TMP/prefix
units=$prefix/lib/systemd/system
cmake --install "$BUILD" --prefix "$prefix" >"$TMP/install.log" 2>&1
rc=$?
check "cmake --install into a temporary prefix" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$TMP/install.log"

for program in agentd coordinator swarmshape; do
    check "bin/$program installed" [ -x "$prefix/bin/$program" ]
done
for page in agentd coordinator swarmshape; do
    check "man page $page.1 installed" [ -f "$prefix/share/man/man1/$page.1" ]
done
check "demo fleet installed" [ -f "$prefix/share/swarmshape/fleets/demo.zpl" ]
for unit in agentd@.service coordinator.service swarmshape-agents.target; do
    check "$unit installed" [ -f "$units/$unit" ]
done
check "agentd@.service runs the installed agentd" \
    grep -q "^ExecStart=$prefix/bin/agentd " "$units/agentd@.service"
check "coordinator.service runs the installed coordinator" \
    grep -q "^ExecStart=$prefix/bin/coordinator " "$units/coordinator.service"
check "no unrendered @VARIABLE@ left" bash -c "! grep -n '@[A-Z_]*@' '$units'/*"

# verify UNIT...: exit 0 and no complaint about our units. (Lines about
# other units of this machine, pulled in as dependencies, are shown only.)
# MANPATH lets verify find the man pages named by Documentation=.
ours='agentd@|coordinator\.service|swarmshape-agents\.target|/prefix/|/bad/'
verify() {
    local out rc
    out=$(cd "$TMP" && MANPATH=$prefix/share/man systemd-analyze verify "$@" 2>&1)
    rc=$?
    [ -n "$out" ] && printf '     | %s\n' "$out"
    [ $rc -eq 0 ] && ! grep -Eq "$ours" <<<"$out"
}
check "verify agentd@.service (template)" verify "$units/agentd@.service"
check "verify agentd@7.service (an instance)" verify "$units/agentd@7.service"
check "verify coordinator.service" verify "$units/coordinator.service"
check "verify swarmshape-agents.target" verify "$units/swarmshape-agents.target"
check "verify all units together" verify "$units/agentd@0.service" \
    "$units/coordinator.service" "$units/swarmshape-agents.target"

# Negative controls: the check above would see a bad directive and a
# missing program
mkdir -p "$TMP/bad"
cp "$units"/* "$TMP/bad/"
sed -i 's/^\[Service\]$/[Service]\nFrobnicate=yes/' "$TMP/bad/agentd@.service"
fails() { ! "$@" >/dev/null; }
check "a bad directive is caught" fails verify "$TMP/bad/agentd@.service"
cp "$units/coordinator.service" "$TMP/bad/coordinator.service"
sed -i "s#^ExecStart=$prefix/bin/coordinator#ExecStart=$prefix/bin/nonexistent#" \
    "$TMP/bad/coordinator.service"
check "a missing program is caught" fails verify "$TMP/bad/coordinator.service"

# Hardening the issue asks for is present in both services
for unit in agentd@.service coordinator.service; do
    for directive in NoNewPrivileges=yes ProtectSystem=strict \
                     ProtectHome=yes PrivateTmp=yes ProtectKernelTunables=yes \
                     StateDirectory= Restart=on-failure RestartSec= \
                     StartLimitBurst= LimitNOFILE=65536 \
                     Type=notify NotifyAccess=main SupplementaryGroups=swarmshape \
                     "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"; do
        check "$unit has $directive" grep -q "^$directive" "$units/$unit"
    done
    # MemoryMax= and TasksMax= set, with their arithmetic in a comment
    check "$unit has MemoryMax=" grep -Eq '^MemoryMax=[0-9]+[KMG]$' "$units/$unit"
    check "$unit has TasksMax=" grep -Eq '^TasksMax=[0-9]+$' "$units/$unit"
    check "$unit explains MemoryMax" bash -c "grep -B20 '^MemoryMax=' '$units/$unit' | grep -q 'Resident memory'"
    check "$unit explains TasksMax" bash -c "grep -B4 '^TasksMax=' '$units/$unit' | grep -q 'threads'"
done
# Agents and the coordinator under separate users (they share the
# coordinator's host), both in the key directory's group
check "agentd@ runs as swarmshape-agent" grep -q '^User=swarmshape-agent$' "$units/agentd@.service"
check "coordinator runs as swarmshape-coordinator" \
    grep -q '^User=swarmshape-coordinator$' "$units/coordinator.service"
check "agentd@ instances belong to swarmshape-agents.target" \
    bash -c "grep -q '^PartOf=swarmshape-agents.target' '$units/agentd@.service' \
             && grep -q '^WantedBy=swarmshape-agents.target' '$units/agentd@.service'"

# Man pages render without warnings
if command -v groff >/dev/null; then
    for page in agentd coordinator swarmshape; do
        check "$page.1 renders without warnings" \
            bash -c "[ -z \"\$(groff -man -ww -z '$prefix/share/man/man1/$page.1' 2>&1)\" ]"
    done
fi
finish
