#!/usr/bin/env python3
"""live_page.py URL DRIVER_URL PROFILE_DIR SHOT_DIR: the coordinator's live
page in headless Chromium, driven over WebDriver (chromedriver's HTTP API,
Python's standard library only). Checks, each printed as "ok: ..." or
"FAIL: ...":
  - the page loads without console errors (the browser log holds no
    SEVERE entry: a script error, a failed fetch, a refused policy);
  - its canvases are drawn: a screenshot of each (PNG, decoded here) is
    not blank: beside the commonest colour (the background) half the
    density map's pixels, and 2% of the J curve's, are painted, in many
    colours;
  - the round shown advances (read twice from the page, bounded waits).
Exit 0 when every check passed, 1 otherwise.
"""
import base64
import json
import struct
import sys
import time
import urllib.error
import urllib.request
import zlib

URL, DRIVER, PROFILE, SHOTS = sys.argv[1:5]
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--user-data-dir=' + PROFILE, '--window-size=1200,1000']
fails = 0


def check(ok, what):
    global fails
    print(('ok: ' if ok else 'FAIL: ') + what)
    fails += 0 if ok else 1


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(DRIVER + path, method=method, data=data,
                                     headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.load(answer)['value']
    except urllib.error.HTTPError as e:
        raise RuntimeError('%s %s: %s' % (method, path, e.read()[:300]))


def pixels(png):
    """(width, height, channels, rows) of an 8-bit RGB or RGBA PNG"""
    assert png[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat = 8, b''
    while pos < len(png):
        size, kind = struct.unpack('>I4s', png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + size]
        pos += 12 + size
        if kind == b'IHDR':
            width, height, depth, colour = struct.unpack('>IIBB', body[:10])
        elif kind == b'IDAT':
            idat += body
    assert depth == 8 and colour in (2, 6), 'PNG kind %d/%d' % (depth, colour)
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    rows, prev, at = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def drawn(png):
    """fraction of pixels unlike the most common one (the background),
    distinct colours"""
    width, height, bpp, rows = pixels(png)
    counts = {}
    for row in rows:
        for x in range(0, width * bpp, bpp):
            px = row[x:x + 3]
            counts[px] = counts.get(px, 0) + 1
    background = max(counts.values())
    return 1 - background / float(width * height), len(counts)


def shown_round(sid):
    text = call('POST', '/session/%s/execute/sync' % sid,
                {'script': 'return document.getElementById("round").textContent', 'args': []})
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def wait_round(sid, above, seconds):
    until = time.time() + seconds
    while time.time() < until:
        r = shown_round(sid)
        if r is not None and r > above:
            return r
        time.sleep(0.25)
    return None


caps = {'capabilities': {'alwaysMatch': {
    'browserName': 'chrome', 'goog:loggingPrefs': {'browser': 'ALL'},
    'goog:chromeOptions': {'binary': '/usr/bin/chromium', 'args': FLAGS}}}}
sid = call('POST', '/session', caps)['sessionId']
try:
    call('POST', '/session/%s/url' % sid, {'url': URL})
    r1 = wait_round(sid, -1, 20)
    check(r1 is not None, 'the page shows a round (%s)' % r1)
    r2 = wait_round(sid, r1 if r1 is not None else 10 ** 18, 20)
    check(r2 is not None, 'the round shown advances (%s -> %s)' % (r1, r2))
    time.sleep(1.5)                 # a few more polls: trails, the curve
    with open(SHOTS + '/page.png', 'wb') as f:
        f.write(base64.b64decode(call('GET', '/session/%s/screenshot' % sid)))
    # the density map fills most of its canvas; the curve canvas is mostly
    # white, but its axes, grid lines, labels and two curves are not
    for canvas, share_min, colours_min in (('swarm', 0.5, 50), ('curve', 0.02, 3)):
        element = call('POST', '/session/%s/element' % sid,
                       {'using': 'css selector', 'value': '#' + canvas})
        eid = list(element.values())[0]
        png = base64.b64decode(call('GET', '/session/%s/element/%s/screenshot' % (sid, eid)))
        with open('%s/%s.png' % (SHOTS, canvas), 'wb') as f:
            f.write(png)
        share, colours = drawn(png)
        check(share > share_min and colours >= colours_min,
              'canvas #%s drawn: %.0f%% of its pixels painted, %d colours'
              % (canvas, 100 * share, colours))
    problem = call('POST', '/session/%s/execute/sync' % sid,
                   {'script': 'return document.getElementById("problem").textContent',
                    'args': []})
    check(problem == '', 'the page reports no problem (%r)' % problem)
    log = call('POST', '/session/%s/se/log' % sid, {'type': 'browser'})
    severe = [e['message'] for e in log if e.get('level') == 'SEVERE']
    check(not severe, 'no console errors (%d log entries%s)'
          % (len(log), ': ' + '; '.join(severe[:3]) if severe else ''))
finally:
    call('DELETE', '/session/%s' % sid)
sys.exit(1 if fails else 0)
