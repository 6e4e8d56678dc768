#!/bin/bash
# gcore of a process in its own PID namespace (a container). Inside the target, clone returns the
# snapshot's PID in the namespace, which is another process's number (or none) on the host: cdbg
# must find the snapshot under its host PID (held, never run), kill it by that PID, and have the
# target reap it by the namespace's number — a snapshot, not the held-copy fallback, and no child
# left behind. The core reads back with every thread.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/gcore/common.sh"
need_tool unshare "PID namespaces (util-linux)"

dir=$TD_TMP/ns
mkdir -p "$dir"
unshare --pid --fork --mount-proc "$GC_EXE" 4 32 >"$dir/out" 2>"$dir/err" &
ushare=$!
TD_PIDS+=("$ushare")
_ready() { grep -qx ready "$dir/out" 2>/dev/null; }
td_wait_for "the program in its PID namespace to print ready" _ready || exit 1
pid=$(tr -d ' \n' <"/proc/$ushare/task/$ushare/children")
[ -n "$pid" ] && [ "$(awk '/^NSpid:/{ print $NF }' "/proc/$pid/status")" = 1 ] &&
    pass "the program ($pid) is PID 1 in its namespace" || fail "no program in a PID namespace (pid '$pid')"
td_wait_main_asleep "$pid" gcore_prog_O0 || exit 1

td_cdbg out gcore --json -o "$TD_TMP/core.ns" "$pid"
expect_status 0 "gcore of a process in a PID namespace" || td_show "$out.err"
expect_line '"snapshot":true' "$out"
expect_no_line 'not found|not held|while the threads are held' "$out.err"
gc_no_children "$pid"
grep -q '^State:.*[SR]' "/proc/$pid/status" && pass "the program runs on" || fail "the program is $(grep State "/proc/$pid/status")"
[ "$(awk '/^TracerPid:/{ print $2 }' "/proc/$pid/status")" = 0 ] && pass "untraced" || fail "still traced"

td_cdbg cout core "$GC_EXE" "$TD_TMP/core.ns" --batch -ex threads
expect_status 0 "cdbg core on the namespace's core"
n=$(grep -cE '^\*? +[0-9]+ +[0-9]+ ' "$cout")
[ "$n" -eq "$(ls "/proc/$pid/task" | wc -l)" ] && pass "$n threads in the core" ||
    fail "$n threads in the core, $(ls "/proc/$pid/task" | wc -l) in the process"
kill -KILL "$pid" 2>/dev/null
td_finish
