#!/bin/bash
# All-stop with many threads, on testdata/bp/hits (8 threads, each calls hit(id, i) for i = 0..999):
# attached, `break hit` and 8000 continues stop exactly 8000 times, each in a real thread of the
# program (its tids, as it prints them), 1000 stops per thread, and the `on` command shows every
# (id, i) exactly once: no hit lost, none reported twice. Then cdbg leaves; the program runs on,
# finishes its calls (8000 in all) and is alive and untraced. At -O0, `ignore` counts 7998 hits
# without stopping and the next two stops are hits 7999 and 8000.
. "$SRCROOT/tests/integration/lib.sh"

script=$TD_TMP/hits.cdbg
{
    echo 'break hit'
    echo 'on 1 print id * 1000 + i'
    echo 'set var go = 1'
    for ((k = 0; k < 8000; k++)); do echo continue; done
} >"$script"

td_start hits_O2
pid=$TD_PID
td_cdbg out attach "$pid" --batch -x "$script"
expect_status 0 "8000 continues"
td_wait_for "the program's summary" grep -q '^hits done ' "$TD_TMP"/proc.*/out
prog=$(cat "$TD_TMP"/proc.*/out)
grep -qx 'hits done 8000' <<<"$prog" && pass "the program made 8000 calls" || fail "program: $(tail -1 <<<"$prog")"
# every stop is a hit of breakpoint 1, numbered 1..8000 in order
n=$(grep -c '^Breakpoint 1, hit [0-9]* times\?, thread tid [0-9]*$' "$out")
[ "$n" = 8000 ] && pass "8000 stops" || { fail "$n stops instead of 8000"; td_show "$out.err"; }
seq 1 8000 >"$TD_TMP/want_hits"
sed -n 's/^Breakpoint 1, hit \([0-9]*\) times\?, .*/\1/p' "$out" >"$TD_TMP/got_hits"
cmp -s "$TD_TMP/want_hits" "$TD_TMP/got_hits" && pass "hit counts 1..8000" || fail "hit counts are not 1..8000 in order"
# every (id, i) once
seq 0 7999 >"$TD_TMP/want_vals"
sed -n 's/^\$[0-9]* = //p' "$out" | sort -n >"$TD_TMP/got_vals"
cmp -s "$TD_TMP/want_vals" "$TD_TMP/got_vals" && pass "every call seen once" ||
    fail "calls seen: $(wc -l <"$TD_TMP/got_vals"), distinct $(uniq "$TD_TMP/got_vals" | wc -l); first difference: $(diff "$TD_TMP/want_vals" "$TD_TMP/got_vals" | sed -n 2p)"
# each stop's thread is one of the program's, 1000 stops each
sed -n 's/^thread [0-9]* tid \([0-9]*\) calls 1000$/\1/p' <<<"$prog" | sort >"$TD_TMP/tids"
[ "$(wc -l <"$TD_TMP/tids")" = 8 ] && pass "8 threads made 1000 calls each" || fail "program: $prog"
sed -n 's/^Breakpoint 1, .*, thread tid \([0-9]*\)$/\1/p' "$out" | sort | uniq -c | awk '{print $2, $1}' >"$TD_TMP/stops"
sed 's/$/ 1000/' "$TD_TMP/tids" >"$TD_TMP/want_stops"
expect_exact "$TD_TMP/stops" "$TD_TMP/want_stops"
check_untraced "$pid"

# -O0: ignore passes 7998 hits; the last two stop
td_start hits_O0
pid=$TD_PID
td_cdbg out attach "$pid" --batch -ex 'break hit' -ex 'ignore 1 7998' -ex 'set var go = 1' -ex continue \
    -ex continue -ex breakpoints
expect_status 0 "ignore 7998"
expect_line '^Will ignore next 7998 crossings of breakpoint 1\.$' "$out"
expect_lines "$out" '^Breakpoint 1, hit 7999 times, thread tid [0-9]+$' '^#0 ' '^=> '
expect_lines "$out" '^Breakpoint 1, hit 8000 times, thread tid [0-9]+$' '^#0 ' '^=> ' '^Breakpoint 1 \(hit\), hit 8000 times$'
td_wait_for "the program's summary" grep -q '^hits done 8000$' "$TD_TMP"/proc.*/out
check_untraced "$pid"

td_finish
