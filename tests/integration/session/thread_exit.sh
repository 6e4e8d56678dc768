#!/bin/bash
# Threads that exit while the session runs (thread_exit.c: 20 rounds of 4 short threads, a stop at
# each round, `info threads` at every stop): each is announced once when created and once when it
# exits, as gdb announces them (print-thread-events on) — never twice, whether the exit is seen at
# a stop (the thread gone while the others were stopped) or by its own event afterwards.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for thread events"
need_tool gcc "building the test program"
exe=$TD_TMP/thread_exit
gcc -g -O0 -pthread -o "$exe" "$SRCROOT/tests/integration/session/thread_exit.c" || { fail "cannot build thread_exit.c"; td_finish; }
rounds=20 threads=4

# gdb: one "[New Thread" and one "exited]" per thread
gargs=(-ex 'break checkpoint' -ex run)
for _ in $(seq $rounds); do gargs+=(-ex continue -ex 'info threads'); done
timeout 300 gdb -nx -batch "${gargs[@]}" --args "$exe" $rounds $threads >"$TD_TMP/gdb.out" 2>&1
gnew=$(grep -c '^\[New Thread .*(LWP [0-9]*)\]$' "$TD_TMP/gdb.out")
gexit=$(grep -c '^\[Thread .*(LWP [0-9]*) exited\]$' "$TD_TMP/gdb.out")
gdup=$(sed -n 's/^\[Thread .*(LWP \([0-9]*\)) exited\]$/\1/p' "$TD_TMP/gdb.out" | sort | uniq -d | wc -l)
grep -q "^threads done$" "$TD_TMP/gdb.out" && [ "$gnew" = $((rounds * threads)) ] && [ "$gexit" = "$gnew" ] && [ "$gdup" = 0 ] ||
    { fail "gdb announced $gnew threads, $gexit exits ($gdup twice): the reference is off"; td_show "$TD_TMP/gdb.out"; }

for k in 1 2 3; do
    args=(-ex 'break checkpoint')
    for _ in $(seq $rounds); do args+=(-ex continue -ex 'info threads'); done
    args+=(-ex continue)
    td_cdbg out run "$exe" $rounds $threads --batch "${args[@]}"
    expect_status 0 "run $k"
    expect_line '^threads done$' "$out"
    sed -n 's/^\[New thread tid \([0-9]*\)\]$/\1/p' "$out" | sort >"$TD_TMP/new"
    sed -n 's/^\[Thread tid \([0-9]*\) exited\]$/\1/p' "$out" | sort >"$TD_TMP/exited"
    dups=$(uniq -d "$TD_TMP/exited" | tr '\n' ' ')
    [ -z "$dups" ] && pass "no exit announced twice (run $k)" || { fail "exits announced twice: $dups (run $k)"; td_show "$out"; }
    [ "$(wc -l <"$TD_TMP/new")" = "$gnew" ] && pass "$gnew threads announced, as gdb (run $k)" ||
        fail "$(wc -l <"$TD_TMP/new") threads announced, gdb $gnew (run $k)"
    # every thread announced exits once: the same tids
    expect_exact "$TD_TMP/exited" "$TD_TMP/new"
done
td_finish
