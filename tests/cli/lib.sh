# Shared by the shell tests: a scratch directory removed on exit, checks
# that count failures, a bounded runner, a bounded poll (wait_for). Source
# it; $1 is the build dir.
set -u
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
SWARMSHAPE=$BUILD/cli/swarmshape
AGENTD=$BUILD/agentd/agentd
COORDINATOR=$BUILD/coordinator/coordinator
TMP=$(mktemp -d /tmp/ss_test.XXXXXX)
FAILS=0
cleanup_hooks=()
on_exit() {
    for hook in "${cleanup_hooks[@]}"; do eval "$hook"; done
    rm -rf "$TMP"
}
trap on_exit EXIT
pass() { printf 'ok   %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*"; FAILS=$((FAILS + 1)); }
check() {   # check "description" command...
    local what=$1; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
    if [ "$FAILS" -gt 0 ]; then echo "$FAILS check(s) failed"; exit 1; fi
    echo "all checks passed"
}
wait_for() {   # wait_for SECONDS command...: poll every 0.1 s until it succeeds
    local until=$((SECONDS + $1)); shift
    until "$@"; do
        [ $SECONDS -ge $until ] && return 1
        sleep 0.1
    done
}
