#!/bin/bash
# bt all on a live process, in every build variant: each blocked thread's user frame, inline
# frames as frames of their own, the signal-handler frame, and the target left running untraced.
. "$SRCROOT/tests/integration/lib.sh"

# tie_headers LABEL PID FILE: each "Thread N (tid T, NAME):" header of a `bt all` names a real
# thread of PID (every tid once), /proc/PID/task/T/comm says NAME, and the stack under it is that
# thread's: it shows the function the program runs under that name (threads.c).
tie_headers() {
    local label=$1 pid=$2 out=$3 bad
    local want have
    want=$(ls /proc/"$pid"/task | sort -n | tr '\n' ' ')
    have=$(sed -nE 's/^Thread [0-9]+ \(tid ([0-9]+), .*\):$/\1/p' "$out" | sort -n | tr '\n' ' ')
    [ "$have" = "$want" ] && pass "$label: headers name every tid once" ||
        fail "$label: header tids '$have', /proc/$pid/task has '$want'"
    bad=$(awk -v pid="$pid" '
        function check() {
            if (tid == "") return
            f = "/proc/" pid "/task/" tid "/comm"; comm = ""
            getline comm < f; close(f)
            if (comm != name) print "tid " tid ": header says " name ", comm says " comm
            if (!(name in fn)) print "tid " tid ": unknown thread name " name
            else if (!seen) print "tid " tid " (" name "): no frame in " fn[name]
        }
        BEGIN {
            fn["mutex-waiter"] = "wait_on_mutex"; fn["cond-waiter"] = "wait_on_cond"; fn["sleeper"] = "sleeper"
            fn["reader"] = "reader"; fn["inline-chain"] = "inline_thread"; fn["sig-handler"] = "in_handler"
            fn["worker"] = "parked_worker"
        }
        /^Thread [0-9]+ \(tid [0-9]+, .*\):$/ {
            check()
            tid = $4; sub(/,$/, "", tid)
            name = $0; sub(/^Thread [0-9]+ \(tid [0-9]+, /, "", name); sub(/\):$/, "", name)
            if (name ~ /^threads_/) fn[name] = "main"
            seen = 0; next
        }
        tid != "" && name in fn && $0 ~ (" in " fn[name] " at threads\\.c:[0-9]+$") { seen = 1 }
        END { check() }' "$out")
    [ -z "$bad" ] && pass "$label: each header is its stack's thread" || fail "$label: $bad"
}

for v in O0 O2 O0_nopie O2_nopie O2_nofp; do
    td_start "threads_$v" 2
    td_cdbg out attach "$TD_PID" --batch -ex 'bt all'
    expect_status 0 "threads_$v: bt all"
    comm=threads_$v
    expect_line "^Thread 1 \\(tid $TD_PID, ${comm:0:15}\\):\$" "$out"
    tie_headers "threads_$v" "$TD_PID" "$out"
    expect_line '^#[0-9]+ +0x[0-9a-f]{16} in main at threads\.c:201$' "$out"
    expect_line '^#[0-9]+ +0x[0-9a-f]{16} in wait_on_mutex at threads\.c:54$' "$out"
    expect_line '^#[0-9]+ +0x[0-9a-f]{16} in wait_on_cond at threads\.c:65$' "$out"
    expect_line '^#[0-9]+ +0x[0-9a-f]{16} in sleeper at threads\.c:73$' "$out"
    expect_line '^#[0-9]+ +0x[0-9a-f]{16} in reader at threads\.c:82$' "$out"
    # The inline chain: leaf and mid are inlined into inline_outer.
    grep -A3 'inline_leaf' "$out" >"$TD_TMP/inl"
    expect_line '^#[0-9]+ +\(inlined\) +in inline_leaf at threads\.c:89$' "$TD_TMP/inl"
    expect_line '^#[0-9]+ +\(inlined\) +in inline_mid at threads\.c:95$' "$TD_TMP/inl"
    expect_line '^#[0-9]+ +0x[0-9a-f]{16} in inline_outer at threads\.c:101$' "$TD_TMP/inl"
    expect_line '^#[0-9]+ +0x[0-9a-f]{16} in inline_thread at threads\.c:107$' "$TD_TMP/inl"
    # Through the signal frame into the interrupted function.
    grep -A3 'in on_signal' "$out" >"$TD_TMP/sig"
    expect_line '^#[0-9]+ +0x[0-9a-f]{16} in on_signal at threads\.c:115$' "$TD_TMP/sig"
    expect_line '<signal handler called>$' "$TD_TMP/sig"
    expect_line '^#[0-9]+ +0x[0-9a-f]{16} in in_handler at threads\.c:128$' "$TD_TMP/sig"
    [ "$(grep -c 'in parked_worker at threads\.c:139$' "$out")" = 2 ] && pass "2 workers" || fail "threads_$v: expected 2 parked_worker frames"
    # Every thread's stack ends in the thread entry, never in garbage.
    [ "$(grep -c '^Thread ' "$out")" = 9 ] && pass "9 threads" || fail "threads_$v: expected 9 threads"
    expect_no_line ' in \?\? ' "$out"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
done
# Without glibc's separate debug info (as on a machine without libc6-dbg): libc frames come from its
# symbol table, said once, and the program's own frames are unchanged.
td_start threads_O2 1
CDBG_DEBUGINFO_PATH=/nonexistent td_cdbg out attach "$TD_PID" --batch -ex 'bt all'
expect_status 0 "bt all without libc debug info"
expect_line '^warning: no debug info and no symbol table for libc\.so\.6 \(stripped\): only its exported functions have names' "$out.err"
[ "$(grep -c 'no debug info.* for libc' "$out.err")" = 1 ] && pass "said once" || fail "libc note not said exactly once"
expect_line '^#[0-9]+ +0x[0-9a-f]{16} in (__GI___)?pthread_mutex_lock from libc\.so\.6$' "$out"
expect_line '^#[0-9]+ +0x[0-9a-f]{16} in wait_on_mutex at threads\.c:54$' "$out"
expect_line '^#[0-9]+ +\(inlined\) +in inline_leaf at threads\.c:89$' "$out"
expect_line '^#[0-9]+ +0x[0-9a-f]{16} in in_handler at threads\.c:128$' "$out"
expect_line '^#[0-9]+ +0x[0-9a-f]{16} in parked_worker at threads\.c:139$' "$out"
check_untraced "$TD_PID"
td_finish
