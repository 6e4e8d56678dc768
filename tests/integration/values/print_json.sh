#!/bin/bash
# --json and gdb's print settings (docs/json.md): the settings change the text only, so every value
# printed with pretty, array, array-indexes, repeats, null-stop, address off, symbol off, union off
# and static-members off is the JSON it is with the defaults; set print, show print, output, printf
# and echo each print one object.
. "$SRCROOT/tests/integration/lib.sh"
exe=$(td_bin printset_gcc)
vals=(obj num dp pts ints matrix longstr nulbuf msg ip fnp small)
args=()
for v in "${vals[@]}"; do args+=(-ex "print $v"); done
sets=(-ex 'set print pretty on' -ex 'set print array on' -ex 'set print array-indexes on' -ex 'set print repeats 2'
      -ex 'set print null-stop on' -ex 'set print address off' -ex 'set print symbol off' -ex 'set print union off'
      -ex 'set print static-members off')
# one process (its addresses are the same for both): the values, the settings, the values again
td_cdbg out --json run "$exe" --batch -ex 'break stop_here' -ex continue "${args[@]}" "${sets[@]}" "${args[@]}"
expect_status 0 "json, before and after every presentation setting changed"
mapfile -t objs < <(grep '^{"expr":' "$out")
want=("${objs[@]:0:${#vals[@]}}")
got=("${objs[@]:${#vals[@]}}")
[ "${#objs[@]}" = $((2 * ${#vals[@]})) ] && pass "one object per print" || fail "${#objs[@]} objects for $((2 * ${#vals[@]})) prints"
for i in "${!vals[@]}"; do
    [ -n "${want[$i]:-}" ] && [ "${got[$i]:-}" = "${want[$i]}" ] && pass "json of ${vals[$i]} unchanged" ||
        fail "json of ${vals[$i]}: '${got[$i]:-}' with the settings, '${want[$i]:-}' without"
done
# and the text does change (the settings were taken)
td_cdbg text run "$exe" --batch -ex 'break stop_here' -ex continue "${sets[@]}" -ex 'print ip' -ex 'print small'
expect_line '^\$1 = \(int \*\) $' "$text"
expect_line '^\$2 = \{$' "$text"
expect_line '^  \[0\] = 5 <repeats 5 times>$' "$text"

# the commands' own objects
td_cdbg out --json run "$exe" --batch -ex 'break stop_here' -ex continue -ex 'set print elements 4' \
    -ex 'set print pretty' -ex 'show print elements' -ex 'set print max-depth unlimited' -ex 'show print' \
    -ex 'output ints[2]' -ex 'printf "%d-%s\n", 7, msg' -ex 'echo a\tb\n'
expect_status 0 "json commands"
expect_line '^\{"setting":"elements","value":4\}$' "$out"
expect_line '^\{"setting":"pretty","value":true\}$' "$out"
expect_line '^\{"print":\{"elements":4\}\}$' "$out"
expect_line '^\{"setting":"max-depth","value":"unlimited"\}$' "$out"
expect_line '^\{"print":\{"address":true,"array":false,"array-indexes":false,"elements":4,"max-depth":"unlimited","null-stop":false,"pretty":true,"repeats":10,"static-members":true,"symbol":true,"union":true,"vtbl":false\}\}$' "$out"
expect_line '^\{"expr":"ints\[2\]","type":"int","value":3\}$' "$out"
expect_line '^\{"printf":"7-hello, world\\n"\}$' "$out"
expect_line '^\{"echo":"a\\tb\\n"\}$' "$out"
td_finish
