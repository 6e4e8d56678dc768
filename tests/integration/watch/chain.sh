#!/bin/bash
# `watch *p`, `watch p->x`, `watch arr[2]` (chain.c, built here at -O0 as gdb watches it with
# debug registers there): the address and length watched, every stop (which watchpoint, old and
# new value, function and line) and the deletion when the pointers' frame returns, all compared
# with gdb's. gdb watches the pointer as well as the object (its value chain): a write through
# another pointer is reported, and so is `p = &h`, after which the new object is the one watched.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for watchpoints through pointers"
need_tool gcc "building the test program"
exe=$TD_TMP/chain
gcc -g -O0 -o "$exe" "$SRCROOT/tests/integration/watch/chain.c" || { fail "cannot build chain.c"; td_finish; }

# The stops, one line each: "hit N: EXPR old=O new=N at FUNC:LINE" / "deleted N".
norm_gdb() {
    awk '
        function flush() { if (w != "") hits[nh++] = "hit " w " old=" o " new=" n; w = "" }
        /^Hardware watchpoint [0-9]+: / { if (set < nset) { set++; next } flush(); sub(/^Hardware watchpoint /, ""); w = $0; next }
        /^Old value = / { o = substr($0, 13) } /^New value = / { n = substr($0, 13) }
        /^Watchpoint [0-9]+ deleted/ { print "deleted " $2 }
        /^[a-z_]+ \(.*\) at .*:[0-9]+$/ {
            flush(); f = $1; l = $NF; sub(/.*:/, "", l)
            for (i = 0; i < nh; i++) print hits[i] " at " f ":" l
            nh = 0
        }' nset="$1" "$2"
}
norm_cdbg() {
    awk '
        function flush() { if (w != "") hits[nh++] = "hit " w " old=" o " new=" n; w = "" }
        /^Hardware watchpoint [0-9]+: .*, thread tid [0-9]+$/ { flush(); w = $0; sub(/^Hardware watchpoint /, "", w); sub(/, thread tid [0-9]+$/, "", w); next }
        /^Old value = / { o = substr($0, 13) } /^New value = / { n = substr($0, 13) }
        /^Watchpoint [0-9]+ deleted/ { print "deleted " $2 }
        /^#0  0x[0-9a-f]+ in [a-z_]+ at .*:[0-9]+$/ {
            flush(); f = $4; l = $NF; sub(/.*:/, "", l)
            for (i = 0; i < nh; i++) print hits[i] " at " f ":" l
            nh = 0
        }' "$1"
}

# cases: the watchpoints set at work's first line; gdb has four debug registers for them all
cases=('p->x|*ip' 'arr[2]|*ip' '*alias|p->z')
for c in "${cases[@]}"; do
    IFS='|' read -r e1 e2 <<<"$c"
    brk=work
    [ "$e1" = '*alias' ] && brk=chain.c:$(grep -n '@start' "$SRCROOT/tests/integration/watch/chain.c" | cut -d: -f1)
    conts=()
    gconts=''
    for _ in 1 2 3 4 5 6 7 8 9 10; do conts+=(-ex continue); gconts+=$'continue\n'; done
    printf 'break %s\nrun\nwatch %s\nwatch %s\n%s' "$brk" "$e1" "$e2" "$gconts" >"$TD_TMP/g.gdb"
    timeout 120 gdb -nx -batch -x "$TD_TMP/g.gdb" "$exe" >"$TD_TMP/gdb.out" 2>&1
    norm_gdb 2 "$TD_TMP/gdb.out" >"$TD_TMP/want"
    [ "$(grep -c '^hit' "$TD_TMP/want")" -ge 3 ] || { fail "gdb stopped fewer than 3 times for $c"; td_show "$TD_TMP/gdb.out"; }
    grep -q 'Could not insert\|software\|^Watchpoint [0-9]: ' "$TD_TMP/gdb.out" &&
        fail "gdb did not use debug registers for $c: the reference is off"

    td_cdbg out run "$exe" --batch -ex "break $brk" -ex continue -ex "watch $e1" -ex "watch $e2" -ex breakpoints "${conts[@]}"
    norm_cdbg "$out" >"$TD_TMP/got"
    expect_exact "$TD_TMP/got" "$TD_TMP/want"
    [ -n "${KEEP:-}" ] && cat "$TD_TMP/got"
    expect_line '^done 22 5 11$' "$out"
done

# what is watched: the object (gdb's `print &(EXPR)`, as a symbol and offset, and `sizeof`) and
# the pointer it goes through (a second debug register)
printf 'break work\nrun\nprint &p->z\nprint sizeof(p->z)\nprint &arr[2]\nprint sizeof(arr[2])\n' >"$TD_TMP/g.gdb"
timeout 120 gdb -nx -batch -x "$TD_TMP/g.gdb" "$exe" >"$TD_TMP/gdb.out" 2>&1
gz=$(sed -n 's/^\$1 = .* \(<g+[0-9]*>\)$/\1/p' "$TD_TMP/gdb.out")
gzs=$(sed -n 's/^\$2 = //p' "$TD_TMP/gdb.out")
ga=$(sed -n 's/^\$3 = .* \(<arr+[0-9]*>\)$/\1/p' "$TD_TMP/gdb.out")
gas=$(sed -n 's/^\$4 = //p' "$TD_TMP/gdb.out")
[ -n "$gz" ] && [ -n "$gzs" ] && [ -n "$ga" ] && [ -n "$gas" ] || { fail "gdb printed no address or size"; td_show "$TD_TMP/gdb.out"; }
td_cdbg out run "$exe" --batch -ex 'break work' -ex continue -ex 'watch p->z' -ex 'watch arr[2]' -ex breakpoints \
    -ex 'print &p->z' -ex 'print &arr[2]'
z=$(sed -n "s/^\\\$1 = (long[a-z ]* \\*) \\(0x[0-9a-f]*\\) $gz\$/\\1/p" "$out")
a=$(sed -n "s/^\\\$2 = (int \\*) \\(0x[0-9a-f]*\\) $ga\$/\\1/p" "$out")
[ -n "$z" ] && [ -n "$a" ] || { fail "cdbg's &p->z and &arr[2] are not gdb's $gz and $ga"; td_show "$out"; }
expect_lines "$out" '^Hardware watchpoint 2: p->z, hit 0 times$' \
    "^    $gzs bytes at 0x0*${z#0x} \\(debug registers 0, 1\\), a local of work in thread tid [0-9]+\$" \
    '^Hardware watchpoint 3: arr\[2\], hit 0 times$' "^    $gas bytes at 0x0*${a#0x} \\(debug register 2\\)\$"
td_finish
