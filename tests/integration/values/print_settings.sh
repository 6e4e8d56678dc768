#!/bin/bash
# gdb's print settings (`set print NAME`, `show print`) on testdata/values/printset.c, from gcc -O0
# and clang -O2: pretty (gdb's indentation), elements, repeats, null-stop, address, symbol, array,
# array-indexes, union and max-depth, each printed by cdbg and gdb 13 at the same stop and compared
# exactly (addresses aside: the two processes' layouts differ).
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/values/print_lib.sh"
need_tool gdb "the reference for how values are printed"
cmds=(
    'p obj' 'p num' 'p dp' 'p pts' 'p ints' 'p matrix' 'p longstr' 'p msg' 'p nulbuf' 'p ip' 'p fnp' 'p square'
    'show print'
    'set print pretty on' 'p obj' 'p num' 'p dp' 'p pts' 'p matrix' 'show print pretty' 'set print pretty off'
    'set print array on' 'p pts' 'p ints' 'p matrix' 'p obj' 'show print array' 'set print array off'
    'set print pretty' 'set print array' 'p obj' 'p pts' 'p matrix' 'set print pretty off' 'set print array off'
    'set print array-indexes on' 'p small' 'p pts' 'p matrix' 'p ints' 'show print array-indexes'
    'set print array-indexes off'
    'set print elements 4' 'p ints' 'p longstr' 'p msg' 'p pts' 'p small' 'show print elements'
    'set print elements unlimited' 'p longstr' 'show print elements' 'set print elements 0' 'show print elements'
    'set print elements 200'
    'set print repeats 3' 'p small' 'p ints' 'p longstr' 'show print repeats'
    'set print repeats unlimited' 'p small' 'p ints' 'p longstr' 'show print repeats' 'set print repeats 10'
    'set print null-stop on' 'p nulbuf' 'p obj.in.tag' 'p longstr' 'show print null-stop' 'set print null-stop off'
    'set print address off' 'p msg' 'p ip' 'p fnp' 'p obj' 'p &obj' 'p square' 'p &pts[1]' 'p nullp' 'p *&obj.in'
    'show print address' 'set print address on'
    'set print symbol off' 'p ip' 'p fnp' 'p &obj' 'p obj' 'show print symbol' 'set print symbol on'
    'set print union off' 'p obj' 'p num' 'show print union' 'set print union on'
    'set print max-depth 1' 'p dp' 'p obj' 'p matrix' 'set print max-depth 0' 'p dp' 'p ints' 'p ch'
    'set print max-depth unlimited' 'show print max-depth' 'p dp' 'set print max-depth -1' 'show print max-depth'
    'set print max-depth 20'
    'set print pretty on' 'set print array on' 'set print array-indexes on' 'p obj' 'p matrix'
    'set print pretty off' 'set print array off' 'set print array-indexes off'
    'set p pretty on' 'show p pretty' 'p pts[0]' 'set p pretty off'
    'set print pre on' 'show print pre' 'set print pre off'
    'show print'
)
print_compare gcc "$(td_bin printset_gcc)" "${cmds[@]}"
if [ -x "$TESTDATA/values/printset_clang" ]; then
    print_compare clang "$TESTDATA/values/printset_clang" "${cmds[@]}"
else
    skip "clang is not installed: printset_clang not built, only gcc's program compared"
fi
td_finish
