#!/bin/bash
# A cycle beside a thread that spins without system calls: the spinner must never be stopped
# (its voluntary context switches stay the same across cdbg deadlock).
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
vcs() { awk '/^voluntary_ctxt_switches/ {print $2}' "$1/status"; }
for v in O0 O2; do
    td_start "spinring_$v"
    spin=
    for t in /proc/"$TD_PID"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = spinner ] && spin=$t
    done
    [ -n "$spin" ] || { fail "no spinner thread in $TD_PID"; continue; }
    before=$(vcs "$spin")
    td_cdbg out deadlock "$TD_PID"
    expect_status 3 "spinring $v text"
    td_asleep "$TD_PID"
    td_cdbg js deadlock "$TD_PID" --json
    expect_status 3 "spinring $v json"
    after=$(vcs "$spin")
    if [ "$before" = "$after" ]; then pass "spinner untouched"; else fail "spinner was stopped: voluntary_ctxt_switches $before -> $after"; fi
    dl_py "$js" 'len(d["cycles"]) == 1 and len(d["cycles"][0]["threads"]) == 2' "spinring cycle $v"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
done
td_finish
