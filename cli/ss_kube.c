/*  ss_kube: a fleet as Kubernetes manifests (see ss_kube.h) */

#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "ss_kube.h"
#include "ss_file.h"
#include "ss_keys.h"

#define S_UID           10001
#define S_IMAGE         "swarmshape:latest"
#define S_CONFIG        "/etc/swarmshape/config"    //  the ConfigMap
#define S_SECRET        "/etc/swarmshape/secret"    //  the pod's Secret
#define S_KEYS          "/etc/swarmshape/keys"      //  emptyDir: the key directory
#define S_STATE         "/var/lib/swarmshape"
#define S_MIB           (1024 * 1024)

//  Run first in every container (the coordinator of a run with rounds > 0
//  whose summary.json exists idles instead: a Deployment restarts a
//  coordinator that ended, and a new run would replace the files): the key directory from the ConfigMap's
//  public certificates and the pod's Secret (0600, decoded where podman
//  4.3 left it base64), then wait (at most 120 s) until the names in
//  SS_WAIT_FOR resolve: libzmq resolves a peer's name in its I/O thread,
//  and a name that is not there yet can stall it. "$@" is the program.
static const char *s_start =
    "set -eu\n"
    "if [ -n \"${SS_DONE_FILE:-}\" ] && [ -s \"$SS_DONE_FILE\" ]; then\n"
    "    echo \"$1: the run is over ($SS_DONE_FILE): not running it again\" >&2\n"
    "    exec sleep 2147483647\n"
    "fi\n"
    "umask 077\n"
    "cp " S_CONFIG "/*.key " S_KEYS "/\n"
    "for f in " S_SECRET "/*.key_secret; do\n"
    "    case \"$(head -c 1 \"$f\")\" in\n"
    "        '#') cat \"$f\" ;;\n"
    "        *) base64 -d \"$f\" ;;\n"
    "    esac > " S_KEYS "/\"${f##*/}\"\n"
    "done\n"
    "i=0\n"
    "while [ -n \"${SS_WAIT_FOR:-}\" ] && ! getent hosts $SS_WAIT_FOR > /dev/null; do\n"
    "    i=$((i + 1))\n"
    "    if [ $i -gt 240 ]; then echo \"$1: $SS_WAIT_FOR: names do not resolve after 120 s\" >&2; exit 1; fi\n"
    "    sleep 0.5\n"
    "done\n"
    "exec \"$@\"\n";

//  --------------------------------------------------------------------------
//  Arguments

static bool
s_is_label (const char *name)
{
    size_t len = strlen (name);
    if (len == 0 || len > 63 || name [0] == '-' || name [len - 1] == '-')
        return false;
    for (const char *c = name; *c; c++)
        if (!(islower ((unsigned char) *c) || isdigit ((unsigned char) *c) || *c == '-'))
            return false;
    return true;
}

//  An image reference is pasted into YAML: keep it to the characters of one
static bool
s_is_image (const char *image)
{
    if (!*image || strlen (image) > 255)
        return false;
    for (const char *c = image; *c; c++)
        if (!(isalnum ((unsigned char) *c) || strchr ("._-/:@", *c)))
            return false;
    return true;
}

int
ss_kube_take_args (int *argc, char **argv, ss_kube_args_t *kube)
{
    *kube = (ss_kube_args_t) { .image = S_IMAGE };
    int kept = 1;
    for (int a = 1; a < *argc; a++) {
        const char *arg = argv [a], **value = NULL, *name = NULL;
        if (streq (arg, "--kube")) {
            kube->on = true;
            continue;
        }
        if (strncmp (arg, "--image", 7) == 0 && (arg [7] == 0 || arg [7] == '='))
            value = &kube->image, name = "--image";
        else
        if (strncmp (arg, "--namespace", 11) == 0 && (arg [11] == 0 || arg [11] == '='))
            value = &kube->space, name = "--namespace";
        if (!value) {
            argv [kept++] = argv [a];
            continue;
        }
        const char *equal = strchr (arg, '=');
        if (equal)
            *value = equal + 1;
        else
        if (a + 1 < *argc)
            *value = argv [++a];
        else {
            fprintf (stderr, "swarmshape plan: option '%s' needs a value\n", name);
            return 2;
        }
    }
    argv [kept] = NULL;
    *argc = kept;
    if ((kube->image != NULL && !streq (kube->image, S_IMAGE)) || kube->space) {
        if (!kube->on) {
            fprintf (stderr, "swarmshape plan: --image and --namespace go with --kube\n");
            return 2;
        }
    }
    if (!s_is_image (kube->image)) {
        fprintf (stderr, "swarmshape plan: --image '%s': expected an image reference "
                 "(letters, digits and . _ - / : @)\n", kube->image);
        return 2;
    }
    if (kube->space && !s_is_label (kube->space)) {
        fprintf (stderr, "swarmshape plan: --namespace '%s': expected a DNS label "
                 "(at most 63 of a-z 0-9 -, not starting or ending with -)\n", kube->space);
        return 2;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Sizes

static int64_t
s_power (int base, int exponent)
{
    int64_t value = 1;
    for (int e = 0; e < exponent; e++)
        value *= base;
    return value;
}

static int64_t
s_round_mib (double bytes, int64_t least)
{
    int64_t mib = (int64_t) (bytes / S_MIB) + 1;
    return (mib * S_MIB > least? mib * S_MIB: least);
}

void
ss_kube_memory (const ss_fleet_t *fleet, int max_degree, int64_t *agent,
                int64_t *coordinator)
{
    double d = fleet->model.dim;
    double K = (double) s_power (fleet->model.m, fleet->model.dim);
    double G = (double) s_power (fleet->model.nq, fleet->model.dim);
    double N = fleet->count;
    double base = 16.0 * S_MIB;         //  measured ~9 MB, with room
    double model = 8 * G * K + 16 * K * K + 8 * G * (d + 4) + 8 * K * (d + 8);
    double queues = (max_degree + 1) * 4.0 * 64 * 1024;
    *agent = s_round_mib (2 * (base + model + queues), 64 * S_MIB);
    double slots = 64 * N * (16 * K + 8 * d + 177);
    double scoring = N * (16 * K + 40 * d);
    *coordinator = s_round_mib (2 * (base + model + slots + scoring), 128 * S_MIB);
}

//  --------------------------------------------------------------------------
//  YAML

typedef struct {
    char *text;
    size_t size;
    FILE *file;
} s_doc_t;

static int
s_doc_open (s_doc_t *doc)
{
    *doc = (s_doc_t) { NULL, 0, NULL };
    doc->file = open_memstream (&doc->text, &doc->size);
    return doc->file? 0: -1;
}

//  Close, write atomically with mode; 0 or 1 after a line
static int
s_doc_save (s_doc_t *doc, const char *dir, const char *name, int mode)
{
    char path [PATH_MAX + 64];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    bool bad = ferror (doc->file) != 0;
    if (fclose (doc->file))
        bad = true;
    int rc = 0;
    if (bad || ss_file_write_atomic (path, doc->text, doc->size, mode)) {
        fprintf (stderr, "swarmshape plan: %s: cannot write: %s\n", path, strerror (errno));
        rc = 1;
    }
    free (doc->text);
    return rc;
}

//  A block scalar: text, each line indented
static void
s_block (FILE *out, const char *text, int indent)
{
    fprintf (out, "|\n");
    for (const char *line = text; *line; ) {
        const char *end = strchr (line, '\n');
        size_t len = end? (size_t) (end - line): strlen (line);
        if (len)
            fprintf (out, "%*s%.*s\n", indent, "", (int) len, line);
        else
            fprintf (out, "\n");
        line += len + (end? 1: 0);
    }
}

//  A JSON string (valid YAML flow scalar)
static void
s_quoted (FILE *out, const char *text)
{
    fputc ('"', out);
    for (const char *c = text; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf (out, "\\%c", *c);
        else
        if (*c == '\n')
            fprintf (out, "\\n");
        else
        if ((unsigned char) *c < 0x20)
            fprintf (out, "\\u%04x", (unsigned char) *c);
        else
            fputc (*c, out);
    }
    fputc ('"', out);
}

static char *
s_slurp (const char *path, size_t *size)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    char *text = NULL;
    size_t got = 0, cap = 0;
    while (true) {
        if (got + 4096 + 1 > cap) {
            cap = 2 * cap + 8192;
            char *more = realloc (text, cap);
            if (!more) {
                free (text);
                fclose (file);
                return NULL;
            }
            text = more;
        }
        size_t n = fread (text + got, 1, 4096, file);
        got += n;
        if (n < 4096)
            break;
    }
    bool bad = ferror (file) != 0;
    fclose (file);
    if (bad) {
        free (text);
        return NULL;
    }
    text [got] = 0;
    if (size)
        *size = got;
    return text;
}

typedef struct {
    const ss_fleet_t *fleet;    //  as planned
    ss_fleet_t *pods;           //  as the pods read it
    ss_graph_t *graph;
    const char *space;
    const char *image;
    const char *dir;
    char instance [64];         //  label value: the fleet's name as a label
    int coordinator_port;
    int64_t agent_memory, coordinator_memory;
} s_kube_t;

static void
s_metadata (s_kube_t *self, FILE *out, const char *name, const char *component,
            int agent, int indent)
{
    fprintf (out, "%*smetadata:\n", indent, "");
    if (name) {
        fprintf (out, "%*s  name: %s\n", indent, "", name);
        fprintf (out, "%*s  namespace: %s\n", indent, "", self->space);
    }
    fprintf (out, "%*s  labels:\n", indent, "");
    fprintf (out, "%*s    app.kubernetes.io/name: swarmshape\n", indent, "");
    fprintf (out, "%*s    app.kubernetes.io/instance: %s\n", indent, "", self->instance);
    if (component)
        fprintf (out, "%*s    app.kubernetes.io/component: %s\n", indent, "", component);
    if (agent >= 0)
        fprintf (out, "%*s    swarmshape.io/agent: \"%d\"\n", indent, "", agent);
}

//  The pod spec both kinds of pod share; indent is the spec's own
static void
s_pod_spec (s_kube_t *self, FILE *out, int indent, const char *hostname,
            const char *container, const char *secret, const char *keys_volume,
            const char *wait_for, const char *const *args, int port,
            const char *probe_host, int64_t memory, const char *cpu,
            const char *state_volume, bool state_is_claim, const char *done_file)
{
    const char *pad = "";
    int i = indent;
    fprintf (out, "%*shostname: %s\n", i, pad, hostname);
    fprintf (out, "%*sautomountServiceAccountToken: false\n", i, pad);
    fprintf (out, "%*senableServiceLinks: false\n", i, pad);
    fprintf (out, "%*sterminationGracePeriodSeconds: 15\n", i, pad);
    fprintf (out, "%*ssecurityContext:\n", i, pad);
    fprintf (out, "%*s  runAsNonRoot: true\n", i, pad);
    fprintf (out, "%*s  runAsUser: %d\n", i, pad, S_UID);
    fprintf (out, "%*s  runAsGroup: %d\n", i, pad, S_UID);
    fprintf (out, "%*s  fsGroup: %d\n", i, pad, S_UID);
    fprintf (out, "%*s  seccompProfile:\n", i, pad);
    fprintf (out, "%*s    type: RuntimeDefault\n", i, pad);
    fprintf (out, "%*scontainers:\n", i, pad);
    fprintf (out, "%*s- name: %s\n", i, pad, container);
    fprintf (out, "%*s  image: %s\n", i, pad, self->image);
    fprintf (out, "%*s  imagePullPolicy: IfNotPresent\n", i, pad);
    fprintf (out, "%*s  command:\n", i, pad);
    fprintf (out, "%*s  - /bin/sh\n", i, pad);
    fprintf (out, "%*s  - -c\n", i, pad);
    fprintf (out, "%*s  - ", i, pad);
    s_block (out, s_start, i + 4);
    fprintf (out, "%*s  - %s\n", i, pad, container);
    fprintf (out, "%*s  args:\n", i, pad);
    for (int a = 0; args [a]; a++) {
        fprintf (out, "%*s  - ", i, pad);
        s_quoted (out, args [a]);
        fprintf (out, "\n");
    }
    fprintf (out, "%*s  env:\n", i, pad);
    fprintf (out, "%*s  - name: SS_WAIT_FOR\n", i, pad);
    fprintf (out, "%*s    value: \"%s\"\n", i, pad, wait_for);
    if (done_file) {
        fprintf (out, "%*s  - name: SS_DONE_FILE\n", i, pad);
        fprintf (out, "%*s    value: \"%s\"\n", i, pad, done_file);
    }
    fprintf (out, "%*s  ports:\n", i, pad);
    fprintf (out, "%*s  - name: zmtp\n", i, pad);
    fprintf (out, "%*s    containerPort: %d\n", i, pad, port);
    fprintf (out, "%*s    protocol: TCP\n", i, pad);
    //  An agent's sealed datagrams on lossy links (links/datagrams)
    if (streq (container, "agentd")) {
        fprintf (out, "%*s  - name: datagrams\n", i, pad);
        fprintf (out, "%*s    containerPort: %d\n", i, pad, port);
        fprintf (out, "%*s    protocol: UDP\n", i, pad);
    }
    fprintf (out, "%*s  securityContext:\n", i, pad);
    fprintf (out, "%*s    allowPrivilegeEscalation: false\n", i, pad);
    fprintf (out, "%*s    readOnlyRootFilesystem: true\n", i, pad);
    fprintf (out, "%*s    runAsNonRoot: true\n", i, pad);
    fprintf (out, "%*s    capabilities:\n", i, pad);
    fprintf (out, "%*s      drop: [ALL]\n", i, pad);
    fprintf (out, "%*s  resources:\n", i, pad);
    fprintf (out, "%*s    requests:\n", i, pad);
    fprintf (out, "%*s      cpu: 100m\n", i, pad);
    fprintf (out, "%*s      memory: %lldMi\n", i, pad, (long long) (memory / S_MIB));
    fprintf (out, "%*s    limits:\n", i, pad);
    fprintf (out, "%*s      cpu: \"%s\"\n", i, pad, cpu);
    fprintf (out, "%*s      memory: %lldMi\n", i, pad, (long long) (memory / S_MIB));
    //  Probes: the program listens on its port (a TCP connect, as a
    //  tcpSocket probe would; an exec probe, so that `podman kube play`
    //  needs no nc in the image)
    const char *probes [] = { "readinessProbe", "livenessProbe" };
    for (int p = 0; p < 2; p++) {
        fprintf (out, "%*s  %s:\n", i, pad, probes [p]);
        fprintf (out, "%*s    exec:\n", i, pad);
        fprintf (out, "%*s      command: [\"/bin/bash\", \"-c\", \"%s%s%sexec 3<>/dev/tcp/%s/%d\"]\n",
                 i, pad, done_file? "[ -s ": "", done_file? done_file: "",
                 done_file? " ] || ": "", probe_host, port);
        fprintf (out, "%*s    initialDelaySeconds: %d\n", i, pad, p? 30: 2);
        fprintf (out, "%*s    periodSeconds: %d\n", i, pad, p? 20: 5);
        fprintf (out, "%*s    timeoutSeconds: 5\n", i, pad);
        fprintf (out, "%*s    failureThreshold: %d\n", i, pad, p? 6: 3);
    }
    fprintf (out, "%*s  volumeMounts:\n", i, pad);
    fprintf (out, "%*s  - name: config\n", i, pad);
    fprintf (out, "%*s    mountPath: " S_CONFIG "\n", i, pad);
    fprintf (out, "%*s    readOnly: true\n", i, pad);
    fprintf (out, "%*s  - name: secret\n", i, pad);
    fprintf (out, "%*s    mountPath: " S_SECRET "\n", i, pad);
    fprintf (out, "%*s    readOnly: true\n", i, pad);
    fprintf (out, "%*s  - name: %s\n", i, pad, keys_volume);
    fprintf (out, "%*s    mountPath: " S_KEYS "\n", i, pad);
    fprintf (out, "%*s  - name: %s\n", i, pad, state_volume);
    fprintf (out, "%*s    mountPath: " S_STATE "\n", i, pad);
    fprintf (out, "%*svolumes:\n", i, pad);
    fprintf (out, "%*s- name: config\n", i, pad);
    fprintf (out, "%*s  configMap:\n", i, pad);
    fprintf (out, "%*s    name: swarmshape-config\n", i, pad);
    fprintf (out, "%*s- name: secret\n", i, pad);
    fprintf (out, "%*s  secret:\n", i, pad);
    fprintf (out, "%*s    secretName: %s\n", i, pad, secret);
    fprintf (out, "%*s    defaultMode: 0440\n", i, pad);
    fprintf (out, "%*s    optional: false\n", i, pad);
    //  Volume names are unique across pods: podman 4.3 names its volumes
    //  after them
    fprintf (out, "%*s- name: %s\n", i, pad, keys_volume);
    fprintf (out, "%*s  emptyDir:\n", i, pad);
    fprintf (out, "%*s    medium: Memory\n", i, pad);
    fprintf (out, "%*s    sizeLimit: 1Mi\n", i, pad);
    fprintf (out, "%*s- name: %s\n", i, pad, state_volume);
    if (state_is_claim) {
        fprintf (out, "%*s  persistentVolumeClaim:\n", i, pad);
        fprintf (out, "%*s    claimName: %s\n", i, pad, state_volume);
    }
    else {
        fprintf (out, "%*s  emptyDir:\n", i, pad);
        fprintf (out, "%*s    sizeLimit: 64Mi\n", i, pad);
    }
}

static int
s_write_namespace (s_kube_t *self)
{
    s_doc_t doc;
    if (s_doc_open (&doc))
        return 1;
    FILE *out = doc.file;
    fprintf (out, "# Fleet %s: its namespace. Generated by `swarmshape plan --kube`.\n"
                  "apiVersion: v1\nkind: Namespace\n", self->fleet->name);
    fprintf (out, "metadata:\n  name: %s\n  labels:\n    app.kubernetes.io/name: swarmshape\n"
                  "    app.kubernetes.io/instance: %s\n", self->space, self->instance);
    return s_doc_save (&doc, self->dir, "00-namespace.yaml", 0644);
}

static int
s_write_config (s_kube_t *self)
{
    const ss_fleet_t *fleet = self->fleet;
    s_doc_t doc;
    if (s_doc_open (&doc))
        return 1;
    FILE *out = doc.file;
    fprintf (out, "# Fleet %s: the fleet file as the pods read it and every public\n"
                  "# certificate. Generated by `swarmshape plan --kube` from %s.\n"
                  "apiVersion: v1\nkind: ConfigMap\n", fleet->name, fleet->path);
    s_metadata (self, out, "swarmshape-config", NULL, -1, 0);
    fprintf (out, "data:\n");
    const char *files [] = { "fleet.zpl", "initial.csv" };
    int rc = 0;
    for (int f = 0; f < 2 && rc == 0; f++) {
        if (f == 1 && fleet->init != SS_INIT_FILE)
            continue;
        char path [PATH_MAX + 64];
        snprintf (path, sizeof path, "%s/config/%s", self->dir, files [f]);
        char *text = s_slurp (path, NULL);
        if (!text) {
            fprintf (stderr, "swarmshape plan: %s: cannot read: %s\n", path, strerror (errno));
            rc = 1;
            break;
        }
        fprintf (out, "  %s: ", files [f]);
        s_block (out, text, 4);
        free (text);
    }
    for (int i = -1; rc == 0 && i < fleet->count; i++) {
        char name [64], path [PATH_MAX + 80];
        ss_keys_name (i, name, sizeof name);
        snprintf (path, sizeof path, "%s/%s.key", fleet->keys, name);
        char *text = s_slurp (path, NULL);
        if (!text) {
            fprintf (stderr, "swarmshape plan: %s: cannot read: %s\n", path, strerror (errno));
            rc = 1;
            break;
        }
        fprintf (out, "  %s.key: ", name);
        s_block (out, text, 4);
        free (text);
    }
    if (rc) {
        fclose (doc.file);
        free (doc.text);
        return rc;
    }
    return s_doc_save (&doc, self->dir, "10-config.yaml", 0644);
}

static int
s_write_secrets (s_kube_t *self)
{
    const ss_fleet_t *fleet = self->fleet;
    s_doc_t doc;
    if (s_doc_open (&doc))
        return 1;
    FILE *out = doc.file;
    fprintf (out, "# Fleet %s: one Secret per agent holding only its own secret\n"
                  "# certificate, and the coordinator's. Generated by `swarmshape plan\n"
                  "# --kube`; keep this file as private as the key directory.\n",
             fleet->name);
    int rc = 0;
    for (int i = -1; rc == 0 && i < fleet->count; i++) {
        char name [64], path [PATH_MAX + 80];
        ss_keys_name (i, name, sizeof name);
        snprintf (path, sizeof path, "%s/%s.key_secret", fleet->keys, name);
        size_t size;
        char *text = s_slurp (path, &size);
        if (!text) {
            fprintf (stderr, "swarmshape plan: %s: cannot read: %s\n", path, strerror (errno));
            rc = 1;
            break;
        }
        size_t b64_size = sodium_base64_ENCODED_LEN (size, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = malloc (b64_size);
        if (!b64) {
            free (text);
            rc = 1;
            break;
        }
        sodium_bin2base64 (b64, b64_size, (const unsigned char *) text, size,
                           sodium_base64_VARIANT_ORIGINAL);
        sodium_memzero (text, size);
        free (text);
        char secret [80];
        snprintf (secret, sizeof secret, "%s-key", name);
        fprintf (out, "---\napiVersion: v1\nkind: Secret\ntype: Opaque\n");
        s_metadata (self, out, secret, i < 0? "coordinator": "agent", i, 0);
        fprintf (out, "data:\n  %s.key_secret: %s\n", name, b64);
        sodium_memzero (b64, b64_size);
        free (b64);
    }
    if (rc) {
        fclose (doc.file);
        free (doc.text);
        return rc;
    }
    return s_doc_save (&doc, self->dir, "20-secrets.yaml", 0600);
}

static int
s_write_coordinator (s_kube_t *self)
{
    const ss_fleet_t *fleet = self->fleet;
    s_doc_t doc;
    if (s_doc_open (&doc))
        return 1;
    FILE *out = doc.file;
    fprintf (out, "# Fleet %s: the coordinator, its Service and the volume of the run's\n"
                  "# files (initial.csv, trace.jsonl, positions.csv, summary.json in run/).\n"
                  "# Generated by `swarmshape plan --kube`. A Deployment restarts a\n"
                  "# coordinator that ends: with rounds > 0, read the run's files once\n"
                  "# summary.json is there.\n", fleet->name);
    fprintf (out, "apiVersion: v1\nkind: PersistentVolumeClaim\n");
    s_metadata (self, out, "coordinator-run", "coordinator", -1, 0);
    fprintf (out, "spec:\n  accessModes: [ReadWriteOnce]\n  resources:\n"
                  "    requests:\n      storage: 1Gi\n");
    fprintf (out, "---\napiVersion: v1\nkind: Service\n");
    s_metadata (self, out, "coordinator", "coordinator", -1, 0);
    fprintf (out, "spec:\n  selector:\n    app.kubernetes.io/instance: %s\n"
                  "    app.kubernetes.io/component: coordinator\n"
                  "  ports:\n  - name: zmtp\n    port: %d\n    targetPort: %d\n"
                  "    protocol: TCP\n", self->instance, self->coordinator_port,
                  self->coordinator_port);
    fprintf (out, "---\napiVersion: apps/v1\nkind: Deployment\n");
    s_metadata (self, out, "coordinator", "coordinator", -1, 0);
    fprintf (out, "spec:\n  replicas: 1\n  strategy:\n    type: Recreate\n"
                  "  selector:\n    matchLabels:\n      app.kubernetes.io/instance: %s\n"
                  "      app.kubernetes.io/component: coordinator\n  template:\n",
             self->instance);
    s_metadata (self, out, NULL, "coordinator", -1, 4);
    fprintf (out, "    spec:\n");
    char bind [64];
    snprintf (bind, sizeof bind, "coordinator/endpoint=tcp://*:%d", self->coordinator_port);
    const char *args [] = { "/opt/swarmshape/bin/coordinator",
        "--fleet", S_CONFIG "/fleet.zpl", "--out", S_STATE "/run",
        "--set", bind, NULL };
    s_pod_spec (self, out, 6, "coordinator", "coordinator", "coordinator-key",
                "coordinator-keys", "", args, self->coordinator_port, "127.0.0.1",
                self->coordinator_memory, "2", "coordinator-run", true,
                fleet->rounds > 0? S_STATE "/run/summary.json": NULL);
    return s_doc_save (&doc, self->dir, "30-coordinator.yaml", 0644);
}

static int
s_write_agents (s_kube_t *self)
{
    const ss_fleet_t *fleet = self->fleet;
    s_doc_t doc;
    if (s_doc_open (&doc))
        return 1;
    FILE *out = doc.file;
    fprintf (out, "# Fleet %s: %d agents, each a Pod with a stable name and its own\n"
                  "# Secret, and a headless Service giving it that name in DNS.\n"
                  "# Generated by `swarmshape plan --kube`.\n", fleet->name, fleet->count);
    for (int i = 0; i < fleet->count; i++) {
        char name [64], secret [80], keys [80], state [80], id [16];
        snprintf (name, sizeof name, "agent-%d", i);
        snprintf (secret, sizeof secret, "agent-%d-key", i);
        snprintf (keys, sizeof keys, "agent-%d-keys", i);
        snprintf (state, sizeof state, "agent-%d-state", i);
        snprintf (id, sizeof id, "%d", i);
        int port = fleet->agents [i].port;
        //  What it waits for: the coordinator and its neighbours
        char *wait = NULL;
        size_t wait_size = 0;
        FILE *list = open_memstream (&wait, &wait_size);
        if (!list) {
            fclose (doc.file);
            free (doc.text);
            return 1;
        }
        fprintf (list, "coordinator");
        const int *nb = ss_graph_neighbours (self->graph, i);
        for (int k = 0; k < ss_graph_degree (self->graph, i); k++)
            fprintf (list, " agent-%d", nb [k]);
        fclose (list);

        fprintf (out, "---\napiVersion: v1\nkind: Service\n");
        s_metadata (self, out, name, "agent", i, 0);
        fprintf (out, "spec:\n  clusterIP: None\n  publishNotReadyAddresses: true\n"
                      "  selector:\n    app.kubernetes.io/instance: %s\n"
                      "    swarmshape.io/agent: \"%d\"\n"
                      "  ports:\n  - name: zmtp\n    port: %d\n    targetPort: %d\n"
                      "    protocol: TCP\n  - name: datagrams\n    port: %d\n"
                      "    targetPort: %d\n    protocol: UDP\n", self->instance, i, port, port,
                      port, port);
        fprintf (out, "---\napiVersion: v1\nkind: Pod\n");
        s_metadata (self, out, name, "agent", i, 0);
        fprintf (out, "spec:\n");
        //  A finished run exits 0 and stays done; a crash restarts the
        //  container, which resumes from its checkpoint in the emptyDir
        fprintf (out, "  restartPolicy: OnFailure\n");
        const char *args [] = { "/opt/swarmshape/bin/agentd",
            "--fleet", S_CONFIG "/fleet.zpl", "--id", id, "--keys", S_KEYS,
            "--state-dir", S_STATE, NULL };
        s_pod_spec (self, out, 2, name, "agentd", secret, keys, wait, args, port,
                    name, self->agent_memory, "1", state, false, NULL);
        free (wait);
    }
    return s_doc_save (&doc, self->dir, "40-agents.yaml", 0644);
}

//  --------------------------------------------------------------------------
//  The fleet as the pods read it

static int
s_pods_fleet (s_kube_t *self)
{
    const ss_fleet_t *fleet = self->fleet;
    const char *colon = strrchr (fleet->coordinator, ':');
    char *end = NULL;
    long port = colon? strtol (colon + 1, &end, 10): 0;
    if (!colon || !end || *end || port < 1 || port > 65535) {
        fprintf (stderr, "swarmshape plan: %s: fleet/coordinator/endpoint: expected "
                 "tcp://HOST:PORT, got '%s'\n", fleet->path, fleet->coordinator);
        return 2;
    }
    self->coordinator_port = (int) port;
    ss_fleet_t *pods = self->pods = malloc (sizeof (ss_fleet_t));
    ss_agent_spec_t *agents = malloc ((size_t) fleet->count * sizeof (ss_agent_spec_t));
    if (!pods || !agents) {
        free (agents);
        fprintf (stderr, "swarmshape plan: out of memory\n");
        return 1;
    }
    *pods = *fleet;                 //  shares edges: read only
    memcpy (agents, fleet->agents, (size_t) fleet->count * sizeof (ss_agent_spec_t));
    pods->agents = agents;
    for (int i = 0; i < fleet->count; i++)
        snprintf (agents [i].host, sizeof agents [i].host, "agent-%d", i);
    snprintf (pods->coordinator, sizeof pods->coordinator, "tcp://coordinator:%d",
              self->coordinator_port);
    snprintf (pods->keys, sizeof pods->keys, "%s", S_KEYS);
    snprintf (pods->state_dir, sizeof pods->state_dir, "%s", S_STATE);
    char dir [PATH_MAX + 16];
    snprintf (dir, sizeof dir, "%s/config", self->dir);
    if (ss_mkdirs (dir, 0755)) {
        fprintf (stderr, "swarmshape plan: %s: cannot create: %s\n", dir, strerror (errno));
        return 1;
    }
    char path [PATH_MAX + 64], err [1024];
    if (fleet->init == SS_INIT_FILE) {
        snprintf (path, sizeof path, "%s/initial.csv", dir);
        size_t size;
        char *text = s_slurp (fleet->init_file, &size);
        if (!text || ss_file_write_atomic (path, text, size, 0644)) {
            fprintf (stderr, "swarmshape plan: %s: cannot copy to %s\n", fleet->init_file, path);
            free (text);
            return 1;
        }
        free (text);
        if (strlen (path) >= sizeof pods->init_file) {
            fprintf (stderr, "swarmshape plan: %s: path too long\n", path);
            return 1;
        }
        memcpy (pods->init_file, path, strlen (path) + 1);
    }
    snprintf (path, sizeof path, "%s/fleet.zpl", dir);
    if (ss_fleet_write (pods, path, err, sizeof err)) {
        fprintf (stderr, "swarmshape plan: %s\n", err);
        return 1;
    }
    //  Read back: the planned fleet but for the hosts and the endpoint
    ss_fleet_t *got = ss_fleet_load (path, NULL, 0, err, sizeof err);
    if (!got) {
        fprintf (stderr, "swarmshape plan: the pods' fleet file does not load: %s\n", err);
        return 1;
    }
    const char *diff = ss_fleet_diff (got, pods);
    if (!diff && ss_fleet_id (got) != ss_fleet_id (fleet))
        diff = "the fleet id";
    ss_fleet_destroy (&got);
    if (diff) {
        fprintf (stderr, "swarmshape plan: %s: differs from the fleet planned at %s\n",
                 path, diff);
        return 1;
    }
    return 0;
}

static int
s_remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove (path);
}

//  DIR new, or an earlier --kube output replaced with --force
static int
s_prepare_dir (const char *dir, bool force)
{
    struct stat st;
    if (lstat (dir, &st) == 0) {
        char marker [PATH_MAX + 32];
        snprintf (marker, sizeof marker, "%s/00-namespace.yaml", dir);
        if (!S_ISDIR (st.st_mode) || access (marker, F_OK)) {
            fprintf (stderr, "swarmshape plan: %s: exists and holds no manifests of "
                     "`plan --kube`: not writing there\n", dir);
            return 2;
        }
        if (!force) {
            fprintf (stderr, "swarmshape plan: %s: the manifests exist (--force "
                     "replaces them)\n", dir);
            return 2;
        }
        if (nftw (dir, s_remove_one, 16, FTW_DEPTH | FTW_PHYS)) {
            fprintf (stderr, "swarmshape plan: %s: cannot remove the old manifests: %s\n",
                     dir, strerror (errno));
            return 1;
        }
    }
    if (ss_mkdirs (dir, 0700) || chmod (dir, 0700)) {
        fprintf (stderr, "swarmshape plan: %s: cannot create: %s\n", dir, strerror (errno));
        return 1;
    }
    return 0;
}

int
ss_kube_plan (const ss_fleet_t *fleet, const ss_kube_args_t *kube,
              const ss_cli_args_t *args)
{
    s_kube_t self = { .fleet = fleet, .image = kube->image, .dir = args->out };
    char space [80];
    //  The fleet's name as a label: lower case, others to '-'
    size_t len = 0;
    for (const char *c = fleet->name; *c && len < 40; c++)
        self.instance [len++] = isalnum ((unsigned char) *c)
                              ? (char) tolower ((unsigned char) *c): '-';
    self.instance [len] = 0;
    while (len && self.instance [len - 1] == '-')
        self.instance [--len] = 0;
    if (!len || self.instance [0] == '-') {
        fprintf (stderr, "swarmshape plan: %s: fleet/name: '%s' gives no Kubernetes "
                 "name: start it with a letter or digit\n", fleet->path, fleet->name);
        return 2;
    }
    snprintf (space, sizeof space, "swarmshape-%s", self.instance);
    self.space = kube->space? kube->space: space;
    char err [1024];
    self.graph = ss_fleet_graph (fleet, err, sizeof err);
    if (!self.graph) {
        fprintf (stderr, "swarmshape plan: %s\n", err);
        return 2;
    }
    int max_degree = 0;
    for (int i = 0; i < fleet->count; i++)
        if (ss_graph_degree (self.graph, i) > max_degree)
            max_degree = ss_graph_degree (self.graph, i);
    ss_kube_memory (fleet, max_degree, &self.agent_memory, &self.coordinator_memory);

    int rc = 0;
    int written = ss_keys_generate (fleet, false, err, sizeof err);
    if (written < 0) {
        fprintf (stderr, "swarmshape plan: %s\n", err);
        rc = 1;
    }
    else
    if (written > 0 && !args->quiet)
        printf ("%d certificate%s generated in %s\n", written, written == 1? "": "s",
                fleet->keys);
    if (rc == 0)
        rc = s_prepare_dir (args->out, args->force);
    if (rc == 0)
        rc = s_pods_fleet (&self);
    if (rc == 0)
        rc = s_write_namespace (&self);
    if (rc == 0)
        rc = s_write_config (&self);
    if (rc == 0)
        rc = s_write_secrets (&self);
    if (rc == 0)
        rc = s_write_coordinator (&self);
    if (rc == 0)
        rc = s_write_agents (&self);
    if (rc == 0 && !args->quiet)
        printf ("%d agents and the coordinator in namespace %s -> %s/ "
                "(kubectl apply -f %s; memory per agent %lld MiB, coordinator %lld MiB)\n",
                fleet->count, self.space, args->out, args->out,
                (long long) (self.agent_memory / S_MIB),
                (long long) (self.coordinator_memory / S_MIB));
    if (self.pods)
        free (self.pods->agents);
    free (self.pods);
    ss_graph_destroy (&self.graph);
    return rc;
}
