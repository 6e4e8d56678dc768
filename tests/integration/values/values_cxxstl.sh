#!/bin/bash
# The standard library's types as gdb's libstdc++ printers show them (issue 13), read through their
# DWARF layout: std::string (inline and heap buffers, empty, embedded NUL, escapes, a `const
# std::string &` argument printed as the string alone, as gdb's printer does), std::vector,
# std::map, std::set, std::unordered_map, std::unique_ptr, std::shared_ptr, std::weak_ptr,
# std::atomic, std::optional; print/r shows the raw object. testdata/cxx/stl.cpp, g++ and clang++
# builds, stopped in stl_stop() called from show() and then from containers(); every answer is
# compared with gdb's (which loads the printers from /usr/share/gcc/python), non-null addresses
# aside (two runs); those are checked against each other within cdbg's run.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for the standard library's values"

cmds=('print who' 'print copy' 'print empty' 'print with_nul' 'print quote' 'print g_name' 'whatis who'
    'whatis g_name' 'print copy.size()')
# (gdb warns about clang's RTTI for shared_ptr's control block in the middle of the value line)
answers() {
    perl -0pe 's/warning: RTTI symbol not found[^\n]*\n//g' "$1" |
        grep -vE '^(#[0-9]|=>|[0-9]+[[:space:]]|Breakpoint|Stopped|Process|\[|Using|Run till|$)' |
        sed -E 's/0x[0-9a-f]*[1-9a-f][0-9a-f]*/ADDR/g'
}
stl=('print v' 'print vs' 'print ve' 'print m' 'print st' 'print me' 'print um' 'print up' 'print upn'
    'print sp' 'print sp2' 'print wp' 'print spn' 'print at' 'print atl' 'print op' 'print opn' 'print ops')
for build in gcc clang; do
    exe=$(td_bin "cxx_stl_$build") || { fail "cxx_stl_$build is not built (clang++ missing?)"; continue; }
    cex=(-ex 'break stl_stop' -ex continue -ex up) gex=(-ex 'break stl_stop' -ex run -ex up)
    # print who.size() calls a function: not a thing cdbg does, so left out of both
    for c in "${cmds[@]::8}"; do cex+=(-ex "$c"); gex+=(-ex "$c"); done
    td_cdbg out run "$exe" --batch "${cex[@]}"
    expect_status 0 "cdbg on the $build build" || td_show "$out.err"
    timeout 120 gdb -nx -batch "${gex[@]}" "$exe" >"$TD_TMP/gdb.$build" 2>&1
    answers "$out" >"$TD_TMP/mine.$build"
    answers "$TD_TMP/gdb.$build" >"$TD_TMP/theirs.$build"
    expect_exact "$TD_TMP/mine.$build" "$TD_TMP/theirs.$build"
    # what the program holds (stl.cpp)
    expect_exact_str "$TD_TMP/mine.$build" '$1 = "hello"
$2 = "global name, longer than the fifteen bytes held inline"
$3 = ""
$4 = "a\000b"
$5 = "say \"hi\"\n"
$6 = "global name, longer than the fifteen bytes held inline"
type = const std::string &
type = std::string'
    # containers(): the rest of the library
    cex=(-ex 'break stl_stop' -ex continue -ex continue -ex up) gex=(-ex 'break stl_stop' -ex run -ex continue -ex up)
    for c in "${stl[@]}"; do cex+=(-ex "$c"); gex+=(-ex "$c"); done
    td_cdbg out run "$exe" --batch "${cex[@]}"
    expect_status 0 "cdbg in containers() ($build)" || td_show "$out.err"
    timeout 120 gdb -nx -batch "${gex[@]}" "$exe" >"$TD_TMP/gdb2.$build" 2>&1
    answers "$out" >"$TD_TMP/mine2.$build"
    answers "$TD_TMP/gdb2.$build" >"$TD_TMP/theirs2.$build"
    expect_exact "$TD_TMP/mine2.$build" "$TD_TMP/theirs2.$build"
    expect_exact_str "$TD_TMP/mine2.$build" '$1 = std::vector of length 3, capacity 8 = {1, 2, 3}
$2 = std::vector of length 2, capacity 2 = {"a", "bb"}
$3 = std::vector of length 0, capacity 0
$4 = std::map with 3 elements = {["one"] = 1, ["three"] = 3, ["two"] = 2}
$5 = std::set with 7 elements = {[0] = 10, [1] = 20, [2] = 30, [3] = 40, [4] = 50, [5] = 60, [6] = 70}
$6 = std::map with 0 elements
$7 = std::unordered_map with 2 elements = {[2] = 20, [1] = 10}
$8 = std::unique_ptr<int> = {get() = ADDR}
$9 = std::unique_ptr<int> = {get() = 0x0}
$10 = std::shared_ptr<int> (use count 2, weak count 1) = {get() = ADDR}
$11 = std::shared_ptr<int> (use count 2, weak count 1) = {get() = ADDR}
$12 = std::weak_ptr<int> (use count 2, weak count 1) = {get() = ADDR}
$13 = std::shared_ptr<int> (empty) = {get() = 0x0}
$14 = std::atomic<int> = { 4 }
$15 = std::atomic<long> = { -5 }
$16 = std::optional<int> = {[contained value] = 5}
$17 = std::optional<int> [no contained value]
$18 = std::optional<std::string> = {[contained value] = "opt"}'
    # one object behind sp, sp2 and wp; up's pointer is where the program's 7 is
    n=$(grep -E '^\$1[012] = ' "$out" | sed -nE 's/.*get\(\) = (0x[0-9a-f]+)\}$/\1/p' | sort -u | wc -l)
    [ "$n" -eq 1 ] && pass "shared_ptr, its copy and weak_ptr hold one pointer" || fail "sp, sp2, wp differ ($n pointers)"
    # get() is the pointer the raw layout holds (print/r in the same run)
    td_cdbg out run "$exe" --batch "${cex[@]}" -ex 'print/r up' -ex 'print/r sp'
    upp=$(sed -nE 's/^\$8 = .*get\(\) = (0x[0-9a-f]+)\}$/\1/p' "$out")
    spp=$(sed -nE 's/^\$10 = .*get\(\) = (0x[0-9a-f]+)\}$/\1/p' "$out")
    [ -n "$upp" ] && grep -qE "^\\\$19 = .*_M_head_impl = $upp\}" "$out" && pass "unique_ptr's get() is _M_head_impl" ||
        fail "unique_ptr's get() ($upp) is not its raw _M_head_impl"
    [ -n "$spp" ] && grep -qE "^\\\$20 = .*_M_ptr = $spp, " "$out" && pass "shared_ptr's get() is _M_ptr" ||
        fail "shared_ptr's get() ($spp) is not its raw _M_ptr"
    # print/r: the object itself, its pointer and length members as the program keeps them
    td_cdbg out run "$exe" --batch -ex 'break stl_stop' -ex continue -ex up -ex 'print/r who' -ex 'print/r copy'
    expect_line '^\$1 = \(const std::string &\) @0x[0-9a-f]+: \{(static npos = [0-9]+, )?_M_dataplus = \{.*_M_p = 0x[0-9a-f]+ "hello"\}, _M_string_length = 5, ' "$out"
    expect_line '^\$2 = \{(static npos = [0-9]+, )?_M_dataplus = \{.*_M_p = 0x[0-9a-f]+ "global name, longer than the fifteen bytes held inline"\}, _M_string_length = 54, ' "$out"
done
td_finish
