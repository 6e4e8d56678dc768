#!/bin/bash
# Deadlocks in a container (issue 13): a process in its own PID namespace sees its threads as 1,
# 2, 3... and glibc writes those numbers into lock owners and struct pthread, while /proc and ptrace
# use the host's. Each program runs inside `unshare --pid --fork --mount-proc` and outside it, and
# the two text reports must say the same once every thread id is replaced by the name of the thread
# it is (read from /proc: host TID -> comm) and addresses are blanked: a cycle stays a cycle, not
# "orphaned locks held by thread 3". Inside, every thread is shown with both numbers,
# "thread HOST (NS in its PID namespace)", and NS must be the thread's own (NSpid in /proc).
# A core the kernel dumps of a process in a container records the TIDs the process saw (the
# namespace's), as its lock owners do: the cycle is found there too, with those TIDs. A core that
# cdbg gcore writes from the host records the host's TIDs: the ones the process saw come from each
# thread's struct pthread, and the report is the live one.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
need_tool unshare "running programs in a PID namespace"
[ "$(id -u)" = 0 ] || skip "unshare --pid needs root"

# norm FILE PID: the report with thread ids replaced by names, ns numbers checked and dropped.
norm() {
    local f=$1 pid=$2 t h n ns args=()
    for t in /proc/"$pid"/task/*; do
        h=${t##*/}
        n=$(cat "$t/comm")
        ns=$(awk '/^NSpid:/ { print $NF }' "$t/status")
        args+=(-e "s/thread $h \\($ns in its PID namespace\\)/thread <$n>/g" -e "s/thread $h([^0-9(]|\$)/thread <$n>\\1/g")
    done
    sed -E "${args[@]}" -e 's/thread [0-9]+, which has exited/thread <gone>, which has exited/' \
        -e 's/0x[0-9a-f]+/0xADDR/g' -e 's/process [0-9]+/process PID/' -e '/^stopped /d' "$f"
}

# in_ns PROG: runs PROG inside a new PID and mount namespace; sets NS_PID (the program) and
# TD_PID (unshare, its parent).
in_ns() {
    td_start "$(command -v unshare)" --pid --fork --mount-proc "$(td_bin "$1")"
    NS_PID=$(awk '{ print $1 }' "/proc/$TD_PID/task/$TD_PID/children")
    [ -n "$NS_PID" ] || { fail "$1: no program under unshare $TD_PID"; return 1; }
    td_wait_main_asleep "$NS_PID" "$1"
}
# stop_ns: the namespace's init first (that ends everything in it), then unshare.
stop_ns() {
    [ "$(awk '{ print $4 }' "/proc/$NS_PID/stat" 2>/dev/null)" = "$TD_PID" ] && kill -KILL "$NS_PID"
    td_stop "$TD_PID"
}

for prog in abba_O0 abba_O2 ring_O0 join_O0 rwcross_O0 self_O0 orphan_O0; do
    td_start "$prog"
    td_cdbg out deadlock "$TD_PID"
    host_rc=$TD_RC
    norm "$out" "$TD_PID" >"$TD_TMP/$prog.host"
    td_stop "$TD_PID"

    in_ns "$prog" || continue
    [ "$(awk '/^NSpid:/ { print $NF }' "/proc/$NS_PID/status")" = 1 ] && pass "$prog: pid 1 in its namespace" ||
        fail "$prog: not in its own PID namespace"
    td_cdbg out deadlock "$NS_PID"
    [ "$TD_RC" = "$host_rc" ] && pass "$prog: exit status $TD_RC in the namespace, as outside" ||
        fail "$prog: exit status $TD_RC in the namespace, $host_rc outside"
    norm "$out" "$NS_PID" >"$TD_TMP/$prog.ns"
    expect_no_line 'in its PID namespace' "$TD_TMP/$prog.ns"
    expect_line '[0-9]+ \([0-9]+ in its PID namespace\) "' "$out"
    if diff "$TD_TMP/$prog.ns" "$TD_TMP/$prog.host" >"$TD_TMP/$prog.diff"; then
        pass "$prog: the report in a namespace is the report outside"
    else
        fail "$prog: the report in a PID namespace (<) differs from outside (>):"
        td_show "$TD_TMP/$prog.diff"
        td_show "$out"
    fi
    if [ "$prog" = abba_O0 ]; then
        # a core written from the host (host TIDs in it): the same report as live
        td_cdbg g gcore -o "$TD_TMP/abba.gcore" "$NS_PID"
        expect_status 0 "$prog: gcore from the host"
        td_cdbg gout deadlock "$(td_bin "$prog")" "$TD_TMP/abba.gcore"
        expect_status 3 "$prog: deadlock on its gcore"
        # a core has no thread names but the process's: names dropped from both sides
        if diff <(sed -E 's/ "[^"]*"//g' "$out" | grep -v -e '^stopped ' -e '^$') \
            <(sed -E 's/ "[^"]*"//g' "$gout" | grep -v -e '^stopped ' -e '^$') >"$TD_TMP/gcore.diff"; then
            pass "$prog: the report on a gcore from the host is the live one"
        else
            fail "$prog: the report on a gcore from the host (>) differs from the live one (<):"
            td_show "$TD_TMP/gcore.diff"
        fi
        rm -f "$TD_TMP/abba.gcore"
    fi
    if [ "${prog%_O*}" = abba ]; then
        grep -qx 'cycle 1: 2 threads wait for each other' "$out" && pass "$prog: the cycle" || fail "$prog: no cycle"
        td_cdbg js deadlock --json "$NS_PID"
        dl_py "$js" '(lambda a, b: a["waits_for"]["owner_tid"] == b["tid"] and b["waits_for"]["owner_tid"] == a["tid"])(*d["cycles"][0]["threads"])' "$prog: JSON owners are the host's TIDs"
    fi
    check_untraced "$NS_PID"
    stop_ns
done
# A core of abba dumped by the kernel in the namespace: abba runs under a shell (the namespace's
# init, which ignores SIGABRT from outside) and is killed with SIGABRT.
require_cores
cdir=$(mktemp -d "$TD_TMP/core.XXXXXX")
(
    cd "$cdir" || exit 1
    ulimit -c unlimited
    exec unshare --pid --fork --mount-proc sh -c '"$1" & echo $! >ns_pid; wait' sh "$(td_bin abba_O0)" >"$cdir/out" 2>&1
) &
TD_PID=$!
TD_PIDS+=("$TD_PID")
td_wait_for "abba in a namespace to be ready" grep -qsx ready "$cdir/out"
sh_pid=$(awk '{ print $1 }' "/proc/$TD_PID/task/$TD_PID/children")
NS_PID=$(awk '{ print $1 }' "/proc/$sh_pid/task/$sh_pid/children" 2>/dev/null)
if [ -n "$NS_PID" ] && [ "$(awk '/^NSpid:/ { print $NF }' "/proc/$NS_PID/status")" = "$(cat "$cdir/ns_pid")" ]; then
    td_wait_main_asleep "$NS_PID" abba_O0
    ns_tids=$(for t in /proc/"$NS_PID"/task/*; do awk '/^NSpid:/ { print $NF }' "$t/status"; done | sort -n | tr '\n' ' ')
    kill -ABRT "$NS_PID"
    # the shell's wait returns once abba's core is written and abba is reaped
    wait "$TD_PID" 2>/dev/null
    core=$(td_find_core "$cdir" "$NS_PID")
    td_cdbg out deadlock "$(td_bin abba_O0)" "$core"
    expect_status 3 "core in a namespace: deadlock found"
    grep -qx 'cycle 1: 2 threads wait for each other' "$out" && pass "core in a namespace: the cycle" ||
        { fail "core in a namespace: no cycle"; td_show "$out"; }
    got=$(sed -nE 's/^  thread ([0-9]+) .* held by thread ([0-9]+) .*/\1 \2/p' "$out" | tr ' ' '\n' | sort -un | tr '\n' ' ')
    # the two workers, by the numbers the process saw (ns 2 and 3 after its main, 1)
    [ "$got" = "$(echo "$ns_tids" | cut -d' ' -f2-3) " ] && pass "core in a namespace: TIDs $got as the process saw them" ||
        fail "core in a namespace: TIDs '$got', the process's were '$ns_tids'"
else
    fail "core in a namespace: abba is not running under unshare's shell"
fi

td_finish
