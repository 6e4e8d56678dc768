#!/bin/bash
# `display EXPR` rejects an expression that does not parse at once (one line, exit 1) instead of
# keeping it to fail at every stop; an expression that parses but cannot be evaluated here (an
# unknown name) is kept, as gdb keeps it. The check is the parser's error kind (CD_EK_USAGE), not its
# message text.
. "$SRCROOT/tests/integration/lib.sh"

exe=$(td_bin exprfix_complex_gcc) || fail "exprfix_complex_gcc is not built"
td_cdbg out run "$exe" --batch -ex 'display 1 +' -ex display
expect_status 1 "display of an expression that does not parse"
expect_exact_str "$out.err" "cdbg: syntax error at column 4: expected an expression before end of expression"
grep -q '^1: ' "$out" && fail "the display that does not parse was kept: $(grep '^1: ' "$out")" ||
    pass "no display kept"
td_cdbg out run "$exe" --batch -ex 'display nosuch' -ex display
expect_status 0 "display of an unknown name"
expect_line '^1: nosuch = <error: no symbol "nosuch" in the current context>$' "$out"
td_finish
