#!/bin/bash
# A writer blocked in pthread_rwlock_wrlock on an rwlock whose other fields were overwritten
# (testdata/deadlock/rwbad.c): cdbg says what it knows, a futex word with its name and value that
# it does not recognise, never an unrelated condvar, lock or owner; no deadlock is claimed. Live
# at -O0 and -O2 and on a core.
. "$SRCROOT/tests/integration/lib.sh"

# check_locks WHAT PROG FILE: the `locks` output of one rwbad program
check_locks() {
    expect_status 0 "$1: locks"
    expect_line "^[0-9]+ +$2 +futex 0x[0-9a-f]+ \\(rw_bad\\+0xc\\), not a lock cdbg recognises \\(value 3\\)\$" "$3"
    expect_no_line 'condvar|mutex|rwlock|held by' "$3"
}

for v in O0 O2; do
    td_start "rwbad_$v"
    td_cdbg out attach "$TD_PID" --batch -ex locks
    check_locks "live $v" "rwbad_$v" "$out"
    td_cdbg out deadlock "$TD_PID"
    expect_status 0 "live $v: deadlock"
    expect_line "^no deadlock in process $TD_PID: 2 threads, 0 waiting for a lock or a thread, none blocked forever\$" "$out"
    td_cdbg out deadlock "$TD_PID" --json
    expect_status 0 "live $v: deadlock --json"
    expect_line '^\{"deadlock":false,"cycles":\[\],"findings":\[\],"waits":\[\],' "$out"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
done

require_cores
core=$(make_core_of rwbad_O2) || exit 1
td_cdbg out core "$(td_bin rwbad_O2)" "$core" --batch -ex locks
check_locks "core" "rwbad_O2" "$out"
td_finish
