#!/bin/bash
# Floating-point and struct values at tracepoints against gdb at the same places (floats.c, gcc and
# clang, -O0 and -O2): the arguments (xmm registers, their -O0 spills below the stack pointer, entry
# values, pieces) and --ret's value (xmm0, xmm0:xmm1, rax:xmm0, rax, memory, st0, _Bool, char), for
# the inline, uprobe and ptrace backends; and FILE:LINE probes: loopy's double after a loop, after's
# dead arguments (entry values at -O2). Each is gdb's value or an error floats.py allows (the
# uprobe backend cannot sample xmm registers: an error per value, never a number that is not gdb's).
# A function a backend refuses must be refused with one line naming it (the run then goes on without
# it). The compiled plan agrees with the general path on every value it takes (CDBG_TRACE_PLAN=check).
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference values"
need_tool python3 "comparing the values"
need_tool setarch "running cdbg's --list without ASLR, as gdb runs the program"
need_tool clang "the clang builds of floats.c"
funcs=(dmix fret ldret ptret mixret firet ffret bigret bret cret loopy after)
here=$SRCROOT/tests/integration/trace
declare -A line=([loopy]=$(grep -n '@loopy_after' "$SRCROOT/testdata/trace/floats.c" | cut -d: -f1)
                 [after]=$(grep -n '@after_mul' "$SRCROOT/testdata/trace/floats.c" | cut -d: -f1))
# the patterns for functions $@: each by name, loopy and after by their line
pats() {
    local fs=() f
    for f in "$@"; do [ -n "${line[$f]:-}" ] || fs+=("$f"); done
    [ ${#fs[@]} -gt 0 ] && echo "^($(IFS='|'; echo "${fs[*]}"))\$"
    for f in "$@"; do [ -n "${line[$f]:-}" ] && echo "floats.c:${line[$f]}"; done
    return 0
}
for v in gcc_O0 gcc_O2 clang_O0 clang_O2; do
    exe=$(td_bin trace_floats_$v) || { fail "no trace_floats_$v"; continue; }
    mapfile -t pat < <(pats "${funcs[@]}")
    # the probes' addresses without ASLR (gdb's default), so gdb stops at the same pcs
    timeout -k 5 "$TD_CDBG_TIMEOUT" setarch -R "$CDBG" trace --list "${pat[@]}" -- "$exe" >"$TD_TMP/list.$v" 2>&1
    [ "$(wc -l <"$TD_TMP/list.$v")" -eq ${#funcs[@]} ] && pass "--list $v" || { fail "--list $v: $(cat "$TD_TMP/list.$v")"; continue; }
    {
        echo "set pagination off"
        echo "set confirm off"
        while read -r _ _ _ addr; do echo "break *$addr"; done <"$TD_TMP/list.$v"
        echo run
        for _ in "${funcs[@]}"; do printf 'info args\nfinish\ncontinue\n'; done
    } >"$TD_TMP/gdb.$v.cmd"
    timeout -k 5 "$TD_CDBG_TIMEOUT" gdb -nx -q -batch -x "$TD_TMP/gdb.$v.cmd" "$exe" >"$TD_TMP/gdb.$v" 2>&1
    for b in inline uprobe ptrace; do
        left=("${funcs[@]}")
        for _ in "${funcs[@]}"; do
            mapfile -t pat < <(pats "${left[@]}")
            td_cdbg out trace --backend $b --ret "${pat[@]}" -- "$exe"
            [ "$TD_RC" -eq 0 ] && break
            # a refusal: one line naming the function and the backend; trace the rest without it
            gone=$(sed -nE "s/^cdbg: trace: ([a-z]+): $b: .*/\1/p" "$out.err")
            if [ -z "$gone" ] || [ "$(wc -l <"$out.err")" -ne 1 ]; then
                fail "$v $b: exit $TD_RC without one line naming a refused function: $(head -3 "$out.err")"
                break
            fi
            pass "$v $b refuses $gone in one line"
            left=($(printf '%s\n' "${left[@]}" | grep -vx "$gone"))
        done
        [ "$TD_RC" -eq 0 ] || continue
        while read -r verdict rest; do
            case $verdict in
            ok:) pass "$v $rest" ;;
            *) fail "$v $verdict $rest" ;;
            esac
        done < <(python3 "$here/floats.py" "$TD_TMP/gdb.$v" "$out" $v $b "${left[@]}")
    done
    # alone, bigret's probe asks for no stack bytes (its argument is a register at -O2): the return
    # record still holds the caller's buffer
    td_cdbg out trace --backend ptrace --ret '^bigret$' -- "$exe"
    if [ "$TD_RC" -ne 0 ]; then
        grep -q '^cdbg: trace: bigret: ptrace: ' "$out.err" && pass "$v ptrace refuses bigret alone" ||
            fail "$v ptrace bigret alone: exit $TD_RC: $(head -2 "$out.err")"
    fi
    [ "$TD_RC" -eq 0 ] && while read -r verdict rest; do
        case $verdict in
        ok:) pass "$v alone: $rest" ;;
        *) fail "$v alone: $verdict $rest" ;;
        esac
    done < <(python3 "$here/floats.py" "$TD_TMP/gdb.$v" "$out" $v ptrace bigret)
    mapfile -t pat < <(pats "${funcs[@]}")
    CDBG_TRACE_PLAN=check td_cdbg out trace --backend uprobe "${pat[@]}" -- "$exe"
    expect_line '^cdbg: trace: plan check: [0-9]+ planned probes, [0-9]+ values compared, 0 differ, [0-9]+ compact records$' "$out.err"
done
td_finish
