# Helpers for the print_*.sh tests: the same commands run by gdb and by cdbg on the same program,
# both stopped in its stop_here(), and each command's text compared exactly.

PRINT_SETTINGS='address|array|array-indexes|elements|max-depth|null-stop|pretty|repeats|static-members|symbol|union|vtbl'

# print_compare LABEL EXE CMD...: one gdb and one cdbg session (stopped in stop_here, or where the
# arrays PRINT_GDB_START and PRINT_CDBG_START of -ex arguments say); before each command both print a
# marker line with `echo`, so the output splits into one piece per command. Addresses (the
# processes' layouts differ: gdb turns ASLR off) become ADDR; everything else must be equal.
print_compare() {
    local label=$1 exe=$2
    shift 2
    local -a gargs=() cargs=()
    local i=0 c
    for c in "$@"; do
        gargs+=(-ex "echo \\n@@@ $i\\n" -ex "$c")
        cargs+=(-ex "echo \\n@@@ $i\\n" -ex "$c")
        i=$((i + 1))
    done
    local -a gstart=(-ex 'break stop_here' -ex run) cstart=(-ex 'break stop_here' -ex continue)
    [ -n "${PRINT_GDB_START+x}" ] && gstart=("${PRINT_GDB_START[@]}")
    [ -n "${PRINT_CDBG_START+x}" ] && cstart=("${PRINT_CDBG_START[@]}")
    timeout 120 gdb -nx -batch "${gstart[@]}" "${gargs[@]}" "$exe" >"$TD_TMP/gdb.$label" 2>&1
    td_cdbg out run "$exe" --batch "${cstart[@]}" "${cargs[@]}"
    expect_status 0 "$label: cdbg ran every command" || { td_show "$out.err"; }
    print_pieces "$TD_TMP/gdb.$label" >"$TD_TMP/gdb.$label.p"
    print_pieces "$out" >"$TD_TMP/cdbg.$label.p"
    i=0
    for c in "$@"; do
        local want got
        want=$(print_piece "$TD_TMP/gdb.$label.p" "$i")
        got=$(print_piece "$TD_TMP/cdbg.$label.p" "$i")
        # gdb has more print settings than cdbg: `show print` compares the ones cdbg has
        [ "$c" = "show print" ] && want=$(printf '%s\n' "$want" | grep -E "^print ($PRINT_SETTINGS):")
        if [ -z "$want" ] && [ "${c%% *}" != set ] && [ "${c%% *}" != echo ]; then
            fail "$label: gdb printed nothing for '$c'"
        elif [ "$got" = "$want" ]; then
            pass "$label: $c"
        else
            fail "$label: '$c': cdbg and gdb differ"
            diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -20 >&2
        fi
        i=$((i + 1))
    done
}

# The output from the first marker on, with addresses and value-history numbers normalised.
print_pieces() {
    sed -n '/^@@@ 0$/,$p' "$1" | sed -E 's/0x[0-9a-f]{6,}/ADDR/g; s/^\$[0-9]+ = /$N = /'
}

# Piece N (the lines after marker N up to the next marker).
print_piece() {
    awk -v n="$2" '/^@@@ [0-9]+$/ { on = ($2 == n); next } on' "$1"
}
