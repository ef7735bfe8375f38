#!/usr/bin/env bash
# Install the Debian/Ubuntu packages swarmshape needs, only those missing.
# Uses sudo when not root. Usage: deploy/install-deps.sh [extra packages...]
set -euo pipefail
packages=(build-essential cmake pkg-config libzmq3-dev libczmq-dev
          libmsgpack-dev libsodium-dev libcmocka-dev python3
          libcairo2-dev libfontconfig-dev libjansson-dev fonts-dejavu-core
          libpng-dev "$@")
# swarmshape plot: cairo (PNG, SVG), fontconfig and DejaVu (its text),
# jansson (reads trace.jsonl); ffmpeg, when installed, makes --frames' replay;
# libpng: PNG pictures as targets (target/image, swarmshape target FILE.png)
# tests/run.sh adds: clang (fuzzers), iproute2 (network namespaces, tc),
# nftables (swarmshape experiment: packet loss and partitions in the kernel),
# valgrind, systemd (systemd-analyze verify of the units)
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
