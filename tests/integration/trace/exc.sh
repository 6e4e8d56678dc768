#!/bin/bash
# --ret when C++ exceptions (and longjmp) leave traced calls: the program's output and exit status
# are what they are without cdbg, every call is logged, and the returns that never come are said
# as lost returns, never as lost records. The uprobe backend refuses --ret for a call an exception
# can pass through (its return probe hijacks the return address to code without unwind info, and
# the unwinder then calls std::terminate); auto then takes a backend that survives it and says so.
. "$SRCROOT/tests/integration/lib.sh"
exe=$(td_bin trace_exc)
"$exe" >"$TD_TMP/plain.out" 2>&1
plain_rc=$?
[ "$(cat "$TD_TMP/plain.out")" = "s=3309" ] && [ "$plain_rc" = 3 ] && pass "the program alone" ||
    fail "the program alone: rc $plain_rc, $(cat "$TD_TMP/plain.out")"

# FUNC BACKEND: the whole trace of a run with --ret
check_run() {
    local fn=$1 be=$2
    td_cdbg out trace --backend "$be" --ret "^$fn\$" -- "$exe"
    expect_status "$plain_rc" "$fn/$be: the program's exit status"
    expect_no_line 'terminate called' "$out.err"
    [ "$(grep -c '^s=3309$' "$out")" = 1 ] && pass "$fn/$be: the program's output" ||
        fail "$fn/$be: the program's output: $(grep -v '^[<>!]' "$out")"
    [ "$(grep -c "^> $fn(" "$out")" = 6 ] && pass "$fn/$be: 6 calls" || fail "$fn/$be: $(grep -c "^> $fn(" "$out") calls"
    [ "$(grep -c "^< $fn" "$out")" = 3 ] && pass "$fn/$be: 3 returns" || fail "$fn/$be: $(grep -c "^< $fn" "$out") returns"
    local lost
    lost=$(sed -n "s/^! \([0-9]*\) returns\{0,1\} of $fn lost.*/\1/p" "$out" | awk '{s += $1} END {print s + 0}')
    [ "$lost" = 3 ] && pass "$fn/$be: 3 lost returns" || { fail "$fn/$be: $lost lost returns"; td_show "$out"; }
    expect_line "^cdbg: trace: $fn \($3\): 6 hits, 0 dropped, 3 returns lost$" "$out.err"
    expect_line "^cdbg: trace: 6 hits, 6 shown, 0 dropped$" "$out.err"
    expect_no_line 'ring buffer' "$out.err"
}
for be in inline ptrace auto; do
    check_run mid "$be" "$([ "$be" = auto ] && echo inline || echo "$be")"
done
# loop_mid: the inline backend cannot patch it (a loop jumps back into its first bytes), so auto
# would try uprobe next
check_run loop_mid ptrace ptrace
check_run loop_mid auto ptrace
expect_line '^cdbg: trace: loop_mid: inline: .*; uprobe: loop_mid: --ret would kill the program when a C\+\+ exception passes through the call .*; the ptrace backend took it$' "$out.err"

for fn in mid loop_mid thrower; do
    td_cdbg out trace --backend uprobe --ret "^$fn\$" -- "$exe"
    expect_status 1 "$fn/uprobe --ret refused"
    expect_line "^cdbg: trace: $fn: uprobe: $fn: --ret would kill the program when a C\+\+ exception passes through the call" "$out.err"
    expect_no_line 'terminate called' "$out.err"
    # without --ret the uprobe backend is harmless
    td_cdbg out trace --backend uprobe "^$fn\$" -- "$exe"
    expect_status "$plain_rc" "$fn/uprobe without --ret"
    [ "$(grep -c '^s=3309$' "$out")" = 1 ] && pass "$fn/uprobe: the program's output" || fail "$fn/uprobe: output"
done
# -O2: the throw is in "thrower(int) [clone .cold]", a fragment gcc jumps to from inside thrower:
# not an entry, so neither listed nor probed (a call that throws would be logged twice)
need_tool nm "checking that gcc split thrower"
exe2=$(td_bin trace_exc_O2)
nm -C "$exe2" | grep -q ' thrower(int) \[clone \.cold\]$' && pass "the -O2 build has the .cold fragment" ||
    fail "trace_exc_O2 has no thrower .cold fragment: this check proves nothing"
td_cdbg out trace --list '^thrower$' -- "$exe2"
expect_status 0 "--list thrower"
[ "$(wc -l <"$out")" = 1 ] && pass "one row for thrower" || fail "--list thrower: $(cat "$out")"
expect_line '^thrower	trace_exc_O2	' "$out"
td_cdbg out trace '^thrower$' -- "$exe2"
expect_status "$plain_rc" "trace thrower -O2"
[ "$(grep -c '^> thrower(' "$out")" = 6 ] && pass "6 calls of thrower" || fail "thrower: $(grep -c '^> thrower(' "$out") entries for 6 calls"
td_cdbg out trace --list 'clone' -- "$exe2"
expect_no_line 'cold' "$out"

# a C program (no unwinder in the process) keeps uprobe --ret: trace_calls_uprobe traces with it
td_finish
