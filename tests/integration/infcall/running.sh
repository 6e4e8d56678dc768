#!/bin/bash
# A called function runs (one ptrace stop at its return, not one per instruction): a loop of 30
# million iterations (hours single-stepped, well under a second run, even on a loaded machine)
# returns its exact value; a callee that creates and joins a thread returns what the thread
# computed; a thread of the program spinning all along stays stopped during the calls (the value
# it counts is the same before, inside and after them). Values against gdb 13; gcc -O0 and clang
# -O2 builds. The return int3 at the entry point: `x/bx _start` shows the program's byte after
# each call, the program itself finds its entry byte unchanged at its end, and the memory of a
# process cdbg attached to holds the int3 during a call and the original byte after the call is
# abandoned by ^C (cdbg still attached) and after cdbg is killed by SIGTERM during a call.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for values returned by function calls"

for comp in gcc clang; do
    exe=$(td_bin "infcall_running_$comp") || continue
    td_cdbg out run "$exe" --batch -ex 'break checkpoint' -ex continue -ex 'p g_ticks' \
        -ex 'call ticks_after(30000000)' -ex 'p g_ticks' -ex 'x/bx _start' -ex 'call long_loop(30000000)' \
        -ex 'x/bx _start' -ex 'call in_thread(6)' -ex 'x/bx _start' -ex continue
    expect_status 0 "calls that run ($comp)"
    for want in '^\$1 = [0-9]+$' '^\$2 = [0-9]+$' '^\$3 = [0-9]+$' '^\$4 = 449999985000000$' '^\$5 = 42$'; do
        expect_line "$want" "$out"
    done
    t1=$(sed -n 's/^\$1 = //p' "$out")
    [ -n "$t1" ] && [ "$t1" != 0 ] && [ "$(sed -n 's/^\$2 = //p' "$out")" = "$t1" ] &&
        [ "$(sed -n 's/^\$3 = //p' "$out")" = "$t1" ] &&
        pass "the spinning thread stayed stopped during the call ($comp)" ||
        fail "the spinning thread's count changed during the call ($comp): $(grep -E '^\$[123] = ' "$out" | tr '\n' ' ')"
    expect_line '^entry byte unchanged$' "$out"
    expect_line '^in_thread 21 loop 499500$' "$out"
    expect_line '^Process [0-9]+ exited with status 0$' "$out"
    timeout 120 gdb -nx -batch -ex 'break checkpoint' -ex run -ex 'x/bx _start' -ex 'p long_loop(30000000)' \
        -ex 'p in_thread(6)' -ex kill "$exe" >"$TD_TMP/gdb.$comp" 2>&1
    gx=$(grep -m1 '<_start>:' "$TD_TMP/gdb.$comp" | awk '{print $NF}')
    [ -n "$gx" ] || { fail "gdb printed no x/bx _start ($comp)"; td_show "$TD_TMP/gdb.$comp"; }
    [ "$(grep -c "<_start>:[[:space:]]*$gx\$" "$out")" = 3 ] && pass "x/bx _start is gdb's $gx after each call ($comp)" ||
        fail "x/bx _start after the calls is not gdb's $gx ($comp): $(grep '<_start>' "$out" | tr '\n' ' ')"
    for v in 449999985000000 42; do
        grep -q "^\\\$[0-9]* = $v\$" "$TD_TMP/gdb.$comp" && pass "gdb agrees: $v ($comp)" ||
            { fail "gdb does not print $v ($comp)"; td_show "$TD_TMP/gdb.$comp"; }
    done
done

# "MEM FILE": the byte at the entry point (auxv AT_ENTRY) in the process's memory, and in its file
cat >"$TD_TMP/entry.py" <<'PY'
import struct


def entry_bytes(pid):
    aux = open("/proc/%d/auxv" % pid, "rb").read()
    entry = [v for k, v in struct.iter_unpack("<QQ", aux) if k == 9][0]
    for line in open("/proc/%d/maps" % pid):
        f = line.split()
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        if lo <= entry < hi:
            off, path = int(f[2], 16) + entry - lo, f[5]
            break
    with open("/proc/%d/mem" % pid, "rb") as m:
        m.seek(entry)
        mb = m.read(1)[0]
    with open(path, "rb") as fh:
        fh.seek(off)
        fb = fh.read(1)[0]
    return mb, fb


if __name__ == "__main__":
    import sys
    print("%02x %02x" % entry_bytes(int(sys.argv[1])))
PY
entry_ok() { # PID WHAT
    local b
    b=$(python3 "$TD_TMP/entry.py" "$1")
    [ -n "$b" ] && [ "${b% *}" = "${b#* }" ] && pass "entry byte is the program's $2 ($b)" ||
        fail "entry byte $2: memory and file differ ($b)"
}
running() { [ "$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null)" = running ]; }
in_sleep() { case $(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null) in 35 | 230 | 219) return 0 ;; esac; return 1; }

# ^C at a terminal during a call: the int3 is in the program's memory while the call runs, and
# gone once it is abandoned, cdbg still attached; another call runs and leaves none either.
cat >"$TD_TMP/driver.py" <<'PY'
import os, re, sys, time
sys.path.insert(0, os.path.dirname(sys.argv[0]))
from entry import entry_bytes
from ptydrive import Pty

cdbg, pid = sys.argv[1], int(sys.argv[2])
t = Pty([cdbg, "attach", str(pid)], os.environ["TD_HOME"])
ok, fail = t.ok, t.fail


def running():
    try:
        return open("/proc/%d/syscall" % pid).read().split()[0] == "running"
    except OSError:
        return False


def entry(what, int3):
    mb, fb = entry_bytes(pid)
    good = mb == 0xCC if int3 else mb == fb
    (ok if good else fail)("%s: entry byte %02x in memory, %02x in the file" % (what, mb, fb))


t.prompt("attach: a prompt")
t.key(b"call long_loop(100000000000)\r")
end = time.time() + 60
while not running() and time.time() < end:
    t.read_some(0.02)
(ok if running() else fail)("the call runs")
entry("during the call: the return int3", True)
t.key(b"\x03")
t.expect(r"^(\^C)?cdbg: The program was interrupted while in a function called from cdbg; the call was abandoned and "
         r"the registers restored$", "^C abandons the call", 60, re.M)
t.prompt("after ^C: a prompt")
entry("after ^C, cdbg attached", False)
t.key(b"call long_loop(1000)\r")
t.expect(r"^\$1 = 499500$", "another call returns", 60, re.M)
t.prompt("after the call: a prompt")
entry("after a call that returned, cdbg attached", False)
t.key(b"quit\r")
t.wait_exit("quit: cdbg exits", status=None)
t.finish(4000)
PY

td_start infcall_running_gcc wait
pid=$TD_PID
home=$(mktemp -d "$TD_TMP/home.XXXXXX")
TD_HOME=$home td_pty_drive "ctrl-c" 200 "$TD_TMP/driver.py" "$CDBG" "$pid"
check_untraced "$pid"
td_wait_for "the program to sleep again after ^C" in_sleep "$pid" && pass "back in nanosleep after ^C"

# SIGTERM to cdbg during a call: the emergency cleanup takes the int3 out with the others
repl_start attach "$pid"
repl_wait '^Attached to process' "$R_OUT"
repl_send 'call long_loop(100000000000)'
td_wait_for "the call to run" running "$pid"
kill -TERM "$R_PID"
repl_wait '^cdbg: terminated by a signal; the target was released' "$R_OUT.err"
repl_end
check_untraced "$pid"
entry_ok "$pid" "after SIGTERM to cdbg during a call"
td_wait_for "the program to sleep again after SIGTERM" in_sleep "$pid" && pass "back in nanosleep after SIGTERM"
td_finish
