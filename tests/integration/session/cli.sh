#!/bin/bash
# The command line: -q (no banner), -x FILE (its commands run in order among the -ex ones, a failed
# one ends the script with status 1, a missing file is a usage error), and `run PROG ARGS`: the
# program receives exactly the arguments after PROG that are not cdbg's, and everything after
# `--` (it prints what it got).
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/session/session_lib.sh"
exe=$(td_bin session_O0)

# --- -q: commands from a non-terminal stdin get a banner unless -q --------------------------------
prog_start session_O0 spin
pid=$TD_PID
nthreads=$(ls /proc/"$pid"/task | wc -l)
printf 'help quit\n' >"$TD_TMP/cmds"
help_text='quit - Leave cdbg: an attached process is detached and runs on, a launched one is killed
usage: quit
aliases: q exit'
"$CDBG" attach "$pid" <"$TD_TMP/cmds" >"$TD_TMP/banner.out" 2>"$TD_TMP/banner.err"
TD_RC=$?
expect_status 0 "banner"
# the banner says where the selected thread is: the line `frame` prints (session/attach.sh checks it against gdb)
where=$("$CDBG" attach "$pid" --batch -ex frame)
expect_exact_str "$TD_TMP/banner.out" "Attached to process $pid ($(cat /proc/"$pid"/comm)), $nthreads threads. Type \`help\` for commands.
$where
$help_text"
for q in -q --quiet; do
    "$CDBG" $q attach "$pid" <"$TD_TMP/cmds" >"$TD_TMP/quiet.out" 2>"$TD_TMP/quiet.err"
    TD_RC=$?
    expect_status 0 "$q"
    # no banner, but where it stopped, as gdb -q says it
    expect_exact_str "$TD_TMP/quiet.out" "$where
$help_text"
    expect_no_line . "$TD_TMP/quiet.err"
done
check_untraced "$pid"
td_stop "$pid"

# --- -x FILE --------------------------------------------------------------------------------------
printf 'break step\ncontinue\nprint i\n' >"$TD_TMP/x1"
printf 'continue\nprint i * 10\n' >"$TD_TMP/x2"
td_cdbg out run "$exe" steps --batch -ex 'print 7' -x "$TD_TMP/x1" -ex 'print total' -x "$TD_TMP/x2" -ex 'print 8'
expect_status 0 "-x FILE"
# the order of the results: -ex, FILE 1's lines, -ex, FILE 2's lines, -ex
expect_exact_str <(grep -E '^(\$[0-9]+ = |Breakpoint 1, |step )' "$out" | sed -E 's/, thread tid [0-9]+$//; s/ total [0-9]+$//') '$1 = 7
step 0
Breakpoint 1, hit 1 time
$2 = 0
$3 = 0
step 1
Breakpoint 1, hit 2 times
$4 = 10
$5 = 8'
# a failed command in a file ends the script: nothing after it runs
printf 'print 1\nprint nosuch\nprint 2\n' >"$TD_TMP/x3"
td_cdbg out run "$exe" steps --batch -x "$TD_TMP/x3" -ex 'print 3'
expect_status 1 "-x FILE with a failing command"
expect_line '^\$1 = 1$' "$out"
expect_no_line '^\$[0-9]+ = [23]$' "$out"
expect_exact_str "$out.err" 'cdbg: no symbol "nosuch" in the current context'
# a missing file: usage error, one line
td_cdbg out run "$exe" steps --batch -x "$TD_TMP/nonexistent" -ex 'print 3'
expect_status 2 "-x of a missing file"
expect_exact_str "$out.err" "cdbg: cannot read command file $TD_TMP/nonexistent: No such file or directory"
expect_no_line '^\$' "$out"
# commands from -x in JSON: one object each
td_cdbg out --json run "$exe" steps --batch -x "$TD_TMP/x1"
json_check "-x in JSON" <(grep '^{' "$out") '
assert [o["command"] for o in L if "command" in o] == ["run", "break", "continue"], L
assert L[-1] == {"expr": "i", "type": "int", "value": 0}, L[-1]'

# --- run PROG ARGS: the program prints the arguments it got ---------------------------------------
# expect_args FILE ARG...: FILE holds exactly the program's report of receiving ARGs
expect_args() {
    local f=$1 e a i=0
    shift
    e="argc=$#"
    for a in "$@"; do
        e+=$'\n'"argv[$i]=<$a>"
        i=$((i + 1))
    done
    expect_exact_str <(grep -E '^(argc|argv\[[0-9]+\])=' "$f") "$e"
}
# after `--`, everything goes to the program, options and `--` included
td_cdbg out run --batch -ex continue "$exe" -- args -q --json '' 'a  b' -- -ex x '-x'
expect_status 0 "run PROG -- ARGS"
expect_args "$out" -q --json '' 'a  b' -- -ex x -x
expect_line '^Process [0-9]+ exited with status 0$' "$out"
# without `--`: after PROG, options cdbg does not know go to the program; its own stay its own
td_cdbg out run "$exe" args -v --foo=1 'two words' --batch -ex continue
expect_status 0 "run PROG ARGS with cdbg's options after them"
expect_args "$out" -v --foo=1 'two words'
td_cdbg out --json run "$exe" args --batch -ex continue -- --batch
expect_args "$out" --batch
json_check "run ... -- --batch (JSON)" <(grep '^{' "$out") '
assert L[-1] == {"command": "continue", "event": "exited", "status": 0}, L[-1]'
td_finish
