#!/usr/bin/env bash
# Install the Debian/Ubuntu packages swarmshape needs, only those missing.
# Uses sudo when not root.
#
#   deploy/install-deps.sh [extra packages...]          build and test deps
#   deploy/install-deps.sh --group containers [extra...]
#       the container tools of tests/deploy/ and deploy/README.md: podman,
#       podman-compose, runc, netavark and aardvark-dns (bridge networks with
#       name resolution), catatonit (compose's `init: true`), debootstrap
#       (a local base image where no registry answers), python3-yaml (the
#       manifest checks). deploy/container/setup.sh installs them and
#       configures podman for this machine.
#   deploy/install-deps.sh --group live
#       tests/integration/live.sh's tools: promtool and a Prometheus server,
#       headless Chromium driven by chromedriver, curl (it skips what is
#       missing)
set -euo pipefail
group=build
if [ "${1:-}" = "--group" ]; then
    group=${2:?"--group needs a name: build, containers or live"}
    shift 2
fi
case "$group" in
    build)
        packages=(build-essential cmake pkg-config libzmq3-dev libczmq-dev
                  libmsgpack-dev libsodium-dev libcmocka-dev libsystemd-dev
                  libopenblas-serial-dev python3
                  libcairo2-dev libfontconfig-dev libjansson-dev fonts-dejavu-core
                  libmicrohttpd-dev libpng-dev "$@")
        # libsystemd: sd_notify (readiness under systemd); OpenBLAS (serial:
        # one thread inside each agent): dgemm and LAPACK's dpotrf/dpotrs in
        # the core where they beat the hand-written loops; swarmshape plot:
        # cairo (PNG, SVG), fontconfig and DejaVu (its text), jansson (reads
        # trace.jsonl); ffmpeg, when installed, makes --frames' replay;
        # coordinator: libmicrohttpd (its live page and /metrics), jansson
        # (state.json); libpng: image targets (PNG pictures).
        # tests/run.sh adds: clang (fuzzers), iproute2 (network namespaces,
        # tc), nftables (swarmshape experiment: loss and partitions in the
        # kernel), valgrind, systemd (systemd-analyze verify of the units)
        ;;
    containers)
        packages=(podman podman-compose runc conmon netavark aardvark-dns
                  catatonit iptables debootstrap python3-yaml "$@")
        ;;
    live)
        packages=(prometheus chromium chromium-driver curl "$@")
        ;;
    *)
        echo "install-deps.sh: --group $group: expected build, containers or live" >&2
        exit 2
        ;;
esac
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq || echo "apt-get update failed; trying with the cached lists" >&2
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
