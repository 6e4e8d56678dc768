#!/bin/bash
# What a core holds: /proc/PID/coredump_filter and MADV_DONTDUMP are honoured as the kernel does,
# and `--all` dumps them anyway.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

td_start gcore_prog_O0 1 2
# value: `print EXPR` of a core (or the error)
value() {
    td_cdbg v core "$GC_EXE" "$1" --batch -ex "print $2"
    sed -E 's/^\$[0-9]+ = //' "$v" "$v.err" | head -1
}
td_cdbg live attach "$TD_PID" --batch -ex 'print heap_block[4096]' -ex 'print dontdump_block[5]'
expect_status 0 "live values"
heap=$(sed -nE '1s/^\$[0-9]+ = //p' "$live")
dd=$(sed -nE '2s/^\$[0-9]+ = //p' "$live")
[ "$dd" = "68 'D'" ] && [ -n "$heap" ] && pass "live values" || fail "live values: '$heap' '$dd'"

td_cdbg out gcore -o "$TD_TMP/c.default" "$TD_PID"
expect_status 0 "default"
[ "$(value "$TD_TMP/c.default" 'heap_block[4096]')" = "$heap" ] && pass "heap dumped" || fail "heap: $(value "$TD_TMP/c.default" 'heap_block[4096]')"
v=$(value "$TD_TMP/c.default" 'dontdump_block[5]')
[[ "$v" == *"cannot access memory"* ]] && pass "MADV_DONTDUMP left out" || fail "MADV_DONTDUMP region read from the core: $v"

td_cdbg out gcore --all -o "$TD_TMP/c.all" "$TD_PID"
expect_status 0 "--all"
[ "$(value "$TD_TMP/c.all" 'dontdump_block[5]')" = "$dd" ] && pass "--all dumps MADV_DONTDUMP" ||
    fail "--all: $(value "$TD_TMP/c.all" 'dontdump_block[5]')"

# coredump_filter 0x10: ELF headers only; anonymous memory is left out (and --all overrides)
echo 0x10 >"/proc/$TD_PID/coredump_filter"
td_cdbg out gcore -o "$TD_TMP/c.filter" "$TD_PID"
expect_status 0 "filter 0x10"
v=$(value "$TD_TMP/c.filter" 'heap_block[4096]')
[[ "$v" == *"cannot access memory"* ]] && pass "anonymous memory left out" || fail "coredump_filter ignored: $v"
[ "$(stat -c %s "$TD_TMP/c.filter")" -lt "$(stat -c %s "$TD_TMP/c.default")" ] && pass "smaller" || fail "not smaller"
# build-ids: the first page of each ELF mapping is still there, so the modules are found
td_cdbg out core "$GC_EXE" "$TD_TMP/c.filter" --batch -ex 'info sharedlibrary'
expect_line 'libc\.so' "$out"
td_cdbg out gcore --all -o "$TD_TMP/c.filter.all" "$TD_PID"
[ "$(value "$TD_TMP/c.filter.all" 'heap_block[4096]')" = "$heap" ] && pass "--all over the filter" || fail "--all over the filter"
echo 0x33 >"/proc/$TD_PID/coredump_filter"
check_untraced "$TD_PID"
td_finish
