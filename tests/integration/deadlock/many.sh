#!/bin/bash
# 1000 threads, 997 idle in a condvar wait, a cycle of 3: only the cycle is reported and stopped.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
dl_text() {
    expect_line '^DEADLOCK in process [0-9]+: 1 cycle, 3 threads blocked forever \(of 1001\)$' "$1"
    expect_line 'waits for mutex ring_mu\[[012]\]' "$1"
    dl_stopped "$1" "$2" 3
}
dl_json_check() {
    dl_py "$1" 'len(d["cycles"]) == 1 and len(d["cycles"][0]["threads"]) == 3 and d["findings"] == [] and len(d["waits"]) == 3' "small cycle among many $2 $3"
    dl_json_stopped "$1" "$2"
}
for v in O0 O2; do
    td_start "many_$v"
    dl_one live "$v" 3 "$TD_PID"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
done
core=$(make_core_of many_O2) || exit 1
dl_one core O2 3 "$(td_bin many_O2)" "$core"
td_finish
