#!/bin/bash
# `next` over fork() with config follow-fork child (gdb: follow-fork-mode child): the step goes
# on in the child and stops at the next line of main there, not inside libc's fork, as gdb does;
# the lines of four `next`s and the child's `p` (0) are gdb's, and the process stepped is the
# child (the pid in the program's own report). With follow-fork parent, the parent's lines.
. "$(dirname "$0")/fork_lib.sh"
need_tool gdb "the reference for stepping over a fork"
line=$(grep -n 'pid_t p = fork();' "$SRCROOT/testdata/fork/forks.c" | head -1 | cut -d: -f1)
[ -n "$line" ] || { fail "no fork() line in forks.c"; td_finish; }

for mode in child parent; do
    printf 'set follow-fork-mode %s\nbreak %s\nrun\nnext\nnext\nnext\nnext\nprint p\n' "$mode" "$line" >"$TD_TMP/g.gdb"
    timeout 120 gdb -nx -batch -x "$TD_TMP/g.gdb" --args "$FORKS" fork "$TD_TMP/g.report" >"$TD_TMP/gdb.out" 2>&1
    # the line numbers gdb stopped at after the breakpoint ("58\t..." or "main (...) at ...:58"), and p
    sed -n '/^Breakpoint 1, /,$p' "$TD_TMP/gdb.out" | sed -nE 's/^([0-9]+)\t.*/\1/p; s/^\$1 = (.*)/p=\1/p' |
        tail -n +2 >"$TD_TMP/want"
    [ "$(wc -l <"$TD_TMP/want")" = 5 ] || { fail "gdb's session is not 4 lines and p ($mode)"; td_show "$TD_TMP/gdb.out"; }
    grep -q "^$line\$" "$TD_TMP/want" && fail "gdb stayed on the fork line ($mode): the reference is off"

    rep=$TD_TMP/$mode.report
    td_cdbg out run "$FORKS" fork "$rep" --batch -ex "config follow-fork $mode" -ex "break $line" -ex continue \
        -ex next -ex next -ex next -ex next -ex 'print p' -ex inferiors
    expect_status 0 "next over fork, follow $mode"
    sed -n '/^Breakpoint 1, /,$p' "$out" | sed -nE 's/^=> ([0-9]+) .*/\1/p; s/^\$1 = (.*)/p=\1/p' |
        tail -n +2 >"$TD_TMP/got"
    if [ $mode = child ]; then
        expect_exact "$TD_TMP/got" "$TD_TMP/want"
        # the session is in the child: the pid the parent's report names is the current inferior's
        wait_report "$rep" && report_pids "$rep"
        expect_line "^\\* +2 +$CHILD +stopped " "$out"
        expect_line "^\\[Switching to process $CHILD\\]\$" "$out"
    else
        # the parent's p is the child's pid, another in each run: the lines are compared, and p
        # with the child cdbg let go
        grep -v '^p=' "$TD_TMP/got" >"$TD_TMP/got_l"
        grep -v '^p=' "$TD_TMP/want" >"$TD_TMP/want_l"
        expect_exact "$TD_TMP/got_l" "$TD_TMP/want_l"
        child=$(sed -nE 's/^\[Detaching after fork from child process ([0-9]+)\]$/\1/p' "$out")
        expect_line "^\\\$1 = $child\$" "$out"
        expect_line "^\\* +1 +[0-9]+ +stopped " "$out"
    fi
    expect_no_line '^#0 .* in (arch_fork|_Fork|__libc_fork) ' "$out"
done
td_finish
