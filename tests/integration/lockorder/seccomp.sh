#!/bin/bash
# lockorder on a process under a seccomp filter that kills (or fails) clone and memfd_create, as
# systemd's SystemCallFilter= leaves a service: the inline backend's memfd_create is refused before
# anything is injected (the filter read and run by cdbg), the recording goes through uprobes with
# the reason on stderr, the locks are recorded, and the process lives on to its normal end (the
# recording ends with it). The control (no filter) records inline.
. "$(dirname "$0")/../lib.sh"
TD_NAME=lockorder_seccomp
SB=$(td_bin seccomp_sandboxed) || exit 1
_has_line() { grep -qx "$1" "$2"; }
_recording() { grep -q '^cdbg: lockorder: recording the lock operations' "$1" 2>/dev/null; }

for mode in kill errno none; do
    td_start "$SB" $mode
    pid=$TD_PID
    outf=$(readlink "/proc/$pid/fd/1")
    case $mode in
    kill) what='kill it on memfd_create \(SECCOMP_RET_KILL_PROCESS\)' ;;
    errno) what='fail with EPERM on memfd_create \(SECCOMP_RET_ERRNO\)' ;;
    esac
    "$CDBG" lockorder -p "$pid" >"$TD_TMP/$mode.out" 2>"$TD_TMP/$mode.err" &
    c=$!
    TD_PIDS+=("$c")
    td_wait_for "$mode: lockorder to record" _recording "$TD_TMP/$mode.err"
    # the program takes its lock once more after SIGUSR1, then ends: the recording ends with it
    if ! _td_running "$pid"; then
        wait "$pid"
        fail "$mode: the process is gone (status $?) before it was told to end"
        continue
    fi
    kill -USR1 "$pid"
    td_wait_for "$mode: 'normal end'" _has_line "normal end" "$outf"
    wait "$pid"
    rc=$?
    [ "$rc" = 0 ] && pass "$mode: the process reached its normal end" || fail "$mode: the process ended with status $rc"
    wait "$c"
    rc=$?
    [ "$rc" = 0 ] && pass "$mode: lockorder exit status 0" || fail "$mode: lockorder exit status $rc"
    expect_line "^no lock-order inversion: 1 lock, 0 order edges, 1 thread$" "$TD_TMP/$mode.out"
    if [ "$mode" = none ]; then
        expect_no_line 'through kernel uprobes' "$TD_TMP/$mode.err"
    else
        expect_line "^cdbg: lockorder: through kernel uprobes \(slower\): the seccomp filter of process $pid would $what: nothing was run in it$" "$TD_TMP/$mode.err"
    fi
done
td_finish
