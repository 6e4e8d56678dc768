#!/bin/bash
# Bad input: each mistake a user can make gets ONE line on stderr (what failed, why, what to do)
# and the exit status `cdbg --help` documents (1 command failed, 2 usage, 4 cannot attach/open);
# cdbg never crashes or hangs on it, and a live target is left running and untraced.
. "$SRCROOT/tests/integration/lib.sh"
trap '' PIPE # writing to a REPL that already exited must not end the test

# err_is FILE PATTERN [WHAT]: stderr (FILE) is exactly one line, matching PATTERN.
err_is() {
    local n
    n=$(wc -l <"$1")
    if [ "$n" -eq 1 ] && grep -Eq -- "$2" "$1"; then
        pass "${3:-stderr} one line /$2/"
    else
        fail "${3:-stderr}: expected one line matching /$2/, got $n:"
        head -n 20 "$1" >&2
    fi
}

# not_crashed [WHAT]: TD_RC is not a signal death or a timeout.
not_crashed() {
    if [ "$TD_RC" -ge 124 ]; then
        fail "${1:-cdbg}: crashed, hung or was killed (status $TD_RC)"
    else
        pass "${1:-cdbg} did not crash"
    fi
}

# repl_start / repl_send / repl_wait: see lib.sh.
# A PID nobody uses: counting down from pid_max, the first one with no /proc entry.
free_pid() {
    local p=$(($(cat /proc/sys/kernel/pid_max) - 1))
    while [ -d "/proc/$p" ]; do p=$((p - 1)); done
    echo "$p"
}

# --- PIDs -------------------------------------------------------------------------------------
nopid=$(free_pid)
td_cdbg out attach "$nopid" --batch -ex bt
expect_status 4 "no such PID"
err_is "$out.err" "^cdbg: .*$nopid.*(does not exist|no such process).*ps" "no such PID"

for bad in abc 12x 0 99999999999 ' 12'; do
    td_cdbg out attach "$bad" --batch -ex bt
    expect_status 2 "PID '$bad'"
    err_is "$out.err" "is not a process ID: give a numeric PID" "PID '$bad'"
done
td_cdbg out attach --batch -ex bt
expect_status 2 "attach without PID"
err_is "$out.err" "^cdbg: usage: cdbg attach PID" "attach without PID"

td_start threads_O0
target=$TD_PID

# EPERM: an unprivileged user against a root-owned process.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    f=$(mktemp "$TD_TMP/out.XXXXXX")
    timeout -k 5 60 setpriv --reuid=65534 --regid=65534 --clear-groups "$CDBG" attach "$target" --batch -ex bt \
        >"$f" 2>"$f.err" </dev/null
    TD_RC=$?
    expect_status 4 "EPERM"
    err_is "$f.err" "^cdbg: cannot attach to PID $target: permission denied; .*(CAP_SYS_PTRACE|ptrace_scope)" "EPERM"
    check_untraced "$target"
else
    echo "note: not root or no setpriv: EPERM case not checked" >&2
fi

# Already traced: one cdbg holds the target, a second one must name it.
repl_start attach "$target"
repl_send threads
repl_wait '^\* +1 +[0-9]+ ' "$R_OUT"
td_cdbg out attach "$target" --batch -ex bt
expect_status 4 "already traced"
err_is "$out.err" "^cdbg: cannot attach to PID $target: it is already traced by PID $R_PID \(cdbg\); detach that debugger first$" "already traced"
repl_send quit
repl_end
expect_status 0 "first cdbg quits"
check_untraced "$target"

# A thread's TID is not a process.
tid=$(ls "/proc/$target/task" | grep -vx "$target" | head -n 1)
td_cdbg out attach "$tid" --batch -ex bt
expect_status 4 "a thread's TID"
err_is "$out.err" "^cdbg: $tid is a thread of process $target, not a process: attach to PID $target$" "a thread's TID"
check_untraced "$target"

# A zombie: a parent that never reaps its exited child.
zdir=$(mktemp -d "$TD_TMP/zombie.XXXXXX")
# the child outlives the exec, so only `sleep` (which never waits) could reap it
sh -c 'sleep 0.2 & echo $! >"$1"; exec sleep 300' sh "$zdir/pid" &
TD_PIDS+=($!)
deadline=$((SECONDS + 10))
zpid=
while [ "$SECONDS" -lt "$deadline" ]; do
    zpid=$(cat "$zdir/pid" 2>/dev/null)
    [ -n "$zpid" ] && grep -q '^State:[[:space:]]*Z' "/proc/$zpid/status" 2>/dev/null && break
    sleep 0.02
done
if grep -q '^State:[[:space:]]*Z' "/proc/$zpid/status" 2>/dev/null; then
    td_cdbg out attach "$zpid" --batch -ex bt
    expect_status 4 "zombie"
    err_is "$out.err" "^cdbg: cannot attach to PID $zpid: .*zombie.*reaped by its parent PID [0-9]+" "zombie"
else
    fail "could not make a zombie"
fi

# Bad commands in batch mode: exit 1 at the first failure, nothing after it runs.
td_cdbg out attach "$target" --batch -ex bt -ex 'frobnicate 3' -ex threads
expect_status 1 "unknown command"
err_is "$out.err" "^cdbg: unknown command 'frobnicate': type .help. for the list of commands$" "unknown command"
expect_line ' in main at threads\.c:201$' "$out"
expect_no_line '^\* +1 +[0-9]+ ' "$out"
check_untraced "$target"

td_cdbg out attach "$target" --batch -ex 'bt "full' -ex threads
expect_status 1 "unterminated quote"
err_is "$out.err" "unterminated quote" "unterminated quote"
expect_no_line '^\* +1 +[0-9]+ ' "$out"

td_cdbg out attach "$target" --batch -x "$TD_TMP/no-such-file" -ex threads
expect_status 2 "-x missing file"
err_is "$out.err" "^cdbg: cannot read command file $TD_TMP/no-such-file: No such file or directory" "-x missing file"
expect_no_line '^\* +1 +[0-9]+ ' "$out"

td_cdbg out attach "$target" --batch -ex 'thread abc' -ex threads
expect_status 1 "thread abc"
err_is "$out.err" "^cdbg: thread: no thread 'abc': give an id from 1 to 7 as listed by .threads.$" "thread abc"
expect_no_line '^\* +1 +[0-9]+ ' "$out"

td_cdbg out --batch -ex bt
expect_status 2 "no target"
err_is "$out.err" "^cdbg: no target: " "no target"
td_cdbg out attach "$target" --frobnicate
expect_status 2 "unknown option"
err_is "$out.err" "^cdbg: unknown option '--frobnicate': see .cdbg --help.$" "unknown option"
check_untraced "$target"

# Commands read from a pipe: the same rule.
f=$(mktemp "$TD_TMP/out.XXXXXX")
printf 'bt\nfrobnicate\nthreads\n' | timeout -k 5 60 "$CDBG" attach "$target" >"$f" 2>"$f.err"
TD_RC=$?
expect_status 1 "unknown command on stdin"
err_is "$f.err" "unknown command 'frobnicate'" "unknown command on stdin"
expect_no_line '^\* +1 +[0-9]+ ' "$f"
check_untraced "$target"

# --- processes there is nothing to attach to ------------------------------------------------------
td_start edge leader
td_cdbg out attach "$TD_PID" --batch -ex bt
expect_status 4 "zombie leader"
err_is "$out.err" "^cdbg: cannot attach to PID $TD_PID: its main thread has exited \(pthread_exit\) while 1 other thread still runs; .*attach while the main thread lives$" "zombie leader"
td_stop "$TD_PID"
kthread=
for st in /proc/[0-9]*/stat; do
    flags=$(sed -E 's/.*\) //' "$st" 2>/dev/null | awk '{print $7}')
    if [ -n "$flags" ] && [ $((flags & 0x00200000)) -ne 0 ]; then
        kthread=${st#/proc/}
        kthread=${kthread%/stat}
        break
    fi
done
if [ -n "$kthread" ]; then
    td_cdbg out attach "$kthread" --batch -ex bt
    expect_status 4 "kernel thread"
    err_is "$out.err" "^cdbg: cannot attach to PID $kthread: it is a kernel thread \(.*\); there is no user-space program to debug$" "kernel thread"
fi

# --- output that cannot be written is a failure ----------------------------------------------------
if [ -w /dev/full ]; then
    timeout -k 5 60 "$CDBG" attach "$target" --batch -ex 'bt all' >/dev/full 2>"$TD_TMP/full.err"
    TD_RC=$?
    expect_status 1 "stdout on /dev/full"
    err_is "$TD_TMP/full.err" "^cdbg: bt: cannot write the output: No space left on device; the results are lost" "stdout on /dev/full"
fi
timeout -k 5 60 "$CDBG" attach "$target" --batch -ex 'bt all' >&- 2>"$TD_TMP/closed.err"
TD_RC=$?
expect_status 1 "stdout closed"
err_is "$TD_TMP/closed.err" "^cdbg: bt: cannot write the output: Bad file descriptor" "stdout closed"
check_untraced "$target"

# --- the process exits while attached -------------------------------------------------------
td_start threads_O0
victim=$TD_PID
repl_start attach "$victim"
repl_send threads
repl_wait '^\* +1 +[0-9]+ ' "$R_OUT"
kill -KILL "$victim"
# every thread dead (zombies until cdbg reaps them): the kill has fully happened
all_dead() {
    local st
    for st in /proc/"$1"/task/*/status; do
        grep -Eq '^State:[[:space:]]*[ZX]' "$st" 2>/dev/null || { [ -e "$st" ] && return 1; }
    done
    return 0
}
deadline=$((SECONDS + 10))
until all_dead "$victim" || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.02; done
all_dead "$victim" && pass "target died" || fail "target $victim did not die of SIGKILL"
repl_send bt threads quit
repl_end
# commands from a pipe stop at the first failure (status 1), which is the `bt`
expect_status 1 "bt after the target was killed"
err_is "$R_OUT.err" "^cdbg: process $victim was killed by signal 9 \(Killed\): nothing is left to inspect" "target killed"
[ "$(grep -c '^\* +1 ' "$R_OUT")" -le 1 ] && pass "no stale threads" || fail "threads listed after the process died"
td_stop "$victim"

# --- files ----------------------------------------------------------------------------------
require_cores
exe=$(td_bin crash_O0) || exit 1
core=$(make_core crash_O0) || exit 1

td_cdbg out core "$TD_TMP/no-such-exe" "$core" --batch -ex bt
expect_status 4 "EXE missing"
err_is "$out.err" "^cdbg: cannot open executable $TD_TMP/no-such-exe: No such file or directory; check the path" "EXE missing"
td_cdbg out core "$exe" "$TD_TMP/no-such-core" --batch -ex bt
expect_status 4 "CORE missing"
err_is "$out.err" "^cdbg: cannot open core file $TD_TMP/no-such-core: No such file or directory; check the path" "CORE missing"
echo "this is not a core" >"$TD_TMP/text"
td_cdbg out core "$exe" "$TD_TMP/text" --batch -ex bt
expect_status 4 "text file as CORE"
err_is "$out.err" "^cdbg: cannot open core file $TD_TMP/text: it is not an ELF file; give the core dump" "text as CORE"
td_cdbg out core "$TD_TMP/text" "$core" --batch -ex bt
expect_status 4 "text file as EXE"
err_is "$out.err" "^cdbg: cannot open executable $TD_TMP/text: it is not an ELF file; give the program" "text as EXE"
td_cdbg out core "$exe" "$exe" --batch -ex bt
expect_status 4 "executable as CORE"
err_is "$out.err" "is an executable, not a core file" "executable as CORE"
td_cdbg out core "$core" "$core" --batch -ex bt
expect_status 4 "core as EXE"
err_is "$out.err" "is a core file, not an executable.*EXE first" "core as EXE"
td_cdbg out core "$core" "$exe" --batch -ex bt
expect_status 4 "EXE and CORE swapped"
err_is "$out.err" "is a core file, not an executable.*EXE first" "swapped"
td_cdbg out core "$TD_TMP" "$core" --batch -ex bt
expect_status 4 "a directory as EXE"
err_is "$out.err" "not a regular file" "directory as EXE"
td_cdbg out core "$exe" --batch -ex bt
expect_status 2 "core without CORE"
err_is "$out.err" "^cdbg: usage: cdbg core EXE CORE" "core without CORE"

# A truncated core: a warning line, then whatever the remaining bytes allow (here: every
# thread's innermost function, named from the libraries on disk).
size=$(stat -c %s "$core")
head -c $((size / 2)) "$core" >"$TD_TMP/half.core"
td_cdbg out core "$exe" "$TD_TMP/half.core" --batch -ex 'bt all' -ex threads
expect_status 0 "truncated core"
err_is "$out.err" "^warning: core file $TD_TMP/half\.core is truncated \([0-9]+ of $size bytes\).*showing what can be shown" "truncated core"
[ "$(grep -c '^Thread [0-9]' "$out")" = 3 ] && pass "3 threads in the truncated core" || fail "truncated core: expected 3 threads"
[ "$(grep -cE '^#0 .* in [A-Za-z_]' "$out")" = 3 ] && pass "innermost frames named" || { fail "truncated core: innermost frames not named"; td_show "$out"; }
# where the stack's bytes are missing (at least the main thread's: its stack is mapped last), the
# stack says so instead of ending as if complete
[ "$(grep -cE '^\(backtrace stopped: unwinding stopped after 0x[0-9a-f]+ in [A-Za-z_].*: the stack memory at 0x[0-9a-f]+ is not readable \(a truncated core, or a corrupt stack pointer\)\)$' "$out")" -ge 1 ] &&
    pass "truncated stacks say why" || { fail "truncated core: stacks do not say why they stop"; td_show "$out"; }
# Any cut, from inside the headers to one byte short: never a crash, one line for the error.
for n in 0 40 64 700 4096 $((size / 10)) $((size - 1)); do
    head -c "$n" "$core" >"$TD_TMP/cut.core"
    td_cdbg out core "$exe" "$TD_TMP/cut.core" --batch -ex 'bt all' -ex threads
    not_crashed "core cut at $n bytes"
    if [ "$TD_RC" -ne 0 ]; then
        expect_status 4 "core cut at $n bytes"
        err_is "$out.err" "^cdbg: .*$TD_TMP/cut\.core" "core cut at $n bytes"
    fi
done

# A core of another executable: a build-id warning, then the stacks as well as they go.
td_cdbg out core "$(td_bin crash_O2)" "$core" --batch -ex bt
expect_status 0 "core of another executable"
err_is "$out.err" "^warning: core $core was not produced by .*crash_O2 \(build-id in core [0-9a-f]+ != [0-9a-f]+ in the executable\)" "build-id mismatch"

# --- no debug info --------------------------------------------------------------------------
td_start nodebug
td_cdbg out attach "$TD_PID" --batch -ex 'bt all' -ex threads -ex bt
expect_status 0 "nodebug"
err_is "$out.err" "^warning: no debug info and no symbol table for nodebug \(stripped\): only its exported functions have names" "nodebug warning once"
expect_line ' in (__GI_)?__clock_nanosleep' "$out"
expect_line ' in start_thread ' "$out"
expect_line '^#[0-9]+ +0x[0-9a-f]{16} in \?\? from nodebug$' "$out"
check_untraced "$TD_PID"
td_finish
