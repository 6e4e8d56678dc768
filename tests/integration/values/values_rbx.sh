#!/bin/bash
# rbx in caller frames. elfutils' default x86-64 CFI (up to at least 0.188) marks rax instead of rbx
# as call-saved, so libdwfl loses rbx in the caller of a frame whose CFI never saves it (here
# pause(), frame #0). The unwinder recovers it, so `regs`, `$rbx` and variables held in rbx agree
# in every frame.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/values/values_lib.sh"
need_tool gdb "the reference values of the callee-saved registers"

# compare_gdb LABEL: gdb is the reference for every callee-saved register in frames 1..4 (up to
# main) of $TD_PID.
compare_gdb() {
    local f mine ref
    for f in 1 2 3 4; do
        td_cdbg out attach "$TD_PID" --batch -ex "frame $f" -ex 'regs'
        mine=$(grep -E '^(rbx|rbp|r12|r13|r14|r15) ' "$out" | awk '{print $1, $2}')
        ref=$(timeout 60 gdb -nx -q -p "$TD_PID" --batch -ex "frame $f" -ex 'info registers rbx rbp r12 r13 r14 r15' 2>/dev/null |
            grep -E '^(rbx|rbp|r12|r13|r14|r15) ' | awk '{print $1, $2}')
        [ -n "$ref" ] && [ "$mine" = "$ref" ] && pass "$1 frame $f matches gdb" ||
            fail "$1 frame $f: cdbg '$(echo $mine)' vs gdb '$(echo $ref)'"
    done
}

# -O2: leaf() keeps 3 in rbx across pause() (mov $0x3,%ebx; its callers save rbx themselves).
td_start values_O2
td_cdbg out attach "$TD_PID" --batch -ex 'frame 1' -ex 'regs' -ex 'print $rbx' -ex 'frame 3' -ex 'print $rbx'
expect_status 0 "O2 regs"
expect_line '^#1 +0x[0-9a-f]+ in leaf at values\.c:109$' "$out"
expect_line '^rbx +0x3 +3$' "$out"
expect_line '^\$1 = 3$' "$out"
expect_no_line '^rbx +<not saved>' "$out"
expect_line '^\$2 = [0-9]+$' "$out"
compare_gdb O2
check_untraced "$TD_PID"

# -O0: no function between main and pause() touches rbx, so every frame shows frame #0's rbx.
td_start values_O0
td_cdbg out attach "$TD_PID" --batch -ex 'regs' -ex 'frame 2' -ex 'regs' -ex 'frame 4' -ex 'regs'
expect_status 0 "O0 regs"
n=$(grep -E '^rbx ' "$out" | sort -u | wc -l)
all=$(grep -cE '^rbx +0x[0-9a-f]+ ' "$out")
[ "$all" = 3 ] && [ "$n" = 1 ] && pass "rbx in frames 0, 2, 4 agree" ||
    fail "rbx differs or is missing across frames: $(grep -E '^rbx ' "$out" | tr '\n' '|')"

compare_gdb O0
check_untraced "$TD_PID"
td_finish
