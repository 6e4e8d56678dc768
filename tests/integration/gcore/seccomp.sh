#!/bin/bash
# A process under a seccomp filter that kills (or fails) clone and memfd_create, as systemd's
# SystemCallFilter= leaves a service: gcore reads the filter and runs it before injecting the
# snapshot's clone, so the clone is never made; the core is copied while the threads are held,
# gdb reads it, and the process lives on to its normal end. The control (no filter) still gets a
# snapshot. Then a process killed while gcore holds it and copies its memory: exit 1, one line,
# no file.
. "$(dirname "$0")/../lib.sh"
TD_NAME=gcore_seccomp
need_tool gdb "reading the core back"
SB=$(td_bin seccomp_sandboxed) || exit 1

# sb_end PID: SIGUSR1, then the program's "normal end" and its exit status 0
_has_line() { grep -qx "$1" "$2"; }
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

for mode in kill errno "kill stacked" none; do
    td_start "$SB" $mode
    seccomp=$(awk '/^Seccomp:/ { print $2 }' "/proc/$TD_PID/status")
    [ "$seccomp" = "$([ "$mode" = none ] && echo 0 || echo 2)" ] && pass "$mode: Seccomp: $seccomp" ||
        fail "$mode: Seccomp: $seccomp"
    core=$TD_TMP/core.${mode// /_}
    td_cdbg out gcore -o "$core" "$TD_PID"
    expect_status 0 "$mode: gcore"
    case $mode in
    kill*) what='kill it on clone \(SECCOMP_RET_KILL_PROCESS\)' ;;
    errno) what='fail with EPERM on clone \(SECCOMP_RET_ERRNO\)' ;;
    esac
    if [ "$mode" = none ]; then
        expect_line "^gcore: process $TD_PID paused .* \(registers and a copy-on-write snapshot\)" "$out.err"
        expect_no_line 'no snapshot' "$out.err"
    else
        expect_line "^gcore: no snapshot \(the seccomp filter of process $TD_PID would $what: nothing was run in it\): memory was copied while the threads were held$" "$out.err"
        expect_line "^gcore: process $TD_PID paused .* \(held while its memory was copied\)" "$out.err"
    fi
    check_untraced "$TD_PID"
    gdb -batch -ex 'bt' -ex 'print mu.__data.__lock' -ex 'print ticks >= 0' "$SB" "$core" >"$TD_TMP/gdb.out" 2>&1
    expect_line '^#[0-9]+ +0x[0-9a-f]+ in main \(argc=[23], argv=' "$TD_TMP/gdb.out"
    expect_line '^\$2 = 1$' "$TD_TMP/gdb.out"
    sb_end "$TD_PID" "$mode"
done

# killed while gcore copies its memory (held: the seccomp fallback): cdbg stops itself mid-copy
# (CDBG_TEST_GCORE_STALL), the test kills the process and waits until it is a zombie, then lets
# cdbg go on
_state() { [ "$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null)" = "$2" ]; }
td_start "$SB" kill
victim=$TD_PID
CDBG_TEST_GCORE_STALL=1 "$CDBG" gcore -o "$TD_TMP/core.killed" "$victim" >"$TD_TMP/killed.out" 2>"$TD_TMP/killed.err" &
c=$!
TD_PIDS+=("$c")
_stalled() { _state "$1" T || ! _td_running "$1"; } # or ended: then the checks below say how
td_wait_for "cdbg to stop itself mid-copy" _stalled "$c"
kill -KILL "$victim"
td_wait_for "the process to be a zombie" _state "$victim" Z
kill -CONT "$c"
wait "$c"
rc=$?
[ "$rc" = 1 ] && pass "killed: gcore exit status 1" || fail "killed: gcore exit status $rc"
expect_exact_str "$TD_TMP/killed.err" \
    "cdbg: cannot write a core of process $victim: the process ended while its memory was being copied; no core was written"
[ ! -e "$TD_TMP/core.killed" ] && pass "killed: no core file" || fail "killed: a core file was left"
td_finish
