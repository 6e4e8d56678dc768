#!/bin/bash
# SIGTERM, SIGHUP and a SIGINT sent by kill end `cdbg lockorder` as Ctrl-C does, with -- PROG too:
# the probes out (pthread_mutex_lock's code is libc's own again), the report of what was recorded
# (exit 3: an inversion), the program untraced and running on to its own end. --duration S with
# -- PROG reports after S seconds and leaves the program running (it does not wait for its end).
# Nothing is timed: signals are sent once the line or the state they follow is there.
. "$SRCROOT/tests/integration/lib.sh"

exe=$(td_bin lockorder_lo_O0) || exit 1
AB=$(grep -n 'EDGE_AB' "$SRCROOT/testdata/lockorder/lo.c" | head -1 | cut -d: -f1)
BA=$(grep -n 'EDGE_BA' "$SRCROOT/testdata/lockorder/lo.c" | head -1 | cut -d: -f1)
ended() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
libc_of() { awk '$6 ~ /\/libc[.-][^\/]*so/ {print $6; exit}' "/proc/$1/maps"; }

for sig in TERM HUP INT; do
    o=$TD_TMP/$sig
    # `lo wait`: the phases at SIGUSR1, the end at SIGUSR2; its stdout and cdbg's share a file
    "$CDBG" lockorder -- "$exe" wait >"$o.out" 2>"$o.err" &
    cpid=$!
    armed() { grep -q '^cdbg: lockorder: recording the lock operations of process' "$o.err" 2>/dev/null && grep -qx ready "$o.out"; }
    td_wait_for "cdbg lockorder to record and the program to be ready ($sig)" armed || kill -KILL "$cpid"
    pid=$(sed -n 's/^cdbg: lockorder: recording the lock operations of process \([0-9]*\).*/\1/p' "$o.err")
    [ -n "$pid" ] || { fail "no process in the recording line ($sig)"; td_show "$o.err"; continue; }
    libc=$(libc_of "$pid")
    r=$(python3 "$SRCROOT/tests/integration/trace/code_same.py" "$pid" "$libc" pthread_mutex_lock 8)
    [ $? = 1 ] && pass "pthread_mutex_lock is probed while recording ($sig)" ||
        fail "pthread_mutex_lock while recording ($sig): $r"
    kill -USR1 "$pid"
    phases() { grep -qx 'phases done' "$o.out"; }
    td_wait_for "the program's phases ($sig)" phases
    kill -$sig "$cpid"
    td_wait_for "cdbg lockorder to end at SIG$sig" ended "$cpid" || kill -KILL "$cpid"
    wait "$cpid"
    TD_RC=$?
    expect_status 3 "-- PROG, SIG$sig: the inversion recorded so far"
    expect_line "^    lock_b taken in phase1 at .*lo.c:$AB$" "$o.out"
    expect_line "^    lock_a taken in phase2 at .*lo.c:$BA$" "$o.out"
    by=" by SIG$sig"
    [ "$sig" = INT ] && by=
    expect_line "^cdbg: lockorder: interrupted$by: every probe removed, process $pid runs on$" "$o.err"
    r=$(python3 "$SRCROOT/tests/integration/trace/code_same.py" "$pid" "$libc" pthread_mutex_lock 8) &&
        pass "pthread_mutex_lock is libc's own after SIG$sig" || fail "pthread_mutex_lock after SIG$sig: $r"
    check_untraced "$pid"
    kill -USR2 "$pid"
    prog_end() { grep -qx 'wait: ok' "$o.out"; }
    td_wait_for "the program to run on to its end ($sig)" prog_end && pass "it ran on to its end ($sig)"
done

# --duration with -- PROG: the report after the duration; the program (waiting for SIGUSR2) runs on
o=$TD_TMP/dur
"$CDBG" lockorder --duration 1 -- "$exe" wait >"$o.out" 2>"$o.err" &
cpid=$!
armed() { grep -q '^cdbg: lockorder: recording the lock operations of process' "$o.err" 2>/dev/null && grep -qx ready "$o.out"; }
td_wait_for "cdbg lockorder --duration 1 to record" armed || kill -KILL "$cpid"
pid=$(sed -n 's/^cdbg: lockorder: recording the lock operations of process \([0-9]*\).*/\1/p' "$o.err")
kill -USR1 "$pid"
td_wait_for "cdbg lockorder --duration 1 -- PROG to end while the program waits" ended "$cpid" || kill -KILL "$cpid"
wait "$cpid"
TD_RC=$?
# the phases may or may not have run within the second: 3 or 0, never a wait for the program
[ "$TD_RC" = 3 ] || [ "$TD_RC" = 0 ] && pass "--duration -- PROG: status $TD_RC" || fail "--duration -- PROG: status $TD_RC"
expect_line "^cdbg: lockorder: every probe removed, process $pid runs on$" "$o.err"
check_untraced "$pid"
kill -USR2 "$pid"
prog_end() { grep -qx 'wait: ok' "$o.out"; }
td_wait_for "the program to run on to its end after --duration" prog_end && pass "it ran on to its end after --duration"

td_finish
