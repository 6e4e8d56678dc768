#!/bin/bash
# --ret: a return that never comes is counted in the exit summary, per tracepoint and in total, on
# every backend (lostret.c, built here): calls a longjmp skipped (10 of leaf and 10 of mid, known
# from the program), and calls deeper than the backend's nesting limit for returns (the inline
# backend's shadow stack, the kernel's uretprobe depth of 64: entries minus the returns in the
# trace, which must be more than none there). Entries and returns stay paired: each return seen
# has its call's duration. Built by clang -O2, mid's first instruction is its call to leaf: the
# ptrace backend emulates it (pushes the return address, jumps).
. "$SRCROOT/tests/integration/lib.sh"

CC=${CC:-cc}
need_tool "$CC" "building lostret.c"
need_tool clang "building lostret.c as clang -O2 does (mid starts with its call)"
need_tool gdb "reading mid's first instruction"
src=$SRCROOT/tests/integration/trace/lostret.c
for v in O0 O2 clang_O2; do
    exe=$TD_TMP/lostret_$v
    cc=$CC opt=-$v
    [ "$v" = clang_O2 ] && cc=clang opt=-O2
    "$cc" -g $opt -o "$exe" "$src" || { fail "cannot build lostret.c with $cc $opt"; continue; }
    if [ "$v" = clang_O2 ]; then
        # the probe goes where gdb's `break mid` does (after the prologue's push): a call there,
        # which the ptrace backend emulates (it used to refuse it)
        at=$(gdb -batch -ex 'break mid' "$exe" 2>/dev/null | sed -n 's/^Breakpoint 1 at \(0x[0-9a-f]*\).*/\1/p')
        first=$(gdb -batch -ex "x/i $at" "$exe" 2>/dev/null | grep -o 'call .*')
        [ -n "$first" ] && pass "clang -O2's mid has $first at its breakpoint address" ||
            fail "clang -O2's mid has no call at its breakpoint address '$at': $(gdb -batch -ex "x/i $at" "$exe" 2>&1 | tail -1)"
    fi
    for b in inline uprobe ptrace; do
        # longjmp: leaf and mid lose 10 returns each
        td_cdbg out trace '^(leaf|mid)$' --ret --backend $b -- "$exe" jump
        expect_status 0 "longjmp ($v, $b)"
        expect_line '^jumps 10$' "$out"
        for f in leaf mid; do
            expect_line "^cdbg: trace: $f \\($b\\): 30 hits, 0 dropped, 10 returns lost$" "$out.err"
            n=$(grep -c "^< $f = .* ([0-9.]* [mµn]*s) \\[tid" "$out")
            [ "$n" = 20 ] && pass "20 returns of $f, with durations ($v, $b)" || fail "$n returns of $f with durations, not 20 ($v, $b)"
        done
        expect_line "^cdbg: trace: 20 returns lost: a longjmp or an exception left the calls" "$out.err"

        # a recursion 1000 deep, three times
        td_cdbg out trace '^deep$' --ret --backend $b -o "$TD_TMP/deep_${v}_$b" -- "$exe" deep 1000
        expect_status 0 "deep ($v, $b)"
        expect_line '^deep 3000$' "$out"
        ent=$(grep -c '^> deep(' "$TD_TMP/deep_${v}_$b")
        ret=$(grep -c '^< deep = ' "$TD_TMP/deep_${v}_$b")
        [ "$ent" = 3003 ] && pass "3003 entries ($v, $b)" || fail "$ent entries of deep, not 3003 ($v, $b)"
        lost=$((ent - ret))
        if [ "$b" = ptrace ]; then
            # its breakpoints at the return addresses have no nesting limit
            [ "$lost" = 0 ] && pass "every return ($v, ptrace)" || fail "$lost returns missing ($v, ptrace)"
            expect_line "^cdbg: trace: deep \\(ptrace\\): 3003 hits, 0 dropped$" "$out.err"
            expect_no_line "returns? lost" "$out.err"
        else
            [ "$lost" -gt 0 ] && pass "the $b backend's nesting limit loses returns ($v)" ||
                fail "no return lost 1000 calls deep ($v, $b): the check below proves nothing"
            expect_line "^cdbg: trace: deep \\($b\\): 3003 hits, 0 dropped, $lost returns lost$" "$out.err"
            expect_line "^cdbg: trace: $lost returns lost: " "$out.err"
        fi
    done
done
td_finish
