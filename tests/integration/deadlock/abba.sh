#!/bin/bash
# ABBA: one cycle of two threads, both locks named, frames in user code. worker_a holds lock_a and
# waits for lock_b, worker_b the reverse: every thread id the report gives must be that thread's
# (read from /proc), never the waiting thread itself.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
src=$SRCROOT/testdata/deadlock/abba.c
line_a=$(grep -n 'pthread_mutex_lock(&lock_b); /\* waits forever' "$src" | cut -d: -f1)
line_b=$(grep -n 'pthread_mutex_lock(&lock_a); /\* waits forever' "$src" | cut -d: -f1)
[ -n "$line_a" ] && [ -n "$line_b" ] || { fail "no blocking lines in $src"; td_finish; }
dl_text() {
    expect_line "^DEADLOCK in process $DL_PID: 1 cycle, 2 threads blocked forever \\(of 3\\)\$" "$1"
    expect_line '^cycle 1: 2 threads wait for each other$' "$1"
    dl_edge "$1" "$2" worker_a 'mutex lock_b' worker_b '' "^      in worker_a at abba\\.c:$line_a\$"
    dl_edge "$1" "$2" worker_b 'mutex lock_a' worker_a '' "^      in worker_b at abba\\.c:$line_b\$"
    [ "$(grep -c 'held by' "$1")" -eq 2 ] && pass "two edges" || fail "not two 'held by' lines in $1"
    dl_stopped "$1" "$2" 2
}
dl_json_check() {
    dl_py "$1" 'd["deadlock"] is True and len(d["cycles"]) == 1 and d["findings"] == [] and len(d["waits"]) == 2' "abba shape $2 $3"
    dl_py "$1" 'sorted(t["waits_for"]["symbol"] for t in d["cycles"][0]["threads"]) == ["lock_a", "lock_b"]' "abba names $2 $3"
    dl_py "$1" 'all(t["waits_for"]["kind"] == "mutex" and t["waits_for"]["addr"].startswith("0x") for t in d["waits"])' "abba kinds $2 $3"
    # each waits for the other: owner of one is the tid of the other
    dl_py "$1" '(lambda a, b: a["waits_for"]["owner_tid"] == b["tid"] and b["waits_for"]["owner_tid"] == a["tid"])(*d["cycles"][0]["threads"])' "abba edges $2 $3"
    dl_json_edge "$1" "$2" worker_a lock_b worker_b
    dl_json_edge "$1" "$2" worker_b lock_a worker_a
    dl_py "$1" 'sorted(t["frame"] for t in d["waits"]) == ["worker_a at abba.c:'"$line_a"'", "worker_b at abba.c:'"$line_b"'"]' "abba frames $2 $3"
    dl_json_stopped "$1" "$2"
}
dl_case abba 3
td_finish
