#!/bin/bash
# Arrays as gdb prints them, on testdata/values/arrays.c: char arrays with embedded NULs (every byte
# but one trailing NUL), runs of more than 10 equal elements as `'c' <repeats N times>` between
# quoted segments, the 200-element limit (a run counts whole; for other element types a run counts
# as 10), nested arrays and a struct member; a char pointer stops at the NUL. Every global the
# program defines is printed by cdbg and gdb at the same line and the answers compared exactly.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for how arrays are printed"
exe=$(td_bin values_arrays)
src=$SRCROOT/testdata/values/arrays.c
line=$(grep -n '@arrays' "$src" | cut -d: -f1)
# every global: the declarations at the start of a line, and wb after its struct
mapfile -t names < <(sed -nE 's/^(char|unsigned char|signed char|int|long|double|struct withbuf|const char) \*?([a-z_0-9]+)[^a-z_0-9(].*/\2/p' "$src")
names+=(wb)
[ "${#names[@]}" -ge 40 ] && pass "${#names[@]} arrays to print" || fail "only ${#names[@]} names read from $src"
args=()
for n in "${names[@]}"; do args+=(-ex "print $n"); done

timeout 120 gdb -nx -batch -ex "break arrays.c:$line" -ex run "${args[@]}" "$exe" >"$TD_TMP/gdb.out" 2>&1
td_cdbg out run "$exe" --batch -ex "break arrays.c:$line" -ex continue "${args[@]}"
expect_status 0 "print every array"
# a pointer's address differs between the processes, and gdb names the data symbol it points to
norm() { sed -nE 's/^\$[0-9]+ = //; s/^0x[0-9a-f]+ (<[a-z_0-9]+> )?"/(ptr) "/; p' "$1"; }
mapfile -t want < <(grep '^\$' "$TD_TMP/gdb.out" | norm /dev/stdin)
mapfile -t got < <(grep '^\$' "$out" | norm /dev/stdin)
[ "${#want[@]}" = "${#names[@]}" ] && pass "gdb printed every one" ||
    { fail "gdb printed ${#want[@]} of ${#names[@]}"; td_show "$TD_TMP/gdb.out"; }
for i in "${!names[@]}"; do
    [ "${got[$i]:-}" = "${want[$i]:-}" ] && pass "print ${names[$i]}" ||
        fail "print ${names[$i]}: cdbg '${got[$i]:-}', gdb '${want[$i]:-}'"
done
# a lower limit (gdb's print elements is cdbg's max-string and max-array): where runs cross it
small=(limit_cross long300 long_rep zero256 seg40 cross_short names_rep big300 big_runs mid_runs l20 wb)
args=()
for n in "${small[@]}"; do args+=(-ex "print $n"); done
timeout 120 gdb -nx -batch -ex "break arrays.c:$line" -ex run -ex 'set print elements 14' "${args[@]}" "$exe" \
    >"$TD_TMP/gdb14.out" 2>&1
td_cdbg out14 run "$exe" --batch -ex "break arrays.c:$line" -ex continue -ex 'config max-string 14' \
    -ex 'config max-array 14' "${args[@]}"
expect_status 0 "print with a limit of 14"
mapfile -t want14 < <(grep '^\$' "$TD_TMP/gdb14.out" | norm /dev/stdin)
mapfile -t got14 < <(grep '^\$' "$out14" | norm /dev/stdin)
for i in "${!small[@]}"; do
    [ -n "${want14[$i]:-}" ] && [ "${got14[$i]:-}" = "${want14[$i]}" ] && pass "print ${small[$i]}, limit 14" ||
        fail "print ${small[$i]} with a limit of 14: cdbg '${got14[$i]:-}', gdb '${want14[$i]:-}'"
done
# the reference shows the cases (a gdb that stopped at the first NUL would make this pointless)
printf '%s\n' "${want[@]}" | grep -q "^\"abc\", '\\\\000' <repeats 12 times>\$" && pass "gdb: abc16 with its NULs" ||
    fail "gdb does not print abc16 as expected"
printf '%s\n' "${want[@]}" | grep -q '^{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 1, 2}$' && pass "gdb: 10 equal ints are not a run" ||
    fail "gdb prints rep_at10 otherwise"
td_finish
