#!/bin/bash
# -e expressions that read memory (`*p`, `r->id`) on a program that changes the pointee right
# after each call (testdata/trace/deref.c, built here with gcc and clang at -O0 and -O2):
# - ptrace backend: the hitting thread is stopped at the hit, so every hit's value is the loop
#   index (count and sum checked, never -1/-5); a NULL pointer gives an error, the program ends
#   normally with its own output;
# - inline backend: the trampoline copies the pointee at the hit (issue 12): the same values, the
#   NULL pointer's error, and no "read after the hit" note;
# - uprobe backend: the pointee is read after the hit, so cdbg must say so once per expression on
#   stderr, and not for a plain argument. (More in ederef.sh.)
. "$SRCROOT/tests/integration/lib.sh"
TD_NAME=trace_deref
need_tool gcc "building the test program"
need_tool clang "building the test program"
N=300
want_sum=$((N * (N - 1) / 2))
for cc in gcc clang; do
    for v in O0 O2; do
        exe=$TD_TMP/deref_${cc}_$v
        "$cc" -g -"$v" -o "$exe" "$SRCROOT/testdata/trace/deref.c" || { fail "$cc -$v build"; continue; }
        td_cdbg out trace --backend ptrace -e '*p' '^f_ptr$' -- "$exe" $N
        expect_status 0 "$cc -$v ptrace *p"
        vals=$(grep -Eo '\*p=-?[0-9]+' "$out" | cut -d= -f2)
        cnt=$(printf '%s\n' "$vals" | grep -c .)
        sum=$(printf '%s\n' "$vals" | awk '{s+=$1} END {print s+0}')
        [ "$cnt" = "$N" ] && [ "$sum" = "$want_sum" ] && pass "$cc -$v *p at the hit" \
            || { fail "$cc -$v ptrace *p: $cnt values summing to $sum, want $N and $want_sum"; td_show "$out"; }
        expect_no_line '\*p=-1' "$out"
        # the NULL call: an error for that hit, never a value, and the program finishes
        nulls=$(grep -E 'f_ptr\(p=.*0x0' "$out" | head -1)
        case $nulls in
        *'*p=<'*|*'*p=error'*|*'Cannot'*|*'cannot'*) pass "$cc -$v NULL *p is an error" ;;
        *) fail "$cc -$v NULL *p: '$nulls'"; td_show "$out" ;;
        esac
        expect_line '^sum ' "$out"
        expect_no_line 'read after the hit' "$out.err"
        td_cdbg out trace --backend ptrace -e 'r->id' '^f_req$' -- "$exe" $N
        vals=$(grep -Eo 'r->id=-?[0-9]+' "$out" | cut -d= -f2)
        cnt=$(printf '%s\n' "$vals" | grep -c .)
        sum=$(printf '%s\n' "$vals" | awk '{s+=$1} END {print s+0}')
        [ "$cnt" = "$N" ] && [ "$sum" = "$want_sum" ] && pass "$cc -$v r->id at the hit" \
            || { fail "$cc -$v ptrace r->id: $cnt values summing to $sum, want $N and $want_sum"; td_show "$out"; }
        # inline: copied at the hit by the trampoline (every value the loop index, no note);
        # uprobe: read after the hit, said once per expression
        td_cdbg out trace --backend inline -e '*p' -e 'p' '^f_ptr$' -- "$exe" $N
        expect_status 0 "$cc -$v inline"
        vals=$(grep -Eo '\*p=-?[0-9]+' "$out" | cut -d= -f2)
        cnt=$(printf '%s\n' "$vals" | grep -c .)
        sum=$(printf '%s\n' "$vals" | awk '{s+=$1} END {print s+0}')
        [ "$cnt" = "$N" ] && [ "$sum" = "$want_sum" ] && pass "$cc -$v inline *p at the hit" \
            || { fail "$cc -$v inline *p: $cnt values summing to $sum, want $N and $want_sum"; td_show "$out"; }
        expect_line 'f_ptr\(p=\(volatile int \*\) 0x0\) .*\*p=<error: cannot access memory at 0x0>' "$out"
        expect_no_line 'read after the hit' "$out.err"
        td_cdbg out trace --backend uprobe -e '*p' -e 'p' '^f_ptr$' -- "$exe" $N
        if ! { grep -q 'uprobe PMU\|perf_event_paranoid\|not supported' "$out.err" && [ "$TD_RC" != 0 ]; }; then
            expect_status 0 "$cc -$v uprobe"
            [ "$(grep -c "read after the hit (uprobe backend)" "$out.err")" = 1 ] && pass "$cc -$v uprobe note" \
                || { fail "$cc -$v uprobe: no single 'read after the hit' note"; td_show "$out.err"; }
            expect_no_line "-e 'p': read after" "$out.err"
        fi
        # auto: f_req is 3 bytes at -O2 (uprobe takes it, and says read after the hit); at -O0
        # inline takes it and copies r->id at the hit
        td_cdbg out trace -e 'r->id' '^f_req$' -- "$exe" $N
        if grep -q 'f_req (uprobe)' "$out.err"; then
            expect_line "-e 'r->id': read after the hit \\(uprobe backend\\)" "$out.err"
        else
            expect_line 'f_req \(inline\)' "$out.err"
            expect_no_line 'read after the hit' "$out.err"
            vals=$(grep -Eo 'r->id=-?[0-9]+' "$out" | cut -d= -f2)
            sum=$(printf '%s\n' "$vals" | awk '{s+=$1} END {print s+0}')
            [ "$sum" = "$want_sum" ] && pass "$cc -$v inline r->id at the hit" || fail "$cc -$v inline r->id: sum $sum"
        fi
    done
done
td_finish
