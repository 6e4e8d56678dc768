#!/bin/bash
# A thread that wakes while `cdbg stacks` reads it is still reported where it is. The test hook
# CDBG_TEST_STACKS_PAUSE="TID DIR" holds cdbg between its unwinding of thread TID and its second read
# of that thread's syscall line (DIR/paused appears; cdbg goes on once DIR/go exists). Meanwhile the
# test moves the mover thread from nanosleep in wait_first to read in wait_second (SIGUSR1): cdbg
# must notice the syscall line changed and read the thread again, reporting wait_second, never the
# stack it read before the move.
. "$(dirname "$0")/../lib.sh"
need_tool python3 "parsing JSON"

mover_in_read() {
    grep -qx moved "$1" && [ "$(cut -d' ' -f1 "/proc/$2/task/$3/syscall" 2>/dev/null)" = 0 ] &&
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
    td_wait_for "cdbg to pause between its two reads of the mover" test -e "$dir/paused"
    # only the mover has SIGUSR1 unblocked: it leaves nanosleep and blocks in read
    kill -USR1 "$pid"
    td_wait_for "the mover to move on to read(2)" mover_in_read "$out" "$pid" "$mover"
    touch "$dir/go"
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
    td_stop "$pid"
done
td_finish
