#!/bin/bash
# C++ scopes (issue 13), testdata/exprfix/scope.cpp stopped in a member function, a namespace function
# and a function with a local `level`: `print ::level` is the global (cdbg printed the member, the
# namespace variable or the local); a function defined in a namespace keeps its parameters and its
# namespace's names with clang++, which nests the function's DIE in the DW_TAG_namespace (cdbg said
# "no debug info for frame #0"). g++ and clang++, compared with gdb on the same binary.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for C++ name lookup"

for build in gcc_O0 clang_O0 gcc_O2 clang_O2; do
    exe=$(td_bin "exprfix_scope_$build") || { fail "exprfix_scope_$build is not built (clang++ missing?)"; continue; }
    # -O2 keeps `this` and k only as entry values in a caller gdb reads and cdbg does not yet: there,
    # the global alone
    per=(-ex up -ex 'print ::level') k=()
    case $build in *O0) per+=(-ex 'print level') k=(-ex 'print k') ;; esac
    # (get() has no k: an error would end the batch)
    cex=(-ex 'break scope_stop' -ex continue "${per[@]}") gex=(-ex 'break scope_stop' -ex run "${per[@]}")
    for i in 2 3; do cex+=(-ex continue "${per[@]}" "${k[@]}"); gex+=(-ex continue "${per[@]}" "${k[@]}"); done
    td_cdbg out run "$exe" --batch "${cex[@]}"
    expect_status 0 "cdbg on the $build build" || td_show "$out.err"
    timeout 120 gdb -nx -batch "${gex[@]}" "$exe" >"$TD_TMP/gdb.$build" 2>&1
    grep -E '^\$[0-9]+ = ' "$out" >"$TD_TMP/mine.$build"
    grep -E '^\$[0-9]+ = ' "$TD_TMP/gdb.$build" >"$TD_TMP/theirs.$build"
    expect_exact "$TD_TMP/mine.$build" "$TD_TMP/theirs.$build"
    case $build in
    *O0) expect_exact_str "$TD_TMP/mine.$build" '$1 = 1
$2 = 4
$3 = 1
$4 = 3
$5 = 2
$6 = 1
$7 = 5
$8 = 7' ;;
    *) expect_exact_str "$TD_TMP/mine.$build" '$1 = 1
$2 = 1
$3 = 1' ;;
    esac
done
# -O2, K::get with `this` unreadable: its member `level` (4) hides the namespace's (3); cdbg printed
# the namespace's 3 without a word. Now the member's value or an error, never the hidden variable.
for build in gcc_O2 clang_O2; do
    exe=$(td_bin "exprfix_scope_$build") || continue
    td_cdbg out run "$exe" --batch -ex 'break scope_stop' -ex continue -ex up -ex 'print level'
    if grep -q '^\$1 = 4$' "$out"; then
        pass "$build: level in K::get is the member's"
    else
        expect_line '^cdbg: cannot read member level: `this` is not available in this frame \(optimized out\)$' "$out.err"
        expect_no_line '^\$1 = ' "$out"
    fi
done
# info args in the namespace function (clang++ lost it)
for build in gcc_O0 clang_O0; do
    exe=$(td_bin "exprfix_scope_$build") || continue
    td_cdbg out run "$exe" --batch -ex 'break outer::inner::free_fn' -ex continue -ex 'info args'
    expect_status 0 "info args in outer::inner::free_fn ($build)" || td_show "$out.err"
    expect_line '^k = 2$' "$out"
    # and a tracepoint's line names it (it showed `outer::inner::free_fn()`)
    td_cdbg out trace 'outer::inner::free_fn' -- "$exe"
    expect_status 0 "trace outer::inner::free_fn ($build)" || td_show "$out.err"
    expect_line '^> outer::inner::free_fn\(k=2\) ' "$out"
done
td_finish
