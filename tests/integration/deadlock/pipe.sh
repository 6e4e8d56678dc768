#!/bin/bash
# read(2) nobody can ever satisfy: the reader holds log_mu while it reads a pipe (or an eventfd)
# whose only writable end is in this process, the writer waits for log_mu, main joins the reader
# (exit 3); the same when the reader waits in poll(2) or epoll_wait(2) first, or while the process
# holds an idle unix socketpair (nothing queued on it: no end in flight). The look-alikes: a child
# process also holds the write end; the poll has a timeout; a copy of the write end is in flight
# over a unix socketpair (SCM_RIGHTS) (exit 0, a warning each). A core records no fd tables: the same hang there is not proven, and the report says why.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
H='\(0x[0-9a-f]+\)'
MODE=
dl_text() {
    local r w m obj lead
    r=$(dl_thread_re reader "$2") && w=$(dl_thread_re writer "$2") && m=$(dl_thread_re "pipe_$3" "$2") || { fail "threads"; return 1; }
    if [ "$2" = core ]; then
        expect_line '^no deadlock in process [0-9]+: 3 threads, 2 waiting for a lock or a thread, none blocked forever$' "$1"
        case $MODE in
        poll | epoll)
            expect_line "^note: thread $(dl_tid reader) \"[^\"]*\" blocks in $([ "$MODE" = poll ] && echo poll || echo epoll_wait)\\(2\\); a core does not record which fds it waits on or who could write to them, so no wait on them is proven\$" "$1" ;;
        *)
            expect_line "^note: thread $(dl_tid reader) \"[^\"]*\" blocks in read\\(2\\) on fd 3; a core does not record what fd 3 was or which threads or processes could write to it, so no wait on it is proven\$" "$1" ;;
        esac
        return
    fi
    # the fds the program holds are the truth the report is checked against
    local rfd=3 wfd=4 ino call=read
    case $MODE in poll) call=poll ;; epoll) call=epoll_wait ;; esac
    ino=$(readlink "/proc/$DL_PID/fd/$rfd")
    if [ "$MODE" = eventfd ]; then
        wfd=3
        [ "$ino" = "anon_inode:[eventfd]" ] || fail "fd 3 is $ino"
        obj="eventfd \\($call on fd $rfd, eventfd-id [0-9a-f]+; writable ends in this process: fd $wfd\\)"
        lead="reading an eventfd forever"
    else
        [[ $ino == pipe:\[*\] ]] || fail "fd 3 is $ino"
        ino=${ino#pipe:[}; ino=${ino%]}
        obj="pipe:\\[$ino\\] \\($call on fd $rfd; writable ends in this process: fd $wfd\\)"
        lead="reading pipe:\\[$ino\\] forever"
    fi
    expect_line '^DEADLOCK in process [0-9]+: 3 threads blocked forever \(of 3\)$' "$1"
    expect_line '^all threads are asleep - deadlock! \(no thread of process [0-9]+ can ever run again\)$' "$1"
    expect_lines "$1" '^read no thread can ever satisfy:$' "^  $r waits for $obj\$" '^      in reader at pipe\.c:[0-9]+$' \
        "^    it holds mutex log_mu $H, which $w waits for\$" \
        "^    no thread can ever write the $([ "$MODE" = eventfd ] && echo eventfd || echo pipe): only this process holds its writable end, and every other thread of the process is blocked forever\$"
    dl_edge "$1" "$2" writer 'mutex log_mu' reader '' '^      in writer at pipe\.c:[0-9]+$'
    expect_lines "$1" "^  $m waits for the exit of $r \\(pthread_join\\)\$" '^      in main at pipe\.c:[0-9]+$' "^    \\(which leads to $r, $lead\\)\$"
    dl_stopped "$1" "$2" 3
}
dl_json_check() {
    if [ "$2" = core ]; then
        dl_py "$1" 'd["deadlock"] is False and d["findings"] == [] and "a core does not record" in d["note"]' "core: not proven $3"
        return
    fi
    local r w wfd=4 k=pipe
    [ "$MODE" = eventfd ] && wfd=3 k=eventfd
    r=$(dl_tid reader) && w=$(dl_tid writer) || { fail "threads"; return 1; }
    dl_py "$1" 'd["deadlock"] is True and d["all_asleep"] is True and d["warnings"] == []' "proven $2 $3"
    dl_py "$1" "[(f['tid'], f['wait_kind'], f['fd'], f['writer_fds'], [(h['symbol'], h['wanted_by']) for h in f['holds']]) for f in d['findings'] if f['kind'] == 'read-forever'] == [($r, '$k', 3, [$wfd], [('log_mu', $w)])]" "read-forever finding $2 $3"
}
run_pipe() {
    local v core
    for v in O0 O2; do
        td_start "pipe_$v" $MODE
        dl_one live "$v" 3 "$TD_PID"
        check_untraced "$TD_PID"
        td_stop "$TD_PID"
    done
    core=$(make_core_of pipe_O2 $MODE) || { fail "no core of pipe_O2"; return; }
    dl_one core O2 0 "$(td_bin pipe_O2)" "$core"
}
run_pipe
MODE=eventfd run_pipe
MODE=poll run_pipe
MODE=epoll run_pipe
# an idle unix socketpair is held: nothing is queued on it, so no end can be in flight
MODE=sockidle run_pipe

# the look-alike: a child process holds the write end too
dl_text() {
    local r w
    r=$(dl_thread_re reader "$2") && w=$(dl_thread_re writer "$2") || { fail "threads"; return 1; }
    local child
    child=$(pgrep -P "$DL_PID" | head -1)
    [ -n "$child" ] || { fail "no child of $DL_PID"; return 1; }
    expect_line '^no deadlock in process [0-9]+: 3 threads, 2 waiting for a lock or a thread, none blocked forever$' "$1"
    expect_line "^warning: $r waits on pipe:\\[[0-9]+\\] \\(read on fd 3\\) while it holds mutex log_mu, which $w waits for; not proven a deadlock: process $child holds a writable end\$" "$1"
}
dl_json_check() {
    dl_py "$1" 'd["deadlock"] is False and d["findings"] == [] and len(d["warnings"]) == 1 and "holds a writable end" in d["warnings"][0]' "child writer: not proven $3"
}
for v in O0 O2; do
    td_start "pipe_$v" child
    dl_one live "$v" 0 "$TD_PID"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
done

# the look-alike: the poll gives up after an hour
dl_text() {
    local r w
    r=$(dl_thread_re reader "$2") && w=$(dl_thread_re writer "$2") || { fail "threads"; return 1; }
    expect_line '^no deadlock in process [0-9]+: 3 threads, 2 waiting for a lock or a thread, none blocked forever$' "$1"
    expect_line "^warning: $r waits on pipe:\\[[0-9]+\\] \\(poll on fd 3\\) while it holds mutex log_mu, which $w waits for; not proven a deadlock: its wait has a timeout\$" "$1"
}
dl_json_check() {
    dl_py "$1" 'd["deadlock"] is False and d["findings"] == [] and len(d["warnings"]) == 1 and "has a timeout" in d["warnings"][0]' "timed poll: not proven $3"
}
td_start pipe_O2 polltimed
dl_one live O2 0 "$TD_PID"
td_stop "$TD_PID"

# the look-alike: the process holds a unix socket (a write end may be in flight over it)
dl_text() {
    local r w
    r=$(dl_thread_re reader "$2") && w=$(dl_thread_re writer "$2") || { fail "threads"; return 1; }
    expect_line '^no deadlock in process [0-9]+: 3 threads, 2 waiting for a lock or a thread, none blocked forever$' "$1"
    expect_line "^warning: $r waits on pipe:\\[[0-9]+\\] \\(read on fd 3\\) while it holds mutex log_mu, which $w waits for; not proven a deadlock: the process holds a socket, over which an end may be in flight\$" "$1"
}
dl_json_check() {
    dl_py "$1" 'd["deadlock"] is False and d["findings"] == [] and len(d["warnings"]) == 1 and "in flight" in d["warnings"][0]' "socket held: not proven $3"
}
td_start pipe_O0 socket
dl_one live O0 0 "$TD_PID"
td_stop "$TD_PID"

# the look-alike: the pipe is a named FIFO (any process may open it and write); its wait is listed
# in the JSON's other_waits with why it is not proven
FIFO=$TD_TMP/fifo
dl_text() {
    local r w
    r=$(dl_thread_re reader "$2") && w=$(dl_thread_re writer "$2") || { fail "threads"; return 1; }
    expect_line '^no deadlock in process [0-9]+: 3 threads, 2 waiting for a lock or a thread, none blocked forever$' "$1"
    expect_line "^warning: $r waits on pipe:\\[[0-9]+\\] \\(read on fd 3\\) while it holds mutex log_mu, which $w waits for; not proven a deadlock: it is the named FIFO $FIFO: any process may open it and write\$" "$1"
}
dl_json_check() {
    local r
    r=$(dl_tid reader) || { fail "threads"; return 1; }
    dl_py "$1" 'd["deadlock"] is False and d["findings"] == [] and len(d["warnings"]) == 1 and "named FIFO" in d["warnings"][0]' "named FIFO: not proven $3"
    dl_py "$1" "[(o['tid'], o['waits_for']['kind'], o['waits_for']['fd'], o['waits_for']['call'], o['waits_for']['not_proven']) for o in d['other_waits']] == [($r, 'pipe', 3, 'read', 'it is the named FIFO $FIFO: any process may open it and write')]" "named FIFO: other_waits $3"
}
for v in O0 O2; do
    rm -f "$FIFO"
    td_start "pipe_$v" fifo "$FIFO"
    dl_one live "$v" 0 "$TD_PID"
    td_stop "$TD_PID"
done
td_finish
