#!/bin/bash
# `break lib_add` at a terminal before testdata/bp/dlmain has dlopen()ed the library that has it:
# gdb asks "Make breakpoint pending on future shared library load? (y or [n]) " and so does cdbg
# (gdb itself is driven the same way on a pseudo-terminal and must ask the same question). `n` and
# an empty answer set nothing; `y` keeps it pending, and `continue` stops in lib_add after the
# dlopen. Nobody to answer (--batch, a pipe): no question, the location is an error (pending.sh).
. "$SRCROOT/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "python3 (for its pty module) is not installed"
need_tool gdb "the reference for the pending breakpoint's question"
exe=$(td_bin dlmain)

cat >"$TD_TMP/driver.py" <<'PY'
import re
from ptydrive import Repl

t = Repl()
who, ok, fail, wait_raw, prompt, line = t.who, t.ok, t.fail, t.wait_raw, t.prompt, t.line
QUESTION = r"Make breakpoint pending on future shared library load\? \(y or \[n\]\) $"
NONE = r"^No breakpoints" if who == "cdbg" else r"^No breakpoints or watchpoints\."

if who == "gdb":
    prompt("the first prompt")
    line("break main", "break main")
    line("run", "run to main")
else:
    prompt("the first prompt (at main)")
t.key(b"break lib_add\r")
t.expect(QUESTION, "break lib_add asks")
wait_raw()
line("n", "n: back to the prompt")
out = line("info breakpoints", "listed after n")
(ok if not re.search(r"lib_add", out) else fail)("n: no lib_add breakpoint")
t.key(b"break lib_add\r")
t.expect(QUESTION, "asks again")
wait_raw()
line("", "an empty answer: back to the prompt")
out = line("info breakpoints", "listed after an empty answer")
(ok if not re.search(r"lib_add", out) else fail)("an empty answer is no")
t.key(b"break lib_add\r")
t.expect(QUESTION, "asks a third time")
wait_raw()
out = line("y", "y: back to the prompt")
(ok if re.search(r"lib_add", out) and re.search(r"[Pp]ending", out) else fail)("y: set pending: %r" % out[-200:])
out = line("continue", "continue to lib_add")
(ok if re.search(r"lib_add \(a=20, b=22\)|lib_add at bplib\.c", out) else fail)("stopped in lib_add after the dlopen")
t.key(b"kill\r")
if who == "gdb":
    t.expect(r"\(y or n\) $", "kill asks")
    wait_raw()
    line("y", "killed")
    t.key(b"quit\r")
else:
    prompt("killed")
    t.key(b"\x04")
t.wait_exit("%s exits" % who, 60, status=None)
t.finish()
PY

home=$(mktemp -d "$TD_TMP/home.XXXXXX")
TD_HOME=$home td_pty_drive gdb 200 "$TD_TMP/driver.py" gdb "$(command -v gdb)" -nx -q "$exe"
TD_HOME=$home td_pty_drive cdbg 200 "$TD_TMP/driver.py" cdbg "$CDBG" run "$exe"
td_finish
