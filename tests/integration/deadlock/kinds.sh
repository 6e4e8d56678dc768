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
        *) dl_py "$js" 'len(d["cycles"]) == 1 and sorted(t["waits_for"]["symbol"] for t in d["cycles"][0]["threads"]) == ["lock_a", "lock_b"]' "$kind cycle $v" ;;
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
