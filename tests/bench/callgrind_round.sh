#!/usr/bin/env bash
# Instructions per agent round (ss_round_step and everything it calls),
# dense path against tensor path, counted by callgrind: repeatable whatever
# else the machine runs. Usage: tests/bench/callgrind_round.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
bench=$build/tests/bench_round
command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed"; exit 0; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count () {     # rounds d m nq path -> instructions per round
    valgrind --tool=callgrind --toggle-collect=ss_round_step \
        --callgrind-out-file="$out/cg" "$bench" --rounds "$@" 2>"$out/log"
    local total
    total=$(sed -n 's/^==[0-9]*== Collected : //p' "$out/log")
    echo $(( total / $1 ))
}
printf '%2s %3s %4s %5s %6s %14s %14s %9s\n' d m nq K G "dense (Ir)" "tensor (Ir)" speed-up
for c in "1 5 32" "2 3 32" "2 5 16" "2 5 32" "2 5 64" "2 7 32" "2 10 32" "3 4 16" "3 5 16" "3 5 32"; do
    set -- $c
    K=$(( $2 ** $1 )); G=$(( $3 ** $1 ))
    # fewer dense rounds where one costs tens of millions of instructions
    n=$(( 20000000 / (G * K * K / 2 + 1) + 1 )); [ $n -gt 200 ] && n=200
    dense=$(count $n "$@" dense)
    tensor=$(count 200 "$@" tensor)
    awk -v d=$1 -v m=$2 -v nq=$3 -v K=$K -v G=$G -v a=$dense -v b=$tensor \
        'BEGIN { printf "%2d %3d %4d %5d %6d %14d %14d %8.1fx\n", d, m, nq, K, G, a, b, a / b }'
done
