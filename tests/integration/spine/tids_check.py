"""Ties every thread id cdbg reports for testdata/spine/tids to the real thread.

python3 tids_check.py live|core PID TIDFILE TEXT JSON

TIDFILE is the program's own "TID NAME" list (written with gettid). For a live process the thread
list is also read from /proc/PID/task (comm too). TEXT holds `threads`, `bt all` and
`bt all -group`; JSON holds --json `threads`, `bt all`, `bt all -group` and `threads -group`.
Each thread blocks in a function of its own (the pool shares one), so a stack shows which thread it
is: a header or a tid naming another thread fails. Prints "ok: ..." and "FAIL: ..." lines.
"""
import json
import os
import re
import sys

mode, pid, tidfile, text, jsonfile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
live = mode == "live"
failed = False


def check(cond, what):
    global failed
    if cond:
        print("ok: " + what)
    else:
        failed = True
        print("FAIL: " + what)
    return cond


# The program's word: tid -> name.
names = {}
for line in open(tidfile):
    t, n = line.split()
    names[int(t)] = n
check(len(names) == 7 and names.get(pid) == "tids-main", "tid file lists 7 threads, main = pid %d: %r" % (pid, names))
# The function each thread's stack must show (block_in_read is shared by all but main).
OWN = {"tids-main": "main", "solo-a": "solo_a", "solo-b": "solo_b", "solo-c": "solo_c",
       "pool-0": "pool_wait", "pool-1": "pool_wait", "pool-2": "pool_wait"}
PROGRAM_FUNCS = set(OWN.values())

if live:
    tasks = {int(t) for t in os.listdir("/proc/%d/task" % pid)}
    check(tasks == set(names), "/proc/%d/task %s is the tid file's set %s" % (pid, sorted(tasks), sorted(names)))
    for t in tasks:
        comm = open("/proc/%d/task/%d/comm" % (pid, t)).read().strip()
        check(comm == names.get(t), "comm of %d is %r as the program says (%r)" % (t, comm, names.get(t)))
else:
    tasks = set(names)


def funcs_of(frame_texts):
    """Program functions (tids.c) among the frames."""
    out = set()
    for f in frame_texts:
        m = re.search(r" in (\w+) at tids\.c:\d+$", f)
        if m and m.group(1) in PROGRAM_FUNCS:
            out.add(m.group(1))
    return out


def check_stack(tid, funcs, where):
    name = names.get(tid)
    check(name is not None, "%s: tid %d is one of the program's threads" % (where, tid))
    if name is not None:
        check(funcs == {OWN[name]}, "%s: tid %d (%s) shows %s; its stack shows %s" % (where, tid, name, OWN[name], sorted(funcs)))


# ---- text ----
lines = open(text).read().split("\n")
id_tid = {}          # `threads`: id -> tid
headers = []         # bt all: (id, tid, name, [frame lines])
groups = []          # bt all -group: ([ids], [frame lines])
cur = None
for l in lines:
    m = re.match(r"^[* ] +(\d+) +(\d+) +(\S+) +\S", l)
    if m and cur is None:
        i, t, n = int(m.group(1)), int(m.group(2)), m.group(3)
        id_tid[i] = t
        if live:
            check(names.get(t) == n, "threads: id %d tid %d is named %r (program: %r)" % (i, t, n, names.get(t)))
        continue
    m = re.match(r"^Thread (\d+) \(tid (\d+), (.*)\):$", l)
    if m:
        cur = (int(m.group(1)), int(m.group(2)), m.group(3), [])
        headers.append(cur)
        continue
    m = re.match(r"^(\d+) threads?: ([\d,]+)$", l)
    if m:
        ids = [int(x) for x in m.group(2).split(",")]
        check(len(ids) == int(m.group(1)), "group header %r counts its ids" % l)
        cur = (ids, [])
        groups.append(cur)
        continue
    if l.startswith("#") and cur is not None and len(cur) == 4:
        cur[3].append(l)
    elif l.startswith("  #") and cur is not None and len(cur) == 2:
        cur[1].append(l)

check(set(id_tid.values()) == tasks and len(id_tid) == len(tasks),
      "threads lists every tid once: %s" % sorted(id_tid.values()))
check(len(headers) == len(tasks), "bt all: %d headers for %d threads" % (len(headers), len(tasks)))
check(sorted(h[1] for h in headers) == sorted(tasks), "bt all headers name every tid once: %s" % [h[1] for h in headers])
for i, t, n, frames in headers:
    check(id_tid.get(i) == t, "bt all: thread %d has tid %d, as in `threads` (%s)" % (i, t, id_tid.get(i)))
    if live:
        check(names.get(t) == n, "bt all: header of tid %d names %r (program: %r)" % (t, n, names.get(t)))
    check_stack(t, funcs_of(frames), "bt all thread %d" % i)
check(sum(len(g[0]) for g in groups) == len(tasks), "bt all -group covers %d threads" % len(tasks))
for ids, frames in groups:
    tids = [id_tid.get(i) for i in ids]
    for t in tids:
        check_stack(t, funcs_of(frames), "bt all -group %s" % ids)
pool = sorted(t for t, n in names.items() if n.startswith("pool-"))
check(any(sorted(id_tid.get(i) for i in g[0]) == pool for g in groups), "the pool %s is one group" % pool)

# ---- JSON ----
objs = [json.loads(l) for l in open(jsonfile).read().splitlines()]
check(len(objs) == 4, "4 JSON objects")
th, bt, btg, thg = (objs + [{}] * 4)[:4]
jid_tid = {}
for o in th.get("threads", []):
    jid_tid[o["id"]] = o["tid"]
    if live:
        check(names.get(o["tid"]) == o["name"], "json threads: tid %d named %r (program: %r)" % (o["tid"], o["name"], names.get(o["tid"])))
check(jid_tid == id_tid, "json threads: the same ids and tids as the text")
check(sorted(o["tid"] for o in bt.get("threads", [])) == sorted(tasks), "json bt all: every tid once")
for o in bt.get("threads", []):
    check(jid_tid.get(o["id"]) == o["tid"], "json bt all: id %d is tid %d" % (o["id"], o["tid"]))
    if live:
        check(names.get(o["tid"]) == o["name"], "json bt all: tid %d named %r" % (o["tid"], o["name"]))
    fs = {f["function"] for f in o["frames"] if (f.get("file") or "").endswith("tids.c")} & PROGRAM_FUNCS
    check_stack(o["tid"], fs, "json bt all id %d" % o["id"])
for label, g in (("bt all -group", btg), ("threads -group", thg)):
    check(g.get("threads_total") == len(tasks), "json %s: threads_total %r == %d" % (label, g.get("threads_total"), len(tasks)))
    seen = []
    for grp in g.get("groups", []):
        check(grp["count"] == len(grp["ids"]) == len(grp["tids"]), "json %s: count, ids and tids agree" % label)
        check([jid_tid.get(i) for i in grp["ids"]] == grp["tids"], "json %s: tids %s are ids %s's" % (label, grp["tids"], grp["ids"]))
        fs = {f["function"] for f in grp["frames"] if (f.get("file") or "").endswith("tids.c")} & PROGRAM_FUNCS
        for t in grp["tids"]:
            check_stack(t, fs, "json %s group %s" % (label, grp["ids"]))
        seen += grp["tids"]
    check(sorted(seen) == sorted(tasks), "json %s: every tid in one group" % label)
    check(any(sorted(grp["tids"]) == pool for grp in g.get("groups", [])), "json %s: the pool is one group" % label)
sys.exit(1 if failed else 0)
