/*  swarmshape plan FLEET --out DIR [--prefix /etc/swarmshape] [--force]

    One install bundle per host named in the fleet file (the agents' hosts
    and the host of the coordinator endpoint). An operator copies DIR/HOST to
    HOST and runs its install.sh there. A bundle holds:

        fleet.zpl       the fleet as loaded, --set overrides applied, every
                        key with its value and documentation (ss_fleet_write),
                        with `security/keys = keys` (and `agents/file =
                        initial.csv` when init = file, `target/image =
                        target-NAME` with a picture), so that it reads the
                        same next to the bundle's keys/ as in PREFIX
        initial.csv     only with init = file: the initial positions
        target-NAME     only with target/image: the picture NAME (the
                        bundle's fleet.zpl names it)
        keys/           the public certificates of every agent and of the
                        coordinator (0644), and the secret certificates
                        (0600) of this host's agents only; on the
                        coordinator's host also coordinator.key_secret and
                        operator.key (public). operator.key_secret goes to
                        no bundle: it stays with the operator, whose
                        swarmshape target and status use it
        units.txt       the units to enable here, one per line:
                        coordinator.service, then agentd@<id>.service
        install.sh      run as root on HOST: creates the system user
                        swarmshape, installs fleet.zpl and keys/ into PREFIX,
                        enables and (re)starts the units of units.txt

    Certificates missing from the fleet's key directory are generated first
    (as `swarmshape keygen` does); existing ones are kept. A bundle directory
    that exists is refused, or replaced with --force. Each bundle's fleet
    file is read back and compared with the fleet planned: the hosts run
    exactly the fleet that was planned.

    Exit 0; 2 on a usage or configuration error (a host that cannot name a
    directory, a coordinator endpoint that names no host, an insecure
    fleet...); 1 on an I/O error.
*/

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <czmq.h>
#include "ss_cli.h"
#include "ss_file.h"
#include "ss_keys.h"
#include "ss_kube.h"
#include "ss_runlog.h"

#define S_DEFAULT_PREFIX "/etc/swarmshape"

typedef struct {
    const char *name;       //  host name as in the fleet file
    int n_agents;
    bool coordinator;       //  the coordinator runs here
} s_host_t;

typedef struct {
    const ss_fleet_t *fleet;
    const ss_cli_args_t *args;
    const char *prefix;
    char coordinator_host [256];
    s_host_t *hosts;
    int n_hosts;
} s_plan_t;

//  --------------------------------------------------------------------------
//  Checks

//  A host name becomes a directory name and appears in install.sh comments
static bool
s_host_is_safe (const char *host)
{
    if (!*host || *host == '.' || *host == '-')
        return false;
    for (const char *c = host; *c; c++)
        if (!(isalnum ((unsigned char) *c) || strchr ("._:%-", *c)))
            return false;
    return true;
}

static bool
s_host_is_wildcard (const char *host)
{
    return streq (host, "*") || streq (host, "0.0.0.0") || streq (host, "::");
}

static bool
s_host_is_loopback (const char *host)
{
    return strncmp (host, "127.", 4) == 0 || streq (host, "::1")
        || streq (host, "localhost");
}

//  PREFIX is pasted into install.sh and a systemd drop-in: keep it plain
static bool
s_prefix_is_safe (const char *prefix)
{
    if (prefix [0] != '/' || strlen (prefix) > 200 || strstr (prefix, "/../")
    ||  streq (prefix, "/"))
        return false;
    for (const char *c = prefix; *c; c++)
        if (!(isalnum ((unsigned char) *c) || strchr ("._/-", *c)))
            return false;
    return true;
}

//  "tcp://HOST:PORT" or "tcp://[V6]:PORT" into HOST; 0 or 2 after a line
static int
s_coordinator_host (const ss_fleet_t *fleet, char *host, size_t size)
{
    const char *endpoint = fleet->coordinator;
    const char *start = strncmp (endpoint, "tcp://", 6) == 0? endpoint + 6: NULL;
    const char *end = NULL;
    if (start && *start == '[') {
        start++;
        end = strchr (start, ']');
        if (end && end [1] != ':')
            end = NULL;
    }
    else
    if (start)
        end = strrchr (start, ':');
    if (!start || !end || end == start || (size_t) (end - start) >= size) {
        fprintf (stderr, "swarmshape plan: %s: fleet/coordinator/endpoint: expected "
                 "tcp://HOST:PORT for a fleet across hosts, got '%s'\n",
                 fleet->path, endpoint);
        return 2;
    }
    snprintf (host, size, "%.*s", (int) (end - start), start);
    if (s_host_is_wildcard (host)) {
        fprintf (stderr, "swarmshape plan: %s: fleet/coordinator/endpoint: '%s' names "
                 "no host (agents connect to it): name the coordinator's host\n",
                 fleet->path, endpoint);
        return 2;
    }
    if (!s_host_is_safe (host)) {
        fprintf (stderr, "swarmshape plan: %s: fleet/coordinator/endpoint: host '%s' "
                 "cannot name a bundle directory (use letters, digits, . _ : %% -)\n",
                 fleet->path, host);
        return 2;
    }
    return 0;
}

//  The distinct hosts, agents' hosts in order of first agent, then the
//  coordinator's if no agent runs there. 0 or 2 after a line.
static int
s_plan_hosts (s_plan_t *self)
{
    const ss_fleet_t *fleet = self->fleet;
    self->hosts = calloc ((size_t) fleet->count + 1, sizeof (s_host_t));
    if (!self->hosts) {
        fprintf (stderr, "swarmshape plan: out of memory\n");
        return 1;
    }
    //  Hosts are few: a linear look-up per agent is plenty
    for (int i = 0; i < fleet->count; i++) {
        const char *host = fleet->agents [i].host;
        int h = 0;
        while (h < self->n_hosts && !streq (self->hosts [h].name, host))
            h++;
        if (h == self->n_hosts) {
            if (s_host_is_wildcard (host) || !s_host_is_safe (host)) {
                fprintf (stderr, "swarmshape plan: %s: fleet/agents: agent %d: host '%s' "
                         "%s\n", fleet->path, i, host, s_host_is_wildcard (host)
                         ? "names no host (neighbours connect to it)"
                         : "cannot name a bundle directory (use letters, digits, . _ : % -)");
                return 2;
            }
            self->hosts [self->n_hosts++].name = host;
        }
        self->hosts [h].n_agents++;
    }
    int h = 0;
    while (h < self->n_hosts && !streq (self->hosts [h].name, self->coordinator_host))
        h++;
    if (h == self->n_hosts)
        self->hosts [self->n_hosts++].name = self->coordinator_host;
    self->hosts [h].coordinator = true;

    if (self->n_hosts > 1)
        for (h = 0; h < self->n_hosts; h++)
            if (s_host_is_loopback (self->hosts [h].name)) {
                fprintf (stderr, "swarmshape plan: %s: host '%s' is a loopback address "
                         "but the fleet spans %d hosts: name every host by an address "
                         "the others reach (agents/host, agents/agent/host, "
                         "coordinator/endpoint)\n",
                         fleet->path, self->hosts [h].name, self->n_hosts);
                return 2;
            }
    return 0;
}

//  --------------------------------------------------------------------------
//  Files

static int
s_remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove (path);
}

//  Copy src to dst, written atomically with exactly mode; 0 or 1 after a line
static int
s_copy (const char *src, const char *dst, mode_t mode)
{
    FILE *in = fopen (src, "rb");
    if (!in) {
        fprintf (stderr, "swarmshape plan: %s: cannot read: %s\n", src, strerror (errno));
        return 1;
    }
    ss_file_t *out = ss_file_new (dst, (int) mode);
    if (!out) {
        fprintf (stderr, "swarmshape plan: %s: cannot write: %s\n", dst, strerror (errno));
        fclose (in);
        return 1;
    }
    char buf [65536];
    size_t got;
    int rc = 0;
    while (rc == 0 && (got = fread (buf, 1, sizeof buf, in)) > 0)
        if (fwrite (buf, 1, got, ss_file_stream (out)) != got)
            rc = -1;
    if (ferror (in))
        rc = -1;
    fclose (in);
    if (rc == 0)
        rc = ss_file_commit (&out);
    ss_file_destroy (&out);
    if (rc) {
        fprintf (stderr, "swarmshape plan: %s: cannot copy to %s: %s\n",
                 src, dst, strerror (errno));
        return 1;
    }
    return 0;
}

//  Begin a file written atomically with exactly mode
static ss_file_t *
s_create (const char *path, mode_t mode)
{
    ss_file_t *file = ss_file_new (path, (int) mode);
    if (!file)
        fprintf (stderr, "swarmshape plan: %s: cannot write: %s\n", path, strerror (errno));
    return file;
}

static int
s_close (ss_file_t **file_p, const char *path)
{
    if (ss_file_commit (file_p)) {
        fprintf (stderr, "swarmshape plan: %s: cannot write: %s\n", path, strerror (errno));
        return 1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  One bundle

//  The fleet planned as the bundle holds it: its key directory and
//  initial.csv are the bundle's, and every other path under the fleet
//  file's folder moves with it (so it reads the same next to the bundle's
//  keys/ as in PREFIX). NULL after a line.
static ss_fleet_t *
s_bundle_fleet (s_plan_t *self, const char *dir)
{
    const ss_fleet_t *fleet = self->fleet;
    ss_fleet_t *copy = malloc (sizeof (ss_fleet_t));
    if (!copy) {
        fprintf (stderr, "swarmshape plan: out of memory\n");
        return NULL;
    }
    *copy = *fleet;             //  shares agents and edges: read only
    int n;
    const ss_fleet_key_t *keys = ss_fleet_keys (&n);
    size_t len = strlen (fleet->dir);
    for (int k = 0; k < n; k++) {
        if (keys [k].type != SS_FLEET_PATH || keys [k].offset == SIZE_MAX)
            continue;
        const char *from = (const char *) fleet + keys [k].offset;
        char *to = (char *) copy + keys [k].offset;
        int written = 0;
        if (strncmp (from, fleet->dir, len) == 0 && from [len] == '/')
            written = snprintf (to, keys [k].size, "%s%s", dir, from + len);
        else
        if (from [0] != '/' && *from && streq (fleet->dir, "."))
            written = snprintf (to, keys [k].size, "%s/%s", dir, from);
        if (written < 0 || (size_t) written >= keys [k].size) {
            fprintf (stderr, "swarmshape plan: %s: fleet/%s: path too long in "
                     "the bundle\n", fleet->path, keys [k].path);
            free (copy);
            return NULL;
        }
    }
    const char *slash = strrchr (fleet->target_image, '/');
    const char *image = slash? slash + 1: fleet->target_image;
    if (snprintf (copy->keys, sizeof copy->keys, "%s/keys", dir)
            >= (int) sizeof copy->keys
    ||  (fleet->init == SS_INIT_FILE
         && snprintf (copy->init_file, sizeof copy->init_file, "%s/initial.csv", dir)
            >= (int) sizeof copy->init_file)
    ||  (*image
         && snprintf (copy->target_image, sizeof copy->target_image, "%s/target-%s",
                      dir, image) >= (int) sizeof copy->target_image)) {
        fprintf (stderr, "swarmshape plan: %s: path too long\n", dir);
        free (copy);
        return NULL;
    }
    return copy;
}

//  The fleet file as the hosts read it (ss_fleet_write: every key with
//  its value and documentation)
static int
s_write_fleet (const ss_fleet_t *bundle, const char *dir)
{
    char path [PATH_MAX + 32], err [1024];
    snprintf (path, sizeof path, "%s/fleet.zpl", dir);
    if (ss_fleet_write (bundle, path, err, sizeof err)) {
        fprintf (stderr, "swarmshape plan: %s\n", err);
        return 1;
    }
    return 0;
}

//  Read the bundle's fleet file back: it must be the fleet planned
static int
s_check_fleet (s_plan_t *self, const ss_fleet_t *bundle, const char *dir)
{
    char path [PATH_MAX + 32], err [1024];
    snprintf (path, sizeof path, "%s/fleet.zpl", dir);
    ss_fleet_t *got = ss_fleet_load (path, NULL, 0, err, sizeof err);
    if (!got) {
        fprintf (stderr, "swarmshape plan: the bundle's fleet file does not load: %s\n", err);
        return 1;
    }
    const char *diff = ss_fleet_diff (got, bundle);
    if (!diff && ss_fleet_id (got) != ss_fleet_id (self->fleet))
        diff = "the fleet id";
    ss_fleet_destroy (&got);
    if (diff) {
        fprintf (stderr, "swarmshape plan: %s: differs from the fleet planned "
                 "(%s with the --set overrides) at %s\n", path, self->fleet->path, diff);
        return 1;
    }
    return 0;
}

static int
s_write_keys (s_plan_t *self, const s_host_t *host, const char *dir)
{
    const ss_fleet_t *fleet = self->fleet;
    char keys [PATH_MAX + 32];
    snprintf (keys, sizeof keys, "%s/keys", dir);
    if (mkdir (keys, 0700) || chmod (keys, 0700)) {
        fprintf (stderr, "swarmshape plan: %s: cannot create: %s\n", keys, strerror (errno));
        return 1;
    }
    int rc = 0;
    //  Every agent's and the coordinator's public key; the operator's to
    //  the coordinator's host only (it admits the operator, agents never
    //  do); the operator's secret to no bundle (it stays with the operator)
    for (int i = SS_KEYS_OPERATOR; rc == 0 && i < fleet->count; i++) {
        if (i == SS_KEYS_OPERATOR && !host->coordinator)
            continue;
        char name [64], src [2 * PATH_MAX], dst [2 * PATH_MAX];
        ss_keys_name (i, name, sizeof name);
        snprintf (src, sizeof src, "%s/%s.key", fleet->keys, name);
        snprintf (dst, sizeof dst, "%s/%s.key", keys, name);
        rc = s_copy (src, dst, 0644);
        bool mine = i == SS_KEYS_OPERATOR? false:
                    i < 0? host->coordinator: streq (fleet->agents [i].host, host->name);
        if (rc == 0 && mine) {
            strcat (src, "_secret");
            strcat (dst, "_secret");
            rc = s_copy (src, dst, 0600);
        }
    }
    return rc;
}

static int
s_write_units (s_plan_t *self, const s_host_t *host, const char *dir)
{
    char path [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/units.txt", dir);
    ss_file_t *out = s_create (path, 0644);
    if (!out)
        return 1;
    FILE *file = ss_file_stream (out);
    if (host->coordinator)
        fprintf (file, "coordinator.service\n");
    for (int i = 0; i < self->fleet->count; i++)
        if (streq (self->fleet->agents [i].host, host->name))
            fprintf (file, "agentd@%d.service\n", i);
    return s_close (&out, path);
}

static int
s_write_install (s_plan_t *self, const s_host_t *host, const char *dir)
{
    char path [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/install.sh", dir);
    ss_file_t *out = s_create (path, 0755);
    if (!out)
        return 1;
    FILE *file = ss_file_stream (out);
    fprintf (file,
"#!/bin/bash\n"
"# install.sh: the swarmshape bundle of host %s (fleet %s, %d of its agents%s).\n"
"# Generated by `swarmshape plan`. Run it as root on that host, after\n"
"# installing swarmshape there (cmake --install: programs and systemd units):\n"
"#     sudo ./install.sh\n"
"# It creates the system users swarmshape-agent (the agents) and\n"
"# swarmshape-coordinator (the coordinator), both in the group swarmshape,\n"
"# installs fleet.zpl and keys/ into %s (keys 0750 root:swarmshape, public\n"
"# certificates 0644, each secret certificate 0600 owned by its program's user),\n"
"# enables and (re)starts the units of units.txt, and disables the agents an\n"
"# earlier bundle enabled here that this one no longer lists. Run it again\n"
"# after a new plan: it replaces the key directory as a whole.\n"
"set -euo pipefail\n"
"here=$(cd \"$(dirname \"$0\")\" && pwd)\n"
"prefix=%s\n"
"default_prefix=" S_DEFAULT_PREFIX "\n"
"group=swarmshape\n"
"agent_user=swarmshape-agent\n"
"coordinator_user=swarmshape-coordinator\n"
"coordinator=%s\n"
"\n"
"die() { echo \"install.sh: $*\" >&2; exit 1; }\n"
"[ \"$(id -u)\" -eq 0 ] || die \"run me as root (sudo $0)\"\n"
"command -v systemctl >/dev/null || die \"systemctl not found: this host does not run systemd\"\n"
"for unit in agentd@.service swarmshape-agents.target $($coordinator && echo coordinator.service); do\n"
"    # no `| grep -q` under pipefail: grep's early exit fails systemctl (SIGPIPE)\n"
"    listing=$(systemctl list-unit-files --no-legend \"$unit\" 2>/dev/null || true)\n"
"    grep -q \"^$unit\" <<< \"$listing\" \\\n"
"        || die \"$unit is not installed: install swarmshape first (cmake --install BUILD_DIR)\"\n"
"done\n"
"mapfile -t units < <(grep -v '^#' \"$here/units.txt\" | grep .)\n"
"\n"
"# The service users, agents and coordinator apart (neither reads the other's\n"
"# secret certificate), both in the group that may read the key directory\n"
"getent group \"$group\" >/dev/null || groupadd --system \"$group\"\n"
"service_user() {\n"
"    if getent passwd \"$1\" >/dev/null; then\n"
"        usermod -a -G \"$group\" \"$1\"\n"
"    else\n"
"        useradd --system --user-group --groups \"$group\" --no-create-home \\\n"
"                --home-dir /nonexistent --shell /usr/sbin/nologin \"$1\"\n"
"    fi\n"
"}\n"
"service_user \"$agent_user\"\n"
"if $coordinator; then service_user \"$coordinator_user\"; fi\n"
"\n"
"# Fleet file, then the key directory, replaced as a whole so that no secret\n"
"# certificate of an earlier plan stays behind\n"
"install -d -m 0755 -o root -g root \"$prefix\"\n"
"install -m 0644 -o root -g root \"$here/fleet.zpl\" \"$prefix/fleet.zpl\"\n"
"if [ -f \"$here/initial.csv\" ]; then\n"
"    install -m 0644 -o root -g root \"$here/initial.csv\" \"$prefix/initial.csv\"\n"
"fi\n"
"for f in \"$here\"/target-*; do\n"
"    if [ -f \"$f\" ]; then install -m 0644 -o root -g root \"$f\" \"$prefix/\"; fi\n"
"done\n"
"rm -rf \"$prefix/keys.new\" \"$prefix/keys.old\"\n"
"install -d -m 0750 -o root -g \"$group\" \"$prefix/keys.new\"\n"
"shopt -s nullglob\n"
"for f in \"$here\"/keys/*.key; do\n"
"    install -m 0644 -o root -g \"$group\" \"$f\" \"$prefix/keys.new/\"\n"
"done\n"
"for f in \"$here\"/keys/*.key_secret; do\n"
"    owner=$agent_user\n"
"    [ \"$(basename \"$f\")\" = coordinator.key_secret ] && owner=$coordinator_user\n"
"    install -m 0600 -o \"$owner\" -g \"$owner\" \"$f\" \"$prefix/keys.new/\"\n"
"done\n"
"shopt -u nullglob\n"
"if [ -e \"$prefix/keys\" ]; then mv \"$prefix/keys\" \"$prefix/keys.old\"; fi\n"
"mv \"$prefix/keys.new\" \"$prefix/keys\"\n"
"rm -rf \"$prefix/keys.old\"\n"
"\n"
"# The units read $SWARMSHAPE_ETC (default " S_DEFAULT_PREFIX "); another prefix\n"
"# needs a drop-in\n"
"for unit in agentd@.service coordinator.service; do\n"
"    dropin=/etc/systemd/system/$unit.d/swarmshape-prefix.conf\n"
"    if [ \"$prefix\" != \"$default_prefix\" ]; then\n"
"        mkdir -p \"$(dirname \"$dropin\")\"\n"
"        printf '[Service]\\nEnvironment=SWARMSHAPE_ETC=%%s\\n' \"$prefix\" > \"$dropin\"\n"
"    else\n"
"        rm -f \"$dropin\"\n"
"    fi\n"
"done\n"
"systemctl daemon-reload\n"
"\n"
"# What an earlier bundle enabled here and this one does not list\n"
"listed() { local u; for u in \"${units[@]}\"; do [ \"$u\" = \"$1\" ] && return 0; done; return 1; }\n"
"for link in /etc/systemd/system/swarmshape-agents.target.wants/agentd@*.service; do\n"
"    [ -L \"$link\" ] || continue\n"
"    unit=$(basename \"$link\")\n"
"    listed \"$unit\" || systemctl disable --now \"$unit\"\n"
"done\n"
"if ! $coordinator && systemctl is-enabled --quiet coordinator.service 2>/dev/null; then\n"
"    systemctl disable --now coordinator.service\n"
"fi\n"
"\n"
"systemctl enable swarmshape-agents.target\n"
"systemctl enable \"${units[@]}\"\n"
"# restart, not start: running units pick up the new fleet file and keys\n"
"systemctl restart \"${units[@]}\"\n"
"echo \"install.sh: %s: started ${#units[@]} unit(s): ${units[*]}\"\n"
"echo \"install.sh: follow with: journalctl -f -u 'agentd@*'%s\"\n",
        host->name, self->fleet->name, host->n_agents,
        host->coordinator? " and the coordinator": "",
        self->prefix, self->prefix, host->coordinator? "true": "false",
        host->name, host->coordinator? " -u coordinator": "");
    return s_close (&out, path);
}

//  "0-2,5,7-9": the ids of host's agents
static void
s_ids (const ss_fleet_t *fleet, const char *host, char *out, size_t size)
{
    size_t len = 0;
    *out = 0;
    for (int i = 0; i < fleet->count && len < size; i++) {
        if (!streq (fleet->agents [i].host, host))
            continue;
        int j = i;
        while (j + 1 < fleet->count && streq (fleet->agents [j + 1].host, host))
            j++;
        int n = j > i
            ? snprintf (out + len, size - len, "%s%d-%d", len? ",": "", i, j)
            : snprintf (out + len, size - len, "%s%d", len? ",": "", i);
        if (n < 0 || (size_t) n >= size - len) {
            snprintf (out + (size > 4? size - 4: 0), size > 4? 4: size, "...");
            return;
        }
        len += (size_t) n;
        i = j;
    }
}

static int
s_write_bundle (s_plan_t *self, const s_host_t *host)
{
    char dir [PATH_MAX];
    int len = snprintf (dir, sizeof dir, "%s/%s", self->args->out, host->name);
    if (len < 0 || (size_t) len >= sizeof dir - 64) {
        fprintf (stderr, "swarmshape plan: %s: path too long\n", self->args->out);
        return 1;
    }
    struct stat st;
    if (lstat (dir, &st) == 0) {
        char marker [PATH_MAX + 32];
        snprintf (marker, sizeof marker, "%s/units.txt", dir);
        if (!self->args->force) {
            fprintf (stderr, "swarmshape plan: %s: the bundle exists (--force "
                     "replaces it)\n", dir);
            return 2;
        }
        if (!S_ISDIR (st.st_mode) || access (marker, F_OK)) {
            fprintf (stderr, "swarmshape plan: %s: exists and is not a bundle: "
                     "not replacing it\n", dir);
            return 2;
        }
        if (nftw (dir, s_remove_one, 16, FTW_DEPTH | FTW_PHYS)) {
            fprintf (stderr, "swarmshape plan: %s: cannot remove the old bundle: %s\n",
                     dir, strerror (errno));
            return 1;
        }
    }
    //  The bundle holds secret keys: only its owner reads it
    if (mkdir (dir, 0700) || chmod (dir, 0700)) {
        fprintf (stderr, "swarmshape plan: %s: cannot create: %s\n", dir, strerror (errno));
        return 1;
    }
    ss_fleet_t *bundle = s_bundle_fleet (self, dir);
    int rc = bundle? 0: 1;
    if (rc == 0 && self->fleet->init == SS_INIT_FILE)
        rc = s_copy (self->fleet->init_file, bundle->init_file, 0644);
    if (rc == 0 && *self->fleet->target_image)
        rc = s_copy (self->fleet->target_image, bundle->target_image, 0644);
    if (rc == 0)
        rc = s_write_fleet (bundle, dir);
    if (rc == 0)
        rc = s_check_fleet (self, bundle, dir);
    free (bundle);
    if (rc == 0)
        rc = s_write_keys (self, host, dir);
    if (rc == 0)
        rc = s_write_units (self, host, dir);
    if (rc == 0)
        rc = s_write_install (self, host, dir);
    if (rc == 0 && !self->args->quiet) {
        char ids [96];
        s_ids (self->fleet, host->name, ids, sizeof ids);
        printf ("%s: %d agent%s%s%s%s%s -> %s/\n", host->name, host->n_agents,
                host->n_agents == 1? "": "s", host->n_agents? " (": "",
                ids, host->n_agents? ")": "",
                host->coordinator? " + coordinator": "", dir);
    }
    return rc;
}

int
ss_cmd_plan (int argc, char **argv)
{
    ss_cli_args_t args;
    ss_kube_args_t kube;        //  --kube: manifests instead of bundles (ss_kube.h)
    int rc = ss_kube_take_args (&argc, argv, &kube);
    if (rc == 0)
        rc = ss_cli_parse ("plan", argc, argv, 1, "FLEET", &args);
    if (rc)
        return rc;
    if (!args.out) {
        fprintf (stderr, "swarmshape plan: missing --out DIR\n");
        return 2;
    }
    s_plan_t plan = { .args = &args, .prefix = args.prefix? args.prefix: S_DEFAULT_PREFIX };
    if (!s_prefix_is_safe (plan.prefix)) {
        fprintf (stderr, "swarmshape plan: --prefix '%s': expected an absolute "
                 "directory of letters, digits and . _ / -\n", plan.prefix);
        return 2;
    }
    ss_fleet_t *fleet = ss_cli_load_ports (&args);
    if (!fleet)
        return 2;
    plan.fleet = fleet;
    if (!fleet->curve) {
        fprintf (stderr, "swarmshape plan: %s: fleet/security/curve: is 0; the "
                 "installed units run encrypted fleets only (set it to 1)\n", fleet->path);
        rc = 2;
    }
    if (rc == 0 && kube.on) {
        rc = ss_kube_plan (fleet, &kube, &args);
        ss_fleet_destroy (&fleet);
        return rc;
    }
    if (rc == 0)
        rc = s_coordinator_host (fleet, plan.coordinator_host, sizeof plan.coordinator_host);
    if (rc == 0)
        rc = s_plan_hosts (&plan);
    if (rc == 0) {
        char err [1024];
        int written = ss_keys_generate (fleet, false, err, sizeof err);
        if (written < 0) {
            fprintf (stderr, "swarmshape plan: %s\n", err);
            rc = 1;
        }
        else
        if (written > 0 && !args.quiet)
            printf ("%d certificate%s generated in %s\n", written,
                    written == 1? "": "s", fleet->keys);
    }
    if (rc == 0 && ss_mkdirs (args.out, 0755)) {
        fprintf (stderr, "swarmshape plan: %s: cannot create: %s\n", args.out,
                 strerror (errno));
        rc = 1;
    }
    for (int h = 0; rc == 0 && h < plan.n_hosts; h++)
        rc = s_write_bundle (&plan, &plan.hosts [h]);
    if (rc == 0 && !args.quiet)
        printf ("%d bundle%s in %s: copy each HOST/ to its host, run its install.sh as root\n",
                plan.n_hosts, plan.n_hosts == 1? "": "s", args.out);
    free (plan.hosts);
    ss_fleet_destroy (&fleet);
    return rc;
}
