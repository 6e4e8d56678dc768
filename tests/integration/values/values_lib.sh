# Helpers for the values tests: a table of "COMMAND<TAB>REGEX" lines is run in ONE cdbg session
# (one -ex per command), and output line i must match REGEX i exactly (grep -Ex).
# Commands that print several lines list one table row per output line with the same command
# text prefixed by "+" for the continuation rows.

# run_table LABEL TABLEFILE CDBG-ARGS...
run_table() {
    local label=$1 table=$2
    shift 2
    local -a ex=() pats=()
    local cmd pat
    while IFS=$'\t' read -r cmd pat; do
        [ -z "$cmd" ] && continue
        case $cmd in '#'*) continue ;; esac
        [ "${cmd:0:1}" != "+" ] && ex+=(-ex "$cmd")
        pats+=("$pat")
    done <"$table"
    td_cdbg out "$@" --batch "${ex[@]}"
    expect_status 0 "$label" || { cat "$out.err" >&2; }
    local i=0 line
    local n
    n=$(wc -l <"$out")
    if [ "$n" -ne "${#pats[@]}" ]; then
        fail "$label: expected ${#pats[@]} output lines, got $n"
        td_show "$out"
    fi
    while IFS= read -r line; do
        [ "$i" -ge "${#pats[@]}" ] && break
        if printf '%s\n' "$line" | grep -Eqx -- "${pats[$i]}"; then
            pass "$label: ${pats[$i]}"
        else
            fail "$label line $((i + 1)): '$line' does not match /${pats[$i]}/"
        fi
        i=$((i + 1))
    done <"$out"
}

# expect_cmd_error LABEL REGEX CDBG-ARGS... : the last -ex fails with exit 1 and a one-line error.
expect_cmd_error() {
    local label=$1 pat=$2
    shift 2
    td_cdbg out "$@" --batch
    expect_status 1 "$label"
    local n
    n=$(grep -c . "$out.err")
    [ "$n" = 1 ] && pass "$label: one line" || fail "$label: expected one error line, got $n: $(cat "$out.err")"
    expect_line "$pat" "$out.err"
}
