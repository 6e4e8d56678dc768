#!/bin/bash
# The interactive REPL (libedit), driven through a pseudo-terminal: the prompt, repeat-on-Enter
# for repeatable commands only, tab completion of command names, ~/.cdbg_history, ^C at the prompt,
# ^D and quit leaving the target untraced, and a target that dies while cdbg holds it.
. "$SRCROOT/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "python3 (for its pty module) is not installed"

# The driver: python3 DRIVER CDBG HOME SCENARIO PID runs `cdbg attach PID` on a pty with HOME set
# (tests/integration/ptydrive.py) and plays SCENARIO.
cat >"$TD_TMP/pty_driver.py" <<'EOF'
import os, re, signal, sys, time
from ptydrive import Pty

cdbg, home, scenario, pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
t = Pty([cdbg, "attach", str(pid)], home)
ok, fail, fd, wait_raw = t.ok, t.fail, t.fd, t.wait_raw

def expect(pattern, what, timeout=20):
    return t.expect(pattern, what, timeout)

def command(keys, what, timeout=20):
    """Types keys and returns the output up to the next prompt."""
    os.write(fd, keys)
    return expect(r"\n\(cdbg\) ", what, timeout) or ""

def wait_exit(what, timeout=20):
    t.wait_exit(what, timeout)

def has(text, pattern, what):
    if text is not None and re.search(pattern, text, re.M):
        ok(what)
    else:
        fail("%s: no /%s/ in %r" % (what, pattern, text))

def lacks(text, pattern, what):
    if text is not None and not re.search(pattern, text, re.M):
        ok(what)
    else:
        fail("%s: unexpected /%s/ in %r" % (what, pattern, text))

# the banner, then where the selected thread is (session/attach.sh checks that line against gdb)
expect(r"^Attached to process %d \(threads_O0\), 7 threads\. Type `help` for commands\.\n#0 +[^\n]* in [^\n]+\n"
       r"(=> [^\n]*\n|[0-9]+\t[^\n]*: No such file or directory\.\n)?\(cdbg\) $" % pid,
       "banner, where, and prompt")

if scenario == "main":
    out = command(b"bt\r", "bt")
    has(out, r"^#[0-9]+ +0x[0-9a-f]{16} in main at threads\.c:201$", "bt shows main")
    # Enter repeats a repeatable command (bt)...
    out = command(b"\r", "empty line after bt")
    has(out, r"^#[0-9]+ +0x[0-9a-f]{16} in main at threads\.c:201$", "empty line repeats bt")
    out = command(b"threads\r", "threads")
    has(out, r"^ +7 +[0-9]+ +sig-handler ", "threads lists sig-handler")
    # ...but not one whose repetition makes no sense (threads)
    out = command(b"\r", "empty line after threads")
    lacks(out, r"sig-handler", "empty line does not repeat threads")
    # Tab completes a unique prefix to the full name and a space.
    os.write(fd, b"reg\t")
    expect(r"s $", "tab completes reg")
    out = command(b"\r", "completed regs")
    has(out, r"^rip +0x[0-9a-f]+ ", "regs ran after completion")
    # An ambiguous prefix lists the candidates and keeps the line.
    os.write(fd, b"thr\t")
    text = expect(r"\(cdbg\) thr$", "tab on an ambiguous prefix")
    has(text, r"threads", "candidates include threads")
    has(text, r"thread(?!s)", "candidates include thread")
    out = command(b"eads\r", "finish the ambiguous line")
    has(out, r"^ +2 +[0-9]+ +mutex-waiter ", "threads after completion")
    # ^C at the prompt abandons the line, never exits.
    os.write(fd, b"frame 3")
    os.write(fd, b"\x03")
    expect(r"\^C\n\(cdbg\) $", "^C gives a new prompt")
    out = command(b"bt 1\r", "bt after ^C")
    has(out, r"^#0 ", "cdbg still works after ^C")
    lacks(out, r"frame 3|^#3", "the abandoned line was not run")
    # ^D on an empty line leaves (and detaches).
    wait_raw()
    os.write(fd, b"\x04")
    wait_exit("^D exits with status 0")
elif scenario == "history":
    # ^P recalls the previous session's last command from ~/.cdbg_history.
    out = command(b"\x10\r", "^P + Enter")
    has(out, r"^#0 ", "the recalled command (bt 1) ran")
    os.write(fd, b"quit\r")
    wait_exit("quit exits with status 0")
elif scenario == "dies":
    command(b"bt\r", "bt before the kill")
    os.kill(pid, signal.SIGKILL)
    # every thread dead (zombies until cdbg reaps them)
    end = time.time() + 10
    while time.time() < end:
        try:
            states = [open("/proc/%d/task/%s/status" % (pid, t)).read() for t in os.listdir("/proc/%d/task" % pid)]
        except OSError:
            break
        if all(re.search(r"^State:\s*[ZX]", s, re.M) for s in states):
            break
        time.sleep(0.02)
    msg = r"^cdbg: process %d was killed by signal 9 \(Killed\): nothing is left to inspect; `quit`.*$" % pid
    for cmd in (b"bt", b"threads", b"regs"):
        out = command(cmd + b"\r", "%s after the kill" % cmd.decode())
        has(out, msg, "%s: process killed" % cmd.decode())
        # what cdbg printed, minus the echo of the command line and the prompts
        lines = [l for l in (re.sub(r"^(\(cdbg\) )+", "", l).strip() for l in out.split("\n"))
                 if l and l != cmd.decode() and l != "(cdbg)"]
        if len(lines) == 1:
            ok("%s: one line" % cmd.decode())
        else:
            fail("%s after the kill: expected one line, got %r" % (cmd.decode(), lines))
    os.write(fd, b"quit\r")
    wait_exit("quit after the target died")

t.finish()
EOF

# drive SCENARIO PID: runs the driver; its ok/FAIL lines become checks.
drive() {
    td_pty_drive "$1" 120 "$TD_TMP/pty_driver.py" "$CDBG" "$home" "$1" "$2"
}

home=$(mktemp -d "$TD_TMP/home.XXXXXX")
td_start threads_O0
drive main "$TD_PID"
check_untraced "$TD_PID"
hist="$home/.cdbg_history"
if [ -f "$hist" ]; then
    pass "history file written"
    # libedit's format: a header line, then one command per line, encoded with strvis(3) (a
    # space is \040); "regs " from tab completion is stored without its trailing space
    for c in bt threads regs 'bt\0401'; do
        grep -Fxq -- "$c" "$hist" && pass "history has '$c'" || { fail "history lacks '$c'"; cat "$hist" >&2; }
    done
else
    fail "no $hist"
fi
drive history "$TD_PID"
check_untraced "$TD_PID"
td_stop "$TD_PID"

td_start threads_O0
drive dies "$TD_PID"
td_stop "$TD_PID"
td_finish
