"""cdbg dap: a core file (written by `cdbg gcore` from values_O0): attach with coreFile + program,
every thread's stackTrace against gdb's `thread apply all bt` on the same core, a local's value
against gdb's print; nothing runs in a core (continue is refused)."""
import os
import re
import subprocess
import tempfile
from dapclient import *

PROG = os.path.join(TESTDATA, "values", "values_O0")


def gdb_threads(out):
    """{lwp: [(func, file, line)]} from `thread apply all bt`."""
    res, cur = {}, None
    for l in out.splitlines():
        m = re.match(r"^Thread \d+ \(.*LWP (\d+)", l)
        if m:
            cur = res.setdefault(int(m.group(1)), [])
            continue
        m = re.match(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*\)(?: at (\S+):(\d+))?", l)
        if m and cur is not None:
            cur.append((m.group(2), os.path.basename(m.group(3)) if m.group(3) else None,
                        int(m.group(4)) if m.group(4) else None))
    return res


def main():
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.Popen([PROG], stdout=subprocess.PIPE, text=True)
        try:
            check(p.stdout.readline() == "ready\n", "values_O0 did not say ready")
            core = os.path.join(d, "core")
            r = subprocess.run([CDBG, "gcore", "-o", core, str(p.pid)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
            check(r.returncode == 0, "gcore: %s" % r.stderr)
        finally:
            p.kill()
            p.wait()
        out = gdb(PROG, ["thread apply all bt", "thread 1", "frame function main", "print start"], core=core)
        want = gdb_threads(out.split("[Switching to thread")[0])
        check(len(want) == 2, "gdb's threads in the core: %r\n%s" % (want, out))
        start_val = re.findall(r"^\$1 = (.*)$", out, re.M)
        check(start_val, "gdb printed no `start`:\n" + out)

        c = Client()
        c.request("initialize", clientID="test", adapterID="cdbg")
        c.request("attach", coreFile=core, program=PROG)
        c.event("initialized")
        c.request("configurationDone")
        st = stopped(c)
        th = c.request("threads")["body"]["threads"]
        check(sorted(t["id"] for t in th) == sorted(want), "threads %r, gdb %r" % (th, list(want)))
        for t in th:
            fr = frames(c, t["id"])["stackFrames"]
            mine = [(f["name"], os.path.basename(f["source"]["path"]) if "source" in f else None,
                     f["line"] if "source" in f else None) for f in fr]
            # a libc symbol with aliases: gdb names clone3 what cdbg names __clone3
            norm = lambda fs: [(f[0].lstrip("_"),) + tuple(f[1:]) for f in fs]
            check(norm(mine[:len(want[t["id"]])]) == norm(want[t["id"]]), "thread %d: %r, gdb %r" % (t["id"], mine, want[t["id"]]))
            if t["id"] == min(want):  # the main thread: main's `start`
                mainf = [f for f in fr if f["name"] == "main"][0]
                loc = {v["name"]: v for v in scope_vars(c, mainf["id"], "Locals")}
                check(loc["start"]["value"] == start_val[0], "start = %r, gdb %r" % (loc["start"], start_val[0]))
        r = c.request("continue", threadId=st["threadId"], ok=False)
        check(not r["success"] and "core" in r["message"], "continue in a core: %r" % r)
        c.request("disconnect")
        rc, err = c.close()
        check(rc == 0, "cdbg dap exited %d: %s" % (rc, err))


run(main)
