#!/bin/bash
# An rwlock writer and a mutex crossed; a reader queued behind the writer is blocked on it.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
dl_text() {
    expect_line '^cycle 1: 2 threads wait for each other$' "$1"
    dl_edge "$1" "$2" writer 'mutex log_mu' logger '' '^      in writer at rwcross\.c:[0-9]+$'
    dl_edge "$1" "$2" logger 'rwlock config_lock' writer ' \(writer\)' '^      in logger at rwcross\.c:[0-9]+$'
    expect_line '^blocked on the deadlock:$' "$1"
    dl_edge "$1" "$2" reader 'rwlock config_lock' writer ' \(writer\)' '^      in reader at rwcross\.c:[0-9]+$'
    dl_stopped "$1" "$2" 3
}
dl_json_check() {
    dl_py "$1" 'len(d["cycles"]) == 1 and sorted(t["waits_for"]["kind"] for t in d["cycles"][0]["threads"]) == ["mutex", "rwlock"]' "crossed kinds $2 $3"
    dl_py "$1" '[f["kind"] for f in d["findings"]] == ["blocked-on-deadlock"] and d["findings"][0]["symbol"] == "config_lock"' "reader blocked $2 $3"
    dl_json_edge "$1" "$2" writer log_mu logger
    dl_json_edge "$1" "$2" logger config_lock writer
    dl_json_edge "$1" "$2" reader config_lock writer
    dl_json_stopped "$1" "$2"
}
dl_case rwcross 3
# Crossed through a read lock: not provable (glibc does not name readers), so exit 0, but the
# all-clear comes with a note naming the thread that may be the reader.
for v in O0 O2; do
    td_start "rwcross_$v" readers
    DL_TASKS=$TD_TMP/tasks.$TD_PID
    td_tasks "$TD_PID" >"$DL_TASKS"
    td_cdbg out deadlock "$TD_PID"
    expect_status 0 "crossed through a reader ($v)"
    expect_line "^no deadlock in process $TD_PID: 3 threads, 2 waiting for a lock or a thread, none blocked forever\$" "$out"
    # the logger waits to write; the reader that may block it is read_holder
    expect_line "^note: thread $(dl_tid logger) waits for the rwlock at 0x[0-9a-f]+, held by 1 reader glibc does not name; if that reader is thread $(dl_tid read_holder) \\(blocked on a lock or a join\\), this is a deadlock cdbg cannot prove\$" "$out"
    td_asleep "$TD_PID"
    td_cdbg js deadlock "$TD_PID" --json
    dl_py "$js" 'd["deadlock"] is False and "cannot prove" in d["note"]' "note in JSON ($v)"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
done
td_finish
