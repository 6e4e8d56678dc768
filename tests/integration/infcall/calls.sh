#!/bin/bash
# Function calls in the target (`print f(3, x)`, `call f(3, x)`), compared with gdb at the same
# stop of testdata/infcall, gcc -O0 and clang -O2: integer, pointer, double and mixed arguments,
# more than 6 of each class (the stack), a string literal copied into the target, chars and bools
# promoted, nested calls, calls inside other operators, a call through a function pointer member,
# a void function (nothing printed by `call`, its effect seen after), small structs returned in
# rax:rdx and in xmm0:xmm1 and a large one through the hidden pointer, glibc functions without
# debug info with and without a cast (an IFUNC, strlen, resolved first); the C++ program's
# namespaced functions, a reference parameter and a struct returned by value. Then what must
# not run: a call in a breakpoint condition or a tracepoint, and JSON output of `call`.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for values returned by function calls"

# The same expressions in both; each prints one `$N = ...` line (addresses masked: gdb turns
# address-space randomization off, cdbg leaves the program as it would run).
exprs=(
    'print add(2, 3)' 'p twice(add(1, 2))' 'p half(5)' 'p mix(1, 2.5, 3, 0.5)' 'p fscale(1.5, 3)'
    'p sum8(1, 2, 3, 4, 5, 6, 7, 8)' 'p dsum10(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)'
    'p mixed9(1, 2.5, 3, 4.5, 5, 6.5, 7, 8, 9)' 'p count_chars("banana", 97)' 'p count_chars("a b  c", 32)'
    'p gp->fn(21)' 'p g_ops.fn(g_ops.k) * 10 + 1' 'p add(2, 3) + twice(4)' 'p is_even(4)' 'p is_even(3) || 0'
    "p next_char('a')" 'p neg_short(7)' 'p low_byte(0x1234)' 'p greeting()' 'p *arr_at(2)' 'p arr_at(3)[0]'
    'call bump(5)' 'p g_counter' 'call add(g_counter, -1)' 'p mk_small(3, 4)' 'p mk_small(3, 4).b'
    'p mk_pt(1.5, 2.5)' 'p mk_big(10)' 'p mk_big(10).v[4]' 'p (unsigned long)strlen("abcd")' 'p (int)abs(-3)'
    'p abs(-3)' 'p sizeof(mk_big(1))' 'call add(1, 2, 3)' 'p $1 + $2'
    'p sum_small(g_small)' 'p pt_len2(g_pt)' 'p big_sum(g_big)' 'p mixed_val(1, g_mixed, g_big, 0.5)'
    'p swap_small(mk_small(8, 9))' 'p sum_small(swap_small(g_small))' 'p late_small(1, 2, 3, 4, 5, g_small)'
)
norm() { sed -E 's/0x[0-9a-f]+/ADDR/g' "$1" | grep -E '^\$[0-9]+ = '; }

for comp in gcc clang; do
    exe=$(td_bin "infcall_$comp") || continue
    args=()
    for e in "${exprs[@]}"; do args+=(-ex "$e"); done
    td_cdbg out run "$exe" --batch -ex 'break infcall.c:91' -ex continue "${args[@]}" -ex 'p $rip' -ex continue
    expect_status 0 "calls ($comp)"
    timeout 120 gdb -nx -batch -ex 'break infcall.c:91' -ex run "${args[@]}" -ex continue "$exe" >"$TD_TMP/gdb.$comp" 2>&1
    norm "$out" | grep -v '^\$[0-9]* = (void (\*)()) ' >"$TD_TMP/cdbg.vals"
    norm "$TD_TMP/gdb.$comp" >"$TD_TMP/gdb.vals"
    [ "$(wc -l <"$TD_TMP/gdb.vals")" -ge 30 ] || { fail "gdb printed too few values ($comp)"; td_show "$TD_TMP/gdb.$comp"; }
    if diff -u "$TD_TMP/gdb.vals" "$TD_TMP/cdbg.vals" >"$TD_TMP/diff"; then
        pass "every value as gdb's ($comp)"
    else
        fail "values differ from gdb's ($comp)"
        cat "$TD_TMP/diff" >&2
    fi
    # the void call printed nothing and numbered nothing, as gdb's; its effect stays
    expect_line '^\$22 = 5$' "$out"
    # the calls left the program as it was: the stop's pc, and the program's own result (work()
    # computed its total before the calls; g_counter keeps what bump added)
    expect_line "^\\\$[0-9]+ = \\(void \\(\\*\\)\\(\\)\\) 0x[0-9a-f]+ <work\\+[0-9]+>$" "$out"
    expect_line '^work 6 counter 5$' "$out"
    expect_line '^Process [0-9]+ exited with status 0$' "$out"

    # gdb's errors, word for word: no debug info without a cast, too few arguments
    for e in 'p strlen("abc")' 'call add(1)'; do
        td_cdbg out run "$exe" --batch -ex 'break infcall.c:91' -ex continue -ex "$e"
        expect_status 1 "$e ($comp)"
        timeout 120 gdb -nx -batch -ex 'break infcall.c:91' -ex run -ex "$e" "$exe" >"$TD_TMP/gdb.err" 2>&1
        want=$(tail -n 1 "$TD_TMP/gdb.err")
        got=$(sed -n 's/^cdbg: //p' "$out.err")
        [ "$got" = "$want" ] && pass "$e: gdb's error ($comp)" || fail "$e ($comp): got '$got', gdb '$want'"
    done
    # getpid (an assembly stub: its DWARF has no return type): refused without a cast, called with one
    td_cdbg out run "$exe" --batch -ex 'break infcall.c:91' -ex continue -ex 'p getpid()'
    expect_status 1 "getpid() ($comp)"
    expect_line "^cdbg: '[_a-zA-Z]*getpid' has unknown return type; cast the call to its declared return type$" "$out.err"
    td_cdbg out run "$exe" --batch -ex 'break infcall.c:91' -ex continue -ex 'p (int)getpid()' -ex 'info inferiors'
    pid=$(sed -nE 's/^\$1 = ([0-9]+)$/\1/p' "$out")
    [ -n "$pid" ] && grep -Eq "process $pid\b|\b$pid\b" "$out" && pass "(int)getpid() is the program's pid ($comp)" ||
        { fail "(int)getpid() ($comp)"; td_show "$out"; }

    # a conditional breakpoint in the callee stops the call only when its condition holds
    td_cdbg out run "$exe" --batch -ex 'break infcall.c:91' -ex continue -ex 'break stop_in if x == 99' \
        -ex 'call stop_in(2)' -ex 'call stop_in(99)'
    expect_status 1 "conditional breakpoint in the callee ($comp)"
    expect_line '^\$1 = 7$' "$out"
    expect_line '^cdbg: The program hit breakpoint 2 in stop_in, a function called from cdbg; the call was abandoned and the registers restored$' "$out.err"

    # a call where the program cannot stop for it: refused when set, one line each
    td_cdbg out run "$exe" --batch -ex 'break add if twice(a) > 2'
    expect_status 1 "condition with a call ($comp)"
    expect_line "^cdbg: break: condition 'twice\\(a\\) > 2' calls a function: a condition cannot run code in the program" "$out.err"
    td_cdbg out run "$exe" --batch -ex 'trace add -e twice(a)'
    expect_status 1 "tracepoint with a call ($comp)"
    expect_line "^cdbg: trace: -e 'twice\\(a\\)' calls a function: a tracepoint cannot run code in the program" "$out.err"

    # JSON: the value and its history number; a void call has neither
    td_cdbg out --json run "$exe" --batch -ex 'break infcall.c:91' -ex continue -ex 'call mk_small(3, 4)' \
        -ex 'call bump(2)' -ex 'call half(3)'
    expect_status 0 "call --json ($comp)"
    expect_line '^\{"expr":"mk_small\(3, 4\)","type":"struct small","history":1,"value":\{"a":3,"b":4\}' "$out"
    expect_line '^\{"expr":"bump\(2\)","type":"void"' "$out"
    expect_no_line '"expr":"bump\(2\)".*"history"' "$out"
    expect_line '^\{"expr":"half\(3\)","type":"double","history":2,"value":1.5' "$out"
done

# C++: namespaced functions, a double result, a struct by value, a reference parameter
exe=$(td_bin infcall_cxx)
cx=(-ex 'p shop::total(2, 3)' -ex 'p shop::ratio(1, 4)' -ex 'p shop::make_price(7)' -ex 'p shop::bump_ref(g_val)'
    -ex 'p g_val')
td_cdbg out run "$exe" --batch -ex 'break infcall_cxx.cc:21' -ex continue "${cx[@]}"
expect_status 0 "C++ calls"
timeout 120 gdb -nx -batch -ex 'break infcall_cxx.cc:21' -ex run "${cx[@]}" "$exe" >"$TD_TMP/gdb.cxx" 2>&1
norm "$TD_TMP/gdb.cxx" >"$TD_TMP/gdb.vals"
norm "$out" >"$TD_TMP/cdbg.vals"
[ "$(wc -l <"$TD_TMP/gdb.vals")" -eq 5 ] || { fail "gdb printed no C++ values"; td_show "$TD_TMP/gdb.cxx"; }
diff -u "$TD_TMP/gdb.vals" "$TD_TMP/cdbg.vals" >"$TD_TMP/diff" && pass "C++ values as gdb's" ||
    { fail "C++ values differ from gdb's"; cat "$TD_TMP/diff" >&2; }
td_finish
