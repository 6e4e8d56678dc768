#!/bin/bash
# The snapshot refused (a seccomp filter in the target makes clone() without CLONE_THREAD fail,
# which cdbg reads and runs before it injects anything):
# gcore says so, copies the memory while the threads are held, and the core is as good.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

td_start gcore_prog_O0 3 4 noclone
td_cdbg live attach "$TD_PID" --batch -ex 'bt all'
expect_status 0 "live bt all"
core=$TD_TMP/core.fb
td_cdbg out gcore --json -o "$core" "$TD_PID"
expect_status 0 "gcore"
expect_line '"snapshot":false' "$out"
# the filter is read and run before anything is injected: the clone is not even tried
expect_line "^gcore: no snapshot \\(the seccomp filter of process $TD_PID would fail with EPERM on clone \\(SECCOMP_RET_ERRNO\\): nothing was run in it\\): memory was copied while the threads were held$" "$out.err"
check_untraced "$TD_PID"
gc_no_children "$TD_PID"
gc_report
[ "$GC_SIGCHLD" = 0 ] && pass "no SIGCHLD" || fail "the target saw $GC_SIGCHLD SIGCHLD"
td_cdbg cstk core "$GC_EXE" "$core" --batch -ex 'bt all'
expect_status 0 "core bt all"
gc_blocks "$live" >"$TD_TMP/live.blocks"
gc_blocks "$cstk" >"$TD_TMP/core.blocks"
[ -s "$TD_TMP/live.blocks" ] && pass "live stacks" || fail "no live stacks"
expect_exact "$TD_TMP/core.blocks" "$TD_TMP/live.blocks"
td_finish
