#!/bin/bash
# Array lengths on every boundary of DWARF's constant forms (issue 13): gcc writes the upper bound
# N-1 and clang the count N in the smallest DW_FORM_dataK that holds it, so 128..256 elements sit
# in a data1 with the top bit set and 32769..65536 in a data2 with it set; read as signed, `char
# line[256]` became `char [0]` and printed "". For each size, char and int, global and local:
# `print`, `whatis`, `ptype`, `print sizeof(x)` and `print x[N-1]` must equal both the value the
# program stored (recomputed here from its fill pattern) and gdb's answer on the same process.
. "$SRCROOT/tests/integration/lib.sh"

SIZES=(127 128 129 255 256 257 65535 65536 65537)
# Long enough to print the data1/data2 boundary arrays whole, short enough that 65535 and up are cut
# (gdb's `set print elements`, cdbg's max-array/max-string; both mark the cut with "...").
LIMIT=300

if ! command -v gdb >/dev/null; then
    [ "${CI:-}" = true ] && { fail "gdb is not installed (it is the reference here; .ci/run installs it)"; td_finish; }
    skip "gdb is not installed"
fi

# expected VAR N KIND: the line each of the five commands prints, without "$k = ", one per line.
expected() {
    local v=$1 n=$2 kind=$3 i m=$(($2 < LIMIT ? $2 : LIMIT)) s=
    local more=
    [ "$n" -gt "$LIMIT" ] && more=...
    if [ "$kind" = c ]; then
        local abc=abcdefghijklmnopqrstuvwxyz
        for ((i = 0; i < m; i++)); do s+=${abc:$(((i + n) % 26)):1}; done
        local last=$((97 + (2 * n - 1) % 26))
        printf '"%s"%s\ntype = char [%d]\ntype = char [%d]\n%d\n%d '\''%b'\''\n' \
            "$s" "$more" "$n" "$n" "$n" "$last" "\\x$(printf %x "$last")"
    else
        for ((i = 0; i < m; i++)); do s+="${s:+, }$((i * 3 + n))"; done
        printf '{%s%s}\ntype = int [%d]\ntype = int [%d]\n%d\n%d\n' \
            "$s" "$more" "$n" "$n" "$((4 * n))" "$(((n - 1) * 3 + n))"
    fi
}

# values FILE: the answers in a debugger's output, "$k = " dropped (numbering is not compared).
values() {
    grep -E '^(\$[0-9]+ = |type = )' "$1" | sed -E 's/^\$[0-9]+ = //'
}

short() {
    local s=$1
    [ "${#s}" -gt 100 ] && s="${s:0:100}..."
    printf '%s' "$s"
}

check_prog() {
    local prog=$1
    td_start "$prog"
    local -a ex=() names=()
    local n v kind exp="$TD_TMP/$prog.expected"
    : >"$exp"
    for n in "${SIZES[@]}"; do
        for v in gc_$n gi_$n lc_$n li_$n; do
            kind=${v:1:1}
            ex+=(-ex "print $v" -ex "whatis $v" -ex "ptype $v" -ex "print sizeof($v)" -ex "print $v[$((n - 1))]")
            names+=("print $v" "whatis $v" "ptype $v" "print sizeof($v)" "print $v[$((n - 1))]")
            expected "$v" "$n" "$kind" >>"$exp"
        done
    done
    # frame 1 is hold(), whose frame holds the locals (main -> hold -> pause).
    td_cdbg out attach "$TD_PID" --batch -ex "config max-array $LIMIT" -ex "config max-string $LIMIT" -ex 'frame 1' "${ex[@]}"
    expect_status 0 "$prog: cdbg" || head -c 2000 "$out.err" >&2
    expect_line '^#1 .* in hold ' "$out"
    local ref="$TD_TMP/$prog.gdb"
    timeout 120 gdb -nx -batch -p "$TD_PID" -ex "set print elements $LIMIT" -ex 'set max-value-size unlimited' \
        -ex 'frame 1' "${ex[@]}" >"$ref" 2>&1
    expect_line '^#1 .* in hold \(\) at .*bounds\.c:[0-9]+$' "$ref"

    local -a mine theirs want
    mapfile -t mine < <(values "$out")
    mapfile -t theirs < <(values "$ref")
    mapfile -t want <"$exp"
    local total=${#names[@]} i
    [ "${#mine[@]}" -eq "$total" ] || { fail "$prog: cdbg gave ${#mine[@]} answers to $total commands"; td_show "$out.err"; }
    [ "${#theirs[@]}" -eq "$total" ] || { fail "$prog: gdb gave ${#theirs[@]} answers to $total commands"; td_show "$ref"; }
    for ((i = 0; i < total; i++)); do
        [ "${mine[$i]-}" = "${want[$i]}" ] && pass "$prog: ${names[$i]}" ||
            fail "$prog: ${names[$i]}: cdbg '$(short "${mine[$i]-<none>}")', the program stored '$(short "${want[$i]}")'"
        [ "${mine[$i]-}" = "${theirs[$i]-}" ] && pass "$prog: ${names[$i]} as gdb" ||
            fail "$prog: ${names[$i]}: cdbg '$(short "${mine[$i]-<none>}")', gdb '$(short "${theirs[$i]-<none>}")'"
    done
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
}

check_prog values_bounds_gcc
if [ -x "$TESTDATA/values/values_bounds_clang" ]; then
    check_prog values_bounds_clang
elif [ "${CI:-}" = true ]; then
    fail "clang is not installed, so values_bounds_clang was not built (.ci/run installs it)"
else
    echo "$TD_NAME: $TD_CHECKS checks, $TD_FAILS failed (gcc only)"
    [ "$TD_FAILS" -eq 0 ] && skip "clang is not installed: values_bounds_clang not built, only gcc's DWARF checked"
    exit 1
fi
td_finish
