"""cdbg dap: launch values_O0, a line breakpoint, threads and stackTrace against gdb's bt at the
same stop, scopes and variables (a struct local, an array, a pointer's target) against gdb's print,
evaluate (watch, hover, repl), setVariable, then disconnect (the launched program is killed)."""
import os
import re
from dapclient import *

SRC = os.path.join(os.environ.get("SRCROOT", "."), "testdata", "values", "values.c")
PROG = os.path.join(TESTDATA, "values", "values_O0")


def line_of(text):
    with open(SRC) as f:
        for i, l in enumerate(f, 1):
            if text in l:
                return i
    raise Fail("no line with %r in %s" % (text, SRC))


def gdb_bt(out):
    """[(func, file basename or None, line or None)] from gdb's bt."""
    res = []
    for l in out.splitlines():
        m = re.match(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*\)(?: at (\S+):(\d+))?", l)
        if m:
            res.append((m.group(2), os.path.basename(m.group(3)) if m.group(3) else None,
                        int(m.group(4)) if m.group(4) else None))
    return res


def noaddr(v):
    """gdb runs the program without ASLR, cdbg as it is: pointers differ, their targets do not."""
    return re.sub(r"0x[0-9a-f]+", "0x?", v)


def gdb_prints(out):
    return [m.group(1) for m in re.finditer(r"^\$\d+ = (.*)$", out, re.M)]


def main():
    line = line_of("while (!g_stop)")
    c = start(PROG)
    bps = c.request("setBreakpoints", source={"path": SRC}, breakpoints=[{"line": line}])["body"]["breakpoints"]
    check(len(bps) == 1 and bps[0]["verified"] and bps[0]["line"] == line, "breakpoint not verified at %d: %r" % (line, bps))
    # a line with no code moves to the next one, as `break` does; a file that does not exist stays unverified
    bad = c.request("setFunctionBreakpoints", breakpoints=[{"name": "no_such_function_xyz"}])["body"]["breakpoints"]
    check(len(bad) == 1 and not bad[0]["verified"], "a function that does not exist verified: %r" % bad)
    c.request("configurationDone")
    st = stopped(c, "breakpoint")
    check(st["hitBreakpointIds"] == [bps[0]["id"]] and st["allThreadsStopped"], "stopped event: %r" % st)
    tid = st["threadId"]

    # gdb at the same stop
    out = gdb(PROG, ["break values.c:%d" % line, "run", "bt", "info threads",
                     "print leaf_local", "print lp", "print lp.x", "print lp.y", "print depth", "print tag",
                     "print g_pts[0]", "print g_pts[1]", "print g_pts[2]", "print g_pts[1].y",
                     "frame 2", "print *pp", "print (*pp).x", "print total",
                     "print g_bits.u3", "print g_bits.s4", "print g_bits.b", "print g_bits.rest", "print g_anon.hi"])
    # the bt lines: before `info threads`' header (frame 2's line comes later); gdb stops at main
    gbt = gdb_bt(out.split("  Id   Target Id")[0])
    check(gbt and gbt[-1][0] == "main", "gdb's bt: %r\n%s" % (gbt, out))
    vals = gdb_prints(out)
    check(len(vals) == 18, "gdb printed %d values, expected 18:\n%s" % (len(vals), out))

    threads = c.request("threads")["body"]["threads"]
    ngdb = len(re.findall(r"^[* ] +\d+ +Thread ", out, re.M))
    check(len(threads) == ngdb and any(t["id"] == tid for t in threads),
          "threads %r, gdb shows %d" % (threads, ngdb))

    fr = frames(c, tid)
    sf = fr["stackFrames"]
    mine = [(f["name"], os.path.basename(f["source"]["path"]) if "source" in f else None,
             f["line"] if "source" in f else None) for f in sf]
    # gdb's bt ends at main (backtrace past-main off); cdbg's goes on to _start
    check(fr["totalFrames"] == len(sf) > len(gbt), "frames %r vs gdb %r" % (mine, gbt))
    for a, b in zip(mine, gbt):
        check(a == b, "frame %r, gdb says %r" % (a, b))
    part = frames(c, tid, startFrame=1, levels=2)
    check([f["name"] for f in part["stackFrames"]] == [m[0] for m in mine[1:3]] and part["totalFrames"] == len(sf),
          "startFrame/levels: %r" % part)

    fid = sf[0]["id"]
    loc = {v["name"]: v for v in scope_vars(c, fid, "Locals")}
    args = {v["name"]: v for v in scope_vars(c, fid, "Arguments")}
    check(loc["leaf_local"]["value"] == vals[0], "leaf_local %r, gdb %r" % (loc["leaf_local"], vals[0]))
    check(loc["lp"]["value"] == vals[1] and loc["lp"]["variablesReference"] > 0, "lp %r, gdb %r" % (loc["lp"], vals[1]))
    kids = c.request("variables", variablesReference=loc["lp"]["variablesReference"])["body"]["variables"]
    check([(k["name"], k["value"]) for k in kids] == [("x", vals[2]), ("y", vals[3])], "lp's members %r" % kids)
    check(args["depth"]["value"] == vals[4] and noaddr(args["tag"]["value"]) == noaddr(vals[5]), "args %r vs %r" % (args, vals[4:6]))
    regs = {v["name"]: v["value"] for v in scope_vars(c, fid, "Registers")}
    check(int(regs["rip"], 16) == int(sf[0]["instructionPointerReference"], 16), "rip %r vs frame pc" % regs.get("rip"))

    # an array through evaluate, its elements and an element's member
    ev = c.request("evaluate", expression="g_pts", frameId=fid, context="watch")["body"]
    check(ev["variablesReference"] > 0 and ev["type"] == "struct point [3]", "g_pts: %r" % ev)
    el = c.request("variables", variablesReference=ev["variablesReference"])["body"]["variables"]
    check([(e["name"], e["value"]) for e in el] == [("[0]", vals[6]), ("[1]", vals[7]), ("[2]", vals[8])],
          "g_pts elements %r vs %r" % (el, vals[6:9]))
    m1 = c.request("variables", variablesReference=el[1]["variablesReference"])["body"]["variables"]
    check(m1[1]["name"] == "y" and m1[1]["value"] == vals[9] and m1[1]["evaluateName"] == "((g_pts)[1]).y",
          "g_pts[1].y %r" % m1)
    paged = c.request("variables", variablesReference=ev["variablesReference"], start=1, count=1)["body"]["variables"]
    check([p["name"] for p in paged] == ["[1]"], "start/count paging: %r" % paged)

    # a pointer argument in frame 2 (outer_fn): its target's members
    check(sf[2]["name"] == "outer_fn", "frame 2 is %r" % sf[2]["name"])
    a2 = {v["name"]: v for v in scope_vars(c, sf[2]["id"], "Arguments")}
    pk = c.request("variables", variablesReference=a2["pp"]["variablesReference"])["body"]["variables"]
    check(len(pk) == 1 and pk[0]["name"] == "*pp" and pk[0]["value"] == vals[10], "*pp %r, gdb %r" % (pk, vals[10]))
    pm = c.request("variables", variablesReference=pk[0]["variablesReference"])["body"]["variables"]
    check(pm[0]["name"] == "x" and pm[0]["value"] == vals[11], "(*pp).x %r vs %r" % (pm, vals[11]))
    l2 = {v["name"]: v for v in scope_vars(c, sf[2]["id"], "Locals")}
    check(l2["total"]["value"] == vals[12], "outer_fn's total %r, gdb %r" % (l2["total"], vals[12]))

    # bitfields, and an anonymous struct's members named as the enclosing object's (C's rule)
    bits = c.request("evaluate", expression="g_bits", frameId=fid, context="watch")["body"]
    bk = c.request("variables", variablesReference=bits["variablesReference"])["body"]["variables"]
    check([(k["name"], k["value"]) for k in bk] == list(zip(["u3", "s4", "b", "rest"], vals[13:17])),
          "g_bits' bitfields %r, gdb %r" % (bk, vals[13:17]))
    an = c.request("evaluate", expression="g_anon", frameId=fid, context="watch")["body"]
    ak = c.request("variables", variablesReference=an["variablesReference"])["body"]["variables"]
    inner = c.request("variables", variablesReference=ak[2]["variablesReference"])["body"]["variables"]
    check(inner[1]["name"] == "hi" and inner[1]["value"] == vals[17] and inner[1]["evaluateName"] == "(g_anon).hi",
          "g_anon's anonymous struct: %r, gdb %r" % (inner, vals[17]))
    hi = c.request("evaluate", expression=inner[1]["evaluateName"], frameId=fid, context="watch")["body"]
    check(hi["result"] == vals[17], "evaluateName %r gives %r" % (inner[1]["evaluateName"], hi))

    # evaluate: hover an expression, the repl runs a cdbg command, an error is an error response
    h = c.request("evaluate", expression="depth * 2 + 1", frameId=fid, context="hover")["body"]
    check(h["result"] == str(int(vals[4]) * 2 + 1), "hover: %r" % h)
    r = c.request("evaluate", expression="print leaf_local", frameId=fid, context="repl")["body"]
    check(re.fullmatch(r"\$\d+ = " + re.escape(vals[0]), r["result"]), "repl print: %r" % r)
    bad = c.request("evaluate", expression="no_such_var + 1", frameId=fid, context="watch", ok=False)
    check(not bad["success"] and "no_such_var" in bad["message"], "a bad expression: %r" % bad)
    refused = c.request("evaluate", expression="continue", frameId=fid, context="repl", ok=False)
    check(not refused["success"], "the repl ran `continue`: %r" % refused)

    # setVariable writes the program, and the next read sees it
    sv = c.request("setVariable", variablesReference=loc["lp"]["variablesReference"], name="y", value="-42")["body"]
    check(sv["value"] == "-42", "setVariable: %r" % sv)
    chk = c.request("evaluate", expression="lp.y", frameId=fid, context="watch")["body"]
    check(chk["result"] == "-42", "lp.y after setVariable: %r" % chk)

    ppid = c.proc.pid
    prog_pid = [int(p) for p in os.listdir("/proc") if p.isdigit() and _ppid(p) == ppid]
    c.request("disconnect")
    rc, err = c.close()
    check(rc == 0, "cdbg dap exited %d: %s" % (rc, err))
    # the launched program went with the session (terminateDebuggee defaults to true for launch)
    check(len(prog_pid) == 1, "the launched program's pid: %r" % prog_pid)
    check(not os.path.exists("/proc/%d" % prog_pid[0]), "the launched program outlived the session")

    # a breakpoint in a library not loaded yet is pending (unverified), then resolved at its dlopen
    # (a `breakpoint` event) and hit, twice: dlmain loads, unloads and loads libbplib.so again
    c = start(os.path.join(TESTDATA, "bp", "dlmain"))
    fb = c.request("setFunctionBreakpoints", breakpoints=[{"name": "lib_add"}])["body"]["breakpoints"]
    check(not fb[0]["verified"] and "pending" in fb[0].get("message", ""), "lib_add before the dlopen: %r" % fb)
    c.request("configurationDone")
    for want in ((20, 22), (1, 2)):
        st = stopped(c, "breakpoint")
        ch = c.event("breakpoint", lambda m: m["body"]["breakpoint"]["id"] == fb[0]["id"] and
                     m["body"]["breakpoint"]["verified"])["body"]
        check(ch["reason"] == "changed" and ch["breakpoint"]["source"]["name"] == "bplib.c", "resolved: %r" % ch)
        f0 = frames(c, st["threadId"])["stackFrames"][0]
        args = {v["name"]: v["value"] for v in scope_vars(c, f0["id"], "Arguments")}
        check(f0["name"] == "lib_add" and (args.get("a"), args.get("b")) == tuple(map(str, want)),
              "in lib_add with %r, expected %r" % (args, want))
        c.request("continue", threadId=st["threadId"])
    check(c.event("exited")["body"]["exitCode"] == 0, "dlmain's exit")
    c.request("disconnect")
    c.close()


def _ppid(pid):
    try:
        with open("/proc/%s/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


run(main)
