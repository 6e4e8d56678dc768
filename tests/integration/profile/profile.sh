#!/bin/bash
# `cdbg profile` (issue 14 section 3) on testdata/profile/split: a worker thread does fixed work,
# three quarters in hot_a and one quarter in hot_b (both through the inlined step()).
#  - -- PROG, folded: the 3:1 split within a tolerance that follows from the sample count, and
#    whole stacks equal to the source's call chain (check.py); the program's exit status.
#  - -p PID (the worker is created while the profile runs), --threads, SVG: parsed as XML, titles
#    with counts and percentages, widths by samples; pprof: gzip + protobuf decoded in check.py,
#    sample types, inline lines, the program's build-id in the mappings.
#  - stacks deeper than a sample's copy are cut, and hold no frame from beyond the copy.
#  - a process that exits mid-profile: what was collected is written, said, exit status 0 (-p) or
#    the program's (--).
#  - a child process (fork + exec) of the profiled one: its samples are left out and counted.
#  - bad input: unknown -o extension, no such PID, no target, perf_event_open refused.
. "$(dirname "$0")/../lib.sh"
CHECK="python3 $SRCROOT/tests/integration/profile/check.py"
SPLIT=$(td_bin split) || exit 1
BUILD_ID=$(readelf -n "$SPLIT" | awk '/Build ID/ {print $3}')
[ -n "$BUILD_ID" ] || { fail "no build-id in $SPLIT"; td_finish; }

# check KIND FILE ARGS...: check.py's verdict as a check
check() {
    local r
    r=$($CHECK "$@" 2>&1)
    if [ $? -eq 0 ]; then
        pass "$1 $r"
    else
        fail "$1 $2: $r"
    fi
}

# --- -- PROG, folded ---------------------------------------------------------------------------
td_cdbg out profile --hz 999 -o "$TD_TMP/a.folded" -- "$SPLIT" 20
expect_status 0 "-- PROG: the program's exit status"
check folded "$TD_TMP/a.folded" --min 300
expect_line '^cdbg: profile: [0-9]+ samples \(0 cut, 0 not unwound\), [0-9]+ lost, 1 threads' "$out.err"
expect_line '^ +[0-9.]+% +[0-9]+  step$' "$out.err"
# a child process (fork + exec: another address space) inherits the events; its samples are left
# out and counted, never unwound against the parent's maps
td_cdbg out profile --hz 999 -o "$TD_TMP/child.folded" -- "$SPLIT" 10 child
expect_status 0 "-- PROG with a child process: the program's exit status"
check folded "$TD_TMP/child.folded" --min 150
expect_line '^cdbg: profile: [0-9]+ samples \(0 cut, 0 not unwound\), [0-9]+ lost, 1 threads' "$out.err"
expect_line '^cdbg: profile: [1-9][0-9]* samples of child processes left out' "$out.err"
# stdout is the default: folded text too
td_cdbg out profile --hz 499 -- "$SPLIT" 10
expect_status 0 "-- PROG to stdout"
grep -Ev '^(ready|cpu_ms [0-9]+|work_us [0-9]+)$' "$out" >"$TD_TMP/stdout.folded"
check folded "$TD_TMP/stdout.folded" --min 100

# --- -p PID: the program waits on a FIFO until the profile runs --------------------------------
# start_waiting UNITS [MODE]: starts split UNITS wait|exit, sets WPID; its stdin is fd 7's FIFO
start_waiting() {
    local d
    d=$(mktemp -d "$TD_TMP/w.XXXXXX")
    mkfifo "$d/in"
    exec 7<>"$d/in"
    "$SPLIT" "$1" "${2:-wait}" <"$d/in" >"$d/out" 2>&1 &
    WPID=$!
    TD_PIDS+=("$WPID")
    WOUT=$d/out
    td_wait_for "split to print ready" grep -qsx ready "$d/out"
}

# profile_p OUT ARGS...: cdbg profile -p $WPID ARGS in the background; once it samples, lets the
# program work; waits for cdbg's end (the program's)
profile_p() {
    local var=$1
    shift
    local f
    f=$(mktemp "$TD_TMP/out.XXXXXX")
    printf -v "$var" '%s' "$f"
    timeout -k 5 "$TD_CDBG_TIMEOUT" "$CDBG" profile -p "$WPID" "$@" >"$f" 2>"$f.err" </dev/null &
    local cpid=$!
    td_wait_for "cdbg profile to start sampling" grep -qs '^cdbg: profile: sampling process' "$f.err"
    echo go >&7
    wait "$cpid"
    TD_RC=$?
    exec 7>&-
    wait "$WPID" 2>/dev/null
    WSTATUS=$?
}

start_waiting 15
profile_p out --hz 999 --threads -o "$TD_TMP/p.svg"
expect_status 0 "-p: the process ended: what was collected is written"
expect_line "^cdbg: profile: process $WPID ended after [0-9.]+ s; writing the [0-9]+ samples collected$" "$out.err"
expect_line "^cdbg: profile: written to $TD_TMP/p.svg$" "$out.err"
check svg "$TD_TMP/p.svg" --threads --min 300
grep -q 'split): [0-9]* samples, [0-9.]*%</title>' "$TD_TMP/p.svg" && pass "SVG titles name the module" ||
    fail "no title with the module (split)"

start_waiting 15
profile_p out --hz 999 -o "$TD_TMP/p.pb.gz"
expect_status 0 "-p, pprof"
check pprof "$TD_TMP/p.pb.gz" --build-id "$BUILD_ID" --min 300
# hz samples per CPU-second: the samples (and those lost) against the CPU time split measured itself
cpu_ms=$(awk '/^cpu_ms/ {print $2}' "$WOUT")
got=$(sed -nE 's/^cdbg: profile: ([0-9]+) samples .*, ([0-9]+) lost, .*/\1 \2/p' "$out.err")
if [ -n "$cpu_ms" ] && [ -n "$got" ] && awk -v c="$cpu_ms" -v g="$got" 'BEGIN { split(g, a, " "); e = c * 999 / 1000;
        r = (a[1] + a[2]) / e; exit !(r > 0.85 && r < 1.05) }'; then
    pass "samples ($got) at 999 per CPU-second of $cpu_ms ms"
else
    fail "samples and lost ($got) not 999 per CPU-second of split's $cpu_ms ms"
fi
start_waiting 10
profile_p out --hz 499 --threads -o "$TD_TMP/t.pb.gz"
check pprof "$TD_TMP/t.pb.gz" --threads --min 100

# --- Ctrl-C and --duration: the process is left running, never traced, and the (empty) profile
# of an idle process is written
start_waiting 1
f=$TD_TMP/int.err
"$CDBG" profile -p "$WPID" -o "$TD_TMP/int.folded" 2>"$f" &
cpid=$!
td_wait_for "cdbg profile to start sampling" grep -qs '^cdbg: profile: sampling process' "$f"
grep -q "^TracerPid:[[:space:]]*0$" "/proc/$WPID/status" && pass "not traced while profiled" ||
    fail "traced while profiled: $(grep TracerPid "/proc/$WPID/status")"
kill -INT "$cpid"
wait "$cpid"
TD_RC=$?
expect_status 0 "-p, Ctrl-C"
expect_line '^cdbg: profile: 0 samples .*; interrupted$' "$f"
[ -f "$TD_TMP/int.folded" ] && [ ! -s "$TD_TMP/int.folded" ] && pass "empty profile written" ||
    fail "int.folded: $(ls -l "$TD_TMP/int.folded" 2>&1)"
check_untraced "$WPID"
td_cdbg out profile -p "$WPID" --duration 0.5 -o "$TD_TMP/idle.svg"
expect_status 0 "-p --duration"
python3 -c "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])" "$TD_TMP/idle.svg" && pass "empty SVG parses" ||
    fail "empty SVG does not parse"
check_untraced "$WPID"
echo go >&7
exec 7>&-
wait "$WPID"

# --- stacks deeper than the copy: cut ----------------------------------------------------------
td_cdbg out profile --hz 499 -o "$TD_TMP/deep.txt" -- "$SPLIT" 10 deep
expect_status 0 "deep"
check folded "$TD_TMP/deep.txt" --cut --min 100
expect_line '^cdbg: profile: [0-9]+ samples \([1-9][0-9]* cut' "$out.err"

# --- a process that exits mid-profile ----------------------------------------------------------
start_waiting 30 exit
profile_p out --hz 999 --duration 3600 -o "$TD_TMP/exit.folded"
expect_status 0 "-p, the process exits mid-profile"
[ "$WSTATUS" -eq 3 ] && pass "split exited by itself (3)" || fail "split's status $WSTATUS, expected 3"
expect_line "^cdbg: profile: process $WPID ended after" "$out.err"
check folded "$TD_TMP/exit.folded" --min 200
td_cdbg out profile --hz 499 -o "$TD_TMP/exit2.folded" -- "$SPLIT" 20 exit
expect_status 3 "-- PROG that exits mid-work: its status"
check folded "$TD_TMP/exit2.folded" --min 100

# --- bad input ---------------------------------------------------------------------------------
td_cdbg out profile -o "$TD_TMP/x.png" -- "$SPLIT" 1
expect_status 2 "unknown format"
expect_exact_str "$out.err" "cdbg: profile: cannot tell the format of -o $TD_TMP/x.png: name it .folded or .txt (folded stacks), .svg (a flame graph) or .pb.gz (pprof); see \`cdbg profile --help\`"
[ ! -e "$TD_TMP/x.png" ] && pass "nothing written" || fail "x.png written"
td_cdbg out profile -p 12abc
expect_status 2 "a PID that is not a number"
gone=$(bash -c 'echo $$') # a process that has exited
td_cdbg out profile -p "$gone" --duration 1
expect_status 4 "no such process"
expect_line "^cdbg: profile: no process with PID $gone" "$out.err"
td_cdbg out profile --hz 99
expect_status 2 "neither -p nor --"
td_cdbg out profile --hz 0 -p 1
expect_status 2 "--hz 0"
if [ "$(id -u)" -eq 0 ]; then
    # an unprivileged user may not sample root's process: perf_event_open refuses, and says why
    start_waiting 1
    # a copy of cdbg the unprivileged user can run wherever the build is (a private directory)
    chmod 711 "$TD_TMP"
    mkdir -m 755 "$TD_TMP/bin"
    mkdir -m 777 "$TD_TMP/w"
    cp "$CDBG" "$TD_TMP/bin/cdbg"
    chmod 755 "$TD_TMP/bin/cdbg"
    setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
        timeout 60 "$TD_TMP/bin/cdbg" profile -p "$WPID" --duration 1 -o "$TD_TMP/w/perm.svg" >"$TD_TMP/perm.out" 2>"$TD_TMP/perm.err"
    TD_RC=$?
    expect_status 4 "perf_event_open refused"
    expect_line 'perf_event_open refused to sample process [0-9]+: .*kernel.perf_event_paranoid.*CAP_PERFMON' "$TD_TMP/perm.err"
    [ "$(wc -l <"$TD_TMP/perm.err")" -eq 1 ] && pass "one line" || fail "$(cat "$TD_TMP/perm.err")"
    [ ! -e "$TD_TMP/w/perm.svg" ] && pass "no profile file left" || fail "perm.svg left behind"
    # a profile that fails leaves a file that was already there as it was (not emptied, not removed)
    echo precious >"$TD_TMP/w/old.svg"
    chmod 666 "$TD_TMP/w/old.svg"
    setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
        timeout 60 "$TD_TMP/bin/cdbg" profile -p "$WPID" --duration 1 -o "$TD_TMP/w/old.svg" >"$TD_TMP/perm.out" 2>"$TD_TMP/perm.err"
    TD_RC=$?
    expect_status 4 "perf_event_open refused, FILE there before"
    [ "$(cat "$TD_TMP/w/old.svg" 2>&1)" = precious ] && pass "the file there before kept as it was" ||
        fail "old.svg after a failed profile: $(cat "$TD_TMP/w/old.svg" 2>&1)"
    echo go >&7
    exec 7>&-
    wait "$WPID"
else
    echo "note: not root: the refused perf_event_open case needs another user's process" >&2
fi
td_finish
