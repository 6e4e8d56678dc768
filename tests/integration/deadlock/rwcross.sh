#!/bin/bash
# An rwlock writer and a mutex crossed; a reader queued behind the writer is blocked on it.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
dl_text() {
    expect_line '^cycle 1: 2 threads wait for each other$' "$1"
    expect_line 'waits for rwlock config_lock \(0x[0-9a-f]+\), held by thread [0-9]+.* \(writer\)$' "$1"
    expect_line 'waits for mutex log_mu \(0x[0-9a-f]+\), held by thread [0-9]+' "$1"
    expect_line '^blocked on the deadlock:$' "$1"
    expect_line '^      in reader at rwcross.c:[0-9]+$' "$1"
}
dl_json_check() {
    dl_py "$1" 'len(d["cycles"]) == 1 and sorted(t["waits_for"]["kind"] for t in d["cycles"][0]["threads"]) == ["mutex", "rwlock"]' "crossed kinds $2 $3"
    dl_py "$1" '[f["kind"] for f in d["findings"]] == ["blocked-on-deadlock"] and d["findings"][0]["symbol"] == "config_lock"' "reader blocked $2 $3"
}
dl_case rwcross 3
td_finish
