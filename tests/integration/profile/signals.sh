#!/bin/bash
# `cdbg profile` ended by SIGINT, SIGTERM or SIGHUP (issue 14 review): each ends the profile as Ctrl-C
# does, with -- PROG and with -p, for each output format:
#  - what was collected is written to -o FILE: a non-empty file that check.py parses (folded, SVG,
#    pprof) with the samples taken before the signal, never an empty or a removed file;
#  - the summary is printed, ending "; interrupted" (" by SIGTERM", " by SIGHUP");
#  - exit status: -- PROG 128+N (the modes table's rule; 130, 143, 129), -p 0;
#  - the process runs on: -p alive and untraced; -- PROG alive, untraced, no longer cdbg's child,
#    and still running (its CPU time grows after cdbg's end).
# The signal is sent only once cdbg says it samples and the program has used CPU time since (its
# /proc stat), so there are samples to write whatever the machine's speed.
. "$(dirname "$0")/../lib.sh"
CHECK="python3 $SRCROOT/tests/integration/profile/check.py"
SPLIT=$(td_bin split) || exit 1

# Programs cdbg started are cdbg's children, then orphans: not the script's to reap, killed here
# (only while they are still split).
ORPHANS=()
kill_orphans() {
    local p
    for p in "${ORPHANS[@]}"; do
        [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$(readlink -f "$SPLIT")" ] && kill -KILL "$p" 2>/dev/null
    done
}
trap 'kill_orphans; td_cleanup' EXIT

# cpu_ticks PID: utime + stime of the process (clock ticks)
cpu_ticks() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    set -- $st
    echo $((${12} + ${13}))
}
cpu_at_least() {
    local t
    t=$(cpu_ticks "$1") && [ "$t" -ge "$2" ]
}
# wait_cpu PID TICKS: until PID has used TICKS more clock ticks of CPU time than now
wait_cpu() {
    local t0
    t0=$(cpu_ticks "$1") || { fail "process $1 is gone"; return 1; }
    td_wait_for "process $1 to use $2 ticks of CPU time" cpu_at_least "$1" $((t0 + $2))
}

# ppid_of PID
ppid_of() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    set -- $st
    echo "$2"
}

check_file() {
    local kind=$1 f=$2 r
    if [ ! -s "$f" ]; then
        fail "$kind: $f is empty or missing: $(ls -l "$f" 2>&1)"
        return 1
    fi
    r=$($CHECK "$kind" "$f" --min 1 2>&1) && pass "$kind $f: $r" || fail "$kind $f: $r"
}

kind_of() {
    case $1 in
    folded) echo folded ;;
    svg) echo svg ;;
    pb.gz) echo pprof ;;
    esac
}

suffix_of() {
    case $1 in
    INT) echo '' ;;
    *) echo " by SIG$1" ;;
    esac
}

signum_of() {
    case $1 in
    INT) echo 2 ;;
    TERM) echo 15 ;;
    HUP) echo 1 ;;
    esac
}

# dash SIG EXT: cdbg profile -o FILE.EXT -- split (work that outlasts the test), ended by SIG
dash() {
    local sig=$1 ext=$2 f err cpid ppid
    f=$TD_TMP/dash.$sig.$ext
    err=$TD_TMP/dash.$sig.$ext.err
    timeout -k 5 "$TD_CDBG_TIMEOUT" "$CDBG" profile --hz 999 -o "$f" -- "$SPLIT" 1000000 >"$TD_TMP/dash.$sig.$ext.out" 2>"$err" </dev/null &
    cpid=$!
    td_wait_for "cdbg profile to start sampling" grep -qs '^cdbg: profile: sampling process' "$err" || { kill -KILL "$cpid"; return 1; }
    ppid=$(sed -nE 's/^cdbg: profile: sampling process ([0-9]+) .*/\1/p' "$err")
    ORPHANS+=("$ppid")
    wait_cpu "$ppid" 5
    # timeout runs cdbg as its child: the signal goes to cdbg itself
    local cdbg_pid
    cdbg_pid=$(pgrep -P "$cpid" -x cdbg)
    [ -n "$cdbg_pid" ] || { fail "no cdbg under timeout $cpid"; kill -KILL "$cpid"; return 1; }
    kill -"$sig" "$cdbg_pid"
    wait "$cpid"
    TD_RC=$?
    expect_status $((128 + $(signum_of "$sig"))) "-- PROG, SIG$sig, .$ext"
    expect_line "^cdbg: profile: [1-9][0-9]* samples \(.*; interrupted$(suffix_of "$sig")\$" "$err"
    expect_line "^cdbg: profile: written to $f\$" "$err"
    check_file "$(kind_of "$ext")" "$f"
    # it runs on: untraced, not stopped, adopted by another parent, still working
    check_untraced "$ppid"
    local pp
    pp=$(ppid_of "$ppid")
    [ -n "$pp" ] && [ "$pp" != "$cdbg_pid" ] && pass "-- PROG, SIG$sig: the program is no longer cdbg's child" ||
        fail "-- PROG, SIG$sig: program $ppid's parent is '$pp' (cdbg was $cdbg_pid)"
    wait_cpu "$ppid" 2 && pass "-- PROG, SIG$sig: the program runs on"
    kill -KILL "$ppid"
}

# dashp SIG EXT: cdbg profile -o FILE.EXT -p (a split started here), ended by SIG
dashp() {
    local sig=$1 ext=$2 f err cpid wpid
    f=$TD_TMP/p.$sig.$ext
    err=$TD_TMP/p.$sig.$ext.err
    "$SPLIT" 1000000 >/dev/null 2>&1 </dev/null &
    wpid=$!
    TD_PIDS+=("$wpid")
    "$CDBG" profile --hz 999 -o "$f" -p "$wpid" >"$TD_TMP/p.$sig.$ext.out" 2>"$err" </dev/null &
    cpid=$!
    TD_PIDS+=("$cpid")
    td_wait_for "cdbg profile to start sampling" grep -qs '^cdbg: profile: sampling process' "$err" || return 1
    wait_cpu "$wpid" 5
    kill -"$sig" "$cpid"
    wait "$cpid"
    TD_RC=$?
    expect_status 0 "-p, SIG$sig, .$ext"
    expect_line "^cdbg: profile: [1-9][0-9]* samples \(.*; interrupted$(suffix_of "$sig")\$" "$err"
    expect_line "^cdbg: profile: written to $f\$" "$err"
    check_file "$(kind_of "$ext")" "$f"
    check_untraced "$wpid"
    wait_cpu "$wpid" 2 && pass "-p, SIG$sig: the process runs on"
    kill -KILL "$wpid"
    wait "$wpid" 2>/dev/null
}

for sig in INT TERM HUP; do
    for ext in folded svg pb.gz; do
        dash "$sig" "$ext"
        dashp "$sig" "$ext"
    done
done
td_finish
