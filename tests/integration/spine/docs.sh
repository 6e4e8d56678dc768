#!/bin/bash
# The command table is the single source: docs/commands.md must be what cdbg generates from it,
# and every name `help` lists must resolve (as the REPL and completion resolve it). The same for
# the mode table and docs/modes.md. Regenerate both after changing a table:
#   build/cdbg --commands-markdown >docs/commands.md; build/cdbg --modes-markdown >docs/modes.md
. "$SRCROOT/tests/integration/lib.sh"

td_cdbg out --commands-markdown
expect_status 0 "--commands-markdown"
expect_exact "$out" "$SRCROOT/docs/commands.md"
# The mode table is the single source for dispatch, --help and docs/modes.md.
td_cdbg out --modes-markdown
expect_status 0 "--modes-markdown"
expect_exact "$out" "$SRCROOT/docs/modes.md"
td_cdbg modes --help
modes=$(sed -n '/^Modes:$/,/^$/p' "$modes" | sed -nE 's/^  ([a-z]+) +.*/\1/p')
[ "$(echo $modes)" = "attach core run deadlock stacks gcore trace profile lockorder leaks dap help" ] && pass "--help lists the modes" ||
    fail "--help lists the modes '$(echo $modes)', expected attach core run deadlock stacks gcore trace profile lockorder leaks dap help"
for m in $modes; do
    grep -q "^## $m\$" "$SRCROOT/docs/modes.md" && pass "mode $m documented" || fail "mode $m missing from docs/modes.md"
    td_cdbg mh "$m" --help
    expect_status 0 "$m --help"
    # the mode's own usage and its exit statuses, from the same table
    expect_line "^usage: cdbg (\[OPTIONS\] )?$m( |\$)" "$mh"
    expect_lines "$mh" '^Exit status:$' '^  0  success$'
done
td_cdbg mh deadlock --help
expect_line '^  3  found: a deadlock or a thread blocked forever \(`cdbg deadlock`\), a lock-order inversion \(`cdbg lockorder`\)$' "$mh"
td_cdbg mh attach --help
expect_no_line '^  3 ' "$mh"
td_cdbg out -q deadlock 1
expect_status 2 "deadlock not first"
expect_exact_str "$out.err" 'cdbg: `deadlock` must be the first argument: cdbg deadlock PID [--json]'
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
expect_lines "$out" '^  2  usage error$' '^  3  found: a deadlock or a thread blocked forever \(`cdbg deadlock`\), a lock-order inversion \(`cdbg lockorder`\)$'
td_cdbg out --bogus-option
expect_status 2 "unknown option"
expect_line "unknown option '--bogus-option'" "$out.err"
td_cdbg out
expect_status 2 "no operands"
expect_exact_str "$out.err" 'cdbg: no target: give `attach PID`, `core EXE CORE` or `run PROG`; see `cdbg --help`'
td_cdbg out frobnicate 1
expect_status 2 "unknown mode"
expect_exact_str "$out.err" "cdbg: unknown mode 'frobnicate': use attach, core, run, deadlock, stacks, gcore, trace, profile, lockorder, leaks, dap or help; see \`cdbg --help\`"
td_cdbg out --json frobnicate 1
expect_status 2 "unknown mode (JSON)"
expect_exact_str "$out" '{"command":"frobnicate","error":"unknown mode '"'"'frobnicate'"'"': use attach, core, run, deadlock, stacks, gcore, trace, profile, lockorder, leaks, dap or help; see `cdbg --help`"}'
td_finish
