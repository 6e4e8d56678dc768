#!/bin/bash
# The prompt's `trace LOCATION [EXPR...]`: every hit logged with its arguments and expressions while
# `continue` runs the program, nothing stops; listed as a tracepoint with the breakpoints and
# deleted with them; on an attached program, Ctrl-C brings the prompt back and `detach` leaves it
# running, untraced.
. "$SRCROOT/tests/integration/lib.sh"

for v in O0 O2; do
    exe=$(td_bin "trace_hot_$v")
    td_cdbg out run "$exe" 5 --batch -ex 'trace work x*10' -ex 'breakpoints' -ex continue
    expect_status 0 "trace + continue ($v)"
    expect_line '^Tracepoint 1 at 0x[0-9a-f]+: work \(hot\.c:[0-9]+\)$' "$out"
    expect_line '^Tracepoint 1 \(work\), hit 0 times$' "$out"
    expect_line '^    records: x\*10$' "$out"
    grep '^> ' "$out" | sed -E 's/ hot\.c:[0-9]+ / /; s/ \[tid [0-9]+\]$//' >"$TD_TMP/hits_$v"
    expect_exact_str "$TD_TMP/hits_$v" '> work(x=0) x*10=0
> work(x=1) x*10=10
> work(x=2) x*10=20
> work(x=3) x*10=30
> work(x=4) x*10=40'
    expect_line '^sum 25$' "$out"
    expect_line 'exited with status 0$' "$out"
done

# deleted with the breakpoints: a breakpoint stops at the third call, the tracepoint goes, no more lines
exe=$(td_bin trace_hot_O0)
td_cdbg out run "$exe" 5 --batch -ex 'trace work' -ex 'break work if x == 2' -ex continue -ex 'delete 1' \
    -ex breakpoints -ex continue
expect_status 0 "trace, break, delete"
[ "$(grep -c '^> work' "$out")" = 3 ] && pass "3 hits logged before the delete" || fail "$(grep -c '^> work' "$out") hits logged, expected 3"
expect_no_line '^Tracepoint' <(grep -v '^Tracepoint 1 at' "$out")

# attached, Ctrl-C, detach: the program runs on, untraced
td_start trace_spin_O0 "$TD_TMP/stop"
pid=$TD_PID
repl_start attach "$pid"
repl_send 'trace tick' 'continue'
repl_wait '^> tick\(i=[0-9]+\) spin\.c:[0-9]+ \[tid [0-9]+\]$' "$R_OUT" 5
kill -INT "$R_PID"
repl_wait '^(Interrupted|Stopped|Program received)' "$R_OUT"
repl_send 'breakpoints' 'detach'
repl_end
expect_status 0 "the session"
expect_line '^Tracepoint 1 \(tick\), hit [0-9]+ times$' "$R_OUT"
check_untraced "$pid"
touch "$TD_TMP/stop"
wait "$pid"
TD_RC=$?
expect_status 0 "the program ran on to its end"
td_finish
