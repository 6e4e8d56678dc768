#!/bin/bash
# cdbg killed in the middle of a dump (stopped there by a test hook, CDBG_TEST_GCORE_STALL, after
# the target was resumed): SIGTERM ends the snapshot; with SIGKILL it dies with its tracer
# (PTRACE_O_EXITKILL). The file being written has no name (O_TMPFILE), so neither leaves one.
# Either way the target runs on untraced, saw no SIGCHLD, no copy of it runs, and it has no child:
# the snapshot is a grandchild (its parent, init, reaps it). signals.sh covers every other step.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

td_start gcore_prog_O0 2 8
d=$TD_TMP/d
mkdir -p "$d"
_stopped() { [ "$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null)" = T ]; }
# no child of the target that is not a zombie, and every zombie child ended without running
# anything of the program: killed (wait status 9) or the exit_group(113) it was parked on (113 << 8)
gc_no_live_child() {
    local kids
    kids=$(awk -v p="$1" '{ f = FILENAME; sub(/.*\) /, ""); if ($2 == p && ($1 != "Z" || ($NF != 9 && $NF != 28928))) print f ": state " $1 " wait status " $NF }' /proc/[0-9]*/stat 2>/dev/null)
    [ -z "$kids" ] && pass "no copy of $1 ran" || fail "a child of $1 ran or runs: $kids"
}
gc_no_live_child_q() {
    ! awk -v p="$1" '{ sub(/.*\) /, ""); if ($2 == p && $1 != "Z") f = 1 } END { exit !f }' /proc/[0-9]*/stat 2>/dev/null
}
for sig in TERM KILL; do
    CDBG_TEST_GCORE_STALL=1 "$CDBG" gcore -o "$d/core.$sig" "$TD_PID" >"$TD_TMP/$sig.out" 2>"$TD_TMP/$sig.err" &
    c=$!
    TD_PIDS+=("$c")
    td_wait_for "cdbg to stop itself mid-dump" _stopped "$c" || break
    [ -z "$(ls -A "$d")" ] && pass "no named file while dumping" || fail "a named file while dumping: $(ls -A "$d")"
    check_untraced "$TD_PID" # resumed before the copy
    kill -"$sig" "$c"
    kill -CONT "$c" 2>/dev/null
    wait "$c"
    rc=$?
    [ "$sig" = TERM ] && want=143 || want=137
    [ "$rc" = "$want" ] && pass "cdbg died of SIG$sig" || fail "cdbg exit status $rc, expected $want"
    check_untraced "$TD_PID"
    td_wait_for "the snapshot child to die" gc_no_live_child_q "$TD_PID"
    gc_no_live_child "$TD_PID"
    gc_no_children "$TD_PID"
    gc_report
    [ "$GC_SIGCHLD" = 0 ] && pass "no SIGCHLD" || fail "the target saw $GC_SIGCHLD SIGCHLD"
    [ ! -e "$d/core.$sig" ] && pass "no core at FILE" || fail "a core at FILE after SIG$sig"
    [ -z "$(ls -A "$d")" ] && pass "no partial file after SIG$sig" || fail "left after SIG$sig: $(ls -A "$d")"
    rm -f "$d"/.core.*
done
td_finish
