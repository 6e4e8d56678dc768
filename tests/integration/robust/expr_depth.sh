#!/bin/bash
# Expressions nested deeper than cdbg's stack allows fail with one clean line and exit 1, in every
# build (the ASan build's frames are several times larger): 60,000 casts and 60,000 parentheses
# (given in a -x script: longer than one argument may be), a 5,000-term sum (parsed iteratively,
# bounded when evaluated), and, with a 256 KiB stack (ulimit -s), 999 terms, where a fixed level
# count would still overflow. Ordinary expressions work on that small stack, and the target is
# left running and untraced after each failure.
. "$SRCROOT/tests/integration/lib.sh"

td_start values_O0
# deep_script NAME PYTHON_EXPR: writes "print <expr>" to $TD_TMP/NAME.cdbg
deep_script() {
    python3 -c "print('print ' + $2)" >"$TD_TMP/$1.cdbg" || fail "python3 could not write $1"
}
deep_script casts "'(int)' * 60000 + '1'"
deep_script parens "'(' * 60000 + '1' + ')' * 60000"
deep_script sum5000 "'+'.join(['1'] * 5000)"
deep_script sum999 "'+'.join(['1'] * 999)"
deep_script sum20 "'+'.join(['1'] * 20)"

# cdbg with a 256 KiB stack (its main thread's limit is RLIMIT_STACK)
small=$TD_TMP/cdbg-small-stack
printf '#!/bin/bash\nulimit -s 256 || exit 99\nexec "%s" "$@"\n' "$CDBG" >"$small"
chmod +x "$small"

# too_deep NAME STAGE [CDBG]
too_deep() {
    local name=$1 stage=$2 stack=
    [ -n "${3:-}" ] && stack=" (stack 256 KiB)"
    CDBG=${3:-$CDBG} td_cdbg out attach "$TD_PID" --batch -x "$TD_TMP/$name.cdbg"
    expect_status 1 "$name$stack"
    expect_line "^cdbg: expression too deeply nested to $stage \\(at column [0-9]+\\): it needs more stack than cdbg allows an expression; split it, e\\.g\\. with convenience variables \\(\\\$a = \\.\\.\\.\\)\$" "$out.err"
    # one line: the error and nothing else (no crash report, no sanitizer output)
    local n
    n=$(grep -cv '^warning: ' "$out.err")
    [ "$n" -eq 1 ] && pass "$name: one error line" || { fail "$name: $n lines on stderr"; td_show "$out.err"; }
    expect_no_line '^\$[0-9]+ = ' "$out"
    check_untraced "$TD_PID"
}
too_deep casts parse
too_deep parens parse
too_deep sum5000 evaluate
too_deep sum999 evaluate "$small"

# the guard does not refuse ordinary expressions on that small stack
CDBG=$small td_cdbg out attach "$TD_PID" --batch -x "$TD_TMP/sum20.cdbg"
expect_status 0 "20-term sum (stack 256 KiB)"
expect_exact_str "$out" '$1 = 20'
check_untraced "$TD_PID"
td_finish
