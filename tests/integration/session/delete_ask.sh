#!/bin/bash
# `delete` with no argument at a terminal asks "Delete all breakpoints? (y or n) " first, as gdb
# does (gdb itself is driven the same way on a pseudo-terminal, and must ask the same question):
# `n` deletes nothing, `y` deletes them all; no question when there is nothing to delete, nor
# where nobody can answer: --batch, commands piped in, a breakpoint's `on` commands.
. "$SRCROOT/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "python3 (for its pty module) is not installed"
need_tool gdb "the reference for delete's question"
exe=$(td_bin exec_O0)

cat >"$TD_TMP/driver.py" <<'PY'
import os, pty, re, select, signal, sys, termios, time

who, args = sys.argv[1], sys.argv[2:]
env = dict(os.environ, HOME=os.environ["TD_HOME"], TERM="xterm")
child, fd = pty.fork()
if child == 0:
    os.execve(args[0], args, env)

transcript = b""
pending = ""
failed = False
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\x1b\[\?2004[hl]")

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

def expect(pattern, what, timeout=30):
    global pending
    end = time.time() + timeout
    while True:
        m = re.search(pattern, pending, re.S)
        if m:
            text, pending = pending[:m.end()], pending[m.end():]
            ok(what)
            return text
        if time.time() >= end or not read_some(min(0.1, max(0, end - time.time()))):
            if re.search(pattern, pending, re.S):
                continue
            fail("%s: no /%s/ in %r" % (what, pattern, pending[-400:]))
            return ""

def wait_raw(timeout=10):
    # the line editor prints the prompt a moment before it puts the terminal in raw mode
    end = time.time() + timeout
    while time.time() < end and termios.tcgetattr(fd)[3] & termios.ICANON:
        time.sleep(0.005)

PROMPT = r"\(cdbg\) $" if who == "cdbg" else r"\(gdb\) $"
QUESTION = r"Delete all breakpoints\? \(y or n\) $"
LISTED = r"^Breakpoint 1 \(tick\)" if who == "cdbg" else r"^1 +breakpoint "
NONE = r"^No breakpoints" if who == "cdbg" else r"^No breakpoints or watchpoints\."

def prompt(what):
    r = expect(PROMPT, what)
    wait_raw()
    return r

def line(s, what):
    os.write(fd, s.encode() + b"\r")
    return prompt(what)

prompt("the first prompt")
line("break tick", "break tick")
line("break fact", "break fact")
os.write(fd, b"delete\r")
expect(QUESTION, "delete asks")
wait_raw()
out = line("n", "n: back to the prompt")
if re.search(r"Deleted", out):
    fail("n deleted something: %r" % out)
out = line("info breakpoints", "listed after n")
(ok if re.search(LISTED, out, re.M) and re.search(r"fact", out) else fail)("n: both breakpoints kept")
os.write(fd, b"delete\r")
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
    os.write(fd, b"\x04")
else:
    os.write(fd, b"quit\r")
end = time.time() + 60
while time.time() < end:
    p, st = os.waitpid(child, os.WNOHANG)
    if p == child:
        break
    read_some(0.05)
else:
    fail("%s did not exit" % who)
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
if failed:
    sys.stdout.write("---- transcript ----\n" + transcript.decode("utf-8", "replace") + "\n----\n")
PY

drive() {
    local log line rc who=$1
    log=$(mktemp "$TD_TMP/drive.XXXXXX")
    TD_HOME=$home timeout -k 5 200 python3 "$TD_TMP/driver.py" "$@" >"$log" 2>&1
    rc=$?
    while IFS= read -r line; do
        case $line in
        "ok: "*) pass "$who: ${line#ok: }" ;;
        "FAIL: "*) fail "$who: ${line#FAIL: }" ;;
        esac
    done <"$log"
    grep -q '^FAIL: ' "$log" && sed -n '/^---- transcript/,$p' "$log" | head -n 80 >&2
    [ "$rc" -eq 0 ] || { fail "$who: driver exited with $rc"; head -n 40 "$log" >&2; }
    grep -q '^ok: ' "$log" || fail "$who: the driver checked nothing"
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
