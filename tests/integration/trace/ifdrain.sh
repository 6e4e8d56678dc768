#!/bin/bash
# --if on a hot function (inline backend): cdbg evaluates the condition for every record, tens of
# µs each, while the program writes records far faster, so the ring never runs dry. A drain of the
# ring must still hand back to cdbg within its time budget, or nothing is flushed and ^C is not seen
# while the program runs.
#
# trace_ifhot (testdata/trace/ifhot.c): hot(x != 5) a thousand times, hot(5) once (the marker), then
# hot(x != 5) without end until this test writes a byte to its FIFO. While the program is held:
#   1. the marker line is in the -o file (the live flush ran between two drains);
#   2. SIGINT ends cdbg (exit 130, every probe removed, the program runs on).
# Only then is the program released. No timing: each wait is for an observable state, with the
# library's generous timeout; a drain that never returns fails them by that timeout.
. "$SRCROOT/tests/integration/lib.sh"

exe=$(td_bin trace_ifhot)
d=$(mktemp -d "$TD_TMP/ifdrain.XXXXXX")
mkfifo "$d/fifo"
exec {fd}<>"$d/fifo" # read-write: opening it does not wait for the program
out=$d/out
"$CDBG" trace --backend inline --buffer-size 1M --if 'x == 5' -o "$out" '^hot$' -- "$exe" "$d/fifo" \
    >"$d/stdout" 2>"$d/err" &
cpid=$!
TD_PIDS+=("$cpid")

marker() { [ "$(sed -n 's/^\(> hot(x=[0-9]*)\) .*/\1/p' "$out" 2>/dev/null)" = "> hot(x=5)" ]; }

ok=true
deadline=$((SECONDS + TD_WAIT_TIMEOUT))
until marker; do
    if ! kill -0 "$cpid" 2>/dev/null; then
        fail "cdbg ended before the marker was in the output"; ok=false; break
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        fail "the marker was not in the output after ${TD_WAIT_TIMEOUT}s while the program ran"; ok=false; break
    fi
    sleep 0.05
done
$ok && pass "the marker (the only call --if shows) is out while the program is held"

# cdbg must end on SIGINT while the program still runs its hot loop (it is not released yet)
if $ok; then
    kill -INT "$cpid"
    if timeout "$TD_WAIT_TIMEOUT" tail --pid="$cpid" -f /dev/null; then
        pass "SIGINT ended cdbg before the program was released"
    else
        fail "cdbg still ran ${TD_WAIT_TIMEOUT}s after SIGINT (the program held)"; ok=false
    fi
fi
printf x >&"$fd" # the release, in every case
if ! $ok; then
    kill -INT "$cpid" 2>/dev/null
fi
timeout -k 5 "$TD_CDBG_TIMEOUT" tail --pid="$cpid" -f /dev/null
wait "$cpid"
rc=$?
[ "$rc" = 130 ] && pass "exit status 130 (interrupted)" || fail "exit status $rc, not 130"
expect_line '^cdbg: trace: .*; interrupted: every probe removed, the process runs on$' "$d/err"
# the program, untraced, ends once released (its stderr is cdbg's)
deadline=$((SECONDS + TD_WAIT_TIMEOUT))
until grep -q '^ifhot: [0-9]* calls$' "$d/err"; do
    [ "$SECONDS" -ge "$deadline" ] && break
    sleep 0.05
done
expect_line '^ifhot: [0-9]+ calls$' "$d/err"
[ "$(grep -c '^> hot(' "$out")" = 1 ] && pass "one line: the marker" || { fail "not one line"; td_show "$out"; }
exec {fd}>&-
td_finish
