#!/bin/bash
# -e expressions that read memory (`*p`, `r->id`) on a program that changes the pointee right
# after each call (testdata/trace/deref.c, built here with gcc and clang at -O0 and -O2):
# - ptrace backend: the hitting thread is stopped at the hit, so every hit's value is the loop
#   index (count and sum checked, never -1/-5); a NULL pointer gives an error, the program ends
#   normally with its own output;
# - inline and uprobe backends: the pointee is read after the hit (issue 12, not copied yet), so
#   cdbg must say so once per expression and backend on stderr, and not for a plain argument.
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
        for b in inline uprobe; do
            td_cdbg out trace --backend "$b" -e '*p' -e 'p' '^f_ptr$' -- "$exe" $N
            if grep -q 'uprobe PMU\|perf_event_paranoid\|not supported' "$out.err" && [ "$TD_RC" != 0 ]; then
                [ "$b" = uprobe ] && continue
            fi
            expect_status 0 "$cc -$v $b"
            [ "$(grep -c "read after the hit ($b backend)" "$out.err")" = 1 ] && pass "$cc -$v $b note" \
                || { fail "$cc -$v $b: no single 'read after the hit' note"; td_show "$out.err"; }
            expect_no_line "-e 'p': read after" "$out.err"
        done
        td_cdbg out trace -e 'r->id' '^f_req$' -- "$exe" $N
        expect_line "-e 'r->id': read after the hit \\((inline|uprobe) backend\\)" "$out.err"
    done
done
td_finish
