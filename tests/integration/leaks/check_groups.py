#!/usr/bin/env python3
"""check_groups.py OUT EXPECT: checks `cdbg leaks --json` output OUT (JSON lines mixed with the
program's own lines) against EXPECT, a JSON object:
  {"groups": [{"bytes": B, "allocations": N, "frames": [[func, line], ...]}, ...],  # up to main
   "allowed_via": FUNC or null,   # other groups allowed only when their stack passes through FUNC
   "program_lines": [...],        # the program's output, exactly
   "min_unknown_frees": N}
Prints what differs; exit 0 when all match."""
import json
import sys

out, want = sys.argv[1], json.loads(sys.argv[2])
groups, summary, prog = [], None, []
for line in open(out):
    if line.startswith("{"):
        o = json.loads(line)
        if o.get("summary"):
            summary = o
        else:
            groups.append(o)
    else:
        prog.append(line.rstrip("\n"))
bad = []
if summary is None:
    bad.append("no summary object")


def upto_main(g):
    fr = []
    for f in g["frames"]:
        fr.append([f["function"], f["line"] or 0])
        if f["function"] == "main":
            break
    return fr


got = [{"bytes": g["bytes"], "allocations": g["allocations"], "frames": upto_main(g)} for g in groups]
for w in want["groups"]:
    if w not in got:
        bad.append("expected group missing: %s" % json.dumps(w))
via = want.get("allowed_via")
for g, raw in zip(got, groups):
    if g in want["groups"]:
        continue
    if via and any(f["function"] == via for f in raw["frames"]):
        continue
    bad.append("unexpected group: %s" % json.dumps(g))
if "program_lines" in want and prog != want["program_lines"]:
    bad.append("the program's output %r, expected %r" % (prog, want["program_lines"]))
if summary and summary.get("unknown_frees", 0) < want.get("min_unknown_frees", 0):
    bad.append("unknown_frees %s < %s" % (summary.get("unknown_frees"), want["min_unknown_frees"]))
# a block returned at the address of one still live: its free was missed, or one block counted twice
if summary and summary.get("replaced"):
    bad.append("blocks replaced while live: %s" % summary["replaced"])
if summary and summary.get("lost"):
    bad.append("records were lost: %s" % summary["lost"])
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
