#!/bin/bash
# `handle`: the table in gdb's layout and with gdb's defaults (compared with gdb's `info signals` on
# a live process), the keywords' rules (compared with gdb after the same `handle` commands), and each
# column observable on a program that counts the signals its handlers get: stop (a stop is
# reported), nostop + print (a line, no stop), noprint (nothing), pass (the handler runs), nopass (it
# does not). SIGALRM is passed without a stop or a line by default. Unknown signal names: one line,
# exit 1, nothing changed.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/session/session_lib.sh"
need_tool gdb "the reference signal table"
exe=$(td_bin sig_usr)

# --- the whole table against gdb's -----------------------------------------------------------------
td_cdbg out run "$exe" --batch -ex handle
expect_status 0 "handle"
gdb -nx -batch -ex 'break checkpoint' -ex run -ex 'info signals' "$exe" >"$TD_TMP/gdb" 2>&1
grep -P '^SIG\S+ +(Yes|No)\t' "$TD_TMP/gdb" | sort >"$TD_TMP/gdb.rows"
grep -P '^SIG\S+ +(Yes|No)\t' "$out" >"$TD_TMP/ours.rows"
[ "$(wc -l <"$TD_TMP/ours.rows")" = 64 ] && pass "64 signals" || fail "$(wc -l <"$TD_TMP/ours.rows") rows, expected 64"
# gdb's table has other systems' signals (SIGEMT, SIGLOST...) and lacks SIGSTKFLT: compare the rest
sort "$TD_TMP/ours.rows" | grep -v '^SIGSTKFLT ' >"$TD_TMP/ours.sorted"
awk 'NR == FNR { n[$1]; next } $1 in n' "$TD_TMP/ours.sorted" "$TD_TMP/gdb.rows" >"$TD_TMP/gdb.common"
expect_exact "$TD_TMP/ours.sorted" "$TD_TMP/gdb.common"
# `info signals` is the same table
td_cdbg info run "$exe" --batch -ex 'info signals'
expect_status 0 "info signals"
expect_exact <(tail -n +2 "$info") <(tail -n +2 "$out")
# gdb's lines around the rows: header, blank line, rows, blank line, footer
head -n 4 "$out" | tail -n 3 >"$TD_TMP/head"
printf 'Signal        Stop\tPrint\tPass to program\tDescription\n\nSIGHUP        Yes\tYes\tYes\t\tHangup\n' >"$TD_TMP/head.want"
expect_exact "$TD_TMP/head" "$TD_TMP/head.want"
tail -n 4 "$out" >"$TD_TMP/tail"
printf 'SIG63         Yes\tYes\tYes\t\tReal-time event 63\nSIG64         Yes\tYes\tYes\t\tReal-time event 64\n\nUse the "handle" command to change these tables.\n' >"$TD_TMP/tail.want"
expect_exact "$TD_TMP/tail" "$TD_TMP/tail.want"

# --- keywords: the rows after the same commands, cdbg against gdb ----------------------------------
# scenario: handle commands (;-separated) | the signals to look at
while IFS='|' read -r cmds sigs; do
    gargs=() cargs=()
    IFS=';' read -ra cl <<<"$cmds"
    for c in "${cl[@]}"; do
        gargs+=(-ex "handle $c")
        cargs+=(-ex "handle $c")
    done
    for s in $sigs; do
        gargs+=(-ex "info signals $s")
        cargs+=(-ex "info signals $s")
    done
    gdb -nx -batch "${gargs[@]}" "$exe" 2>&1 | grep -P '^SIG\S+ +(Yes|No)\t' >"$TD_TMP/g"
    td_cdbg out run "$exe" --batch "${cargs[@]}"
    grep -P '^SIG\S+ +(Yes|No)\t' "$out" | tail -n "$(wc -w <<<"$sigs")" >"$TD_TMP/c"
    if diff -u "$TD_TMP/g" "$TD_TMP/c" >"$TD_TMP/d"; then
        pass "handle $cmds"
    else
        fail "handle $cmds: the rows differ from gdb's:"
        cat "$TD_TMP/d" >&2
    fi
done <<'EOF2'
SIGUSR1 nostop|SIGUSR1
SIGUSR1 noprint|SIGUSR1
SIGUSR1 nostop;SIGUSR1 stop|SIGUSR1
SIGALRM print|SIGALRM
SIGALRM stop|SIGALRM
SIGUSR2 nostop print nopass|SIGUSR2
SIGHUP SIGQUIT nostop noprint|SIGHUP SIGQUIT SIGILL
14 stop|SIGALRM
1-3 nostop|SIGHUP SIGINT SIGQUIT SIGILL
all nopass|SIGINT SIGTRAP SIGUSR1 SIGSEGV SIGALRM
all nostop|SIGINT SIGTRAP SIGKILL SIGCHLD
SIGINT pass|SIGINT
SIGUSR1 ignore|SIGUSR1
SIGUSR1 ignore;SIGUSR1 noignore|SIGUSR1
SIGUSR1 SIGUSR2 noprint;SIGUSR2 print|SIGUSR1 SIGUSR2
EOF2

# names without SIG, in any case, and by number, are the same signal
td_cdbg out run "$exe" --batch -ex 'handle usr1 nostop' -ex 'handle Usr2 nopass' -ex 'handle 15 noprint' -ex 'handle SIGUSR1 SIGUSR2 SIGTERM'
expect_status 0 "names"
tail -n 3 "$out" >"$TD_TMP/got"
printf 'SIGUSR1       No\tYes\tYes\t\tUser defined signal 1\nSIGUSR2       Yes\tYes\tNo\t\tUser defined signal 2\nSIGTERM       No\tNo\tYes\t\tTerminated\n' >"$TD_TMP/want"
expect_exact "$TD_TMP/got" "$TD_TMP/want"
td_cdbg out --json run "$exe" --batch -ex 'handle SIGUSR1 nostop' -ex 'info signals 34'
json_check "handle (JSON)" <(grep '^{' "$out") '
assert L[1] == {"command": "handle", "signals": [{"number": 10, "name": "SIGUSR1", "stop": False, "print": True, "pass": True, "description": "User defined signal 1"}]}, L[1]
assert L[2] == {"command": "handle", "signals": [{"number": 34, "name": "SIG34", "stop": True, "print": True, "pass": True, "description": "Real-time event 34"}]}, L[2]'

# --- each column observable ------------------------------------------------------------------------
# run_usr N HANDLE_ARGS...: runs sig_usr to its end (N continues) with those `handle` commands; leaves in $out only
# the lines that tell: cdbg's about signals, the program's checkpoints
run_usr() {
    local a=() c n=$1 i
    shift
    for c in "$@"; do a+=(-ex "handle $c"); done
    for ((i = 0; i < n; i++)); do a+=(-ex continue); done
    td_cdbg out run "$exe" --batch "${a[@]}"
    expect_status 0 "run with: $*"
    tid=$(sed -nE 's/^tid ([0-9]+)$/\1/p' "$out")
    grep -E '^(Thread tid|checkpoint|Process|#0 )' "$out" | sed -E "s/tid $tid\\b/tid T/; s/Process [0-9]+/Process P/; s/^#0 .*/#0 (frame)/" >"$TD_TMP/got"
}
stopped='Thread tid T received signal SIGUSR1, User defined signal 1.'
# stop print pass (the default): three stops, then the handler runs each time
run_usr 4
expect_exact_str "$TD_TMP/got" "checkpoint 0 usr1=0 alrm=0
$stopped
#0 (frame)
$stopped
#0 (frame)
$stopped
#0 (frame)
checkpoint 1 usr1=3 alrm=0
checkpoint 2 usr1=3 alrm=1
Process P exited with status 0"
# nopass: the same stops, the handler never runs
run_usr 4 'SIGUSR1 nopass'
expect_exact_str "$TD_TMP/got" "checkpoint 0 usr1=0 alrm=0
$stopped
#0 (frame)
$stopped
#0 (frame)
$stopped
#0 (frame)
checkpoint 1 usr1=0 alrm=0
checkpoint 2 usr1=0 alrm=1
Process P exited with status 0"
# nostop (print): a line as each one passes, no stop
run_usr 1 'SIGUSR1 nostop'
expect_exact_str "$TD_TMP/got" "checkpoint 0 usr1=0 alrm=0
Thread tid T received signal SIGUSR1, passed to the program
Thread tid T received signal SIGUSR1, passed to the program
Thread tid T received signal SIGUSR1, passed to the program
checkpoint 1 usr1=3 alrm=0
checkpoint 2 usr1=3 alrm=1
Process P exited with status 0"
# nostop nopass: a line, no stop, no handler
run_usr 1 'SIGUSR1 nostop nopass'
expect_exact_str "$TD_TMP/got" "checkpoint 0 usr1=0 alrm=0
Thread tid T received signal SIGUSR1, not passed to the program
Thread tid T received signal SIGUSR1, not passed to the program
Thread tid T received signal SIGUSR1, not passed to the program
checkpoint 1 usr1=0 alrm=0
checkpoint 2 usr1=0 alrm=1
Process P exited with status 0"
# noprint: not a word, the handler runs
run_usr 1 'SIGUSR1 noprint'
expect_exact_str "$TD_TMP/got" "checkpoint 0 usr1=0 alrm=0
checkpoint 1 usr1=3 alrm=0
checkpoint 2 usr1=3 alrm=1
Process P exited with status 0"
# SIGALRM stop: the kernel's timer signal stops the program, and is then delivered
run_usr 2 'SIGUSR1 noprint' 'SIGALRM stop'
expect_exact_str "$TD_TMP/got" "checkpoint 0 usr1=0 alrm=0
checkpoint 1 usr1=3 alrm=0
Thread tid T received signal SIGALRM, Alarm clock.
#0 (frame)
checkpoint 2 usr1=3 alrm=1
Process P exited with status 0"
# the notes in JSON, with the thread
td_cdbg out --json run "$exe" --batch -ex 'handle SIGUSR1 nostop nopass' -ex 'handle SIGALRM print' -ex continue
tid=$(sed -nE 's/^tid ([0-9]+)$/\1/p' "$out")
json_check "notes (JSON)" <(grep '^{' "$out") '
t = int(A[0])
n = [o for o in L if o.get("event") == "signal_received"]
assert n == [{"command": "continue", "event": "signal_received", "tid": t, "signal": "USR1", "passed": False}] * 3 + [{"command": "continue", "event": "signal_received", "tid": t, "signal": "ALRM", "passed": True}], n
assert L[-1] == {"command": "continue", "event": "exited", "status": 0}, L[-1]' "$tid"
expect_line '^checkpoint 2 usr1=0 alrm=1$' "$out"

# --- the table outlives the target: restart keeps it -----------------------------------------------
td_cdbg out run "$exe" --batch -ex 'handle SIGUSR1 nostop noprint' -ex restart -ex continue
expect_status 0 "restart"
expect_no_line 'received signal' "$out"
expect_line '^checkpoint 2 usr1=3 alrm=1$' "$out"

# --- unknown signal names, and a keyword without a signal: one line, exit 1 ----------------------
for c in 'handle SIGFOO' 'handle FOO nostop' 'handle 65' 'handle 0' 'handle 3-1' 'signal SIGFOO' 'signal 99'; do
    td_cdbg out run "$exe" --batch -ex "$c"
    expect_status 1 "$c"
    [ "$(wc -l <"$out.err")" = 1 ] && grep -Eq "^cdbg: (handle|signal): unknown signal '[^']+': " "$out.err" &&
        pass "$c: one line" || fail "$c: stderr: $(cat "$out.err")"
done
td_cdbg out run "$exe" --batch -ex 'handle nostop'
expect_status 1 "handle nostop"
expect_exact_str "$out.err" 'cdbg: handle: which signal? handle SIG [stop|nostop|print|noprint|pass|nopass]...'
td_finish
