#!/bin/bash
# Contention, a lock held across sleep, condvar waits, a join on a sleeping thread, readers holding
# an rwlock: no deadlock, exit 0, and the report still lists the lock waits.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
dl_text() {
    expect_line '^no deadlock in process [0-9]+: 15 threads, ' "$1"
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
check_untraced "$TD_PID"
td_finish
