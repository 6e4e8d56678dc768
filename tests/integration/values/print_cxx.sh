#!/bin/bash
# gdb's print settings on C++ objects (testdata/values/printset_cxx.cc, g++ -O0 and clang++ -O2):
# base classes and "members of" in pretty mode (gdb's trailing "}, " included), static members and
# print static-members off, a class with a vtable, unions inside objects, max-depth and print
# options, compared exactly with gdb 13 at the same stop (addresses aside); and the standard
# library's containers and smart pointers (testdata/cxx/stl.cpp) under print pretty, array and
# elements.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/values/print_lib.sh"
need_tool gdb "the reference for how values are printed"
cmds=(
    'p named' 'p holder' 'p sq' 'p *poly' 'p poly'
    'set print pretty on' 'p named' 'p holder' 'p sq' 'p *poly' 'p holder.pair'
    'set print static-members off' 'p named' 'show print static-members' 'set print pretty off' 'p named' 'p holder'
    'set print static-members on'
    'set print vtbl on' 'p sq' 'show print vtbl' 'set print vtbl off'
    'set print union off' 'p holder' 'set print union on'
    'set print address off' 'p sq' 'p poly' 'p named' 'set print address on'
    'set print max-depth 1' 'p sq' 'p holder' 'set print max-depth 20'
    'set print array on' 'p holder.pair' 'set print array off'
    'p -pretty -- named' 'p -static-members off -- holder.first' 'p -max-depth 0 -- sq' 'p -p -array -- holder'
    'p -array-indexes -- holder.pair'
)
print_compare gxx "$(td_bin printset_cxx_gcc)" "${cmds[@]}"
if [ -x "$TESTDATA/values/printset_cxx_clang" ]; then
    print_compare clangxx "$TESTDATA/values/printset_cxx_clang" "${cmds[@]}"
else
    skip "clang++ is not installed: printset_cxx_clang not built, only g++'s program compared"
fi

# the standard library's printers (testdata/cxx/stl.cpp): with print pretty a map's, a set's and a
# smart pointer's children are one a line, a vector's with print array; print elements counts a
# map's keys and values as two children each, and exactly that many end with "..." (gdb's
# print_children asks for no more)
stl=(
    'set print pretty on' 'p v' 'p vs' 'p m' 'p st' 'p um' 'p up' 'p sp' 'p wp' 'p at' 'p op' 'p ops' 'p opn' 'p me'
    'set print elements 2' 'p st' 'p v' 'p vs' 'set print array on' 'p v' 'p vs' 'set print elements 200' 'p v'
    'set print array-indexes on' 'p v' 'set print pretty off' 'set print array off' 'p v' 'p m'
    'set print array-indexes off' 'set print elements 4' 'p m' 'p um' 'p st' 'set print elements 3' 'p m'
    'set print elements 1' 'p up' 'p op' 'p st' 'set print elements 6' 'p m' 'p -pretty -elements 5 -- st'
)
PRINT_GDB_START=(-ex 'break containers' -ex run -ex 'break stl_stop' -ex continue -ex up)
PRINT_CDBG_START=(-ex 'break stl_stop' -ex continue -ex continue -ex up)
print_compare stl "$(td_bin cxx_stl_gcc)" "${stl[@]}"
td_finish
