#!/bin/bash
# The trace's output is live at a steady rate: trace_pace calls tick() every 20 ms and stops as
# soon as the -o file has something in it; it gives up (exit 1) after 400 calls. Its ~1,150-byte
# lines would take some 900 calls to fill cdbg's 1 MB buffer: output written only when a poll
# finds nothing (never, at this rate) or the buffer is full never reaches the file in time.
. "$SRCROOT/tests/integration/lib.sh"
exe=$(td_bin trace_pace)
for be in inline uprobe ptrace; do
    f=$TD_TMP/live.$be
    td_cdbg out trace --backend "$be" -o "$f" -e s -e s -e s -e s '^tick$' -- "$exe" "$f"
    expect_status 0 "$be: the program saw the output before its 400th call"
    expect_line '^output after [0-9]+ calls$' "$out"
    # every call it made is in the file, in order
    n=$(sed -n 's/^output after \([0-9]*\) calls$/\1/p' "$out")
    [ -n "$n" ] && [ "$(grep -c '^> tick(i=' "$f")" = "$n" ] && pass "$be: $n calls, $n lines" ||
        fail "$be: $(grep -c '^> tick(i=' "$f") lines for ${n:-?} calls"
    expect_line "^cdbg: trace: tick \\($be\\): ${n:-x} hits, 0 dropped$" "$out.err"
done
td_finish
