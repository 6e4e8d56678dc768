#!/bin/bash
# gcore of a process stopped by SIGSTOP (state T): it cannot run the clone() of a snapshot (its
# threads answer every step with the stop again), so cdbg says why and copies the memory while the
# threads are held, and leaves the process stopped as it found it, untraced. After SIGCONT it runs
# on with its memory unchanged and no child.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
td_start gcore_prog_O0 2 4
gc_report || exit 1
sum0=$GC_SUM
kill -STOP "$TD_PID"
_all_T() { ! awk '{ sub(/.*\) /, ""); if ($1 != "T") bad = 1 } END { exit !bad }' /proc/"$TD_PID"/task/*/stat; }
td_wait_for "every thread of $TD_PID to stop" _all_T || exit 1
td_cdbg out gcore --json -o "$TD_TMP/core" "$TD_PID"
expect_status 0 "gcore of a stopped process"
expect_line '"snapshot":false' "$out"
expect_line "no snapshot \(process $TD_PID is stopped \(state T: SIGSTOP or a job-control stop\).*kill -CONT $TD_PID" "$out.err"
expect_no_line 'try again' "$out.err"
[ -s "$TD_TMP/core" ] && pass "the core was written" || fail "no core"
_all_T && pass "the process was left stopped" || fail "not stopped any more: $(cat /proc/"$TD_PID"/task/*/stat | awk '{print $3}')"
grep -q '^TracerPid:[[:space:]]*0$' "/proc/$TD_PID/status" && pass "untraced" || fail "still traced"
td_cdbg cout core "$GC_EXE" "$TD_TMP/core" --batch -ex threads
expect_status 0 "cdbg core reads it"
kill -CONT "$TD_PID"
check_untraced "$TD_PID"
gc_no_children "$TD_PID"
gc_report || exit 1
[ "$GC_SUM" = "$sum0" ] && pass "memory unchanged" || fail "checksum $GC_SUM, was $sum0"
td_finish
