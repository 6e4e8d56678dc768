"""A ^C typed at the terminal while `cdbg trace --backend ptrace --ret -- PROG` traces (ptrace.sh):
cdbg removes the probes and exits 130, and the program, which had the terminal while it ran, is not
killed by the ^C: it runs on, untraced, and ends when told. argv: CDBG SPIN TRACEFILE STOPFILE HOME"""
import os, re, sys, time
from ptydrive import Pty, proc_status

cdbg, spin, trace, stop, home = sys.argv[1:6]
p = Pty([cdbg, "trace", "--backend", "ptrace", "--ret", "^tick$", "-o", trace, "--", spin, stop], home)
p.expect(r"1 tracepoint in process (\d+)", "the trace starts")
pid = int(p.match.group(1)) if p.match else 0
end = time.time() + 60
# Bytes, not text: the file is read while cdbg writes it, so its end may cut a UTF-8 sequence.
while time.time() < end and not (os.path.exists(trace) and re.search(rb"^< tick", open(trace, "rb").read(), re.M)):
    p.read_some(0.05)
p.key("\x03")
p.expect(r"interrupted: every probe removed, the process runs on", "^C: the probes removed")
p.wait_exit("cdbg exits 130 at ^C", status=130)
st = proc_status(pid) if pid else None
if st and st.get("TracerPid") == "0" and st.get("State", "")[:1] not in "tTZ":
    p.ok("the program runs on, untraced (%s)" % st.get("State"))
else:
    p.fail("the program after ^C: %r" % (st and (st.get("State"), st.get("TracerPid"))))
open(stop, "w").close()
p.expect(r"ticks \d+", "the program ends when told, writing to the terminal")
p.finish()
