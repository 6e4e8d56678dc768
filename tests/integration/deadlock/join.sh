#!/bin/bash
# Three threads joining each other in a ring.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
dl_text() {
    expect_line '^cycle 1: 3 threads wait for each other$' "$1"
    # joiner<X> joins the next one (A -> B -> C -> A)
    local p
    for p in AB BC CA; do
        expect_lines "$1" "^  $(dl_thread_re "joiner${p:0:1}" "$2") waits for the exit of $(dl_thread_re "joiner${p:1:1}" "$2") \\(pthread_join\\)\$" '^      in joiner at join\.c:[0-9]+$'
    done
    dl_stopped "$1" "$2" 3
}
dl_json_check() {
    dl_py "$1" 'len(d["cycles"]) == 1 and len(d["cycles"][0]["threads"]) == 3 and all(t["waits_for"]["kind"] == "thread" for t in d["cycles"][0]["threads"])' "join cycle $2 $3"
    local p
    for p in AB BC CA; do
        dl_json_edge "$1" "$2" "joiner${p:0:1}" - "joiner${p:1:1}"
    done
    dl_json_stopped "$1" "$2"
}
dl_case join 3
td_finish
