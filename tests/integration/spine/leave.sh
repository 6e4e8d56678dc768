#!/bin/bash
# A target cdbg lets go of is let go of at once, not when cdbg exits (the kernel detaches a dead
# tracer's tracees anyway, so a check after exit cannot tell): while cdbg still sits at its prompt,
# after `detach`, after `attach B` replaced A, after `core` replaced B, the old process has no tracer
# and no thread in a stop; a launched process `detach`ed is killed and reaped. Text and JSON.
. "$SRCROOT/tests/integration/lib.sh"
require_cores

# traced_by PID TRACER: every thread of PID has TracerPid TRACER.
traced_by() {
    local st n=0
    for st in /proc/"$1"/task/*/status; do
        grep -q "^TracerPid:[[:space:]]*$2\$" "$st" 2>/dev/null || return 1
        n=$((n + 1))
    done
    [ "$n" -gt 0 ]
}
# expect_held LABEL PID: cdbg (R_PID) traces every thread of PID (waits up to 30 s: a JSON session
# prints no banner), so a later "untraced" check of PID is about cdbg letting it go.
expect_held() {
    local deadline=$((SECONDS + 30))
    until traced_by "$2" "$R_PID"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "$1: process $2 is not traced by cdbg ($R_PID): $(grep -h -E '^TracerPid:' /proc/"$2"/task/*/status | tr '\n' ' ')"
            return 1
        fi
        sleep 0.02
    done
    pass "$1: cdbg holds $2"
}
# expect_released LABEL PID: cdbg is still running (at its prompt) and PID runs free.
expect_released() {
    if repl_exited "$R_PID"; then
        fail "$1: cdbg exited; stderr: $(head -c 500 "$R_OUT.err")"
        return 1
    fi
    check_untraced "$2" || { echo "  ($1: cdbg is still running)" >&2; return 1; }
    repl_exited "$R_PID" && fail "$1: cdbg exited during the check"
    return 0
}

td_start threads_O0
A=$TD_PID
td_start threads_O0 1
B=$TD_PID
exe=$(td_bin threads_O0)
core=$(make_core_of threads_O0 2) || exit 1

# await PATTERN FILE [N]: repl_wait, but gives up at once when cdbg has exited (a failed command ends
# a script session: nothing more will come).
await() {
    local deadline=$((SECONDS + 30)) want=${3:-1}
    while [ "$(grep -Ec -- "$1" "$2" 2>/dev/null)" -lt "$want" ]; do
        if repl_exited "$R_PID" && [ "$(grep -Ec -- "$1" "$2" 2>/dev/null)" -lt "$want" ]; then
            fail "cdbg exited before printing /$1/; stderr: $(head -c 500 "$R_OUT.err")"
            td_show "$2"
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "timed out waiting for /$1/ in $2"
            td_show "$2"
            return 1
        fi
        sleep 0.02
    done
    return 0
}

# A session stops at its first failed wait (cdbg may have exited: what follows could only time out).
# A write to the FIFO of a cdbg that exited must fail, not kill the script.
trap '' PIPE

# ---- text: attach B over A, core over B, detach the core, attach A again ----
text_replace() {
    await "^Attached to process $A " "$R_OUT" || return 1
    expect_held "text: attach A" "$A"
    repl_send "attach $B"
    await "^Attached to process $B " "$R_OUT" || return 1
    expect_line "^Detached from process $A\$" "$R_OUT"
    expect_released "text: A after attach B" "$A"
    expect_held "text: attach B" "$B"
    repl_send "core $exe $core"
    await '^Core of process [0-9]+ \(threads_O0\), 9 threads$' "$R_OUT" || return 1
    expect_line "^Detached from process $B\$" "$R_OUT"
    expect_released "text: B after core" "$B"
    # the session goes on after the core is closed
    repl_send detach "attach $A"
    await "^Attached to process $A " "$R_OUT" 2 || return 1
    expect_held "text: attach A after the core" "$A"
    repl_send quit
}
# ---- text: detach, then attach the same process again ----
text_detach() {
    await "^Attached to process $A " "$R_OUT" || return 1
    expect_held "text: attach A" "$A"
    repl_send detach
    await "^[Dd]etached from process $A\$" "$R_OUT" || return 1
    expect_released "text: A after detach" "$A"
    repl_send "attach $A"
    await "^Attached to process $A " "$R_OUT" 2 || return 1
    expect_held "text: attach A again" "$A"
    repl_send quit
}
for session in text_replace text_detach; do
    repl_start attach "$A"
    $session
    repl_end
    expect_status 0 "$session"
    [ -s "$R_OUT.err" ] && fail "$session wrote to stderr: $(head -c 500 "$R_OUT.err")"
    check_untraced "$A"
    check_untraced "$B"
done

# ---- JSON: detach, then attach B, then attach A over B ----
json_session() {
    expect_held "json attach A" "$A" || return 1
    repl_send detach
    await "^\\{\"command\":\"detach\",\"result\":\"detached from\",\"pid\":$A\\}\$" "$R_OUT" || return 1
    expect_released "json: A after detach" "$A"
    repl_send "attach $B"
    await "^\\{\"command\":\"attach\",\"pid\":$B," "$R_OUT" || return 1
    expect_held "json: attach B" "$B"
    repl_send "attach $A"
    await "^\\{\"command\":\"attach\",\"pid\":$A,.*\"replaced\":\\{\"result\":\"detached from\",\"pid\":$B\\}\\}\$" "$R_OUT" || return 1
    expect_released "json: B after attach A" "$B"
    expect_held "json: attach A" "$A"
    repl_send quit
}
repl_start --json attach "$A"
json_session
repl_end
expect_status 0 "json session"
check_untraced "$A"
check_untraced "$B"

# ---- a launched process: detach kills and reaps it; the session goes on ----
run_session() {
    await '^\{"command":"run","event":"started",' "$R_OUT" || return 1
    local L
    L=$(sed -nE 's/^\{"command":"run","event":"started",.*"pid":([0-9]+),.*/\1/p' "$R_OUT")
    [ -n "$L" ] || { fail "run: no pid in $(head -c 300 "$R_OUT")"; return 1; }
    expect_held "run: the launched process" "$L" || return 1
    repl_send detach
    await "^\\{\"command\":\"detach\",\"result\":\"killed\",\"pid\":$L\\}\$" "$R_OUT" || return 1
    # gone, not a zombie: cdbg, its parent, reaped it
    [ ! -e "/proc/$L" ] && pass "run: $L killed and reaped by detach" ||
        fail "run: $L still there after detach: $(grep -E '^State:' "/proc/$L/status" 2>/dev/null)"
    repl_exited "$R_PID" && { fail "run: cdbg exited after detach"; return 1; }
    repl_send "attach $A"
    await "^\\{\"command\":\"attach\",\"pid\":$A," "$R_OUT" || return 1
    expect_held "run: attach A after the launched process" "$A"
    repl_send quit
}
repl_start --json run "$exe"
run_session
repl_end
expect_status 0 "run session"
check_untraced "$A"
td_finish
