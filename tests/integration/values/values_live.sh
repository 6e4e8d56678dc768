#!/bin/bash
# Globals of every kind, expressions, formats, x, ptype, and locals/args in several frames of a
# live process, at -O0 and -O2; the process runs on untraced afterwards.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/values/values_lib.sh"
T=$SRCROOT/tests/integration/values

for v in O0 O2; do
    td_start "values_$v"
    values_wait_paused "$TD_PID" || exit 1
    run_table "globals $v" "$T/globals.tsv" attach "$TD_PID"
    run_table "frames $v" "$T/frames_$v.tsv" attach "$TD_PID"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
done

# A self-referencing list prints one level (pointers are not followed), and limits apply.
td_start values_O0
td_cdbg out attach "$TD_PID" --batch -ex 'config max-array 3' -ex 'print g_big' -ex 'config max-string 4' \
    -ex 'print g_long_str' -ex 'print g_str' -ex 'print g_n3'
expect_status 0 "limits"
expect_line '^\$1 = \{0, 1, 2\.\.\.\}$' "$out"
# gdb's rule: a run counts whole towards the limit (print elements 4 prints all 299)
expect_line "^\\\$2 = 'x' <repeats 299 times>\$" "$out"
expect_line '^\$3 = 0x[0-9a-f]+ "hell"\.\.\.$' "$out"
expect_line '^\$4 = \{value = 3, next = 0x[0-9a-f]+ <g_n1>\}$' "$out"
# display: shown when added; vars with a pattern.
td_cdbg out attach "$TD_PID" --batch -ex 'display g_pt.x + 1' -ex 'display/x g_uchar' -ex 'display' -ex 'vars ^g_(int|pt)$'
expect_status 0 "display"
expect_exact_str "$out" "1: g_pt.x + 1 = 4
2: /x g_uchar = 0xc8
1: g_pt.x + 1 = 4
2: /x g_uchar = 0xc8
g_int = -42
g_pt = {x = 3, y = -4}"
td_finish
