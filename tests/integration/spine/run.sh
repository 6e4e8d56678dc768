#!/bin/bash
# cdbg run: launches the program, stops at main, and kills it when cdbg leaves.
. "$SRCROOT/tests/integration/lib.sh"

exe=$(td_bin threads_O0)
td_cdbg out run "$exe" 1 --batch -ex bt -ex threads
expect_status 0 "run"
expect_line '^Stopped: #0 +0x[0-9a-f]{16} in main at threads\.c:[0-9]+$' "$out"
expect_line '^#0 +0x[0-9a-f]{16} in main at threads\.c:[0-9]+$' "$out"
[ "$(grep -cE '^[* ] +[0-9]+ +[0-9]+ ' "$out")" = 1 ] && pass "one thread at main" || fail "expected one thread at main"
# the launched process itself (by PID: other copies of the program may be running) is gone
td_cdbg out --json run "$exe" 1 --batch -ex bt
launched=$(grep -oE '"event":"started","stopped_at":"main","pid":[0-9]+' "$out" | grep -oE '[0-9]+$')
if [ -z "$launched" ]; then
    fail "no pid in the run event"
elif kill -0 "$launched" 2>/dev/null; then
    fail "launched program $launched still running after cdbg exited"
else
    pass "launched program killed"
fi
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
# --json: the initial stop is one event line, like continue's.
td_cdbg out --json run "$exe" 1 --batch
expect_status 0 "run --json"
expect_line '^\{"command":"run","event":"started","stopped_at":"main","pid":[0-9]+,"tid":[0-9]+,"frame":\{"level":0,.*"function":"main",' "$out"
td_cdbg out --json run "$(td_bin nodebug)" --batch
expect_line '"event":"started","stopped_at":"entry"' "$out"
# Sources read from elsewhere: a list of glibc's code names the way out; substitute-path maps a
# copy of the sources (here a marked copy of crash.c) in place of the recorded directory.
td_cdbg out run "$(td_bin crash_O0)" --batch -ex continue -ex 'frame 3' -ex list
expect_status 1 "list of a libc frame without its sources"
expect_line '^cdbg: list: cannot read source file \./stdlib/abort\.c: No such file or directory; if the sources are elsewhere, `config substitute-path FROM TO` maps the path$' "$out.err"
mkdir -p "$TD_TMP/moved"
sed 's|^\(.*\)$|\1 /* moved */|' "$SRCROOT/testdata/spine/crash.c" > "$TD_TMP/moved/crash.c"
td_cdbg out run "$(td_bin crash_O0)" --batch -ex "config substitute-path $SRCROOT/testdata/spine/ $TD_TMP/moved" \
    -ex list -ex 'config substitute-path'
expect_status 0 "list through substitute-path"
expect_line '^=> [0-9]+ .*/\* moved \*/$' "$out"
expect_line "^substitute-path $SRCROOT/testdata/spine/ -> $TD_TMP/moved\$" "$out"
td_cdbg out run "$(td_bin crash_O0)" --batch -ex "config substitute-path $SRCROOT/testdata/spinex $TD_TMP/moved" -ex list
expect_no_line 'moved' "$out"
td_cdbg out run "$(td_bin crash_O0)" --batch -ex "config substitute-path /nope"
expect_status 1 "removing a rule that is not there"
expect_line "^cdbg: config substitute-path: no rule for '/nope' to remove$" "$out.err"
# A program that does not exist.
td_cdbg out run /nonexistent/prog --batch
expect_status 4 "run a missing program"
expect_line '/nonexistent/prog' "$out.err"
td_finish
