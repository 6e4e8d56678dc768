#!/bin/bash
# DW_OP_entry_value in caller frames (values from the caller's DW_TAG_call_site parameters), a
# callee-saved rbx carried through frames that never save it, and thread-local variables of a
# shared library (errno in libc through the DTV), live and on a core.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/values/values_lib.sh"

entry_checks() { # LABEL CDBG-ARGS...
    local label=$1
    shift
    td_cdbg out "$@" --batch -ex 'frame 1' -ex 'args' -ex 'frame 2' -ex 'args' -ex 'print v * 2 + w' \
        -ex 'frame 3' -ex 'print seed' -ex 'print $rbx'
    expect_status 0 "$label"
    expect_line '^k = 2473$' "$out"
    expect_line '^v = 1234$' "$out"
    expect_line '^w = 5$' "$out"
    expect_line '^\$1 = 2473$' "$out"
    expect_line '^\$2 = 1234$' "$out"
    expect_line '^\$3 = 1234$' "$out"
}

td_start values_entry
entry_checks "entry values live" attach "$TD_PID"
td_stop "$TD_PID"

if core=$(make_core_of values_entry); then
    entry_checks "entry values core" core "$(td_bin values_entry)" "$core"
fi

# errno lives in libc's TLS block: each thread has its own, right below its thread pointer
# (libc's block is static TLS), at the same offset in both threads.
td_start values_O0
td_cdbg out attach "$TD_PID" --batch -ex 'print errno' -ex 'print (char *)$fs_base - (char *)&errno' \
    -ex 'thread 2' -ex 'print (char *)$fs_base - (char *)&errno' -ex 'print &errno == &t_counter'
expect_status 0 "errno"
expect_line '^\$1 = -?[0-9]+$' "$out"
off=$(sed -n 's/^\$2 = \([0-9]*\)$/\1/p' "$out")
[ -n "$off" ] && [ "$off" -gt 0 ] && [ "$off" -lt 65536 ] && pass "errno below the thread pointer ($off)" || fail "errno offset '$off'"
expect_line "^\\\$3 = $off\$" "$out"
expect_line '^\$4 = 0$' "$out"
td_finish
