#!/bin/bash
# gdb's print settings on C++ objects (testdata/values/printset_cxx.cc, g++ -O0 and clang++ -O2):
# base classes and "members of" in pretty mode (gdb's trailing "}, " included), static members and
# print static-members off, a class with a vtable, unions inside objects, max-depth and print
# options, compared exactly with gdb 13 at the same stop (addresses aside).
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
td_finish
