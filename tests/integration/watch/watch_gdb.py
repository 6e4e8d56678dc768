#!/usr/bin/env python3
"""Watchpoints, checked against gdb (issue 11).

Each case is a command sequence run on testdata/watch's program from main (gdb: `start`; cdbg:
`cdbg --json run`). Every stop it makes is reduced to one line:
    "write:OLD>NEW func:LINE"   a watchpoint whose value changed (Old value / New value)
    "read:=VALUE func:LINE"     a read (or an access that left the value as it was): one Value
    "scope func:LINE"           a local's watchpoint deleted because its frame returned
    "break func:LINE"           a breakpoint
    "exited:STATUS"
with the kind (write, read, access) of the watchpoint, the values as gdb prints them (cdbg's JSON
values are turned into that text for integers and structs of integers; other values are not
compared: "?"), and where the program stopped. gdb's and cdbg's sequences must be equal, and
each equal to the sequence written by hand from the source (line markers /* @name */ in
testdata/watch/watch.c), so a wrong cdbg and a wrong parser of gdb's output both fail.

For the case on a global written by a second thread, cdbg's stops must also be in the writer
thread, whose tid the program prints.

Usage: watch_gdb.py [--opt O0|O2|all] [--case SUBSTR] [-v]
Environment: CDBG, TESTDATA, SRCROOT as for every integration test (tests/integration/lib.sh).
Exit status: 0 pass, 1 fail, 77 skip (gdb missing outside CI; CI=true makes it a failure).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

SRCROOT = os.environ.get("SRCROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../../.."))
CDBG = os.environ.get("CDBG") or os.path.join(SRCROOT, "build", "cdbg")
TESTDATA = os.environ.get("TESTDATA") or os.path.join(SRCROOT, "build", "testdata")
TIMEOUT = int(os.environ.get("TD_CDBG_TIMEOUT", "120"))
SRC = os.path.join(SRCROOT, "testdata", "watch", "watch.c")


def markers():
    m = {}
    for n, line in enumerate(open(SRC), 1):
        for name in re.findall(r"@([a-z_0-9]+)", line):
            if "/*" in line:
                m.setdefault(name, n)
    return m


MARK = markers()


def subst(s):
    return re.sub(r"\{@([a-z_0-9]+)\}", lambda mo: str(MARK[mo.group(1)]), s)


class Case:
    """cmds: after the stop at main. A command is a string for both tools, or a pair (cdbg's, gdb's)
    for the forms only cdbg has (watch -r). expect: {"O0": [...], "O2": [...]} or {"both": [...]};
    "@name" in a line is the marker's line number."""

    def __init__(self, name, cmds, expect, writer_tid=False):
        self.name, self.cmds, self.expect, self.writer_tid = name, cmds, expect, writer_tid


C = "continue"
CASES = [
    # a global written by the second thread: 0>1>2>3, the store of 3 again is not reported, 3>10.
    # The trap comes after the store: at -O0 the loop's i++ (on the for line) is next.
    Case("thread_global", ["watch counter"] + [C] * 5, {
        "O0": ["write:0>1 writer:@writer-1", "write:1>2 writer:@writer-1", "write:2>3 writer:@writer-1",
               "write:3>10 writer:@last+1", "exited:0"],
        "O2": ["write:0>1 writer:@writer", "write:1>2 writer:@writer", "write:2>3 writer:@same",
               "write:3>10 writer:@last+1", "exited:0"]}, writer_tid=True),
    # a member, and a whole struct (16 bytes: two debug registers); at -O2 gcc drops the first
    # store to pt.y (pt.y = 4 follows) and merges x and y into one store after z's
    Case("member", ["watch pt.y"] + [C] * 3, {
        "O0": ["write:0>2 touch_point:@pt_z", "write:2>4 touch_point:@pt_y2+1", "exited:0"],
        "O2": ["write:0>4 touch_point:@pt_y2+1", "exited:0"]}),
    Case("struct", ["watch pt"] + [C] * 5, {
        "O0": ["write:{x = 0, y = 0, z = 0}>{x = 1, y = 0, z = 0} touch_point:@pt_y",
               "write:{x = 1, y = 0, z = 0}>{x = 1, y = 2, z = 0} touch_point:@pt_z",
               "write:{x = 1, y = 2, z = 0}>{x = 1, y = 2, z = 3} touch_point:@pt_y2",
               "write:{x = 1, y = 2, z = 3}>{x = 1, y = 4, z = 3} touch_point:@pt_y2+1", "exited:0"],
        "O2": ["write:{x = 0, y = 0, z = 0}>{x = 0, y = 0, z = 3} touch_point:@pt_y2",
               "write:{x = 0, y = 0, z = 3}>{x = 1, y = 4, z = 3} touch_point:@pt_y2+1", "exited:0"]}),
    # 16 bytes at 4 mod 8 (three debug registers): the stores into it, not the ones beside it
    # (values: char arrays, which gdb and cdbg print differently; unaligned.sh checks cdbg's)
    Case("unaligned", ["watch blob.data"] + [C] * 4, {
        "O0": ["write:?>? fill_blob:@data15", "write:?>? fill_blob:@data8", "write:?>? fill_blob:@tail", "exited:0"],
        "O2": ["write:?>? fill_blob:@data8", "write:?>? fill_blob:@tail", "write:?>? fill_blob:@tail+1",
               "exited:0"]}),
    # reads: x86 watches reads and writes; a read is an access that leaves the value as it was
    Case("rwatch", ["break reader", C, ("watch -r shared", "rwatch shared")] + [C] * 3, {
        "O0": ["break reader:@read1", "read:=7 reader:@read1", "read:=8 reader:@read2", "exited:0"],
        "O2": ["break reader:@read1", "read:=7 reader:@write", "read:=8 reader:@read2+1", "exited:0"]}),
    Case("awatch", ["break reader", C, ("watch -rw shared", "awatch shared")] + [C] * 4, {
        "O0": ["break reader:@read1", "access:=7 reader:@read1", "access:7>8 reader:@read2",
               "access:=8 reader:@read2", "exited:0"],
        "O2": ["break reader:@read1", "access:=7 reader:@write", "access:7>8 reader:@read2",
               "access:=8 reader:@read2+1", "exited:0"]}),
    # a local, written through a pointer by a callee, deleted when its frame returns: by a
    # continue, a next off the end of the function, a finish
    Case("scope_continue", ["tbreak bump", C, "up", "watch local"] + [C] * 5, {
        "O0": ["break bump:@bump", "write:0>5 bump:@bump+1", "write:5>10 bump:@bump+1", "write:10>15 bump:@bump+1",
               "scope main:@call_scoped", "exited:0"],
        "O2": ["break bump:@bump", "write:0>5 bump:@bump+1", "write:5>10 bump:@bump+1", "write:10>15 bump:@bump+1",
               "scope main:@call_scoped+1", "exited:0"]}),
    Case("scope_next", ["break watch.c:{@scoped_ret}", C, "watch local", "next", "next", C], {
        "O0": ["break scoped:@scoped_ret", "step :@scoped_ret+1", "scope main:@call_scoped", "exited:0"]}),
    # recursion: the deeper call rec(0) returns to the address where the watched rec(1)'s frame
    # returns to rec(2): only the latter deletes the watchpoint
    Case("scope_recursion", ["break rec if n == 1", C, "watch mine", "delete 1"] + [C] * 4, {"both": [
        "break rec:@rec_add-2", "write:0>10 rec:@rec_add-1", "write:10>11 rec:@rec_ret", "scope rec:@rec_add",
        "exited:0"]}),
    Case("scope_finish", ["break watch.c:{@scoped_ret}", C, "watch local", "finish", C], {
        "O0": ["break scoped:@scoped_ret", "scope main:@call_scoped", "exited:0"]}),
]


def norm_line(func, line):
    return "%s:%s" % (func, line)


def expected(case, opt):
    e = case.expect.get(opt, case.expect.get("both"))
    if e is None:
        return None
    out = []
    for s in e:
        def rep(mo):
            return str(MARK[mo.group(1)] + int(mo.group(2) or 0))
        out.append(re.sub(r"@([a-z_0-9]+)([+-]\d+)?", rep, s))
    return out


# ---- gdb ----

HIT = re.compile(r'^(?:Thread \d+ "[^"]*" hit )?Hardware (read |access \(read/write\) )?watchpoint \d+: ')
FRAME = re.compile(r"^(?:0x[0-9a-f]+ in )?([A-Za-z_]\w*) \(.*\) at \S+:(\d+)$")
BREAK = re.compile(r'^(?:Thread \d+ "[^"]*" hit )?(Temporary )?[Bb]reakpoint \d+, (?:0x[0-9a-f]+ in )?([A-Za-z_]\w*) \(.*\) at \S+:(\d+)$')


def simple(v):
    """gdb's text of an integer or a struct of integers, else None: other values (char arrays:
    gdb's `<repeats N times>`) are not compared."""
    if v is not None and (re.match(r"^-?\d+$", v) or re.match(r"^\{\w+ = -?\d+(, \w+ = -?\d+)*\}$", v)):
        return v
    return None


def run_gdb(exe, cmds):
    args = ["gdb", "-nx", "-batch", "-ex", "set pagination off", "-ex", "set width 0", "-ex", "set confirm off",
            "-ex", "set debuginfod enabled off", "-ex", "start"]
    for c in cmds:
        args += ["-ex", subst(c[1] if isinstance(c, tuple) else c)]
    p = subprocess.run(args + [exe], capture_output=True, text=True, timeout=TIMEOUT)
    lines = p.stdout.splitlines()
    seq = []
    started = False
    i = 0
    pending = None  # a stop whose frame line is still to come
    after_frame = False  # the source line after a frame line is not a stop of its own
    while i < len(lines):
        l = lines[i]
        i += 1
        if not started:
            started = l.startswith("Temporary breakpoint 1, main")
            after_frame = True
            continue
        was_after_frame, after_frame = after_frame, False
        m = HIT.match(l)
        if m and i + 1 < len(lines) and lines[i] == "" and re.match(r"^(Old )?[Vv]alue = ", lines[i + 1]):
            kind = {"read ": "read", "access (read/write) ": "access"}.get(m.group(1) or "", "write")
            old = new = val = None
            while i < len(lines) and not FRAME.match(lines[i]):
                mo = re.match(r"^Old value = (.*)$", lines[i])
                mn = re.match(r"^New value = (.*)$", lines[i])
                mv = re.match(r"^Value = (.*)$", lines[i])
                old = mo.group(1) if mo else old
                new = mn.group(1) if mn else new
                val = mv.group(1) if mv else val
                i += 1
            old, new, val = simple(old), simple(new), simple(val)
            pending = "%s:%s>%s" % (kind, old, new) if val is None else "%s:=%s" % (kind, val)
            continue
        if l.startswith("Watchpoint ") and "deleted because the program has left the block" in l:
            pending = "scope"
            continue
        if re.match(r"^#\d+ ", l):  # `up`'s frame
            after_frame = True
            continue
        mb = BREAK.match(l)
        if mb:
            seq.append("break " + norm_line(mb.group(2), mb.group(3)))
            after_frame = True
            continue
        mf = FRAME.match(l)
        if mf and pending:
            seq.append(pending + " " + norm_line(mf.group(1), mf.group(2)))
            pending = None
            after_frame = True
            continue
        me = re.match(r"^\[Inferior 1 \(process \d+\) exited (normally|with code (\d+))\]$", l)
        if me:
            seq.append("exited:%d" % (int(me.group(2), 8) if me.group(2) else 0))
            continue
        # a `next` that ends on a line of the same function prints only "LINE\tTEXT"
        ms = re.match(r"^(\d+)\t", l)
        if ms and not was_after_frame:
            seq.append("step :" + ms.group(1))
    return seq, p.stdout + p.stderr


# ---- cdbg ----

def gdb_text(v):
    """A JSON value as gdb prints it (integers and structs of integers), or None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dict) and v and all(isinstance(x, int) and not isinstance(x, bool) for x in v.values()):
        return "{" + ", ".join("%s = %d" % kv for kv in v.items()) + "}"
    return None


def run_cdbg(exe, cmds):
    args = [CDBG, "--json", "run", exe, "--batch"]
    for c in cmds:
        args += ["-ex", subst(c[0] if isinstance(c, tuple) else c)]
    p = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT)
    seq, tids, writer = [], [], None
    for l in p.stdout.splitlines():
        mw = re.match(r"^writer tid (\d+)$", l)
        if mw:
            writer = int(mw.group(1))
        if not l.startswith("{"):
            continue
        j = json.loads(l)
        ev = j.get("event")
        f = j.get("frame") or {}
        where = norm_line(f.get("function"), f.get("line"))
        if ev == "exited":
            seq.append("exited:%d" % j["status"])
        elif ev == "breakpoint":
            seq.append("break " + where)
        elif ev == "step":
            seq.append("step :%s" % f.get("line"))
        elif ev in ("watchpoint", "returned") and j.get("watchpoints"):
            for w in j["watchpoints"]:
                if w.get("left_scope"):
                    seq.append("scope " + where)
                elif "value" in w:
                    seq.append("%s:=%s %s" % (w["kind"], gdb_text(w["value"]), where))
                else:
                    seq.append("%s:%s>%s %s" % (w["kind"], gdb_text(w["old"]), gdb_text(w["new"]), where))
                if ev == "watchpoint":
                    tids.append(j["tid"])
    return seq, tids, writer, p.stdout + p.stderr


def unknown(seq):
    """Values not compared as text become '?' (char arrays print differently)."""
    return [re.sub(r"None", "?", s) for s in seq]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--opt", default="all")
    ap.add_argument("--case", default="")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    if not shutil.which("gdb"):
        if os.environ.get("CI") == "true":
            print("FAIL: gdb is not installed (CI=true: CI has every tool the suite needs)")
            sys.exit(1)
        print("SKIP: gdb is not installed; it is the reference for watchpoints")
        sys.exit(77)
    opts = ["O0", "O2"] if a.opt == "all" else [a.opt]
    fails = checks = 0

    def fail(msg):
        nonlocal fails, checks
        fails += 1
        checks += 1
        print("FAIL: " + msg)

    for opt in opts:
        exe = os.path.join(TESTDATA, "watch", "watch_" + opt)
        for case in CASES:
            if a.case not in case.name:
                continue
            exp = expected(case, opt)
            if exp is None:
                continue
            name = "%s (%s)" % (case.name, opt)
            gseq, gout = run_gdb(exe, case.cmds)
            cseq, tids, writer, cout = run_cdbg(exe, case.cmds)
            gseq = unknown(gseq)
            cseq = unknown(cseq)
            if a.v:
                print("%s\n  expected %s\n  gdb      %s\n  cdbg     %s" % (name, exp, gseq, cseq))
            checks += 3
            if gseq != exp:
                fail("%s: gdb's stops differ from the hand-written ones:\n  expected %s\n  gdb      %s\n%s"
                     % (name, exp, gseq, gout[-3000:]))
            if cseq != exp:
                fail("%s: cdbg's stops differ from the hand-written ones:\n  expected %s\n  cdbg     %s\n%s"
                     % (name, exp, cseq, cout[-3000:]))
            if cseq != gseq:
                fail("%s: cdbg and gdb differ:\n  gdb  %s\n  cdbg %s" % (name, gseq, cseq))
            if case.writer_tid:
                checks += 1
                if writer is None or not tids or any(t != writer for t in tids):
                    fail("%s: every hit must be reported in the writer thread (tid %s, as the program says): %s"
                         % (name, writer, tids))
    print("watch_gdb: %d checks, %d failed" % (checks, fails))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
