#!/bin/bash
# `set var` on variables that live in registers (issue 13): it used to report success and change
# nothing. testdata/values/regs.c at -O2 stops (breakpoints) where gcc keeps the variables in
# registers: frame 0 (a struct, a bitfield and a long arriving in rdi/rsi/rdx), an outer frame whose
# registers a callee saved on its stack (written in that slot), an outer frame no callee saved them
# in (the thread's live registers), and structs split into DWARF pieces. Every write is read back
# twice: by `print` in the same session and by the program itself, which prints what it sees
# after the debugger let it go. gdb runs the same commands on the same binary: its prints and the
# program's lines under it are the reference. Registers that cannot be written (call-clobbered in an
# outer frame, a caller's rsp, an optimized-out part) fail with one line.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for values written to registers"

exe=$(td_bin values_regs) || { fail "values_regs is not built"; td_finish; }

# Preconditions: the variables really are in registers where the test writes them (a compiler
# that put them on the stack would make this a memory test).
timeout 120 gdb -nx -batch -ex 'break take' -ex 'break stop_here' -ex run -ex 'info address p' -ex 'info address f' \
    -ex 'info address v' -ex continue -ex 'frame 2' -ex 'info address l' -ex 'info address m' -ex 'info address k' \
    "$exe" >"$TD_TMP/where" 2>&1
for v in p f v l m k; do
    grep -A1 "^Symbol \"$v\" is" "$TD_TMP/where" | grep -Eq 'a variable in \$r[a-z0-9]+' &&
        pass "gdb: $v lives in a register" || fail "gdb: $v is not in a register: $(grep -A2 "^Symbol \"$v\"" "$TD_TMP/where")"
done

# The session: writes in frame 0 (take), frame #2 through saver's slots and frame #1 through the live
# registers (work), and a struct made of pieces in frame #2 (pieces). Each write is printed back.
cmds=(
    'break take' 'break stop_here' RUN
    'set var p.hi = 77' 'set var f.b = -9' 'set var f.c = 99' 'set var v = v + 1'
    'print p' 'print f' 'print v'
    continue 'frame 2' 'set var l = 101' 'set var m = -36' 'set var k = k * 2' 'print l' 'print m' 'print k'
    continue 'frame 1' 'print l' 'print m' 'print k' 'set var k = 7' 'set var m = m - 1' 'set var l = -l'
    'print l' 'print m' 'print k'
    continue 'frame 2' 'print p' 'set var p.hi = 66' 'print p'
    continue
)
cex=() gex=()
for c in "${cmds[@]}"; do
    if [ "$c" = RUN ]; then
        cex+=(-ex continue)
        gex+=(-ex run)
    else
        cex+=(-ex "$c")
        gex+=(-ex "$c")
    fi
done
td_cdbg out run "$exe" --batch "${cex[@]}"
expect_status 0 "cdbg session" || td_show "$out.err"
expect_empty "$out.err" "cdbg's stderr"
timeout 120 gdb -nx -batch "${gex[@]}" "$exe" >"$TD_TMP/gdb.out" 2>&1

answers() { grep -E '^(\$[0-9]+ = |take |work |pieces )' "$1"; }
answers "$out" >"$TD_TMP/mine"
answers "$TD_TMP/gdb.out" >"$TD_TMP/theirs"
[ -s "$TD_TMP/theirs" ] || { fail "gdb gave no answers"; td_show "$TD_TMP/gdb.out"; }
expect_exact "$TD_TMP/mine" "$TD_TMP/theirs"

# What the program printed is what was written (initial values: p=5,6 f=5,-5,205 v=55 l=15 m=35
# k=1280): every write reached the register or slot the program later read.
expect_line '^take p=5,77 f=5,-9,99 v=56$' "$out"
expect_line '^work l=-101 m=-37 k=7$' "$out"
expect_line '^pieces p=5,66 f=5,-5,205$' "$out"
# and `print` read back each write, in the frame it was made in
expect_lines "$out" '^\$1 = \{lo = 5, hi = 77\}$' '^\$2 = \{a = 5, b = -9, c = 99\}$' '^\$3 = 56$'
expect_lines "$out" '^\$4 = 101$' '^\$5 = -36$' '^\$6 = 2560$'
expect_lines "$out" '^\$10 = -101$' '^\$11 = -37$' '^\$12 = 7$'
expect_lines "$out" '^\$13 = \{lo = <optimized out>, hi = 6\}$' '^\$14 = \{lo = <optimized out>, hi = 66\}$'

# refuse CMD... -- REGEX: the session ends with that command failing with one line matching REGEX.
refuse() {
    local -a ex=()
    while [ "$1" != -- ]; do
        ex+=(-ex "$1")
        shift
    done
    td_cdbg out run "$exe" --batch -ex 'break stop_here' "${ex[@]}"
    expect_status 1 "refused: ${ex[*]: -1}"
    [ "$(wc -l <"$out.err")" -eq 1 ] && pass "one line" || { fail "not one line of error"; td_show "$out.err"; }
    expect_line "$2" "$out.err"
}
# work's frame #1 above stop_here, which saved nothing: rax is call-clobbered there
refuse continue continue 'frame 1' 'set var $rax = 1' -- \
    '^cdbg: cannot write rax of frame #1: frame #0 \(stop_here\) did not save it \(rax is call-clobbered there\)'
refuse continue 'frame 2' 'set var $rsp = 0' -- '^cdbg: cannot write rsp of frame #2: .*frame address'
# pieces: p.lo is an empty piece there
refuse continue continue continue 'frame 2' 'set var p.lo = 1' -- '^cdbg: cannot assign: .*optimized out'

# pieces() at its nop, frame 0: f is three bit pieces, a computed (DW_OP_stack_value), b and c in
# registers. gdb prints it so; writing the computed part must fail (gdb "succeeds" and nothing
# changes: the issue's bug).
nop=$(grep -n '@pieces-nop' "$SRCROOT/testdata/values/regs.c" | cut -d: -f1)
td_cdbg out run "$exe" --batch -ex "break regs.c:$nop" -ex continue -ex 'print f' -ex 'print f.c' -ex 'set var f.a = 1'
expect_status 1 "computed piece"
timeout 120 gdb -nx -batch -ex "break regs.c:$nop" -ex run -ex 'print f' -ex 'print f.c' "$exe" >"$TD_TMP/gdb.nop" 2>&1
answers "$out" >"$TD_TMP/mine"
answers "$TD_TMP/gdb.nop" >"$TD_TMP/theirs"
expect_line '^\$1 = \{a = 5, b = -5, c = 205\}$' "$TD_TMP/theirs"
expect_exact "$TD_TMP/mine" "$TD_TMP/theirs"
[ "$(wc -l <"$out.err")" -eq 1 ] && pass "one line" || { fail "not one line of error"; td_show "$out.err"; }
expect_line '^cdbg: cannot assign: the compiler describes that part of the value as computed' "$out.err"
td_finish
