#!/bin/bash
# Thread events: threads created and joined between two breakpoints are reported as they come and go
# ("[New thread tid N]", "[Thread tid N exited]"), without stopping the user: the next report is the
# second breakpoint's, after all of them. The tids are the ones the threads print themselves.
# `config print-thread-events off` silences them. Text and JSON.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/session/session_lib.sh"
exe=$(td_bin sig_spawn)

check_events() {
    local out=$1 w
    mapfile -t w < <(sed -nE 's/^worker [0-2] tid ([0-9]+)$/\1/p' "$out")
    [ "${#w[@]}" = 3 ] || { fail "the program named ${#w[@]} workers, not 3"; td_show "$out"; return 1; }
    # what cdbg said between the two breakpoint reports, the program's own lines left out
    sed -n '/^Breakpoint 1, hit 1 time,/,/^Breakpoint 1, hit 2 times,/p' "$out" |
        grep -vE '^(worker|checkpoint|#0 |=> |Breakpoint 1, hit 1 time,)' >"$TD_TMP/between"
    tail -n 1 "$TD_TMP/between" | grep -q '^Breakpoint 1, hit 2 times,' && pass "the second breakpoint is reported" ||
        fail "no second breakpoint report"
    sed -i '$d' "$TD_TMP/between"
    sort "$TD_TMP/between" >"$TD_TMP/got"
    printf '[New thread tid %s]\n[Thread tid %s exited]\n' "${w[0]}" "${w[0]}" "${w[1]}" "${w[1]}" "${w[2]}" "${w[2]}" |
        sort >"$TD_TMP/want"
    expect_exact "$TD_TMP/got" "$TD_TMP/want"
    # each thread is new before it exits, and they are created in the program's order
    local i n x
    for i in 0 1 2; do
        n=$(grep -nxF "[New thread tid ${w[i]}]" "$TD_TMP/between" | cut -d: -f1)
        x=$(grep -nxF "[Thread tid ${w[i]} exited]" "$TD_TMP/between" | cut -d: -f1)
        [ -n "$n" ] && [ -n "$x" ] && [ "$n" -lt "$x" ] && pass "worker $i: new, then exited" ||
            fail "worker $i (tid ${w[i]}): new at line '$n', exited at line '$x'"
    done
    [ "$(grep '^\[New' "$TD_TMP/between" | tr -dc '0-9\n' | tr '\n' ' ')" = "${w[0]} ${w[1]} ${w[2]} " ] &&
        pass "created in order" || fail "creation order: $(grep '^\[New' "$TD_TMP/between" | tr '\n' ' ')"
}

td_cdbg out run "$exe" --batch -ex 'break checkpoint' -ex continue -ex continue -ex continue
expect_status 0 "thread events"
check_events "$out"
# the main thread is never reported, nor anything after the last breakpoint
expect_no_line "^\\[(New thread|Thread) tid $(sed -nE 's/^Process ([0-9]+) exited.*/\1/p' "$out")[] ]" "$out"

# 3 times more: the exits race the next creation, never the breakpoint report
for i in 1 2 3; do
    td_cdbg out run "$exe" --batch -ex 'break checkpoint' -ex continue -ex continue -ex continue
    check_events "$out"
done

td_cdbg out --json run "$exe" --batch -ex 'break checkpoint' -ex continue -ex continue
mapfile -t w < <(sed -nE 's/^worker [0-2] tid ([0-9]+)$/\1/p' "$out")
json_check "thread events (JSON)" <(grep '^{' "$out") '
w = [int(x) for x in A]
ev = [(o["event"], o["tid"]) for o in L if o.get("event") in ("thread_created", "thread_exited")]
assert sorted(ev) == sorted([("thread_created", t) for t in w] + [("thread_exited", t) for t in w]), ev
assert all(o["command"] == "continue" for o in L if o.get("event") in ("thread_created", "thread_exited")), L
assert L[-1]["event"] == "breakpoint" and L[-1]["hits"] == 2, L[-1]' "${w[@]}"

# off: not a word about them
td_cdbg out run "$exe" --batch -ex 'config print-thread-events off' -ex 'break checkpoint' -ex continue -ex continue \
    -ex continue -ex 'config print-thread-events' -ex config
expect_status 0 "print-thread-events off"
[ "$(grep -c '^worker' "$out")" = 3 ] && pass "the workers ran" || fail "the workers did not run"
expect_no_line '^\[(New thread|Thread) tid' "$out"
expect_line '^print-thread-events = off$' "$out"
[ "$(grep -c '^print-thread-events = off$' "$out")" = 2 ] && pass "config lists it" || fail "config does not list print-thread-events"
td_cdbg out run "$exe" --batch -ex 'config print-thread-events maybe'
expect_status 1 "print-thread-events maybe"
expect_exact_str "$out.err" 'cdbg: config print-thread-events: expected on or off'
td_finish
