#!/bin/bash
# Which line a PC is on, and which address FILE:LINE is (issue 13), against gdb on the same binaries.
#  - testdata/values/lines.c (one function, -O0 and -O2, no PIE): for every address of its line
#    table, `break *ADDR` names gdb's line. At -O2 several rows share an address (6, 7, 8 is_stmt then
#    6 not): gdb takes the last row, or the statement row before it at the same address when the last
#    is not one; libdwfl answered whichever row its binary search hit (8 for 0x401050; 24 for 25 in
#    the issue).
#  - for every line of lines.c, `break lines.c:N` is gdb's one address: statement rows only, past the
#    prologue when the line opens a function, never the end-of-sequence row past main's `ret` (in a
#    one-function program that row is _fini's first byte: it used to be a second location). Where
#    gdb finds no statement row (an -O2 closing brace), cdbg has no code either.
#  - stops and `bt` in testdata/values/regs.c at -O2: every frame's line is gdb's.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for lines"

src=$SRCROOT/testdata/values/lines.c
last=$(wc -l <"$src")

# gdb_bps FILE: "ADDR LINE" (or "none") for each break command gdb ran, in order.
gdb_bps() {
    sed -nE 's/^Breakpoint [0-9]+ at 0x0*([0-9a-f]+): file .*, line ([0-9]+)\.$/\1 \2/p; s/^No line [0-9]+ in file.*/none/p' "$1"
}
# cdbg_bps FILE: "ADDR LINE[ more]" for each breakpoint cdbg set, in order.
cdbg_bps() {
    sed -nE 's/^Breakpoint [0-9]+ at 0x0*([0-9a-f]+): .* at [^ ]+:([0-9]+)( \(and .*)?$/\1 \2\3/p' "$1" |
        sed -E 's/ \(and .*/ more/'
}

for v in O0 O2; do
    exe=$(td_bin "values_lines_$v") || { fail "values_lines_$v is not built"; continue; }
    timeout 120 gdb -nx -batch -ex 'maint info line-table lines.c' "$exe" 2>/dev/null |
        awk '$1 ~ /^[0-9]+$/ {print $3, $2, ($4 == "Y" ? "stmt" : "-")}' | sed -E 's/^0x0*//' >"$TD_TMP/rows"
    grep -v ' END ' "$TD_TMP/rows" >"$TD_TMP/code_rows"
    [ -s "$TD_TMP/code_rows" ] && pass "gdb's line table ($v)" || { fail "gdb printed no line table ($v)"; continue; }
    if [ "$v" = O2 ]; then
        # what this test is about: an address whose last row is not a statement but an earlier one is
        awk '{ if ($1 == a) { if ($3 == "stmt") s = 1; else if (s) hit = 1 } else { a = $1; s = ($3 == "stmt") } }
             END { exit !hit }' "$TD_TMP/code_rows" && pass "O2: rows share an address, the last not a statement" ||
            fail "O2: gcc wrote no address with a statement row followed by a non-statement row"
    fi

    # every address of the line table
    ex=()
    for a in $(cut -d' ' -f1 "$TD_TMP/code_rows" | sort -u); do ex+=(-ex "break *0x$a"); done
    timeout 120 gdb -nx -batch "${ex[@]}" "$exe" >"$TD_TMP/g_addr" 2>&1
    td_cdbg out run "$exe" --batch "${ex[@]}"
    expect_status 0 "break *ADDR ($v)" || td_show "$out.err"
    gdb_bps "$TD_TMP/g_addr" >"$TD_TMP/theirs"
    cdbg_bps "$out" >"$TD_TMP/mine"
    [ "$(wc -l <"$TD_TMP/theirs")" -eq $((${#ex[@]} / 2)) ] ||
        fail "gdb answered $(wc -l <"$TD_TMP/theirs") of $((${#ex[@]} / 2)) breaks ($v)"
    expect_exact "$TD_TMP/mine" "$TD_TMP/theirs"

    # every line of the file; where gdb says "No line N" (no statement row at or after N: an -O2
    # closing brace) cdbg must say it has no code too
    ex=()
    for n in $(seq 1 "$last"); do ex+=(-ex "break lines.c:$n"); done
    timeout 120 gdb -nx -batch "${ex[@]}" "$exe" >"$TD_TMP/g_line" 2>&1
    mapfile -t theirs < <(gdb_bps "$TD_TMP/g_line")
    [ "${#theirs[@]}" -eq "$last" ] || fail "gdb answered ${#theirs[@]} of $last breaks ($v)"
    ex=()
    for ((i = 0; i < last; i++)); do
        n=$((i + 1))
        if [ "${theirs[$i]-}" = none ]; then
            td_cdbg nout run "$exe" --batch -ex "break lines.c:$n"
            expect_status 1 "break lines.c:$n: no code, as gdb says ($v)"
            expect_line "^cdbg: break: no code at or after line $n of lines.c" "$nout.err"
        else
            ex+=(-ex "break lines.c:$n")
        fi
    done
    td_cdbg out run "$exe" --batch "${ex[@]}"
    expect_status 0 "break lines.c:N ($v)" || td_show "$out.err"
    mapfile -t mine < <(cdbg_bps "$out")
    [ "${#mine[@]}" -eq $((${#ex[@]} / 2)) ] || { fail "cdbg set ${#mine[@]} of $((${#ex[@]} / 2)) breakpoints ($v)"; td_show "$out"; }
    k=0
    for ((i = 0; i < last; i++)); do
        n=$((i + 1)) g=${theirs[$i]-}
        [ "$g" = none ] && continue
        m=${mine[$k]-}
        k=$((k + 1))
        case $m in *more) fail "break lines.c:$n ($v) has several locations: $m"; continue ;; esac
        [ "${m%% *}" = "${g%% *}" ] && pass "lines.c:$n ($v) at 0x${g%% *}" ||
            fail "break lines.c:$n ($v): cdbg 0x${m%% *}, gdb 0x${g%% *}"
    done
    # the end-of-sequence rows (past main's ret) are never a location
    for a in $(awk '$2 == "END" {print $1}' "$TD_TMP/rows"); do
        grep -q "^Breakpoint .* at 0x0*$a: " "$out" && fail "a breakpoint at the end-of-sequence address 0x$a ($v)" ||
            pass "no location at end-of-sequence 0x$a ($v)"
    done
done

# Stops and bt at -O2: the line of every frame of the program, as gdb shows it.
exe=$(td_bin values_regs) || { fail "values_regs is not built"; td_finish; }
cmds=('break take' 'break stop_here' RUN bt continue bt continue bt continue bt)
cex=() gex=()
for c in "${cmds[@]}"; do
    case $c in RUN) cex+=(-ex continue); gex+=(-ex run) ;; *) cex+=(-ex "$c"); gex+=(-ex "$c") ;; esac
done
td_cdbg out run "$exe" --batch "${cex[@]}"
expect_status 0 "bt session" || td_show "$out.err"
timeout 120 gdb -nx -batch "${gex[@]}" "$exe" >"$TD_TMP/g_bt" 2>&1
# "#LEVEL FUNC regs.c:LINE" for the program's own frames (cdbg shows frame #0 at each stop, then bt
# shows it again: uniq)
frames() { sed -nE 's/^#([0-9]+) +(0x[0-9a-f]+ in )?([a-z_]+) .*at ([^ ]*\/)?(regs\.c:[0-9]+)$/\1 \3 \5/p' "$1" | uniq; }
frames "$out" >"$TD_TMP/mine"
frames "$TD_TMP/g_bt" >"$TD_TMP/theirs"
[ "$(wc -l <"$TD_TMP/theirs")" -ge 10 ] && pass "gdb showed the frames" || { fail "gdb's bt: too few frames"; td_show "$TD_TMP/g_bt"; }
expect_exact "$TD_TMP/mine" "$TD_TMP/theirs"
td_finish
