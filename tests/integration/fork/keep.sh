#!/bin/bash
# config detach-on-fork off: the child is kept as inferior 2, held while the parent runs;
# `inferiors` lists both, `inferior 2` switches, `bt` there is the child's stack, `continue` runs
# the child alone (the parent stays stopped). Quitting detaches both (an attached program): no
# process is left traced or stopped, and both finish as if cdbg had never been there (the child
# exits 0, the parent reports it and exits 0). Also when the kept child was never resumed.
. "$(dirname "$0")/fork_lib.sh"

# one session: NAME, how cdbg leaves (quit, or SIGTERM: the emergency cleanup, which must know
# every process), then the commands to run in it after the fork's stop
session() {
    local name=$1 leave=$2
    shift 2
    local rep=$TD_TMP/$name.report g1=$TD_TMP/$name.gate1 g2=$TD_TMP/$name.gate2
    mkfifo "$g1" "$g2"
    td_start "$FORKS" gated-fork "$rep" "$g1" "$g2"
    local parent=$TD_PID
    repl_start attach "$parent"
    repl_send 'config detach-on-fork off' 'break shared_work' continue
    repl_wait '^Attached to process' "$R_OUT"
    printf x >"$g1" # let it fork
    repl_wait '^Breakpoint 1, hit 1 time' "$R_OUT"
    child=$(sed -nE 's/^\[New inferior 2 \(process ([0-9]+)\)\]$/\1/p' "$R_OUT")
    [ -n "$child" ] || fail "$name: no new inferior in $(cat "$R_OUT")"
    expect_line "^Breakpoint 1, hit 1 time, thread tid $parent\$" "$R_OUT"
    repl_send "$@" 'print 424242'
    repl_wait ' = 424242$' "$R_OUT"
    # while cdbg runs: both processes are its own
    [ "$(tracer "$parent")" = "$R_PID" ] && [ "$(tracer "$child")" = "$R_PID" ] &&
        pass "$name: both traced by cdbg" ||
        fail "$name: TracerPid parent $(tracer "$parent") child $(tracer "$child"), cdbg is $R_PID"
    if [ "$leave" = quit ]; then
        repl_send quit
        repl_end
        expect_status 0 "$name: quit"
    else
        kill -TERM "$R_PID"
        repl_end
        expect_status $((128 + 15)) "$name: SIGTERM"
    fi
    # after: both run free (the child waits at its second gate, the parent for the child)
    check_untraced "$parent"
    check_untraced "$child"
    # opened read-write: never blocks, and the byte waits in the pipe for the child (if it lives)
    local gfd st=none
    exec {gfd}<>"$g2"
    printf x >&"$gfd"
    td_wait_for "$name: the parent $parent to exit" repl_exited "$parent" && { wait "$parent"; st=$?; }
    exec {gfd}>&-
    [ "$st" = 0 ] && pass "$name: the parent exited 0" || fail "$name: the parent exited with status $st"
    expect_exact_str "$rep" "parent $parent: child $child exited with status 0"
    # the attach banner and where it found the program (in libc) left out; frames in libc (the
    # fork's own) as one "(libc)" line, so that the check does not depend on the C library's build
    norm "$R_OUT" "$parent=P" "$child=C" | grep -v ' = 424242$' | sed -n '/^Breakpoint 1 at /,$p' |
        sed -E '/ at forks\.c:[0-9]+$/!s/^#[0-9]+ .*/#N (libc)/; s/^#[0-9]+ +/#N /; /^=> [0-9]+\t/d; /^[0-9]+\t.*: No such file or directory\.$/d' | uniq >"$TD_TMP/$name.got"
}

session keep quit inferiors 'inferior 2' bt continue 'print who' 'bt 2' inferiors
expect_exact_str "$TD_TMP/keep.got" 'Breakpoint 1 at ADDR: shared_work at forks.c:21
[New inferior 2 (process C)]
Breakpoint 1, hit 1 time, thread tid P
#N ADDR in shared_work at forks.c:21
=> 21        sink = who;
 Num PID State Executable
* 1 P stopped TESTDATA/forks_O0
 2 C stopped TESTDATA/forks_O0
[Switching to inferior 2 [process C] (TESTDATA/forks_O0)]
#N (libc)
#N ADDR in main at forks.c:75
#N (libc)
Breakpoint 1, hit 1 time, thread tid C
#N ADDR in shared_work at forks.c:21
=> 21        sink = who;
$1 = 1
#N ADDR in shared_work at forks.c:21
#N ADDR in main at forks.c:79
(More stack frames follow...)
 Num PID State Executable
 1 P stopped TESTDATA/forks_O0
* 2 C stopped TESTDATA/forks_O0'

# the kept child never resumed: held at its first stop when cdbg leaves
session never quit inferiors
expect_exact_str "$TD_TMP/never.got" 'Breakpoint 1 at ADDR: shared_work at forks.c:21
[New inferior 2 (process C)]
Breakpoint 1, hit 1 time, thread tid P
#N ADDR in shared_work at forks.c:21
=> 21        sink = who;
 Num PID State Executable
* 1 P stopped TESTDATA/forks_O0
 2 C stopped TESTDATA/forks_O0'
# cdbg killed (SIGTERM) with the child at its breakpoint and the parent at its own: both let go
session term term 'inferior 2' continue
expect_line '^Breakpoint 1, hit 1 time, thread tid C$' "$TD_TMP/term.got"
td_finish
