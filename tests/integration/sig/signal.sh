#!/bin/bash
# `signal SIG`: the selected thread resumes with SIG instead of the signal it stopped with, whatever
# `handle` says of either; `signal 0` resumes it without one. Observed through the program's handler
# count (sig_usr: three SIGUSR1 it raises, counted) and its death by a signal it has no handler for.
# A core cannot be signalled.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/session/session_lib.sh"
exe=$(td_bin sig_usr)

# at a breakpoint: SIGUSR1 delivered now (usr1=1 at checkpoint 0), then the three raised ones
td_cdbg out run "$exe" --batch -ex 'handle SIGUSR1 nostop noprint' -ex 'break checkpoint' -ex continue \
    -ex 'signal SIGUSR1' -ex continue -ex continue
expect_status 0 "signal SIGUSR1 at a breakpoint"
tid=$(sed -nE 's/^tid ([0-9]+)$/\1/p' "$out")
expect_line "^Continuing thread tid $tid with signal SIGUSR1\\.\$" "$out"
expect_line '^checkpoint 0 usr1=1 alrm=0$' "$out"
expect_line '^checkpoint 1 usr1=4 alrm=0$' "$out"
expect_lines "$out" "^Continuing thread tid $tid with signal SIGUSR1\\.\$" "^Breakpoint 1, hit 2 times, thread tid $tid\$"

# signal 0 at the first SIGUSR1 stop: that one is never delivered, the two others are
td_cdbg out run "$exe" --batch -ex continue -ex 'signal 0' -ex continue -ex continue
expect_status 0 "signal 0"
tid=$(sed -nE 's/^tid ([0-9]+)$/\1/p' "$out")
expect_line "^Continuing thread tid $tid with no signal\\.\$" "$out"
[ "$(grep -c 'received signal SIGUSR1' "$out")" = 3 ] && pass "three stops" || fail "$(grep -c 'received signal SIGUSR1' "$out") SIGUSR1 stops, expected 3"
expect_line '^checkpoint 1 usr1=2 alrm=0$' "$out"

# nopass says the stopping signal is dropped; `signal SIGUSR1` delivers it all the same
td_cdbg out run "$exe" --batch -ex 'handle SIGUSR1 nopass' -ex continue -ex 'signal SIGUSR1' -ex continue -ex continue
expect_status 0 "signal SIGUSR1 over nopass"
expect_line '^checkpoint 1 usr1=1 alrm=0$' "$out"

# another signal than the one it stopped with: SIGUSR2, which the program does not handle, kills it
td_cdbg out run "$exe" --batch -ex continue -ex 'signal usr2'
expect_status 0 "signal usr2"
expect_line '^Process [0-9]+ was killed by signal 12 \(User defined signal 2\)$' "$out"
expect_no_line '^checkpoint 1' "$out"
td_cdbg out --json run "$exe" --batch -ex 'break checkpoint' -ex continue -ex 'signal 12'
json_check "signal (JSON)" <(grep '^{' "$out") '
assert L[-1] == {"command": "signal", "event": "killed", "signal": 12}, L[-1]'

# a core has nothing to resume
require_cores
core=$(make_core crash_O0) || exit 1
td_cdbg out core "$(td_bin crash_O0)" "$core" --batch -ex 'signal SIGUSR1'
expect_status 1 "signal on a core"
expect_exact_str "$out.err" 'cdbg: cannot signal: the target is a core file'
td_finish
