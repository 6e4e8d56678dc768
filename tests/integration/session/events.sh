#!/bin/bash
# How `continue` and `stepout` end, in text and JSON: the process exited (with its status), was
# killed by a signal, stopped with a signal, or was interrupted (^C, i.e. SIGINT to cdbg); and
# `run`'s first stop (`stopped_at` main, entry, exec). Pids, tids, statuses and signals are the
# program's own (it prints its pid) or the kernel's (/proc, auxv), never cdbg's.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/session/session_lib.sh"
trap '' PIPE
src=$SRCROOT/testdata/exec/session.c
exe=$(td_bin session_O0)
die_line=$(marker "$src" die_raise)

# prog_pid FILE: the pid the program printed ("pid N")
prog_pid() { sed -nE 's/^pid ([0-9]+)$/\1/p' "$1"; }

# --- exited, with the status the program passed to exit() -----------------------------------
td_cdbg out run "$exe" exit 3 --batch -ex continue
expect_status 0 "continue to exit"
p=$(prog_pid "$out")
expect_exact_str "$out" "$(printf 'Stopped: %s\npid %s\nProcess %s exited with status 3' \
    "$(head -n 1 "$out" | sed 's/^Stopped: //')" "$p" "$p")"
expect_line '^Stopped: #0  0x[0-9a-f]{16} in main at session\.c:[0-9]+$' "$out"
td_cdbg out --json run "$exe" exit 3 --batch -ex continue
json_check "exited (JSON)" <(grep '^{' "$out") '
assert L[-1] == {"command": "continue", "event": "exited", "status": 3}, L[-1]'
# stepout of a function that never returns: the exit ends it
td_cdbg out run "$exe" exit 3 --batch -ex 'break finish' -ex continue -ex stepout
expect_status 0 "stepout to exit"
p=$(prog_pid "$out")
expect_line "^Run till exit from #0 finish\$" "$out"
[ "$(tail -n 1 "$out")" = "Process $p exited with status 3" ] && pass "stepout: exited" ||
    fail "stepout's last line: $(tail -n 1 "$out")"
td_cdbg out --json run "$exe" exit 3 --batch -ex 'break finish' -ex continue -ex stepout
json_check "stepout: exited (JSON)" <(grep '^{' "$out") '
assert L[-1] == {"command": "stepout", "event": "exited", "status": 3}, L[-1]'

# --- killed: SIGKILL never stops a traced process, the first event is its death ----------------
td_cdbg out run "$exe" raise 9 --batch -ex continue
expect_status 0 "continue to SIGKILL"
p=$(prog_pid "$out")
[ "$(tail -n 1 "$out")" = "Process $p was killed by signal 9 (Killed)" ] && pass "killed" ||
    fail "killed: last line $(tail -n 1 "$out")"
td_cdbg out --json run "$exe" raise 9 --batch -ex 'break die' -ex continue -ex stepout
json_check "stepout: killed (JSON)" <(grep '^{' "$out") '
assert L[-1] == {"command": "stepout", "event": "killed", "signal": 9}, L[-1]'
td_cdbg out --json run "$exe" raise 9 --batch -ex continue
json_check "killed (JSON)" <(grep '^{' "$out") '
assert L[-1] == {"command": "continue", "event": "killed", "signal": 9}, L[-1]'

# --- a signal stops the process; continuing delivers it ----------------------------------------
td_cdbg out run "$exe" raise 15 --batch -ex continue -ex bt -ex continue
expect_status 0 "SIGTERM then continue"
p=$(prog_pid "$out")
expect_line "^Thread tid $p received signal SIGTERM, Terminated\\.\$" "$out"
expect_line "^#[0-9]  0x[0-9a-f]{16} in die at session\\.c:$die_line\$" "$out"
[ "$(tail -n 1 "$out")" = "Process $p was killed by signal 15 (Terminated)" ] && pass "SIGTERM delivered" ||
    fail "after SIGTERM: $(tail -n 1 "$out")"
expect_no_line '^survived$' "$out"
td_cdbg out --json run "$exe" raise 15 --batch -ex continue -ex continue
json_check "signal, then killed (JSON)" <(grep '^{' "$out") '
ev = [o for o in L if o.get("command") == "continue"]
assert len(ev) == 2, ev
s = ev[0]
assert set(s) == {"command", "event", "tid", "signal", "siginfo", "frame"}, s
assert s["siginfo"]["name"] == "SIGTERM" and s["siginfo"]["number"] == 15, s
assert s["event"] == "signal" and s["signal"] == "TERM" and s["tid"] == L[0]["pid"], s
assert s["frame"]["level"] == 0 and s["frame"]["module"] == "libc.so.6", s["frame"]
assert ev[1] == {"command": "continue", "event": "killed", "signal": 15}, ev[1]'
[ "$(prog_pid "$out")" = "$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["pid"])' "$out")" ] &&
    pass "run reports the program's pid" || fail "run's pid is not the one the program printed"
# a handled signal: stop, then the handler runs and the program exits 0
td_cdbg out --json run "$exe" usr1 --batch -ex continue -ex continue
expect_status 0 "SIGUSR1"
expect_line '^handled 10$' "$out"
json_check "signal USR1, then exited 0 (JSON)" <(grep '^{' "$out") '
assert L[1]["command"] == "continue" and L[1]["event"] == "signal" and L[1]["signal"] == "USR1", L[1]
assert L[1]["tid"] == L[0]["pid"], L[1]
assert L[2] == {"command": "continue", "event": "exited", "status": 0}, L[2]'
# stepout reaching the signal first reports it as continue would, with "command": "stepout"
td_cdbg out --json run "$exe" raise 15 --batch -ex 'break die' -ex continue -ex stepout
json_check "stepout: signal (JSON)" <(grep '^{' "$out") '
assert L[-1]["command"] == "stepout" and L[-1]["event"] == "signal" and L[-1]["signal"] == "TERM", L[-1]
assert L[-1]["tid"] == L[0]["pid"], L[-1]'
td_cdbg out run "$exe" raise 15 --batch -ex 'break die' -ex continue -ex stepout
p=$(prog_pid "$out")
expect_line "^Thread tid $p received signal SIGTERM, Terminated\\.\$" "$out"

# --- interrupted: SIGINT to cdbg while the target runs -----------------------------------------
prog_start session_O0 spin
pid=$TD_PID
spinners=$(tid_named "$pid" spinner | tr '\n' ' ')
first_spinner=$(echo $spinners | cut -d' ' -f1)
for mode in text json; do
    if [ $mode = json ]; then repl_start --json attach "$pid"; else repl_start attach "$pid"; fi
    repl_send continue
    wait_cdbg_waiting "$R_PID"
    # shellcheck disable=SC2086
    wait_states "$pid" R $spinners
    kill -INT "$R_PID"
    # every thread held again, while cdbg is at its prompt
    if [ $mode = json ]; then
        repl_wait '"event":"interrupted"' "$R_OUT"
        json_check "interrupted (JSON)" "$R_OUT" '
o = L[0]
assert set(o) == {"command", "event", "tid", "frame"} and o["command"] == "continue" and o["event"] == "interrupted", o
assert str(o["tid"]) in A, (o["tid"], A)' $(ls /proc/"$pid"/task)
    else
        repl_wait '^Interrupted' "$R_OUT"
        tid=$(sed -nE 's/^Interrupted \(thread tid ([0-9]+)\)$/\1/p' "$R_OUT")
        [ -n "$tid" ] && [ -d "/proc/$pid/task/$tid" ] && pass "interrupted thread $tid is the target's" ||
            fail "interrupted: tid '$tid' is not a thread of $pid"
    fi
    # shellcheck disable=SC2086
    expect_states "$pid" t $(ls /proc/"$pid"/task)
    # stepout of a frame that never returns (the spinner's loop): only ^C ends it
    repl_send "thread 2" stepout
    wait_cdbg_waiting "$R_PID"
    # shellcheck disable=SC2086
    wait_states "$pid" R $spinners
    kill -INT "$R_PID"
    if [ $mode = json ]; then
        repl_wait '"command":"stepout"' "$R_OUT"
        json_check "stepout interrupted (JSON)" "$R_OUT" '
o = L[-1]
assert o["command"] == "stepout" and o["event"] == "interrupted" and str(o["tid"]) in A, o' $(ls /proc/"$pid"/task)
    else
        repl_wait '^Interrupted' "$R_OUT" 2
        expect_line '^Run till exit from #0 spinner$' "$R_OUT"
    fi
    repl_alive
    repl_send quit
    repl_end
    expect_status 0 "quit after ^C ($mode)"
    check_untraced "$pid"
done
td_stop "$pid"

# --- run's first stop: main, the entry point (no main symbol), right after exec (no entry) -----
td_cdbg out --json run "$exe" args --batch
json_check "stopped_at main" "$out" '
o = L[0]
assert o["command"] == "run" and o["event"] == "started" and o["stopped_at"] == "main", o
assert o["tid"] == o["pid"] and o["frame"]["function"] == "main" and o["frame"]["module"] == "session_O0", o'
noentry=$(td_bin noentry)
interp=$(readelf -l "$noentry" | sed -nE 's/.*Requesting program interpreter: ([^]]+)\]/\1/p')
ld_entry=$(readelf -h "$interp" | sed -nE 's/^ +Entry point address: +(0x[0-9a-f]+)$/\1/p')
[ "$(readelf -h "$noentry" | sed -nE 's/^ +Entry point address: +(0x[0-9a-f]+)$/\1/p')" = 0x0 ] &&
    pass "noentry's entry point is 0" || fail "noentry has an entry point"
for mode in json text; do
    if [ $mode = json ]; then repl_start --json run "$noentry"; else repl_start run "$noentry"; fi
    repl_wait '.' "$R_OUT"
    launched=$(pgrep -P "$R_PID" -x noentry)
    # cdbg still runs: the process stands where exec left it, at ld.so's entry (AT_BASE + its e_entry)
    at_base=$(od -An -tx8 -w16 -v "/proc/$launched/auxv" | awk '$1 == "0000000000000007" {print "0x" $2}')
    want_pc=$(printf '0x%x' $((at_base + ld_entry)))
    if [ $mode = json ]; then
        json_check "stopped_at exec" "$R_OUT" '
o = L[0]
assert set(o) == {"command", "event", "stopped_at", "pid", "tid", "frame"}, o
assert o["command"] == "run" and o["event"] == "started" and o["stopped_at"] == "exec", o
assert o["pid"] == int(A[0]) and o["tid"] == int(A[0]), (o, A)
f = o["frame"]
assert f["level"] == 0 and f["pc"] == A[1] and f["function"] == "_start" and f["module"] == A[2], (f, A)
assert f["file"] is None and f["line"] is None and f["inlined"] is False, f' "$launched" "$want_pc" "$(basename "$interp")"
    else
        expect_exact_str "$R_OUT" "$(printf 'Stopped: #0  0x%016x in _start from %s' "$want_pc" "$(basename "$interp")")"
    fi
    expect_exact_str "$R_OUT.err" "warning: no \`main\` symbol (a stripped program?): stopping at the entry point
warning: no \`main\` and no entry point found: stopped right after exec"
    repl_send quit
    repl_end
    expect_status 0 "run noentry ($mode)"
    [ -e "/proc/$launched" ] && fail "noentry ($launched) survived cdbg" || pass "noentry killed"
done
td_finish
