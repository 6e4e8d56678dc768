#!/bin/bash
# The instruction under a breakpoint is decoded once and emulated at every hit (src/target/live.c
# step_emulated); a write into its bytes (here the user's, through `print *(...) = ...`) must be
# what runs from then on, at the next emulated hits too. codepatch.c's `g = a` is, at -O0,
# `mov -0x8(%rbp),%rax`: a is at -0x8, b at -0x10. Stopped at the second hit, the displacement
# byte becomes 0xf0, and the breakpoint stays in for the last two calls (the third passed over
# with `ignore`, the fourth a stop): g must follow b from then on (g=101, 102, 103), as the CPU
# running the rewritten code without cdbg would make it.
. "$SRCROOT/tests/integration/lib.sh"
need_tool cc "building the test program"

exe=$TD_TMP/codepatch
cc -g -O0 -fcf-protection=none -o "$exe" "$SRCROOT/tests/integration/perf/codepatch.c" || fail "cannot build codepatch.c"
line=$(grep -n '@load' "$SRCROOT/tests/integration/perf/codepatch.c" | cut -d: -f1)
td_cdbg out run "$exe" --batch -ex "break codepatch.c:$line" -ex 'ignore 1 1' -ex continue \
    -ex 'x/i $pc' -ex 'x/4xb $pc' -ex 'print *((unsigned char *)$pc + 3) = 0xf0' -ex 'x/i $pc' \
    -ex 'ignore 1 1' -ex continue -ex continue
expect_status 0 "run"
expect_line '^Breakpoint 1, hit 2 times, thread tid [0-9]+$' "$out"
# the test is about this instruction: it must be the one the comment says
expect_line '<pair\+[0-9]+>:	mov	rax, qword ptr \[rbp - 8\]$' "$out"
expect_line '<pair\+[0-9]+>:	0x48	0x8b	0x45	0xf8$' "$out"
expect_line '<pair\+[0-9]+>:	mov	rax, qword ptr \[rbp - 0x10\]$' "$out"
expect_line '^Breakpoint 1, hit 4 times, thread tid [0-9]+$' "$out"
got=$(grep -E '^g=' "$out" | tr '\n' ' ')
[ "$got" = "g=0 g=101 g=102 g=103 " ] && pass "the rewritten load runs at the later hits" ||
    { fail "g after the rewrite: expected 'g=0 g=101 g=102 g=103', got '$got'"; td_show "$out"; }
expect_line '^Process [0-9]+ exited with status 0$' "$out"
td_finish
