#!/bin/bash
# exec: the new program's symbols are read, every breakpoint is looked for again by its spec in it
# (one found nowhere is listed as pending), cdbg says "process N is executing new program: PATH"
# (gdb's words) and goes on: the run stops only at a breakpoint after it (gdb has no stop at an
# exec either without `catch exec`). gdb stops at the same places.
. "$(dirname "$0")/fork_lib.sh"

rep=$TD_TMP/exec.report
td_cdbg out run "$FORKS" exec "$rep" "$NEWPROG" --batch -ex 'break shared_work' -ex 'break main' -ex continue \
    -ex continue -ex breakpoints -ex 'bt 1' -ex 'print argc' -ex continue
expect_status 0 "exec"
pid=$(sed -nE 's/^Process ([0-9]+) exited with status 3$/\1/p' "$out")
[ -n "$pid" ] && pass "the new program ran to its end (status 3)" || fail "no exit with status 3"
norm "$out" "$pid=P" >"$TD_TMP/got"
expect_exact_str "$TD_TMP/got" 'Stopped: #0  ADDR in main at forks.c:53
Breakpoint 1 at ADDR: shared_work at forks.c:21
Breakpoint 2 at ADDR: main at forks.c:53
Breakpoint 1, hit 1 time, thread tid P
#0  ADDR in shared_work at forks.c:21
=> 21        sink = who;
process P is executing new program: TESTDATA/newprog_O0
Breakpoint 2, hit 1 time, thread tid P
#0  ADDR in main at newprog.c:14
=> 14        return new_work(argc) == 6 ? 3 : 4;
Breakpoint 1 (shared_work), hit 1 time, pending
Breakpoint 2 (main), hit 1 time
    ADDR in main at newprog.c:14
#0  ADDR in main at newprog.c:14
(More stack frames follow...)
$1 = 2
Process P exited with status 3'
expect_empty "$out.err"

# a breakpoint on a function only the new program has: pending until the exec, then hit in it
# (with argc 2: the exec's own arguments); a library function pending at the exec (libc is not
# mapped yet at that point) is resolved when the new program loads it
rep=$TD_TMP/pending.report
td_cdbg out run "$FORKS" exec "$rep" "$NEWPROG" --batch -ex 'break -pending new_work' -ex 'break -pending puts' \
    -ex continue -ex 'print x' -ex 'bt 2' -ex breakpoints -ex continue
expect_status 0 "exec, pending"
pid=$(sed -nE 's/^Process ([0-9]+) exited with status 3$/\1/p' "$out")
[ -n "$pid" ] && pass "the new program ran to its end (status 3)" || fail "no exit with status 3"
norm "$out" "$pid=P" | sed -E 's/_IO_puts at ioputs\.c:[0-9]+/puts/' >"$TD_TMP/got"
expect_exact_str "$TD_TMP/got" 'Stopped: #0  ADDR in main at forks.c:53
Breakpoint 1 (new_work) pending: set when a library that has it is loaded
Breakpoint 2 at ADDR: puts
process P is executing new program: TESTDATA/newprog_O0
Breakpoint 2 (puts) resolved at ADDR: puts
Breakpoint 1, hit 1 time, thread tid P
#0  ADDR in new_work at newprog.c:7
=> 7         sink = x;
$1 = 2
#0  ADDR in new_work at newprog.c:7
#1  ADDR in main at newprog.c:14
(More stack frames follow...)
Breakpoint 1 (new_work), hit 1 time
    ADDR in new_work at newprog.c:7
Breakpoint 2 (puts), hit 0 times
    ADDR in puts
Process P exited with status 3'
expect_empty "$out.err"
if need_tool gdb; then
    timeout -k 5 120 gdb -nx -q -batch -ex 'set breakpoint pending on' -ex 'break new_work' -ex run -ex 'print x' \
        -ex continue --args "$FORKS" exec "$rep" "$NEWPROG" >"$TD_TMP/gdb" 2>&1
    gpid=$(sed -nE 's/^process ([0-9]+) is executing new program: .*/\1/p' "$TD_TMP/gdb")
    grep -E '^(Breakpoint [0-9], [a-z_]+ |process [0-9]+ is executing|\$1 = |\[Inferior 1 )' "$TD_TMP/gdb" |
        sed -E "s/\\b$gpid\\b/P/; s/ \\(.*\\) at .*//; s|$(dirname "$FORKS")/|TESTDATA/|" >"$TD_TMP/gdb.events"
    expect_exact_str "$TD_TMP/gdb.events" 'process P is executing new program: TESTDATA/newprog_O0
Breakpoint 1, new_work
$1 = 2
[Inferior 1 (process P) exited with code 03]'
fi

# JSON: the exec event names the process and the new program
td_cdbg out --json run "$FORKS" exec "$rep" "$NEWPROG" --batch -ex 'break main' -ex continue -ex continue
expect_status 0 "exec, JSON"
expect_line "^\\{\"command\":\"continue\",\"event\":\"exec\",\"pid\":[0-9]+,\"path\":\"${NEWPROG//\//\\/}\"\\}$" "$out"
expect_line '^\{"command":"continue","event":"breakpoint","tid":[0-9]+,"breakpoint":1,"hits":1,"frame":\{"level":0,"pc":"0x[0-9a-f]+","function":"main","file":"[^"]*newprog.c","line":14' "$out"

if need_tool gdb; then
    timeout -k 5 120 gdb -nx -q -batch -ex 'break shared_work' -ex 'break main' -ex run -ex continue \
        -ex continue -ex 'print argc' -ex continue --args "$FORKS" exec "$rep" "$NEWPROG" >"$TD_TMP/gdb" 2>&1
    gpid=$(sed -nE 's/^process ([0-9]+) is executing new program: .*/\1/p' "$TD_TMP/gdb")
    grep -E '^(Breakpoint [0-9], [a-z_]+ |process [0-9]+ is executing|\$1 = |\[Inferior 1 )' "$TD_TMP/gdb" |
        sed -E "s/\\b$gpid\\b/P/; s/ \\(.*\\) at .*//; s|$(dirname "$FORKS")/|TESTDATA/|" >"$TD_TMP/gdb.events"
    expect_exact_str "$TD_TMP/gdb.events" 'Breakpoint 2, main
Breakpoint 1, shared_work
process P is executing new program: TESTDATA/newprog_O0
Breakpoint 2, main
$1 = 2
[Inferior 1 (process P) exited with code 03]'
fi
td_finish
