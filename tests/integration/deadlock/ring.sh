#!/bin/bash
# Five dining philosophers: one cycle of five, forks[i] named by index. Philosopher i (thread
# "phil<i>") holds forks[i] and waits for forks[(i+1) % 5], held by philosopher i+1: every thread id
# the report gives must be that thread's (read from /proc), never the waiting thread itself.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
line=$(grep -n 'pthread_mutex_lock(&forks\[(i + 1) % N\]);' "$SRCROOT/testdata/deadlock/ring.c" | cut -d: -f1)
[ -n "$line" ] || { fail "no blocking line in ring.c"; td_finish; }
dl_text() {
    expect_line "^DEADLOCK in process $DL_PID: 1 cycle, 5 threads blocked forever \\(of 6\\)\$" "$1"
    expect_line '^cycle 1: 5 threads wait for each other$' "$1"
    local i n
    for i in 0 1 2 3 4; do
        n=$(((i + 1) % 5))
        dl_edge "$1" "$2" "phil$i" "mutex forks\\[$n\\]" "phil$n" '' "^      in philosopher at ring\\.c:$line\$"
    done
    [ "$(grep -c 'held by' "$1")" -eq 5 ] && pass "five edges" || fail "not five 'held by' lines in $1"
    dl_stopped "$1" "$2" 5
}
dl_json_check() {
    dl_py "$1" 'len(d["cycles"]) == 1 and len(d["cycles"][0]["threads"]) == 5' "ring of five $2 $3"
    dl_py "$1" 'sorted(t["waits_for"]["symbol"] for t in d["cycles"][0]["threads"]) == ["forks[%d]" % i for i in range(5)]' "fork names $2 $3"
    # wait-for order: each thread's owner is the next thread of the list
    dl_py "$1" 'all(c[i]["waits_for"]["owner_tid"] == c[(i + 1) % 5]["tid"] for c in [d["cycles"][0]["threads"]] for i in range(5))' "ring order $2 $3"
    local i
    for i in 0 1 2 3 4; do
        dl_json_edge "$1" "$2" "phil$i" "forks[$(((i + 1) % 5))]" "phil$(((i + 1) % 5))"
    done
    dl_json_stopped "$1" "$2"
}
dl_case ring 3
td_finish
