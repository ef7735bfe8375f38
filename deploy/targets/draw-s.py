#!/usr/bin/env python3
"""Draw s.pgm, the picture the demo's second act switches the swarm to.

The letter S as two arcs of radius R with a stroke of width W, in the unit
box (y up), black ink on white, each pixel the ink coverage of 4 x 4
samples (anti-aliased). Dark is dense: swarmshape gathers agents on the
ink. Usage: draw-s.py [SIZE] > s.pgm (SIZE pixels a side, 64 by default).
"""
import math
import sys

R, W = 0.19, 0.19
# (centre, first and last angle in degrees, counterclockwise): the upper
# arc from its right end round the left to the middle, the lower one from
# the middle round the right to its left end
ARCS = [((0.5, 0.5 + R), 20, 270), ((0.5, 0.5 - R), -160, 90)]


def ink(x, y):
    for (cx, cy), a0, a1 in ARCS:
        a = math.degrees(math.atan2(y - cy, x - cx))
        if any(a0 <= t <= a1 for t in (a, a + 360, a - 360)):
            d = abs(math.hypot(x - cx, y - cy) - R)
        else:
            d = min(math.hypot(x - cx - R * math.cos(math.radians(e)),
                               y - cy - R * math.sin(math.radians(e))) for e in (a0, a1))
        if d <= W / 2:
            return True
    return False


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    s = 4
    print("P2")
    print("# swarmshape: the letter S, a target picture (dark = dense);")
    print("# drawn by deploy/targets/draw-s.py %d" % n)
    print(n, n)
    print(255)
    for r in range(n):
        row = []
        for c in range(n):
            hits = sum(ink((c + (i + 0.5) / s) / n, 1 - (r + (j + 0.5) / s) / n)
                       for i in range(s) for j in range(s))
            row.append(round(255 * (1 - hits / (s * s))))
        print(" ".join("%d" % v for v in row))


main()
