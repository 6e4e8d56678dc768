#!/bin/bash
# A process already traced by another: `cdbg attach` and `cdbg deadlock` both exit 4 (cannot
# attach) with a message naming the real tracer, the process (PID and command) and, when the
# tracing thread is not its main one, that thread; the traced process is left as it was.
. "$SRCROOT/tests/integration/lib.sh"

td_start traced "$TD_TMP/child.pid"
child=$(cat "$TD_TMP/child.pid")
tracer=$(awk '/^TracerPid:/ {print $2}' "/proc/$child/status")
[ "$tracer" -gt 0 ] 2>/dev/null || { fail "child $child is not traced (TracerPid '$tracer')"; td_finish; }
[ "$tracer" != "$TD_PID" ] || fail "the tracer should be a second thread, not the main one"
msg="cannot attach to PID $child: it is already traced by PID $TD_PID (traced, its parent), from its thread $tracer (tracer-thread); detach that debugger first"

td_cdbg out attach "$child" --batch -ex bt
expect_status 4 "attach"
expect_exact_str "$out.err" "cdbg: $msg"
td_cdbg out deadlock "$child"
expect_status 4 "deadlock"
expect_exact_str "$out.err" "cdbg: $msg"
td_cdbg out deadlock "$child" --json
expect_status 4 "deadlock --json"
expect_exact_str "$out" "{\"command\":\"deadlock\",\"error\":\"$msg\"}"

# still traced by its own tracer, and running
grep -q "^TracerPid:[[:space:]]*$tracer\$" "/proc/$child/status" && pass "tracer unchanged" ||
    fail "child's tracer changed: $(grep TracerPid "/proc/$child/status")"
grep -q '^State:[[:space:]]*[tT]' "/proc/$child/status" && fail "child left stopped" || pass "child not stopped"
td_finish
