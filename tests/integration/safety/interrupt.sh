#!/bin/bash
# ^C during a `continue` that never stops on its own: a breakpoint on code several threads run at a
# high rate, hit and resumed thousands of times a second because its condition is false (`if 0`)
# or its hit count is never reached. The interrupt must come back every time ("Interrupted", at
# the prompt, every thread held), wherever it lands: threads running, being stopped, the condition
# being evaluated. Then the session goes on, and `quit` leaves the target as found.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/safety_lib.sh"
trap '' PIPE

# all_held PID: every thread of PID is in a ptrace-stop (t).
all_held() {
    local st
    for st in /proc/"$1"/task/*/stat; do
        [ "$(awk '{print $3}' "$st" 2>/dev/null)" = t ] || return 1
    done
    return 0
}

sessions=$((RUNS / 5))
for ((i = 1; i <= sessions; i++)); do
    v=$([ "$i" -le $((sessions / 2)) ] && echo O0 || echo O2)
    hot_switch "$v"
    pid=${HOT_PID[$v]}
    repl_start attach "$pid"
    repl_send 'break tick if 0'
    repl_wait '^Breakpoint 1 at 0x[0-9a-f]+: tick at hot\.c:[0-9]+ if 0$' "$R_OUT"
    repl_send continue
    wait_running "$v" "$R_PID"
    kill -INT "$R_PID"
    repl_wait '^Interrupted \(thread tid [0-9]+\)$' "$R_OUT" 1 || { repl_end; forget_pid "$R_PID"; check_left "$v" "session $i (after a lost ^C)"; continue; }
    all_held "$pid" && pass "session $i: every thread held after ^C" || fail "session $i: not every thread held after ^C"
    # a never-reached hit count: the same, and a second ^C works as well as the first
    repl_send 'clear 1' 'break tick' 'condition -hitcount 2 == 999999999' continue
    repl_wait '^Cleared 1 breakpoint$' "$R_OUT"
    wait_running "$v" "$R_PID"
    kill -INT "$R_PID"
    repl_wait '^Interrupted \(thread tid [0-9]+\)$' "$R_OUT" 2 || { repl_end; forget_pid "$R_PID"; check_left "$v" "session $i (after a lost ^C)"; continue; }
    repl_send continue
    wait_running "$v" "$R_PID"
    kill -INT "$R_PID"
    repl_wait '^Interrupted \(thread tid [0-9]+\)$' "$R_OUT" 3 || { repl_end; forget_pid "$R_PID"; check_left "$v" "session $i (after a lost ^C)"; continue; }
    repl_send breakpoints quit
    repl_end
    forget_pid "$R_PID"
    expect_status 0 "session $i: quit after ^C"
    expect_line '^Breakpoint 2 \(tick\), hit [0-9]+ times, when hits == 999999999$' "$R_OUT"
    expect_no_line . "$R_OUT.err"
    check_left "$v" "session $i (^C in an auto-resuming continue, then quit)"
done
hot_end
td_finish
