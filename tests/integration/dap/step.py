"""cdbg dap: stepping (stepIn, next, stepOut) on steps_O0 stop by stop against gdb's step, next and
finish; a conditional and a hit-count breakpoint; references refused after a resume; continue to the
end: the program's stdout as output events, exited with its code, terminated."""
import os
import re
from dapclient import *

SRC = os.path.join(os.environ.get("SRCROOT", "."), "testdata", "exec", "steps.c")
PROG = os.path.join(TESTDATA, "exec", "steps_O0")


def line_of(marker):
    with open(SRC) as f:
        for i, l in enumerate(f, 1):
            if "@" + marker + " " in l or "@" + marker + "*" in l:
                return i
    raise Fail("no @%s in %s" % (marker, SRC))


def gdb_frames(out):
    """(func, line) of each `frame` answer: '#0  add (a=0, b=0) at steps.c:23'."""
    return [(m.group(1), int(m.group(2))) for m in re.finditer(r"^#0\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*\) at \S+:(\d+)$", out, re.M)]


def top(c, tid):
    f = frames(c, tid, startFrame=0, levels=1)["stackFrames"][0]
    return (f["name"], f["line"])


def main():
    body = line_of("loop_body")
    moves = ["stepIn", "next", "stepOut", "next", "stepIn", "next", "next", "stepIn", "stepIn", "stepOut"]
    gcmd = {"stepIn": "step", "next": "next", "stepOut": "finish"}
    cmds = ["break steps.c:%d" % body, "run", "frame"]
    for m in moves:
        cmds += [gcmd[m], "frame"]
    want = gdb_frames(gdb(PROG, cmds))
    check(len(want) == len(moves) + 1, "gdb's stops: %r" % want)

    c = start(PROG)
    bps = c.request("setBreakpoints", source={"path": SRC}, breakpoints=[{"line": body}])["body"]["breakpoints"]
    check(bps[0]["verified"], "breakpoint: %r" % bps)
    c.request("configurationDone")
    tid = stopped(c, "breakpoint")["threadId"]
    got = [top(c, tid)]
    fid = frames(c, tid)["stackFrames"][0]["id"]
    old = scope_vars(c, fid, "Locals")
    ref = c.request("evaluate", expression="&total", frameId=fid, context="watch")["body"]["variablesReference"]
    check(ref > 0, "a pointer to total has a target to open")
    for m in moves:
        c.request(m, threadId=tid)
        st = stopped(c)
        # a step that reaches the loop's breakpoint stops there as gdb's does ("Breakpoint 1")
        check(st["threadId"] == tid and st["reason"] in ("step", "breakpoint"), "step stopped: %r" % st)
        got.append(top(c, tid))
    check(got == want, "stops %r, gdb %r" % (got, want))
    stale = c.request("variables", variablesReference=ref, ok=False)
    check(not stale["success"], "a reference from before the resume answered: %r" % stale)

    # depth(3) recurses: its 3rd call (n == 1) by a hit count
    c.request("setBreakpoints", source={"path": SRC}, breakpoints=[])  # the loop's breakpoint goes
    fb = c.request("setFunctionBreakpoints", breakpoints=[{"name": "depth", "hitCondition": "3"}])["body"]["breakpoints"]
    check(fb[0]["verified"], "function breakpoint: %r" % fb)
    bad = c.request("setFunctionBreakpoints", breakpoints=[{"name": "depth", "hitCondition": "three"}])["body"]
    check(not bad["breakpoints"][0]["verified"], "a bad hitCondition accepted: %r" % bad)
    fb = c.request("setFunctionBreakpoints", breakpoints=[{"name": "depth", "hitCondition": "3"}])["body"]["breakpoints"]
    c.request("continue", threadId=tid)
    st = stopped(c, "breakpoint")
    f0 = frames(c, st["threadId"])["stackFrames"][0]
    n = c.request("evaluate", expression="n", frameId=f0["id"], context="watch")["body"]["result"]
    check(f0["name"] == "depth" and n == "1" and st["hitBreakpointIds"] == [fb[0]["id"]], "hit 3 of depth: n = %r, %r" % (n, st))
    c.request("setFunctionBreakpoints", breakpoints=[])
    # a condition: add's body when b == 1 (the loop's calls are past: apply's call)
    add = line_of("add_body")
    bps = c.request("setBreakpoints", source={"path": SRC},
                    breakpoints=[{"line": add, "condition": "b == 1"}])["body"]["breakpoints"]
    check(bps[0]["verified"], "conditional breakpoint: %r" % bps)
    c.request("continue", threadId=tid)
    st = stopped(c, "breakpoint")
    f0 = frames(c, st["threadId"])["stackFrames"][0]
    b = c.request("evaluate", expression="b", frameId=f0["id"], context="watch")["body"]["result"]
    check(b == "1" and f0["line"] == add, "stopped at %r with b = %r" % (f0, b))
    c.request("setBreakpoints", source={"path": SRC}, breakpoints=[])
    c.request("continue", threadId=tid)
    ex = c.event("exited")
    check(ex["body"]["exitCode"] == 0, "exited %r" % ex)
    c.event("terminated")
    outs = c.output_text("stdout")
    check(re.search(r"^steps \d+ \d+$", outs, re.M), "the program's stdout as output events: %r" % outs)
    c.request("disconnect")
    rc, err = c.close()
    check(rc == 0, "cdbg dap exited %d: %s" % (rc, err))

    # an inlined call (always_inline twice() at -O2): its frame and its caller's, as gdb's bt
    o2 = os.path.join(TESTDATA, "exec", "steps_O2")
    gbt = re.findall(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*\) at \S+:(\d+)$", gdb(o2, ["break steps.c:%d" % line_of("twice"), "run", "bt"]), re.M)
    check(gbt, "gdb has no bt at twice")
    c = start(o2)
    fb = c.request("setBreakpoints", source={"path": SRC}, breakpoints=[{"line": line_of("twice")}])["body"]["breakpoints"]
    check(fb[0]["verified"], "twice: %r" % fb)
    c.request("configurationDone")
    st = stopped(c, "breakpoint")
    fr = frames(c, st["threadId"])["stackFrames"]
    mine = [(f["name"], str(f["line"])) for f in fr[:len(gbt)]]
    check(mine == list(gbt), "inlined frames %r, gdb %r" % (mine, gbt))
    c.request("disconnect")
    c.close()


run(main)
