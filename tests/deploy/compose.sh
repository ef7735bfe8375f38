#!/usr/bin/env bash
#   compose.sh BUILD_DIR: the container image and deploy/container/compose.yaml
#   run for real under podman and podman-compose.
#   1. The image runs as uid 10001 (not root) and holds the programs and
#      their runtime libraries only: no compiler, no headers, no build tree,
#      no key, no fleet file; agentd, coordinator and swarmshape run in it.
#   2. compose.yaml's 4-agent fleet plus coordinator (deploy/container/
#      fleet.zpl, each container mounting only its own `swarmshape plan`
#      bundle) completes: every container exits 0, none ran as root, and
#      the coordinator's run/ equals `swarmshape sim` of the same fleet file
#      in the same image: positions differ by exactly 0, every trace row's J
#      and the summary are equal.
#   Every container and network the test made is removed at the end.
#   SKIP when podman or podman-compose cannot run here.
source "$(dirname "$0")/../cli/lib.sh"
source "$(dirname "$0")/lib.bash"
deploy_require
if ! command -v podman-compose > /dev/null; then
    echo "SKIP: podman-compose is not installed (deploy/container/setup.sh installs it)"
    exit 0
fi
IMAGE=$(deploy_image) || exit 1

#   1. the image
check "the image runs as uid 10001" \
    [ "$(podman image inspect -f '{{.Config.User}}' "$IMAGE")" = "10001:10001" ]
in_image() { podman run --rm --network none --entrypoint /bin/sh "$IMAGE" -c "$1"; }
check "it runs as a non-root user" [ "$(in_image 'id -u')" = 10001 ]
check "no compiler, make or cmake" in_image '! command -v gcc cc make cmake ld'
check "no headers of the -dev packages" in_image '[ ! -e /usr/include/czmq.h ] && [ ! -e /usr/include/zmq.h ]'
check "no build tree or sources" in_image '[ ! -e /src ] && [ ! -e /build ]'
check "no key and no fleet file" \
    in_image '[ -z "$(find / -xdev \( -name "*.key" -o -name "*.key_secret" -o -name "*.zpl" \) 2>/dev/null)" ]'
check "only the three programs in /opt/swarmshape/bin" \
    [ "$(in_image 'ls /opt/swarmshape/bin' | tr '\n' ' ')" = "agentd coordinator swarmshape " ]
for program in agentd coordinator swarmshape; do
    check "$program --version runs in the image" in_image "/opt/swarmshape/bin/$program --version"
done

#   2. the compose fleet, in a copy of deploy/container (its bind mounts are
#   relative to the compose file)
W=$TMP/compose
mkdir -p "$W"
cp "$DEPLOY_ROOT/deploy/container/compose.yaml" "$DEPLOY_ROOT/deploy/container/fleet.zpl" "$W/"
"$SWARMSHAPE" plan "$W/fleet.zpl" --out "$W/bundles" --quiet > "$TMP/plan.out" 2>&1 \
    || { fail "swarmshape plan: $(cat "$TMP/plan.out")"; finish; }
mkdir -p "$W/run" "$W/sim" "$W"/state/agent{0,1,2,3}
chown -R 10001:10001 "$W/bundles" "$W/run" "$W/sim" "$W/state"
P=$DEPLOY_RUN
services=(coordinator agent0 agent1 agent2 agent3)
names=()
for s in "${services[@]}"; do
    names+=("${P}_${s}_1")
    deploy_track container "${P}_${s}_1"
done
deploy_track network "${P}_fleet"
cleanup_hooks=("(cd '$W' && timeout 60 podman-compose -p '$P' down) > /dev/null 2>&1" "${cleanup_hooks[@]}")

t0=$SECONDS
(cd "$W" && SS_IMAGE=$IMAGE timeout 300 podman-compose -p "$P" up -d) > "$TMP/up.log" 2>&1
#   podman-compose exits 0 even when a container failed to start: the
#   containers' own states decide
if deploy_wait_exited 300 "${names[@]}"; then
    pass "every container exited ($((SECONDS - t0)) s)"
else
    fail "containers still running after 300 s: $(deploy_states "${names[@]}" | tr '\n' ';')"
fi
states=$(deploy_states "${names[@]}")
check "every container exited 0" bash -c "awk '\$2 != \"exited\" || \$3 != 0 { bad = 1 } END { exit bad }' <<< '$states'"
[ "$FAILS" -eq 0 ] || { echo "$states"; tail -n 20 "$TMP/up.log"; for n in "${names[@]}"; do echo "--- $n"; podman logs --tail 5 "$n" 2>&1; done; }
for n in "${names[@]}"; do
    check "$n ran as 10001:10001" [ "$(podman inspect -f '{{.Config.User}}' "$n" 2> /dev/null)" = 10001:10001 ]
done
check "the coordinator wrote the run's files" \
    bash -c "cd '$W/run' && [ -s positions.csv ] && [ -s trace.jsonl ] && [ -s summary.json ]"

#   sim of the same fleet file, in the same image
SIMC=${P}_sim
deploy_track container "$SIMC"
podman run --name "$SIMC" --network none --read-only --cap-drop ALL \
    -v "$W/bundles/coordinator:/etc/swarmshape:ro" -v "$W/sim:/out" \
    --entrypoint /opt/swarmshape/bin/swarmshape "$IMAGE" \
    sim /etc/swarmshape/fleet.zpl --out /out --quiet > "$TMP/sim.log" 2>&1 \
    || fail "sim in the image: $(tail -n 3 "$TMP/sim.log")"
if line=$(deploy_compare "$W/run" "$W/sim"); then
    pass "the compose run equals sim: $line"
else
    fail "the compose run differs from sim: $line"
fi
#   and the host's own build of sim, for the record (same compiler here)
"$SWARMSHAPE" sim "$W/bundles/coordinator/fleet.zpl" --out "$TMP/hostsim" --quiet > /dev/null 2>&1 \
    && echo "     host build's sim: $(deploy_compare "$W/run" "$TMP/hostsim")"
finish
