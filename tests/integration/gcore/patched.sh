#!/bin/bash
# A core taken while ANOTHER cdbg has an inline tracepoint in the process (`cdbg trace -p` in the
# background: a jmp into its trampolines over the traced function's first instructions) holds the
# program's original code there, not the jmp: gcore reads the patch pages' own description of the
# sites (target/patchmap.h) and writes the file's bytes at each. The reference is the ELF, read by
# gdb; the live process is checked to differ first, so the comparison can fail.
. "$(dirname "$0")/../lib.sh"
need_tool gdb "reading the executable's bytes"
exe=$(td_bin trace_spin_O0) || exit 1
td_start trace_spin_O0 "$TD_TMP/stop"
"$CDBG" trace --backend inline -p "$TD_PID" '^tick$' -o "$TD_TMP/trace" 2>"$TD_TMP/trace.err" &
tpid=$!
TD_PIDS+=("$tpid")
_hits() { grep -q '^> tick' "$TD_TMP/trace" 2>/dev/null; }
td_wait_for "the tracer's first hit" _hits || { td_show "$TD_TMP/trace.err"; exit 1; }
bytes() { grep -E '^0x[0-9a-f]+ <tick(\+[0-9]+)?>:' "$1" | sed -E 's/^[^:]*:[[:space:]]*//' | tr -s ' \t' ' '; }
gdb -nx -batch -ex 'x/16xb tick' "$exe" >"$TD_TMP/elf" 2>&1
gdb -nx -batch -p "$TD_PID" -ex 'x/16xb tick' >"$TD_TMP/live" 2>&1
elf=$(bytes "$TD_TMP/elf")
live=$(bytes "$TD_TMP/live")
[ -n "$elf" ] && [ -n "$live" ] && [ "$elf" != "$live" ] && grep -q 0xe9 <<<"$live" &&
    pass "the live code is patched (a jmp): $live" || fail "tick live '$live', in the ELF '$elf': no patch to check"
td_cdbg out gcore -o "$TD_TMP/core" "$TD_PID"
expect_status 0 "gcore while another cdbg traces"
gdb -nx -batch -ex 'x/16xb tick' "$exe" "$TD_TMP/core" >"$TD_TMP/fromcore" 2>&1
core=$(bytes "$TD_TMP/fromcore")
[ "$core" = "$elf" ] && pass "the core holds tick's original bytes" ||
    fail "tick in the core: '$core', in the ELF: '$elf'"
kill -INT "$tpid"
wait "$tpid"
check_untraced "$TD_PID"
td_finish
