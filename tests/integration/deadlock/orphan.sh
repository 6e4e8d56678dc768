#!/bin/bash
# A mutex owned by a thread that exited: orphaned lock, and a thread blocked behind its victim.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
dl_text() {
    expect_line '^orphaned lock:$' "$1"
    expect_line 'waits for mutex state_mu \(0x[0-9a-f]+\), held by thread [0-9]+, which has exited$' "$1"
    expect_line '^blocked on the deadlock:$' "$1"
    expect_line 'waits for mutex queue_mu \(0x[0-9a-f]+\), held by thread [0-9]+' "$1"
    expect_line '^      in victim at orphan.c:[0-9]+$' "$1"
    expect_line '^      in bystander at orphan.c:[0-9]+$' "$1"
}
dl_json_check() {
    dl_py "$1" 'sorted(f["kind"] for f in d["findings"]) == ["blocked-on-deadlock", "orphaned-lock"]' "findings $2 $3"
    dl_py "$1" '[f for f in d["findings"] if f["kind"] == "orphaned-lock"][0]["symbol"] == "state_mu"' "orphan name $2 $3"
}
dl_case orphan 3
td_finish
