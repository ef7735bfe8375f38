#   lib.bash: shared by the deployment tests (tests/deploy/*.sh), sourced
#   after tests/cli/lib.sh. The tests run the real image under podman:
#
#   deploy_require          SKIP (exit 0) with the reason when podman cannot
#                           run a container here (deploy/container/setup.sh
#                           installs and configures it)
#   deploy_image            the runtime image of this build, built from
#                           deploy/container/Containerfile unless the ctest
#                           fixture (tests/deploy/image.bash) built it
#   deploy_systemd_image    the same with systemd (Containerfile.systemd)
#   deploy_track KIND NAME  remove container|pod|network|volume|secret|image
#                           NAME when the test exits, whatever happened
#   deploy_wait_exited SECONDS NAME...   wait (bounded) until every
#                           container has exited; 1 on timeout
#   deploy_states NAME...   "name status exit-code" per container
#   deploy_compare RUN SIM  positions, trace and summary of a run against
#                           sim's; prints the differences, 0 when the
#                           positions differ by exactly 0
#
#   Every name a test makes starts with $DEPLOY_RUN (ss-<pid>), so that a
#   test's leftovers can be told from anything else on the machine.
DEPLOY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEPLOY_BASE=${SS_BASE:-docker.io/library/debian:bookworm-slim}
DEPLOY_TAG=$(printf '%s' "$BUILD" | sha1sum | cut -c1-12)
DEPLOY_IMAGE=localhost/swarmshape-test:$DEPLOY_TAG
DEPLOY_SYSTEMD_IMAGE=localhost/swarmshape-test-systemd:$DEPLOY_TAG
DEPLOY_RUN=ss-$$
DEPLOY_PYTHON=/usr/bin/python3
[ -x "$DEPLOY_PYTHON" ] || DEPLOY_PYTHON=python3

deploy_require () {
    local out
    if ! command -v podman > /dev/null; then
        echo "SKIP: podman is not installed (deploy/container/setup.sh installs and configures it)"
        exit 0
    fi
    if ! timeout 60 podman image exists "$DEPLOY_BASE"; then
        echo "SKIP: no base image $DEPLOY_BASE (deploy/container/setup.sh makes it)"
        exit 0
    fi
    if ! out=$(timeout 120 podman run --rm --network none "$DEPLOY_BASE" true 2>&1); then
        echo "SKIP: podman cannot run a container here: $(tail -n 1 <<< "$out")"
        exit 0
    fi
}

deploy_track () {   # deploy_track KIND NAME
    local kind=$1 name=$2
    case "$kind" in
        container) cleanup_hooks+=("podman rm -f -v -t 2 '$name' > /dev/null 2>&1") ;;
        pod)       cleanup_hooks+=("podman pod rm -f -t 2 '$name' > /dev/null 2>&1") ;;
        network)   cleanup_hooks+=("podman network rm -f '$name' > /dev/null 2>&1") ;;
        volume)    cleanup_hooks+=("podman volume rm -f '$name' > /dev/null 2>&1") ;;
        secret)    cleanup_hooks+=("podman secret rm '$name' > /dev/null 2>&1") ;;
        image)     cleanup_hooks+=("podman rmi -f '$name' > /dev/null 2>&1") ;;
    esac
}

#   deploy_build IMAGE FILE [build args...]: no intermediate image stays
#   behind (--layers=false); the log goes to $TMP/build-*.log
deploy_build () {
    local image=$1 file=$2 log
    shift 2
    log=$TMP/build-$(basename "$file").log
    if ! timeout 900 podman build --pull=never --layers=false -q -t "$image" \
            -f "$DEPLOY_ROOT/deploy/container/$file" "$@" "$DEPLOY_ROOT" > "$log" 2>&1; then
        tail -n 20 "$log"
        return 1
    fi
}

deploy_image () {
    if ! podman image exists "$DEPLOY_IMAGE"; then
        deploy_track image "$DEPLOY_IMAGE"
        deploy_build "$DEPLOY_IMAGE" Containerfile \
            || { fail "podman build of deploy/container/Containerfile"; finish; }
    fi
    echo "$DEPLOY_IMAGE"
}

deploy_systemd_image () {
    deploy_image > /dev/null
    if ! podman image exists "$DEPLOY_SYSTEMD_IMAGE"; then
        deploy_track image "$DEPLOY_SYSTEMD_IMAGE"
        deploy_build "$DEPLOY_SYSTEMD_IMAGE" Containerfile.systemd \
                --build-arg "IMAGE=$DEPLOY_IMAGE" \
            || { fail "podman build of deploy/container/Containerfile.systemd"; finish; }
    fi
    echo "$DEPLOY_SYSTEMD_IMAGE"
}

deploy_states () {
    local name
    for name in "$@"; do
        printf '%s %s\n' "$name" \
            "$(podman inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$name" 2> /dev/null || echo missing -)"
    done
}

deploy_wait_exited () {   # deploy_wait_exited SECONDS NAME...
    local seconds=$1 deadline
    shift
    deadline=$((SECONDS + seconds))
    while [ $SECONDS -lt $deadline ]; do
        deploy_states "$@" | awk '$2 != "exited" { busy = 1 } END { exit busy }' && return 0
        sleep 1
    done
    return 1
}

deploy_compare () {   # deploy_compare RUN SIM
    "$DEPLOY_PYTHON" - "$1" "$2" <<'PY'
import json, sys
run, sim = sys.argv[1], sys.argv[2]
def table(path):
    lines = [l for l in open(path).read().split('\n') if l]
    return lines[0], [[float(v) for v in l.split(',')] for l in lines[1:]]
head_r, pos_r = table(run + '/positions.csv')
head_s, pos_s = table(sim + '/positions.csv')
if head_r != head_s or len(pos_r) != len(pos_s):
    print('positions: %d rows (%s) against %d (%s)' % (len(pos_r), head_r, len(pos_s), head_s))
    sys.exit(1)
dx = max(abs(a - b) for ra, rb in zip(pos_r, pos_s) for a, b in zip(ra, rb))
trace_r = {r['round']: r for r in map(json.loads, open(run + '/trace.jsonl'))}
trace_s = {r['round']: r for r in map(json.loads, open(sim + '/trace.jsonl'))}
common = sorted(set(trace_r) & set(trace_s))
dj = max((abs(trace_r[k]['J'] - trace_s[k]['J']) for k in common), default=float('inf'))
sum_r = json.load(open(run + '/summary.json'))
sum_s = json.load(open(sim + '/summary.json'))
print('positions of %d agents differ by %.3g; trace: %d of %d rows, J differs by %.3g; '
      'summary: %s rounds, J %.17g (sim %.17g)' % (len(pos_r), dx, len(common),
      len(trace_s), dj, sum_r['rounds'], sum_r['J'], sum_s['J']))
ok = (dx == 0 and sum_r['rounds'] == sum_s['rounds'] and sum_r['J'] == sum_s['J']
      and sum_r['agents'] == sum_s['agents'] and len(common) == len(trace_s) and dj == 0)
sys.exit(0 if ok else 1)
PY
}
