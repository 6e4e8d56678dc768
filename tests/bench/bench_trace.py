#!/usr/bin/env python3
"""Tracepoint benchmark (issue 12), the ptrace backend against gdb's dprintf in one run. Not part of
meson test.

tests/bench/trace_bench.c's work(int x) (-O1: `lea 0x1(%rdi),%eax; ret`) is called N times in a
loop; every call is logged with its argument to a file: gdb `dprintf work,"x=%d\\n",x` (output
redirected to a file), cdbg's ptrace backend through build/tests/unit/bench_trace_ptrace (one
"x=N" line per hit written by the backend's consumer; until `cdbg trace --backend ptrace` exists).
Hits/s: gdb's from its run time minus the run time of the same session with N = 0 (start-up and
symbol loading are not counted); the driver's from arm to the program's end. Each tool's log is
checked: N lines, the last one x=N-1. Median of RUNS, the tools interleaved.
Usage: tests/bench/bench_trace.py [--build DIR] [--runs N] [--calls N]
"""
import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

SRCROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
SRC = os.path.join(SRCROOT, "tests", "bench", "trace_bench.c")


def timed(argv, **kw):
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    return time.monotonic() - t0, r


def check_log(path, n):
    with open(path) as f:
        xs = [l for l in f if l.startswith("x=")]
    return len(xs) == n and xs[-1].strip() == "x=%d" % (n - 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(SRCROOT, "build"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--calls", type=int, default=20000)
    a = ap.parse_args()
    driver = os.path.join(a.build, "tests", "unit", "bench_trace_ptrace")
    if not os.path.exists(driver):
        sys.exit("no %s: build cdbg first (meson compile -C %s)" % (driver, a.build))
    tmp = tempfile.mkdtemp(prefix="cdbg-bench-trace.")
    prog = os.path.join(tmp, "trace_bench")
    subprocess.run(["cc", "-g", "-O1", "-fno-pie", "-no-pie", "-o", prog, SRC], check=True)
    nm = subprocess.run(["nm", prog], capture_output=True, text=True, check=True).stdout
    addr = "0x" + re.search(r"^([0-9a-f]+) T work$", nm, re.M).group(1)
    n = a.calls
    gdb = ["gdb", "-nx", "-batch", "-ex", "set debuginfod enabled off", "-ex", 'dprintf work,"x=%d\\n",x', "-ex",
           "run", "--args", prog]
    res = {"gdb": [], "cdbg": [], "prog": []}
    errs = {}
    for _ in range(a.runs):
        t, _ = timed([prog, str(n)])
        res["prog"].append(t)
        log = os.path.join(tmp, "gdb.log")
        with open(log, "w") as f:
            t0 = time.monotonic()
            subprocess.run(gdb + ["0"], stdout=f, stderr=subprocess.STDOUT)
            base = time.monotonic() - t0
        with open(log, "w") as f:
            t0 = time.monotonic()
            subprocess.run(gdb + [str(n)], stdout=f, stderr=subprocess.STDOUT)
            t = time.monotonic() - t0
        if check_log(log, n):
            res["gdb"].append(n / (t - base))
        else:
            errs["gdb"] = "its log does not have the %d hits" % n
        log = os.path.join(tmp, "cdbg.log")
        _, r = timed([driver, addr, log, prog, str(n)])
        m = re.search(r"hits=(\d+) dropped=(\d+) ns=(\d+)", r.stdout)
        if m and int(m.group(1)) == n and m.group(2) == "0" and check_log(log, n):
            res["cdbg"].append(n / (int(m.group(3)) / 1e9))
        else:
            errs["cdbg"] = "hits or log wrong: %s %s" % (r.stdout.strip(), r.stderr.strip()[:200])
    g = statistics.median(res["gdb"]) if res["gdb"] else None
    c = statistics.median(res["cdbg"]) if res["cdbg"] else None
    p = statistics.median(res["prog"])
    print("gdb: %s; program: cc -g -O1 -fno-pie -no-pie tests/bench/trace_bench.c; %s" % (
        subprocess.run(["gdb", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
        time.strftime("%Y-%m-%d")))
    print()
    print("Tracing every call of work(int) (%d calls, the argument logged to a file; median of %d; the program "
          "alone: %.1f ms)" % (n, a.runs, p * 1000))
    print("| tool | hits/s | per hit |")
    print("|---|---:|---:|")
    for name, v in (("gdb `dprintf`", g), ("cdbg ptrace backend", c)):
        print("| %s | %s | %s |" % (name, "%.0f" % v if v else "n/a (%s)" % errs.get(name.split()[0]),
                                    "%.1f us" % (1e6 / v) if v else "n/a"))
    if g and c:
        print()
        print("cdbg ptrace / gdb dprintf: %.1fx" % (c / g))
    print("commands: %s %s LOG %s %d" % (shlex.quote(driver), addr, prog, n))
    print("          %s %d > LOG" % (shlex.join(gdb), n))


if __name__ == "__main__":
    main()
