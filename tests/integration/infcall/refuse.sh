#!/bin/bash
# Function calls where nothing can run: a core file (one line, exit status 1 in batch mode, the
# same for `call` and for a call inside `print`), a program that has exited; `ptype`, `whatis` and
# `sizeof` of a call need no call and answer from the types on a core too.
. "$SRCROOT/tests/integration/lib.sh"
require_cores
exe=$(td_bin infcall_gcc) || exit 1
core=$(make_core_of infcall_gcc sleep) || exit 1

for e in 'call add(1, 2)' 'print add(1, 2) + 1' 'print mk_big(g_counter).v[1]'; do
    td_cdbg out core "$exe" "$core" --batch -ex "$e"
    expect_status 1 "$e on a core"
    expect_exact_str "$out.err" "cdbg: cannot call functions: the target is a core file"
done
td_cdbg out core "$exe" "$core" --batch -ex 'ptype mk_big(1)' -ex 'whatis add(1, 2)' -ex 'print sizeof(mk_small(1, 2))'
expect_status 0 "types of calls on a core"
expect_lines "$out" '^type = struct big \{$' '^    long( int)? v\[5\];$' '^\}$' '^type = int$' '^\$1 = 8$'

# the program ended: nothing to call into
td_cdbg out run "$exe" --batch -ex continue -ex 'call add(1, 2)'
expect_status 1 "call after the exit"
expect_line '^Process [0-9]+ exited with status 0$' "$out"
expect_line '^cdbg: call: no target: ' "$out.err"
td_finish
