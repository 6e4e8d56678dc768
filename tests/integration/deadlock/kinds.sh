#!/bin/bash
# ABBA with every lock flavour: mutex kinds, PI, robust, timedlock, C11 mtx_t, rwlock readers.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
for kind in normal recursive errorcheck adaptive robust timed c11 rdlock pi robust_pi; do
    for v in O0 O2; do
        td_start "kinds_$v" "$kind"
        td_cdbg out deadlock "$TD_PID"
        expect_status 3 "kinds $kind $v"
        td_cdbg js deadlock "$TD_PID" --json
        expect_status 3 "kinds $kind $v json"
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
            expect_line 'held by thread [0-9]+ "worker_[ab]" \[a timed wait: it gives up in 99[0-9]{3}\.[0-9] s\]$' "$out"
            expect_no_line 'forever' "$out" ;;
        *) dl_py "$js" 'len(d["cycles"]) == 1 and sorted(t["waits_for"]["symbol"] for t in d["cycles"][0]["threads"]) == ["lock_a", "lock_b"] and not any(t["waits_for"]["timed"] for t in d["cycles"][0]["threads"])' "$kind cycle $v" ;;
        esac
        # the same verdict without libc debug info (.dynsym names only)
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
