#!/bin/bash
# A call that stops before it returns is abandoned and every register put back (gdb's
# `set unwindonsignal on`, for a breakpoint too): a user breakpoint in the callee, a SIGSEGV in the
# callee (not delivered: the program does not die of it). At a terminal, as a user would type it:
# after each, `bt` and `p $rip`/`p $rsp` are what they were before the call, another call works,
# and `continue` runs the program to its normal end. gcc -O0 and clang -O2 builds.
. "$SRCROOT/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "python3 (for its pty module) is not installed"

cat >"$TD_TMP/driver.py" <<'PY'
import os, re, sys
from ptydrive import Pty

cdbg, args = sys.argv[1], sys.argv[2:]
t = Pty([cdbg] + args, os.environ["TD_HOME"])
ok, fail = t.ok, t.fail

def line(cmd, pattern, what):
    t.key(cmd.encode() + b"\r")
    r = t.expect(pattern, what, 60, re.S | re.M)
    m = t.match if r is not None else None
    t.prompt(what + ": a prompt")
    return m

def value(cmd, what):
    m = line(cmd, r"^\$\d+ = (.*?)\r?$", what)
    return m.group(1) if m else None

t.prompt("run: the first prompt")
line("break infcall.c:91", r"^Breakpoint 1 at ", "break 1")
line("break stop_in", r"^Breakpoint 2 at ", "break 2")
line("continue", r"^Breakpoint 1, hit 1 time", "stop in work")
rip, rsp, rax = value("p $rip", "rip before"), value("p $rsp", "rsp before"), value("p $rax", "rax before")
bt = line("bt", r"^#0 .*?\n(?=\(cdbg\))", "bt before")
bt = bt.group(0) if bt else None

def same(what):
    for reg, want in (("$rip", rip), ("$rsp", rsp), ("$rax", rax)):
        got = value("p " + reg, "%s after %s" % (reg, what))
        (ok if got == want else fail)("%s after %s: %r (before: %r)" % (reg, what, got, want))
    m = line("bt", r"^#0 .*?\n(?=\(cdbg\))", "bt after " + what)
    (ok if m and m.group(0) == bt else fail)("bt after %s is the one before: %r" % (what, m and m.group(0)))

line("call stop_in(2)",
     r"^cdbg: The program hit breakpoint 2 in stop_in, a function called from cdbg; the call was abandoned and "
     r"the registers restored\r?$", "breakpoint in the callee: abandoned")
same("the breakpoint")
line("breakpoints", r"^Breakpoint 2 \(stop_in\), hit 1 time", "the breakpoint counts the hit")
line("p deref(0)",
     r"^cdbg: The program received signal SIGSEGV \(Segmentation fault\) while in a function called from cdbg; "
     r"the call was abandoned and the registers restored\r?$", "SIGSEGV in the callee: abandoned")
same("the SIGSEGV")
line("p add(40, 2) + twice(0)", r"^\$\d+ = 42\r?$", "calls work after the abandoned ones")
line("delete 1 2", r"^Deleted 2 breakpoints", "delete")
t.key(b"continue\r")
t.expect(r"^work 6 counter 0\r?$", "continue: the program ends as it would have", 60, re.M)
t.expect(r"^Process \d+ exited with status 0\r?$", "continue: normal exit", 60, re.M)
if re.search(r"SIGSEGV.*\n.*(Program|program) (terminated|received)", t.text()):
    fail("the SIGSEGV of the callee reached the program")
t.prompt("exit: a prompt")
t.key(b"quit\r")
t.wait_exit("quit: cdbg exits", status=None)
t.finish(4000)
PY

for comp in gcc clang; do
    exe=$(td_bin "infcall_$comp") || continue
    home=$(mktemp -d "$TD_TMP/home.XXXXXX")
    TD_HOME=$home td_pty_drive "abandon_$comp" 200 "$TD_TMP/driver.py" "$CDBG" run "$exe"
done
td_finish
