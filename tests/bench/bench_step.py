#!/usr/bin/env python3
"""Execution-control benchmarks (issue 11), cdbg against gdb in one run. Not part of meson test.

  (a) roundtrip  breakpoint round trip: one `continue` through 10,000 hits of a breakpoint that does
                 not stop (an ignore count, and a condition true only on the last hit); hits/s
  (b) nextover   `next` over a call that runs 100 M loop iterations, against the program's own
                 run time (target: within 1.5x of it, as gdb is)
  (c) nextloop   1000 consecutive `next`s in a loop whose body calls a function

Each debugger reads its commands from a pipe, one at a time, and the time of a command is from
writing it to reading its reply (cdbg --json: its one JSON line; gdb: an `echo` marker after it),
so start-up and symbol loading are not counted. Each measurement is the median of RUNS sessions.
Usage: tests/bench/bench_step.py [--cdbg PATH] [--runs N] [roundtrip|nextover|nextloop ...]
"""
import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

SRCROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
SRC = os.path.join(SRCROOT, "tests", "bench", "step_bench.c")
HITS = 10000
SPIN = 100_000_000
NEXTS = 1000


def marker(name):
    with open(SRC) as f:
        for i, line in enumerate(f, 1):
            if "/* @%s */" % name in line:
                return i
    raise SystemExit("no marker @%s in %s" % (name, SRC))


class Cdbg:
    def __init__(self, cdbg, prog, args):
        self.argv = [cdbg, "--json", "run", prog] + args
        self.p = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.first = self._reply()

    def _reply(self):
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("cdbg ended")
            if line.startswith("{"):
                return json.loads(line)

    def cmd(self, c):
        """(seconds, reply object)"""
        t0 = time.monotonic()
        self.p.stdin.write(c + "\n")
        self.p.stdin.flush()
        r = self._reply()
        return time.monotonic() - t0, r

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


class Gdb:
    MARK = "@@DONE"

    def __init__(self, prog, args):
        self.argv = ["gdb", "-nx", "-q", "-ex", "set confirm off", "-ex", "set pagination off",
                     "-ex", "set debuginfod enabled off", "-ex", "set width 0", "--args", prog] + args
        self.p = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, bufsize=1)

    def cmd(self, c):
        """(seconds, output text)"""
        t0 = time.monotonic()
        self.p.stdin.write(c + "\necho " + self.MARK + "\\n\n")
        self.p.stdin.flush()
        out = []
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("gdb ended: " + "".join(out[-5:]))
            if self.MARK in line:
                break
            while line.startswith("(gdb) "):
                line = line[6:]
            out.append(line)
        return time.monotonic() - t0, "".join(out)

    def close(self):
        try:
            self.p.stdin.write("kill\nquit\n")
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def cdbg_has(cdbg, command):
    r = subprocess.run([cdbg, "help", command], capture_output=True, text=True)
    return r.returncode == 0


def table(rows, heads):
    out = ["| " + " | ".join(heads) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(heads))) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def med(xs):
    return statistics.median(xs) if xs else None


def ms(x):
    return "n/a" if x is None else "%.1f" % (x * 1000)


def program_time(prog, args, runs):
    ts = []
    for _ in range(runs):
        t0 = time.monotonic()
        subprocess.run([prog] + args, check=True)
        ts.append(time.monotonic() - t0)
    return med(ts)


# --- (a) breakpoint round trip ---------------------------------------------------------------------

def roundtrip(a, prog):
    args = ["hits", str(HITS + 1)]
    # HITS non-stopping hits, then the stop at hit HITS+1
    has_ignore = cdbg_has(a.cdbg, "ignore")
    cdbg_ways = {
        "ignore": ["break tick", "ignore 1 %d" % HITS] if has_ignore
        else ["break tick", "condition -hitcount 1 == %d" % (HITS + 1)],
        "condition": ["break tick if i == %d" % HITS],
    }
    # `start` made breakpoint 1: $bpnum is tick's
    gdb_ways = {"ignore": ["break tick", "ignore $bpnum %d" % HITS], "condition": ["break tick if i == %d" % HITS]}
    res = {}
    ts_of = {}
    for way in ("ignore", "condition"):
        for run in range(a.runs):
            for tool in ("cdbg", "gdb"):  # interleaved: a noisy moment costs both, not one
                ts, err = ts_of.setdefault((way, tool), ([], [None]))
                d = Cdbg(a.cdbg, prog, args) if tool == "cdbg" else Gdb(prog, args)
                try:
                    if tool == "gdb":
                        d.cmd("start")
                    for c in (cdbg_ways if tool == "cdbg" else gdb_ways)[way]:
                        _, r = d.cmd(c)
                        if tool == "cdbg" and "error" in r:
                            err[0] = r["error"]
                    t, r = d.cmd("continue")
                    if tool == "cdbg":
                        ok = r.get("event") == "breakpoint" and d.cmd("print i")[1].get("value") == HITS
                    else:
                        ok = "tick (i=%d)" % HITS in r
                    if not ok:
                        err[0] = err[0] or ("did not stop at the breakpoint: %s" % str(r)[:200])
                    else:
                        ts.append(t)
                finally:
                    d.close()
    for k, (ts, err) in ts_of.items():
        res[k] = (med(ts), err[0])
    prog_t = program_time(prog, args, a.runs)
    rows = []
    for way in ("ignore", "condition"):
        c, ce = res[(way, "cdbg")]
        g, ge = res[(way, "gdb")]
        rows.append([
            {"ignore": "ignore count" + ("" if has_ignore else " (cdbg: condition -hitcount)"),
             "condition": "condition `i == %d`" % HITS}[way],
            ms(c) if c else "n/a (%s)" % ce, ms(g) if g else "n/a (%s)" % ge,
            "%.0f" % (HITS / c) if c else "n/a", "%.0f" % (HITS / g) if g else "n/a",
            "%.1f" % (g / c) if c and g else "n/a"])
    print("(a) breakpoint round trip: `continue` through %d hits of a breakpoint on tick() that do not stop"
          " (median of %d; the program alone: %s ms)" % (HITS, a.runs, ms(prog_t)))
    print(table(rows, ["stop rule", "cdbg ms", "gdb ms", "cdbg hits/s", "gdb hits/s", "gdb/cdbg"]))
    print("commands: %s --batch %s -ex continue" % (shlex.join([a.cdbg, "run", prog] + args),
                                                   " ".join("-ex " + shlex.quote(c) for c in cdbg_ways["ignore"])))
    print("          %s --batch %s -ex continue" % (shlex.join([a.cdbg, "run", prog] + args),
                                                   " ".join("-ex " + shlex.quote(c) for c in cdbg_ways["condition"])))
    print("          gdb -nx -batch -ex start %s -ex continue --args %s" % (
        " ".join("-ex " + shlex.quote(c) for c in gdb_ways["ignore"]), shlex.join([prog] + args)))
    print("          gdb -nx -batch -ex start %s -ex continue --args %s" % (
        " ".join("-ex " + shlex.quote(c) for c in gdb_ways["condition"]), shlex.join([prog] + args)))
    print()


# --- (b) next over a long call ---------------------------------------------------------------------

def nextover(a, prog):
    args = ["spin", str(SPIN)]
    line = marker("spin_call")
    after = marker("spin_after")
    ts_of = {"cdbg": [], "gdb": [], "prog": []}
    errs = {}
    for _ in range(a.runs):
        ts_of["prog"].append(program_time(prog, args, 1))
        for tool in ("cdbg", "gdb"):  # interleaved with each other and with the program alone
            ts = ts_of[tool]
            d = Cdbg(a.cdbg, prog, args) if tool == "cdbg" else Gdb(prog, args)
            try:
                if tool == "gdb":
                    d.cmd("start")
                d.cmd("tbreak step_bench.c:%d" % line)
                d.cmd("continue")
                t, r = d.cmd("next")
                if tool == "cdbg":
                    got = (r.get("frame") or {}).get("line")
                    if got != after:
                        errs[tool] = r.get("error") or "stopped at line %s, not %d" % (got, after)
                        continue
                elif not re.search(r"^%d\t" % after, r, re.M):
                    errs[tool] = "stopped elsewhere: %s" % r.strip()[:200]
                    continue
                ts.append(t)
            finally:
                d.close()
    res = {tool: (med(ts_of[tool]), errs.get(tool)) for tool in ("cdbg", "gdb")}
    prog_t = med(ts_of["prog"])
    rows = [["program alone", ms(prog_t), "1.00"]]
    for tool in ("cdbg", "gdb"):
        t, e = res[tool]
        rows.append(["`next` in " + tool, ms(t) if t else "n/a (%s)" % e, "%.2f" % (t / prog_t) if t else "n/a"])
    print("(b) `next` over spin(%d): one call, %d M loop iterations (median of %d)" % (SPIN, SPIN // 1000000, a.runs))
    print(table(rows, ["what", "ms", "/ program"]))
    print("commands: %s  (time of the program)" % shlex.join([prog] + args))
    print("          %s --batch -ex 'tbreak step_bench.c:%d' -ex continue -ex next" % (
        shlex.join([a.cdbg, "run", prog] + args), line))
    print("          gdb -nx -batch -ex start -ex 'tbreak step_bench.c:%d' -ex continue -ex next --args %s" % (
        line, shlex.join([prog] + args)))
    print()


# --- (c) 1000 nexts --------------------------------------------------------------------------------

def nextloop(a, prog):
    args = ["loop", "1000000"]
    line = marker("loop_for")
    lines = {marker("loop_for"), marker("loop_body"), marker("loop_call")}
    ts_of = {"cdbg": [], "gdb": []}
    errs = {}
    for _ in range(a.runs):
        for tool in ("cdbg", "gdb"):  # interleaved
            ts = ts_of[tool]
            d = Cdbg(a.cdbg, prog, args) if tool == "cdbg" else Gdb(prog, args)
            try:
                if tool == "gdb":
                    d.cmd("start")
                d.cmd("tbreak step_bench.c:%d" % line)
                d.cmd("continue")
                total = 0.0
                bad = None
                for _ in range(NEXTS):
                    t, r = d.cmd("next")
                    total += t
                    if tool == "cdbg":
                        got = (r.get("frame") or {}).get("line")
                        if got not in lines:
                            bad = r.get("error") or "stopped at line %s" % got
                            break
                    elif not re.search(r"^(%s)\t" % "|".join(map(str, lines)), r, re.M):
                        bad = "stopped elsewhere: %s" % r.strip()[:200]
                        break
                if bad:
                    errs[tool] = bad
                else:
                    ts.append(total)
            finally:
                d.close()
    res = {tool: (med(ts_of[tool]), errs.get(tool)) for tool in ("cdbg", "gdb")}
    rows = []
    for tool in ("cdbg", "gdb"):
        t, e = res[tool]
        rows.append([tool, ms(t) if t else "n/a (%s)" % e, "%.3f" % (t * 1000 / NEXTS) if t else "n/a"])
    c, g = res["cdbg"][0], res["gdb"][0]
    print("(c) %d consecutive `next`s in a loop whose body calls tick() (median of %d); gdb/cdbg: %s" % (
        NEXTS, a.runs, "%.1f" % (g / c) if c and g else "n/a"))
    print(table(rows, ["debugger", "total ms", "ms per next"]))
    print("commands: %s, then `tbreak step_bench.c:%d`, `continue` and %d x `next` on its standard input" % (
        shlex.join([a.cdbg, "--json", "run", prog] + args), line, NEXTS))
    print("          gdb -nx -q --args %s, then `start`, the same commands, each followed by `echo @@DONE\\n`" % (
        shlex.join([prog] + args)))
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cdbg", default=os.path.join(SRCROOT, "build", "cdbg"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("which", nargs="*", default=["roundtrip", "nextover", "nextloop"])
    a = ap.parse_args()
    a.cdbg = os.path.abspath(a.cdbg)
    w = tempfile.mkdtemp(prefix="cdbg-bench-step.")
    prog = os.path.join(w, "step_bench")
    subprocess.run(["gcc", "-g", "-O0", "-Wall", "-Wextra", "-Werror", SRC, "-o", prog], check=True)
    print("cdbg: %s (%s)" % (a.cdbg, subprocess.run(["git", "-C", SRCROOT, "describe", "--always", "--dirty"],
                                                    capture_output=True, text=True).stdout.strip()))
    print("gdb: %s; program: gcc -g -O0 %s; %s\n" % (
        subprocess.run(["gdb", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
        os.path.relpath(SRC, SRCROOT), time.strftime("%Y-%m-%d")))
    for w_ in a.which:
        {"roundtrip": roundtrip, "nextover": nextover, "nextloop": nextloop}[w_](a, prog)
    subprocess.run(["rm", "-rf", w])


if __name__ == "__main__":
    main()
