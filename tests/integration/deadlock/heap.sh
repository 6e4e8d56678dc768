#!/bin/bash
# Locks inside heap objects: named through the waiting frame's pointer (&to->mu).
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
dl_text() {
    expect_line '^cycle 1: 2 threads wait for each other$' "$1"
    expect_line 'waits for mutex &to->mu \(0x[0-9a-f]+\), held by thread' "$1"
    expect_line '^      in transfer at heap.c:[0-9]+$' "$1"
}
dl_json_check() {
    dl_py "$1" 'len(d["cycles"]) == 1 and all(t["waits_for"]["symbol"] == "&to->mu" for t in d["cycles"][0]["threads"])' "heap names $2 $3"
}
dl_case heap 3
# A heap lock only a global pointer leads to: named through it.
for v in O0 O2; do
    td_start "heap_$v" global
    td_cdbg out deadlock "$TD_PID"
    expect_status 3 "heap lock behind a global pointer ($v)"
    expect_line 'waits for rwlock &g_registry->lock \(0x[0-9a-f]+\), held by thread [0-9]+ "heap_'"$v"'" \(writer\)$' "$out"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
done
td_finish
