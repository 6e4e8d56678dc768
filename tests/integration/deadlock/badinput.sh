#!/bin/bash
# Bad input: one clear line each, never a verdict, and the exit status `cdbg --help` documents:
# 2 usage, 4 cannot attach or open (as `cdbg attach` and `cdbg core`), 1 cannot analyse.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
# a PID that is not running
sleep 0.01 & dead=$!; wait $dead
td_cdbg out deadlock "$dead"
expect_status 4 "dead pid"
expect_line "no process with PID $dead" "$out.err"
td_cdbg out deadlock "$dead" --json
expect_status 4 "dead pid json"
dl_py "$out" '"error" in d' "dead pid json error"
# not a number
td_cdbg out deadlock notapid
expect_status 2 "not a pid"
expect_line "^cdbg: 'notapid' is not a process ID" "$out.err"
# usage
td_cdbg out deadlock
expect_status 2 "no arguments"
expect_line 'usage' "$out.err"
td_cdbg out deadlock 1 2 3
expect_status 2 "three arguments"
expect_line 'usage' "$out.err"
td_cdbg out deadlock --bogus 1
expect_status 2 "unknown option"
expect_line "unknown option '--bogus'" "$out.err"
# a core from another executable
core=$(make_core_of abba_O2) || exit 1
td_cdbg out deadlock "$(td_bin ring_O2)" "$core"
expect_status 1 "core of another executable"
expect_line 'was not produced by' "$out.err"
expect_no_line 'DEADLOCK|no deadlock' "$out"
# a statically linked program
td_start abba_static
td_cdbg out deadlock "$TD_PID"
expect_status 1 "static program"
expect_line 'statically linked' "$out.err"
check_untraced "$TD_PID"
# a kernel thread (no user memory)
td_cdbg out deadlock 2
expect_status 4 "kernel thread"
expect_line '^cdbg: cannot attach to PID 2: it is a kernel thread \(.*\); there is no user-space program to debug$' "$out.err"
# a program without pthreads at all: /bin/sleep uses libc.so.6, which has them (glibc >= 2.34), so
# the verdict is simply "no deadlock"
sleep 30 & sp=$!
# the shell's child is sleep(1) only once it has exec'd and sleeps (until then cdbg would see a
# process in the middle of exec, which it rightly refuses)
for _ in $(seq 1500); do
    case $(cut -d' ' -f1 "/proc/$sp/syscall" 2>/dev/null) in 35 | 230) break ;; esac
    sleep 0.02
done
td_cdbg out deadlock "$sp"
expect_status 0 "sleep(1)"
kill $sp
td_finish
