#!/bin/bash
# Frames and values on binaries from other toolchains (issue 13), each compared with gdb 13 on the
# same binary. testdata/toolchain builds one two-CU C program as: clang -g (DWARF 5, no
# .debug_aranges: libdw 0.188 then finds no CU for any PC), clang -gdwarf-4, clang -O2
# -ffunction-sections (DWARF 5 range lists), gcc -gdwarf-5 -O2, gcc with .debug_aranges removed by
# objcopy, gcc and clang objects linked together (aranges that do not cover the clang CU), gcc
# -gsplit-dwarf (DWARF 4 GNU extension and DWARF 5 skeletons), clang -gsplit-dwarf, gcc -gz,
# -O2 -fomit-frame-pointer, -static, no PIE, -O3, and a binary stripped of everything whose DWARF
# is found by its build-id in a debug directory (CDBG_DEBUG_FILE_DIRECTORY for cdbg, gdb's
# debug-file-directory for gdb, both the build's OUT.debugdir). First each binary is checked to be what its name says
# (else a passing comparison would prove nothing). Then one session per binary, in cdbg and in gdb:
# stop in report() (main -> walk, always inlined -> leaf -> report, in the other CU), bt, args and
# locals of every frame, globals of every storage kind (a file-static of the other CU included),
# expressions; and `break walk` (a function that exists only inlined), `break FILE:LINE` in each
# CU, whose FILE:LINE must be gdb's. The transcripts (frame lines as "LEVEL FUNC FILE:LINE", value lines with addresses
# blanked, as the two runs have different ASLR) must be equal, except where gdb is known wrong:
#   - gdb lists an inlined function's locals twice at -O2 (gcc's extra lexical block: the abstract
#     copies, <optimized out>, after the real ones): the second listing is dropped;
#   - gdb says <optimized out> for an argument whose value is an entry value only the caller's call
#     site gives (clang -O2's argc: main is called through a pointer): cdbg must then give the
#     value the program really has (argc 1: the test runs it without arguments).
# The thread-local tls_hits is not compared with gdb (on gcc's split DWARF gdb 13 says "Unhandled
# DWARF expression opcode 0xa2" for DWARF 5, and shows 0 for DWARF 4, reading gcc's mis-relocated
# address-table entry as an offset; on -static it cannot find the TLS): it must equal tls_seen, an
# ordinary global the program copied it to, itself compared with gdb.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for frames and values"
need_tool readelf "checking what each binary is"

VARIANTS=(tc_clang tc_clang_dwarf4 tc_clang_O2 tc_clang_split tc_mixed tc_gcc_O2_dwarf5 tc_gcc_noaranges
    tc_gcc_split4 tc_gcc_split5 tc_gcc_gz tc_gcc_O2_omitfp tc_gcc_static tc_gcc_nopie tc_gcc_O3 tc_gcc_buildid)
CMDS=('break report' RUN bt 'info args' 'info locals' 'print counter' 'print ratio' 'print table'
    'print run_mode' 'print accum' 'print tls_seen' 'print origin' 'print shared_scale' 'print px'
    'print scaled / k' up 'print p->name' 'info args' 'info locals' 'print *p' 'print sum * 2' up
    'info locals' up 'info args' 'info locals' 'print pt' 'print n' 'print argv[0] == 0')

# what VARIANT EXE: checks that EXE is the binary its name says.
what() {
    local v=$1 exe=$2 sections info
    sections=$(readelf -S -W "$exe")
    info=$(readelf -wN --debug-dump=info "$exe" 2>/dev/null) # the binary's own units, not its .dwo files
    has() { grep -q -- "$1" <<<"$2"; }
    ver() { grep -m1 -E '^ +Version: +[0-9]+' <<<"$info" | tr -dc 0-9; }
    case $v in
    tc_clang | tc_clang_O2 | tc_clang_split | tc_gcc_noaranges)
        has ' .debug_aranges ' "$sections" && fail "$v has .debug_aranges" || pass "$v: no .debug_aranges" ;;
    tc_mixed)
        [ "$(readelf --debug-dump=aranges "$exe" | grep -c 'Offset into .debug_info')" -eq 1 ] &&
            [ "$(grep -c 'DW_TAG_compile_unit' <<<"$info")" -eq 2 ] &&
            pass "$v: aranges for one of its two CUs" || fail "$v: not two CUs with aranges for one" ;;
    esac
    case $v in
    tc_clang | tc_clang_O2 | tc_clang_split | tc_gcc_O2_dwarf5 | tc_gcc_split5)
        [ "$(ver)" = 5 ] && pass "$v: DWARF 5" || fail "$v: DWARF version $(ver), not 5" ;;
    tc_clang_dwarf4 | tc_gcc_split4)
        [ "$(ver)" = 4 ] && pass "$v: DWARF 4" || fail "$v: DWARF version $(ver), not 4" ;;
    esac
    case $v in
    *split*)
        [ "$(ls "$exe".d/*.dwo 2>/dev/null | wc -l)" -eq 2 ] && ! has 'DW_TAG_subprogram' "$info" &&
            pass "$v: skeleton units, two .dwo files" || fail "$v: not split DWARF with two .dwo files" ;;
    tc_clang_O2) has ' .debug_rnglists ' "$sections" && pass "$v: range lists" || fail "$v: no .debug_rnglists" ;;
    tc_gcc_gz) grep -qE ' \.debug_info .* C ' <<<"$sections" && pass "$v: compressed .debug_info" ||
        fail "$v: .debug_info is not compressed" ;;
    tc_gcc_static) ! readelf -l -W "$exe" | grep -q INTERP && pass "$v: static" || fail "$v has an interpreter" ;;
    tc_gcc_nopie) readelf -h "$exe" | grep -q 'EXEC (Executable' && pass "$v: no PIE" || fail "$v is not ET_EXEC" ;;
    tc_gcc_buildid)
        ! has ' \.debug_info ' "$sections" && ! has ' \.symtab ' "$sections" &&
            [ "$(find "$exe.debugdir/.build-id" -name '*.debug' | wc -l)" -eq 1 ] &&
            pass "$v: stripped, one debug file by build-id" || fail "$v: not stripped with a .build-id debug file" ;;
    esac
}

# transcript FILE: frame lines as "#LEVEL FUNC FILE:LINE" (the program's own frames: gdb's stop line
# "Breakpoint N, FUNC (ARGS) at FILE:LINE" counts as #0), value lines "NAME = VALUE" / "$N = VALUE"
# with "(TYPE *) " dropped before pointers (cdbg's locals show it, gdb's do not) and addresses blanked.
transcript() {
    sed -nE -e 's/^Breakpoint [0-9]+, ([A-Za-z_]+) \(.*\) at ([^ ]*\/)?([^ /]+:[0-9]+)$/#0 \1 \3/p' \
        -e 's/^#([0-9]+) +(0x[0-9a-f]+ in |\(inlined\) +in )?([A-Za-z_][A-Za-z0-9_]*) .*at ([^ ]*\/)?(toolchain[a-z_]*\.c:[0-9]+)$/#\1 \3 \5/p' \
        -e '/^(\$[0-9]+|[A-Za-z_][A-Za-z0-9_]*) = /{s/\([a-z ]+\*+\) 0x/0x/g; s/0x[0-9a-f]+/0xADDR/g; p}' "$1"
}
# gdb's second listing of a name within one frame's locals (see above) is dropped.
gdb_dedup() {
    awk '/^#/ { delete seen } /^[A-Za-z_][A-Za-z0-9_]* = <optimized out>$/ { if ($1 in seen) next }
         /^[A-Za-z_]/ { seen[$1] = 1 } { print }'
}

cex=() gex=()
for c in "${CMDS[@]}"; do
    case $c in RUN) cex+=(-ex continue) gex+=(-ex run) ;; *) cex+=(-ex "$c") gex+=(-ex "$c") ;; esac
done
missing=()
for v in "${VARIANTS[@]}"; do
    exe=$TESTDATA/toolchain/$v
    if [ ! -x "$exe" ]; then
        case $v in
        tc_clang* | tc_mixed) command -v clang >/dev/null && fail "$v is not built" || missing+=("$v") ;;
        *) fail "$v is not built" ;;
        esac
        continue
    fi
    what "$v" "$exe"
    # a separate debug directory: the same one for both debuggers, nothing else in it
    gdir=()
    unset CDBG_DEBUG_FILE_DIRECTORY
    if [ -d "$exe.debugdir" ]; then
        export CDBG_DEBUG_FILE_DIRECTORY=$exe.debugdir
        gdir=(-iex "set debug-file-directory $exe.debugdir")
    fi
    td_cdbg out run "$exe" --batch "${cex[@]}" -ex 'print tls_hits' -ex 'print tls_seen'
    expect_status 0 "$v: cdbg session" || td_show "$out.err"
    timeout 120 gdb -nx -batch "${gdir[@]}" "${gex[@]}" "$exe" >"$TD_TMP/$v.gdb" 2>&1
    # the last two answers are the TLS check's, not gdb's
    transcript "$out" | head -n -2 >"$TD_TMP/$v.mine"
    transcript "$TD_TMP/$v.gdb" | gdb_dedup >"$TD_TMP/$v.theirs"
    grep -q '^#1 leaf toolchain\.c:[0-9]*$' "$TD_TMP/$v.theirs" && [ "$(wc -l <"$TD_TMP/$v.theirs")" -ge 40 ] ||
        { fail "$v: gdb's session is incomplete"; td_show "$TD_TMP/$v.gdb"; continue; }
    # gdb without an entry value it could not find; cdbg must have the real one (see above)
    if grep -qx 'argc = <optimized out>' "$TD_TMP/$v.theirs" && grep -qx 'argc = 1' "$TD_TMP/$v.mine"; then
        pass "$v: argc from main's entry value (gdb: <optimized out>)"
        sed -i 's/^argc = <optimized out>$/argc = 1/' "$TD_TMP/$v.theirs"
    fi
    if diff "$TD_TMP/$v.mine" "$TD_TMP/$v.theirs" >"$TD_TMP/$v.diff"; then
        pass "$v: $(wc -l <"$TD_TMP/$v.mine") frame and value lines as gdb's"
    else
        fail "$v: cdbg (<) and gdb (>) differ:"
        td_show "$TD_TMP/$v.diff"
    fi
    tls=($(transcript "$out" | tail -n 2 | sed -E 's/^\$[0-9]+ = //'))
    [ "${#tls[@]}" -eq 2 ] && [ "${tls[0]}" = "${tls[1]}" ] && pass "$v: tls_hits = tls_seen = ${tls[0]}" ||
        fail "$v: tls_hits and tls_seen: '${tls[*]}'"
    [ "$(grep -c '^warning: ' "$out.err")" -eq 0 ] && pass "$v: no warnings" || { fail "$v: warnings"; td_show "$out.err"; }
    # breakpoints by the name of a function that exists only inlined (walk: found in the DIEs, of
    # the split unit with -gsplit-dwarf) and by line, where gdb puts them
    bex=(-ex 'break walk' -ex 'break toolchain.c:44' -ex 'break toolchain_aux.c:13')
    td_cdbg out run "$exe" --batch "${bex[@]}"
    expect_status 0 "$v: breakpoints" || td_show "$out.err"
    timeout 120 gdb -nx -batch "${gdir[@]}" "${bex[@]}" "$exe" >"$TD_TMP/$v.gdb_bp" 2>&1
    sed -nE 's/^Breakpoint [0-9]+ at 0x[0-9a-f]+: .* at ([^ ]*\/)?([^ /]+:[0-9]+)$/\2/p' "$out" >"$TD_TMP/$v.bp_mine"
    sed -nE 's/^Breakpoint [0-9]+ at 0x[0-9a-f]+: file ([^ ]*\/)?([^ /]+), line ([0-9]+)\.$/\2:\3/p' "$TD_TMP/$v.gdb_bp" >"$TD_TMP/$v.bp_theirs"
    [ "$(wc -l <"$TD_TMP/$v.bp_theirs")" -eq 3 ] || { fail "$v: gdb set $(wc -l <"$TD_TMP/$v.bp_theirs") of 3 breakpoints"; td_show "$TD_TMP/$v.gdb_bp"; }
    expect_exact "$TD_TMP/$v.bp_mine" "$TD_TMP/$v.bp_theirs"
done
[ "${#missing[@]}" -gt 0 ] && [ "$TD_FAILS" -eq 0 ] && skip "clang is not installed: ${missing[*]} not built (the gcc variants passed)"
td_finish
