#!/bin/bash
# `detach`, checked while cdbg still runs (after cdbg exits the kernel detaches anyway, so only a
# check made before then can fail): an attached process runs on untraced (its threads leave the
# stop, and it answers a signal it could not answer while held); a launched one is killed and
# reaped; a core is closed (cdbg no longer has it open). Text and JSON, each followed by another
# command in the same session.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/session/session_lib.sh"
trap '' PIPE

# --- an attached process: `spin` has two spinners in user space and a hitter in sigwait --------
prog_start session_O0 spin
pid=$TD_PID
spinners=$(tid_named "$pid" spinner | tr '\n' ' ')
[ "$(echo $spinners | wc -w)" = 2 ] && pass "two spinners" || fail "spinners: '$spinners'"
hits=0
for mode in text json; do
    if [ $mode = json ]; then repl_start --json attach "$pid"; else repl_start attach "$pid"; fi
    # a break that is never hit holds nothing; `bt all` holds every thread (state t) until detach
    repl_send 'bt all' 'help quit'
    repl_wait 'Leave cdbg' "$R_OUT"
    # shellcheck disable=SC2086
    expect_states "$pid" t $spinners $(tid_named "$pid" hitter)
    repl_send detach
    if [ $mode = json ]; then
        repl_wait '"command":"detach"' "$R_OUT"
        json_check "detach JSON ($mode)" "$R_OUT" '
d = [o for o in L if o.get("command") == "detach"]
assert d == [{"command": "detach", "result": "detached from", "pid": int(A[0])}], d' "$pid"
    else
        repl_wait '^Detached from' "$R_OUT"
        expect_line "^Detached from process $pid\$" "$R_OUT"
    fi
    repl_alive
    check_untraced "$pid"
    # shellcheck disable=SC2086
    wait_states "$pid" R $spinners
    # held or traced, the hitter could not take the signal and print; detached, it does
    hits=$((hits + 1))
    kill -USR1 "$pid"
    repl_wait "^hit $hits\$" "$PROG_OUT"
    # the session goes on without a target
    repl_send 'help detach'
    repl_wait 'detach' "$R_OUT" 2
    repl_alive
    repl_send quit
    repl_end
    expect_status 0 "quit after detach ($mode)"
    expect_no_line . "$R_OUT.err"
done
td_stop "$pid"

# --- a launched process is killed and reaped, not left stopped or a zombie ---------------------
for mode in text json; do
    if [ $mode = json ]; then repl_start --json run "$(td_bin session_O0)" steps; else repl_start run "$(td_bin session_O0)" steps; fi
    repl_send threads
    if [ $mode = json ]; then
        repl_wait '"command":"threads"' "$R_OUT"
        launched=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["pid"])' "$R_OUT")
    else
        repl_wait '^\* +1 +[0-9]+ ' "$R_OUT"
        launched=$(sed -nE 's/^\* +1 +([0-9]+) .*/\1/p' "$R_OUT")
    fi
    # it is cdbg's child, running session_O0, stopped at main
    [ "$(readlink "/proc/$launched/exe")" = "$(td_bin session_O0)" ] && pass "pid $launched is the launched program" ||
        fail "pid '$launched' is not the launched program: $(readlink "/proc/$launched/exe")"
    [ "$(awk '{print $4}' "/proc/$launched/stat")" = "$R_PID" ] && pass "launched by cdbg" || fail "$launched is not cdbg's child"
    expect_states "$launched" t "$launched"
    repl_send detach
    if [ $mode = json ]; then
        repl_wait '"command":"detach"' "$R_OUT"
        json_check "detach of a launched process (JSON)" "$R_OUT" '
d = [o for o in L if o.get("command") == "detach"]
assert d == [{"command": "detach", "result": "killed", "pid": int(A[0])}], d' "$launched"
    else
        repl_wait '^Killed process' "$R_OUT"
        expect_line "^Killed process $launched\$" "$R_OUT"
    fi
    repl_alive
    # killed and reaped by cdbg: no process, not even a zombie, while cdbg still runs
    if [ -e "/proc/$launched" ]; then
        fail "launched process $launched still exists after detach: state $(thread_state "/proc/$launched")"
    else
        pass "launched process $launched is gone"
    fi
    # it never got to print its steps
    expect_no_line '^step ' "$R_OUT"
    repl_send 'help detach'
    repl_wait 'detach' "$R_OUT" 2
    repl_send quit
    repl_end
    expect_status 0 "quit after detach of a launched process ($mode)"
    expect_no_line . "$R_OUT.err"
done

# --- a core is closed ---------------------------------------------------------------------------
require_cores
core=$(make_core_of session_O0 spin) || exit 1
# the pid the core was taken from, as its PRPSINFO note records it
core_pid=$(eu-readelf -n "$core" 2>/dev/null | sed -nE 's/^ +uid: [0-9]+, gid: [0-9]+, pid: ([0-9]+),.*/\1/p' | head -n 1)
[ -n "$core_pid" ] && pass "core pid $core_pid (eu-readelf)" || fail "eu-readelf found no PID in $core"
for mode in text json; do
    if [ $mode = json ]; then repl_start --json core "$(td_bin session_O0)" "$core"; else repl_start core "$(td_bin session_O0)" "$core"; fi
    repl_send 'help quit'
    repl_wait 'Leave cdbg' "$R_OUT"
    # cdbg holds the core open (a descriptor or a mapping) until it closes it
    if ls -l "/proc/$R_PID/fd" 2>/dev/null | grep -qF -- "$core" || grep -qF -- "$core" "/proc/$R_PID/maps"; then
        pass "the core is open"
    else
        fail "cdbg does not hold $core open before detach"
    fi
    repl_send detach
    if [ $mode = json ]; then
        repl_wait '"command":"detach"' "$R_OUT"
        json_check "detach of a core (JSON)" "$R_OUT" '
d = [o for o in L if o.get("command") == "detach"]
assert d == [{"command": "detach", "result": "closed core", "pid": int(A[0])}], d' "$core_pid"
    else
        repl_wait '^Closed the core' "$R_OUT"
        expect_line "^Closed the core of process $core_pid\$" "$R_OUT"
    fi
    repl_alive
    if ls -l "/proc/$R_PID/fd" 2>/dev/null | grep -qF -- "$core" || grep -qF -- "$core" "/proc/$R_PID/maps"; then
        fail "cdbg still holds $core open after detach"
    else
        pass "the core is closed"
    fi
    # no target any more: a command that needs one fails (and, in a script, ends it with status 1)
    repl_send bt
    repl_end
    expect_status 1 "bt after detach of a core ($mode)"
    if [ $mode = json ]; then
        json_check "bt after the core's detach (JSON)" "$R_OUT" '
assert L[-1]["command"] == "bt" and L[-1]["error"].startswith("bt: no target: "), L[-1]'
    else
        expect_line '^cdbg: bt: no target' "$R_OUT.err"
    fi
done
td_finish
