# Shared helpers for integration tests written in bash. Source it first thing:
#
#   #!/bin/bash
#   . "$SRCROOT/tests/integration/lib.sh"     # or: . "$(dirname "$0")/../lib.sh"
#   td_start threads_O2                         # sets TD_PID, waits for "ready"
#   td_cdbg out attach "$TD_PID" --batch -ex 'bt all'
#   expect_status 0
#   expect_line '^#3 .* in wait_on_mutex \(.*\) at .*threads.c:54$' "$out"
#   check_untraced "$TD_PID"
#   td_finish                                    # summary; exit 0 or 1
#
# Environment (set by meson test; defaults suit running a script by hand from the source tree):
#   CDBG      the cdbg binary              (default $SRCROOT/build/cdbg)
#   TESTDATA  build/testdata               (default $SRCROOT/build/testdata)
#   SRCROOT   the source tree              (default: two levels above this file)
#   TD_READY_TIMEOUT  seconds to wait for "ready" (default 120)
#   TD_CDBG_TIMEOUT   seconds one cdbg run may take before it is killed (default 120)
#   TD_WAIT_TIMEOUT   seconds repl_wait and td_wait_for wait for a state before failing (default 60)
# Exit statuses follow meson's convention: 0 pass, 1 fail, 77 skip.
# Safe under `set -u`; does not turn on `set -e` (a failed check must not end the script).

SRCROOT=${SRCROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CDBG=${CDBG:-$SRCROOT/build/cdbg}
TESTDATA=${TESTDATA:-$SRCROOT/build/testdata}
TD_READY_TIMEOUT=${TD_READY_TIMEOUT:-120}
TD_CDBG_TIMEOUT=${TD_CDBG_TIMEOUT:-120}
TD_WAIT_TIMEOUT=${TD_WAIT_TIMEOUT:-60}
export CDBG TESTDATA SRCROOT
# cdbg keeps inflated debug files in a cache (by default under ~/.cache); tests write only under the
# build directory or a temporary one, so theirs lives next to the cdbg binary (and stays warm).
CDBG_CACHE_DIR=${CDBG_CACHE_DIR:-$(dirname "$CDBG")/test-debuginfo-cache}
export CDBG_CACHE_DIR
# A test program that crashes outside make_core must not leave a core in the working directory.
ulimit -S -c 0 # the soft limit only: make_core raises it again

TD_NAME=$(basename "$0" .sh)
TD_FAILS=0
TD_CHECKS=0
TD_PID=
TD_PIDS=()
TD_RC=0
# Everything a test creates lives here, so one rm cleans up even after a failure.
TD_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cdbg-test.XXXXXX") || { echo "lib.sh: mktemp failed" >&2; exit 1; }

# _td_ours PID: PID is (still) a child of this script. A program that exited was reaped by bash and
# its PID may already be another process's (PIDs wrap quickly when programs start 1000 threads),
# which a blind kill would hit: some other test's program, on a machine running several suites.
_td_ours() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    set -- $st
    [ "$2" = "$$" ]
}

td_cleanup() {
    local p
    for p in "${TD_PIDS[@]}"; do
        _td_ours "$p" && kill -KILL "$p" 2>/dev/null
    done
    for p in "${TD_PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
    rm -rf "$TD_TMP"
}
trap td_cleanup EXIT
trap 'exit 1' INT TERM HUP

# --- results -------------------------------------------------------------------------------------

fail() {
    TD_FAILS=$((TD_FAILS + 1))
    TD_CHECKS=$((TD_CHECKS + 1))
    echo "FAIL: $*" >&2
    return 1
}

pass() {
    TD_CHECKS=$((TD_CHECKS + 1))
    [ -n "${TD_VERBOSE:-}" ] && echo "ok: $*"
    return 0
}

# skip WHY: meson's SKIP (77). In CI (CI=true), where every tool and cores are available, a skip
# means the environment is broken, so it fails instead.
skip() {
    if [ "${CI:-}" = true ]; then
        echo "FAIL: $* (CI=true: CI has every tool the suite needs, so this test may not be skipped there)" >&2
        exit 1
    fi
    echo "SKIP: $*" >&2
    exit 77
}

# need_tool TOOL WHAT_FOR: skips the test (fails in CI) when TOOL is not installed.
need_tool() {
    command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed; it is needed for $2"
}

# Prints "NAME: N checks, M failed" and exits 1 if anything failed, else 0.
td_finish() {
    echo "$TD_NAME: $TD_CHECKS checks, $TD_FAILS failed"
    [ "$TD_FAILS" -eq 0 ] && exit 0
    exit 1
}

# --- test programs -------------------------------------------------------------------------------

# Path of a testdata program: a path as is, else the first $TESTDATA/*/NAME.
td_bin() {
    case $1 in
    */*) echo "$1"; return 0 ;;
    esac
    local f
    for f in "$TESTDATA"/*/"$1"; do
        [ -x "$f" ] && { echo "$f"; return 0; }
    done
    echo "lib.sh: no testdata program '$1' under $TESTDATA (build it first)" >&2
    return 1
}

# _td_running PID: PID exists and is not a zombie.
_td_running() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    [ "${st:0:1}" != Z ] && [ "${st:0:1}" != X ]
}

# _td_describe PID: what a program that hangs is doing, so a hang can be told from a slow machine.
_td_describe() {
    local states
    states=$(cat /proc/"$1"/task/*/stat 2>/dev/null | sed -E 's/.*\) ([A-Za-z]).*/\1/' | sort | uniq -c | tr '\n' ' ')
    echo "$(ls /proc/"$1"/task 2>/dev/null | wc -l) threads, states: $states; main thread in syscall: $(cut -d' ' -f1 /proc/"$1"/syscall 2>/dev/null); load: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# td_start PROG [ARGS...]: runs a testdata program in the background and returns once it printed
# "ready" (its first line). Sets TD_PID; the process is killed when the script exits. Any failure
# to start is fatal for the test (exit 1).
td_start() {
    local exe
    exe=$(td_bin "$1") || exit 1
    shift
    local dir
    dir=$(mktemp -d "$TD_TMP/proc.XXXXXX") || exit 1
    # A regular file, polled: `read -t` on a pipe loses the bytes it had read when its timer fires
    # mid-line (a loaded machine), and "ready" would never be seen.
    "$exe" "$@" >"$dir/out" 2>"$dir/err" &
    TD_PID=$!
    TD_PIDS+=("$TD_PID")
    local deadline=$((SECONDS + TD_READY_TIMEOUT))
    until grep -qx ready "$dir/out" 2>/dev/null; do
        if ! _td_running "$TD_PID"; then
            grep -qx ready "$dir/out" 2>/dev/null && break
            wait "$TD_PID" 2>/dev/null
            local rc=$?
            echo "FAIL: $exe exited before printing 'ready' (status $rc$([ "$rc" -gt 128 ] && echo ", signal $(kill -l "$rc" 2>/dev/null)")); stderr: $(head -c 2000 "$dir/err")" >&2
            exit 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "FAIL: $exe did not print 'ready' within ${TD_READY_TIMEOUT}s ($(_td_describe "$TD_PID"); stderr: $(head -c 500 "$dir/err"))" >&2
            exit 1
        fi
        sleep 0.02
    done
    td_wait_main_asleep "$TD_PID" "$exe" || exit 1
    td_sleepers "$TD_PID" >"$TD_TMP/sleepers.$TD_PID"
    return 0
}

# td_wait_main_asleep PID WHAT: after "ready", waits until PID's main thread sleeps in the kernel
# (S or D, in any system call but the write(2) of "ready" itself) or has exited (Z, a zombie
# leader). Every test program's main thread blocks for good once "ready" is out (pause, join, or
# the print is a helper thread's and main sleeps already), but the line can be read while main is
# still returning from writing it: a look then (cdbg attaching at once, on a loaded machine) would
# find main running, not in the join or pause the checks name, and the sleepers td_asleep waits for
# would leave main out.
td_wait_main_asleep() {
    td_wait_for "the main thread of $2 (pid $1) to block after 'ready'" _td_main_asleep "$1" || {
        echo "  ($(_td_describe "$1"))" >&2
        return 1
    }
}
_td_main_asleep() {
    local st nr
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0 # gone: the checks that follow will say so
    st=${st##*) }
    case ${st:0:1} in
    Z | X) return 0 ;;
    S | D)
        nr=$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null)
        [ -n "$nr" ] && [ "$nr" != running ] && [ "$nr" != 1 ]
        ;;
    *) return 1 ;;
    esac
}

# td_sleepers PID: the TIDs of PID's threads that sleep in the kernel (state S or D) right now.
td_sleepers() {
    awk '{ tid = FILENAME; sub(/^.*task\//, "", tid); sub(/\/.*$/, "", tid); st = $0
           sub(/^.*\) /, "", st); split(st, f, " "); if (f[1] == "S" || f[1] == "D") print tid }' \
        /proc/"$1"/task/*/stat 2>/dev/null
}

# td_asleep PID: waits until every thread of PID (started by td_start) that slept when it printed
# "ready" sleeps again. A thread a tracer stopped and released runs a moment to re-enter its system
# call: looking at it in between (say, the next cdbg run at once) would see it running, not blocked.
td_asleep() {
    [ -f "$TD_TMP/sleepers.$1" ] || return 0
    if ! td_wait_for "the threads of $1 to sleep again" _td_all_asleep "$1"; then
        echo "  still awake: $(echo $TD_AWAKE)" >&2
        return 1
    fi
}
_td_all_asleep() {
    local tid
    TD_AWAKE=
    for tid in $(comm -23 <(sort "$TD_TMP/sleepers.$1") <(td_sleepers "$1" | sort)); do
        [ -d "/proc/$1/task/$tid" ] && TD_AWAKE="$TD_AWAKE $tid"
    done
    [ -z "$TD_AWAKE" ]
}

# td_stop PID: kills one started program now (e.g. before starting the next).
td_stop() {
    _td_ours "$1" && kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

# td_tasks PID: "TID NAME" for every thread of PID, read from /proc: the kernel's truth, to check
# the thread ids cdbg reports against.
td_tasks() {
    local t
    for t in /proc/"$1"/task/*; do
        [ -r "$t/comm" ] && printf '%s %s\n' "${t##*/}" "$(cat "$t/comm" 2>/dev/null)"
    done
}

# td_tid_named TASKS_FILE NAME: prints the TID of the one thread called NAME in a td_tasks listing
# (fails if there is none or more than one).
td_tid_named() {
    local tids
    tids=$(awk -v n="$2" '$2 == n {print $1}' "$1")
    if [ -z "$tids" ] || [ "$(wc -w <<<"$tids")" -ne 1 ]; then
        echo "lib.sh: not exactly one thread named '$2' in $1: $(tr '\n' ' ' <"$1")" >&2
        return 1
    fi
    echo "$tids"
}

# --- running cdbg --------------------------------------------------------------------------------

# td_cdbg VAR ARGS...: runs "$CDBG ARGS..." with a timeout; stdout goes to a new file whose path is
# stored in VAR, stderr to "$VAR.err"; the exit status is left in TD_RC.
td_cdbg() {
    local var=$1 f
    shift
    f=$(mktemp "$TD_TMP/out.XXXXXX")
    printf -v "$var" '%s' "$f"
    timeout -k 5 "$TD_CDBG_TIMEOUT" "$CDBG" "$@" >"$f" 2>"$f.err" </dev/null
    TD_RC=$?
    [ "$TD_RC" -eq 124 ] && echo "note: cdbg $* timed out after ${TD_CDBG_TIMEOUT}s" >&2
    return 0
}

# expect_status N [WHAT]: checks TD_RC (from td_cdbg).
expect_status() {
    if [ "$TD_RC" -eq "$1" ]; then
        pass "${2:-exit status} $1"
    else
        fail "${2:-exit status}: expected $1, got $TD_RC"
    fi
}

# --- checks --------------------------------------------------------------------------------------

td_show() {
    echo "---- $1 (first 60 lines) ----" >&2
    head -n 60 "$1" >&2
    echo "----" >&2
}

# expect_line PATTERN FILE: some line of FILE matches the extended regex PATTERN.
expect_line() {
    if grep -Eq -- "$1" "$2"; then
        pass "line /$1/"
    else
        fail "no line matching /$1/ in $2"
        td_show "$2"
        return 1
    fi
}

# expect_no_line PATTERN FILE: no line of FILE matches.
expect_no_line() {
    if grep -Eq -- "$1" "$2"; then
        fail "unexpected line matching /$1/ in $2: $(grep -Em1 -- "$1" "$2")"
        return 1
    else
        pass "no line /$1/"
    fi
}

# expect_lines FILE PATTERN...: consecutive lines of FILE match the extended regexes in order (e.g. a
# thread's line and the frame line under it).
expect_lines() {
    local file=$1 i j ok
    shift
    local pats=("$@") lines
    mapfile -t lines <"$file"
    for ((i = 0; i + ${#pats[@]} <= ${#lines[@]}; i++)); do
        ok=1
        for ((j = 0; j < ${#pats[@]}; j++)); do
            [[ ${lines[i + j]} =~ ${pats[j]} ]] || { ok=; break; }
        done
        [ -n "$ok" ] && { pass "lines $(printf '/%s/ ' "$@")"; return 0; }
    done
    fail "no consecutive lines matching $(printf '/%s/ ' "$@")in $file"
    td_show "$file"
    return 1
}

# expect_empty FILE [WHAT]: FILE is empty (e.g. a stderr that must say nothing).
expect_empty() {
    if [ -s "$1" ]; then
        fail "${2:-$1} is not empty: $(head -c 500 "$1")"
        return 1
    fi
    pass "${2:-$1} empty"
}

# expect_exact FILE EXPECTED_FILE: identical contents (shows a diff otherwise).
expect_exact() {
    if diff -u "$2" "$1" >"$TD_TMP/diff" 2>&1; then
        pass "exact $2"
    else
        fail "$1 differs from $2:"
        head -n 80 "$TD_TMP/diff" >&2
        return 1
    fi
}

# expect_exact_str FILE STRING: FILE's contents equal STRING (plus a final newline).
expect_exact_str() {
    local e
    e=$(mktemp "$TD_TMP/expected.XXXXXX")
    printf '%s\n' "$2" >"$e"
    expect_exact "$1" "$e"
}

# check_untraced PID: after cdbg is done the process and all its threads run free: TracerPid 0 and
# no thread in a stop (t/T). Detach is synchronous, so this only re-reads briefly in case a thread
# is still being woken up.
check_untraced() {
    local pid=$1 try bad st
    for try in $(seq 50); do
        bad=
        if [ ! -d "/proc/$pid" ]; then
            fail "process $pid is gone (cdbg should have left it running)"
            return 1
        fi
        for st in "/proc/$pid/status" "/proc/$pid"/task/*/status; do
            [ -r "$st" ] || continue
            if ! grep -q '^TracerPid:[[:space:]]*0$' "$st" 2>/dev/null ||
                grep -q '^State:[[:space:]]*[tT]' "$st" 2>/dev/null; then
                bad="$st: $(grep -E '^(State|TracerPid):' "$st" 2>/dev/null | tr '\n' ' ')"
                break
            fi
        done
        [ -z "$bad" ] && { pass "untraced $pid"; return 0; }
        sleep 0.02
    done
    fail "process $pid still traced or stopped: $bad"
    return 1
}

# --- cores ---------------------------------------------------------------------------------------

# Skips the test (77) when the kernel does not write cores to the cwd (core_pattern piped to a
# program such as systemd-coredump, or an absolute directory).
require_cores() {
    local pat
    pat=$(cat /proc/sys/kernel/core_pattern 2>/dev/null)
    case $pat in
    "|"* | /*) skip "core_pattern is '$pat'; cores are not written to the cwd (set it to 'core')" ;;
    esac
    return 0
}

# Finds the core a process PID left in DIR and prints its path.
td_find_core() {
    local dir=$1 pid=$2 f
    for f in "$dir/core.$pid" "$dir/core"; do
        [ -f "$f" ] && { echo "$f"; return 0; }
    done
    f=$(ls -t "$dir"/core* 2>/dev/null | head -n 1)
    [ -n "$f" ] && { echo "$f"; return 0; }
    return 1
}

# make_core PROG [ARGS...]: runs a program that crashes (e.g. crash_O0) in a fresh directory with
# `ulimit -c unlimited` and prints the core's path. Call require_cores first (in the script, not
# in the $(...) subshell, so a skip exits the test), then: core=$(make_core crash_O0) || exit 1
make_core() {
    require_cores
    local exe dir pid
    exe=$(td_bin "$1") || return 1
    shift
    dir=$(mktemp -d "$TD_TMP/core.XXXXXX") || return 1
    (
        cd "$dir" || exit 1
        ulimit -c unlimited
        exec "$exe" "$@" >/dev/null 2>"$dir/stderr"
    ) &
    pid=$!
    wait "$pid"
    if ! td_find_core "$dir" "$pid"; then
        echo "FAIL: $exe (pid $pid) left no core in $dir (core_pattern $(cat /proc/sys/kernel/core_pattern))" >&2
        return 1
    fi
}

# make_core_of PROG [ARGS...]: starts a program that runs until killed (threads_O2 ...), waits for
# "ready", kills it with SIGABRT and prints the core's path: a core of a process whose threads
# are all blocked where the live tests see them. Its threads (td_tasks, read just before the kill)
# are left in "$(dirname CORE)/tasks", its pid in "$(dirname CORE)/pid".
make_core_of() {
    require_cores
    local exe dir pid
    exe=$(td_bin "$1") || return 1
    shift
    dir=$(mktemp -d "$TD_TMP/core.XXXXXX") || return 1
    (
        cd "$dir" || exit 1
        ulimit -c unlimited
        exec "$exe" "$@" >"$dir/out" 2>"$dir/stderr"
    ) &
    pid=$!
    # polled like td_start's; a zombie counts as ended (this subshell may not reap it while it loops)
    local deadline=$((SECONDS + TD_READY_TIMEOUT))
    until grep -qx ready "$dir/out" 2>/dev/null; do
        if ! _td_running "$pid" || [ "$SECONDS" -ge "$deadline" ]; then
            grep -qx ready "$dir/out" 2>/dev/null && break
            local why
            if _td_running "$pid"; then
                why="not within ${TD_READY_TIMEOUT}s ($(_td_describe "$pid"))"
                kill -KILL "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
            else
                wait "$pid" 2>/dev/null
                local rc=$?
                why="it ended first, status $rc$([ "$rc" -gt 128 ] && echo " (signal $(kill -l "$rc" 2>/dev/null))")"
            fi
            echo "FAIL: $exe did not print 'ready': $why; stderr: $(head -c 500 "$dir/stderr")" >&2
            return 1
        fi
        sleep 0.02
    done
    # the core shows main where the live process has it (in its join or pause, not in the write)
    if ! td_wait_main_asleep "$pid" "$exe"; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return 1
    fi
    td_tasks "$pid" >"$dir/tasks"
    echo "$pid" >"$dir/pid"
    kill -ABRT "$pid"
    wait "$pid" 2>/dev/null
    if ! td_find_core "$dir" "$pid"; then
        echo "FAIL: $exe (pid $pid) left no core in $dir" >&2
        return 1
    fi
}

# td_wait_for WHAT COMMAND...: waits (up to TD_WAIT_TIMEOUT s) until COMMAND succeeds; a failure
# (WHAT not reached) otherwise. For states a test must see before it acts: a line printed, a
# thread's state in /proc, never a fixed sleep.
td_wait_for() {
    local what=$1 deadline=$((SECONDS + TD_WAIT_TIMEOUT))
    shift
    until "$@"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "timed out after ${TD_WAIT_TIMEOUT}s waiting for $what"
            return 1
        fi
        sleep 0.02
    done
    return 0
}

# --- a REPL driven through a FIFO ------------------------------------------------------------------

# repl_start ARGS...: starts "$CDBG ARGS" reading commands from a FIFO the test keeps open (fd
# R_FD); sets R_PID (cdbg itself, so signals reach it), R_OUT (stdout) and R_OUT.err.
# repl_send CMD... writes command lines.
repl_start() {
    local dir
    dir=$(mktemp -d "$TD_TMP/repl.XXXXXX") || exit 1
    mkfifo "$dir/in" || exit 1
    R_OUT=$dir/out
    "$CDBG" "$@" <"$dir/in" >"$R_OUT" 2>"$R_OUT.err" &
    R_PID=$!
    TD_PIDS+=("$R_PID")
    exec {R_FD}>"$dir/in"
}
repl_send() {
    local c
    for c in "$@"; do
        printf '%s\n' "$c" >&"$R_FD"
    done
}
# repl_exited PID: cdbg PID has exited (gone, or a zombie not yet waited for).
repl_exited() {
    ! kill -0 "$1" 2>/dev/null || [ -n "$(awk '$3 == "Z"' "/proc/$1/stat" 2>/dev/null)" ]
}
# repl_end: closes the FIFO and waits (up to TD_WAIT_TIMEOUT s) for cdbg to exit; its status goes to TD_RC
# (and a failure if it hung).
repl_end() {
    exec {R_FD}>&-
    local deadline=$((SECONDS + TD_WAIT_TIMEOUT))
    while ! repl_exited "$R_PID"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "cdbg (pid $R_PID) did not exit"
            kill -KILL "$R_PID" 2>/dev/null
            break
        fi
        sleep 0.02
    done
    wait "$R_PID"
    TD_RC=$?
}
# repl_wait PATTERN FILE [N]: waits (up to TD_WAIT_TIMEOUT s) until N (default 1) lines of FILE
# match PATTERN.
repl_wait() {
    local deadline=$((SECONDS + TD_WAIT_TIMEOUT)) want=${3:-1} n
    # FILE may not exist yet (the shell that starts cdbg creates it): that counts as no line
    while n=$(grep -Ec -- "$1" "$2" 2>/dev/null); [ "${n:-0}" -lt "$want" ]; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "timed out waiting for /$1/ in $2"
            td_show "$2"
            return 1
        fi
        sleep 0.02
    done
    return 0
}

# td_pty_drive NAME TIMEOUT PYTHON_ARGS...: runs a pty driver script (built on ptydrive.py, found
# through PYTHONPATH) under a timeout, and turns its "ok: ..." / "FAIL: ..." lines into checks
# prefixed with NAME; a failure shows the transcript, a driver that dies or checks nothing fails.
td_pty_drive() {
    local name=$1 limit=$2 log line rc
    shift 2
    log=$(mktemp "$TD_TMP/drive.XXXXXX")
    PYTHONPATH="$SRCROOT/tests/integration${PYTHONPATH:+:$PYTHONPATH}" timeout -k 5 "$limit" python3 "$@" >"$log" 2>&1
    rc=$?
    while IFS= read -r line; do
        case $line in
        "ok: "*) pass "$name: ${line#ok: }" ;;
        "FAIL: "*) fail "$name: ${line#FAIL: }" ;;
        esac
    done <"$log"
    grep -q '^FAIL: ' "$log" && sed -n '/^---- transcript/,$p' "$log" | head -n 80 >&2
    [ "$rc" -eq 0 ] || { fail "$name: driver exited with $rc"; head -n 40 "$log" >&2; }
    grep -q '^ok: ' "$log" || fail "$name: the driver checked nothing"
}
