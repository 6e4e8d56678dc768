#!/bin/bash
# read(2), recv(2) or poll(2) on a unix socketpair nobody can ever write: the reader holds log_mu
# while it reads one end, the only other end is in this process and its writer waits for log_mu,
# main joins the reader (exit 3, the socketpair named by its inode with its fds); stream and
# datagram. The look-alikes (exit 0, a warning each, saying why): a running child process also holds
# the other end; a byte is already queued (an edge-triggered epoll_wait that took its edge); the
# reader's socket is bound to a name; the other end is in flight (SCM_RIGHTS) and in no fd table;
# the socket has a receive timeout. A core records no sockets: the hang there is not proven, and the
# report says why.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
H='\(0x[0-9a-f]+\)'
MODE=
# sock_ino PID FD: the inode of the socket FD of PID, from /proc (the truth the report is checked against)
sock_ino() {
    local l
    l=$(readlink "/proc/$1/fd/$2") && [[ $l == socket:\[*\] ]] || { echo "fd $2 of $1 is '$l', not a socket" >&2; return 1; }
    l=${l#socket:[}
    echo "${l%]}"
}
# inflight_peer: the inode of the end the inflight program sent away and closed (it says so on stderr),
# provided no fd of the process has it
inflight_peer() {
    local ino
    ino=$(sed -n 's/^in flight: socket:\[\([0-9]*\)\]$/\1/p' "$TD_TMP"/proc.*/err | tail -1)
    if [ -z "$ino" ] || ls -l "/proc/$DL_PID/fd" | grep -q "socket:\\[$ino\\]"; then echo "UNKNOWN"; else echo "$ino"; fi
}
call_of() { case $MODE in poll) echo poll ;; recv) echo recvfrom ;; *) echo read ;; esac; }
dl_text() {
    local r w m ino peer call
    call=$(call_of)
    r=$(dl_thread_re reader "$2") && w=$(dl_thread_re writer "$2") && m=$(dl_thread_re "sockpair_$3" "$2") || { fail "threads"; return 1; }
    if [ "$2" = core ]; then
        expect_line '^no deadlock in process [0-9]+: 3 threads, 2 waiting for a lock or a thread, none blocked forever$' "$1"
        if [ "$MODE" = poll ]; then
            expect_line "^note: thread $(dl_tid reader) \"[^\"]*\" blocks in poll\\(2\\); a core does not record which fds it waits on or who could write to them, so no wait on them is proven\$" "$1"
        else
            expect_line "^note: thread $(dl_tid reader) \"[^\"]*\" blocks in $call\\(2\\) on fd 3; a core does not record what fd 3 was or which threads or processes could write to it, so no wait on it is proven\$" "$1"
        fi
        return
    fi
    ino=$(sock_ino "$DL_PID" 3) && peer=$(sock_ino "$DL_PID" 4) || { fail "fds"; return 1; }
    expect_line '^DEADLOCK in process [0-9]+: 3 threads blocked forever \(of 3\)$' "$1"
    expect_line '^all threads are asleep - deadlock! \(no thread of process [0-9]+ can ever run again\)$' "$1"
    expect_lines "$1" '^read no thread can ever satisfy:$' \
        "^  $r waits for socketpair:\\[$ino\\] \\($call on fd 3; its other end socket:\\[$peer\\] in this process: fd 4\\)\$" \
        '^      in reader at sockpair\.c:[0-9]+$' \
        "^    it holds mutex log_mu $H, which $w waits for\$" \
        "^    no thread can ever write to the socketpair: only this process holds its other end socket:\\[$peer\\], and every other thread of the process is blocked forever\$"
    dl_edge "$1" "$2" writer 'mutex log_mu' reader '' '^      in writer at sockpair\.c:[0-9]+$'
    expect_lines "$1" "^  $m waits for the exit of $r \\(pthread_join\\)\$" '^      in main at sockpair\.c:[0-9]+$' \
        "^    \\(which leads to $r, reading socketpair:\\[$ino\\] forever\\)\$"
    dl_stopped "$1" "$2" 3
}
dl_json_check() {
    if [ "$2" = core ]; then
        dl_py "$1" 'd["deadlock"] is False and d["findings"] == [] and "a core does not record" in d["note"]' "core: not proven $MODE $3"
        return
    fi
    local r w ino peer
    r=$(dl_tid reader) && w=$(dl_tid writer) || { fail "threads"; return 1; }
    ino=$(sock_ino "$DL_PID" 3) && peer=$(sock_ino "$DL_PID" 4) || { fail "fds"; return 1; }
    dl_py "$1" 'd["deadlock"] is True and d["all_asleep"] is True and d["warnings"] == []' "proven $MODE $2 $3"
    dl_py "$1" "[(f['tid'], f['wait_kind'], f['fd'], f['writer_fds'], f['inode'], f['peer_inode'], int(f['addr'], 16), [(h['symbol'], h['wanted_by']) for h in f['holds']]) for f in d['findings'] if f['kind'] == 'read-forever'] == [($r, 'socketpair', 3, [4], $ino, $peer, $ino, [('log_mu', $w)])]" \
        "read-forever finding on the socketpair $MODE $2 $3"
}
run_hang() {
    local v core
    for v in O0 O2; do
        td_start "sockpair_$v" $MODE
        dl_one live "$v" 3 "$TD_PID"
        check_untraced "$TD_PID"
        td_stop "$TD_PID"
    done
    core=$(make_core_of sockpair_O2 $MODE) || { fail "no core of sockpair_O2 $MODE"; return; }
    dl_one core O2 0 "$(td_bin sockpair_O2)" "$core"
}
run_hang
MODE=dgram run_hang
MODE=recv run_hang
MODE=poll run_hang

# The look-alikes: LOOK MODE CALL OBJ WHY_RE. The reader's wait is not proven: no finding, one
# warning naming the socket (socketpair:[N] or socket:[N], N the inode of fd 3) and why.
look() {
    local mode=$1 call=$2 obj=$3 why=$4 v=${5:-O2}
    dl_text() {
        local r w ino
        r=$(dl_thread_re reader "$2") && w=$(dl_thread_re writer "$2") || { fail "threads"; return 1; }
        ino=$(sock_ino "$DL_PID" 3) || { fail "fd 3"; return 1; }
        expect_line '^no deadlock in process [0-9]+: 3 threads, 2 waiting for a lock or a thread, none blocked forever$' "$1"
        expect_line "^warning: $r waits on $obj:\\[$ino\\] \\($call on fd 3\\) while it holds mutex log_mu, which $w waits for; not proven a deadlock: $(eval echo "\"$why\"")\$" "$1"
    }
    dl_json_check() {
        dl_py "$1" 'd["deadlock"] is False and d["findings"] == [] and len(d["warnings"]) == 1' "$mode: not proven, one warning ($3)"
    }
    td_start "sockpair_$v" "$mode"
    dl_one live "$v" 0 "$TD_PID"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
}
# a running child process holds the other end too
look child read socketpair 'process $(pgrep -P "$DL_PID" | head -1) holds a writable end \\(the other end of the socketpair\\)' O0
# a byte is queued; the edge-triggered epoll_wait already took its edge
look queued epoll_wait socketpair '1 byte is already queued to it: the wait may end'
# bound to an abstract name: anyone may send to it
look named read socket 'it is bound to a name: any process may connect or send to it'
# the other end was sent with SCM_RIGHTS and closed: in no fd table, the writer would receive it
# (its inode, which no fd of the process has, is the one the carrier socketpair's peer was)
look inflight read socketpair 'its other end socket:\\[$(inflight_peer)\\] is in no fd table cdbg can see \\(it may be in flight\\)'
# SO_RCVTIMEO: the read gives up
look timeo read socketpair 'its wait has a timeout'
td_finish
