#!/bin/bash
# cdbg's own crash (the CDBG_TEST_CRASH hook: an invalid write, or a stack overflow whose SIGSEGV
# only an alternate signal stack can handle) right after `break tick` and `continue` stopped a
# target whose threads run tick() at a high rate: the fatal-signal handler still rewinds the
# threads that hit the breakpoint, takes it out and detaches, every time.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/safety_lib.sh"

for ((i = 1; i <= RUNS; i++)); do
    v=$(hot_variant "$i")
    hot_switch "$v"
    kind=$([ $(((i - 1) / 2 % 2)) -eq 0 ] && echo segv || echo stackoverflow)
    CDBG_TEST_CRASH=$kind td_cdbg out attach "${HOT_PID[$v]}" --batch -ex 'break tick' -ex continue
    what="crash ($kind) #$i"
    # SIGSEGV: the handler re-raises it once the target is released
    [ "$TD_RC" -eq 139 ] || fail "$what: cdbg exited with $TD_RC, not 139 (SIGSEGV): $(head -c 300 "$out.err")"
    grep -q '^Breakpoint 1, hit 1 time' "$out" || fail "$what: continue did not stop at the breakpoint"
    grep -q '^cdbg: terminated by a signal; the target was released' "$out.err" ||
        fail "$what: the fatal-signal handler did not run: $(head -c 300 "$out.err")"
    check_left "$v" "$what"
done
hot_end
td_finish
