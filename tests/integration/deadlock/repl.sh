#!/bin/bash
# The REPL commands `deadlock` and `locks` on an attached process and on a core (batch mode), in
# text and JSON: ring (forks[i]), heap (to->mu), many (1000 threads), and their errors.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"

# dl_repl_json FILE N EXPR WHAT: line N of FILE is one JSON document for which EXPR holds.
dl_repl_json() {
    sed -n "$2p" "$1" >"$1.line$2"
    dl_py "$1.line$2" "$3" "$4"
}

ring_text() { # FILE MODE
    expect_line '^DEADLOCK in process [0-9]+: 1 cycle, 5 threads blocked forever \(of 6\)$' "$1"
    local i n w o name
    # philosopher i holds forks[i] and waits for forks[i+1], held by philosopher i+1 (true TIDs)
    for i in 0 1 2 3 4; do
        n=$(((i + 1) % 5))
        dl_edge "$1" "$2" "phil$i" "mutex forks\\[$n\\]" "phil$n"
        w=$(dl_tid "phil$i") o=$(dl_thread_re "phil$n" "$2")
        name='[A-Za-z0-9_]+'
        [ "$2" = live ] && name=phil$i
        expect_line "^$w +$name +mutex forks\\[$n\\] \\(0x[0-9a-f]+\\), held by $o  \\[cycle 1\\]\$" "$1"
    done
    expect_line '^      in philosopher at ring.c:[0-9]+$' "$1"
    expect_line '^ +in philosopher at ring.c:[0-9]+$' "$1"
}
heap_text() {
    expect_line '^cycle 1: 2 threads wait for each other$' "$1"
    expect_line 'waits for mutex to->mu \(0x[0-9a-f]+\), held by thread' "$1"
    expect_line '^[0-9]+ +[A-Za-z0-9_]+ +mutex to->mu \(0x[0-9a-f]+\), held by thread [0-9]+.*\[cycle 1\]$' "$1"
    expect_line '^      in transfer at heap.c:[0-9]+$' "$1"
}
many_text() {
    expect_line '^DEADLOCK in process [0-9]+: 1 cycle, 3 threads blocked forever \(of 1001\)$' "$1"
    expect_line 'waits for mutex ring_mu\[[012]\]' "$1"
    expect_line '^[0-9]+ +many_O[02] +condvar pool_cv \(0x[0-9a-f]+\)$' "$1"
    [ "$(grep -c '\[cycle 1\]$' "$1")" -eq 3 ] && pass "3 cycle members in locks" || fail "locks: not 3 cycle members"
}
ring_json() { # FILE (line 1: deadlock, line 2: locks)
    local l
    for l in 1 2; do
        dl_repl_json "$1" $l 'len(d["cycles"]) == 1 and sorted(t["waits_for"]["symbol"] for t in d["cycles"][0]["threads"]) == ["forks[%d]" % i for i in range(5)]' "ring json line $l"
    done
    dl_repl_json "$1" 1 'd["command"] == "deadlock" and d["deadlock"] is True' "ring json deadlock"
    dl_repl_json "$1" 2 'd["command"] == "locks" and len(d["waits"]) == 5' "ring json locks"
}
heap_json() {
    dl_repl_json "$1" 1 'd["command"] == "deadlock" and all(t["waits_for"]["symbol"] == "to->mu" for t in d["cycles"][0]["threads"])' "heap json"
    dl_repl_json "$1" 2 'd["command"] == "locks" and len(d["waits"]) == 2' "heap json locks"
}
many_json() {
    dl_repl_json "$1" 1 'd["command"] == "deadlock" and len(d["cycles"]) == 1 and len(d["cycles"][0]["threads"]) == 3 and d["findings"] == []' "many json"
    dl_repl_json "$1" 2 'd["command"] == "locks" and len(d["waits"]) == 3' "many json locks"
}

repl_case() { # PROG VARIANT
    local prog=$1 v=$2 core
    td_start "${prog}_$v"
    DL_TASKS=$TD_TMP/tasks.$TD_PID
    td_tasks "$TD_PID" >"$DL_TASKS"
    td_cdbg out attach "$TD_PID" --batch -ex deadlock -ex locks
    expect_status 0 "attach $prog $v"
    "${prog}_text" "$out" live
    td_asleep "$TD_PID"
    td_cdbg js attach "$TD_PID" --batch --json -ex deadlock -ex locks
    expect_status 0 "attach $prog $v json"
    "${prog}_json" "$js"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
    core=$(make_core_of "${prog}_$v") || { fail "no core of ${prog}_$v"; return; }
    DL_TASKS=$(dirname "$core")/tasks
    td_cdbg out core "$(td_bin "${prog}_$v")" "$core" --batch -ex deadlock -ex locks
    expect_status 0 "core $prog $v"
    "${prog}_text" "$out" core
    td_cdbg js core "$(td_bin "${prog}_$v")" "$core" --batch --json -ex deadlock -ex locks
    expect_status 0 "core $prog $v json"
    "${prog}_json" "$js"
    rm -f "$core"
}
for v in O0 O2; do
    repl_case ring "$v"
    repl_case heap "$v"
done
repl_case many O2

# errors: one line, exit 1, the target left running
td_start abba_O2
td_cdbg out attach "$TD_PID" --batch -ex 'deadlock now'
expect_status 1 "deadlock with an argument"
expect_line "^cdbg: deadlock takes no arguments \(got 'now'\)" "$out.err"
td_cdbg out attach "$TD_PID" --batch -ex 'locks x'
expect_status 1 "locks with an argument"
expect_line "^cdbg: locks takes no arguments" "$out.err"
check_untraced "$TD_PID"
td_stop "$TD_PID"
td_start abba_static
td_cdbg out attach "$TD_PID" --batch -ex deadlock
expect_status 1 "REPL deadlock on a static program"
expect_line 'statically linked' "$out.err"
expect_no_line 'DEADLOCK|no deadlock' "$out"
check_untraced "$TD_PID"
td_finish
