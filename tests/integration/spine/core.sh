#!/bin/bash
# cdbg core: threads and stacks of a crashed program's core, at -O0 and -O2, and a core of a
# process with blocked threads.
. "$SRCROOT/tests/integration/lib.sh"
require_cores

for v in O0 O2; do
    core=$(make_core "crash_$v") || exit 1
    exe=$(td_bin "crash_$v")
    td_cdbg out core "$exe" "$core" --batch -ex 'bt' -ex 'threads'
    expect_status 0 "crash_$v core"
    expect_line '^#[0-9]+ +0x[0-9a-f]{16} in crash_level3 at crash\.c:48$' "$out"
    expect_line '^#[0-9]+ +0x[0-9a-f]{16} in crash_level2 at crash\.c:53$' "$out"
    expect_line '^#[0-9]+ +0x[0-9a-f]{16} in crash_level1 at crash\.c:59$' "$out"
    expect_line '^#[0-9]+ +0x[0-9a-f]{16} in main at crash\.c:74$' "$out"
    expect_line ' in (__GI_)?(raise|abort|__pthread_kill_implementation)' "$out"
    expect_line ' <- blocked_forever at crash\.c:32$' "$out"
    expect_line ' <- napper at crash\.c:40$' "$out"
    [ "$(grep -cE '^[* ] +[0-9]+ +[0-9]+ ' "$out")" = 3 ] && pass "3 threads" || fail "crash_$v: expected 3 threads"
    expect_no_line 'warning' "$out.err"
done

# A core of the threads program: the same user frames as live.
core=$(make_core_of threads_O2 3) || exit 1
td_cdbg out core "$(td_bin threads_O2)" "$core" --batch -ex 'bt all -group'
expect_status 0 "threads_O2 core"
expect_line '^3 threads: ' "$out"
expect_line ' in wait_on_mutex at threads\.c:54$' "$out"
expect_line ' in inline_leaf at threads\.c:89$' "$out"
expect_line ' in in_handler at threads\.c:128$' "$out"
expect_line ' in parked_worker at threads\.c:139$' "$out"
td_finish
