/*  ss_kube: `swarmshape plan FLEET --kube --out DIR`, a fleet as Kubernetes
    manifests, for fleets that outgrow a few hosts.

    DIR holds, in the order `kubectl apply -f DIR` applies them:

        00-namespace.yaml    the Namespace (--namespace, default
                             swarmshape-<fleet name>)
        10-config.yaml       ConfigMap swarmshape-config: the fleet file as the
                             pods read it and every public certificate
        20-secrets.yaml      (0600) one Secret per agent, agent-<i>-key,
                             holding only that agent's secret certificate,
                             and coordinator-key holding only the
                             coordinator's
        30-coordinator.yaml  the coordinator: a Deployment (one replica,
                             Recreate) with a PersistentVolumeClaim for the
                             run's files, and the Service `coordinator`
        40-agents.yaml       per agent a Pod agent-<i> (a stable name, its
                             own Secret) and a headless Service agent-<i>
                             that names it in DNS (published before it is
                             ready: neighbours connect to each other first)
        config/              the ConfigMap's files, as written

    The fleet file of the ConfigMap is the planned fleet (--set applied)
    with every agent's host set to its Service name (agent-<i>, same
    ports) and the coordinator endpoint to tcp://coordinator:PORT; it is
    read back and must be the planned fleet otherwise (ss_fleet_diff, and
    the same ss_fleet_id). Every container runs as uid 10001, non-root,
    read-only root, no capabilities, no privilege escalation, the runtime's
    seccomp profile, with resource requests and limits from ss_kube_memory
    and liveness and readiness probes on its port. A pod's secret
    certificate is copied from its Secret into a memory-backed emptyDir
    with mode 0600 at start (a Secret volume cannot give the pod's user a
    file of its own with mode 0600; podman 4.3's `kube play` also leaves
    Secret data base64-encoded: the copy decodes it).

    `podman kube play` runs the same files (tests/deploy/kube.sh;
    deploy/README.md, "Kubernetes").
*/
#ifndef SS_KUBE_H
#define SS_KUBE_H

#include <stdbool.h>
#include <stdint.h>
#include "ss_cli.h"

typedef struct {
    bool on;                    //  --kube
    const char *image;          //  --image NAME [swarmshape:latest]
    const char *space;          //  --namespace NAME [swarmshape-<fleet name>]
} ss_kube_args_t;

//  Take --kube, --image NAME and --namespace NAME (also --image=NAME) out
//  of argv, leaving the rest for ss_cli_parse. 0, or 2 after one line.
int ss_kube_take_args (int *argc, char **argv, ss_kube_args_t *kube);

//  Generate missing certificates and write the manifests into args->out.
//  0; 2 after one line for a usage or configuration error; 1 for I/O.
int ss_kube_plan (const ss_fleet_t *fleet, const ss_kube_args_t *kube,
                  const ss_cli_args_t *args);

//  Memory, in bytes, that one agent and the coordinator of this fleet need
//  at most (the arithmetic of deploy/systemd/agentd@.service.in and
//  coordinator.service.in, doubled, rounded up to MiB): the manifests'
//  requests and limits. max_degree is the graph's largest degree.
void ss_kube_memory (const ss_fleet_t *fleet, int max_degree,
                     int64_t *agent, int64_t *coordinator);

#endif
