#!/bin/bash
# A process-shared mutex held by another process: never called orphaned while that process lives
# (live), nor in a core (the owner cannot be looked up); orphaned once the holder has exited (live).
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
dl_text() {
    expect_line '^no deadlock in process [0-9]+: 2 threads, 1 waiting for a lock or a thread, none blocked forever$' "$1"
}
dl_json_check() {
    dl_py "$1" 'd["deadlock"] is False and d["findings"] == [] and len(d["waits"]) == 1' "no verdict $2 $3"
    dl_py "$1" 'd["waits"][0]["waits_for"]["kind"] == "mutex" and d["waits"][0]["waits_for"]["owner_tid"] > 0' "owner named $2 $3"
}
dl_case pshared 0 hold
td_start pshared_O2 hold
td_cdbg out attach "$TD_PID" --batch -ex locks
expect_status 0 "locks"
expect_line '^[0-9]+ +waiter +mutex at 0x[0-9a-f]+, held by thread [0-9]+, not a thread of this process \(the lock is process-shared\)$' "$out"
check_untraced "$TD_PID"
td_stop "$TD_PID"
# the holder exited: orphaned (live); a core cannot tell
for v in O0 O2; do
    td_start "pshared_$v" exit
    td_cdbg out deadlock "$TD_PID"
    expect_status 3 "holder exited $v"
    expect_line '^orphaned lock:$' "$out"
    expect_line 'waits for mutex shared_mu \(0x[0-9a-f]+\), held by thread [0-9]+, which has exited$' "$out"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
done
core=$(make_core_of pshared_O2 exit) || exit 1
td_cdbg out deadlock "$(td_bin pshared_O2)" "$core"
expect_status 0 "holder exited, core"
td_finish
