#   ports.bash (sourced by the tests that run fleets on the loopback):
#   free_ports [SIZE]: prints a base port B such that B .. B+SIZE-1 [100]
#   are free, from blocks of 100 drawn at random below the ephemeral range
#   (10000 .. 31999; SIZE above 100 takes that many consecutive blocks). A
#   registry under a lock keeps tests that run in parallel on different
#   blocks; a block is held while the test's shell ($$) lives. Returns 1 if
#   no block is free after 200 draws.
free_ports () {
    local size=${1:-100} base tries live="" b p k taken
    local blocks=$(( (size + 99) / 100 ))
    [ "$blocks" -ge 1 ] && [ "$blocks" -le 220 ] || return 1
    local lock=/tmp/swarmshape-ports.lock reg=/tmp/swarmshape-ports.used
    exec 8>> "$lock"
    flock -w 20 8 || { exec 8>&-; return 1; }
    touch "$reg"
    while read -r b p; do
        kill -0 "$p" 2> /dev/null && live+="$b $p"$'\n'
    done < "$reg"
    printf '%s' "$live" > "$reg"
    for ((tries = 0; tries < 200; tries++)); do
        base=$((10000 + RANDOM % (221 - blocks) * 100))
        taken=0
        for ((k = 0; k < blocks; k++)); do
            grep -q "^$((base + 100 * k)) " "$reg" && { taken=1; break; }
        done
        [ $taken -eq 1 ] && continue
        if command -v ss > /dev/null \
        && ss -Htan 2> /dev/null | awk -v b="$base" -v e=$((base + size)) \
               '{ n = split ($4, a, ":"); p = a[n] + 0; if (p >= b && p < e) busy = 1 }
                END { exit !busy }'; then
            continue
        fi
        for ((k = 0; k < blocks; k++)); do
            echo "$((base + 100 * k)) $$" >> "$reg"
        done
        exec 8>&-
        echo "$base"
        return 0
    done
    exec 8>&-
    return 1
}
