#!/bin/bash
# The standard library's types as gdb's libstdc++ printers show them (issue 13), read through their
# DWARF layout: std::string so far (inline and heap buffers, empty, embedded NUL, escapes, a
# `const std::string &` argument printed as the string alone, as gdb's printer does), and print/r
# showing the raw object. testdata/cxx/stl.cpp, g++ and clang++ builds, stopped in stl_stop()
# called from show(); every answer compared with gdb's (which loads the printers from
# /usr/share/gcc/python), addresses aside.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for the standard library's values"

cmds=('print who' 'print copy' 'print empty' 'print with_nul' 'print quote' 'print g_name' 'whatis who'
    'whatis g_name' 'print copy.size()')
answers() {
    grep -vE '^(#[0-9]|=>|[0-9]+[[:space:]]|Breakpoint|Stopped|Process|\[|Using|Run till|$)' "$1" |
        sed -E 's/0x[0-9a-f]+/ADDR/g'
}
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
    # print/r: the object itself, its pointer and length members as the program keeps them
    td_cdbg out run "$exe" --batch -ex 'break stl_stop' -ex continue -ex up -ex 'print/r who' -ex 'print/r copy'
    expect_line '^\$1 = \(const std::string &\) @0x[0-9a-f]+: \{(static npos = [0-9]+, )?_M_dataplus = \{.*_M_p = 0x[0-9a-f]+ "hello"\}, _M_string_length = 5, ' "$out"
    expect_line '^\$2 = \{(static npos = [0-9]+, )?_M_dataplus = \{.*_M_p = 0x[0-9a-f]+ "global name, longer than the fifteen bytes held inline"\}, _M_string_length = 54, ' "$out"
done
td_finish
