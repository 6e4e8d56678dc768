#!/bin/bash
# std::mutex and std::recursive_mutex with their owners (issue 13): `print mu` says whether the
# lock is held and by which thread, as `threads` numbers it, with its LWP (glibc's __owner), and a
# recursive mutex's count: `std::mutex (locked by thread 2, LWP 1234)`, `std::mutex (unlocked)`.
# gdb has no printer for these: print/r (the pthread_mutex_t inside) is compared with gdb's print,
# the owner TID aside (it differs between runs); the owner is checked against the TID the holding
# thread got from gettid() (held_tid, rheld_tid in testdata/cxx/mutex.cpp) and against `threads`.
# In a PID namespace (`unshare --pid --fork --mount-proc`, a container) glibc stores the TIDs the
# process sees there: attached from outside, the owner is the host's thread, with the namespace's
# number beside it, as NSpid in /proc says.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for the raw form"

# tid_of OUT N: the TID `threads` shows for thread N
tid_of() { awk -v n="$2" '$1 == "*" { $1 = "" ; $0 = $0 } $1 == n { print $2; exit }' "$1"; }

for build in gcc_O0 gcc_O2 clang_O0; do
    exe=$(td_bin "cxx_mutex_$build") || { fail "cxx_mutex_$build is not built (clang++ missing?)"; continue; }
    td_cdbg out run "$exe" --batch -ex 'break mx_stop' -ex continue -ex up -ex 'print mx::held' -ex 'print mx::idle' \
        -ex 'print mx::rheld' -ex 'print mx::ridle' -ex 'print mx::box' -ex 'print mx::held_tid' -ex 'print mx::rheld_tid' \
        -ex threads
    expect_status 0 "cdbg on the $build build" || td_show "$out.err"
    ht=$(sed -nE 's/^\$6 = ([0-9]+)$/\1/p' "$out") rt=$(sed -nE 's/^\$7 = ([0-9]+)$/\1/p' "$out")
    hn=$(sed -nE "s/^\\\$1 = std::mutex \\(locked by thread ([0-9]+), LWP $ht\\)\$/\\1/p" "$out")
    rn=$(sed -nE "s/^\\\$3 = std::recursive_mutex \\(locked by thread ([0-9]+), LWP $rt, count 2\\)\$/\\1/p" "$out")
    [ -n "$ht" ] && [ -n "$hn" ] && [ "$(tid_of "$out" "$hn")" = "$ht" ] &&
        pass "$build: held by thread $hn, LWP $ht, the thread that locked it" ||
        fail "$build: std::mutex owner is not thread ${hn:-?} = LWP ${ht:-?} (gettid of the holder)"
    [ -n "$rt" ] && [ -n "$rn" ] && [ "$rn" != "$hn" ] && [ "$(tid_of "$out" "$rn")" = "$rt" ] &&
        pass "$build: recursive mutex held twice by thread $rn, LWP $rt" ||
        fail "$build: std::recursive_mutex owner is not thread ${rn:-?} = LWP ${rt:-?}"
    expect_line '^\$2 = std::mutex \(unlocked\)$' "$out"
    expect_line '^\$4 = std::recursive_mutex \(unlocked\)$' "$out"
    expect_line '^\$5 = \{value = 3, mu = std::mutex \(unlocked\)\}$' "$out"
    # print/r is gdb's print (which has no printer for them), owners aside
    raw=('mx::held' 'mx::idle' 'mx::rheld' 'mx::ridle' 'mx::box')
    cex=(-ex 'break mx_stop' -ex continue -ex up) gex=(-ex 'break mx_stop' -ex run -ex up)
    for c in "${raw[@]}"; do cex+=(-ex "print/r $c"); gex+=(-ex "print $c"); done
    td_cdbg out run "$exe" --batch "${cex[@]}"
    expect_status 0 "cdbg print/r on the $build build" || td_show "$out.err"
    timeout 120 gdb -nx -batch "${gex[@]}" "$exe" >"$TD_TMP/gdb.$build" 2>&1
    for f in "$out" "$TD_TMP/gdb.$build"; do
        grep -E '^\$[0-9]+ = ' "$f" | sed -E 's/__owner = [0-9]+/__owner = TID/; s/__size = .*, __align/__size = SIZE, __align/'
    done >"$TD_TMP/both.$build"
    head -n 5 "$TD_TMP/both.$build" >"$TD_TMP/mine.$build"
    tail -n +6 "$TD_TMP/both.$build" >"$TD_TMP/theirs.$build"
    [ "$(wc -l <"$TD_TMP/mine.$build")" = 5 ] && expect_exact "$TD_TMP/mine.$build" "$TD_TMP/theirs.$build" ||
        fail "$build: print/r gave $(wc -l <"$TD_TMP/mine.$build") values, not 5"
    expect_line '^\$1 = \{<std::__mutex_base> = \{_M_mutex = \{__data = \{__lock = 1, __count = 0, __owner = [1-9]' "$out"
done

# in a PID namespace, attached from the host
need_tool unshare "running a program in a PID namespace"
[ "$(id -u)" = 0 ] || skip "unshare --pid needs root"
td_start "$(command -v unshare)" --pid --fork --mount-proc "$(td_bin cxx_mutex_gcc_O0)" wait
ns_pid=$(awk '{ print $1 }' "/proc/$TD_PID/task/$TD_PID/children")
if [ -z "$ns_pid" ]; then
    fail "no program under unshare $TD_PID"
else
    td_wait_main_asleep "$ns_pid" cxx_mutex_gcc_O0
    td_cdbg out attach "$ns_pid" --batch -ex 'print mx::held' -ex 'print mx::rheld' -ex 'print mx::held_tid' \
        -ex 'print mx::rheld_tid' -ex threads
    expect_status 0 "cdbg attached in the namespace" || td_show "$out.err"
    ok=0
    for pair in "1 3" "2 4"; do
        set -- $pair
        ns=$(sed -nE "s/^\\\$$2 = ([0-9]+)\$/\\1/p" "$out")
        line=$(grep -E "^\\\$$1 = " "$out")
        host=
        for t in /proc/"$ns_pid"/task/*; do
            [ "$(awk '/^NSpid:/ { print $NF }' "$t/status")" = "$ns" ] && host=${t##*/}
        done
        n=$(sed -nE "s/.*locked by thread ([0-9]+), LWP $host \\($ns in its PID namespace\\).*/\\1/p" <<<"$line")
        if [ -n "$ns" ] && [ -n "$host" ] && [ "$host" != "$ns" ] && [ -n "$n" ] && [ "$(tid_of "$out" "$n")" = "$host" ]; then
            ok=$((ok + 1))
        else
            fail "namespace: '$line' is not thread ${n:-?}, LWP ${host:-?} (${ns:-?} in its PID namespace)"
        fi
    done
    [ "$ok" = 2 ] && pass "owners in a PID namespace mapped to the host's threads through NSpid"
    [ "$(awk '{ print $4 }' "/proc/$ns_pid/stat" 2>/dev/null)" = "$TD_PID" ] && kill -KILL "$ns_pid"
    td_stop "$TD_PID"
fi
td_finish
