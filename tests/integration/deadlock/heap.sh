#!/bin/bash
# Locks inside heap objects: named through the waiting frame's pointer (to->mu).
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
dl_text() {
    expect_line '^cycle 1: 2 threads wait for each other$' "$1"
    # each teller holds its `from` account's lock and waits for the other's
    dl_edge "$1" "$2" teller1 'mutex to->mu' teller2 '' '^      in transfer at heap\.c:[0-9]+$'
    dl_edge "$1" "$2" teller2 'mutex to->mu' teller1 '' '^      in transfer at heap\.c:[0-9]+$'
    dl_stopped "$1" "$2" 2
}
dl_json_check() {
    dl_py "$1" 'len(d["cycles"]) == 1 and all(t["waits_for"]["symbol"] == "to->mu" for t in d["cycles"][0]["threads"])' "heap names $2 $3"
    dl_json_edge "$1" "$2" teller1 'to->mu' teller2
    dl_json_edge "$1" "$2" teller2 'to->mu' teller1
    dl_json_stopped "$1" "$2"
}
dl_case heap 3
# A heap lock only a global pointer leads to: named through it.
for v in O0 O2; do
    td_start "heap_$v" global
    DL_TASKS=$TD_TMP/tasks.$TD_PID
    td_tasks "$TD_PID" >"$DL_TASKS"
    td_cdbg out deadlock "$TD_PID"
    expect_status 3 "heap lock behind a global pointer ($v)"
    # the main thread holds it for writing
    dl_edge "$out" live registrar 'rwlock g_registry->lock' "heap_$v" ' \(writer\)'
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
done
td_finish
