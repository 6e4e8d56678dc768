#!/bin/bash
# cdbg trace on launched programs, for one backend (argv[1]: uprobe, auto, inline or ptrace): a hot
# loop of 100,000 calls logged exactly once, in order, with the right argument and no drop (-O0 and
# -O2: the argument in the red zone below sp, and in a register); four threads, each thread's calls
# in order; --ret values (their sum is the program's, one is gdb's `finish` value) and durations;
# --if; -e through a struct pointer; a shared library's function; the program's exit status.
. "$SRCROOT/tests/integration/lib.sh"
backend=${1:-uprobe}
CHECK="python3 $SRCROOT/tests/integration/trace/check.py"

# A backend another helper has not built yet says so; any other failure is a failure.
td_start trace_spin_O0 "$TD_TMP/stop0"
td_cdbg out trace --backend "$backend" -p "$TD_PID" '^tick$' --max-hits 1
if grep -q "backend $backend is not built yet" "$out.err"; then
    skip "the $backend backend is not built yet"
fi
touch "$TD_TMP/stop0"

# attached (-p): hot.c waits for a file before its loop; every call once, in order, no drop
for v in O0 O2; do
    td_start trace_hot_$v 100000 0 "$TD_TMP/go_$v"
    pid=$TD_PID
    "$CDBG" trace --backend "$backend" -p "$pid" '^work$' -o "$TD_TMP/att_$v" 2>"$TD_TMP/att_$v.err" &
    cpid=$!
    armed() { grep -q '^cdbg: trace: 1 tracepoint' "$TD_TMP/att_$v.err" 2>/dev/null || ! kill -0 "$cpid" 2>/dev/null; }
    td_wait_for "cdbg's probes in process $pid" armed
    touch "$TD_TMP/go_$v"
    wait "$pid"
    wait "$cpid"
    TD_RC=$?
    expect_status 0 "attached, the program's end ($v)"
    res=$($CHECK seq "$TD_TMP/att_$v" x 100000) && pass "attached: 100000 calls, in order ($v)" || fail "attached ($v): $res"
    took=$backend
    [ "$backend" = auto ] && took='(inline|uprobe|ptrace)'
    expect_line "^cdbg: trace: work \\($took\\): 100000 hits, 0 dropped\$" "$TD_TMP/att_$v.err"
done

for v in O0 O2; do
    exe=$(td_bin "trace_hot_$v")
    td_cdbg out trace --backend "$backend" '^work$' -o "$TD_TMP/hot_$v" -- "$exe" 100000 7
    expect_status 7 "the program's exit status ($v)"
    expect_line '^sum 10000000000$' "$out"
    res=$($CHECK seq "$TD_TMP/hot_$v" x 100000) && pass "100000 calls, in order ($v)" || fail "hot loop ($v): $res"
    expect_line '^cdbg: trace: work \((uprobe|inline|ptrace)\): 100000 hits, 0 dropped$' "$out.err"
    expect_line '^cdbg: trace: 100000 hits, 100000 shown, 0 dropped$' "$out.err"

    exe=$(td_bin "trace_threads_$v")
    td_cdbg out trace --backend "$backend" '^work$' -o "$TD_TMP/thr_$v" -- "$exe" 20000
    expect_status 0 "threads ($v)"
    res=$($CHECK threads "$TD_TMP/thr_$v" x 4 20000) && pass "4 threads x 20000 calls ($v)" || fail "threads ($v): $res"

    # --ret: entries and returns pair up, durations are positive, the returns add up to the sum the
    # program printed, and the return of work(7) is what gdb's finish says
    exe=$(td_bin "trace_hot_$v")
    if true; then # every backend records returns (the inline one: trace_iret)
    td_cdbg out trace --backend "$backend" --json --ret '^work$' -o "$TD_TMP/ret_$v" -- "$exe" 1000
    expect_status 0 "--ret ($v)"
    sum=$(sed -n 's/^sum //p' "$out")
    res=$($CHECK rets "$TD_TMP/ret_$v" x "$sum") && pass "--ret pairs and sum ($v)" || fail "--ret ($v): $res"
    ours=$($CHECK ret_of "$TD_TMP/ret_$v" x 7)
    gdbv=$(gdb -nx -batch -ex 'break work if x == 7' -ex 'run' -ex 'finish' --args "$exe" 1000 2>/dev/null |
        sed -n 's/^Value returned is \$1 = //p')
    [ -n "$gdbv" ] && [ "$ours" = "$gdbv" ] && pass "return of work(7) = gdb's finish ($gdbv)" ||
        fail "return of work(7): ours '$ours', gdb's finish '$gdbv'"
    fi

    # --if: the calls whose argument is a multiple of 1000, and only those
    # a ring that holds the whole run: every record is evaluated, however slow the reader (ASan)
    td_cdbg out trace --backend "$backend" '^work$' --buffer-size 128M --if 'x % 1000 == 0' -o "$TD_TMP/if_$v" -- "$exe" 100000
    expect_status 0 "--if ($v)"
    [ "$(grep -c '^> ' "$TD_TMP/if_$v")" = 100 ] && pass "--if: 100 entries ($v)" || fail "--if ($v): $(grep -c '^> ' "$TD_TMP/if_$v") entries"
    expect_no_line '^> work\(x=[0-9]*[1-9][0-9]{0,2}\)' "$TD_TMP/if_$v"
    expect_line '^> work\(x=99000\) ' "$TD_TMP/if_$v"
    expect_line '^cdbg: trace: work \(.*\): 100000 hits, 100 shown \(--if\), 0 dropped$' "$out.err"

    # -e through a pointer, with --if on another member
    exe=$(td_bin "trace_structp_$v")
    td_cdbg out trace --backend "$backend" '^handle$' -e 'r->size' --if 'r->id >= 7' -- "$exe"
    # (at O2 handle starts with a movslq the ptrace backend cannot emulate: it runs it out of line)
    expect_status 0 "-e r->size ($v)"
    grep '^> ' "$out" | sed -E 's/^> handle\(r=\(struct req \*\) 0x[0-9a-f]+\) structp\.c:[0-9]+ (r->size=[0-9]+) \[tid [0-9]+\]$/\1/' >"$TD_TMP/e_$v"
    expect_exact_str "$TD_TMP/e_$v" $'r->size=700\nr->size=800\nr->size=900'
done

# a ring too small to hold what the program writes while cdbg is slower: whatever is lost is
# counted, never silent: the entries shown plus the drops reported are every call
exe=$(td_bin trace_hot_O2)
td_cdbg out trace --backend "$backend" '^work$' --buffer-size 32K -o "$TD_TMP/small" -- "$exe" 100000
expect_status 0 "a small ring"
shown=$(grep -c '^> work' "$TD_TMP/small")
lost=$(sed -nE 's/^cdbg: trace: [0-9]+ hits, [0-9]+ shown, ([0-9]+) dropped.*/\1/p' "$out.err")
[ -n "$lost" ] && [ $((shown + lost)) = 100000 ] && pass "shown $shown + dropped $lost = 100000" ||
    fail "a small ring: $shown shown, '$lost' dropped, not 100000 in all"
# hits are every call, recorded or lost (docs/tracing.md), in both summary lines
expect_line "^cdbg: trace: work \\(.*\\): 100000 hits, ${lost:-x} dropped\$" "$out.err"
expect_line "^cdbg: trace: 100000 hits, $shown shown, ${lost:-x} dropped" "$out.err"
if [ "${lost:-0}" -gt 0 ] && [ "$backend" = uprobe ]; then
    # where they were lost: a drop line with calls after it, not only a total at the end
    grep -A1 '^! [0-9]* records lost (work)' "$TD_TMP/small" | grep -q '^> work' &&
        pass "drops reported where they happened" || fail "no drop reported in the middle of the trace"
fi

# a shared library's function: by MODULE:REGEX and by a plain regex
exe=$(td_bin trace_libmain)
for pat in 'libtrace.so:^lib_fn$' '^lib_f.$'; do
    td_cdbg out trace --backend "$backend" "$pat" -o "$TD_TMP/lib" -- "$exe" 1000
    if [ "$backend" = inline ]; then
        # lib_fn is 4 bytes: no room for the 5-byte jump (test_inline patches libc's fflush)
        expect_status 1 "inline: library function ($pat) refused"
        expect_line '^cdbg: trace: lib_fn: inline: lib_fn: the function at 0x[0-9a-f]+ has 4 bytes of instructions, fewer than the 5 a patch needs$' "$out.err"
        continue
    fi
    expect_status 0 "library function ($pat)"
    expect_line '^sum 599500$' "$out"
    res=$($CHECK seq "$TD_TMP/lib" v 1000) && pass "1000 calls of lib_fn ($pat)" || fail "lib_fn ($pat): $res"
    expect_line '^cdbg: trace: lib_fn \(.*\): 1000 hits, 0 dropped$' "$out.err"
done

# a program killed by a signal: cdbg exits 128+N
exe=$(td_bin trace_spin_O0)
"$CDBG" trace --backend "$backend" '^tick$' -o "$TD_TMP/sig" -- "$exe" "$TD_TMP/never" >"$TD_TMP/sig.out" 2>&1 &
cpid=$!
has_hit() { grep -q "^> tick" "$TD_TMP/sig" 2>/dev/null; }
if td_wait_for "the first tick in the trace" has_hit; then
    prog=$(sed -nE '1s/.*\[tid ([0-9]+)\]$/\1/p' "$TD_TMP/sig")
    kill -TERM "$prog"
fi
wait "$cpid"
TD_RC=$?
expect_status 143 "a program killed by SIGTERM"
td_finish
