#!/bin/bash
# trace on a process under a seccomp filter that kills (or fails) clone and memfd_create, as
# systemd's SystemCallFilter= leaves a service. The inline backend's set-up injects mmap and
# memfd_create: the filter is read and run first, so memfd_create is never made; --backend auto
# says why on stderr and the uprobe backend takes the probe, hits logged; --backend inline fails
# with that one line (exit 1). Each time the process lives on to its normal end. The control (no
# filter) stays inline.
. "$SRCROOT/tests/integration/lib.sh"
TD_NAME=trace_seccomp
SB=$(td_bin seccomp_sandboxed) || exit 1

_has_line() { grep -qx "$1" "$2"; }
# sb_end PID WHAT: SIGUSR1, then the program's "normal end" and its exit status 0
sb_end() {
    local outf rc
    if ! _td_running "$1"; then
        wait "$1"
        fail "$2: the process is gone (status $?) before it was told to end"
        return 1
    fi
    outf=$(readlink "/proc/$1/fd/1")
    kill -USR1 "$1"
    td_wait_for "'normal end' of $1" _has_line "normal end" "$outf"
    wait "$1"
    rc=$?
    [ "$rc" = 0 ] && pass "$2: the process reached its normal end" || fail "$2: the process ended with status $rc: $(tail -3 "$outf")"
}

for mode in kill errno none; do
    td_start "$SB" $mode
    case $mode in
    kill) what='kill it on memfd_create \(SECCOMP_RET_KILL_PROCESS\)' ;;
    errno) what='fail with EPERM on memfd_create \(SECCOMP_RET_ERRNO\)' ;;
    esac
    td_cdbg out trace --max-hits 5 '^tick$' -p "$TD_PID"
    expect_status 0 "$mode: trace auto"
    [ "$(grep -cE '^> tick\(i=[0-9]+\) sandboxed\.c:[0-9]+ \[tid [0-9]+\]$' "$out")" = 5 ] && pass "$mode: 5 hits" ||
        { fail "$mode: not 5 hits"; td_show "$out"; td_show "$out.err"; }
    if [ "$mode" = none ]; then
        expect_line "^cdbg: trace: 1 tracepoint in process $TD_PID: tick \(inline\)" "$out.err"
        expect_no_line 'inline backend cannot be used' "$out.err"
    else
        expect_line "^cdbg: trace: the inline backend cannot be used: the seccomp filter of process $TD_PID would $what: nothing was run in it; the uprobe backend took its probes$" "$out.err"
        expect_line "^cdbg: trace: 1 tracepoint in process $TD_PID: tick \(uprobe\)" "$out.err"
        td_cdbg out trace --backend inline --max-hits 5 '^tick$' -p "$TD_PID"
        expect_status 1 "$mode: trace --backend inline"
        expect_exact_str "$out.err" "cdbg: trace: the seccomp filter of process $TD_PID would $(sed 's/\\//g' <<<"$what"): nothing was run in it; --backend uprobe traces it without running anything in it"
        expect_empty "$out"
    fi
    check_untraced "$TD_PID"
    sb_end "$TD_PID" "$mode"
done
td_finish
