#!/usr/bin/env bash
# ctest-label: slow (tests/CMakeLists.txt: run alone, not under the sanitizers)
#   scale.sh BUILD_DIR: 500 agents on this host, no fault (issue 14).
#   `swarmshape launch` of a ring of 500 agents (degree 4, the default
#   model and fault keys, CURVE on) for ROUNDS [30] rounds against
#   `swarmshape sim` of the same fleet file. Asserts: every agent live to
#   the last round (500 state files at the last round, 500 agents in every
#   trace row); no epoch change, no substitution and no loss in any
#   agent's counters; the trace complete from round 0 with every agent and
#   the true J0 (sim's round-0 J); positions and every row's J equal to
#   sim's (difference 0). Label slow (ctest -L slow; tests/run.sh runs it
#   in the optimised build, not under the sanitizers). SKIP when the host
#   cannot hold 500 agents (nofile, memory). Every wait is bounded.
#   N=... ROUNDS=... override the size; KEEP=1 keeps the run.
. "$(dirname "$0")/scale_lib.bash"
N=${N:-500}
ROUNDS=${ROUNDS:-30}
scale_can_hold "$N"

scale_fleet scale "$N" "$ROUNDS"
scale_sim scale
scale_launch scale 600
scale_wait scale 610; rc=$?
[ $rc -eq 0 ] && pass "launch of $N agents: exit 0 ($(sed -n 's/.*"rounds_per_second":\([0-9.]*\).*/\1/p' "$T/scale-run/summary.json" | cut -c1-6) rounds/s, load $(cut -d' ' -f1 /proc/loadavg))" \
    || { fail "launch of $N agents: exit $rc"; tail -5 "$T/scale-launch.err"; }
scale_check scale "$N" "$N agents, no fault"

[ $FAILS -eq 0 ] && echo "scale.sh: all passed" || echo "scale.sh: $FAILS failed"
exit $((FAILS > 0))
