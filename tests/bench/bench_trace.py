#!/usr/bin/env python3
"""Tracepoint benchmark (issue 12), the ptrace backend against gdb's dprintf in one run. Not part of
meson test.

tests/bench/trace_bench.c's work(int x) (-O1: `lea 0x1(%rdi),%eax; ret`) is called N times in a
loop; every call is logged with its argument to a file: gdb `dprintf work,"x=%d\\n",x` (output
redirected to a file); `cdbg trace --backend ptrace -o FILE '^work$' -- PROG N` (one text line per
hit, from the trace core: arguments read through DWARF at each record); the same with --ret (an
entry and a return line per call: its rate is in calls/s); and the backend alone,
through build/tests/unit/bench_trace_ptrace (one "x=N" line per record written by its consumer).
Hits/s: gdb's and cdbg trace's from the run time minus that of the same command with N = 0
(start-up and symbol loading are not counted); the driver's from arm to the program's end. Each tool's log is
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
    cdbg_bin = os.path.join(a.build, "cdbg")
    trace = [cdbg_bin, "trace", "--backend", "ptrace", "-o"]
    res = {"gdb": [], "cdbg": [], "trace": [], "ret": [], "prog": []}
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
        log = os.path.join(tmp, "trace.log")
        base, _ = timed(trace + [log, "^work$", "--", prog, "0"])
        t, r = timed(trace + [log, "^work$", "--", prog, str(n)])
        with open(log) as f:
            lines = f.read().splitlines()
        if r.returncode == 0 and len(lines) == n and lines[-1].startswith("> work(x=%d)" % (n - 1)):
            res["trace"].append(n / (t - base))
        else:
            errs["cdbg trace"] = "status %d, %d lines: %s" % (r.returncode, len(lines), r.stderr.strip()[:200])
        rtrace = trace[:2] + ["--ret"] + trace[2:]
        base, _ = timed(rtrace + [log, "^work$", "--", prog, "0"])
        t, r = timed(rtrace + [log, "^work$", "--", prog, str(n)])
        with open(log) as f:
            lines = f.read().splitlines()
        if r.returncode == 0 and len(lines) == 2 * n and lines[-2].startswith("> work(x=%d)" % (n - 1)) and \
                lines[-1].startswith("< work = %d " % n):
            res["ret"].append(n / (t - base))
        else:
            errs["cdbg trace --ret"] = "status %d, %d lines: %s" % (r.returncode, len(lines), r.stderr.strip()[:200])
        log = os.path.join(tmp, "cdbg.log")
        _, r = timed([driver, addr, log, prog, str(n)])
        m = re.search(r"hits=(\d+) dropped=(\d+) ns=(\d+)", r.stdout)
        if m and int(m.group(1)) == n and m.group(2) == "0" and check_log(log, n):
            res["cdbg"].append(n / (int(m.group(3)) / 1e9))
        else:
            errs["cdbg"] = "hits or log wrong: %s %s" % (r.stdout.strip(), r.stderr.strip()[:200])
    g = statistics.median(res["gdb"]) if res["gdb"] else None
    c = statistics.median(res["cdbg"]) if res["cdbg"] else None
    tr = statistics.median(res["trace"]) if res["trace"] else None
    rt = statistics.median(res["ret"]) if res["ret"] else None
    p = statistics.median(res["prog"])
    print("gdb: %s; program: cc -g -O1 -fno-pie -no-pie tests/bench/trace_bench.c; %s" % (
        subprocess.run(["gdb", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
        time.strftime("%Y-%m-%d")))
    print()
    print("Tracing every call of work(int) (%d calls, the argument logged to a file; median of %d; the program "
          "alone: %.1f ms)" % (n, a.runs, p * 1000))
    print("| tool | hits/s | per hit | / gdb |")
    print("|---|---:|---:|---:|")
    for name, key, v in (("gdb `dprintf`", "gdb", g), ("`cdbg trace --backend ptrace`", "cdbg trace", tr),
                         ("`cdbg trace --backend ptrace --ret` (calls/s)", "cdbg trace --ret", rt),
                         ("the ptrace backend alone (driver)", "cdbg", c)):
        print("| %s | %s | %s | %s |" % (name, "%.0f" % v if v else "n/a (%s)" % errs.get(key),
                                         "%.1f us" % (1e6 / v) if v else "n/a", "%.1f" % (v / g) if v and g else "n/a"))
    print("commands: %s LOG '^work$' -- %s %d" % (shlex.join(trace), prog, n))
    print("          %s LOG '^work$' -- %s %d" % (shlex.join(trace[:2] + ["--ret"] + trace[2:]), prog, n))
    print("          %s %s LOG %s %d" % (shlex.quote(driver), addr, prog, n))
    print("          %s %d > LOG" % (shlex.join(gdb), n))


if __name__ == "__main__":
    main()
