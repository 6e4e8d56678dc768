#!/bin/bash
# The deadlock report on std::mutex names the program's own frame (issue 13): each waiting thread
# is `in bank::Transfer::lock_both at cxxsrv.cpp:LINE`, not libstdc++'s std::mutex::lock or
# gthr-posix.h's __gthread_mutex_lock, which live in the executable but whose source is a system
# header: functions of their own at -O0, inlined into lock_both at -O2. The line is the one gdb's
# backtrace gives that frame, and the one the source marks.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for the waiting frame"
src=$SRCROOT/testdata/cxx/cxxsrv.cpp
line=$(grep -n 'second.lock(); /\* waits forever' "$src" | cut -d: -f1)
[ -n "$line" ] || { fail "no blocking line in $src"; td_finish; }

for v in O0 O2; do
    td_start "cxxsrv_$v"
    td_cdbg out deadlock "$TD_PID"
    expect_status 3 "deadlock found ($v)" || td_show "$out.err"
    expect_line "^DEADLOCK in process $TD_PID: 1 cycle, 2 threads blocked forever \\(of 3\\)\$" "$out"
    [ "$(grep -c "^      in bank::Transfer::lock_both at cxxsrv\\.cpp:$line\$" "$out")" -eq 2 ] &&
        pass "both waits in lock_both at cxxsrv.cpp:$line ($v)" ||
        { fail "the waits are not named by lock_both at cxxsrv.cpp:$line ($v)"; td_show "$out"; }
    expect_no_line 'gthr|std::mutex::lock|\.h:' "$out"
    # the locks named as gdb names them, namespace included (`bank::audit_mu`)
    expect_line '^  thread [0-9]+ "transfer_[ab]" waits for mutex bank::audit_mu \(0x[0-9a-f]+\)' "$out"
    expect_line '^  thread [0-9]+ "transfer_[ab]" waits for mutex bank::ledger_mu \(0x[0-9a-f]+\)' "$out"
    sed -nE 's/.* waits for mutex ([^ ]+) \((0x[0-9a-f]+)\).*/\1 \2/p' "$out" | sort -u >"$TD_TMP/locks.$v"
    gdb_ex=()
    while read -r _ a; do gdb_ex+=(-ex "info symbol $a"); done <"$TD_TMP/locks.$v"
    timeout 120 gdb -nx -batch -p "$TD_PID" "${gdb_ex[@]}" 2>/dev/null | sed -nE 's/^([^ ]+) in section .*/\1/p' >"$TD_TMP/gdbsym.$v"
    [ "$(cut -d' ' -f1 "$TD_TMP/locks.$v")" = "$(cat "$TD_TMP/gdbsym.$v")" ] && [ -s "$TD_TMP/gdbsym.$v" ] &&
        pass "lock names equal gdb's info symbol ($v)" ||
        fail "lock names ($v): cdbg '$(cut -d' ' -f1 "$TD_TMP/locks.$v" | tr '\n' ' ')', gdb '$(tr '\n' ' ' <"$TD_TMP/gdbsym.$v")'"
    td_cdbg out deadlock "$TD_PID" --json
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if sorted(w["frame"] for w in d["waits"]) == ["bank::Transfer::lock_both at cxxsrv.cpp:'"$line"'"] * 2 else 1)' "$out" &&
        pass "JSON frames ($v)" || { fail "JSON frames ($v)"; td_show "$out"; }
    # gdb's backtrace of a waiting thread has that frame, at that line
    timeout 120 gdb -nx -batch -p "$TD_PID" -ex 'thread apply all bt' >"$TD_TMP/gdb.$v" 2>&1
    expect_line "in bank::Transfer::lock_both \\(this=0x[0-9a-f]+\\) at .*cxxsrv\\.cpp:$line\$|^#[0-9]+ +bank::Transfer::lock_both \\(this=0x[0-9a-f]+\\) at .*cxxsrv\\.cpp:$line\$" "$TD_TMP/gdb.$v"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
done
td_finish
