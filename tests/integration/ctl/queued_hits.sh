#!/bin/bash
# Threads that hit a breakpoint at the same time (issue 11): the first hit is reported, the others
# wait their turn (each thread held with its pc rewound to the breakpoint). When the breakpoint is
# deleted or disabled at a stop — after `next`, `step` or `finish` too — or its condition made
# false, those waiting hits are swallowed and their threads resume at the breakpoint's address
# (the instruction under the int3 never ran): the program finishes with every call made once
# (total=210, status 0). The bug this guards: cdbg kept such a hit as news, released no thread at
# the next continue and waited forever. testdata/ctl/qhits.c lines its threads up at a barrier
# before each call, so at most stops several hits are waiting; each variant runs several times,
# and each run checks the same things.
# a hang is the failure: a run takes a second, so a minute says it hung even under heavy load
TD_CDBG_TIMEOUT=${TD_CDBG_TIMEOUT:-60}
. "$SRCROOT/tests/integration/lib.sh"

exe=$(td_bin ctl_qhits)
runs=${QHITS_RUNS:-6}
check() { # NAME ARGS...: cdbg's run of the program with ARGS as the session, then the checks
    local name=$1 ok=0 i
    shift
    for ((i = 1; i <= runs; i++)); do
        td_cdbg out run "$exe" --batch -ex 'break hit' -ex continue -ex continue "$@" -ex continue
        if [ "$TD_RC" -eq 0 ] && grep -q '^total=210$' "$out" && grep -q 'exited with status 0' "$out"; then
            ok=$((ok + 1))
        else
            fail "$name, run $i: status $TD_RC"
            td_show "$out"
            break
        fi
    done
    [ "$ok" -eq "$runs" ] && pass "$name: $runs runs, total=210, exit 0"
}
check delete -ex delete
check disable -ex 'disable 1'
check 'next, delete' -ex next -ex delete
check 'step, disable' -ex step -ex 'disable 1'
check 'finish, delete' -ex finish -ex delete
check 'condition false' -ex 'condition 1 id == 99'
td_finish
