#!/bin/bash
# The program `cdbg run` started, from the prompt: `run`/`r` and `restart` start it again (after it
# exited, or killing it while it runs) with the same arguments and breakpoints, `run ARGS` with new
# arguments from then on; `kill` ends it. Each new process is checked in /proc (a new pid, the arguments it really got,
# the old one gone), and the text transcript exactly. Sessions without a program to start say so.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/session/session_lib.sh"
exe=$(td_bin session_O0)

# cmdline PID: the process's arguments, space-separated (what it really got)
cmdline() {
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | sed 's/ $//'
}
# gone PID: no such process any more, or not a child of cdbg (a pid reused)
gone() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    st=${st##*) }
    set -- $st
    [ "$2" != "$R_PID" ]
}
# started_pid N: the pid of the N-th "started" event in the REPL's JSON output
started_pid() {
    grep '"event":"started"' "$R_OUT" | sed -n "${1}p" | sed -E 's/.*"pid":([0-9]+).*/\1/'
}

# --- JSON, through a FIFO: the processes themselves ----------------------------------------------
repl_start --json run "$exe" args a b
repl_wait '"event":"started"' "$R_OUT"
p1=$(started_pid 1)
[ "$(cmdline "$p1")" = "$exe args a b" ] && pass "run: the program's arguments" ||
    fail "run: /proc/$p1/cmdline is '$(cmdline "$p1")', expected '$exe args a b'"

repl_send restart
repl_wait '"event":"started"' "$R_OUT" 2
p2=$(started_pid 2)
[ -n "$p2" ] && [ "$p2" != "$p1" ] && pass "restart: a new process" || fail "restart: pid '$p2' (first was $p1)"
gone "$p1" && pass "restart killed the running one" || fail "restart left process $p1 running"
[ "$(cmdline "$p2")" = "$exe args a b" ] && pass "restart: the same arguments" ||
    fail "restart: /proc/$p2/cmdline is '$(cmdline "$p2")'"
expect_line "^\\{\"command\":\"restart\",\"result\":\"killed\",\"pid\":$p1\\}$" "$R_OUT"
expect_line "^\\{\"command\":\"restart\",\"event\":\"started\",\"stopped_at\":\"main\",\"pid\":$p2,\"tid\":$p2," "$R_OUT"
expect_states "$p2" t "$p2"

repl_send 'run args x y z'
repl_wait '"event":"started"' "$R_OUT" 3
p3=$(started_pid 3)
gone "$p2" && pass "run killed the running one" || fail "run left process $p2 running"
[ "$(cmdline "$p3")" = "$exe args x y z" ] && pass "run ARGS: the new arguments" ||
    fail "run ARGS: /proc/$p3/cmdline is '$(cmdline "$p3")'"

repl_send kill
repl_wait '"command":"kill"' "$R_OUT"
expect_line "^\\{\"command\":\"kill\",\"result\":\"killed\",\"pid\":$p3\\}$" "$R_OUT"
gone "$p3" && pass "kill: the process is gone" || fail "kill left process $p3"

# after kill, `run` without arguments keeps the last ones
repl_send run
repl_wait '"event":"started"' "$R_OUT" 4
p4=$(started_pid 4)
[ "$(cmdline "$p4")" = "$exe args x y z" ] && pass "run after run ARGS: the same new arguments" ||
    fail "run: /proc/$p4/cmdline is '$(cmdline "$p4")'"
repl_send continue
repl_wait '"event":"exited"' "$R_OUT"
# after the exit, restart starts it again
repl_send restart
repl_wait '"event":"started"' "$R_OUT" 5
p5=$(started_pid 5)
[ "$(cmdline "$p5")" = "$exe args x y z" ] && pass "restart after the exit" ||
    fail "restart after the exit: /proc/$p5/cmdline is '$(cmdline "$p5")'"
# nothing was open when it started: no "result" object for it
[ "$(grep -c '"command":"restart","result"' "$R_OUT")" -eq 1 ] && pass "no replaced target after the exit" ||
    fail "restart after the exit reported a replaced target"
# the end of input (not a terminal) never asks: the program is killed
repl_end
expect_status 0 "the end of the input"
gone "$p5" && pass "leaving killed the program" || fail "leaving left process $p5"
expect_no_line '\(y or n\)' "$R_OUT"
expect_empty "$R_OUT.err" "stderr"

# --- text, exactly: the program's own output between cdbg's lines ----------------------------------
td_cdbg out run "$exe" args a b --batch -ex continue -ex r -ex c -ex 'run args c' -ex restart -ex continue \
    -ex restart -ex kill
expect_status 0 "run, restart, kill"
# addresses and pids differ from run to run; the stop line is the one `cdbg run` printed first
stop=$(head -n 1 "$out" | sed -E 's/0x[0-9a-f]{16}/ADDR/')
[[ $stop =~ ^Stopped:\ #0\ +ADDR\ in\ main\ at\ session\.c:[0-9]+$ ]] && pass "first stop" || fail "first stop: '$stop'"
sed -E 's/0x[0-9a-f]{16}/ADDR/; s/(rocess) [0-9]+/\1 PID/' "$out" >"$TD_TMP/norm"
expect_exact_str "$TD_TMP/norm" "$stop
argc=2
argv[0]=<a>
argv[1]=<b>
Process PID exited with status 0
$stop
argc=2
argv[0]=<a>
argv[1]=<b>
Process PID exited with status 0
$stop
Killed process PID
$stop
argc=1
argv[0]=<c>
Process PID exited with status 0
$stop
Killed process PID"
expect_empty "$out.err" "stderr"

# --- breakpoints live on in the new process: numbers, kinds, conditions; new addresses ---------------
td_cdbg out run "$exe" steps --batch -ex 'break step' -ex 'tbreak finish' -ex 'break session.c:72 if i == 3' \
    -ex 'delete 1' -ex breakpoints -ex restart -ex breakpoints -ex continue -ex 'print i' -ex 'break main'
expect_status 0 "breakpoints across restart"
sed -n '/^Deleted 1 breakpoint$/,/^Killed process/p' "$out" | sed '1d;$d' >"$TD_TMP/before"
sed -n '/^Killed process/,/^step 0 /p' "$out" | sed '1,2d;$d' >"$TD_TMP/after"
[ -s "$TD_TMP/before" ] && pass "breakpoints before restart listed" || fail "no breakpoints listed before restart"
# the same list; the addresses are the new process's (ASLR), each the same offset in the program
sed -E 's/0x[0-9a-f]+/ADDR/' "$TD_TMP/before" >"$TD_TMP/before.n"
sed -E 's/0x[0-9a-f]+/ADDR/' "$TD_TMP/after" >"$TD_TMP/after.n"
expect_exact "$TD_TMP/after.n" "$TD_TMP/before.n"
# each at the same offset from main's stop as before, in the new process (not the old addresses)
mains=($(sed -nE 's/^Stopped: #0  (0x[0-9a-f]+) in main .*/\1/p' "$out"))
b3=($(grep -A1 '^Breakpoint 3 ' "$TD_TMP/before" "$TD_TMP/after" | sed -nE 's/.* (0x[0-9a-f]+) in step .*/\1/p'))
if [ "${#mains[@]}" -eq 2 ] && [ "${#b3[@]}" -eq 2 ] && [ $((b3[0] - mains[0])) -eq $((b3[1] - mains[1])) ]; then
    pass "breakpoint 3 at the new process's address"
else
    fail "breakpoint 3 at ${b3[*]}, main stops at ${mains[*]}"
fi
# breakpoint 3 (i == 3) stops the new process; the next one set is number 4
expect_lines "$out" '^Breakpoint 3, hit 1 time, thread tid [0-9]+$' '^#0  0x[0-9a-f]{16} in step at session\.c:[0-9]+$'
expect_line '^\$1 = 3$' "$out"
expect_line '^Breakpoint 4 at 0x[0-9a-f]+: main at session\.c:[0-9]+$' "$out"
expect_empty "$out.err" "stderr"

# --- mistakes -------------------------------------------------------------------------------------
td_cdbg out run "$exe" args --batch -ex 'restart now'
expect_status 1 "restart ARGS"
expect_exact_str "$out.err" 'cdbg: restart: takes no arguments; `run ARGS...` starts the program with other arguments'
td_cdbg out --json run "$exe" args --batch -ex kill -ex kill
expect_status 1 "kill twice"
expect_line '^\{"command":"kill","error":"kill: the program is not running; `run` starts it again"\}$' "$out"
td_cdbg out run "$exe" args --batch -ex 'kill now'
expect_status 1 "kill ARGS"
expect_exact_str "$out.err" 'cdbg: kill: takes no arguments'

prog_start session_O0 spin
pid=$TD_PID
for c in run restart; do
    td_cdbg out attach "$pid" --batch -ex "$c"
    expect_status 1 "$c in an attached session"
    expect_exact_str "$out.err" "cdbg: $c: no program to start: this session did not start one; start cdbg with \`cdbg run PROG [ARGS...]\`"
done
td_cdbg out attach "$pid" --batch -ex kill
expect_status 1 "kill of an attached process"
expect_exact_str "$out.err" "cdbg: kill: process $pid was attached, not started by cdbg, and cdbg does not kill it; \`detach\` leaves it running"
check_untraced "$pid"
# a launched program replaced by an attached process: `run` detaches that one and starts the program
td_cdbg out run "$exe" args q --batch -ex "attach $pid" -ex run -ex continue
expect_status 0 "run after attach"
expect_line "^Detached from process $pid$" "$out"
expect_lines "$out" '^argc=1$' '^argv\[0\]=<q>$' '^Process [0-9]+ exited with status 0$'
check_untraced "$pid"
td_stop "$pid"

require_cores
core=$(make_core_of session_O0 spin) || exit 1
td_cdbg out core "$exe" "$core" --batch -ex kill
expect_status 1 "kill on a core"
expect_exact_str "$out.err" 'cdbg: kill: the target is a core file: there is no process to kill; `detach` closes it'
td_finish
