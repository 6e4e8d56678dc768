#!/bin/bash
# A launched program that ends at once (trace_quick: main calls once(7) and returns): the inline
# and uprobe backends arm it at main under ptrace and hand it over to a non-stop view; it must be
# held across that hand-over (a pending SIGSTOP), or it may run to its end first: the view then
# fails ("No such process", exit 4) or reads the arguments of a process that is gone (`once()`).
# The race is repeated: without the hold most runs lose it.
. "$SRCROOT/tests/integration/lib.sh"
exe=$(td_bin trace_quick)
for be in uprobe inline; do
    good=0
    for i in 1 2 3 4 5 6 7 8; do
        td_cdbg out trace --backend "$be" '^once$' -- "$exe"
        if [ "$TD_RC" -eq 0 ] && [ "$(grep -c '^> once(x=7) quick\.c:[0-9]* \[tid [0-9]*\]$' "$out")" = 1 ] &&
            grep -q "^cdbg: trace: once ($be): 1 hit, 0 dropped$" "$out.err"; then
            good=$((good + 1))
        else
            fail "$be run $i: exit $TD_RC: $(head -2 "$out") $(head -2 "$out.err")"
        fi
    done
    [ "$good" = 8 ] && pass "$be: 8 of 8 runs logged once(x=7)"
done
td_finish
