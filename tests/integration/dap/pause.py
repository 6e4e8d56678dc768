"""cdbg dap: pause while the program runs (spinning threads: the server reads requests while the
program runs), continue and pause again, terminate; launch's args, env and cwd reach the program."""
import os
import re
import tempfile
from dapclient import *

PROG = os.path.join(TESTDATA, "exec", "session_O0")


def wait_output(c, text):
    c.next_msg(lambda m: m.get("event") == "output" and text in m["body"]["output"], "output %r" % text)


def main():
    c = start(PROG, ["spin"])
    c.request("configurationDone")
    wait_output(c, "ready")
    # while it runs, `threads` is answered (a client asks before it offers a pause): every thread
    # started since the stop at main, from the thread events
    th = c.request("threads")["body"]["threads"]
    live = sorted(int(t) for t in os.listdir("/proc/%d/task" % c.pid))
    check(sorted(t["id"] for t in th) == live, "threads while running %r, the process has %r" % (th, live))
    check(not any(m.get("event") == "stopped" for m in c.pending), "stopped before the pause")
    for round_ in range(2):
        c.request("pause", threadId=0)
        st = stopped(c, "pause")
        check(st["allThreadsStopped"], "pause: %r" % st)
        th = c.request("threads")["body"]["threads"]
        check(len(th) >= 3, "threads of a stopped spin: %r" % th)
        fr = frames(c, st["threadId"])
        check(fr["totalFrames"] > 0 and fr["stackFrames"][0]["name"] != "??", "stack at the pause: %r" % fr)
        # every thread is really stopped: t (tracing stop) in /proc
        for t in th:
            with open("/proc/%d/task/%d/stat" % (c.pid, t["id"])) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            check(state == "t", "thread %d is %r while the program is paused" % (t["id"], state))
        if round_ == 0:
            c.request("continue", threadId=st["threadId"])
    c.request("terminate")
    c.event("terminated")
    c.request("disconnect")
    rc, err = c.close()
    check(rc == 0, "cdbg dap exited %d: %s" % (rc, err))
    check(not os.path.exists("/proc/%d" % c.pid), "the program outlived terminate")

    # args with spaces, the environment (a value set, one unset), the working directory
    with tempfile.TemporaryDirectory() as d:
        c = start("/bin/sh", ["-c", 'echo "argv=<$1> <$2> env=<$DAP_T> unset=<${HOME-none}> cwd=<$(pwd)>"',
                              "sh", "a b", "c"], env={"DAP_T": "x y", "HOME": None}, cwd=d)
        c.request("configurationDone")
        ex = c.event("exited")
        check(ex["body"]["exitCode"] == 0, "sh exited %r" % ex)
        c.request("disconnect")
        c.close()
        out = c.output_text("stdout")
        want = "argv=<a b> <c> env=<x y> unset=<none> cwd=<%s>" % os.path.realpath(d)
        check(want in out, "the program printed %r, expected %r" % (out, want))
    check("DAP_T" not in os.environ, "test env leaked")

    # stopOnEntry: stopped at main (reason entry); a signal is an exception stop; killed by it: 128+N
    c = start(PROG, ["raise", "10"], stop_on_entry=True)
    c.request("configurationDone")
    st = stopped(c, "entry")
    check(frames(c, st["threadId"])["stackFrames"][0]["name"] == "main", "entry is not main")
    c.request("continue", threadId=st["threadId"])
    st = stopped(c, "exception")
    check("SIGUSR1" in st.get("description", ""), "the signal stop: %r" % st)
    names = [f["name"] for f in frames(c, st["threadId"])["stackFrames"]]
    check("die" in names, "the signal's stack: %r" % names)
    c.request("continue", threadId=st["threadId"])
    ex = c.event("exited")
    check(ex["body"]["exitCode"] == 128 + 10, "killed by SIGUSR1: %r" % ex)
    c.event("terminated")
    c.request("disconnect")
    c.close()

    # thread events: exec_O0 starts a worker, joins it, starts another (each stops in tick_thread)
    c = start(os.path.join(TESTDATA, "exec", "exec_O0"))
    c.request("setFunctionBreakpoints", breakpoints=[{"name": "tick_thread"}])
    c.request("configurationDone")
    workers = []
    for i in range(2):
        st = stopped(c, "breakpoint")
        new = c.event("thread", lambda m: m["body"]["reason"] == "started")["body"]["threadId"]
        check(st["threadId"] == new and new != c.pid, "stopped in thread %r, the new one is %r" % (st, new))
        ids = [t["id"] for t in c.request("threads")["body"]["threads"]]
        check(new in ids and c.pid in ids, "threads %r without the worker %d" % (ids, new))
        workers.append(new)
        c.request("continue", threadId=new)
    c.event("exited")
    gone = [m["body"]["threadId"] for m in c.pending if m.get("event") == "thread" and m["body"]["reason"] == "exited"]
    check(sorted(gone) == sorted(workers), "thread exits %r, workers %r" % (gone, workers))
    c.request("disconnect")
    c.close()


run(main)
