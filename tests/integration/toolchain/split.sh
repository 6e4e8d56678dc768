#!/bin/bash
# Split DWARF that cannot be read (issue 13), said in one line instead of "compile with -g":
#  - a .dwp package (testdata/toolchain's tc_gcc_dwp: gcc -gdwarf-4 -gsplit-dwarf, its .dwo files
#    packed by binutils' dwp and removed). libdw 0.188 (Debian 12) cannot read .dwp packages; gdb
#    can, and its answers there equal its answers on the same build with the .dwo files
#    (tc_gcc_split4). cdbg: one note when the first PC in it is looked up, the frames that need no
#    DIEs (report and leaf from the skeleton's line table, as gdb has them), and `info locals` fails
#    with the reason. With a libdw that reads .dwp (0.191 on), the values must equal gdb's instead.
#  - a missing .dwo: the program built here with gcc -gsplit-dwarf, one .dwo deleted. gdb 13 warns
#    and then cannot even set a breakpoint on a function of that CU; cdbg stops there, shows the
#    frame from the skeleton's line table, and names the missing file.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for frames and values"
need_tool gcc "building a split-DWARF program"

exe=$TESTDATA/toolchain/tc_gcc_dwp
[ -x "$exe" ] && [ -f "$exe.dwp" ] || { fail "tc_gcc_dwp and its .dwp are not built"; td_finish; }
ls "$exe".d/*.dwo >/dev/null 2>&1 && fail "tc_gcc_dwp still has .dwo files: the .dwp would not be needed"

frames() {
    sed -nE -e 's/^Breakpoint [0-9]+, ([A-Za-z_]+) \(.*\) at ([^ ]*\/)?([^ /]+:[0-9]+)$/#0 \1 \3/p' \
        -e 's/^#([0-9]+) +(0x[0-9a-f]+ in |\(inlined\) +in )?([A-Za-z_][A-Za-z0-9_]*) .*at ([^ ]*\/)?(toolchain[a-z_]*\.c:[0-9]+)$/#\1 \3 \5/p' "$1"
}
values() { grep -E '^(\$[0-9]+|[A-Za-z_][A-Za-z0-9_]*) = ' "$1" | sed -E 's/0x[0-9a-f]+/0xADDR/g'; }

gdb_session() { timeout 120 gdb -nx -batch -ex 'break report' -ex run -ex bt -ex 'info locals' -ex up -ex 'info locals' "$1" >"$2" 2>&1; }
gdb_session "$exe" "$TD_TMP/dwp.gdb"
gdb_session "$TESTDATA/toolchain/tc_gcc_split4" "$TD_TMP/split4.gdb"
values "$TD_TMP/dwp.gdb" >"$TD_TMP/dwp.gv"
values "$TD_TMP/split4.gdb" >"$TD_TMP/split4.gv"
[ "$(wc -l <"$TD_TMP/dwp.gv")" -ge 5 ] && pass "gdb reads the .dwp: $(wc -l <"$TD_TMP/dwp.gv") locals" ||
    { fail "gdb shows no locals from the .dwp"; td_show "$TD_TMP/dwp.gdb"; }
expect_exact "$TD_TMP/dwp.gv" "$TD_TMP/split4.gv"

td_cdbg out run "$exe" --batch -ex 'break report' -ex continue -ex bt -ex 'info locals'
frames "$out" | grep -E '^#[01] ' | sort -u >"$TD_TMP/mine"
frames "$TD_TMP/dwp.gdb" | grep -E '^#[01] ' | sort -u >"$TD_TMP/theirs"
[ "$(wc -l <"$TD_TMP/theirs")" -eq 2 ] || fail "gdb's frames #0 and #1: $(cat "$TD_TMP/theirs")"
expect_exact "$TD_TMP/mine" "$TD_TMP/theirs"
libdw=$(pkg-config --modversion libdw 2>/dev/null || echo 0.188)
if [ "$(printf '%s\n0.191\n' "$libdw" | sort -V | head -1)" = 0.191 ]; then
    # a libdw that reads .dwp packages: nothing to say, the values are gdb's
    expect_status 0 "info locals with libdw $libdw"
    values "$out" >"$TD_TMP/dwp.cv"
    head -n "$(wc -l <"$TD_TMP/dwp.cv")" "$TD_TMP/dwp.gv" >"$TD_TMP/dwp.gv1"
    expect_exact "$TD_TMP/dwp.cv" "$TD_TMP/dwp.gv1"
else
    expect_status 1 "info locals without the split unit"
    notes=$(grep -c 'tc_gcc_dwp\.dwp' "$out.err")
    [ "$notes" -eq 2 ] && pass "the .dwp named twice: the note and the error" ||
        { fail "the .dwp named $notes times on stderr, not 2 (one note, one error)"; td_show "$out.err"; }
    expect_line "^warning: tc_gcc_dwp: no locals, types or inlined frames: its split DWARF package $exe\\.dwp cannot be read by libdw $libdw \\(elfutils reads \\.dwp from 0\\.191 on\\); keep the \\.dwo files beside the objects instead\$" "$out.err"
    expect_line "^cdbg: no debug info for frame #0 \\(report\\): its split DWARF package $exe\\.dwp cannot be read by libdw" "$out.err"
    expect_no_line 'compile with -g' "$out.err"
fi

# A .dwo that is gone: built here, from the same sources.
src=$SRCROOT/testdata/toolchain
mkdir -p "$TD_TMP/nodwo"
(cd "$TD_TMP/nodwo" && gcc -g -gsplit-dwarf -c "$src/toolchain.c" && gcc -g -gsplit-dwarf -c "$src/toolchain_aux.c" &&
    gcc toolchain.o toolchain_aux.o -o prog) || { fail "cannot build the split-DWARF program"; td_finish; }
[ -f "$TD_TMP/nodwo/toolchain_aux.dwo" ] && rm "$TD_TMP/nodwo/toolchain_aux.dwo" ||
    { fail "gcc -gsplit-dwarf wrote no toolchain_aux.dwo"; td_finish; }
td_cdbg out run "$TD_TMP/nodwo/prog" --batch -ex 'break report' -ex continue -ex 'info locals'
expect_status 1 "info locals without toolchain_aux.dwo"
expect_line "^warning: prog: no locals, types or inlined frames: its split DWARF $TD_TMP/nodwo/toolchain_aux\\.dwo cannot be read; the \\.dwo files must stay where the compiler wrote them\$" "$out.err"
expect_line "^cdbg: no debug info for frame #0 \\(report\\): its split DWARF $TD_TMP/nodwo/toolchain_aux\\.dwo cannot be read" "$out.err"
expect_line '^Breakpoint 1, ' "$out"
expect_line '^#0 .* in report at toolchain_aux\.c:11$' "$out"
# gdb 13 does worse: "Could not find DWO CU", then a DWARF error, and `break report` is not set at all
timeout 120 gdb -nx -batch -ex 'break report' -ex run -ex 'info locals' "$TD_TMP/nodwo/prog" >"$TD_TMP/nodwo.gdb" 2>&1
expect_line "Could not find DWO CU toolchain_aux\\.dwo" "$TD_TMP/nodwo.gdb"
# the other CU's .dwo is still there: main's locals are read
td_cdbg out run "$TD_TMP/nodwo/prog" --batch -ex 'break report' -ex continue -ex 'frame 3' -ex 'info locals'
expect_status 0 "main's locals from toolchain.dwo"
expect_line '^pt = \{x = 3, y = 4, name = 0x[0-9a-f]+ "pt"\}$' "$out"
td_finish
