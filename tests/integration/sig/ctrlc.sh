#!/bin/bash
# Ctrl-C at a terminal (a pseudo-terminal here) while a program started by `cdbg run` runs: cdbg
# reports an interrupt, the program is held, never handed the SIGINT; `continue` and it prints on
# (it would have died of a SIGINT: it has no handler); Ctrl-C again, `kill` ends it. Also at the
# prompt: a `handle` with a typo changes nothing (the REPL goes on after the error).
. "$SRCROOT/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "python3 (for its pty module) is not installed"
exe=$(td_bin sig_ticker)

# The driver: python3 DRIVER CDBG ARGS... runs `cdbg ARGS` on a pty (tests/integration/ptydrive.py).
cat >"$TD_TMP/driver.py" <<'PY'
import os, re, signal, sys, time
from ptydrive import Pty, proc_status as status

cdbg, args = sys.argv[1], sys.argv[2:]
t = Pty([cdbg] + args, os.environ["TD_HOME"])
ok, fail, key = t.ok, t.fail, t.key

def expect(pattern, what):
    return t.match if t.expect(pattern, what, 60, re.S | re.M) is not None else None

prompt = t.prompt

def held(pid, what):
    st = status(pid)
    if st and int(st["TracerPid"]) == t.child and st["State"][0] == "t":
        ok(what)
    else:
        fail("%s: process %d: %r" % (what, pid, st and (st["State"], st["TracerPid"])))

def last_tick():
    n = re.findall(r"^tick (\d+)\r?$", t.text(), re.M)
    return int(n[-1]) if n else None

prompt("run: the first prompt")
key(b"handle SIGUSR1 nostop SIGFOO\r")
expect(r"cdbg: handle: unknown signal 'SIGFOO'.*\n", "handle: the typo is reported")
prompt("handle: a new prompt after the error")
key(b"handle SIGUSR1\r")
expect(r"^SIGUSR1       Yes\tYes\tYes\t\tUser defined signal 1$", "handle: the typo changed nothing")
prompt("handle SIGUSR1")

key(b"continue\r")
m = expect(r"^pid (\d+)$", "the program runs and says its pid")
if not m:
    sys.exit(1)
pid = int(m.group(1))
m = expect(r"^tick (\d+)$", "it ticks")
expect(r"^tick %d$" % (int(m.group(1)) + 3), "it goes on ticking") if m else None
key(b"\x03")
# the terminal echoes the ^C before cdbg's line
expect(r"^(\^C)?Interrupted \(thread tid %d\)$" % pid, "^C: interrupted")
prompt("^C: a prompt")
held(pid, "^C: the program is held by cdbg")
if re.search(r"received signal SIGINT", t.text()):
    fail("^C was reported as a SIGINT of the program")
n = last_tick()
if n is None:
    fail("no tick before ^C")
    n = 0
key(b"continue\r")
expect(r"^tick %d$" % (n + 5), "continue: the program is alive and ticks on")
st = status(pid)
if st and st["State"][0] in "RS" and int(st["TracerPid"]) == t.child:
    ok("continue: running, traced")
else:
    fail("continue: process %d: %r" % (pid, st and (st["State"], st["TracerPid"])))
key(b"\x03")
expect(r"^(\^C)?Interrupted \(thread tid %d\)$" % pid, "^C again: interrupted")
prompt("^C again: a prompt")
held(pid, "^C again: held")
key(b"kill\r")
expect(r"^Killed process %d$" % pid, "kill")
prompt("kill: a prompt")
end = time.time() + 30
while status(pid) is not None and status(pid)["State"][0] != "Z" and time.time() < end:
    time.sleep(0.01)
(ok if status(pid) is None or status(pid)["State"][0] == "Z" else fail)("kill: the program is gone")
key(b"quit\r")
t.wait_exit("quit: cdbg exits 0")
t.finish(3000)
PY

home=$(mktemp -d "$TD_TMP/home.XXXXXX")
TD_HOME=$home td_pty_drive ctrlc 200 "$TD_TMP/driver.py" "$CDBG" run "$exe"
td_finish
