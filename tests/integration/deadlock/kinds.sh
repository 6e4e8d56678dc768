#!/bin/bash
# ABBA with every lock flavour: mutex kinds, PI, robust, timedlock, C11 mtx_t, rwlock readers.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
# Where each kind's second lock is taken (the frame of both waits).
src=$SRCROOT/testdata/deadlock/kinds.c
second_line() {
    local pat
    case $1 in
    c11) pat='mtx_lock(i ? &mtx_a : &mtx_b);' ;;
    rdlock) pat='pthread_rwlock_rdlock(i ? &rw_a : &rw_b);' ;;
    timed) pat='pthread_mutex_timedlock(i ? &lock_a : &lock_b, &ts);' ;;
    *) pat='pthread_mutex_lock(i ? &lock_a : &lock_b);' ;;
    esac
    grep -nF -- "$pat" "$src" | cut -d: -f1
}
for kind in normal recursive errorcheck adaptive robust timed c11 rdlock pi robust_pi; do
    for v in O0 O2; do
        td_start "kinds_$v" "$kind"
        DL_TASKS=$TD_TMP/tasks.$TD_PID
        td_tasks "$TD_PID" >"$DL_TASKS"
        td_asleep "$TD_PID"
        td_cdbg out deadlock "$TD_PID"
        expect_status 3 "kinds $kind $v"
        td_asleep "$TD_PID"
        td_cdbg js deadlock "$TD_PID" --json
        expect_status 3 "kinds $kind $v json"
        # worker_a holds the first lock (X_a) and waits for the second (X_b), worker_b the reverse:
        # each edge names the other worker by its true TID
        case $kind in
        c11) a=mtx_a b=mtx_b lk=mutex tail= ;;
        rdlock) a=rw_a b=rw_b lk=rwlock tail=' \(writer\)' ;;
        timed) a=lock_a b=lock_b lk=mutex tail=' \[a timed wait: it gives up in [0-9]+\.[0-9] s\]' ;;
        pi | robust_pi) a=lock_a b=lock_b lk=mutex tail='( \[the kernel refused this priority-inheritance lock with EDEADLK\])?' ;;
        *) a=lock_a b=lock_b lk=mutex tail= ;;
        esac
        line=$(second_line "$kind")
        dl_edge "$out" live worker_a "$lk $b" worker_b "$tail" "^      in take_second at kinds\.c:$line\$"
        dl_edge "$out" live worker_b "$lk $a" worker_a "$tail" "^      in take_second at kinds\.c:$line\$"
        dl_json_edge "$js" live worker_a "$b" worker_b
        dl_json_edge "$js" live worker_b "$a" worker_a
        case $kind in
        c11) dl_py "$js" 'sorted(t["waits_for"]["symbol"] for t in d["cycles"][0]["threads"]) == ["mtx_a", "mtx_b"]' "c11 names $v" ;;
        rdlock) dl_py "$js" 'all(t["waits_for"]["kind"] == "rwlock" for t in d["cycles"][0]["threads"])' "rdlock cycle $v"
                expect_line 'waits for rwlock rw_[ab] .*\(writer\)$' "$out" ;;
        pi|robust_pi)
            # the kernel refuses the lock that closes a PI cycle (EDEADLK) and glibc then sleeps
            # forever on a word of its own stack; the mutex it wanted is found from the registers
            # (glibc keeps &mutex->__kind there), so the cycle is still named
            dl_py "$js" 'len(d["cycles"]) == 1 and sorted(t["waits_for"]["symbol"] for t in d["cycles"][0]["threads"]) == ["lock_a", "lock_b"]' "pi cycle $kind $v"
            expect_line 'EDEADLK' "$out" ;;
        timed)
            # a cycle closed by timed waits is still a lock-order deadlock, but not "forever": each
            # edge says when it gives up (the program asked for now + 100000 s)
            dl_py "$js" 'len(d["cycles"]) == 1 and all(t["waits_for"]["timed"] and 99000 < t["waits_for"]["timeout_s"] <= 100000 for t in d["cycles"][0]["threads"])' "timed cycle $v"
            expect_line '^DEADLOCK in process [0-9]+: 1 cycle, 2 blocked until a timed wait gives up \(of 3\)$' "$out"
            # the time left, rounded to 0.1 s, is in (99000, 100000]: 100000.0 when cdbg looks
            # within 50 ms of the wait starting
            left=$(sed -nE 's/.*held by thread [0-9]+ "worker_[ab]" \[a timed wait: it gives up in ([0-9]+\.[0-9]) s\]$/\1/p' "$out")
            if [ "$(wc -w <<<"$left")" -eq 2 ] && awk '{ if (!($1 > 99000 && $1 <= 100000)) exit 1 }' <<<"$left"; then
                pass "timed waits give up in $(echo $left) s"
            else
                fail "timed waits: expected two times left in (99000, 100000] s, got '$(echo $left)'"
                td_show "$out"
            fi
            expect_no_line 'forever' "$out" ;;
        *) dl_py "$js" 'len(d["cycles"]) == 1 and sorted(t["waits_for"]["symbol"] for t in d["cycles"][0]["threads"]) == ["lock_a", "lock_b"] and not any(t["waits_for"]["timed"] for t in d["cycles"][0]["threads"])' "$kind cycle $v" ;;
        esac
        # the same verdict without libc debug info (.dynsym names only)
        td_asleep "$TD_PID"
        CDBG_DEBUGINFO_PATH=/nonexistent td_cdbg nd deadlock "$TD_PID"
        expect_status 3 "kinds $kind $v without libc debug info"
        case $kind in
        pi|robust_pi)
            expect_line 'EDEADLK' "$nd"
            expect_line '^cycle 1: 2 threads wait for each other$' "$nd" ;;
        esac
        check_untraced "$TD_PID"
        td_stop "$TD_PID"
        case $kind in
        pi|robust_pi)
            # and on a core: the registers come from NT_PRSTATUS
            core=$(make_core_of "kinds_$v" "$kind") || { fail "no core of kinds_$v $kind"; continue; }
            td_cdbg cj deadlock "$(td_bin "kinds_$v")" "$core" --json
            expect_status 3 "kinds $kind $v core"
            dl_py "$cj" 'len(d["cycles"]) == 1 and sorted(t["waits_for"]["symbol"] for t in d["cycles"][0]["threads"]) == ["lock_a", "lock_b"]' "pi cycle $kind $v core" ;;
        esac
    done
done
td_finish
