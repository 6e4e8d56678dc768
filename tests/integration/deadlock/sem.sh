#!/bin/bash
# Two semaphores, each side waiting for the other to post first: no thread can ever post either
# (exit 3). The look-alike: a kicker posts s_req after a timed sleep (exit 0).
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
H='\(0x[0-9a-f]+\)'
dl_text() {
    local c s m
    c=$(dl_thread_re client "$2") && s=$(dl_thread_re server "$2") && m=$(dl_thread_re "sem_$3" "$2") || { fail "threads"; return 1; }
    expect_line '^DEADLOCK in process [0-9]+: 3 threads blocked forever \(of 3\)$' "$1"
    expect_line '^all threads are asleep - deadlock! \(no thread of process [0-9]+ can ever run again\)$' "$1"
    expect_lines "$1" '^semaphore no thread can post:$' "^  $c waits for semaphore s_resp $H, value 0, 1 waiter\$" \
        '^      in client at sem\.c:[0-9]+$' '^    no thread can ever post s_resp: every other thread of the process is blocked forever$'
    expect_lines "$1" '^semaphore no thread can post:$' "^  $s waits for semaphore s_req $H, value 0, 1 waiter\$" \
        '^      in server at sem\.c:[0-9]+$' '^    no thread can ever post s_req: every other thread of the process is blocked forever$'
    expect_lines "$1" "^  $m waits for the exit of $c \\(pthread_join\\)\$" '^      in main at sem\.c:[0-9]+$' \
        "^    \\(which leads to $c, waiting forever on semaphore s_resp\\)\$"
    dl_stopped "$1" "$2" 3
}
dl_json_check() {
    dl_py "$1" 'd["deadlock"] is True and d["all_asleep"] is True and d["warnings"] == []' "proven $2 $3"
    dl_py "$1" "sorted((f['tid'], f['symbol'], f['value'], f['waiters'], f['holds']) for f in d['findings'] if f['kind'] == 'semaphore-forever') == sorted([($(dl_tid client), 's_resp', 0, 1, []), ($(dl_tid server), 's_req', 0, 1, [])])" "semaphore-forever findings $2 $3"
    dl_json_stopped "$1" "$2"
}
dl_case sem 3

dl_text() {
    expect_line '^no deadlock in process [0-9]+: 4 threads, 1 waiting for a lock or a thread, none blocked forever$' "$1"
    expect_no_line '^all threads are asleep|^warning:' "$1"
}
dl_json_check() {
    dl_py "$1" 'd["deadlock"] is False and d["all_asleep"] is False and d["findings"] == [] and d["warnings"] == []' "not proven $2 $3"
}
dl_case sem 0 timed
td_finish
