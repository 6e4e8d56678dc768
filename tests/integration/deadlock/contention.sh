#!/bin/bash
# Contention, a lock held across sleep, condvar waits, a join on a sleeping thread, readers holding
# an rwlock, a semaphore on the waiter's stack: no deadlock, exit 0, and the report still lists the
# lock waits; a futex the program manages itself (through syscall()) is never taken for a pthread
# mutex, however mutex-like its words. Also without libc debug info, where the semaphore must not pass for glibc's PI dead end.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
dl_text() {
    expect_line '^no deadlock in process [0-9]+: 18 threads, ' "$1"
    expect_no_line 'DEADLOCK|cycle' "$1"
}
dl_json_check() {
    dl_py "$1" 'd["deadlock"] is False and d["cycles"] == [] and d["findings"] == []' "no verdict $2 $3"
    dl_py "$1" 'any(w["waits_for"]["kind"] == "thread" for w in d["waits"])' "join wait listed $2 $3"
    dl_py "$1" 'any(w["waits_for"]["symbol"] == "table_rw" and w["waits_for"]["owner_tid"] is None for w in d["waits"])' "rwlock held by readers $2 $3"
    dl_py "$1" 'd["stopped_ms"] == 0' "nothing stopped $2 $3"
}
dl_case contention 0
# Repeated looks at a busy process never see a cycle.
td_start contention_O2
for i in 1 2 3 4 5; do
    td_cdbg out deadlock "$TD_PID"
    expect_status 0 "contention look $i"
done
for i in 1 2 3; do
    CDBG_DEBUGINFO_PATH=/nonexistent td_cdbg out deadlock "$TD_PID"
    expect_status 0 "contention look $i without libc debug info"
done
td_cdbg out attach "$TD_PID" --batch -ex locks
expect_status 0 "locks"
expect_line '^[0-9]+ +contention_O2 +rwlock table_rw \(0x[0-9a-f]+\), held by readers \(1; glibc does not record which threads\)$' "$out"
expect_line '^[0-9]+ +contention_O2 +futex 0x[0-9a-f]+ \(work_queue\.state\), not a lock cdbg recognises \(value 2\)$' "$out"
expect_no_line 'mutex work_queue' "$out"
expect_line '^[0-9]+ +contention_O2 +condvar cv \(0x[0-9a-f]+\)$' "$out"
expect_line '^[0-9]+ +contention_O2 +the exit of thread [0-9]+ "contention_O2" \(pthread_join\)$' "$out"
check_untraced "$TD_PID"
td_finish
