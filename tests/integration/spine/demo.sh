#!/bin/bash
# The README demo: threads in different states, grouped.
. "$SRCROOT/tests/integration/lib.sh"

td_start demo_O2
td_cdbg out attach "$TD_PID" --batch -ex threads -ex 'bt all -group'
expect_status 0 "demo"
expect_line '^4 threads: ' "$out"
expect_line ' in wait_for_job at demo\.c:41$' "$out"
expect_line ' in worker_main at demo\.c:51$' "$out"
expect_line ' in stats_loop at demo\.c:90$' "$out"
expect_line ' in accept_loop at demo\.c:99$' "$out"
check_untraced "$TD_PID"
td_finish
