#!/bin/bash
# cdbg leaks: the blocks a program allocated while recorded and did not free, grouped by call stack
# (testdata/leaks). leaks.c keeps 3 x 100 bytes from leak_a() and 1 x 4096 from leak_b() through
# alloc_helper(); its threads allocate with every allocator function and free it all. At -O0 and
# -O2, launched (-- PROG): exactly those groups (and libc's thread set-up blocks, whose stacks pass
# through pthread_create), bytes and counts, each group's frames (function and line, up to main)
# the ones gdb 13's `bt` shows at a breakpoint on malloc called from there; the program's output
# unchanged and its status. The C++ program leaking with `new` (operator new's frames skipped too).
# Attached (-p): blocks allocated before the attach and freed after are counted unknown, not
# reported; SIGTERM ends the recording, the probes go (malloc's code is libc's own again), the
# program runs on untraced to its end; SIGKILL of cdbg too. Bad input: no process, a static
# program, an allocator of the program's own, perf_event_open refused, bad options.
. "$SRCROOT/tests/integration/lib.sh"

need_tool gdb "the frames gdb shows at malloc"
HERE=$SRCROOT/tests/integration/leaks
SRC=$SRCROOT/testdata/leaks
line() { grep -n "[*/] $2\( \*/\)\?$" "$1" | head -1 | cut -d: -f1; }
LA=$(line "$SRC/leaks.c" LEAK_A)
LB=$(line "$SRC/leaks.c" LEAK_B)
LN=$(line "$SRC/leakxx.cpp" LEAK_NEW)
LO=$(line "$SRC/leakxx.cpp" LEAK_OBJ)
LW=$(line "$SRC/leaks.c" WORK_WAIT)
ended() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
libc_of() { awk '$6 ~ /\/libc[.-][^\/]*so/ {print $6; exit}' "/proc/$1/maps"; }

# gdb_at EXE FUNC FIRST_FRAME LINE [ARGS]: gdb's frames at malloc called from FUNC, checked to
# start at FIRST_FRAME:LINE (so a parse that went wrong cannot make both sides empty)
gdb_at() {
    local exe=$1 fn=$2 first=$3 ln=$4 fr
    shift 4
    fr=$(python3 "$HERE/gdb_frames.py" "$exe" "$fn" "$@") || { fail "gdb did not stop at malloc from $fn"; echo '[]'; return; }
    python3 -c 'import json,sys; f=json.loads(sys.argv[1]); assert f[0]==[sys.argv[2], int(sys.argv[3])] and f[-1][0]=="main", f' \
        "$fr" "$first" "$ln" || fail "gdb's frames at malloc from $fn: $fr"
    echo "$fr"
}

for v in O0 O2; do
    exe=$(td_bin leaks_$v) || exit 1
    FA=$(gdb_at "$exe" leak_a leak_a "$LA" run)
    FB=$(gdb_at "$exe" alloc_helper alloc_helper "$LB" run)
    plain=$("$exe" run)
    td_cdbg out leaks --json -- "$exe" run
    expect_status 0 "leaks -- PROG ($v): the program's status"
    want=$(python3 -c 'import json,sys; print(json.dumps({"groups": [
        {"bytes": 300, "allocations": 3, "frames": json.loads(sys.argv[1])},
        {"bytes": 4096, "allocations": 1, "frames": json.loads(sys.argv[2])}],
        "allowed_via": "__pthread_create_2_1", "program_lines": sys.argv[3].splitlines()}))' "$FA" "$FB" "$plain")
    r=$(python3 "$HERE/check_groups.py" "$out" "$want") && pass "groups, bytes, counts and gdb's frames ($v)" ||
        { fail "groups ($v): $r"; td_show "$out"; }
    expect_line 'exited with status 0$' "$out.err"
    expect_line '^cdbg: leaks: process [0-9]+: [0-9]+ allocations, [0-9]+ frees \(' "$out.err"

    # the text report: the same frames as `bt` prints them
    td_cdbg out leaks -- "$exe" run
    expect_status 0 "leaks text ($v)"
    expect_line '^300 bytes in 3 allocations from:$' "$out"
    expect_line '^4096 bytes in 1 allocation from:$' "$out"
    expect_line "^#0  0x[0-9a-f]{16} in leak_a at leaks.c:$LA$" "$out"
    expect_line "^#0  0x[0-9a-f]{16} in alloc_helper at leaks.c:$LB$" "$out"
    expect_line "^#1  0x[0-9a-f]{16} in leak_b at leaks.c:" "$out"
    expect_no_line ' in (__GI___libc_)?malloc ' "$out"
    expect_line '^leaks: ok$' "$out"

    # --min-bytes leaves out the groups below it; --top 1 shows the largest only
    td_cdbg out leaks --min-bytes 1000 --top 1 -- "$exe" run
    expect_line '^4096 bytes in 1 allocation from:$' "$out"
    expect_no_line 'bytes in [0-9]+ allocations? from:$' <(grep -v '^4096 bytes' "$out")
    expect_line 'some not shown: --top, --min-bytes' "$out.err"

    cxx=$(td_bin leakxx_$v) || exit 1
    FN=$(gdb_at "$cxx" leak_new leak_new "$LN")
    FO=$(gdb_at "$cxx" leak_obj leak_obj "$LO")
    td_cdbg out leaks --json -- "$cxx"
    expect_status 0 "leaks C++ ($v)"
    want=$(python3 -c 'import json,sys; print(json.dumps({"groups": [
        {"bytes": 100, "allocations": 1, "frames": json.loads(sys.argv[1])},
        {"bytes": 48, "allocations": 1, "frames": json.loads(sys.argv[2])}],
        "allowed_via": None, "program_lines": ["leakxx: ok"]}))' "$FN" "$FO")
    r=$(python3 "$HERE/check_groups.py" "$out" "$want") && pass "C++ new: groups and gdb's frames ($v)" ||
        { fail "C++ groups ($v): $r"; td_show "$out"; }
done

# -p: attached after 5 blocks of 1000 bytes were allocated; they are freed while recorded
exe=$(td_bin leaks_O0) || exit 1
# gdb's frames of `leaks run`, main at the line `leaks wait` calls work() from
at_wait() { python3 -c 'import json,sys; f=json.loads(sys.argv[1]); f[-1][1]=int(sys.argv[2]); print(json.dumps(f))' "$1" "$LW"; }
FA=$(at_wait "$(gdb_at "$exe" leak_a leak_a "$LA" run)")
FB=$(at_wait "$(gdb_at "$exe" alloc_helper alloc_helper "$LB" run)")
o=$TD_TMP/attach
"$exe" wait >"$o.prog" 2>&1 &
ppid=$!
TD_PIDS+=("$ppid")
ready() { grep -qx ready "$o.prog" 2>/dev/null; }
td_wait_for "the program to be ready" ready
"$CDBG" leaks --json -p "$ppid" >"$o.out" 2>"$o.err" &
cpid=$!
armed() { grep -q '^cdbg: leaks: recording the allocations of process' "$o.err" 2>/dev/null; }
td_wait_for "cdbg leaks -p to record" armed || kill -KILL "$cpid"
libc=$(libc_of "$ppid")
r=$(python3 "$SRCROOT/tests/integration/trace/code_same.py" "$ppid" "$libc" malloc 8)
[ $? = 1 ] && pass "malloc is probed while recording" || fail "malloc while recording: $r"
kill -USR1 "$ppid"
freed() { grep -qx 'early freed' "$o.prog"; }
td_wait_for "the program's work and its early blocks freed" freed
kill -TERM "$cpid"
td_wait_for "cdbg leaks to end at SIGTERM" ended "$cpid" || kill -KILL "$cpid"
wait "$cpid"
TD_RC=$?
expect_status 0 "-p, SIGTERM"
want=$(python3 -c 'import json,sys; print(json.dumps({"groups": [
    {"bytes": 300, "allocations": 3, "frames": json.loads(sys.argv[1])},
    {"bytes": 4096, "allocations": 1, "frames": json.loads(sys.argv[2])}],
    "allowed_via": "__pthread_create_2_1", "program_lines": [], "min_unknown_frees": 5}))' "$FA" "$FB")
r=$(python3 "$HERE/check_groups.py" "$o.out" "$want") && pass "-p: groups; the early blocks' frees unknown" ||
    { fail "-p groups: $r"; td_show "$o.out"; }
expect_line "^cdbg: leaks: interrupted by SIGTERM: every probe removed, process $ppid runs on$" "$o.err"
r=$(python3 "$SRCROOT/tests/integration/trace/code_same.py" "$ppid" "$libc" malloc 8) &&
    pass "malloc is libc's own after SIGTERM" || fail "malloc after SIGTERM: $r"
check_untraced "$ppid"
kill -USR2 "$ppid"
prog_end() { grep -qx 'wait: ok' "$o.prog"; }
td_wait_for "the program to run on to its end" prog_end && pass "it ran on to its end"
wait "$ppid"
TD_RC=$?
expect_status 0 "the program's own status after cdbg leaks -p"

# SIGKILL of cdbg: its perf events, and the probes, go with its descriptors
o=$TD_TMP/kill
"$exe" wait >"$o.prog" 2>&1 &
ppid=$!
TD_PIDS+=("$ppid")
td_wait_for "the program to be ready (kill)" ready
"$CDBG" leaks -p "$ppid" >"$o.out" 2>"$o.err" &
cpid=$!
armed() { grep -q '^cdbg: leaks: recording the allocations of process' "$o.err" 2>/dev/null; }
td_wait_for "cdbg leaks -p to record (kill)" armed
libc=$(libc_of "$ppid")
kill -KILL "$cpid"
wait "$cpid" 2>/dev/null
r=$(python3 "$SRCROOT/tests/integration/trace/code_same.py" "$ppid" "$libc" malloc 8) &&
    pass "malloc is libc's own after SIGKILL of cdbg" || fail "malloc after SIGKILL: $r"
check_untraced "$ppid"
kill -USR1 "$ppid"
freed() { grep -qx 'early freed' "$o.prog"; }
td_wait_for "the program's work after cdbg was killed" freed && pass "the program works on after SIGKILL of cdbg"
kill -USR2 "$ppid"
wait "$ppid"
TD_RC=$?
expect_status 0 "the program's own status after SIGKILL of cdbg"

# bad input
td_cdbg out leaks -p 999999
expect_status 4 "no such process"
expect_line 'no process with PID 999999' "$out.err"
td_cdbg out leaks -- "$(td_bin leaks_static)" run
expect_status 1 "a static program"
expect_line '^cdbg: leaks: symbol malloc not found in a shared libc of process [0-9]+ \(a static binary' "$out.err"
expect_no_line '^leaks: ok' "$out"  # killed, not run without the probes
o=$TD_TMP/own
"$(td_bin leaks_ownmalloc)" >"$o.prog" 2>&1 &
opid=$!
TD_PIDS+=("$opid")
oready() { grep -qx ready "$o.prog" 2>/dev/null; }
td_wait_for "the own-malloc program" oready
td_cdbg out leaks -p "$opid"
expect_status 1 "an allocator of the program's own"
expect_line "^cdbg: leaks: process $opid calls the malloc of leaks_ownmalloc, not libc's" "$out.err"
check_untraced "$opid"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    # copies nobody can run (the build tree may be under a directory only root enters)
    nb=$(mktemp -d "${TMPDIR:-/tmp}/cdbg-leaks-nobody.XXXXXX") && chmod 755 "$nb" && cp "$CDBG" "$exe" "$nb/"
    (cd "$nb" && timeout -k 5 120 setpriv --reuid=65534 --regid=65534 --clear-groups env CDBG_CACHE_DIR="$nb/cache" \
        ./cdbg leaks -- ./leaks_O0 run >"$TD_TMP/nobody.out" 2>"$TD_TMP/nobody.err" </dev/null)
    TD_RC=$?
    rm -rf "$nb"
    expect_status 4 "perf_event_open refused (not root)"
    expect_line '^cdbg: leaks: perf_event_open refused: .*Permission denied.*CAP_PERFMON.*\(kernel.perf_event_paranoid is -?[0-9]+\)$' "$TD_TMP/nobody.err"
else
    echo "note: perf_event_open refused not checked: it needs root (to drop to nobody) and setpriv" >&2
fi
for bad in "--bogus" "--top x -p 1" "--min-bytes -1 -p 1" "--duration 0 -p 1" "-p 1 -- /bin/true" ""; do
    td_cdbg out leaks $bad
    expect_status 2 "bad options '$bad'"
    expect_line '^cdbg: leaks: .*; see `cdbg leaks --help`$' "$out.err"
done
td_finish
