#!/usr/bin/env bash
# The whole test run: install what is missing, build, run every test in a
# normal build and in an ASan+UBSan build, then run every libFuzzer target
# for a bounded time when clang is present. Exits non-zero on any failure.
#
#   ./tests/run.sh                 everything
#   FUZZ_SECONDS=60 ./tests/run.sh longer fuzzing (default 15 s per target)
#   SKIP_ASAN=1 / SKIP_FUZZ=1      leave a stage out (for quick local runs)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
fuzz_seconds=${FUZZ_SECONDS:-15}
failed=()

./deploy/install-deps.sh clang iproute2 nftables valgrind systemd
#  The deployment tests' tools and base image (podman, a local Debian image
#  where no registry answers); without them those tests say SKIP
if ./deploy/container/setup.sh; then
    containers="podman runs containers: the deployment tests run"
else
    containers="podman cannot run containers here (setup.sh said why above): the deployment tests will SKIP"
fi
#  The live page's tests (prometheus, chromium, chromedriver) are optional:
#  tests/integration/live.sh says SKIP for what could not be installed
./deploy/install-deps.sh --group live \
    || echo "run.sh: the live page's test tools could not be installed (live.sh will skip)" >&2

stage() { printf '\n=== %s ===\n' "$*"; }

stage "build (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
stage "tests"
(cd build && ctest --output-on-failure -j "$jobs" -LE deploy) || failed+=("tests")
#  Containers (image, compose fleet, podman kube play, systemd as PID 1),
#  in the optimised build only, one at a time
stage "deployment tests ($containers)"
(cd build && ctest --output-on-failure -L deploy) || failed+=("deployment tests")

if [ -z "${SKIP_ASAN:-}" ]; then
    stage "build (ASan + UBSan)"
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSS_SANITIZE=ON >/dev/null
    cmake --build build-asan -j "$jobs"
    stage "tests under ASan + UBSan (LeakSanitizer on)"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    #  Not under the sanitizers: the slow convergence run (same code as the
    #  unit tests), the network-namespace scenarios (timing under
    #  impairment) and the deployment tests (their images build their own
    #  programs): the optimised build above runs them
    (cd build-asan && ctest --output-on-failure -j "$jobs" -LE "slow|netns|deploy") \
        || failed+=("asan tests")
fi

if [ -z "${SKIP_FUZZ:-}" ] && command -v clang >/dev/null; then
    stage "fuzz (${fuzz_seconds}s per target)"
    CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSS_FUZZ=ON \
        -DSS_SANITIZE=ON >/dev/null
    targets=$(ls tests/fuzz/fuzz_*.c | xargs -n1 basename | sed 's/\.c$//')
    # shellcheck disable=SC2086
    cmake --build build-fuzz -j "$jobs" --target $targets
    for fuzzer in build-fuzz/tests/fuzz_*; do
        [ -x "$fuzzer" ] || continue
        name=$(basename "$fuzzer")
        corpus=$(mktemp -d)
        seeds="tests/fuzz/corpus/${name#fuzz_}"
        [ -d "$seeds" ] && cp -r "$seeds/." "$corpus/"
        if "$fuzzer" -max_total_time="$fuzz_seconds" -print_final_stats=0 \
              -artifact_prefix="build-fuzz/$name-" "$corpus" >"build-fuzz/$name.log" 2>&1; then
            echo "$name: $(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "build-fuzz/$name.log" | tail -1)s"
        else
            echo "$name: FAILED (see build-fuzz/$name.log)"
            tail -20 "build-fuzz/$name.log"
            failed+=("$name")
        fi
        rm -rf "$corpus"
    done
fi

if [ ${#failed[@]} -gt 0 ]; then
    printf '\nFAILED: %s\n' "${failed[*]}"
    exit 1
fi
printf '\nall tests passed\n'
