#!/bin/bash
# `info registers rip rax` / `regs $rip`: only the registers named, with the values of the full
# listing and gdb's rip (as an offset from _start) at the same stop; an unknown name is refused.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for rip at main"
exe=$(td_bin sym_t1_O0)
timeout 120 gdb -nx -batch -ex 'break main' -ex run -ex 'info registers rip' -ex 'print/x (long)&_start' "$exe" \
    >"$TD_TMP/gdb.out" 2>&1
grip=$(awk '$1 == "rip" {print $2}' "$TD_TMP/gdb.out")
gstart=$(sed -n 's/^\$1 = //p' "$TD_TMP/gdb.out")
[ -n "$grip" ] && [ -n "$gstart" ] && pass "gdb's rip" || { fail "gdb printed no rip"; td_show "$TD_TMP/gdb.out"; }

td_cdbg out run "$exe" --batch -ex 'info registers rip rax' -ex 'regs $rbx' -ex regs -ex 'print/x (long)&_start'
expect_status 0 "regs with names"
cstart=$(sed -n 's/^\$1 = //p' "$out")
mapfile -t rows < <(grep -E '^[a-z0-9_]+ +0x' "$out")
[ "${#rows[@]}" -gt 20 ] && pass "the full listing follows" || fail "${#rows[@]} register rows in all"
[ "$(printf '%s\n' "${rows[@]:0:3}" | awk '{print $1}' | tr '\n' ' ')" = "rip rax rbx " ] &&
    pass "only the named registers, in the order named" || fail "named rows: ${rows[*]:0:3}"
for r in rip rax rbx; do
    one=$(printf '%s\n' "${rows[@]:0:3}" | awk -v r=$r '$1 == r {print $2}')
    all=$(printf '%s\n' "${rows[@]:3}" | awk -v r=$r '$1 == r {print $2}')
    [ -n "$one" ] && [ "$one" = "$all" ] && pass "$r as in the full listing" || fail "$r: '$one' named, '$all' in full"
done
crip=$(printf '%s\n' "${rows[@]:0:1}" | awk '{print $2}')
[ -n "$crip" ] && [ $((crip - cstart)) = $((grip - gstart)) ] && pass "rip is gdb's" ||
    fail "rip - _start: cdbg $((crip - cstart)), gdb $((grip - gstart))"
td_cdbg out run "$exe" --batch -ex 'regs nosuch'
expect_status 1 "an unknown register"
expect_line "^cdbg: regs: no register 'nosuch'" "$out.err"
td_finish
