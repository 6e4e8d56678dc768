#!/bin/bash
# watch on what cannot be watched: one line each, exit status 1, nothing set. A core file; an
# expression that is not an lvalue; a variable the optimizer keeps in a register or computes; a
# register; a function; bad options.
. "$SRCROOT/tests/integration/lib.sh"

exe=$(td_bin watch_O0)
for c in "watch counter + 1|watch: 'counter \\+ 1' is not an lvalue: watch a variable, a member, an array element or \\*POINTER" \
    "watch 5|watch: '5' is not an lvalue: watch a variable, a member, an array element or \\*POINTER" \
    "watch main|watch: 'main' is a function, not an object" \
    "watch \$rax|watch: '\\\$rax' is a register, not memory: debug registers watch memory only" \
    "watch nosuch|watch: no symbol \"nosuch\" in the current context" \
    "watch|watch: what\\? usage: watch \\[-r \\| -rw\\] EXPR \\[if COND\\]" \
    "rwatch|rwatch: what\\? usage: rwatch EXPR \\[if COND\\]" \
    "watch -x counter|watch: unknown option '-x'; usage: watch \\[-r \\| -rw\\] EXPR \\[if COND\\]" \
    "watch counter if|watch: \`if\` needs a condition: watch EXPR if COND" \
    "watch counter if (|watch: condition '\\(': syntax error"; do
    td_cdbg out run "$exe" --batch -ex "${c%%|*}" -ex breakpoints
    expect_status 1 "${c%%|*}"
    expect_line "^cdbg: ${c#*|}" "$out.err"
    [ "$(wc -l <"$out.err")" = 1 ] && pass "one line for ${c%%|*}" || fail "more than one line for ${c%%|*}: $(cat "$out.err")"
done
# -O2: scoped()'s argument lives in a register, its loop counter is computed
exe=$(td_bin watch_O2)
td_cdbg out run "$exe" --batch -ex 'break bump' -ex continue -ex up -ex 'watch n'
expect_status 1 "a register variable"
expect_exact_str "$out.err" "cdbg: watch: 'n' lives in a register here (optimized code), not in memory: debug registers watch memory only"
td_cdbg out run "$exe" --batch -ex 'break bump' -ex continue -ex up -ex 'watch i'
expect_status 1 "a computed variable"
expect_exact_str "$out.err" "cdbg: watch: 'i' has no memory location here (optimized code computes its value): there is nothing to watch"

# a core: nothing runs, nothing can be watched (every form)
# (with a FIFO's path the program prints "ready" and blocks opening it: make_core_of's state)
exe=$(td_bin watch_O0)
mkfifo "$TD_TMP/fifo" || exit 1
core=$(make_core_of watch_O0 "$TD_TMP/fifo") || exit 1
for c in 'watch counter' 'watch -r counter' 'rwatch counter' 'awatch counter' 'watch -rw pt.y'; do
    td_cdbg out core "$exe" "$core" --batch -ex "$c"
    expect_status 1 "$c on a core"
    expect_exact_str "$out.err" 'cdbg: cannot watch: the target is a core file'
done
td_cdbg out --json core "$exe" "$core" --batch -ex 'watch counter'
expect_exact_str "$out" '{"command":"watch","error":"cannot watch: the target is a core file"}'
td_finish
