# Shared by the info tests: run the same commands in cdbg and in gdb 13 and keep the lines both
# print for them. cdbg runs under `setarch -R` (gdb turns address randomization off for the
# programs it starts), so the addresses of a live process are gdb's too.

# The lines of the answers compared: gdb's `info` forms and printed values.
INFO_LINES='^(Line |No line number|Symbol |No symbol matches|.* in section |Current source file|Compilation directory|Located in|Contains [0-9]+ lines|Source language|Producer is|Compiled with|Does not include|Includes preprocessor|Num |[0-9]+ +(hw|read|acc) watchpoint|	(stop only|breakpoint already)|Auto-display|There are no auto-display|No watchpoints|[0-9]+: +[yn] |     [0-9]+: DW_OP|\.$|\$[0-9]+ = )'

# info_both NAME EXE STOP ARGS -- CMD...: cdbg (`run EXE ARGS`, `break STOP`, `continue`) and gdb
# (`break STOP`, `run`), then CMD... in both; compares the answer lines (expect_exact) and leaves
# them in $TD_TMP/NAME.mine and $TD_TMP/NAME.gdb (INFO_NOCMP set: only leaves them). STOP "-" runs to the end or a fatal signal;
# STOP "main" is where `cdbg run` stops by itself.
info_both() {
    local name=$1 exe=$2 stop=$3 a=() c=() bp=()
    shift 3
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        a+=("$1")
        shift
    done
    shift
    for x in "$@"; do c+=(-ex "$x"); done
    local mine=(-ex continue)
    [ "$stop" != - ] && bp=(-ex "break $stop")
    [ "$stop" != main ] && mine=("${bp[@]}" -ex continue)
    [ "$stop" = main ] && mine=()
    TD_CDBG_TIMEOUT=${TD_CDBG_TIMEOUT:-120}
    timeout -k 5 120 setarch "$(uname -m)" -R "$CDBG" run "$exe" "${a[@]}" --batch "${mine[@]}" "${c[@]}" \
        >"$TD_TMP/$name.cdbg" 2>&1 </dev/null
    timeout -k 5 120 gdb -nx -batch "${bp[@]}" -ex run "${c[@]}" --args "$exe" "${a[@]}" >"$TD_TMP/$name.gdbout" 2>&1 </dev/null
    grep -E "$INFO_LINES" "$TD_TMP/$name.cdbg" >"$TD_TMP/$name.mine"
    grep -E "$INFO_LINES" "$TD_TMP/$name.gdbout" >"$TD_TMP/$name.gdb"
    if [ ! -s "$TD_TMP/$name.gdb" ]; then
        fail "$name: gdb answered nothing"
        td_show "$TD_TMP/$name.gdbout"
        return 1
    fi
    [ -n "${INFO_NOCMP:-}" ] && return 0 # the caller compares
    expect_exact "$TD_TMP/$name.mine" "$TD_TMP/$name.gdb" || td_show "$TD_TMP/$name.cdbg"
}
