#!/bin/bash
# At a terminal (a pseudo-terminal here), Ctrl-D at the prompt with a program cdbg started asks
# before it kills it: `n` and Ctrl-C keep the session (the program still held), `y` and a second
# Ctrl-D leave and kill it, anything else asks again. No question once the program exited or was
# killed, nor for an attached process (it is detached, running). Ctrl-C at the prompt gives a new
# prompt with the program still held.
. "$SRCROOT/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "python3 (for its pty module) is not installed"
exe=$(td_bin session_O0)

# The driver: python3 DRIVER CDBG SCENARIO ARGS... runs `cdbg ARGS` on a pty
# (tests/integration/ptydrive.py) and plays SCENARIO.
cat >"$TD_TMP/driver.py" <<'EOF'
import os, re, sys
from ptydrive import Pty

cdbg, scenario, args = sys.argv[1], sys.argv[2], sys.argv[3:]
t = Pty([cdbg] + args, os.environ["TD_HOME"])
ok, fail, key, expect, wait_raw, prompt, wait_exit = t.ok, t.fail, t.key, t.expect, t.wait_raw, t.prompt, t.wait_exit
child = t.child

def program():
    """The program cdbg started: its only child."""
    kids = open("/proc/%d/task/%d/children" % (child, child)).read().split()
    return int(kids[0]) if len(kids) == 1 else None

def tracer(pid):
    try:
        return int(re.search(r"^TracerPid:\s*(\d+)", open("/proc/%d/status" % pid).read(), re.M).group(1))
    except (OSError, AttributeError):
        return None

def held(pid, what):
    if tracer(pid) == child:
        ok(what)
    else:
        fail("%s: process %s is not traced by cdbg (tracer %r)" % (what, pid, tracer(pid)))

def gone(pid, what):
    # cdbg reaps what it kills before it exits; a pid reused since is not cdbg's child
    try:
        st = open("/proc/%d/stat" % pid).read()
        alive = int(st.rsplit(")", 1)[1].split()[1]) == child
    except OSError:
        alive = False
    (fail if alive else ok)(what + ("" if not alive else ": process %d still there" % pid))

QUESTION = r"Kill the program \(process %d\) and quit\? \(y or n\) $"

if scenario == "ask":
    prompt("run: the first prompt")
    pid = program()
    if pid is None:
        fail("no program under cdbg")
        sys.exit(1)
    # ^C at the prompt: a new prompt, the program untouched
    key(b"frame")
    key(b"\x03")
    expect(r"\^C\n\(cdbg\) $", "^C at the prompt gives a new prompt")
    wait_raw()
    held(pid, "^C: the program is still held")
    key(b"\x04")
    expect(QUESTION % pid, "^D asks")
    wait_raw()  # libedit puts the terminal in raw mode after printing the question
    key(b"maybe\r")
    expect(r"maybe\nPlease answer y or n\.\n" + QUESTION % pid, "another answer asks again")
    wait_raw()  # libedit puts the terminal in raw mode after printing the question
    key(b"n\r")
    prompt("n: back to the prompt")
    held(pid, "n: the program is still held")
    key(b"info threads\r")
    out = prompt("a command after n")
    if out and re.search(r"^\* +1 +%d +session_O0 " % pid, out, re.M):
        ok("the session goes on")
    else:
        fail("info threads after n: %r" % out)
    key(b"\x04")
    expect(QUESTION % pid, "^D asks again")
    wait_raw()  # libedit puts the terminal in raw mode after printing the question
    key(b"\x03")
    expect(r"\^C\n\(cdbg\) $", "^C at the question: no")
    wait_raw()
    held(pid, "^C: the program is still held")
    key(b"\x04")
    expect(QUESTION % pid, "^D asks a third time")
    wait_raw()  # libedit puts the terminal in raw mode after printing the question
    key(b"y\r")
    wait_exit("y: cdbg leaves with status 0")
    gone(pid, "y: the program was killed")
elif scenario == "eof":
    prompt("run: the first prompt")
    pid = program()
    key(b"\x04")
    expect(QUESTION % pid, "^D asks")
    wait_raw()  # libedit puts the terminal in raw mode after printing the question
    key(b"\x04")
    expect(r"EOF \[answered Y; input not from terminal\]\n", "^D at the question: yes")
    wait_exit("cdbg leaves with status 0")
    gone(pid, "the program was killed")
elif scenario in ("exited", "killed"):
    prompt("run: the first prompt")
    pid = program()
    key(b"continue\r" if scenario == "exited" else b"kill\r")
    prompt("the program ended")
    key(b"\x04")
    wait_exit("^D leaves at once")
    gone(pid, "the program is gone")
elif scenario == "attached":
    prompt("attach: the first prompt")
    key(b"\x04")
    wait_exit("^D leaves at once")

if re.search(r"\(y or n\)", t.text()) and scenario not in ("ask", "eof"):
    fail("cdbg asked a question: %r" % t.text()[-300:])
t.finish()
EOF

# drive SCENARIO ARGS...: runs the driver; its ok/FAIL lines become checks.
drive() {
    TD_HOME=$home td_pty_drive "$1" 150 "$TD_TMP/driver.py" "$CDBG" "$@"
}

home=$(mktemp -d "$TD_TMP/home.XXXXXX")
drive ask run "$exe" args
drive eof run "$exe" args
drive exited run "$exe" args
drive killed run "$exe" args
td_start threads_O0
drive attached attach "$TD_PID"
check_untraced "$TD_PID"
td_finish
