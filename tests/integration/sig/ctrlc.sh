#!/bin/bash
# Ctrl-C at a terminal (a pseudo-terminal here) while a program started by `cdbg run` runs: cdbg
# reports an interrupt, the program is held, never handed the SIGINT; `continue` and it prints on
# (it would have died of a SIGINT: it has no handler); Ctrl-C again, `kill` ends it. Also at the
# prompt: a `handle` with a typo changes nothing (the REPL goes on after the error).
. "$SRCROOT/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "python3 (for its pty module) is not installed"
exe=$(td_bin sig_ticker)

# The driver: python3 DRIVER CDBG ARGS... runs `cdbg ARGS` on a pty and prints "ok: ..." /
# "FAIL: ..." lines (the transcript after a failure). Every wait is for output or a process state,
# with a timeout, so a hang fails instead of hanging the test.
cat >"$TD_TMP/driver.py" <<'PY'
import os, pty, re, select, signal, sys, termios, time

cdbg, args = sys.argv[1], sys.argv[2:]
env = dict(os.environ, HOME=os.environ["TD_HOME"], TERM="xterm")
child, fd = pty.fork()
if child == 0:
    os.execve(cdbg, [cdbg] + args, env)

transcript = b""
pending = ""
failed = False
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]")

def ok(what):
    print("ok: " + what)

def fail(what):
    global failed
    failed = True
    print("FAIL: " + what)

def read_some(timeout):
    global transcript, pending
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return True
    try:
        d = os.read(fd, 65536)
    except OSError:
        return False
    if not d:
        return False
    transcript += d
    pending += ANSI.sub("", d.decode("utf-8", "replace")).replace("\r", "")
    return True

def expect(pattern, what, timeout=60):
    global pending
    end = time.time() + timeout
    while True:
        m = re.search(pattern, pending, re.S | re.M)
        if m:
            text, pending = pending[:m.end()], pending[m.end():]
            ok(what)
            return m
        if time.time() >= end or not read_some(min(0.1, max(0, end - time.time()))):
            if re.search(pattern, pending, re.S | re.M):
                continue
            fail("%s: no /%s/ in %r" % (what, pattern, pending[-400:]))
            return None

def wait_raw(timeout=10):
    # libedit prints the prompt a moment before it puts the terminal in raw mode
    end = time.time() + timeout
    while time.time() < end and termios.tcgetattr(fd)[3] & termios.ICANON:
        time.sleep(0.005)

def prompt(what):
    r = expect(r"\(cdbg\) $", what)
    wait_raw()
    return r

def key(k):
    os.write(fd, k)

def status(pid):
    try:
        s = open("/proc/%d/status" % pid).read()
    except OSError:
        return None
    return dict(re.findall(r"^(\w+):\s*(.*)$", s, re.M))

def held(pid, what):
    st = status(pid)
    if st and int(st["TracerPid"]) == child and st["State"][0] == "t":
        ok(what)
    else:
        fail("%s: process %d: %r" % (what, pid, st and (st["State"], st["TracerPid"])))

def last_tick():
    t = re.findall(r"^tick (\d+)\r?$", transcript.decode("utf-8", "replace"), re.M)
    return int(t[-1]) if t else None

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
if re.search(r"received signal SIGINT", transcript.decode("utf-8", "replace")):
    fail("^C was reported as a SIGINT of the program")
n = last_tick()
if n is None:
    fail("no tick before ^C")
    n = 0
key(b"continue\r")
expect(r"^tick %d$" % (n + 5), "continue: the program is alive and ticks on")
st = status(pid)
if st and st["State"][0] in "RS" and int(st["TracerPid"]) == child:
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
end = time.time() + 30
while time.time() < end:
    p, st = os.waitpid(child, os.WNOHANG)
    if p == child:
        (ok if os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0 else fail)("quit: cdbg exits 0 (%r)" % st)
        break
    read_some(0.05)
else:
    fail("quit: cdbg did not exit")
    os.kill(child, signal.SIGKILL)
if failed:
    sys.stdout.write("---- transcript ----\n" + transcript.decode("utf-8", "replace")[-3000:] + "\n----\n")
PY

home=$(mktemp -d "$TD_TMP/home.XXXXXX")
log=$(mktemp "$TD_TMP/drive.XXXXXX")
TD_HOME=$home timeout -k 5 200 python3 "$TD_TMP/driver.py" "$CDBG" run "$exe" >"$log" 2>&1
rc=$?
while IFS= read -r line; do
    case $line in
    "ok: "*) pass "${line#ok: }" ;;
    "FAIL: "*) fail "${line#FAIL: }" ;;
    esac
done <"$log"
grep -q '^FAIL: ' "$log" && sed -n '/^---- transcript/,$p' "$log" | head -n 80 >&2
[ "$rc" -eq 0 ] || { fail "driver exited with $rc"; head -n 40 "$log" >&2; }
grep -q '^ok: ' "$log" || fail "the driver checked nothing"
td_finish
