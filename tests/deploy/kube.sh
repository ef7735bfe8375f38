#!/usr/bin/env bash
#   kube.sh BUILD_DIR: `swarmshape plan FLEET --kube --out DIR` for real.
#   1. The manifests (read with PyYAML): a Namespace; a ConfigMap with the
#      fleet file and every public certificate and no secret; one Secret per
#      agent holding only that agent's secret certificate (byte for byte)
#      and one for the coordinator, in a 0600 file; per agent a Pod with a
#      stable name and a headless Service publishing it before it is ready;
#      the coordinator as a Deployment with a PersistentVolumeClaim; every
#      container non-root (uid 10001), read-only root, no privilege
#      escalation, all capabilities dropped, resource requests = limits for
#      memory, readiness and liveness probes. The pods' fleet file loads and
#      names the Service names.
#   2. `kubectl apply --dry-run=client` accepts them where kubectl reaches a
#      cluster (else the line says why that check did not run).
#   3. `podman kube play` runs them (Secrets first, the coordinator with the
#      alias its Service gives it in Kubernetes): the run completes, every
#      agent exits 0, and the run's files in the coordinator's volume equal
#      `swarmshape sim` of the pods' fleet file in the same image
#      (positions differ by exactly 0, trace and summary equal).
#   4. Usage errors exit 2 with one line.
#   Every pod, container, secret, volume and network made is removed at the
#   end. SKIP when podman cannot run a container.
source "$(dirname "$0")/../cli/lib.sh"
source "$(dirname "$0")/lib.bash"
deploy_require
IMAGE=$(deploy_image) || exit 1

F=$TMP/kube.zpl
cp "$DEPLOY_ROOT/deploy/container/fleet.zpl" "$F"
K=$TMP/k8s
"$SWARMSHAPE" plan "$F" --kube --out "$K" --image "$IMAGE" --set name=kube \
    > "$TMP/plan.out" 2> "$TMP/plan.err"
check "plan --kube exits 0" [ $? -eq 0 ]
check "nothing on stderr" [ ! -s "$TMP/plan.err" ]
cat "$TMP/plan.out"
check "the manifests' files" \
    [ "$(cd "$K" && ls | tr '\n' ' ')" = "00-namespace.yaml 10-config.yaml 20-secrets.yaml 30-coordinator.yaml 40-agents.yaml config " ]
check "20-secrets.yaml is 0600" [ "$(stat -c %a "$K/20-secrets.yaml")" = 600 ]
check "the pods' fleet file loads" "$SWARMSHAPE" sim "$K/config/fleet.zpl" --set rounds=1 --out "$TMP/one" --quiet

#   1. what the manifests say
if "$DEPLOY_PYTHON" - "$K" "$TMP/keys" 4 "$IMAGE" > "$TMP/manifests.out" 2>&1 <<'PY'
import base64, os, sys, yaml
k8s, keys, n, image = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
docs = {}
for f in sorted(os.listdir(k8s)):
    if f.endswith('.yaml'):
        docs[f] = [d for d in yaml.safe_load_all(open(os.path.join(k8s, f))) if d]
fails = []
def need(what, ok):
    print(('ok   ' if ok else 'FAIL ') + what)
    if not ok: fails.append(what)
ns = docs['00-namespace.yaml'][0]
need('a Namespace swarmshape-kube', ns['kind'] == 'Namespace' and ns['metadata']['name'] == 'swarmshape-kube')
every = [d for f in docs.values() for d in f]
need('every object in that namespace', all(d['metadata'].get('namespace') == 'swarmshape-kube'
                                          for d in every if d['kind'] != 'Namespace'))
cm = docs['10-config.yaml'][0]
want = {'fleet.zpl'} | {'agent-%d.key' % i for i in range(n)} | {'coordinator.key'}
need('ConfigMap: the fleet file and every public certificate', cm['kind'] == 'ConfigMap' and set(cm['data']) == want)
need('ConfigMap: no secret key in it', not any('secret-key' in v for v in cm['data'].values()))
need('ConfigMap: the certificates as in the key directory', all(
    cm['data'][k] == open(os.path.join(keys, k)).read() for k in want if k.endswith('.key')))
secrets = docs['20-secrets.yaml']
need('one Secret per agent and one for the coordinator',
     sorted(s['metadata']['name'] for s in secrets) == sorted(['agent-%d-key' % i for i in range(n)] + ['coordinator-key']))
for s in secrets:
    who = s['metadata']['name'][:-4]
    data = s.get('data', {})
    need('Secret %s holds only %s.key_secret, byte for byte' % (s['metadata']['name'], who),
         list(data) == [who + '.key_secret'] and
         base64.b64decode(data[who + '.key_secret']) == open(os.path.join(keys, who + '.key_secret'), 'rb').read())
coord = docs['30-coordinator.yaml']
kinds = {d['kind']: d for d in coord}
need('coordinator: PersistentVolumeClaim, Service, Deployment', sorted(kinds) == ['Deployment', 'PersistentVolumeClaim', 'Service'])
dep = kinds['Deployment']
need('coordinator Deployment: one replica, Recreate', dep['spec']['replicas'] == 1 and dep['spec']['strategy']['type'] == 'Recreate')
need('coordinator Service named coordinator', kinds['Service']['metadata']['name'] == 'coordinator')
vols = {v['name']: v for v in dep['spec']['template']['spec']['volumes']}
need('coordinator: the run files on the claim', vols['coordinator-run']['persistentVolumeClaim']['claimName'] == 'coordinator-run')
need('coordinator: its own Secret only', vols['secret']['secret']['secretName'] == 'coordinator-key')
agents = docs['40-agents.yaml']
pods = [d for d in agents if d['kind'] == 'Pod']
services = [d for d in agents if d['kind'] == 'Service']
need('a Pod agent-<i> per agent', [p['metadata']['name'] for p in pods] == ['agent-%d' % i for i in range(n)])
need('a headless Service agent-<i> per agent, published before ready',
     [s['metadata']['name'] for s in services] == ['agent-%d' % i for i in range(n)]
     and all(s['spec']['clusterIP'] == 'None' and s['spec']['publishNotReadyAddresses'] for s in services))
for i, p in enumerate(pods):
    vols = {v['name']: v for v in p['spec']['volumes']}
    need('agent-%d mounts its own Secret only' % i, vols['secret']['secret']['secretName'] == 'agent-%d-key' % i)
    need('agent-%d restarts on failure only' % i, p['spec']['restartPolicy'] == 'OnFailure')
specs = [('coordinator', dep['spec']['template']['spec'])] + [(p['metadata']['name'], p['spec']) for p in pods]
for name, spec in specs:
    psc = spec['securityContext']
    need('%s: pod runs as 10001, non-root, RuntimeDefault seccomp' % name,
         psc['runAsNonRoot'] and psc['runAsUser'] == 10001 and psc['runAsGroup'] == 10001
         and psc['seccompProfile']['type'] == 'RuntimeDefault')
    need('%s: no service account token' % name, spec['automountServiceAccountToken'] is False)
    for c in spec['containers']:
        sc = c['securityContext']
        need('%s/%s: read-only root, no escalation, capabilities dropped' % (name, c['name']),
             sc['readOnlyRootFilesystem'] and sc['allowPrivilegeEscalation'] is False
             and sc['capabilities']['drop'] == ['ALL'])
        r = c['resources']
        need('%s/%s: cpu and memory requests and limits' % (name, c['name']),
             all(k in r['requests'] and k in r['limits'] for k in ('cpu', 'memory'))
             and r['requests']['memory'] == r['limits']['memory'])
        need('%s/%s: readiness and liveness probes' % (name, c['name']),
             'readinessProbe' in c and 'livenessProbe' in c)
        need('%s/%s: image %s' % (name, c['name'], image), c['image'] == image)
sys.exit(1 if fails else 0)
PY
then
    pass "manifests: $(grep -c '^ok' "$TMP/manifests.out") properties hold"
else
    grep -v '^ok' "$TMP/manifests.out"
    fail "manifests: $(grep -c '^FAIL' "$TMP/manifests.out") properties do not hold"
fi
check "the pods' fleet file names the Services" \
    bash -c "grep -q 'host = agent-3' '$K/config/fleet.zpl' && grep -q 'endpoint = tcp://coordinator:7099' '$K/config/fleet.zpl'"

#   2. kubectl, where a cluster answers
if command -v kubectl > /dev/null && timeout 20 kubectl version > /dev/null 2>&1; then
    timeout 120 kubectl apply --dry-run=client -f "$K" > "$TMP/kubectl.out" 2>&1
    check "kubectl apply --dry-run=client accepts the manifests" [ $? -eq 0 ]
else
    echo "     kubectl apply --dry-run=client not run: $(command -v kubectl > /dev/null \
        && echo 'kubectl reaches no cluster (client dry-run needs the API server for discovery)' \
        || echo 'no kubectl')"
fi

#   3. podman kube play
NET=${DEPLOY_RUN}-kube
before_volumes=$(podman volume ls -q | sort)
cleanup_hooks+=("podman kube down '$K/40-agents.yaml' > /dev/null 2>&1"
                "podman kube down '$K/30-coordinator.yaml' > /dev/null 2>&1")
for s in coordinator-key agent-0-key agent-1-key agent-2-key agent-3-key; do deploy_track secret "$s"; done
deploy_track network "$NET"
cleanup_hooks+=("comm -13 <(echo '$before_volumes') <(podman volume ls -q | sort) | xargs -r podman volume rm -f > /dev/null 2>&1")
podman network create "$NET" > /dev/null || { fail "podman network create"; finish; }
t0=$SECONDS
timeout 120 podman kube play --network "$NET" "$K/20-secrets.yaml" > "$TMP/play.log" 2>&1 \
    && timeout 120 podman kube play --network "$NET:alias=coordinator" \
        --configmap "$K/10-config.yaml" "$K/30-coordinator.yaml" >> "$TMP/play.log" 2>&1 \
    && timeout 120 podman kube play --network "$NET" \
        --configmap "$K/10-config.yaml" "$K/40-agents.yaml" >> "$TMP/play.log" 2>&1
check "podman kube play: secrets, coordinator, agents" [ $? -eq 0 ]
agents=(agent-0-agentd agent-1-agentd agent-2-agentd agent-3-agentd)
RUN=$(podman volume inspect -f '{{.Mountpoint}}' coordinator-run 2> /dev/null)/run
deadline=$((SECONDS + 240))
while [ $SECONDS -lt $deadline ] && ! { [ -s "$RUN/summary.json" ] && deploy_wait_exited 1 "${agents[@]}"; }; do
    sleep 1
done
cp -r "$RUN" "$TMP/run" 2> /dev/null
if [ -s "$TMP/run/summary.json" ]; then
    pass "the run completed ($((SECONDS - t0)) s)"
else
    fail "no summary.json in the coordinator's volume after 240 s"
    tail -n 20 "$TMP/play.log"
    for c in coordinator-pod-0-coordinator "${agents[@]}"; do echo "--- $c"; podman logs --tail 5 "$c" 2>&1; done
fi
states=$(deploy_states "${agents[@]}")
check "every agent exited 0" bash -c "awk '\$2 != \"exited\" || \$3 != 0 { bad = 1 } END { exit bad }' <<< '$states'"
for c in coordinator-pod-0-coordinator "${agents[@]}"; do
    check "$c ran as 10001:10001, read-only" \
        [ "$(podman inspect -f '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}' "$c" 2> /dev/null)" = "10001:10001 true" ]
done

SIMC=${DEPLOY_RUN}-sim
deploy_track container "$SIMC"
mkdir -p "$TMP/sim" && chown 10001:10001 "$TMP/sim"
podman run --name "$SIMC" --network none --read-only --cap-drop ALL \
    -v "$K/config:/etc/swarmshape/config:ro" -v "$TMP/sim:/out" \
    --entrypoint /opt/swarmshape/bin/swarmshape "$IMAGE" \
    sim /etc/swarmshape/config/fleet.zpl --out /out --quiet > "$TMP/sim.log" 2>&1 \
    || fail "sim in the image: $(tail -n 3 "$TMP/sim.log")"
if line=$(deploy_compare "$TMP/run" "$TMP/sim"); then
    pass "the pods' run equals sim: $line"
else
    fail "the pods' run differs from sim: $line"
fi

#   4. usage errors
expect_2() {   # expect_2 "what" args...
    local what=$1; shift
    "$SWARMSHAPE" plan "$F" "$@" > /dev/null 2> "$TMP/err"
    local rc=$?
    check "$what: exit 2" [ $rc -eq 2 ]
    check "$what: one line" [ "$(wc -l < "$TMP/err")" -eq 1 ]
}
expect_2 "manifests exist, no --force" --kube --out "$K"
expect_2 "--namespace not a DNS label" --kube --out "$TMP/k2" --namespace Bad_Name
expect_2 "--image without --kube" --out "$TMP/k3" --image x
expect_2 "--image with a quote" --kube --out "$TMP/k4" --image 'a"b'
"$SWARMSHAPE" plan "$F" --kube --out "$K" --force --quiet --image "$IMAGE" --set name=kube
check "--force replaces them" [ $? -eq 0 ]
finish
