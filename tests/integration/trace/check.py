#!/usr/bin/env python3
"""Checks a `cdbg trace` output file (tests/integration/trace/).

  check.py seq FILE ARG N           text: N entries with ARG=0..N-1 in this order (one thread)
  check.py threads FILE ARG T N     text: T threads, each with ARG = t*1000000 + 0..N-1 in order
  check.py rets FILE ARG SUM        JSON --ret: entries and returns alternate per thread, every
                                    return has dur_ns > 0, and the returns add up to SUM
  check.py ret_of FILE ARG V        JSON --ret: the return value of the call whose ARG was V
Prints one line saying what is wrong, and exits 1, on the first problem."""
import json
import re
import sys


def die(msg):
    print("check.py: " + msg)
    sys.exit(1)


def entries(path, arg):
    rx = re.compile(r"^> \w+\((?:.*, )?%s=(-?\d+)(?:,.*)?\) \S+:\d+.* \[tid (\d+)\]$" % re.escape(arg))
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith("> "):
                m = rx.match(line.rstrip("\n"))
                if not m:
                    die("entry line not understood: %r" % line)
                out.append((int(m.group(2)), int(m.group(1))))
            elif line.startswith("!"):
                die("records were lost: %r" % line)
    return out


def main():
    mode, path, arg = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "seq":
        n = int(sys.argv[4])
        vals = [v for _, v in entries(path, arg)]
        if len(vals) != n:
            die("%d entries, expected %d" % (len(vals), n))
        for i, v in enumerate(vals):
            if v != i:
                die("entry %d has %s=%d, expected %d (lost, repeated or out of order)" % (i, arg, v, i))
        if sum(vals) != n * (n - 1) // 2:
            die("sum of %s is %d" % (arg, sum(vals)))
    elif mode == "threads":
        t, n = int(sys.argv[4]), int(sys.argv[5])
        per = {}
        for tid, v in entries(path, arg):
            per.setdefault(tid, []).append(v)
        if len(per) != t:
            die("%d threads traced, expected %d" % (len(per), t))
        bases = set()
        for tid, vals in per.items():
            base = vals[0] - vals[0] % 1000000
            bases.add(base)
            want = list(range(base, base + n))
            if vals != want:
                bad = next((i for i, (a, b) in enumerate(zip(vals, want)) if a != b), min(len(vals), n))
                die("thread %d: %d entries (expected %d), first difference at call %d" % (tid, len(vals), n, bad))
        if bases != {k * 1000000 for k in range(1, t + 1)}:
            die("threads' argument bases are %s" % sorted(bases))
    elif mode in ("rets", "ret_of"):
        evs = [json.loads(l) for l in open(path) if l.strip()]
        open_call = {}
        total = 0
        for e in evs:
            if e["event"] == "dropped":
                die("records were lost: %s" % e)
            tid = e["tid"]
            if e["event"] == "entry":
                if tid in open_call:
                    die("two entries without a return in thread %d" % tid)
                open_call[tid] = e["args"][arg]
            elif e["event"] == "return":
                if tid not in open_call:
                    die("a return without its entry in thread %d: %s" % (tid, e))
                if not e.get("dur_ns", 0) > 0:
                    die("return without a positive dur_ns: %s" % e)
                v = int(e["return"]["value"])
                if mode == "ret_of" and open_call[tid] == int(sys.argv[4]):
                    print(v)
                    return
                total += v
                del open_call[tid]
        if mode == "ret_of":
            die("no call with %s=%s" % (arg, sys.argv[4]))
        if open_call:
            die("calls without a return: %s" % open_call)
        if total != int(sys.argv[4]):
            die("returns add up to %d, expected %s" % (total, sys.argv[4]))
    else:
        die("unknown mode " + mode)


main()
