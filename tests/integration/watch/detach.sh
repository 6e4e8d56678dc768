#!/bin/bash
# Leaving a process with a watchpoint in the debug registers: after `detach` (and after quit, or
# SIGTERM at the prompt) the program writes the watched variable 100000 times more and exits 0: a
# debug register left behind would kill it with SIGTRAP at its next write.
. "$SRCROOT/tests/integration/lib.sh"

# how: detach | quit | sigterm
leave() {
    local how=$1 fifo=$TD_TMP/fifo.$1
    mkfifo "$fifo" || exit 1
    td_start watch_O0 "$fifo"
    local pid=$TD_PID prog_out
    prog_out=$(ls "$TD_TMP"/proc.*/out | tail -n 1) # td_start's: the newest
    repl_start attach "$pid"
    repl_send 'watch counter' continue
    repl_wait '^Hardware watchpoint 1: counter$' "$R_OUT" || return
    # the program waits for a line on the FIFO; opening it blocks until the program opens it too,
    # which it does once `continue` resumed it
    exec {w}>"$fifo"
    echo go >&$w
    exec {w}>&-
    repl_wait '^New value = 1$' "$R_OUT" || return
    case $how in
    detach)
        repl_send detach
        repl_wait "^Detached from process $pid\$" "$R_OUT"
        ;;
    quit) repl_send quit ;;
    sigterm) kill -TERM "$R_PID" ;;
    esac
    # the program runs on by itself: counted to the end, exit status 0
    wait "$pid"
    local rc=$?
    [ "$rc" = 0 ] && pass "$how: the program exited 0" ||
        fail "$how: the program exited with status $rc$([ "$rc" -gt 128 ] && echo " (signal $(kill -l "$rc"))") after cdbg left it"
    expect_line '^counted 100000$' "$prog_out"
    repl_end
}

leave detach
expect_status 0 "cdbg after detach"
leave quit
leave sigterm
td_finish
