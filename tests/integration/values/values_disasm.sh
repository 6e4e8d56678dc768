#!/bin/bash
# disassemble: the selected frame's function, a named function, an address range; `=>` on the
# frame's instruction (the call in an outer frame), PLT calls named (abort@plt), /r and /s, JSON,
# live and on a core. Instruction boundaries and mnemonics are checked against objdump.
. "$SRCROOT/tests/integration/lib.sh"

# objdump_insns EXE FUNC: "OFFSET MNEMONIC" per instruction of FUNC, offsets from its start.
objdump_insns() {
    objdump -d --no-show-raw-insn -M intel "$1" | python3 -c '
import re, sys
f, start = "<" + sys.argv[1] + ">:", None
for line in sys.stdin:
    w = line.split()
    if start is None:
        if len(w) == 2 and w[1] == f:
            start = int(w[0], 16)
        continue
    if not w:
        break
    m = re.match(r"\s*([0-9a-f]+):\t(\S+)", line)
    if m:
        print(int(m.group(1), 16) - start, m.group(2))
' "$2"
}
# cdbg_insns FILE: the same from cdbg's text output.
cdbg_insns() {
    sed -nE 's/^(=>|  ) 0x[0-9a-f]{16} <\+([0-9]+)>:\t([a-z0-9]+).*/\2 \3/p' "$1"
}
# same_insns WHAT CDBG_OUT EXE FUNC: cdbg's instructions are objdump's, in order (objdump may show
# padding after the function's end, which cdbg does not)
same_insns() {
    local got want
    got=$(cdbg_insns "$2")
    want=$(objdump_insns "$3" "$4" | head -n "$(printf '%s\n' "$got" | wc -l)")
    if [ -n "$got" ] && [ "$got" = "$want" ]; then
        pass "$1: instructions match objdump"
    else
        fail "$1: instructions differ from objdump: cdbg [$(echo $got | head -c 300)] objdump [$(echo $want | head -c 300)]"
    fi
}

need_tool objdump "the reference disassembly"

exe=$(td_bin crash_O2)
td_cdbg out run "$exe" --batch -ex continue -ex 'frame 4' -ex disassemble
expect_status 0 "disassemble an outer frame's function"
expect_line '^Dump of assembler code for function crash_level3:$' "$out"
expect_line $'^=> 0x[0-9a-f]{16} <\\+[0-9]+>:\tcall\t0x[0-9a-f]+ <abort@plt>$' "$out"
expect_line '^End of assembler dump\.$' "$out"
[ "$(grep -c '^=> 0x' "$out")" = 1 ] && pass "one instruction marked" || fail "expected exactly one => line"
same_insns "crash_level3 -O2" "$out" "$exe" crash_level3

exe0=$(td_bin crash_O0)
td_cdbg out run "$exe0" --batch -ex 'disassemble /s'
expect_status 0 "disassemble /s"
main_line=$(grep -n '^{$' "$SRCROOT/testdata/spine/crash.c" | awk -F: -v m="$(grep -n '^int main' "$SRCROOT/testdata/spine/crash.c" | cut -d: -f1)" '$1 > m { print $1; exit }')
expect_line "^crash\\.c:$main_line"$'\t{$' "$out"
# `run` stops past main's prologue (gdb's `start`): the push is before the marked pc
expect_line $'^   0x[0-9a-f]{16} <\\+0>:\tpush\trbp$' "$out"
expect_line $'^=> 0x[0-9a-f]{16} <\\+[1-9][0-9]*>:\t' "$out"
expect_line $'\tcall\t0x[0-9a-f]+ <pthread_create@plt>$' "$out"
same_insns "main -O0" "$out" "$exe0" main

td_cdbg out run "$exe0" --batch -ex 'disassemble /r crash_level3'
expect_status 0 "disassemble /r FUNC"
first=$(objdump -d -M intel "$exe0" | awk '/<crash_level3>:/ { getline; sub(/^[^\t]*\t/, ""); sub(/ *\t.*/, ""); print; exit }')
expect_line $'^   0x[0-9a-f]{16} <\\+0>:\t'"$first"$' \t' "$out"

# a range: expressions, JSON
td_cdbg out --json run "$exe0" --batch -ex 'disassemble $rip,+8'
expect_status 0 "disassemble a range"
expect_line '^\{"command":"disassemble","function":null,"start":"0x[0-9a-f]+","end":"0x[0-9a-f]+","instructions":\[\{"address":"0x[0-9a-f]+","bytes":"[0-9a-f ]+","mnemonic":"[a-z]+","operands":"[^"]*","current":true\},' "$out"
td_cdbg out run "$exe0" --batch -ex 'disas main,main+4'
expect_line $'^   0x[0-9a-f]{16} <main>:\tpush\trbp$' "$out"
expect_line $'^   0x[0-9a-f]{16} <main\\+1>:\tmov\trbp, rsp$' "$out"

# on a core: the code comes from the executable's file
require_cores
core=$(make_core crash_O2) || exit 1
td_cdbg out core "$exe" "$core" --batch -ex 'frame 4' -ex disassemble
expect_status 0 "disassemble on a core"
expect_line $'^=> 0x[0-9a-f]{16} <\\+[0-9]+>:\tcall\t0x[0-9a-f]+ <abort@plt>$' "$out"
same_insns "crash_level3 on a core" "$out" "$exe" crash_level3

# bad input: one line each, exit 1
for c in 'disassemble nosuchfn|no symbol "nosuchfn" in the current context' \
    'disassemble 0x10,0x8|disassemble: the range 0x10,0x8 is empty; use START,END or START,\+LENGTH' \
    'disassemble 1|disassemble: no function with a known size contains 0x1; give a range: disassemble 0x1,\+64' \
    'disassemble /q|disassemble: unknown modifier .\/q.; use \/r \(raw bytes\) or \/s \(source lines\)' \
    'disassemble $rip,+2000000|disassemble: 2000000 bytes is more than the 1048576 a range may have'; do
    td_cdbg out run "$exe0" --batch -ex "${c%%|*}"
    expect_status 1 "${c%%|*}"
    expect_line "^cdbg: ${c#*|}" "$out.err"
    [ "$(wc -l < "$out.err")" = 1 ] && pass "one line for ${c%%|*}" || fail "more than one line for ${c%%|*}"
done
td_finish
