#!/bin/bash
# Three threads joining each other in a ring.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
dl_text() {
    expect_line '^cycle 1: 3 threads wait for each other$' "$1"
    expect_line 'waits for the exit of thread [0-9]+.* \(pthread_join\)$' "$1"
    expect_line '^      in joiner at join.c:[0-9]+$' "$1"
}
dl_json_check() {
    dl_py "$1" 'len(d["cycles"]) == 1 and len(d["cycles"][0]["threads"]) == 3 and all(t["waits_for"]["kind"] == "thread" for t in d["cycles"][0]["threads"])' "join cycle $2 $3"
}
dl_case join 3
td_finish
