#!/bin/bash
# gdb's print options (print -pretty -elements N ... -- EXPR, abbreviations, /FMT after `--`), output,
# printf (its conversions, flags, widths, %s read from the target, (null) and (nil)), echo (gdb's
# escapes: \e is an e there, octal up to 3 digits) and artificial arrays (@), on
# testdata/values/printset.c: each command run by cdbg and gdb 13 at the same stop and the text
# compared exactly; output and printf add no newline of their own. Bad input: cdbg's one-line error
# is gdb's message for the same command.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/values/print_lib.sh"
need_tool gdb "the reference for how values are printed"
exe=$(td_bin printset_gcc)
cmds=(
    'p -e 5 -- ints'
    'p -elements 3 -repeats 2 -- ints'
    'p -pretty -- dp'
    'p -pretty -- /x num'
    'p -p -- pts[0]'
    'p -pretty on -- pts[0]'
    'p -pretty off -- pts[0]'
    'p -array-indexes -- small'
    'p -address off -- ip'
    'p -elements unlimited -- small'
    'p -null-stop -- nulbuf'
    'p -- -5'
    'p -5'
    'p -max-depth 1 -- dp'
    'p -union off -- obj'
    'p -symbol off -- ip'
    'p -array -e 2 -- matrix'
    'p -elem 3 -rep 1 -array -- small'
    'p -address off -- nullp'
    'p -address off -- (int*)8'
    'p -address off -- msg'
    'p -rep 2 -- longstr'
    'output obj'
    'output 5'
    'output/x 255'
    'output -ints[0]'
    'echo hi\n'
    'echo a\tb\\c\"d\101\x41\e\0101\1x\n'
    'echo trailing space \'
    'echo \n'
    'printf "%d %u %x %s %c %f %p %lu %lld %%\n", 5, 6, 255, msg, 65, 2.5, ip, big, neg'
    'printf "%s|%5d|%-4x|%05.2f|%10s|\n", "lit", 42, 10, dbl, msg'
    'printf "%s\n", nullp'
    'printf "%c%c\n", ch, '\''z'\'''
    'printf "%#x %#o %e %g %E %G\n", 255, 8, dbl, dbl, dbl, dbl'
    'printf "%i %X %o\n", -3, 48879, 64'
    'printf "%5c|%-3c|\n", 65, 66'
    'printf "%p %p %20p|\n", nullp, fnp, ip'
    'printf "%s\n", longstr'
    'printf "%s\n", nulbuf'
    'printf "%s\n", obj.name'
    'printf "%d,%d\n", ints[0]+ints[1], sizeof(obj)'
    'printf "%f %f\n", 3, 1'
    'printf "%lu %ld\n", big, neg'
    'printf "%zu\n", sizeof(int)'
    'printf "no newline"'
    'echo \n'
    'printf "tab\there\a\b\f\r\v\e|\n"'
    'printf "%Lf\n", dbl'
    'printf "%d%%\n", 50'
    'printf "a, b\n"'
    'printf "%s, %s\n", "x,y", "(z"'
    'p -o -- 1' 'p -raw-values -- 5' 'printf "%hd %hu %hx\n", 70000, 70000, 70000'
    'x/2xw ints' 'p $_' 'p $__' 'x/c msg' 'p $_' 'p $__' 'x/2dg ints' 'p $_' 'p $__' 'x/s msg' 'p $_'
    'x/hu ints' 'p $_' 'p $__'
    'p ints[1]@3'
    'p *ip@2'
    'p/x ints[0]@2'
)
print_compare cmds "$exe" "${cmds[@]}"

# output and printf print no newline: two in a row share a line, as in gdb
timeout 120 gdb -nx -batch -ex 'break stop_here' -ex run -ex 'output 5' -ex 'output ch' -ex 'printf "%d", 7' \
    -ex 'echo |\n' "$exe" 2>&1 | tail -1 >"$TD_TMP/gdb.nl"
td_cdbg out run "$exe" --batch -ex 'break stop_here' -ex continue -ex 'output 5' -ex 'output ch' -ex 'printf "%d", 7' \
    -ex 'echo |\n'
[ "$(tail -1 "$out")" = "$(cat "$TD_TMP/gdb.nl")" ] && [ "$(cat "$TD_TMP/gdb.nl")" = "5113 'q'7|" ] &&
    pass "output, printf: no newline" || fail "output/printf newlines: cdbg '$(tail -1 "$out")', gdb '$(cat "$TD_TMP/gdb.nl")'"
# output keeps no history: the next print is $1
td_cdbg out run "$exe" --batch -ex 'break stop_here' -ex continue -ex 'output 5' -ex 'echo \n' -ex 'p 6'
expect_line '^\$1 = 6$' "$out"

# bad input: one line, gdb's message (gdb goes on after an error in -batch; cdbg stops there)
bad=(
    'set print bogus on' 'set print pretty maybe' 'set print elements -1' 'show print bogus'
    'set print arr on' 'show print arr' 'set print p on' 'set print pretty on off' 'set print elements'
    'p -bogus -- 1' 'p -a -- ip' 'p -pretty maybe -- 1' 'p -elements abc -- 1'
    'printf "%y\n", 1' 'printf "%d\n"' 'printf "%d\n", 1, 2' 'printf %d, 1' 'printf "abc'
    'printf "%s\n", 5' 'printf "%d\n", obj' 'printf' 'output' 'printf "%hhd\n", 1' "printf \"\\'\\n\""
    'printf "%*d\n", 1, 2' 'p -arr -- small' 'p -r 2 -- longstr'
)
gargs=()
for c in "${bad[@]}"; do gargs+=(-ex "$c"); done
timeout 120 gdb -nx -batch -ex 'break stop_here' -ex run "${gargs[@]}" "$exe" 2>"$TD_TMP/gdb.err" >/dev/null
mapfile -t want <"$TD_TMP/gdb.err"
[ "${#want[@]}" = "${#bad[@]}" ] && pass "gdb: one error per bad command" ||
    { fail "gdb printed ${#want[@]} error lines for ${#bad[@]} bad commands"; td_show "$TD_TMP/gdb.err"; }
for i in "${!bad[@]}"; do
    td_cdbg out run "$exe" --batch -ex 'break stop_here' -ex continue -ex "${bad[$i]}"
    expect_status 1 "${bad[$i]}: fails"
    got=$(cat "$out.err")
    [ "$got" = "cdbg: ${want[$i]:-}" ] && pass "${bad[$i]}: gdb's message" ||
        fail "${bad[$i]}: cdbg '$got', gdb '${want[$i]:-}'"
done
# a gdb setting cdbg has not: said so, not taken for another
td_cdbg out run "$exe" --batch -ex 'break stop_here' -ex continue -ex 'set print demangle off'
expect_status 1 "set print demangle: fails"
expect_line "^cdbg: set print demangle: gdb's setting, which cdbg has not; \`show print\` lists cdbg's\$" "$out.err"
td_finish
