#!/bin/bash
# cdbg stacks' stack cache (src/unwind/stackcache.c): a thread asleep at a pc where another thread's
# stack was unwound is replayed from that stack's template once its return addresses check out.
# testdata blocked_O2 with 100 parked workers: 100 threads with one stack; the cond-waiter asleep at
# the same pc (the futex call in pthread_cond_wait) at the same depth, under another function
# (wait_on_cond, not parked_worker); main asleep at that pc too, with a deeper stack (join); the
# sleeper and the mover at one nanosleep pc under different callers; the reader in read(2). Every
# thread's stack must be `bt all`'s (every thread held, unwound in full), and the cache must have
# served most of them (CDBG_STACKS_TIMING counts), or this test would prove nothing about it. Twice:
# as it runs, and with the helper thread of cd_stackcache_read_all reading every thread it can
# before the dump's thread goes on (CDBG_TEST_STACKS_HELPER_FIRST), so that its part is checked
# whatever the timing. Read through the BPF task iterator (the default as root) there is no helper
# thread (one walk reads every thread) and the vla thread is whole; with CDBG_NO_BPF=1 (the
# stacks_cache_procfs test) the syscall files are read, by both threads.
# A thread that moves to a pc with a template of other frames: race.sh (the mover into read(2)).
. "$(dirname "$0")/../lib.sh"
need_tool python3 "comparing backtraces"
FR=$SRCROOT/tests/integration/stacks/frames.py
workers=100

td_start blocked_O2 "$workers"
pid=$TD_PID
td_tasks "$pid" >"$TD_TMP/tasks"
spin=$(td_tid_named "$TD_TMP/tasks" spinner) || td_finish
vla=$(td_tid_named "$TD_TMP/tasks" vla) || td_finish
n=$(wc -l <"$TD_TMP/tasks")

if [ -z "${CDBG_NO_BPF:-}" ] && [ "$(id -u)" -eq 0 ]; then cut=-; else cut=$vla; fi

td_cdbg bt attach "$pid" --batch -ex 'bt all'
expect_status 0 "bt all"
td_asleep "$pid"
for mode in plain helper; do
    st=$TD_TMP/stacks.$mode
    env $([ $mode = helper ] && echo CDBG_TEST_STACKS_HELPER_FIRST=1) CDBG_STACKS_TIMING=1 timeout -k 5 120 "$CDBG" stacks "$pid" >"$st" 2>"$st.err" </dev/null
    rc=$?
    [ "$rc" -eq 0 ] && pass "$mode: stacks exit 0" || fail "stacks exited $rc: $(head -c 500 "$st.err")"
    counts=$(sed -n 's/^stacks timing: \([0-9]*\) stacks from the cache, \([0-9]*\) unwound in full; \([0-9]*\) read by the helper thread$/\1 \2 \3/p' "$st.err")
    read -r cached full helped <<<"$counts"
    # every worker after the first, at least, and every thread counted once (the spinner is stopped)
    if [ -n "$cached" ] && [ "$cached" -ge $((workers - 1)) ] && [ $((cached + full)) -le $((n - 1)) ]; then
        pass "$mode: the cache served $cached of $n stacks ($full unwound in full, $helped by the helper)"
    else
        fail "$mode: the cache served '${cached:-?}' stacks, '${full:-?}' in full, of $n: $(head -c 500 "$st.err")"
    fi
    if [ $mode = helper ] && [ "$cut" != - ]; then
        # it takes over after the first 16 threads (HELPER_AFTER), every worker from there on
        [ "${helped:-0}" -ge $((workers - 16)) ] && pass "the helper thread read $helped stacks" ||
            fail "the helper thread read '${helped:-?}' stacks, not the $((workers - 16)) or more it can"
    fi
    check_untraced "$pid"
    if python3 "$FR" same "$st" "$bt" "$spin" "$cut" >"$TD_TMP/cmp" 2>&1; then
        pass "$mode: every stack as bt all's"
    else
        fail "$mode: cdbg stacks (cached) and bt all differ: $(head -c 3000 "$TD_TMP/cmp")"
    fi
    # the cond-waiter and a worker: one pc, one depth, different functions
    cw=$(td_tid_named "$TD_TMP/tasks" cond-waiter) || td_finish
    for want in "$cw wait_on_cond" "$(awk '$2 == "worker" {print $1; exit}' "$TD_TMP/tasks") parked_worker"; do
        read -r tid fn <<<"$want"
        if awk -v t="$tid" -v f="$fn" '/^Thread / {on = index($0, "(tid " t ",") > 0} on && $0 ~ (" in " f " at ") {ok = 1} END {exit !ok}' "$st"; then
            pass "$mode: thread $tid is in $fn"
        else
            fail "$mode: thread $tid is not shown in $fn"
        fi
    done
done
td_stop "$pid"
td_finish
