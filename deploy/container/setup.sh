#!/usr/bin/env bash
# Make this machine run swarmshape's containers with podman (rootful):
#
#   1. install the container tools (deploy/install-deps.sh --group containers)
#   2. write /etc/containers/containers.conf, unless one exists that this
#      script did not write: runtime runc (crun refuses a hybrid cgroup
#      layout), and default ulimits within the host's hard limits (podman's
#      defaults ask for more than root may set on some machines, and then
#      every container fails to start with "error setting rlimit")
#   3. make the base image the Containerfile starts FROM
#      (docker.io/library/debian:bookworm-slim) when it is not there:
#      `podman pull` only with SS_BASE_PULL=1, else debootstrap of Debian
#      bookworm from the mirror apt already uses (or SS_DEBIAN_MIRROR),
#      then `podman import`. It stays in podman's store for later runs.
#   4. check that a container runs
#
# Exit 0 when podman runs a container here; 1 with one line saying why not
# (tests/run.sh then says that the deployment tests will skip).
#
#   deploy/container/setup.sh           as root (or with sudo)
#   SS_BASE=IMAGE setup.sh              another base image name
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
base=${SS_BASE:-docker.io/library/debian:bookworm-slim}
conf=/etc/containers/containers.conf
marker="# written by swarmshape deploy/container/setup.sh"

say() { echo "setup: $*" >&2; }
die() { say "$*"; exit 1; }

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "needs root (rootful podman, /etc/containers): run it as root"
    sudo="sudo"
fi

"$here/../install-deps.sh" --group containers >&2 \
    || die "cannot install the container tools (deploy/install-deps.sh --group containers)"
command -v podman >/dev/null || die "podman not installed"

# The host's hard limit for one resource, capped (a value "unlimited" or
# above cap gives cap)
s_limit() {   # s_limit FLAG CAP
    local v
    v=$(ulimit -H"$1")
    if [ "$v" = unlimited ] || [ "$v" -gt "$2" ]; then echo "$2"; else echo "$v"; fi
}

s_write_conf() {   # s_write_conf NOFILE NPROC
    local text
    text="$marker
# The default ulimits of every container: the host's hard limits (root
# cannot raise them: podman's defaults would make every container fail).
# runc: crun refuses this machine's hybrid cgroup layout.
[containers]
default_ulimits = [\"nofile=$1:$1\", \"nproc=$2:$2\"]

[engine]
runtime = \"runc\"
"
    if [ -f "$conf" ] && [ "$(cat "$conf")" = "$text" ]; then
        return 0
    fi
    $sudo mkdir -p "$(dirname "$conf")"
    printf '%s' "$text" | $sudo tee "$conf" >/dev/null
}

ours=true
if [ -e "$conf" ] && ! grep -qF "$marker" "$conf"; then
    ours=false
    say "$conf exists and was not written here: left as it is"
fi
nofile=$(s_limit n 1048576)
nproc=$(s_limit u 4194304)
pid_max=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo 4194304)
[ "$nproc" -gt "$pid_max" ] && nproc=$pid_max
$ours && s_write_conf "$nofile" "$nproc"

# The mirror apt uses for bookworm (deb822 .sources or one-line .list)
s_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk 'BEGIN { RS = "" }
             /(^|\n)Suites:[^\n]*(^| )bookworm( |\n|$)/ && !/(^|\n)Enabled: *no/ {
                 if (match ($0, /(^|\n)URIs: *[^ \n]+/)) {
                     uri = substr ($0, RSTART, RLENGTH); sub (/^\n?URIs: */, "", uri)
                     print uri; exit
                 }
             }' "$f"
    done
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                              if ($(i + 1) == "bookworm") { print $i; exit } }'
}

if ! podman image exists "$base"; then
    if [ -n "${SS_BASE_PULL:-}" ] && timeout 300 podman pull "$base" >&2; then
        say "pulled $base"
    else
        mirror=${SS_DEBIAN_MIRROR:-$(s_mirror | head -n 1)}
        [ -n "$mirror" ] || die "no Debian bookworm mirror in apt's sources: set SS_DEBIAN_MIRROR=URL"
        command -v debootstrap >/dev/null || die "debootstrap not installed"
        root=$(mktemp -d /var/tmp/swarmshape-base.XXXXXX)
        trap '$sudo rm -rf "$root"' EXIT
        say "making $base: debootstrap --variant=minbase bookworm from $mirror (about a minute)"
        if ! timeout 900 $sudo debootstrap --variant=minbase bookworm "$root/fs" "$mirror" \
                > "$root/debootstrap.log" 2>&1; then
            tail -n 5 "$root/debootstrap.log" >&2
            die "debootstrap failed (log above)"
        fi
        $sudo rm -rf "$root"/fs/var/cache/apt/archives/*.deb "$root"/fs/var/lib/apt/lists/*
        # The image configuration an official image has: PATH and a shell
        if ! $sudo tar -C "$root/fs" -c . | podman import \
                --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
                --change 'CMD ["bash"]' - "$base" >/dev/null; then
            die "podman import of the debootstrap tree failed"
        fi
        say "made $base"
    fi
fi

# A container must run; if the ulimits are still refused, halve nproc
# (a bound some kernels or sandboxes set below the reported hard limit)
ran=false
for try in 1 2 3 4 5 6; do
    out=$(timeout 120 podman run --rm --network none "$base" true 2>&1) && { ran=true; break; }
    if $ours && grep -q "error setting rlimit" <<<"$out" && [ "$nproc" -gt 1024 ]; then
        nproc=$((nproc / 2))
        s_write_conf "$nofile" "$nproc"
        continue
    fi
    die "podman cannot run a container: $(tail -n 1 <<<"$out")"
done
$ran || die "podman cannot run a container: $(tail -n 1 <<<"$out")"
say "podman runs containers (runtime $(podman info --format '{{.Host.OCIRuntime.Name}}'), nofile $nofile, nproc $nproc, base $base)"
