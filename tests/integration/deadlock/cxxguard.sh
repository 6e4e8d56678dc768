#!/bin/bash
# A C++ ABBA through std::lock_guard (testdata/deadlock/dlxx.cpp, issue 15 review): at clang++ -O2
# std::lock_guard, std::mutex::lock and __gthread_mutex_lock are inlined into transfer with their
# lines in libstdc++'s headers (gthr-default.h, under clang's /usr/bin/../lib/gcc/... path); each
# waiting thread must be named by the program's frame, `in transfer at dlxx.cpp:LINE`, the line
# of the second lock_guard, as at g++ -O0 (out-of-line wrappers) and as `cdbg lockorder` names its
# sites: live and on a core, text and JSON, compared exactly.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
need_tool clang++ "the -O2 build whose inlined lock wrappers are checked"
src=$SRCROOT/testdata/deadlock/dlxx.cpp
line=$(grep -n '// BLOCKS' "$src" | cut -d: -f1)
[ -n "$line" ] || { fail "no BLOCKS line in $src"; td_finish; }
dl_text() {
    expect_line "^DEADLOCK in process $DL_PID: 1 cycle, 2 threads blocked forever \\(of 3\\)\$" "$1"
    dl_edge "$1" "$2" worker_a 'mutex acct_b\.mu' worker_b '' "^      in transfer at dlxx\\.cpp:$line\$"
    dl_edge "$1" "$2" worker_b 'mutex acct_a\.mu' worker_a '' "^      in transfer at dlxx\\.cpp:$line\$"
    # every frame line of the report, exactly
    local frames
    frames=$(grep -E '^      in ' "$1" | sort | uniq -c | sed -E 's/^ +//')
    [ "$frames" = "2       in transfer at dlxx.cpp:$line" ] && pass "both waits in transfer at dlxx.cpp:$line ($2 $3)" ||
        { fail "frame lines ($2 $3): $frames"; td_show "$1"; }
    dl_stopped "$1" "$2" 2
}
dl_json_check() {
    dl_py "$1" 'sorted(t["frame"] for t in d["waits"]) == ["transfer at dlxx.cpp:'"$line"'"] * 2' "JSON frames $2 $3"
    dl_json_edge "$1" "$2" worker_a acct_b.mu worker_b
    dl_json_edge "$1" "$2" worker_b acct_a.mu worker_a
}
DL_VARIANTS="clang_O2 gcc_O0" dl_case dlxx 3
td_finish
