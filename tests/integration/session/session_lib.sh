# Helpers shared by the session tests (source after lib.sh).

# python3 parses every JSON check; CI always has it, so a missing one is a failure, not a skip.
if ! command -v python3 >/dev/null 2>&1; then
    fail "python3 is not installed: the JSON checks need it"
    td_finish
fi

# json_check DESC FILE PYCODE [ARGS...]: runs PYCODE (python3, top-level statements) with
# L = the JSON objects of FILE's lines (non-JSON lines are an error) and A = ARGS; passes
# unless it raises (use assert X, message).
json_check() {
    local desc=$1 f=$2 code=$3 r
    shift 3
    if r=$(python3 -c '
import json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
A = sys.argv[3:]
exec(sys.argv[2])
' "$f" "$code" "$@" 2>&1); then
        pass "$desc"
    else
        fail "$desc: $(printf '%s' "$r" | tail -n 3)"
        td_show "$f"
    fi
}

# prog_start PROG ARGS...: like td_start, but the program's stdout goes to a file (PROG_OUT) the
# test can read later. Waits for its "ready" line and for main to block (td_wait_main_asleep);
# sets TD_PID.
prog_start() {
    local exe
    exe=$(td_bin "$1") || exit 1
    shift
    PROG_OUT=$(mktemp "$TD_TMP/prog.XXXXXX") || exit 1
    "$exe" "$@" >"$PROG_OUT" 2>"$PROG_OUT.err" &
    TD_PID=$!
    TD_PIDS+=("$TD_PID")
    local deadline=$((SECONDS + TD_READY_TIMEOUT))
    until grep -qx ready "$PROG_OUT"; do
        kill -0 "$TD_PID" 2>/dev/null || { echo "FAIL: $exe exited before 'ready': $(head -c 500 "$PROG_OUT.err")" >&2; exit 1; }
        [ "$SECONDS" -ge "$deadline" ] && { echo "FAIL: $exe did not print 'ready'" >&2; exit 1; }
        sleep 0.02
    done
    td_wait_main_asleep "$TD_PID" "$exe" || exit 1
    td_sleepers "$TD_PID" >"$TD_TMP/sleepers.$TD_PID" # for td_asleep
}

# tid_named PID COMM: the tids of PID's threads whose comm is COMM, one per line (from /proc).
tid_named() {
    local st
    for st in /proc/"$1"/task/*/comm; do
        [ "$(cat "$st" 2>/dev/null)" = "$2" ] && basename "$(dirname "$st")"
    done
}

# thread_state TID_PATH: the state letter of /proc/PID/task/TID.
thread_state() {
    sed -E 's/.*\) ([A-Za-z]).*/\1/' "$1/stat" 2>/dev/null
}

# wait_states PID STATES TIDS...: waits (30 s) until each listed thread's state is one of STATES
# (letters); a failure names the first thread that did not get there.
wait_states() {
    local pid=$1 want=$2 t st deadline=$((SECONDS + 30))
    shift 2
    for t in "$@"; do
        while :; do
            st=$(thread_state "/proc/$pid/task/$t")
            case $st in [$want]) break ;; esac
            if [ "$SECONDS" -ge "$deadline" ]; then
                fail "thread $t of $pid is in state '$st', expected one of [$want]"
                return 1
            fi
            sleep 0.02
        done
    done
    pass "threads $* of $pid in [$want]"
}

# expect_states PID STATES TIDS...: each listed thread is in one of STATES now (no waiting: for a
# state that must already hold, such as threads held at a breakpoint stop).
expect_states() {
    local pid=$1 want=$2 t st
    shift 2
    for t in "$@"; do
        st=$(thread_state "/proc/$pid/task/$t")
        case $st in
        [$want]) ;;
        *) fail "thread $t of $pid is in state '$st', expected [$want]"; return 1 ;;
        esac
    done
    pass "threads $* of $pid in [$want] now"
}

# wait_cdbg_waiting PID: waits until cdbg (PID) sleeps in waitid/wait4, i.e. `continue` or
# `stepout` has resumed the target and is waiting for its next event.
wait_cdbg_waiting() {
    local deadline=$((SECONDS + 30)) nr
    while :; do
        nr=$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null)
        [ "$nr" = 247 ] || [ "$nr" = 61 ] && return 0
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "cdbg $1 never waited for the target (syscall: $nr)"
            return 1
        fi
        sleep 0.02
    done
}

# repl_alive: the REPL's cdbg is still running (checks made "while cdbg runs" must say so).
repl_alive() {
    if repl_exited "$R_PID"; then
        fail "cdbg (pid $R_PID) exited: the check was meant to run while it still runs"
        return 1
    fi
    pass "cdbg still running"
}

# marker FILE NAME: the line number of the `/* @NAME */` marker in FILE.
marker() {
    grep -n "/\\* @$2 \\*/" "$1" | cut -d: -f1
}
