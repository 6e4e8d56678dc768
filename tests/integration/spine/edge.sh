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
# all_dead PID: every thread of PID has died (zombies until cdbg reaps them, or gone): the kill has
# fully happened, so cdbg's next look at the process must find it dead.
all_dead() {
    local st
    for st in /proc/"$1"/task/*/stat; do
        [ "$(awk '{print $3}' "$st" 2>/dev/null)" = Z ] || { [ -e "$st" ] && return 1; }
    done
    return 0
}
# dump_tids FILE: the TIDs of the `bt all` headers of FILE, sorted.
dump_tids() {
    sed -nE 's/^Thread [0-9]+ \(tid ([0-9]+), .*\):$/\1/p' "$1" | sort -n
}
killed_msg() {
    echo "cdbg: process $1 was killed by signal 9 (Killed): nothing is left to inspect; \`quit\`, or attach to another process"
}
# The SIGKILL lands while cdbg prints a dump of 1000 threads (its first `Thread` line is out): the
# stacks were read before the kill and the dump is printed whole, with the true TIDs; the next
# command finds the process gone and says so in one line, and the script ends there (exit 1).
td_start threads_O2 993
victim=$TD_PID
ls /proc/"$victim"/task | sort -n >"$TD_TMP/victim.tids"
[ "$(wc -l <"$TD_TMP/victim.tids")" -eq 1000 ] && pass "1000 threads" || fail "threads_O2 993 has $(wc -l <"$TD_TMP/victim.tids") threads, not 1000"
repl_start attach "$victim"
repl_send 'bt all'
repl_wait '^Thread ' "$R_OUT"
kill -KILL "$victim"
deadline=$((SECONDS + 30))
until all_dead "$victim" || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.02; done
all_dead "$victim" && pass "target died" || fail "target $victim did not die of SIGKILL"
repl_send threads 'bt all'
repl_end
expect_status 1 "a command after the target was killed"
dump_tids "$R_OUT" >"$TD_TMP/dump.tids"
expect_exact "$TD_TMP/dump.tids" "$TD_TMP/victim.tids"
expect_exact_str "$R_OUT.err" "$(killed_msg "$victim")"
expect_no_line '^\*? +[0-9]+ +[0-9]+ +' "$R_OUT" # nothing from `threads`
td_stop "$victim"

# The same with the commands given by -ex: the kill may land before or after `threads` looks, so
# both endings are allowed, each whole: exit 0 with an empty stderr, the 1000 stacks and the 1000
# threads listed, or the one-line error (exit 1) after the 1000 stacks.
td_start threads_O2 993
victim=$TD_PID
ls /proc/"$victim"/task | sort -n >"$TD_TMP/victim.tids"
out=$TD_TMP/killed.out
: >"$out"
"$CDBG" attach "$victim" --batch -ex 'bt all' -ex threads >"$out" 2>"$out.err" &
cd_pid=$!
deadline=$((SECONDS + 60))
until grep -q '^Thread ' "$out" || ! kill -0 "$cd_pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.01; done
kill -KILL "$victim"
wait "$cd_pid"
rc=$?
dump_tids "$out" >"$TD_TMP/dump.tids"
expect_exact "$TD_TMP/dump.tids" "$TD_TMP/victim.tids"
if [ "$rc" -eq 0 ]; then
    expect_empty "$out.err" "stderr of a dump that ended with exit 0"
    [ "$(grep -cE '^\*? +[0-9]+ +[0-9]+ +' "$out")" -eq 1000 ] && pass "1000 threads listed" || fail "exit 0 without the 1000 threads listed"
elif [ "$rc" -eq 1 ]; then
    expect_exact_str "$out.err" "$(killed_msg "$victim")"
else
    fail "exit status $rc when the target was killed during the dump"
    td_show "$out.err"
fi
td_stop "$victim"

td_start edge badsp
td_cdbg out attach "$TD_PID" --batch -ex 'bt all'
expect_status 0 "bt of a garbage return address"
expect_line '^#2 +0x00000000deadbeef in \?\? \(not in any mapping\)$' "$out"
expect_line '^\(backtrace stopped: unwinding stopped after 0xdeadbeef in \?\? \(no module\): ' "$out"
check_untraced "$TD_PID"
td_finish
