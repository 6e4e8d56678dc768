#!/bin/bash
# `delete` with no argument at a terminal asks "Delete all breakpoints? (y or n) " first, as gdb
# does (gdb itself is driven the same way on a pseudo-terminal, and must ask the same question):
# `n` deletes nothing, `y` deletes them all; no question when there is nothing to delete, nor
# where nobody can answer: --batch, commands piped in, a breakpoint's `on` commands.
. "$SRCROOT/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "python3 (for its pty module) is not installed"
need_tool gdb "the reference for delete's question"
exe=$(td_bin exec_O0)

# The driver: python3 DRIVER WHO ARGV... runs ARGV (cdbg or gdb) on a pty (ptydrive.py).
cat >"$TD_TMP/driver.py" <<'PY'
import re
from ptydrive import Repl

t = Repl()
who, ok, fail, wait_raw, prompt, line = t.who, t.ok, t.fail, t.wait_raw, t.prompt, t.line

def expect(pattern, what):
    return t.expect(pattern, what) or ""

QUESTION = r"Delete all breakpoints\? \(y or n\) $"
LISTED = r"^Breakpoint 1 \(tick\)" if who == "cdbg" else r"^1 +breakpoint "
NONE = r"^No breakpoints" if who == "cdbg" else r"^No breakpoints or watchpoints\."

prompt("the first prompt")
line("break tick", "break tick")
line("break fact", "break fact")
t.key(b"delete\r")
expect(QUESTION, "delete asks")
wait_raw()
out = line("n", "n: back to the prompt")
if re.search(r"Deleted", out):
    fail("n deleted something: %r" % out)
out = line("info breakpoints", "listed after n")
(ok if re.search(LISTED, out, re.M) and re.search(r"fact", out) else fail)("n: both breakpoints kept")
t.key(b"delete\r")
expect(QUESTION, "delete asks again")
wait_raw()
line("y", "y: back to the prompt")
out = line("info breakpoints", "listed after y")
(ok if re.search(NONE, out, re.M) else fail)("y: every breakpoint deleted")
out = line("delete", "delete with nothing to delete")
(fail if re.search(r"y or n", out) else ok)("no question when there is nothing to delete")
if who == "cdbg":
    # a breakpoint's commands run unattended: `on 4 delete` deletes all without a question
    line("break tick", "break tick again")
    line("break fact", "break fact again")
    line("on 4 delete", "on 4 delete")
    out = line("continue", "continue to the breakpoint")
    (fail if re.search(r"y or n", out) else ok)("no question from a breakpoint's commands")
    out = line("info breakpoints", "listed after the commands")
    (ok if re.search(NONE, out, re.M) else fail)("the commands deleted every breakpoint")
    line("kill", "kill")
    t.key(b"\x04")
else:
    t.key(b"quit\r")
t.wait_exit("%s exits" % who, 60, status=None)
t.finish()
PY

drive() {
    TD_HOME=$home td_pty_drive "$1" 200 "$TD_TMP/driver.py" "$@"
}

home=$(mktemp -d "$TD_TMP/home.XXXXXX")
drive gdb "$(command -v gdb)" -nx -q "$exe"
drive cdbg "$CDBG" run "$exe"

# nobody to answer: --batch, and commands piped in
td_cdbg out run "$exe" --batch -ex 'break tick' -ex 'break fact' -ex delete -ex breakpoints
expect_lines "$out" '^Deleted 2 breakpoints$' '^No breakpoints\.$'
expect_no_line 'y or n' "$out"
printf 'break tick\nbreak fact\ndelete\nbreakpoints\n' | timeout 120 "$CDBG" run "$exe" >"$TD_TMP/piped" 2>&1
expect_lines "$TD_TMP/piped" '^Deleted 2 breakpoints$' '^No breakpoints\.$'
expect_no_line 'y or n' "$TD_TMP/piped"
td_finish
