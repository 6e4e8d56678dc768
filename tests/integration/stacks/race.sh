#!/bin/bash
# A thread that wakes while `cdbg stacks` reads it is still reported where it is. The test hook
# CDBG_TEST_STACKS_PAUSE="TID DIR" holds cdbg between its unwinding of thread TID and its second read
# of that thread's syscall line (DIR/paused appears; cdbg goes on once DIR/go exists). Meanwhile the
# test moves the mover thread from nanosleep in wait_first to read in wait_second (SIGUSR1): cdbg
# must notice the syscall line changed and read the thread again, reporting wait_second, never the
# stack it read before the move. Then a thread that moves every time it is read (the hook pauses
# after each unwinding, the test moves it each time): after a bounded number of reads cdbg stops it
# alone and reports where it is, as "stopped".
. "$(dirname "$0")/../lib.sh"
need_tool python3 "parsing JSON"

# mover_at OUT PID TID N NR: the mover printed "moved N" and sleeps in syscall NR
mover_at() {
    grep -qx "moved $4" "$1" && [ "$(cut -d' ' -f1 "/proc/$2/task/$3/syscall" 2>/dev/null)" = "$5" ] &&
        grep -q '^State:[[:space:]]*S' "/proc/$2/task/$3/status"
}

for v in O0 O2; do
    td_start "blocked_$v"
    pid=$TD_PID
    out=$(readlink "/proc/$pid/fd/1") # the program's stdout file, where it says "moved"
    mover=$(td_tasks "$pid" | awk '$2 == "mover" {print $1}')
    [ -n "$mover" ] || { fail "no mover thread"; continue; }
    dir=$(mktemp -d "$TD_TMP/hook.XXXXXX")
    CDBG_TEST_STACKS_PAUSE="$mover $dir" timeout -k 5 120 "$CDBG" stacks "$pid" --json >"$dir/json" 2>"$dir/err" &
    cpid=$!
    td_wait_for "cdbg to pause between its two reads of the mover" test -e "$dir/paused.0"
    # only the mover has SIGUSR1 unblocked: it leaves nanosleep and blocks in read
    kill -USR1 "$pid"
    td_wait_for "the mover to move on to read(2)" mover_at "$out" "$pid" "$mover" 1 0
    touch "$dir/go.0"
    wait "$cpid"
    rc=$?
    [ "$rc" -eq 0 ] && pass "stacks $v exit 0" || fail "stacks $v exited $rc: $(cat "$dir/err")"
    if python3 - "$dir/json" "$mover" >"$dir/cmp" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = [t for t in d['threads'] if t['tid'] == int(sys.argv[2])][0]
names = [f['function'] for f in t['frames']]
ok = 'wait_second' in names and 'wait_first' not in names and t['read'] == 'blocked' and t['state'] == 'sleeping in read'
print(t['read'], t['state'], names)
sys.exit(0 if ok else 1)
PY
    then
        pass "$v: the mover is reported where it moved to (read in wait_second), read asleep"
    else
        fail "$v: the mover's stack is not the one it had after moving: $(cat "$dir/cmp")"
    fi
    check_untraced "$pid"

    # moved after every read: read 0 moves it to nanosleep (2), read 1 to read (3), read 2 to
    # nanosleep (4); then it is stopped, in wait_first's nanosleep
    dir=$(mktemp -d "$TD_TMP/hook.XXXXXX")
    CDBG_TEST_STACKS_PAUSE="$mover $dir all" timeout -k 5 120 "$CDBG" stacks "$pid" --json >"$dir/json" 2>"$dir/err" &
    cpid=$!
    k=1
    for a in 0 1 2; do
        td_wait_for "cdbg to pause after unwinding the mover (read $a)" test -e "$dir/paused.$a" || break
        k=$((k + 1))
        kill -USR1 "$pid"
        td_wait_for "the mover to move (moved $k)" mover_at "$out" "$pid" "$mover" "$k" "$([ $((k % 2)) = 0 ] && echo 230 || echo 0)"
        touch "$dir/go.$a"
    done
    wait "$cpid"
    rc=$?
    [ "$rc" -eq 0 ] && pass "stacks $v (moving) exit 0" || fail "stacks $v (moving) exited $rc: $(cat "$dir/err")"
    [ ! -e "$dir/paused.3" ] && pass "$v: read at most three times" || fail "$v: the moving thread was read a fourth time"
    if python3 - "$dir/json" "$mover" >"$dir/cmp" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = [t for t in d['threads'] if t['tid'] == int(sys.argv[2])][0]
names = [f['function'] for f in t['frames']]
print(t['read'], t['state'], names, d['threads_stopped'])
ok = 'wait_first' in names and 'mover' in names and names.index('wait_first') == names.index('mover') - 1 and 'wait_second' not in names and t['read'] == 'stopped' and d['threads_stopped'] == 2
sys.exit(0 if ok else 1)
PY
    then
        pass "$v: the thread that kept moving was stopped and reported where it was (nanosleep in wait_first)"
    else
        fail "$v: the moving thread: $(cat "$dir/cmp")"
    fi
    check_untraced "$pid"
    td_stop "$pid"
done
td_finish
