#!/bin/bash
# The prompt's `dump FILE` (alias gcore) on an attached, stopped process with a breakpoint
# inserted: the core holds the program's bytes under the breakpoint, not cdbg's int3, and gdb and
# `cdbg core` read it; the session goes on, and the process is left untraced.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
need_tool gdb "reading the executable's bytes"

td_start gcore_prog_O0 2
core=$TD_TMP/repl.core
td_cdbg out attach "$TD_PID" --batch -ex 'break worker_wait' -ex "dump $core" -ex 'bt' -ex "gcore $core.2"
expect_status 0 "dump in a session"
expect_line "^$core\$" "$out"
expect_line "^$core.2\$" "$out"
expect_line "^gcore: process $TD_PID paused 0\.000 ms \(already stopped\)" "$out.err"
expect_line '^#0 ' "$out"
check_untraced "$TD_PID"
[ "$(stat -c %a "$core")" = 600 ] && pass "mode 0600" || fail "mode $(stat -c %a "$core")"
# the breakpoint's code page was written (an int3), so the kernel's rule dumps it: it is in the core
bp=$(sed -nE 's/^Breakpoint 1 at (0x[0-9a-f]+).*/\1/p' "$out")
[ -n "$bp" ] && pass "breakpoint address $bp" || { fail "no breakpoint address"; td_show "$out"; }
inload=0
while read -r _ off va _ fsz msz _; do
    (( va <= bp && bp < va + msz && fsz > 0 )) && inload=1
done < <(readelf -lW "$core" | awk '$1 == "LOAD"')
[ "$inload" = 1 ] && pass "code page of the breakpoint dumped" || fail "no PT_LOAD with bytes holds $bp"
td_cdbg cx core "$GC_EXE" "$core" --batch -ex 'x/16xb worker_wait'
expect_status 0 "x in the core"
grep -oE '\b0x[0-9a-f]{2}\b' "$cx" >"$TD_TMP/core.bytes"
timeout 60 gdb -nx -batch -ex 'x/16xb worker_wait' "$GC_EXE" 2>/dev/null | grep -oE '\b0x[0-9a-f]{2}\b' >"$TD_TMP/file.bytes"
[ "$(wc -l <"$TD_TMP/file.bytes")" -eq 16 ] && pass "16 bytes from the file" || fail "gdb read $(wc -l <"$TD_TMP/file.bytes") bytes"
expect_exact "$TD_TMP/core.bytes" "$TD_TMP/file.bytes"
# --json: the command's object
td_cdbg j attach "$TD_PID" --json --batch -ex "dump $core.3"
expect_status 0 "dump --json"
expect_line '^\{"command":"dump","path":"'"$core.3"'","pid":'"$TD_PID"',"threads":[0-9]+,.*"snapshot":false,"stopped_ms":0' "$j"
check_untraced "$TD_PID"
# on a core there is nothing to dump
td_cdbg out core "$GC_EXE" "$core" --batch -ex "dump $TD_TMP/again"
expect_status 1 "dump of a core"
expect_line "not a live process" "$out.err"
td_finish
