#!/bin/bash
# Signals sent to cdbg: SIGTERM and SIGHUP end it but the attached target is left running and
# untraced (a launched one is killed, never left stopped); SIGINT never ends it: at the prompt it
# is ignored, while the target runs (`continue`) it stops the target.
. "$SRCROOT/tests/integration/lib.sh"
trap '' PIPE # writing to a REPL that already exited must not end the test

# repl_start / repl_send / repl_wait: see lib.sh.
# all_threads_in STATES PID: every thread of PID is in one of the /proc state letters STATES.
all_threads_in() {
    local st
    for st in /proc/"$2"/task/*/status; do
        grep -Eq "^State:[[:space:]]*[$1]" "$st" 2>/dev/null || return 1
    done
    return 0
}
# not_stopped_orphan PID: a launched program after cdbg died: gone, or dying, never stopped.
not_stopped_orphan() {
    local deadline=$((SECONDS + TD_WAIT_TIMEOUT))
    while [ -d "/proc/$1" ] && ! all_threads_in 'ZX' "$1"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "launched program $1 survived cdbg: $(grep -h '^State' /proc/"$1"/task/*/status | sort | uniq -c | tr '\n' ' ')"
            kill -KILL "$1" 2>/dev/null
            return 1
        fi
        sleep 0.02
    done
    pass "launched program $1 did not survive cdbg"
}

td_start threads_O0
target=$TD_PID

# SIGTERM and SIGHUP at the prompt: cdbg dies of the signal, the target runs on untraced.
for sig in TERM HUP; do
    repl_start attach "$target"
    repl_send threads
    repl_wait '^\* +1 +[0-9]+ ' "$R_OUT"
    kill -"$sig" "$R_PID"
    repl_end
    num=$(kill -l "$sig")
    expect_status $((128 + num)) "SIG$sig"
    expect_line '^cdbg: terminated by a signal; the target was released' "$R_OUT.err"
    check_untraced "$target"
done

# SIGTERM in the middle of a command (the target held, the unwinder at work), and while the
# threads are being seized: whatever cdbg was doing, the target is released.
for cmd in 'bt all' 'bt all -group' threads; do
    repl_start attach "$target"
    repl_send threads
    repl_wait '^\* +1 +[0-9]+ ' "$R_OUT"
    repl_send "$cmd"
    kill -TERM "$R_PID"
    repl_end
    [ "$TD_RC" -eq 143 ] && pass "SIGTERM during $cmd" || fail "SIGTERM during $cmd: status $TD_RC"
    check_untraced "$target"
done
# some_traced_by PID TRACER / all_held_by PID TRACER: one thread / every thread of PID is traced by
# TRACER (and, for all_held_by, in a tracing stop).
some_traced_by() {
    grep -qs "^TracerPid:[[:space:]]*$2\$" /proc/"$1"/task/*/status
}
all_held_by() {
    local st
    for st in /proc/"$1"/task/*/status; do
        grep -qs "^TracerPid:[[:space:]]*$2\$" "$st" && grep -qs '^State:[[:space:]]*t' "$st" || return 1
    done
    return 0
}
# is_cdbg PID: PID runs the cdbg binary (the shell that starts it has exec'd it; a signal sent
# before that would hit the shell, which swallows it while it runs its TERM trap).
is_cdbg() {
    [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$(readlink -f "$CDBG")" ]
}
# SIGTERM during the attach, at states seen from outside (no sleep decides where it lands): as
# soon as cdbg runs, once a first thread is seized, once every thread is held, once cdbg said it is
# attached.
for at in exec seized held attached; do
    repl_start attach "$target"
    td_wait_for "cdbg to start" is_cdbg "$R_PID"
    case $at in
    seized) td_wait_for "cdbg to seize a thread of $target" some_traced_by "$target" "$R_PID" ;;
    held) td_wait_for "cdbg to hold every thread of $target" all_held_by "$target" "$R_PID" ;;
    attached) repl_wait '^Attached to process ' "$R_OUT" ;;
    esac
    kill -TERM "$R_PID"
    repl_end
    expect_status 143 "SIGTERM during the attach ($at)"
    case $at in
    held | attached) expect_line '^cdbg: terminated by a signal; the target was released' "$R_OUT.err" ;;
    esac
    check_untraced "$target"
done

# SIGINT at the prompt: ignored; the session goes on and `quit` detaches.
repl_start attach "$target"
repl_send threads
repl_wait '^\* +1 +[0-9]+ ' "$R_OUT"
kill -INT "$R_PID"
kill -INT "$R_PID"
repl_send threads
repl_wait '^\* +1 +[0-9]+ ' "$R_OUT" 2
repl_exited "$R_PID" && fail "cdbg exited on SIGINT" || pass "cdbg survives SIGINT"
expect_line '^ +7 +[0-9]+ +sig-handler ' "$R_OUT"
repl_send 'bt'
repl_wait ' in main at threads\.c:201$' "$R_OUT"
repl_send quit
repl_end
expect_status 0 "quit after SIGINT"
expect_no_line . "$R_OUT.err"
check_untraced "$target"
td_stop "$target"

# A launched program: SIGTERM to cdbg kills it (the documented policy), never leaves it stopped.
repl_start run "$(td_bin threads_O0)"
repl_send threads
repl_wait '^\* +1 +[0-9]+ ' "$R_OUT"
launched=$(sed -nE 's/^\* +1 +([0-9]+) .*/\1/p' "$R_OUT" | head -n 1)
kill -TERM "$R_PID"
repl_end
expect_status 143 "SIGTERM with a launched program"
not_stopped_orphan "$launched"

# `continue` on a launched program, then SIGINT to cdbg: the program stops, cdbg says where,
# `bt` works, `quit` kills it.
repl_start run "$(td_bin threads_O0)"
repl_wait '^Stopped: #0 .* in main at threads\.c:[0-9]+$' "$R_OUT"
repl_send threads
repl_wait '^\* +1 +[0-9]+ ' "$R_OUT"
launched=$(sed -nE 's/^\* +1 +([0-9]+) .*/\1/p' "$R_OUT" | head -n 1)
# the sig-handler thread raises SIGUSR1 during start-up: continue past it
repl_send continue
repl_wait 'received signal SIGUSR1' "$R_OUT"
repl_send continue
# the program prints "ready" (to cdbg's stdout) once every thread is blocked for good
repl_wait '^ready$' "$R_OUT"
td_wait_for "every thread of $launched to run after continue" all_threads_in 'SR' "$launched" && pass "target runs after continue"
kill -INT "$R_PID"
repl_wait '^Interrupted \(thread tid [0-9]+\)$' "$R_OUT"
all_threads_in 't' "$launched" && pass "target stopped by SIGINT" || fail "target not stopped after SIGINT"
repl_send bt
repl_wait '^#[0-9]+ +0x[0-9a-f]{16} in main at threads\.c:201$' "$R_OUT"
repl_send 'thread 2' bt
repl_wait '^#[0-9]+ +0x[0-9a-f]{16} in wait_on_mutex at threads\.c:54$' "$R_OUT"
repl_send quit
repl_end
expect_status 0 "quit after an interrupted continue"
expect_no_line '^cdbg: ' "$R_OUT.err"
not_stopped_orphan "$launched"
td_finish
