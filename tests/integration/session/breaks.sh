#!/bin/bash
# Breakpoint bookkeeping and all-stop: `clear N N...` and `clear all` take exactly those int3s out
# (the process's code is compared with the executable's bytes through /proc/PID/mem while cdbg
# runs); `condition N` alone removes the condition, after which the breakpoint stops every time;
# a breakpoint hit in one thread holds every other running thread (/proc state t while cdbg is at
# its prompt), and they run again after continue and after detach.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/session/session_lib.sh"
trap '' PIPE
src=$SRCROOT/testdata/exec/session.c

# code_byte PID ADDR: "MEM FILE": the byte at ADDR in the process and in the file mapped there.
code_byte() {
    python3 - "$1" "$2" <<'PY'
import sys
pid, addr = int(sys.argv[1]), int(sys.argv[2], 16)
for line in open("/proc/%d/maps" % pid):
    f = line.split()
    lo, hi = (int(x, 16) for x in f[0].split("-"))
    if lo <= addr < hi and len(f) >= 6:
        with open("/proc/%d/mem" % pid, "rb") as m:
            m.seek(addr)
            mem = m.read(1)[0]
        with open(f[5], "rb") as e:
            e.seek(addr - lo + int(f[2], 16))
            fil = e.read(1)[0]
        print("%02x %02x" % (mem, fil))
        break
PY
}
# expect_planted PID ADDR WHAT / expect_restored PID ADDR WHAT
expect_planted() {
    local b
    b=$(code_byte "$1" "$2")
    [ "${b% *}" = cc ] && [ "${b#* }" != cc ] && pass "int3 at $2 ($3)" || fail "no int3 at $2 ($3): mem/file $b"
}
expect_restored() {
    local b
    b=$(code_byte "$1" "$2")
    [ -n "$b" ] && [ "${b% *}" = "${b#* }" ] && pass "code restored at $2 ($3)" || fail "code at $2 ($3) not restored: mem/file $b"
}

# --- clear N N..., clear all: on a launched exec_O0, which calls ret_int, ret_neg, ret_double,
# ..., then tick() ten times -----------------------------------------------------------------------
repl_start run "$(td_bin exec_O0)"
repl_send 'break ret_int' 'break ret_neg' 'break ret_double' 'break tick' threads
repl_wait '^\* +1 +[0-9]+ ' "$R_OUT"
launched=$(sed -nE 's/^\* +1 +([0-9]+) .*/\1/p' "$R_OUT")
declare -A addr
for n in 1 2 3 4; do
    addr[$n]=$(sed -nE "s/^Breakpoint $n at (0x[0-9a-f]+): .*/\\1/p" "$R_OUT")
    expect_planted "$launched" "${addr[$n]}" "breakpoint $n"
done
repl_send 'clear 1 3' breakpoints
repl_wait '^Breakpoint 4 \(tick\)' "$R_OUT"
expect_line '^Cleared 2 breakpoints$' "$R_OUT"
expect_restored "$launched" "${addr[1]}" "cleared 1"
expect_restored "$launched" "${addr[3]}" "cleared 3"
expect_planted "$launched" "${addr[2]}" "kept 2"
expect_planted "$launched" "${addr[4]}" "kept 4"
expect_line '^Breakpoint 2 \(ret_neg\), hit 0 times$' "$R_OUT"
expect_no_line '^Breakpoint [13] \(' "$R_OUT"
# ret_int runs first: its breakpoint is gone, so ret_neg's is the first stop
repl_send continue
repl_wait '^Breakpoint 2, hit' "$R_OUT"
expect_no_line '^Breakpoint 1, hit' "$R_OUT"
repl_send 'clear all' breakpoints
repl_wait '^No breakpoints\.$' "$R_OUT"
[ "$(grep -c '^Cleared 2 breakpoints$' "$R_OUT")" = 2 ] && pass "clear all cleared 2" || fail "clear all: $(grep '^Cleared' "$R_OUT" | tail -n 1)"
expect_restored "$launched" "${addr[2]}" "clear all: 2"
expect_restored "$launched" "${addr[4]}" "clear all: 4"
repl_send continue
repl_wait '^Process [0-9]+ exited' "$R_OUT"
expect_line "^Process $launched exited with status 0\$" "$R_OUT"
expect_line '^exec done 314 48$' "$R_OUT"
expect_no_line '^Breakpoint 4, hit' "$R_OUT"
repl_send quit
repl_end
expect_status 0 "clear session"
td_cdbg out --json run "$(td_bin exec_O0)" --batch -ex 'break ret_int' -ex 'break ret_neg' -ex 'break ret_double' -ex 'break tick' \
    -ex 'clear 3 1' -ex breakpoints -ex 'clear all' -ex breakpoints -ex continue
expect_status 0 "clear (JSON)"
json_check "clear N N, clear all (JSON)" <(grep '^{' "$out") '
c = [o for o in L if o.get("command") in ("clear", "breakpoints")]
assert c[0] == {"command": "clear", "cleared": 2}, c[0]
assert [b["id"] for b in c[1]["breakpoints"]] == [2, 4], c[1]
assert c[2] == {"command": "clear", "cleared": 2}, c[2]
assert c[3] == {"command": "breakpoints", "breakpoints": []}, c[3]
assert L[-1] == {"command": "continue", "event": "exited", "status": 0}, L[-1]'

# --- condition N: set, then removed (the breakpoint then stops at every call) ------------------
# the program prints "step I" before step(I): the stops must follow exactly those lines
seq_of() { grep -E '^(step [0-9]+|Breakpoint 1, hit [0-9]+ times?, thread tid [0-9]+)' "$1" | sed -E 's/, thread tid [0-9]+$//; s/ total [0-9]+$//'; }
for v in O0 O2; do
    td_cdbg out run "$(td_bin session_$v)" steps --batch -ex 'break step if i == 1' -ex continue -ex 'condition 1' \
        -ex breakpoints -ex continue -ex continue -ex continue -ex continue
    expect_status 0 "condition removed ($v)"
    expect_exact_str <(seq_of "$out") "step 0
step 1
Breakpoint 1, hit 1 time
step 2
Breakpoint 1, hit 2 times
step 3
Breakpoint 1, hit 3 times
step 4
Breakpoint 1, hit 4 times"
    expect_line '^Breakpoint 1 \(step\), hit 1 time$' "$out"
    expect_line '^after 4 total 30$' "$out"
    # and set on an unconditional breakpoint
    td_cdbg out run "$(td_bin session_$v)" steps --batch -ex 'break step' -ex 'condition 1 i == 3' -ex continue -ex continue
    expect_status 0 "condition set ($v)"
    expect_exact_str <(seq_of "$out") "step 0
step 1
step 2
step 3
Breakpoint 1, hit 1 time
step 4"
done
td_cdbg out --json run "$(td_bin session_O0)" steps --batch -ex 'break step if i == 1' -ex 'condition 1' -ex breakpoints \
    -ex 'condition 1 i > 2' -ex breakpoints
json_check "condition (JSON)" <(grep '^{' "$out") '
c = [o for o in L if o.get("command") in ("condition", "breakpoints")]
assert c[0] == {"command": "condition", "id": 1, "condition": None}, c[0]
assert c[1]["breakpoints"][0]["condition"] is None, c[1]
assert c[2] == {"command": "condition", "id": 1, "condition": "i > 2"}, c[2]
assert c[3]["breakpoints"][0]["condition"] == "i > 2", c[3]'

# --- a hit in one thread holds the others -------------------------------------------------------
hit_line=$(marker "$src" hit)
prog_start session_O0 spin
pid=$TD_PID
spinners=$(tid_named "$pid" spinner | tr '\n' ' ')
hitter=$(tid_named "$pid" hitter)
all=$(ls /proc/"$pid"/task | tr '\n' ' ')
n=0
for mode in text json; do
    if [ $mode = json ]; then repl_start --json attach "$pid"; else repl_start attach "$pid"; fi
    repl_send 'break hit' continue
    wait_cdbg_waiting "$R_PID"
    # shellcheck disable=SC2086
    wait_states "$pid" R $spinners
    for round in 1 2; do
        n=$((n + 1))
        kill -USR1 "$pid"
        if [ $mode = json ]; then
            repl_wait '"event":"breakpoint"' "$R_OUT" $round
            json_check "hit $round in the hitter (JSON)" "$R_OUT" '
o = [o for o in L if o.get("event") == "breakpoint"][-1]
assert o["tid"] == int(A[0]) and o["breakpoint"] == 1 and o["hits"] == int(A[1]), o
f = o["frame"]
assert f["function"] == "hit" and f["line"] == int(A[2]) and f["file"].endswith("/testdata/exec/session.c"), f' \
                "$hitter" "$round" "$hit_line"
        else
            repl_wait '^Breakpoint 1, hit' "$R_OUT" $round
            expect_line "^Breakpoint 1, hit $round times?, thread tid $hitter\$" "$R_OUT"
        fi
        # at the prompt after the hit: every thread is held, the spinners included
        # shellcheck disable=SC2086
        expect_states "$pid" t $all
        repl_alive
        if [ $round = 1 ]; then
            repl_send continue
            wait_cdbg_waiting "$R_PID"
            # shellcheck disable=SC2086
            wait_states "$pid" R $spinners
            repl_wait "^hit $n\$" "$PROG_OUT"
        fi
    done
    repl_send detach
    repl_wait 'etach' "$R_OUT"
    repl_alive
    check_untraced "$pid"
    # shellcheck disable=SC2086
    wait_states "$pid" R $spinners
    repl_wait "^hit $n\$" "$PROG_OUT"
    repl_send quit
    repl_end
    expect_status 0 "all-stop session ($mode)"
done
td_stop "$pid"
td_finish
