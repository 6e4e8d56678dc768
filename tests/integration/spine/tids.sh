#!/bin/bash
# Every thread id cdbg prints is the thread it describes, by the program's own word (gettid) and
# /proc/PID/task: `threads`, `bt all` headers, `bt all -group` and the JSON ids, tids and
# threads_total, live and on a core; and a breakpoint's stop line names the thread that hit it
# (a non-main thread, never the process id), when launched by `run` and when attached.
. "$SRCROOT/tests/integration/lib.sh"
command -v python3 >/dev/null || fail "python3 is required (the checks of this test are written in it)"
CHECK=$SRCROOT/tests/integration/spine/tids_check.py

# check_ties LABEL live|core PID TIDFILE CDBG-TARGET-ARGS...: runs the thread listings text and JSON
# and turns tids_check.py's ok/FAIL lines into checks.
check_ties() {
    local label=$1 mode=$2 pid=$3 file=$4 text json log line
    shift 4
    td_cdbg text "$@" --batch -ex threads -ex 'bt all' -ex 'bt all -group'
    expect_status 0 "$label: threads, bt all, bt all -group"
    td_cdbg json "$@" --batch --json -ex threads -ex 'bt all' -ex 'bt all -group' -ex 'threads -group'
    expect_status 0 "$label: the same in JSON"
    log=$(mktemp "$TD_TMP/check.XXXXXX")
    python3 "$CHECK" "$mode" "$pid" "$file" "$text" "$json" >"$log" 2>&1
    local rc=$?
    while IFS= read -r line; do
        case $line in
        "ok: "*) pass "$label: ${line#ok: }" ;;
        "FAIL: "*) fail "$label: ${line#FAIL: }" ;;
        esac
    done <"$log"
    if [ "$rc" -ne 0 ]; then
        grep -q '^FAIL: ' "$log" || { fail "$label: tids_check.py exited with $rc"; head -n 40 "$log" >&2; }
        td_show "$text"
    fi
}

# tid_of FILE NAME: the tid the program wrote for thread NAME.
tid_of() { awk -v n="$2" '$2 == n { print $1 }' "$1"; }

for v in O0 O2; do
    f=$TD_TMP/tids.$v
    td_start "tids_$v" "$f"
    check_ties "live $v" live "$TD_PID" "$f" attach "$TD_PID"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
done

# A core keeps each thread's tid in its NT_PRSTATUS note; the stacks must still match them.
require_cores
f=$TD_TMP/tids.core
core=$(make_core_of tids_O2 "$f") || exit 1
check_ties "core" core "$(tid_of "$f" tids-main)" "$f" core "$(td_bin tids_O2)" "$core"

# Breakpoints. bp-thread (neither the main thread nor the first one created) calls
# only_in_bp_thread once at start and again for every SIGUSR1.
for v in O0 O2; do
    f=$TD_TMP/bp.$v
    td_cdbg out run "$(td_bin "tids_$v")" "$f" bp --batch -ex 'break only_in_bp_thread' -ex continue -ex thread \
        -ex 'bt 1'
    expect_status 0 "run $v: break in a thread"
    bp=$(tid_of "$f" bp-thread)
    main=$(tid_of "$f" tids-main)
    if [ -n "$bp" ] && [ -n "$main" ] && [ "$bp" != "$main" ]; then
        pass "run $v: the program named bp-thread $bp and main $main"
        expect_line "^Breakpoint 1, hit 1 time, thread tid $bp\$" "$out"
        expect_no_line "thread tid $main\$" "$out"
        # the stop selects that thread. Not its name: after `run`, cdbg still shows the name a thread
        # inherited at clone, not the one pthread_setname_np gave it later (a known bug)
        expect_line "^\\[Current thread is [0-9]+ \\(tid $bp, [^)]*\\)\\]\$" "$out"
        expect_line '^#0 +0x[0-9a-f]{16} in only_in_bp_thread at tids\.c:[0-9]+$' "$out"
    else
        fail "run $v: no tids in $f: $(cat "$f" 2>/dev/null)"
    fi

    f=$TD_TMP/bpj.$v
    td_cdbg out --json run "$(td_bin "tids_$v")" "$f" bp --batch -ex 'break only_in_bp_thread' -ex continue -ex thread
    expect_status 0 "run $v --json: break in a thread"
    bp=$(tid_of "$f" bp-thread)
    python3 - "$out" "$bp" "$(tid_of "$f" tids-main)" <<'PY' && pass "run $v --json: event and thread name bp-thread's tid" || fail "run $v --json: $(cat "$out")"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
bp, main = int(sys.argv[2]), int(sys.argv[3])
assert bp != main
run, brk, cont, thr = objs
assert run["pid"] == main, run
assert cont["event"] == "breakpoint" and cont["tid"] == bp and cont["frame"]["function"] == "only_in_bp_thread", cont
assert thr["command"] == "thread" and thr["tid"] == bp, thr
PY
done

# Attached, at the REPL: two hits, each caused by a SIGUSR1 sent only once every thread runs again
# (all held threads released: none in a tracing stop, all still traced by cdbg).
# all_running PID TRACER: every thread of PID is traced by TRACER and none is stopped.
all_running() {
    local st
    for st in /proc/"$1"/task/*/status; do
        grep -q "^TracerPid:[[:space:]]*$2\$" "$st" 2>/dev/null || return 1
        grep -q '^State:[[:space:]]*[tT]' "$st" 2>/dev/null && return 1
    done
    return 0
}
wait_running() {
    local deadline=$((SECONDS + 30))
    while ! all_running "$1" "$2"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "process $1 did not run on traced by $2: $(grep -h -E '^(State|TracerPid):' /proc/"$1"/task/*/status | tr '\n' ' ')"
            return 1
        fi
        sleep 0.02
    done
    return 0
}
f=$TD_TMP/bp.attach
td_start tids_O2 "$f" bp
bp=$(tid_of "$f" bp-thread)
repl_start attach "$TD_PID"
repl_send 'break only_in_bp_thread' continue
if wait_running "$TD_PID" "$R_PID"; then
    kill -USR1 "$TD_PID"
    repl_wait '^Breakpoint 1, hit 1 time, thread tid ' "$R_OUT"
    expect_line "^Breakpoint 1, hit 1 time, thread tid $bp\$" "$R_OUT"
    repl_send thread
    repl_wait '^\[Current thread is ' "$R_OUT"
    expect_line "^\\[Current thread is 3 \\(tid $bp, bp-thread\\)\\]\$" "$R_OUT"
    repl_send continue
    wait_running "$TD_PID" "$R_PID" && kill -USR1 "$TD_PID"
    repl_wait '^Breakpoint 1, hit 2 times, thread tid ' "$R_OUT"
    expect_line "^Breakpoint 1, hit 2 times, thread tid $bp\$" "$R_OUT"
fi
repl_send quit
repl_end
expect_status 0 "attached REPL session"
[ -s "$R_OUT.err" ] && fail "attached REPL session wrote to stderr: $(head -c 500 "$R_OUT.err")"
check_untraced "$TD_PID"
td_finish
