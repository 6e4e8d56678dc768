#!/bin/bash
# set var writes the live process: ints, bitfields, struct members through pointers, floats;
# a later session sees the new values.
. "$SRCROOT/tests/integration/lib.sh"
td_start values_O0
td_cdbg out attach "$TD_PID" --batch -ex 'set var g_int = 1000' -ex 'set var g_bits.s4 = -8' \
    -ex 'set var g_list->next->value = 22' -ex 'set var g_double = g_double * 2' -ex 'set var g_arr[4] += 10' \
    -ex 'set var g_color = BLUE' -ex 'print g_bits'
expect_status 0 "set var"
expect_line '^\$1 = \{u3 = 5, s4 = -8, b = true, rest = 1000\}$' "$out"
td_cdbg out attach "$TD_PID" --batch -ex 'print g_int' -ex 'print g_n2.value' -ex 'print g_double' -ex 'print g_arr' -ex 'print g_color'
expect_status 0 "values persisted"
expect_exact_str "$out" '$1 = 1000
$2 = 22
$3 = 6.2800000000000002
$4 = {1, 2, 3, 4, 15}
$5 = BLUE'
check_untraced "$TD_PID"
td_finish
