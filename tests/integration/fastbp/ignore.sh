#!/bin/bash
# Fast breakpoints (src/control/fastbp.c, src/target/codepatch.c): a breakpoint with an ignore
# count passes its ignored hits in the target (a jmp to a stub that counts them) and stops at hit
# N+1 exactly where gdb stops, with the hit count gdb reports; after a stepi and a next from there
# the next stop is hit N+2; the code
# at the breakpoint reads as the program's at every stop (x/i the same as with the int3 path,
# CDBG_FASTBP=0); a hit-count condition (not patched) still works; attached, the process left
# behind runs on untraced with its code bytes as they were (/proc/PID/mem) and holds the stub
# area cdbg mapped (the proof that the ignored hits were not ptrace stops).
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/fastbp/stub_area.sh"
need_tool gdb "the reference for the stops"

# code_bytes PID ADDR N: N bytes at ADDR in PID's memory, in hex
code_bytes() {
    python3 -c 'import sys
with open("/proc/%s/mem" % sys.argv[1], "rb") as f:
    f.seek(int(sys.argv[2], 16)); print(f.read(int(sys.argv[3])).hex())' "$1" "$2" "$3"
}

N=12345
for v in O0 O2; do
    exe=$(eval echo "\$FASTBP_$v")
    # the stops, against gdb's
    td_cdbg out run "$exe" run 0 20000 --batch -ex 'break tick' -ex "ignore 1 $N" -ex continue -ex 'print i' \
        -ex breakpoints -ex 'x/3i $pc' -ex stepi -ex next -ex continue -ex 'print i' -ex breakpoints
    expect_status 0 "ignore $N ($v)"
    timeout 120 gdb -nx -batch -ex 'break tick' -ex "ignore 1 $N" -ex run -ex 'print i' -ex 'info breakpoints' \
        -ex stepi -ex next -ex continue -ex 'print i' -ex 'info breakpoints' --args "$exe" run 0 20000 >"$TD_TMP/gdb.out" 2>&1
    g1=$(sed -n 's/^\$1 = //p' "$TD_TMP/gdb.out")
    g2=$(sed -n 's/^\$2 = //p' "$TD_TMP/gdb.out")
    gh=$(sed -n 's/.*breakpoint already hit \([0-9]*\) times.*/\1/p' "$TD_TMP/gdb.out" | tr '\n' ' ')
    [ "$g1 $g2 $gh" = "$N $((N + 1)) $((N + 1)) $((N + 2)) " ] && pass "gdb's stops ($v)" ||
        { fail "gdb's stops: '$g1 $g2 $gh' ($v)"; td_show "$TD_TMP/gdb.out"; }
    expect_lines "$out" "^Breakpoint 1, hit $((N + 1)) times, thread tid [0-9]+\$" '^#0 ' '^=> ' "^\\\$1 = $g1\$" \
        "^Breakpoint 1 \\(tick\\), hit $((N + 1)) times\$"
    expect_lines "$out" "^Breakpoint 1, hit $((N + 2)) times, thread tid [0-9]+\$" '^#0 ' '^=> ' "^\\\$2 = $g2\$" \
        "^Breakpoint 1 \\(tick\\), hit $((N + 2)) times\$"
    # the code at the stop: as the int3 path shows it
    sed -n 's/^0x[0-9a-f]* \(<tick.*\)/\1/p' "$out" >"$TD_TMP/x_fast"
    CDBG_FASTBP=0 td_cdbg slow run "$exe" run 0 20000 --batch -ex 'break tick' -ex "ignore 1 $N" -ex continue \
        -ex 'x/3i $pc' -ex 'print i'
    expect_line "^\\\$1 = $g1\$" "$slow"
    sed -n 's/^0x[0-9a-f]* \(<tick.*\)/\1/p' "$slow" >"$TD_TMP/x_slow"
    [ -s "$TD_TMP/x_slow" ] && pass "x/3i with the int3 path ($v)" || fail "no x/3i lines ($v)"
    expect_exact "$TD_TMP/x_fast" "$TD_TMP/x_slow"

    # a hit-count condition, with and without an ignore count, stays exact
    td_cdbg out run "$exe" run 0 20000 --batch -ex 'break tick' -ex 'condition -hitcount 1 == 777' -ex continue \
        -ex 'print i' -ex 'break tick' -ex 'ignore 2 100' -ex 'delete 1' -ex continue -ex 'print i' -ex breakpoints
    expect_status 0 "-hitcount ($v)"
    expect_lines "$out" '^Breakpoint 1, hit 777 times, thread tid [0-9]+$' '^#0 ' '^=> ' '^\$1 = 776$'
    expect_lines "$out" '^Breakpoint 2, hit 101 times, thread tid [0-9]+$' '^#0 ' '^=> ' '^\$2 = 877$' \
        '^Breakpoint 2 \(tick\), hit 101 times$'

    # attached: the program left behind runs on, untraced, with its own code
    td_start "$exe" wait 0 3000
    pid=$TD_PID
    td_cdbg out attach "$pid" --batch -ex 'break tick'
    addr=$(sed -n 's/^Breakpoint 1 at \(0x[0-9a-f]*\): .*/\1/p' "$out")
    [ -n "$addr" ] || { fail "no breakpoint address ($v)"; td_show "$out"; continue; }
    before=$(code_bytes "$pid" "$addr" 16)
    stub_area "$pid" && fail "a stub area before any fast breakpoint ($v)" || pass "no stub area yet ($v)"
    td_cdbg out attach "$pid" --batch -ex 'break tick' -ex 'ignore 1 2000' -ex 'set var go = 1' -ex continue \
        -ex 'print i' -ex breakpoints
    expect_status 0 "attach, ignore 2000 ($v)"
    expect_lines "$out" '^Breakpoint 1, hit 2001 times, thread tid [0-9]+$' '^#0 ' '^=> ' '^\$1 = 2000$' \
        '^Breakpoint 1 \(tick\), hit 2001 times$'
    td_wait_for "the program's summary ($v)" grep -q '^done 3000$' "$TD_TMP"/proc.*/out
    check_untraced "$pid"
    after=$(code_bytes "$pid" "$addr" 16)
    [ -n "$before" ] && [ "$after" = "$before" ] && pass "tick's code as it was ($v: $after)" ||
        fail "tick's code after detach: $after, before: $before ($v)"
    stub_area "$pid" && pass "the stub area is there ($v)" || { fail "no stub area: the hits were not fast ($v)"; cat "/proc/$pid/maps" >&2; }
    kill "$pid"
done
td_finish
