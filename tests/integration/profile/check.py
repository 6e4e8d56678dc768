#!/usr/bin/env python3
"""Reads a `cdbg profile` output and checks it (tests/integration/profile/profile.sh).

usage: check.py folded|svg|pprof FILE [--threads] [--cut] [--build-id HEX] [--min N]

Every format is parsed here independently of cdbg: folded lines, the SVG as XML (titles), the
pprof file as gzip + the protobuf wire format (a small decoder of profile.proto's messages).
Checks, on testdata/profile/split.c's 3:1 work:
  - at least --min samples; nearly all of them on the two whole stacks of the source's call chain
    (thread entry -> worker_main -> run_work -> hot_a|hot_b -> step, step inlined);
  - hot_a's share of hot_a + hot_b within a tolerance of 75% that follows from the sample count;
  - --cut: the stacks are cut (deeper than the copy): they begin with [cut] and hold no frame
    above the cut (no worker_main), and still end run_work;hot_X;step.
Prints one line of what it found; exit status 1 with the reason when a check fails."""
import gzip
import math
import re
import sys
import xml.etree.ElementTree as ET

HOT = re.compile(r"^(?:(?P<thread>[^;]+);)?(?P<root>(?:__)?clone3?;start_thread);worker_main;run_work;hot_(?P<f>[ab]);step$")
HOT_CUT = re.compile(r"^(?:(?P<thread>[^;]+);)?\[cut\];(?:deep;)*run_work;hot_(?P<f>[ab]);step$")


def die(msg):
    print("check.py: " + msg)
    sys.exit(1)


def judge(stacks, opts):
    """stacks: list of (names root first, count)."""
    total = sum(c for _, c in stacks)
    if total < opts["min"]:
        die(f"only {total} samples (at least {opts['min']} expected)")
    want = HOT_CUT if opts["cut"] else HOT
    a = b = on = 0
    for names, c in stacks:
        m = want.match(";".join(names))
        if opts["threads"] and m and m.group("thread") != "worker":
            die(f"--threads: root {m.group('thread')!r}, not the thread's name 'worker': {';'.join(names)}")
        if not opts["threads"] and m and m.group("thread"):
            m = None
        if m:
            on += c
            if m.group("f") == "a":
                a += c
            else:
                b += c
        if opts["cut"] and "worker_main" in names:
            die(f"a frame above the cut (the copy cannot hold it): {';'.join(names)}")
    if on < 0.9 * total:
        bad = [";".join(n) + f" {c}" for n, c in stacks if not want.match(";".join(n))]
        die(f"only {on} of {total} samples on the source's call chain; others: {bad[:5]}")
    share = a / (a + b)
    tol = max(0.03, 3 * math.sqrt(0.75 * 0.25 / (a + b)))
    if abs(share - 0.75) > tol:
        die(f"hot_a has {share:.3f} of hot_a + hot_b ({a} vs {b}), expected 0.75 +- {tol:.3f}")
    print(f"ok: {total} samples, {on} on the call chain, hot_a {a} hot_b {b} ({share:.3f}, tolerance {tol:.3f})")


def folded(path):
    stacks = []
    for ln, line in enumerate(open(path), 1):
        m = re.match(r"^(\S.*) (\d+)$", line.rstrip("\n"))
        if not m:
            die(f"{path}:{ln}: not a folded line: {line!r}")
        stacks.append((m.group(1).split(";"), int(m.group(2))))
    return stacks


def svg(path):
    """The flame graph as XML: every frame a <g> with a <title> 'NAME (MODULE): N samples, P%'.
    Leaves (frames whose count exceeds their children's) give back the stacks."""
    ns = "{http://www.w3.org/2000/svg}"
    root = ET.parse(path).getroot()
    frames = []
    for g in root.iter(ns + "g"):
        t = g.find(ns + "title")
        r = g.find(ns + "rect")
        if t is None or r is None:
            die("a frame without its title or rect")
        m = re.match(r"^(.*?)(?: \(([^()]*)\))?: (\d+) samples?, ([0-9.]+)%$", t.text or "")
        if not m:
            die(f"a title not 'NAME (MODULE): N samples, P%': {t.text!r}")
        frames.append((int(g.get("data-d")), int(g.get("data-x")), int(m.group(3)), m.group(1), float(m.group(4)),
                       float(r.get("width"))))
    if not frames:
        die("no frame in the SVG")
    total = sum(c for d, _, c, _, _, _ in frames if d == 1)
    for d, x, c, name, pct, w in frames:
        if abs(pct - 100.0 * c / total) > 0.01:
            die(f"{name}: {pct}% in its title, {100.0 * c / total:.2f}% by its count")
        if abs(w - 1180.0 * c / total) > 0.02:
            die(f"{name}: width {w} for {c} of {total} samples")
    # rebuild stacks: a frame's parent is the frame one level down whose range holds it
    frames.sort()
    stacks = []
    for d, x, c, name, _, _ in frames:
        path_ = [name]
        dd, xx = d, x
        while dd > 1:
            dd -= 1
            par = [f for f in frames if f[0] == dd and f[1] <= xx < f[1] + f[2]]
            if len(par) != 1:
                die(f"{name} at depth {d}: no single parent")
            path_.insert(0, par[0][3])
        kids = sum(f[2] for f in frames if f[0] == d + 1 and x <= f[1] < x + c)
        if c > kids:
            stacks.append((path_, c - kids))
    return stacks


# ---- protobuf wire format ----
def varint(b, i):
    v = s = 0
    while True:
        x = b[i]
        i += 1
        v |= (x & 0x7F) << s
        s += 7
        if not x & 0x80:
            return v, i


def fields(b):
    i, out = 0, []
    while i < len(b):
        key, i = varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i)
            v = b[i:i + n]
            i += n
        elif wt == 1:
            v = int.from_bytes(b[i:i + 8], "little")
            i += 8
        elif wt == 5:
            v = int.from_bytes(b[i:i + 4], "little")
            i += 4
        else:
            die(f"wire type {wt} at byte {i}")
        out.append((f, wt, v))
    return out


def packed(wt, v):
    if wt == 0:
        return [v]
    r, i = [], 0
    while i < len(v):
        x, i = varint(v, i)
        r.append(x)
    return r


def pprof(path, opts):
    data = gzip.open(path).read()
    strings, samples, locs, funcs, maps, stypes = [], [], {}, {}, {}, []
    for f, wt, v in fields(data):
        if f == 6:
            strings.append(v.decode())
        elif f == 1:
            stypes.append({k: x for k, _, x in fields(v)})
        elif f == 2:
            s = {"loc": [], "val": [], "label": []}
            for k, w, x in fields(v):
                if k == 1:
                    s["loc"] += packed(w, x)
                elif k == 2:
                    s["val"] += packed(w, x)
                elif k == 3:
                    s["label"].append({kk: xx for kk, _, xx in fields(x)})
            samples.append(s)
        elif f == 4:
            lo = {"lines": []}
            for k, _, x in fields(v):
                if k == 4:
                    lo["lines"].append({kk: xx for kk, _, xx in fields(x)})
                else:
                    lo[k] = x
            locs[lo[1]] = lo
        elif f == 5:
            d = {k: x for k, _, x in fields(v)}
            funcs[d[1]] = d
        elif f == 3:
            d = {k: x for k, _, x in fields(v)}
            maps[d[1]] = d
    if not strings or strings[0] != "":
        die("string_table[0] is not ''")
    types = [(strings[t.get(1, 0)], strings[t.get(2, 0)]) for t in stypes]
    if types != [("samples", "count"), ("cpu", "nanoseconds")]:
        die(f"sample types {types}")
    stacks = []
    inl = 0
    for s in samples:
        names = []
        for lid in s["loc"]:  # leaf first
            lo = locs.get(lid)
            if lo is None:
                die(f"sample names location {lid}, which is not there")
            # the lines: inlined callee first, the function that contains the pc last
            lnames = [strings[funcs[ln[1]][2]] for ln in lo["lines"]]
            if lnames[:2] == ["step", "hot_a"] or lnames[:2] == ["step", "hot_b"]:
                inl += 1
            names += lnames
        names.reverse()
        if opts["threads"]:
            th = [strings[lb.get(2, 0)] for lb in s["label"] if strings[lb.get(1, 0)] == "thread"]
            if len(th) != 1:
                die("--threads: a sample without its thread label")
            names.insert(0, th[0])
        stacks.append((names, s["val"][0]))
        if s["val"][1] <= 0 or s["val"][1] % s["val"][0]:
            die(f"cpu nanoseconds {s['val'][1]} not a multiple of the samples {s['val'][0]}")
    if not inl:
        die("no location holds step inlined in hot_a or hot_b (two lines, the inlined one first)")
    if opts["build_id"]:
        ids = {strings[m.get(6, 0)] for m in maps.values()}
        if opts["build_id"] not in ids:
            die(f"no mapping with build-id {opts['build_id']} (mappings: {ids})")
        for lo in locs.values():
            if lo.get(2) and not (maps[lo[2]].get(2, 0) <= lo.get(3, 0) < maps[lo[2]].get(3, 0)):
                die(f"location {lo[1]} at 0x{lo.get(3, 0):x} outside its mapping")
    return stacks


def main():
    a = sys.argv[1:]
    if len(a) < 2:
        die(__doc__)
    kind, path = a[0], a[1]
    opts = {"threads": "--threads" in a, "cut": "--cut" in a, "build_id": None, "min": 50}
    if "--build-id" in a:
        opts["build_id"] = a[a.index("--build-id") + 1]
    if "--min" in a:
        opts["min"] = int(a[a.index("--min") + 1])
    if kind == "folded":
        st = folded(path)
    elif kind == "svg":
        st = svg(path)
    elif kind == "pprof":
        st = pprof(path, opts)
    else:
        die(f"unknown kind {kind}")
    judge(st, opts)


main()
