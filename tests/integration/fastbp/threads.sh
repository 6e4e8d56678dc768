#!/bin/bash
# Fast breakpoints with threads: 4 threads call tick() 5000 times each through one breakpoint with
# an ignore count, so they race through its stub (one counter for all, a locked decrement). The
# stops are exactly hits 9001 and 9002 (no hit lost or counted twice, whichever threads trapped
# together); the breakpoint is deleted and cdbg leaves while the other threads are wherever they
# stopped (inside the stub, maybe): the program finishes its 20000 calls, untraced, with its code
# bytes as they were.
. "$SRCROOT/tests/integration/lib.sh"

code_bytes() {
    python3 -c 'import sys
with open("/proc/%s/mem" % sys.argv[1], "rb") as f:
    f.seek(int(sys.argv[2], 16)); print(f.read(int(sys.argv[3])).hex())' "$1" "$2" "$3"
}

for v in O0 O2; do
    exe=$(eval echo "\$FASTBP_$v")
    td_start "$exe" wait 4 5000
    pid=$TD_PID
    td_cdbg out attach "$pid" --batch -ex 'break tick'
    addr=$(sed -n 's/^Breakpoint 1 at \(0x[0-9a-f]*\): .*/\1/p' "$out")
    [ -n "$addr" ] || { fail "no breakpoint address ($v)"; td_show "$out"; continue; }
    before=$(code_bytes "$pid" "$addr" 16)
    td_cdbg out attach "$pid" --batch -ex 'break tick' -ex 'ignore 1 9000' -ex 'set var go = 1' -ex continue \
        -ex breakpoints -ex continue -ex breakpoints -ex 'delete 1'
    expect_status 0 "4 threads, ignore 9000 ($v)"
    expect_lines "$out" '^Breakpoint 1, hit 9001 times, thread tid [0-9]+$' '^#0 ' '^=> ' \
        '^Breakpoint 1 \(tick\), hit 9001 times$'
    expect_lines "$out" '^Breakpoint 1, hit 9002 times, thread tid [0-9]+$' '^#0 ' '^=> ' \
        '^Breakpoint 1 \(tick\), hit 9002 times$'
    td_wait_for "the program's summary ($v)" grep -q '^done 20000$' "$TD_TMP"/proc.*/out
    check_untraced "$pid"
    after=$(code_bytes "$pid" "$addr" 16)
    [ -n "$before" ] && [ "$after" = "$before" ] && pass "tick's code as it was ($v: $after)" ||
        fail "tick's code after detach: $after, before: $before ($v)"
    kill "$pid"
    rm -f "$TD_TMP"/proc.*/out
done
td_finish
