#!/bin/bash
# Bad input: one clear line each, exit status 1.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/values/values_lib.sh"
td_start values_O0
A=(attach "$TD_PID")
expect_cmd_error syntax '^cdbg: syntax error at column 7: expected .\). before end of expression$' "${A[@]}" -ex 'print (1 + 2'
expect_cmd_error column '^cdbg: syntax error at column 7: unexpected character .#.$' "${A[@]}" -ex 'print g_int # 2'
expect_cmd_error unknown '^cdbg: no symbol "nosuch" in the current context$' "${A[@]}" -ex 'print nosuch + 1'
expect_cmd_error member '^cdbg: no member named z in struct point$' "${A[@]}" -ex 'print g_pt.z'
expect_cmd_error notptr '^cdbg: cannot dereference a value of type int: not a pointer$' "${A[@]}" -ex 'print *g_int'
expect_cmd_error arrow '^cdbg: .->. on a struct point, which is not a pointer; use .\..$' "${A[@]}" -ex 'print g_pt->x'
expect_cmd_error divzero '^cdbg: division by zero \(at column 7\)$' "${A[@]}" -ex 'print g_int / 0'
expect_cmd_error memory '^cdbg: cannot access memory at 0x10$' "${A[@]}" -ex 'print *(int *)16'
expect_cmd_error badtype '^cdbg: no type named struct nosuch in the program.s debug info$' "${A[@]}" -ex 'print (struct nosuch *)0'
expect_cmd_error badfmt '^cdbg: print: unknown format ./q.' "${A[@]}" -ex 'print/q 1'
expect_cmd_error notlval '^cdbg: cannot assign at column 3' "${A[@]}" -ex 'set var 1 = 2'
expect_cmd_error ptrdiff '^cdbg: invalid operands to .-. at column 7 \(int \* and double \*\)$' "${A[@]}" -ex 'print g_ptr - &g_double'
expect_cmd_error xmem '^cdbg: cannot access memory at 0x0$' "${A[@]}" -ex 'x/4xw 0'
check_untraced "$TD_PID"
td_finish
