#!/bin/bash
# Unqualified names in C++ (issue 13): `print id` inside a member function printed an unrelated
# libstdc++ function and `print name` a library's static `name`. The lookup order is C++'s, as
# gdb's: locals, members of `this` (inherited and static ones too), the function's classes and
# namespaces, using-directives, the CU, then the program's globals, libraries' externals, and a
# library's statics only when nothing else has the name. Every answer is compared with gdb's on
# the same process, and with the value the program holds.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for C++ names"

# answers FILE: the values printed, "$k = " dropped
answers() { grep -E '^\$[0-9]+ = ' "$1" | sed -E 's/^\$[0-9]+ = //; s/0x[0-9a-f]+/ADDR/g'; }

# testdata/cxx/lookup.cpp stopped in its library's other_stop(), called from shop::Store::run.
exe=$(td_bin cxx_lookup) || { fail "cxx_lookup is not built"; td_finish; }
cmds=('break other_stop' RUN
    'print g_count' 'print name'                       # library frame (C): the program's extern, the library's static
    'frame 1' 'print id' 'print name' 'print limit' 'print base_id' 'print instances' 'print total'
    'print g_count' 'print local' 'print id + base_id'    # Store::run
    'frame 2' 'print limit' 'print g_count')            # main: ::limit is the library's
cex=() gex=()
for c in "${cmds[@]}"; do
    case $c in RUN) cex+=(-ex continue); gex+=(-ex run) ;; *) cex+=(-ex "$c"); gex+=(-ex "$c") ;; esac
done
td_cdbg out run "$exe" --batch "${cex[@]}"
expect_status 0 "cdbg in Store::run" || td_show "$out.err"
timeout 120 gdb -nx -batch "${gex[@]}" "$exe" >"$TD_TMP/gdb.lookup" 2>&1
answers "$out" >"$TD_TMP/mine"
answers "$TD_TMP/gdb.lookup" >"$TD_TMP/theirs"
expect_exact "$TD_TMP/mine" "$TD_TMP/theirs"
# and what those are in the program (lookup.cpp, lookup_other*.c)
expect_exact_str "$TD_TMP/mine" '7
ADDR "the library'\''s static name"
5
ADDR "store-five"
30
11
2
99
7
10
16
500
7'

# testdata/cxx/shop.cpp: a member function's fields, and namespace variables named from inside the
# namespace (Consumer::run) and through `using namespace shop::core` (main). The frames are found
# by name in each debugger's own backtrace (they number inlined frames alike, but need not).
td_start shop_O0
# level TOOL-OUTPUT FUNC-REGEX: the level of the first frame of FUNC in a bt
level() { sed -nE "s/^#([0-9]+) .*[ ]($2) .*/\\1/p" "$1" | head -n 1; }
td_cdbg out attach "$TD_PID" --batch -ex 'thread 2' -ex bt -ex 'thread 1' -ex bt
timeout 120 gdb -nx -batch -p "$TD_PID" -ex 'thread 2' -ex bt -ex 'thread 1' -ex bt >"$TD_TMP/gdb.bt" 2>&1
c_run=$(level "$out" 'shop::core::Consumer::run') g_run=$(level "$TD_TMP/gdb.bt" 'shop::core::Consumer::run')
c_main=$(level "$out" 'main') g_main=$(level "$TD_TMP/gdb.bt" 'main')
[ -n "$c_run" ] && [ -n "$g_run" ] && [ -n "$c_main" ] && [ -n "$g_main" ] && pass "frames found" ||
    fail "frames not found: cdbg run=$c_run main=$c_main, gdb run=$g_run main=$g_main"
probe=('print id_' 'print taken_' 'print &inventory_mu' 'print &ledger_mu')
cex=(-ex 'thread 2' -ex "frame $c_run") gex=(-ex 'thread 2' -ex "frame $g_run")
for c in "${probe[@]}"; do cex+=(-ex "$c"); gex+=(-ex "$c"); done
cex+=(-ex 'thread 1' -ex "frame $c_main" -ex 'print &inventory_mu' -ex 'print &never_cv')
gex+=(-ex 'thread 1' -ex "frame $g_main" -ex 'print &inventory_mu' -ex 'print &never_cv')
td_cdbg out attach "$TD_PID" --batch "${cex[@]}"
expect_status 0 "cdbg on shop" || td_show "$out.err"
timeout 120 gdb -nx -batch -p "$TD_PID" "${gex[@]}" >"$TD_TMP/gdb.shop" 2>&1
# the values, without the pointer type (C++ type names are another item: cdbg says struct mutex)
answers "$out" | sed -E 's/^\([^)]*\) //' >"$TD_TMP/mine"
answers "$TD_TMP/gdb.shop" | sed -E 's/^\([^)]*\) //' >"$TD_TMP/theirs"
expect_exact "$TD_TMP/mine" "$TD_TMP/theirs"
expect_exact_str "$TD_TMP/mine" '7
0
ADDR <shop::core::inventory_mu>
ADDR <shop::core::ledger_mu>
ADDR <shop::core::inventory_mu>
ADDR <shop::core::never_cv>'
check_untraced "$TD_PID"
td_finish
