#!/bin/bash
# `step` into a function whose source file is not on this machine (printf in libc, whose debug info
# libc6-dbg installs without its sources): the source lines say so as gdb 13 says it, once in full
# ("28\t./stdio-common/printf.c: No such file or directory.") and then "32\tin ./stdio-common/
# printf.c" while the steps stay in that file. Compared with gdb on testdata/sym/t1.c at -O0.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for source lines"
exe=$(td_bin sym_t1_O0)
line=$(grep -n 'printf("total=' "$SRCROOT/testdata/sym/t1.c" | cut -d: -f1)

timeout 120 gdb -nx -batch -ex "break t1.c:$line" -ex run -ex step -ex step -ex step -ex step "$exe" \
    >"$TD_TMP/gdb.out" 2>&1
grep -P '^[0-9]+\t' "$TD_TMP/gdb.out" | grep -v 'printf("total=' >"$TD_TMP/gdb.lines"
grep -q 'No such file or directory\.$' "$TD_TMP/gdb.lines" && pass "gdb stepped into a file it cannot read" ||
    { fail "gdb did not step into printf without its source"; td_show "$TD_TMP/gdb.out"; }
grep -qP '^[0-9]+\tin ' "$TD_TMP/gdb.lines" && pass "gdb stepped on in that file" ||
    { fail "gdb did not step on in printf"; td_show "$TD_TMP/gdb.out"; }

td_cdbg out run "$exe" --batch -ex "break t1.c:$line" -ex continue -ex step -ex step -ex step -ex step
expect_status 0 "steps into printf"
grep -hP '^[0-9]+\t' "$out" "$out.err" >"$TD_TMP/cdbg.lines"
expect_exact "$TD_TMP/cdbg.lines" "$TD_TMP/gdb.lines"
td_finish
