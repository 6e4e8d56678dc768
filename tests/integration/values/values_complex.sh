#!/bin/bash
# C99 complex numbers (issue 13): double, float and long double complex, globals, locals and a
# parameter, printed as gdb prints them (`1 + 2i`, `3.5 + -4i`; cdbg printed `{}`), their type names
# (`complex double`, not a struct) and sizes; --json gives the same text. testdata/exprfix/complex.c,
# gcc and clang, compared with gdb on the same binary.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for complex values"

cmds=(-ex 'print gdc' -ex 'print gfc' -ex 'print gldc' -ex 'print z' -ex 'whatis z' -ex 'ptype gldc' -ex up
    -ex 'print ldc' -ex 'print lfc' -ex 'whatis gdc' -ex 'whatis gfc' -ex 'whatis gldc' -ex 'print sizeof(gldc)'
    -ex 'print sizeof(gfc)')
for build in gcc clang; do
    exe=$(td_bin "exprfix_complex_$build") || { fail "exprfix_complex_$build is not built (clang missing?)"; continue; }
    td_cdbg out run "$exe" --batch -ex 'break twice' -ex continue "${cmds[@]}"
    expect_status 0 "cdbg on the $build build" || td_show "$out.err"
    timeout 120 gdb -nx -batch -ex 'break twice' -ex run "${cmds[@]}" "$exe" >"$TD_TMP/gdb.$build" 2>&1
    grep -E '^(\$[0-9]+|type) = ' "$out" >"$TD_TMP/mine.$build"
    grep -E '^(\$[0-9]+|type) = ' "$TD_TMP/gdb.$build" >"$TD_TMP/theirs.$build"
    expect_exact "$TD_TMP/mine.$build" "$TD_TMP/theirs.$build"
    # gcc names the types `complex double`..., clang `complex` (and gdb prints that name)
    if [ $build = gcc ]; then d='complex double' f='complex float' l='complex long double'; else d=complex f=complex l=complex; fi
    expect_exact_str "$TD_TMP/mine.$build" '$1 = 1 + 2i
$2 = 3.5 + -4i
$3 = -0.25 + 10000000000i
$4 = 6 + -4.5i
type = '"$d"'
type = '"$l"'
$5 = 5 + -6.5i
$6 = 0 + 0i
type = '"$d"'
type = '"$f"'
type = '"$l"'
$7 = 32
$8 = 8'
    td_cdbg out --json run "$exe" --batch -ex 'break twice' -ex continue -ex 'print gfc'
    expect_line '"value":"3\.5 \+ -4i"' "$out"
done
td_finish
