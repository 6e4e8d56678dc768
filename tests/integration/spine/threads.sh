#!/bin/bash
# `threads`, `threads -group`, `bt all -group`, thread/frame selection, up/down, list, regs.
. "$SRCROOT/tests/integration/lib.sh"

td_start threads_O2 5
td_cdbg out attach "$TD_PID" --batch -ex threads -ex 'threads -group' -ex 'bt all -group'
expect_status 0 "threads"
expect_line '^\* +1 +[0-9]+ +threads_O2 +sleeping in futex +.* <- main at threads\.c:201$' "$out"
expect_line '^ +2 +[0-9]+ +mutex-waiter +sleeping in futex +.* <- wait_on_mutex at threads\.c:54$' "$out"
expect_line '^ +3 +[0-9]+ +cond-waiter +sleeping in futex +.* <- wait_on_cond at threads\.c:65$' "$out"
expect_line '^ +4 +[0-9]+ +sleeper +sleeping in clock_nanosleep +.* <- sleeper at threads\.c:73$' "$out"
expect_line '^ +5 +[0-9]+ +reader +sleeping in read +.* <- reader at threads\.c:82$' "$out"
expect_line '^ +6 +[0-9]+ +inline-chain +sleeping in poll +.* <- inline_leaf at threads\.c:89$' "$out"
expect_line '^ +7 +[0-9]+ +sig-handler +sleeping in pause +.* <- on_signal at threads\.c:115$' "$out"
expect_line '^ +12 +[0-9]+ +worker +sleeping in futex +.* <- parked_worker at threads\.c:139$' "$out"
# The tid column: every thread of the process once, each named as /proc/PID/task/TID/comm says.
want=$(ls /proc/"$TD_PID"/task | sort -n | tr '\n' ' ')
have=$(sed -nE 's/^[* ] +[0-9]+ +([0-9]+) .*/\1/p' "$out" | sort -n | tr '\n' ' ')
[ "$have" = "$want" ] && pass "threads lists every tid once" || fail "threads lists tids '$have', /proc has '$want'"
while read -r id tid name; do
    comm=$(cat /proc/"$TD_PID"/task/"$tid"/comm 2>/dev/null)
    [ "$comm" = "$name" ] && pass "thread $id: tid $tid is $name" || fail "thread $id: tid $tid is '$comm', threads says '$name'"
done < <(sed -nE 's/^[* ] +([0-9]+) +([0-9]+) +([^ ]+) .*/\1 \2 \3/p' "$out")
# threads -group: the five workers first, as one line.
expect_line '^    5  .* <- parked_worker at threads\.c:139  \[8,9,10,11,12\]$' "$out"
[ "$(grep -cE '^ +1  .*\[[0-9]+\]$' "$out")" = 7 ] && pass "7 singleton groups" || fail "expected 7 singleton groups"
# bt all -group: largest group first with its ids, then the stack.
expect_line '^5 threads: 8,9,10,11,12$' "$out"
first=$(grep -m1 -E '^[0-9]+ threads?: ' "$out")
[ "$first" = "5 threads: 8,9,10,11,12" ] && pass "largest group first" || fail "first group is '$first'"

# Selecting threads and frames.
td_cdbg out attach "$TD_PID" --batch -ex 'thread 2' -ex 'bt' -ex 'up' -ex 'frame' -ex 'down'
expect_status 0 "thread/frame"
mutex_tid=$(grep -lx mutex-waiter /proc/"$TD_PID"/task/*/comm | cut -d/ -f5)
expect_line "^\\[Switching to thread 2 \\(tid $mutex_tid, mutex-waiter\\)\\]\$" "$out"
lvl=$(grep -E ' in wait_on_mutex at threads\.c:54$' "$out" | head -1 | sed -E 's/^#([0-9]+).*/\1/')
[ -n "$lvl" ] && pass "wait_on_mutex level $lvl" || fail "no wait_on_mutex frame"
# list around the selected frame's line, with the arrow on it.
td_cdbg out attach "$TD_PID" --batch -ex 'thread 2' -ex "frame $lvl" -ex 'list'
expect_status 0 "list"
expect_line '^=> 54 +.*pthread_mutex_lock' "$out"
expect_line '^   50 ' "$out"
expect_line '^   58 ' "$out"
td_cdbg out attach "$TD_PID" --batch -ex 'thread 2' -ex "frame $lvl" -ex 'regs'
expect_status 0 "regs in an outer frame"
expect_line '^rip +0x[0-9a-f]+ +<wait_on_mutex at threads\.c:54>$' "$out"
expect_line '^rsp +0x[0-9a-f]+ ' "$out"
td_cdbg out attach "$TD_PID" --batch -ex 'regs'
expect_line '^orig_rax +0xca +202$' "$out"
# Errors keep the exit status documented for a failed command.
td_cdbg out attach "$TD_PID" --batch -ex 'thread 99'
expect_status 1 "thread 99"
expect_line 'no thread .99.' "$out.err"
td_cdbg out attach "$TD_PID" --batch -ex 'frame 500'
expect_status 1 "frame 500"
td_cdbg out attach "$TD_PID" --batch -ex 'down'
expect_status 1 "down at #0"
check_untraced "$TD_PID"
td_finish
