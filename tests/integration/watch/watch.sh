#!/bin/bash
# watch, rwatch, awatch: what cdbg prints (watch_gdb.py compares the stops with gdb's). A global
# written by a second thread is reported in that thread (the tid the program prints), with its old
# and new value; an unaligned 16-byte object takes three debug registers (gdb's split: 4 + 8 + 4)
# and only the stores into it stop; when the registers run out the error says how many are free
# and who holds the others; deleting a watchpoint gives its registers back; watchpoints are listed
# and numbered with the breakpoints; -r / -rw / rwatch / awatch; the JSON forms.
. "$SRCROOT/tests/integration/lib.sh"
# Thread creation and exit notes ("[New thread tid N]") come whenever the kernel reports them, also
# between the lines of a stop: they are not what this test is about
# (the process's own exit is a line of its own, kept).
cdbg_quiet() {
    td_cdbg "$@"
    sed -i -E '/^\[(New thread|Thread) tid [0-9]+( exited)?\]$/d' "${!1}"
}
src=$SRCROOT/testdata/watch/watch.c
line() { grep -n "@$1 " "$src" | head -1 | cut -d: -f1; }

for v in O0 O2; do
    exe=$(td_bin "watch_$v")
    # a global written by the second thread: every hit in that thread; the store of the value
    # already there (3) is not reported
    cdbg_quiet out run "$exe" --batch -ex 'watch counter' -ex continue -ex continue -ex continue -ex continue \
        -ex breakpoints -ex continue
    expect_status 0 "watch counter ($v)"
    writer=$(sed -n 's/^writer tid \([0-9]*\)$/\1/p' "$out")
    [ -n "$writer" ] || fail "the program did not print its writer thread's tid ($v)"
    expect_line '^Hardware watchpoint 1: counter$' "$out"
    expect_lines "$out" "^Hardware watchpoint 1: counter, thread tid $writer\$" '^Old value = 0$' '^New value = 1$' \
        '^#0  0x[0-9a-f]+ in writer at watch\.c:[0-9]+$' '^=> [0-9]+ '
    expect_lines "$out" "^Hardware watchpoint 1: counter, thread tid $writer\$" '^Old value = 2$' '^New value = 3$'
    expect_lines "$out" "^Hardware watchpoint 1: counter, thread tid $writer\$" '^Old value = 3$' '^New value = 10$' \
        "^#0  0x[0-9a-f]+ in writer at watch\\.c:$(($(line last) + 1))\$"
    [ "$(grep -c '^Hardware watchpoint 1: counter, thread tid' "$out")" = 4 ] &&
        pass "4 hits ($v)" || fail "expected 4 hits ($v): $(grep -c '^Hardware watchpoint 1: counter, thread' "$out")"
    expect_no_line '^Hardware watchpoint 1: counter, thread tid .*' <(grep -v "tid $writer\$" "$out")
    expect_lines "$out" '^Hardware watchpoint 1: counter, hit 4 times$' \
        '^    4 bytes at 0x[0-9a-f]{16} \(debug register 0\)$'
    expect_line '^watch done 10 4 109 63$' "$out"
    expect_line '^Process [0-9]+ exited with status 0$' "$out"

    # a member
    cdbg_quiet out run "$exe" --batch -ex 'watch pt.y' -ex continue
    expect_status 0 "watch pt.y ($v)"
    expect_lines "$out" '^Hardware watchpoint 1: pt\.y, thread tid [0-9]+$' '^Old value = 0$' \
        "^New value = $([ $v = O0 ] && echo 2 || echo 4)\$" '^#0  0x[0-9a-f]+ in touch_point at watch\.c:[0-9]+$'

    # 16 bytes at 4 mod 8: registers for 4 + 8 + 4 bytes; head and tail beside it never stop
    cdbg_quiet out run "$exe" --batch -ex 'print/x (unsigned long)&blob.data % 8' -ex 'watch blob.data' -ex breakpoints \
        -ex continue -ex continue -ex continue -ex continue
    expect_status 0 "watch blob.data ($v)"
    expect_line '^\$1 = 0x4$' "$out"
    expect_line '^    16 bytes at 0x[0-9a-f]{16} \(debug registers 0, 1, 2\)$' "$out"
    [ "$(grep -c '^Hardware watchpoint 1: blob.data, thread' "$out")" = 3 ] &&
        pass "3 hits on blob.data ($v)" || fail "expected 3 hits on blob.data ($v)"
    expect_no_line "^#0 .* at watch\\.c:$(line data0)\$" "$out"
    if [ $v = O0 ]; then
        # gdb's text for the char array: every byte, runs of more than 10 as <repeats>
        expect_lines "$out" "^Old value = '\\\\000' <repeats 15 times>\$" "^New value = \"a\", '\\\\000' <repeats 14 times>\$" \
            "^#0  0x[0-9a-f]+ in fill_blob at watch\\.c:$(line data15)\$"
        expect_lines "$out" "^Old value = \"a\", '\\\\000' <repeats 14 times>\$" \
            "^New value = \"a\", '\\\\000' <repeats 14 times>, \"z\"\$"
        expect_lines "$out" '^New value = "a\\000\\000\\000\\000\\000\\000\\000m\\000\\000\\000\\000\\000\\000z"$' \
            "^#0  0x[0-9a-f]+ in fill_blob at watch\\.c:$(line tail)\$"
    fi
    expect_line '^Process [0-9]+ exited with status 0$' "$out"
done

exe=$(td_bin watch_O0)
# out of debug registers: the error says how many it needs, how many are free, who holds them
cdbg_quiet out run "$exe" --batch -ex 'watch counter' -ex 'watch pt.y' -ex 'break touch_point' -ex 'watch blob.data'
expect_status 1 "three watchpoints of 1 + 1 + 3 registers"
expect_exact_str "$out.err" 'cdbg: watch: needs 3 debug registers, 2 of 4 are free (watchpoints 1 and 2 use them)'
cdbg_quiet out run "$exe" --batch -ex 'watch counter' -ex 'watch wide'
expect_exact_str "$out.err" 'cdbg: watch: needs 4 debug registers, 3 of 4 are free (watchpoint 1 uses them)'
cdbg_quiet out run "$exe" --batch -ex 'watch counter' -ex 'watch pt.x' -ex 'watch pt.y' -ex 'watch pt.z' -ex 'watch shared'
expect_exact_str "$out.err" 'cdbg: watch: needs 1 debug register, 0 of 4 are free (watchpoints 1, 2, 3 and 4 use them)'
cdbg_quiet out run "$exe" --batch -ex 'watch *(long (*)[5])wide'
expect_line '^cdbg: watch: needs 5 debug registers for 40 bytes at 0x[0-9a-f]+, and the CPU has 4: watch a part of it \(a member, an element\)$' "$out.err"
# deleting a watchpoint gives its registers back; the numbers are the breakpoints' sequence
cdbg_quiet out run "$exe" --batch -ex 'watch counter' -ex 'break touch_point' -ex 'watch pt.y' -ex 'clear 1' \
    -ex 'watch blob.data' -ex breakpoints -ex continue -ex continue
expect_status 0 "registers given back by clear"
expect_line '^Hardware watchpoint 4: blob\.data$' "$out"
expect_lines "$out" '^Breakpoint 2 \(touch_point\), hit 0 times$' '^    0x[0-9a-f]+ in touch_point at watch\.c:[0-9]+$' \
    '^Hardware watchpoint 3: pt\.y, hit 0 times$' '^    4 bytes at 0x[0-9a-f]{16} \(debug register 1\)$' \
    '^Hardware watchpoint 4: blob\.data, hit 0 times$' '^    16 bytes at 0x[0-9a-f]{16} \(debug registers 0, 2, 3\)$'
expect_no_line '^Hardware watchpoint 1: counter, hit' "$out"
expect_line '^Breakpoint 2, hit 1 time, thread tid [0-9]+$' "$out"
expect_lines "$out" '^Hardware watchpoint 3: pt\.y, thread tid [0-9]+$' '^Old value = 0$' '^New value = 2$'

# the breakpoint commands work on watchpoints: disable gives the registers back, enable takes
# them again (or says why it cannot), ignore, on
cdbg_quiet out run "$exe" --batch -ex 'watch pt' -ex 'disable 1' -ex 'watch blob.data' -ex breakpoints -ex 'enable 1'
expect_status 1 "enable without free registers"
expect_lines "$out" '^Hardware watchpoint 1: pt, hit 0 times, disabled$' '^    16 bytes at 0x[0-9a-f]{16}$' \
    '^Hardware watchpoint 2: blob\.data, hit 0 times$' '^    16 bytes at 0x[0-9a-f]{16} \(debug registers 0, 1, 2\)$'
expect_exact_str "$out.err" 'cdbg: enable: breakpoint 1: needs 2 debug registers, 1 of 4 is free (watchpoint 2 uses them)'
cdbg_quiet out run "$exe" --batch -ex 'watch pt.y' -ex 'on 1 print pt' -ex 'ignore 1 1' -ex breakpoints -ex continue \
    -ex 'disable 1' -ex 'watch blob.data' -ex 'enable 1' -ex breakpoints
expect_status 0 "on, ignore, disable, enable"
expect_lines "$out" '^Hardware watchpoint 1: pt\.y, hit 0 times, ignore next 1 hit$' \
    '^    4 bytes at 0x[0-9a-f]{16} \(debug register 0\)$' '^    on: print pt$'
expect_lines "$out" '^Hardware watchpoint 1: pt\.y, thread tid [0-9]+$' '^Old value = 2$' '^New value = 4$' '^#0 ' '^=> ' \
    '^\$1 = \{x = 1, y = 4, z = 3\}$'
expect_lines "$out" '^Hardware watchpoint 1: pt\.y, hit 2 times$' '^    4 bytes at 0x[0-9a-f]{16} \(debug register 3\)$'

# reads: -r reports the accesses that leave the value as it was, -rw every access
for form in 'watch -r shared|Hardware read watchpoint' 'rwatch shared|Hardware read watchpoint' \
    'watch -rw shared|Hardware access \(read/write\) watchpoint' 'awatch shared|Hardware access \(read/write\) watchpoint'; do
    cdbg_quiet out run "$exe" --batch -ex 'break reader' -ex continue -ex "${form%%|*}" -ex continue -ex continue -ex continue
    expect_status 0 "${form%%|*}"
    expect_line "^${form#*|} 2: shared\$" "$out"
    expect_lines "$out" "^${form#*|} 2: shared, thread tid [0-9]+\$" '^Value = 7$' "^#0  0x[0-9a-f]+ in reader at watch\\.c:$(line read1)\$"
    if [[ $form == *access* ]]; then
        expect_lines "$out" "^${form#*|} 2: shared, thread tid [0-9]+\$" '^Old value = 7$' '^New value = 8$'
    else
        expect_no_line '^Old value' "$out"
    fi
    expect_lines "$out" "^${form#*|} 2: shared, thread tid [0-9]+\$" '^Value = 8$' "^#0  0x[0-9a-f]+ in reader at watch\\.c:$(line read2)\$"
done

# a condition, as for a breakpoint
cdbg_quiet out run "$exe" --batch -ex 'watch counter if counter > 2' -ex continue -ex continue
expect_status 0 "watch ... if"
expect_line '^Hardware watchpoint 1: counter if counter > 2$' "$out"
expect_lines "$out" '^Hardware watchpoint 1: counter, thread tid [0-9]+$' '^Old value = 2$' '^New value = 3$'
expect_no_line '^Old value = [01]$' "$out"

# restart: the watchpoints are set again in the new process (same numbers and kinds)
cdbg_quiet out run "$exe" --batch -ex 'watch pt.y' -ex 'rwatch shared' -ex continue -ex restart -ex breakpoints -ex continue
expect_status 0 "watchpoints across restart"
expect_lines "$out" '^Hardware watchpoint 1: pt\.y, hit 0 times$' '^    4 bytes at 0x[0-9a-f]{16} \(debug register 0\)$' \
    '^Hardware read watchpoint 2: shared, hit 0 times$' '^    4 bytes at 0x[0-9a-f]{16} \(debug register 1\)$'
[ "$(grep -c '^Hardware watchpoint 1: pt.y, thread tid' "$out")" = 2 ] && pass "a hit before and after restart" ||
    fail "expected a hit on pt.y before and after restart"

# exec: a watchpoint on a global is set again in the new program (gdb's re-set), in its own sink
fork=$(td_bin forks_O0)
cdbg_quiet out run "$fork" exec "$TD_TMP/report" "$(td_bin newprog_O0)" --batch -ex 'watch sink' -ex continue -ex continue \
    -ex breakpoints -ex continue
expect_status 0 "a watchpoint across exec"
expect_lines "$out" '^Hardware watchpoint 1: sink, thread tid [0-9]+$' '^Old value = 0$' '^New value = 2$' \
    '^#0  0x[0-9a-f]+ in shared_work at forks\.c:[0-9]+$'
expect_lines "$out" '^Hardware watchpoint 1: sink, thread tid [0-9]+$' '^Old value = 0$' '^New value = 2$' \
    '^#0  0x[0-9a-f]+ in new_work at newprog\.c:[0-9]+$'
expect_line '^Hardware watchpoint 1: sink, hit 2 times$' "$out"
expect_line '^Process [0-9]+ exited with status 3$' "$out"

# JSON
cdbg_quiet out --json run "$exe" --batch -ex 'watch counter' -ex 'rwatch shared' -ex continue -ex breakpoints
expect_status 0 "watch --json"
expect_line '^\{"command":"watch","id":1,"kind":"write","expr":"counter","address":"0x[0-9a-f]+","size":4,"debug_registers":\[0\],"scope":null,"condition":null\}$' "$out"
expect_line '^\{"command":"rwatch","id":2,"kind":"read","expr":"shared","address":"0x[0-9a-f]+","size":4,"debug_registers":\[1\],"scope":null,"condition":null\}$' "$out"
writer=$(sed -n 's/^writer tid \([0-9]*\)$/\1/p' "$out")
expect_line "^\\{\"command\":\"continue\",\"event\":\"watchpoint\",\"tid\":$writer,\"breakpoint\":1,\"hits\":1,\"watchpoints\":\\[\\{\"id\":1,\"kind\":\"write\",\"expr\":\"counter\",\"hits\":1,\"type\":\"volatile int\",\"old\":0,\"new\":1\\}\\],\"frame\":\\{\"level\":0,.*\"function\":\"writer\"" "$out"
expect_line '^\{"command":"breakpoints","breakpoints":\[\{"id":1,"spec":"counter","temporary":false,"hits":1,"condition":null,"watchpoint":\{"kind":"write","expr":"counter","address":"0x[0-9a-f]+","size":4,"debug_registers":\[0\],"scope":null\},"locations":\[\]\},\{"id":2,"spec":"shared",' "$out"
cdbg_quiet out --json run "$exe" --batch -ex 'break reader' -ex continue -ex 'watch -r shared' -ex continue -ex 'watch pt' \
    -ex 'break fill_blob' -ex continue
expect_line '^\{"command":"continue","event":"watchpoint","tid":[0-9]+,"breakpoint":2,"hits":1,"watchpoints":\[\{"id":2,"kind":"read","expr":"shared","hits":1,"type":"volatile int","value":7\}\]' "$out"
cdbg_quiet out --json run "$exe" --batch -ex 'watch pt' -ex continue
expect_line '"watchpoints":\[\{"id":1,"kind":"write","expr":"pt","hits":1,"type":"struct point","old":\{"x":0,"y":0,"z":0\},"new":\{"x":1,"y":0,"z":0\}\}\]' "$out"
td_finish
