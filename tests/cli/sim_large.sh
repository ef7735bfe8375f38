#!/usr/bin/env bash
# swarmshape sim has no port limit (issue 8): a fleet of 100,000 agents
# runs (agents/base_port is checked only where sockets open), shows its
# progress on stderr, and its memory grows linearly in N: the peak
# resident size at N = 100,000 is at most 15 x the one at N = 10,000 (on
# top of a fixed part; measured 136 MB against 16 MB).
source "$(dirname "$0")/lib.sh"

cat > "$TMP/large.zpl" <<'ZPL'
fleet
    name = large
    rounds = 2
    agents
        count = 100000
        base_port = 60000
    coordinator
        report_every = 1
ZPL

#   peak N: a sim of N agents; its peak resident size (kB) in $TMP/rss.N
peak () {
    /usr/bin/time -f "%M" -o "$TMP/rss.$1" timeout 600 "$SWARMSHAPE" sim "$TMP/large.zpl" \
        --set agents/count="$1" --out "$TMP/run.$1" 2> "$TMP/err.$1"
    local rc=$?
    check "sim of $1 agents exits 0 ($(tail -1 "$TMP/err.$1"))" [ $rc -eq 0 ]
}
peak 10000
peak 100000
small=$(tail -1 "$TMP/rss.10000"); large=$(tail -1 "$TMP/rss.100000")
echo "peak resident size: $small kB at N = 10,000, $large kB at N = 100,000"
check "progress on stderr at N = 100,000" grep -q "round 2/2" "$TMP/err.100000"
check "positions of 100,000 agents written" [ "$(wc -l < "$TMP/run.100000/positions.csv")" -eq 100001 ]
check "memory linear in N (100,000: $large kB <= 15 x $small kB)" [ "$large" -le $((15 * small)) ]
finish
