#!/bin/bash
# The AVX registers in a core: gdb reads $ymm0/$ymm1 (and, with AVX-512, $k0/$k1) from a core of
# `cdbg gcore` as it reads them from the live thread. gdb is the reference: the same gdb, the same
# process, the same instant (the thread is blocked in a raw `pause` right after loading them). On
# AMD CPUs with AVX-512 the kernel's XSAVE buffer is shorter than what gdb requires (Intel's
# offsets), which made gdb refuse the note: "Section `.reg-xstate/TID' in core file too small".
. "$(dirname "$0")/../lib.sh"
need_tool gdb "gdb"
grep -qw avx "/proc/cpuinfo" || { pass "no AVX on this CPU: nothing to compare"; td_finish; exit; }
exe=$(td_bin gcore_avx) || exit 1
td_start gcore_avx
td_wait_main_asleep "$TD_PID" gcore_avx || exit 1
regs=(-ex 'p $ymm0.v8_int32' -ex 'p $ymm1.v8_int32')
grep -qx 'avx512=1' "$(readlink "/proc/$TD_PID/fd/1")" && regs+=(-ex 'p $k0' -ex 'p $k1')
gdb -nx -p "$TD_PID" -batch "${regs[@]}" >"$TD_TMP/live" 2>&1
grep -E '^\$[0-9]+ = ' "$TD_TMP/live" >"$TD_TMP/live.v"
expect_line '^\$1 = \{11, 22, 33, 44, 55, 66, 77, 88\}$' "$TD_TMP/live.v"
expect_line '^\$2 = \{-1, -2, -3, -4, -5, -6, -7, -8\}$' "$TD_TMP/live.v"
td_cdbg out gcore -o "$TD_TMP/core" "$TD_PID"
expect_status 0 "gcore"
gdb -nx -batch "${regs[@]}" "$exe" "$TD_TMP/core" >"$TD_TMP/core.gdb" 2>&1
expect_no_line 'too small' "$TD_TMP/core.gdb"
grep -E '^\$[0-9]+ = ' "$TD_TMP/core.gdb" >"$TD_TMP/core.v"
[ "$(wc -l <"$TD_TMP/live.v")" = $((${#regs[@]} / 2)) ] &&
    pass "gdb read $(wc -l <"$TD_TMP/live.v") registers live" || fail "gdb read: $(cat "$TD_TMP/live")"
diff "$TD_TMP/live.v" "$TD_TMP/core.v" >"$TD_TMP/diff" && pass "gdb reads the same registers from the core as live" ||
    { fail "the core's registers differ from the live ones"; td_show "$TD_TMP/diff"; }
check_untraced "$TD_PID"
td_finish
