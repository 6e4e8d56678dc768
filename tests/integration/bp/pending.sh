#!/bin/bash
# Pending breakpoints through the dynamic linker's r_debug rendezvous, on testdata/bp/dlmain (it
# dlopen()s libbplib.so after main, calls lib_add(20, 22), dlclose()s it, then does it again with
# lib_add(1, 2)): `break -pending` before the library exists, listed as pending, resolved at the
# dlopen (said so), hit with the arguments gdb sees; the dlclose makes it pending again and the
# second dlopen resolves and hits it again (its int3 put back in the new mapping); a `next` over the
# dlopen is not disturbed by the rendezvous; tbreak, disabled, FILE:LINE, JSON; `run` keeps it; an
# exec into dlmain keeps following the new program's dynamic linker;
# without -pending the location is an error (gdb in batch answers its question with no).
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for the arguments at the pending breakpoint"
exe=$(td_bin dlmain)
src=$SRCROOT/testdata/bp
lib_line=$(grep -n '@lib_add' "$src/bplib.c" | cut -d: -f1)
dlopen_line=$(grep -n '@dlopen' "$src/dlmain.c" | cut -d: -f1)

# gdb: what lib_add gets at each hit ("Breakpoint 1, lib_add (a=20, b=22) at ...")
timeout 120 gdb -nx -batch -ex 'set breakpoint pending on' -ex 'break lib_add' -ex run -ex continue -ex continue \
    "$exe" >"$TD_TMP/gdb.out" 2>&1
mapfile -t want < <(sed -n 's/^Breakpoint 1, lib_add (a=\([0-9]*\), b=\([0-9]*\)) at .*bplib\.c:\([0-9]*\)$/\1 \2 \3/p' \
    "$TD_TMP/gdb.out")
[ "${#want[@]}" = 2 ] && pass "gdb stopped twice in lib_add" ||
    { fail "gdb did not stop twice in lib_add"; td_show "$TD_TMP/gdb.out"; }

td_cdbg out run "$exe" --batch -ex 'break -pending lib_add' -ex breakpoints -ex continue -ex 'print a' -ex 'print b' \
    -ex breakpoints -ex continue -ex 'print a' -ex 'print b' -ex breakpoints -ex continue
expect_status 0 "break -pending"
expect_line '^Breakpoint 1 \(lib_add\) pending: set when a library that has it is loaded$' "$out"
expect_lines "$out" '^Breakpoint 1 \(lib_add\), hit 0 times, pending$' \
    "^Breakpoint 1 \\(lib_add\\) resolved at 0x[0-9a-f]+: lib_add at bplib\\.c:$lib_line\$" \
    '^Breakpoint 1, hit 1 time, thread tid [0-9]+$' "^#0  0x[0-9a-f]+ in lib_add at bplib\\.c:$lib_line\$"
expect_lines "$out" '^Breakpoint 1 \(lib_add\), hit 1 time$' "^    0x[0-9a-f]+ in lib_add at bplib\\.c:$lib_line\$" \
    '^Breakpoint 1 \(lib_add\) pending again: its library was unloaded$' \
    '^Breakpoint 1 \(lib_add\) resolved at 0x[0-9a-f]+: lib_add' '^Breakpoint 1, hit 2 times, thread tid [0-9]+$'
expect_line '^Breakpoint 1 \(lib_add\), hit 2 times$' "$out"
expect_line '^dlmain done 42 3$' "$out"
expect_line '^Process [0-9]+ exited with status 0$' "$out"
# the values gdb saw, in the same order
mapfile -t got < <(sed -n 's/^\$[0-9]* = //p' "$out")
for i in 0 1; do
    read -r ga gb gl <<<"${want[$i]:-}"
    [ "${got[$((2 * i))]:-}" = "$ga" ] && [ "${got[$((2 * i + 1))]:-}" = "$gb" ] && [ "$gl" = "$lib_line" ] &&
        pass "hit $((i + 1)): a=$ga b=$gb as gdb" ||
        fail "hit $((i + 1)): cdbg a=${got[$((2 * i))]:-} b=${got[$((2 * i + 1))]:-}, gdb ${want[$i]:-nothing}"
done

# without -pending: gdb's batch answer (not pending), one line that says how, exit 1
td_cdbg out run "$exe" --batch -ex 'break lib_add' -ex continue
expect_status 1 "break without -pending"
expect_line "^cdbg: break: no function 'lib_add' in the program or its loaded libraries; .*; \`break -pending lib_add\` keeps it for a library the program loads later\$" "$out.err"
[ "$(wc -l <"$out.err")" = 1 ] && pass "one line" || fail "more than one line for break lib_add"
expect_no_line '^dlmain done' "$out"
# -pending on a location that exists sets it as usual
td_cdbg out run "$exe" --batch -ex 'break -pending call_lib' -ex breakpoints
expect_line '^Breakpoint 1 at 0x[0-9a-f]+: call_lib at dlmain\.c:[0-9]+$' "$out"
expect_no_line 'pending' "$out"

# FILE:LINE; a `next` over the dlopen goes through the rendezvous and still ends on the next line
td_cdbg out run "$exe" --batch -ex "break -pending bplib.c:$lib_line" -ex "break dlmain.c:$dlopen_line" -ex continue \
    -ex next -ex continue -ex 'print a + b'
expect_status 0 "FILE:LINE pending, next over dlopen"
expect_lines "$out" "^=> $dlopen_line " "^Breakpoint 1 \\(bplib\\.c:$lib_line\\) resolved at 0x[0-9a-f]+: lib_add at bplib\\.c:$lib_line\$" \
    "^=> $((dlopen_line + 1)) "
expect_lines "$out" '^Breakpoint 1, hit 1 time, thread tid [0-9]+$' '^#0 .* lib_add at ' '^=> ' '^\$1 = 42$'

# tbreak: one stop only; a disabled pending breakpoint resolves but never stops
td_cdbg out run "$exe" --batch -ex 'tbreak -pending lib_add' -ex continue -ex 'print b' -ex breakpoints -ex continue
expect_status 0 "tbreak -pending"
expect_line '^Temporary breakpoint 1 \(lib_add\) pending: ' "$out"
expect_line '^\$1 = 22$' "$out"
expect_line '^No breakpoints\.$' "$out"
expect_line '^dlmain done 42 3$' "$out"
td_cdbg out run "$exe" --batch -ex 'break -pending lib_add' -ex 'disable 1' -ex continue
expect_status 0 "disabled pending"
expect_no_line '^Breakpoint 1, ' "$out"
expect_line '^dlmain done 42 3$' "$out"

# `run` starts the program again with the breakpoint pending again (its library is not loaded at main)
td_cdbg out run "$exe" --batch -ex 'break -pending lib_add' -ex continue -ex run -ex breakpoints -ex continue \
    -ex 'print a'
expect_status 0 "run keeps the pending breakpoint"
expect_lines "$out" '^Breakpoint 1 \(lib_add\), hit 0 times, pending$'
expect_line '^\$1 = 20$' "$out"

# exec: a breakpoint pending in the old program is followed into the new one's dynamic linker
# (testdata/fork/forks execs dlmain)
rep=$TD_TMP/exec.report
td_cdbg out run "$(td_bin forks_O0)" exec "$rep" "$exe" --batch -ex 'break -pending lib_add' -ex continue \
    -ex 'print a' -ex continue -ex 'print a' -ex continue
expect_status 0 "pending across exec"
expect_lines "$out" '^process [0-9]+ is executing new program: .*/dlmain$' \
    '^Breakpoint 1 \(lib_add\) resolved at 0x[0-9a-f]+: lib_add' '^Breakpoint 1, hit 1 time, thread tid [0-9]+$'
expect_line '^\$1 = 20$' "$out"
expect_line '^\$2 = 1$' "$out"
expect_line '^dlmain done 42 3$' "$out"

# JSON
td_cdbg out --json run "$exe" --batch -ex 'break -pending lib_add' -ex breakpoints -ex continue -ex continue
expect_status 0 "JSON"
expect_line '^\{"command":"break","id":1,"locations":\[\],"condition":null,"pending":true\}$' "$out"
expect_line '^\{"command":"breakpoints","breakpoints":\[\{"id":1,"spec":"lib_add","temporary":false,"hits":0,"condition":null,"pending":true,"locations":\[\]\}\]\}$' "$out"
expect_lines "$out" "^\\{\"command\":\"continue\",\"event\":\"breakpoint_resolved\",\"id\":1,\"locations\":\\[\\{\"address\":\"0x[0-9a-f]+\",\"function\":\"lib_add\",\"file\":\"[^\"]*bplib\\.c\",\"line\":$lib_line\\}\\]\\}\$" \
    '^\{"command":"continue","event":"breakpoint","tid":[0-9]+,"breakpoint":1,"hits":1,.*"function":"lib_add"' \
    '^\{"command":"continue","event":"breakpoint_pending","id":1,"locations":\[\]\}$' \
    '^\{"command":"continue","event":"breakpoint_resolved","id":1,' \
    '^\{"command":"continue","event":"breakpoint","tid":[0-9]+,"breakpoint":1,"hits":2,'

td_finish
