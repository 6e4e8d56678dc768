#!/bin/bash
# Stacks a thread dump must survive (testdata/spine/edge.c): 10000 frames of recursion (shown whole
# by `bt`, cut with a marker by `bt all`, never a hang), a thread that cannot stop because it sits
# in a vfork-style clone3 (cdbg goes on without it and still shows its stack), a corrupt frame that
# loops and one with a garbage return address (an error line, never a garbage loop).
. "$SRCROOT/tests/integration/lib.sh"

# --- deep recursion ----------------------------------------------------------------------------
td_start edge deep
td_cdbg out attach "$TD_PID" --batch -ex 'bt 5'
expect_status 0 "bt 5 on 10000 frames"
[ "$(grep -c '^#' "$out")" = 5 ] && pass "bt 5 shows 5" || fail "bt 5 did not show exactly 5 frames"
expect_line '^\(More stack frames follow\.\.\.\)$' "$out"
td_cdbg out attach "$TD_PID" --batch -ex 'bt'
expect_status 0 "bt on 10000 frames"
expect_line '^#10002 +0x[0-9a-f]{16} in main at edge\.c:[0-9]+$' "$out"
expect_line '^#[0-9]+ +0x[0-9a-f]{16} in _start from edge$' "$out"
expect_no_line 'truncated' "$out"
td_cdbg out attach "$TD_PID" --batch -ex 'bt all' -ex 'frame 10002'
expect_status 0 "bt all on 10000 frames"
expect_line '^#1023 +0x[0-9a-f]{16} in recurse at edge\.c:[0-9]+$' "$out"
expect_line '^\(backtrace truncated after 1024 frames: the stack goes deeper; `thread ID` then `bt` shows more\)$' "$out"
expect_line '^#10002 +0x[0-9a-f]{16} in main at edge\.c:[0-9]+$' "$out"
td_cdbg out --json attach "$TD_PID" --batch -ex 'bt all'
expect_line '"truncated":true' "$out"
check_untraced "$TD_PID"
td_stop "$TD_PID"

# --- a thread that cannot stop -------------------------------------------------------------------
fifo=$TD_TMP/edge.fifo
td_start edge spawn "$fifo"
td_cdbg out attach "$TD_PID" --batch -ex 'bt all' -ex threads
expect_status 0 "bt all with a thread in uninterruptible sleep"
expect_line '^warning: thread [0-9]+ did not stop \(state D: uninterruptible sleep\); its stack is read from where it sleeps in syscall 435, with only sp and pc known$' "$out.err"
# the clone3 stub has no CFI after its syscall: the walk resumes from the return address at sp
expect_line '^#0 +0x[0-9a-f]{16} in __clone3 ' "$out"
spawn_line=$(grep -n '); /\* @spawn_call \*/$' "$SRCROOT/testdata/spine/edge.c" | cut -d: -f1)
expect_line "^#[0-9]+ +0x[0-9a-f]{16} in spawner at edge\\.c:$spawn_line\$" "$out"
expect_line '^    2  [0-9]+ +edge +disk-wait in clone3 ' "$out"
check_untraced "$TD_PID"
td_stop "$TD_PID"
# let glibc's child out of its open() so it execs `true` and exits
timeout 10 sh -c ': > "$1"' sh "$fifo"

# --- corrupt stacks ----------------------------------------------------------------------------
td_start edge loop
td_cdbg out attach "$TD_PID" --batch -ex 'thread 2' -ex bt
expect_status 0 "bt of a looping frame chain"
expect_line '^#1 +0x[0-9a-f]{16} in smash at edge\.c:[0-9]+$' "$out"
expect_line '^\(backtrace stopped: unwinding stopped at 0x[0-9a-f]+: the stack pointer did not move up \(corrupt stack or bad unwind info\)\)$' "$out"
[ "$(grep -c '^#' "$out")" -le 4 ] && pass "no garbage loop" || fail "a looping stack printed $(grep -c '^#' "$out") frames"
check_untraced "$TD_PID"
td_stop "$TD_PID"

# --- threads born and dying during the dump ---------------------------------------------------------
# A newborn thread (stopped in clone3's child side) is one frame, never garbage from the parent's
# CFI; every run ends, and the target is released each time.
td_start edge churn
for i in 1 2 3 4 5; do
    td_cdbg out attach "$TD_PID" --batch -ex 'bt all -group' -ex threads
    expect_status 0 "bt all during thread churn, run $i" || td_show "$out.err"
    expect_no_line 'No DWARF|in \?\?' "$out"
    check_untraced "$TD_PID"
done
td_stop "$TD_PID"

# --- the process is killed during a dump ----------------------------------------------------------
# Whenever the SIGKILL lands, cdbg either finished the dump first (exit 0, every stack whole) or
# says the process is gone (exit 1, one line): never exit 0 with stacks of a dead process.
for delay in 0.05 0.1 0.15 0.2 0.3; do
    td_start threads_O2 993
    victim=$TD_PID
    out=$TD_TMP/killed.out
    "$CDBG" attach "$victim" --batch -ex 'bt all' -ex threads >"$out" 2>"$out.err" &
    cd_pid=$!
    sleep "$delay"
    kill -KILL "$victim"
    wait "$cd_pid"
    rc=$?
    if [ "$rc" -eq 0 ]; then
        expect_no_line 'cannot read the registers|No such process' "$out"
    elif [ "$rc" -eq 1 ] || [ "$rc" -eq 4 ]; then
        expect_line "^cdbg: .*$victim" "$out.err"
        [ "$(wc -l < "$out.err")" -le 2 ] && pass "short error after the kill ($delay s)" || fail "long stderr: $(head -3 "$out.err")"
    else
        fail "exit status $rc when the target was killed after $delay s"
    fi
    td_stop "$victim"
done

td_start edge badsp
td_cdbg out attach "$TD_PID" --batch -ex 'bt all'
expect_status 0 "bt of a garbage return address"
expect_line '^#2 +0x00000000deadbeef in \?\? \(not in any mapping\)$' "$out"
expect_line '^\(backtrace stopped: unwinding stopped after 0xdeadbeef in \?\? \(no module\): ' "$out"
check_untraced "$TD_PID"
td_finish
