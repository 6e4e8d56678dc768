#!/bin/bash
# --json: every command prints exactly one JSON object per line; errors are JSON too.
. "$SRCROOT/tests/integration/lib.sh"

td_start threads_O0 2
td_cdbg out attach "$TD_PID" --batch --json -ex threads -ex 'bt' -ex 'bt all' -ex 'bt all -group' \
    -ex 'threads -group' -ex 'thread 2' -ex 'frame 4' -ex 'regs' -ex 'list' -ex 'help' -ex 'help bt'
expect_status 0 "json commands"
python3 - "$out" "$TD_PID" <<'PY' && pass "json shapes" || fail "json shapes"
import json, os, sys
pid = int(sys.argv[2])
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 11, len(lines)
objs = [json.loads(l) for l in lines]
th, bt, btall, grp, tgrp, thr, fr, regs, lst, hlp, hbt = objs
assert th["command"] == "threads" and len(th["threads"]) == 9
assert th["threads"][0]["current"] is True and th["threads"][0]["tid"] > 0
names = [t["name"] for t in th["threads"]]
assert names[1] == "mutex-waiter", names
assert bt["command"] == "bt" and bt["frames"][0]["level"] == 0
assert all(f["pc"].startswith("0x") for f in bt["frames"])
assert any(f["function"] == "main" and f["line"] == 201 for f in bt["frames"])
assert len(btall["threads"]) == 9
w = [t for t in btall["threads"] if t["name"] == "mutex-waiter"][0]
assert any(f["function"] == "wait_on_mutex" and f["line"] == 54 and f["file"].endswith("threads.c") for f in w["frames"])
assert grp["groups"][0]["count"] == 2 and grp["groups"][0]["ids"] == [8, 9]
assert tgrp["groups"][0]["count"] == 2
# every id and tid is the real thread's: /proc/PID/task/TID/comm names it
tasks = sorted(int(t) for t in os.listdir("/proc/%d/task" % pid))
id_tid = {t["id"]: t["tid"] for t in th["threads"]}
assert sorted(id_tid.values()) == tasks, (id_tid, tasks)
for t in th["threads"] + btall["threads"]:
    comm = open("/proc/%d/task/%d/comm" % (pid, t["tid"])).read().strip()
    assert comm == t["name"] and id_tid[t["id"]] == t["tid"], (t["id"], t["tid"], t["name"], comm)
assert th["threads"][0]["tid"] == pid
for g in (grp, tgrp):
    assert g["threads_total"] == 9, g["threads_total"]
    assert sorted(x for gr in g["groups"] for x in gr["tids"]) == tasks
    for gr in g["groups"]:
        assert gr["tids"] == [id_tid[i] for i in gr["ids"]], gr
assert bt["tid"] == pid and thr["tid"] == id_tid[2]
assert thr["command"] == "thread" and thr["id"] == 2
assert fr["level"] == 4 and fr["function"] == "wait_on_mutex"
assert regs["registers"]["rip"].startswith("0x")
assert lst["command"] == "list" and len(lst["lines"]) == 10
assert any(c["name"] == "bt" for c in hlp["commands"])
assert hbt["name"] == "bt" and "stack" in hbt["aliases"]
PY
# a failing bt names itself as a successful one does
td_cdbg out attach "$TD_PID" --batch --json -ex 'bt 0x'
expect_line '^\{"command":"bt","error":"bt: ' "$out"
td_cdbg out attach "$TD_PID" --batch --json -ex 'bogus'
expect_status 1 "json error"
python3 -c 'import json,sys; o=json.loads(open(sys.argv[1]).read()); assert o["command"]=="bogus" and "unknown command" in o["error"]' "$out" \
    && pass "json error object" || fail "json error object: $(cat "$out")"
# A failed print reports once, in print's own shape (regression: a second generic error line).
td_cdbg out attach "$TD_PID" --batch --json -ex 'print no_such_variable'
expect_status 1 "json print error"
[ "$(wc -l <"$out")" = 1 ] && pass "one line for a failed print" || fail "failed print printed $(wc -l <"$out") lines: $(cat "$out")"
python3 -c 'import json,sys; o=json.loads(open(sys.argv[1]).readline()); assert o["expr"]=="no_such_variable" and o["error"]' "$out" \
    && pass "print error object" || fail "print error object: $(cat "$out")"
check_untraced "$TD_PID"
# `attach` from the prompt while attached: the old process is released and the answer says so.
first=$TD_PID
td_start threads_O0
td_cdbg out attach "$first" --batch -ex "attach $TD_PID" -ex 'bt 1'
expect_status 0 "attach while attached"
expect_line "^Detached from process $first\$" "$out"
expect_line "^Attached to process $TD_PID \\(threads_O0\\), 7 threads\$" "$out"
check_untraced "$first"
td_cdbg out attach "$first" --batch --json -ex "attach $TD_PID"
expect_status 0 "json attach while attached"
python3 -c 'import json,sys; o=json.loads(open(sys.argv[1]).readline()); assert o["command"]=="attach" and o["replaced"]=={"result":"detached from","pid":int(sys.argv[2])}' "$out" "$first" \
    && pass "json attach names the replaced target" || fail "json attach while attached: $(cat "$out")"
check_untraced "$first"
check_untraced "$TD_PID"
td_finish
