#!/bin/bash
# gdb's `info line`, `info symbol`, `info address`, `info source`, `info watchpoints`, `info display`
# and `undisplay`, each answer compared with gdb 13's on the same program: C at -O0 and -O2 (where
# leaf is gcc's leaf.constprop.0, named `leaf` as gdb does), C++ (`main()`), live and on a core;
# the JSON form of each; errors one line, in gdb's words.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/info/info_lib.sh"
need_tool gdb "the reference for info"
need_tool setarch "running the program at gdb's addresses"

forms=('info line' 'info line *$pc' 'info line *($pc+1)' 'info line main' 'info line add' 'info line middle'
       'info line values.c:outer_fn' 'info line values.c:45'
       'info line values.c:102' 'info line values.c:120' 'info line 130' 'info line 99999' 'info symbol $pc' 'info symbol &g_int'
       'info symbol (char*)&g_int+2' 'info symbol 0' 'info symbol main' 'info address main' 'info address g_int'
       'info address leaf_local' 'info address RED' 'info address g_const' 'info source' 'info watchpoints'
       'info display' 'display g_int' 'display/x g_long' 'display g_uint' 'info display' 'undisplay 1' 'info display'
       'undisplay' 'info display' 'watch g_int' 'rwatch g_uint' 'awatch g_long' 'info watchpoints')
for v in O0 O2; do
    exe=$(td_bin "values_$v") || fail "values_$v is not built"
    info_both "values_$v" "$exe" values.c:103 -- "${forms[@]}"
    # every form answered, none failed
    n=$(grep -c '^cdbg: ' "$TD_TMP/values_$v.cdbg")
    [ "$n" -eq 0 ] && pass "values_$v: no errors" || fail "values_$v: $(grep '^cdbg: ' "$TD_TMP/values_$v.cdbg")"
done
# the breakpoint's line, its function and the line before it: each answer is gdb's, not a constant
expect_line '^Line 103 of "[^"]*testdata/values/values\.c" starts at address 0x[0-9a-f]+ <leaf\+15> and ends at 0x[0-9a-f]+ <leaf\+27>\.$' "$TD_TMP/values_O0.mine"
expect_line '^Line 45 of "[^"]*testdata/values/values\.c" is at address 0x[0-9a-f]+ <leaf> but contains no code\.$' "$TD_TMP/values_O2.mine"
expect_line '^leaf \+ 15 in section \.text of /' "$TD_TMP/values_O0.mine"
expect_line '^Symbol "g_int" is static storage at address 0x' "$TD_TMP/values_O2.mine"
expect_line '^2       hw watchpoint   keep y                      g_int$' "$TD_TMP/values_O2.mine"

# a library is named as the dynamic linker names it (link_map's l_name), not by its real path; which
# of the aliases at one address (write, __write) is named is left out
exe=$(td_bin values_O0)
INFO_NOCMP=1 info_both lib "$exe" values.c:103 -- 'info symbol &write' 'info symbol (char *)&write + 3'
sed -E 's/^[^ ]+ (\+ [0-9]+ )?in section/\1in section/' "$TD_TMP/lib.mine" >"$TD_TMP/lib.mine2"
sed -E 's/^[^ ]+ (\+ [0-9]+ )?in section/\1in section/' "$TD_TMP/lib.gdb" >"$TD_TMP/lib.gdb2"
expect_exact "$TD_TMP/lib.mine2" "$TD_TMP/lib.gdb2"
expect_line '^\+ 3 in section \.text of /.*libc\.so' "$TD_TMP/lib.mine2"

# C++: gdb names a C++ function by its physname, main()
exe=$(td_bin shop_O0) || fail "shop_O0 is not built"
info_both shop "$exe" shop.cpp:118 -- 'info line' 'info line *$pc' 'info symbol $pc' 'info line main' 'info source' \
    'info address main' 'info address c' 'info line shop.cpp:112'
expect_line '<main\(\)\+39>' "$TD_TMP/shop.mine"
expect_line '^Source language is c\+\+\.$' "$TD_TMP/shop.mine"

# a core: the same answers from the core's memory and the program's symbols
require_cores
exe=$(td_bin info_O0) || fail "info_O0 is not built"
core=$(make_core info_O0 segv) || fail "no core of info_O0 segv"
if [ -n "$core" ]; then
    cforms=(-ex 'info line' -ex 'info line *$pc' -ex 'info symbol $pc' -ex 'info symbol w_plain' -ex 'info symbol &w_rep[3]'
            -ex 'info address main' -ex 'info address w_plain' -ex 'info address argc' -ex 'info source' -ex 'info line info.c:20')
    td_cdbg out core "$exe" "$core" --batch "${cforms[@]}"
    expect_status 0 "cdbg on the core"
    timeout -k 5 120 gdb -nx -batch "${cforms[@]}" "$exe" "$core" >"$TD_TMP/core.gdbout" 2>&1 </dev/null
    grep -E "$INFO_LINES" "$out" >"$TD_TMP/core.mine"
    grep -E "$INFO_LINES" "$TD_TMP/core.gdbout" >"$TD_TMP/core.gdb"
    expect_exact "$TD_TMP/core.mine" "$TD_TMP/core.gdb"
    expect_line '^Line 20 of "[^"]*testdata/info/info\.c" starts at address' "$TD_TMP/core.mine"
    expect_line '^w_rep \+ 12 in section \.data' "$TD_TMP/core.mine"
fi

# JSON: the same results as data
exe=$(td_bin values_O0)
td_cdbg out run "$exe" --json --batch -ex 'break values.c:103' -ex continue -ex 'info line' -ex 'info line values.c:45' \
    -ex 'info symbol &g_int' -ex 'info address g_int' -ex 'info address leaf_local' -ex 'info source' -ex 'display g_int' \
    -ex 'info display' -ex 'watch g_int' -ex 'info watchpoints' -ex 'undisplay 1'
expect_status 0 "json"
expect_line '^\{"has_line_info":true,"line":103,"file":"[^"]*testdata/values/values\.c","has_code":true,"start":\{"address":"0x[0-9a-f]+","symbol":"leaf","offset":15\},"end":\{"address":"0x[0-9a-f]+","symbol":"leaf","offset":27\},"command":"info line"\}$' "$out"
expect_line '^\{"has_line_info":true,"line":45,.*"has_code":false,"start":\{"address":"0x[0-9a-f]+","symbol":"leaf","offset":0\},"command":"info line"\}$' "$out"
expect_line '^\{"expr":"&g_int","address":"0x[0-9a-f]+","symbol":"g_int","offset":0,"section":"\.data","file":"/[^"]*values_O0","several_files":true,"command":"info symbol"\}$' "$out"
expect_line '^\{"name":"g_int","kind":"static","address":"0x[0-9a-f]+","command":"info address"\}$' "$out"
expect_line '^\{"name":"leaf_local","frame_offset":-28,"kind":"frame","command":"info address"\}$' "$out"
expect_line '^\{"file":"[^"]*testdata/values/values\.c","comp_dir":"/[^"]*","located":"/[^"]*/testdata/values/values\.c","lines":[0-9]+,"language":"c","producer":"GNU C11 [^"]*","dwarf_version":5,"macros":false,"command":"info source"\}$' "$out"
expect_line '^\{"displays":\[\{"number":1,"expr":"g_int"\}\],"command":"info display"\}$' "$out"
expect_line '^\{"watchpoints":\[\{"id":2,"type":"write","expr":"g_int","enabled":true,"hits":0,"condition":null\}\],"command":"info watchpoints"\}$' "$out"
expect_line '^\{"command":"undisplay","deleted":\[1\]\}$' "$out"

# errors: one line each, exit 1, gdb's words (gdb prints them on its stderr)
for c in 'info line nosuch' 'info line nosuch.c:3' 'info symbol' 'info address' 'info address nosuch' \
         'undisplay 9' 'undisplay x'; do
    td_cdbg out run "$exe" --batch -ex 'break values.c:103' -ex continue -ex "$c"
    expect_status 1 "$c"
    [ "$(wc -l <"$out.err")" -eq 1 ] && pass "$c: one error line" || fail "$c: $(cat "$out.err")"
    case $c in undisplay*) continue ;; esac
    g=$(timeout -k 5 120 gdb -nx -batch -ex 'break values.c:103' -ex run -ex "$c" "$exe" 2>&1 >/dev/null </dev/null | tail -n 1)
    expect_exact_str "$out.err" "cdbg: $g"
done
td_finish
