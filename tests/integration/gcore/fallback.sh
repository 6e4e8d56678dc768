#!/bin/bash
# The snapshot refused (a seccomp filter in the target makes clone() without CLONE_THREAD fail):
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
expect_line '^gcore: no snapshot \(the process could not fork: Operation not permitted\): memory was copied while the threads were held$' "$out.err"
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
