#!/usr/bin/env bash
# swarmshape plot draws a run directory's pictures: for short sim runs in
# 1, 2 and 3 dimensions it writes density and convergence pictures as
# valid PNG (signature, every chunk's CRC, IHDR size, the image data
# inflating to exactly height rows) and SVG (parsed as XML, an <svg> root
# with the picture's size, the heat map embedded), and prints their
# paths; --frames writes one frame per trace row and, when ffmpeg is
# installed, replay.gif (a GIF with one image per frame), and says so
# when ffmpeg is not on the PATH; target switches and lost agents are
# drawn; a run directory without its files, or with a broken one, gets
# one line and exit 2.
source "$(dirname "$0")/lib.sh"

# check_png FILE WIDTH HEIGHT
check_png() {
    python3 - "$@" <<'PY'
import struct, sys, zlib
path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "PNG signature"
at, chunks, idat = 8, [], b""
while at < len(data):
    length, kind = struct.unpack(">I4s", data[at:at + 8])
    body = data[at + 8:at + 8 + length]
    crc, = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
    assert zlib.crc32(kind + body) == crc, f"CRC of {kind}"
    chunks.append(kind)
    if kind == b"IHDR":
        w, h, depth, colour = struct.unpack(">IIBB", body[:10])
    if kind == b"IDAT":
        idat += body
    at += 12 + length
assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND", chunks
assert (w, h) == (want_w, want_h), f"IHDR {w}x{h}, want {want_w}x{want_h}"
channels = {2: 3, 6: 4}[colour]
raw = zlib.decompress(idat)
assert depth == 8 and len(raw) == h * (1 + w * channels), "image data size"
# Not blank: the (filtered) image data of a blank picture is nearly all
# one byte; a drawn one uses most byte values
assert len(set(raw)) > 40, "the picture looks blank"
PY
}

# check_svg FILE WIDTH HEIGHT [needs_image]
check_svg() {
    python3 - "$@" <<'PY'
import sys, xml.etree.ElementTree as ET
path, w, h = sys.argv[1], sys.argv[2], sys.argv[3]
root = ET.parse(path).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
assert root.get("width") == f"{w}pt" and root.get("height") == f"{h}pt", (root.get("width"), root.get("height"))
if len(sys.argv) > 4:
    images = root.findall(".//{http://www.w3.org/2000/svg}image")
    assert images, "no heat map image in the SVG"
assert sum(1 for _ in root.iter()) > 100, "too few elements"
PY
}

run_dim() {   # run_dim DIM ROUNDS [extra fleet lines]
    local d=$1 rounds=$2
    {
        printf 'fleet\n    name = plot%s\n    rounds = %s\n    model\n        dim = %s\n' "$d" "$rounds" "$d"
        [ "$d" = 3 ] && printf '        m = 3\n        nq = 12\n'
        printf '    agents\n        count = 12\n    coordinator\n        report_every = 10\n'
    } > "$TMP/d$d.zpl"
    timeout 300 "$SWARMSHAPE" sim "$TMP/d$d.zpl" --out "$TMP/r$d" --quiet
}

declare -A size=( [1]="1000 810" [2]="1110 600" [3]="1215 870" )
for d in 1 2 3; do
    rounds=60
    run_dim $d $rounds
    check "dim $d: sim writes fleet.zpl and frames.csv" \
        test -s "$TMP/r$d/fleet.zpl" -a -s "$TMP/r$d/frames.csv"
    check "dim $d: frames.csv has a row per agent per trace row" \
        [ "$(($(wc -l < "$TMP/r$d/frames.csv") - 1))" -eq $((12 * $(wc -l < "$TMP/r$d/trace.jsonl"))) ]
    timeout 300 "$SWARMSHAPE" plot "$TMP/r$d" > "$TMP/out$d" 2> "$TMP/err$d"
    check "dim $d: plot exits 0" [ $? -eq 0 ]
    check "dim $d: plot is silent on stderr" [ ! -s "$TMP/err$d" ]
    check "dim $d: prints the four paths" diff <(printf '%s\n' "$TMP/r$d/density.png" \
        "$TMP/r$d/density.svg" "$TMP/r$d/convergence.png" "$TMP/r$d/convergence.svg") "$TMP/out$d"
    # shellcheck disable=SC2086
    check "dim $d: density.png valid, ${size[$d]/ /x}" check_png "$TMP/r$d/density.png" ${size[$d]}
    # shellcheck disable=SC2086
    check "dim $d: density.svg parses" check_svg "$TMP/r$d/density.svg" ${size[$d]} \
        $([ "$d" != 1 ] && echo image)
    check "dim $d: convergence.png valid, 1000x780" check_png "$TMP/r$d/convergence.png" 1000 780
    check "dim $d: convergence.svg parses" check_svg "$TMP/r$d/convergence.svg" 1000 780
done

# --frames (2-D): one frame per trace row, and the animation
rows=$(wc -l < "$TMP/r2/trace.jsonl")
last=$(printf 'frame-%06d.png' $((rows - 1)))
timeout 300 "$SWARMSHAPE" plot "$TMP/r2" --frames > "$TMP/out" 2> "$TMP/err"
check "--frames exits 0" [ $? -eq 0 ]
check "--frames: $rows frames" [ "$(ls "$TMP/r2/frames" | grep -c '^frame-[0-9]*\.png$')" -eq "$rows" ]
check "--frames: the last frame is valid" check_png "$TMP/r2/frames/$last" 1110 600
check "--frames: prints the frames" grep -q "frames/frame-000000.png .. $last ($rows frames)" "$TMP/out"
if command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null; then
    check "--frames: replay.gif printed" grep -qx "$TMP/r2/replay.gif" "$TMP/out"
    check "--frames: replay.gif is a GIF" [ "$(head -c 6 "$TMP/r2/replay.gif")" = GIF89a ]
    n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
        -of csv=p=0 "$TMP/r2/replay.gif")
    check "--frames: replay.gif holds the $rows frames (ffprobe: $n)" [ "$n" = "$rows" ]
else
    echo "SKIP: ffmpeg is not installed: replay.gif not checked (apt-get install ffmpeg)"
fi
# Without ffmpeg on the PATH: frames, a note, no animation
rm -f "$TMP/r2/replay.gif"
timeout 300 env PATH=/nonexistent "$SWARMSHAPE" plot "$TMP/r2" --frames > "$TMP/out" 2> "$TMP/err"
check "no ffmpeg: exits 0" [ $? -eq 0 ]
check "no ffmpeg: says so" grep -q "ffmpeg not found on the PATH: no replay.gif (install the Debian package ffmpeg)" "$TMP/err"
check "no ffmpeg: no replay.gif" [ ! -e "$TMP/r2/replay.gif" ]
check "no ffmpeg: the frames" [ -s "$TMP/r2/frames/$last" ]

# Target switches (targets.txt) and lost agents (trace rows' lost) are drawn
cp -r "$TMP/r2" "$TMP/events"
python3 - "$TMP/events" <<'PY'
import json, sys
run = sys.argv[1]
rows = [json.loads(line) for line in open(f"{run}/trace.jsonl")]
for r in rows:
    r["target"] = 1 if r["round"] >= 30 else 0
    r["lost"] = [3, 5] if 20 <= r["round"] <= 40 else []
open(f"{run}/trace.jsonl", "w").write("".join(json.dumps(r) + "\n" for r in rows))
open(f"{run}/targets.txt", "w").write("30 1 1 0.5 0.5 0.15\n")
PY
timeout 300 "$SWARMSHAPE" plot "$TMP/events" --frames > "$TMP/out" 2> "$TMP/err"
check "events: plot exits 0" [ $? -eq 0 ]
check "events: convergence.png valid" check_png "$TMP/events/convergence.png" 1000 780
differ() { ! cmp -s "$1" "$2"; }
check "events: the pictures differ from the run without events" \
    differ "$TMP/events/convergence.png" "$TMP/r2/convergence.png"
# A trace that counts a switch targets.txt lacks: a note, the fleet's target
rm "$TMP/events/targets.txt"
timeout 300 "$SWARMSHAPE" plot "$TMP/events" > "$TMP/out" 2> "$TMP/err"
check "events without targets.txt: exits 0" [ $? -eq 0 ]
check "events without targets.txt: a note" grep -q "targets.txt holds 0" "$TMP/err"

# --fleet FILE for a run directory without fleet.zpl; frames.csv optional
cp -r "$TMP/r2" "$TMP/old"
rm "$TMP/old/fleet.zpl" "$TMP/old/frames.csv"
timeout 300 "$SWARMSHAPE" plot "$TMP/old" --fleet "$TMP/d2.zpl" > "$TMP/out" 2> "$TMP/err"
check "--fleet FILE: exits 0" [ $? -eq 0 ]
check "no frames.csv: a note, no paths" grep -q "frames.csv missing: no paths drawn" "$TMP/err"

# expect_error "what" "message" args...: exit 2, one line, the message
expect_error() {
    local what=$1 want=$2; shift 2
    timeout 60 "$SWARMSHAPE" plot "$@" > "$TMP/out" 2> "$TMP/err"
    local rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l < "$TMP/err")" -eq 1 ] && grep -qF -- "$want" "$TMP/err"; then
        pass "$what"
    else
        fail "$what (exit $rc: $(cat "$TMP/err"))"
    fi
}
mkdir "$TMP/empty"
expect_error "empty run dir: exit 2, one line" "$TMP/empty/fleet.zpl: missing" "$TMP/empty"
expect_error "no such dir: exit 2" "$TMP/nothere: not a run directory" "$TMP/nothere"
expect_error "old run without --fleet: exit 2" "fleet.zpl: missing" "$TMP/old"
expect_error "--frames without frames.csv: exit 2" "frames.csv: missing" \
    "$TMP/old" --fleet "$TMP/d2.zpl" --frames
cp -r "$TMP/r2" "$TMP/broken"
rm "$TMP/broken/trace.jsonl"
expect_error "no trace: exit 2" "$TMP/broken/trace.jsonl: missing" "$TMP/broken"
printf '{"round":0,"J":1}\n{"round":10,"J":\n' > "$TMP/broken/trace.jsonl"
expect_error "broken trace: exit 2, file and line" "$TMP/broken/trace.jsonl: line 2: not JSON" "$TMP/broken"
printf '{"round":0}\n' > "$TMP/broken/trace.jsonl"
printf 'id,x1,x2\n0,0.5,oops\n' > "$TMP/broken/positions.csv"
expect_error "broken positions: exit 2" "positions.csv: line 2: x2: not a finite number" "$TMP/broken"
expect_error "dimension of another fleet: exit 2" "header 'id,x1,x2' is not 'id,x1'" \
    "$TMP/r2" --fleet "$TMP/d1.zpl"
expect_error "no RUNDIR: exit 2" "expected RUNDIR" --frames
expect_error "two RUNDIRs: exit 2" "unexpected argument" "$TMP/r1" "$TMP/r2"
expect_error "unknown option: exit 2" "unknown option '--bogus'" "$TMP/r2" --bogus
expect_error "--fleet without a value: exit 2" "option '--fleet' needs a value" "$TMP/r2" --fleet
"$SWARMSHAPE" plot --help | grep -q "swarmshape plot RUNDIR"
check "plot --help" [ $? -eq 0 ]
"$SWARMSHAPE" --help | grep -q "plot RUNDIR"
check "swarmshape --help lists plot" [ $? -eq 0 ]
finish
