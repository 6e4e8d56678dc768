#!/bin/bash
# `cdbg stacks` bad input: one line on stderr each, nothing on stdout, the documented exit status
# (2 usage, 4 cannot attach: see `cdbg --help`).
. "$(dirname "$0")/../lib.sh"

# bad STATUS STDERR_RE ARGS...: exit STATUS, exactly one line on stderr matching STDERR_RE, no stdout.
bad() {
    local rc=$1 re=$2
    shift 2
    td_cdbg o "$@"
    expect_status "$rc" "cdbg $*"
    expect_empty "$o" "stdout of cdbg $*"
    if [ "$(wc -l <"$o.err")" -eq 1 ] && grep -Eq -- "$re" "$o.err"; then
        pass "one line /$re/"
    else
        fail "cdbg $*: expected one line matching /$re/ on stderr, got: $(cat "$o.err")"
    fi
}

bad 2 'stacks needs one PID \(got 0 arguments\)' stacks
bad 2 "'abc' is not a process ID" stacks abc
bad 2 'stacks needs one PID \(got 2 arguments\)' stacks 1 2
bad 2 "unknown option '--frames'" stacks --frames 1
bad 2 "'-5' is not a process ID|unknown option '-5'" stacks -5

# a process that is gone: a child of ours that exited and was reaped
true &
gone=$!
wait "$gone"
bad 4 "no process with PID $gone: it does not exist or has already exited" stacks "$gone"

td_start blocked_O2
pid=$TD_PID
# a thread, not a process
tid=$(td_tasks "$pid" | awk '$2 == "reader" {print $1}')
bad 4 "$tid is a thread of process $pid, not a process: attach to PID $pid" stacks "$tid"
# not ours: another user's process (as root: cdbg runs as nobody against the test's own program;
# otherwise init, which is root's)
if [ "$(id -u)" -eq 0 ]; then
    need_tool setpriv "running cdbg as another user"
    bad_pid=$pid
    # a copy of cdbg the unprivileged user can run wherever the build is (a private directory)
    chmod 711 "$TD_TMP"
    mkdir -m 755 "$TD_TMP/bin"
    cp "$CDBG" "$TD_TMP/bin/cdbg"
    chmod 755 "$TD_TMP/bin/cdbg"
    timeout -k 5 60 setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$TD_TMP/bin/cdbg" stacks "$pid" >"$TD_TMP/np" 2>"$TD_TMP/np.err" </dev/null
    TD_RC=$?
else
    bad_pid=1
    timeout -k 5 60 "$CDBG" stacks 1 >"$TD_TMP/np" 2>"$TD_TMP/np.err" </dev/null
    TD_RC=$?
fi
expect_status 4 "stacks on another user's process $bad_pid"
expect_empty "$TD_TMP/np" "stdout (not ours)"
if [ "$(wc -l <"$TD_TMP/np.err")" -eq 1 ] && grep -q "cannot attach to PID $bad_pid: permission denied" "$TD_TMP/np.err"; then
    pass "not ours: one line"
else
    fail "not ours: $(cat "$TD_TMP/np.err")"
fi
check_untraced "$pid"
td_finish
