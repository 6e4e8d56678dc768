#!/bin/bash
# A signal to `cdbg gcore` at each step of the dump must leave the target as it was: alive, running,
# untraced, its memory unchanged (a checksum it prints), no child of it left (not even a zombie),
# no SIGCHLD, and no file at all (neither FILE nor a temporary one). The test hook
# CDBG_TEST_GCORE_WAIT=PHASE makes cdbg announce the step on stderr and wait there for a signal, so
# the signal lands at a known step without timing. SIGTERM, SIGHUP and SIGINT are taken between
# steps (never inside an injected system call) and undone; SIGKILL runs no code of cdbg's at all,
# so what it leaves is the design's: no temporary file (O_TMPFILE), no child of the target (the
# snapshot is a grandchild, reparented to init).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

td_start gcore_prog_O0 3 8
d=$TD_TMP/d
mkdir -p "$d"
gc_report || exit 1
sum0=$GC_SUM
[ -n "$sum0" ] && pass "the program's checksum: $sum0" || fail "no checksum in the report"
_announced() { grep -q "^gcore: test: waiting at $2\$" "$1" 2>/dev/null; }

# one_case SIG PHASE [gcore options]
one_case() {
    local sig=$1 phase=$2 want
    shift 2
    local err=$TD_TMP/$sig.$phase.err
    CDBG_TEST_GCORE_WAIT=$phase "$CDBG" gcore "$@" -o "$d/core" "$TD_PID" >"$TD_TMP/$sig.$phase.out" 2>"$err" &
    local c=$!
    TD_PIDS+=("$c")
    td_wait_for "cdbg to wait at $phase" _announced "$err" "$phase" || return 1
    kill -"$sig" "$c"
    wait "$c"
    local rc=$?
    case $sig in TERM) want=143 ;; HUP) want=129 ;; KILL) want=137 ;; INT) want=1 ;; esac
    [ "$rc" = "$want" ] && pass "SIG$sig at $phase: exit status $rc" ||
        { fail "SIG$sig at $phase: exit status $rc, expected $want"; td_show "$err"; }
    if [ "$sig" = INT ]; then
        grep -q "interrupted by SIGINT; the process was released unchanged" "$err" &&
            pass "SIGINT at $phase: says so" || { fail "SIGINT at $phase: no message"; td_show "$err"; }
    fi
    check_untraced "$TD_PID"
    gc_no_children "$TD_PID"
    gc_report || return 1
    [ "$GC_SUM" = "$sum0" ] && pass "SIG$sig at $phase: memory unchanged" ||
        fail "SIG$sig at $phase: checksum $GC_SUM, was $sum0"
    [ "$GC_SIGCHLD" = 0 ] && pass "SIG$sig at $phase: no SIGCHLD" || fail "SIG$sig at $phase: $GC_SIGCHLD SIGCHLD"
    [ -z "$(ls -A "$d")" ] && pass "SIG$sig at $phase: no file left" ||
        fail "SIG$sig at $phase: left $(ls -A "$d")"
    rm -f "$d"/* "$d"/.[!.]*
}

for phase in prepared held cloned copying copied; do
    one_case TERM "$phase"
done
one_case TERM copying-held --no-snapshot
one_case HUP cloned
one_case INT copying
one_case INT held
for phase in held cloned copying; do
    one_case KILL "$phase"
done
# and the program was never stopped for good: it still answers, with its threads
[ "$(ls "/proc/$TD_PID/task" | wc -l)" -ge 4 ] && pass "all threads alive" || fail "threads: $(ls "/proc/$TD_PID/task")"
td_finish
