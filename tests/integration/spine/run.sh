#!/bin/bash
# cdbg run: launches the program, stops at main, and kills it when cdbg leaves.
. "$SRCROOT/tests/integration/lib.sh"

exe=$(td_bin threads_O0)
td_cdbg out run "$exe" 1 --batch -ex bt -ex threads
expect_status 0 "run"
expect_line '^Stopped: #0 +0x[0-9a-f]{16} in main at threads\.c:[0-9]+$' "$out"
expect_line '^#0 +0x[0-9a-f]{16} in main at threads\.c:[0-9]+$' "$out"
[ "$(grep -cE '^[* ] +[0-9]+ +[0-9]+ ' "$out")" = 1 ] && pass "one thread at main" || fail "expected one thread at main"
pgrep -f "$exe" >/dev/null && fail "launched program still running after cdbg exited" || pass "launched program killed"
# Options after PROG that cdbg does not know go to the program; everything after -- does.
td_cdbg out run "$(td_bin crash_O0)" --batch -ex continue -ex bt
expect_status 0 "run + continue to the crash"
expect_line 'received signal SIGABRT' "$out"
expect_line ' in crash_level3 at crash\.c:48$' "$out"
# A stripped program has no main: stop at its ELF entry point and say so.
td_cdbg out run "$(td_bin nodebug)" --batch -ex bt
expect_status 0 "run a stripped program"
expect_line '^warning: no `main` symbol .*stopping at the entry point$' "$out.err"
expect_line '^Stopped: #0 +0x[0-9a-f]{16} in \?\? from nodebug$' "$out"
# A program that does not exist.
td_cdbg out run /nonexistent/prog --batch
expect_status 4 "run a missing program"
expect_line '/nonexistent/prog' "$out.err"
td_finish
