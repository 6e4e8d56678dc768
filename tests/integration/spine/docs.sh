#!/bin/bash
# The command table is the single source: docs/commands.md must be what cdbg generates from it,
# and every name `help` lists must resolve (as the REPL and completion resolve it).
. "$SRCROOT/tests/integration/lib.sh"

td_cdbg out --commands-markdown
expect_status 0 "--commands-markdown"
expect_exact "$out" "$SRCROOT/docs/commands.md"
td_cdbg out help
expect_status 0 "help"
names=$(sed -nE 's/^  ([a-z]+)( \(.*\))? {2,}.*/\1/p' "$out")
[ -n "$names" ] && pass "help lists commands" || fail "help lists no commands"
for n in $names; do
    grep -q "^### $n\$" "$SRCROOT/docs/commands.md" && pass "$n documented" || fail "$n missing from docs/commands.md"
    td_cdbg h help "$n"
    expect_status 0 "help $n"
done
# Every alias resolves to its command.
sed -nE 's/^  [a-z]+ \((.*)\) {2,}.*/\1/p' "$out" | tr ' ' '\n' | while read -r a; do
    "$CDBG" help "$a" >/dev/null 2>&1 || echo "alias $a does not resolve"
done >"$TD_TMP/alias"
[ -s "$TD_TMP/alias" ] && fail "$(cat "$TD_TMP/alias")" || pass "aliases resolve"
td_cdbg out help nosuchcommand
expect_status 1 "help of an unknown command"
expect_line "unknown command 'nosuchcommand'" "$out.err"
# Usage and version.
td_cdbg out --version
expect_status 0 "--version"
expect_line '^cdbg [0-9]+\.[0-9]+\.[0-9]+$' "$out"
td_cdbg out --help
expect_status 0 "--help"
expect_line '^  4  cannot attach' "$out"
td_cdbg out --bogus-option
expect_status 2 "unknown option"
expect_line "unknown option '--bogus-option'" "$out.err"
td_cdbg out
expect_status 2 "no operands"
td_cdbg out frobnicate 1
expect_status 2 "unknown mode"
td_finish
