"""cdbg dap: attach to a running program, a function breakpoint hit, disconnect: the program runs
on, untraced (TracerPid 0), the breakpoint's byte back to the executable's; an attached program's
output goes on after the disconnect; terminateDebuggee kills an attached program when asked."""
import os
import subprocess
from dapclient import *

PROG = os.path.join(TESTDATA, "safety", "hot_O0")


def status_field(pid, name):
    with open("/proc/%d/status" % pid) as f:
        for l in f:
            if l.startswith(name + ":"):
                return l.split()[1]
    return None


def byte_at(pid, addr):
    """The byte in the process and the executable's byte for the same address (from /proc/PID/maps)."""
    with open("/proc/%d/mem" % pid, "rb") as f:
        f.seek(addr)
        live = f.read(1)[0]
    with open("/proc/%d/maps" % pid) as f:
        for l in f:
            p = l.split()
            lo, hi = (int(x, 16) for x in p[0].split("-"))
            if lo <= addr < hi and len(p) >= 6:
                with open(p[5], "rb") as e:
                    e.seek(addr - lo + int(p[2], 16))
                    return live, e.read(1)[0]
    raise Fail("0x%x is in no mapping of a file" % addr)


def utime(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[11])


def attach(pid):
    c = Client()
    c.request("initialize", clientID="test", adapterID="cdbg")
    c.request("attach", processId=pid)
    c.event("initialized")
    return c


def main():
    p = subprocess.Popen([PROG, "2"], stdout=subprocess.PIPE, text=True)
    try:
        check(p.stdout.readline() == "ready\n", "hot did not say ready")
        c = attach(p.pid)
        check(status_field(p.pid, "TracerPid") != "0", "attached but not traced")
        bp = c.request("setFunctionBreakpoints", breakpoints=[{"name": "tick"}])["body"]["breakpoints"]
        check(bp[0]["verified"], "tick: %r" % bp)
        c.request("configurationDone")
        st = stopped(c, "breakpoint")
        f0 = frames(c, st["threadId"])["stackFrames"][0]
        check(f0["name"] == "tick", "stopped in %r" % f0)
        addr = int(f0["instructionPointerReference"], 16)
        live, orig = byte_at(p.pid, addr)
        check(live == 0xcc and orig != 0xcc, "no int3 at the stop's breakpoint (0x%x: %02x, file %02x)" % (addr, live, orig))
        c.request("disconnect")
        rc, err = c.close()
        check(rc == 0, "cdbg dap exited %d: %s" % (rc, err))
        check(p.poll() is None, "the attached program died at the disconnect")
        check(status_field(p.pid, "TracerPid") == "0", "still traced after the disconnect")
        live, orig = byte_at(p.pid, addr)
        check(live == orig, "the breakpoint's byte is %02x, the executable's %02x" % (live, orig))
        # it runs: its workers' CPU time grows (waited for, never timed)
        u0 = utime(p.pid)
        while utime(p.pid) == u0:
            os.sched_yield()
            check(p.poll() is None, "the program died")
        for t in os.listdir("/proc/%d/task" % p.pid):
            with open("/proc/%d/task/%s/stat" % (p.pid, t)) as f:
                check(f.read().rsplit(")", 1)[1].split()[0] != "t", "thread %s left stopped" % t)
    finally:
        p.kill()
        p.wait()

    # output goes on after a disconnect; terminateDebuggee: true kills an attached program
    p = subprocess.Popen(["/bin/sh", "-c", 'echo start; i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.01; done'],
                         stdout=subprocess.PIPE, text=True)
    try:
        check(p.stdout.readline() == "start\n", "sh did not start")
        c = attach(p.pid)
        c.request("configurationDone")
        c.request("pause", threadId=p.pid)
        stopped(c, "pause")
        c.request("disconnect", terminateDebuggee=False)
        check(c.close()[0] == 0, "cdbg dap failed")
        seen = set()
        while len(seen) < 3:  # new lines after the disconnect
            line = p.stdout.readline()
            check(line, "the program's output stopped after the disconnect")
            seen.add(line)
        check(status_field(p.pid, "TracerPid") == "0", "sh still traced")
        # a disconnect while the program runs interrupts it first, then lets it go
        c = attach(p.pid)
        c.request("configurationDone")
        c.request("disconnect")
        check(c.close()[0] == 0, "cdbg dap failed")
        seen = set()
        while len(seen) < 3:
            line = p.stdout.readline()
            check(line, "the program's output stopped after a disconnect while it ran")
            seen.add(line)
        check(status_field(p.pid, "TracerPid") == "0", "sh still traced after a disconnect while it ran")
        c = attach(p.pid)
        c.request("disconnect", terminateDebuggee=True)
        c.close()
        check(p.wait(timeout=HANG) != 0, "terminateDebuggee left the program running")
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()


run(main)
