#!/bin/bash
# Five dining philosophers: one cycle of five, forks[i] named by index.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
dl_text() {
    expect_line '^cycle 1: 5 threads wait for each other$' "$1"
    local i
    for i in 0 1 2 3 4; do
        expect_line "waits for mutex forks\[$i\] \(0x[0-9a-f]+\), held by thread [0-9]+" "$1"
    done
    expect_line '^      in philosopher at ring.c:[0-9]+$' "$1"
}
dl_json_check() {
    dl_py "$1" 'len(d["cycles"]) == 1 and len(d["cycles"][0]["threads"]) == 5' "ring of five $2 $3"
    dl_py "$1" 'sorted(t["waits_for"]["symbol"] for t in d["cycles"][0]["threads"]) == ["forks[%d]" % i for i in range(5)]' "fork names $2 $3"
    # wait-for order: each thread's owner is the next thread of the list
    dl_py "$1" 'all(c[i]["waits_for"]["owner_tid"] == c[(i + 1) % 5]["tid"] for c in [d["cycles"][0]["threads"]] for i in range(5))' "ring order $2 $3"
}
dl_case ring 3
td_finish
