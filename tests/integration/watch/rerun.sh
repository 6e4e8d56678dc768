#!/bin/bash
# `run` / `restart` while the program runs, with watchpoints set: one on a local (of scoped(), or of
# main, which the new process has too) is dropped, silently, as gdb drops it when its process goes;
# one on a global is set again in the new process under its number, and stops it. Compared with
# gdb's `info breakpoints` after its `run`.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for watchpoints across a rerun"
exe=$(td_bin watch_O0)

printf 'break bump\nrun\nup\nwatch local\nframe 2\nwatch t\nwatch counter\nrun\ninfo breakpoints\n' >"$TD_TMP/g.gdb"
timeout 120 gdb -nx -batch -x "$TD_TMP/g.gdb" "$exe" >"$TD_TMP/gdb.out" 2>&1
# gdb's numbers of the breakpoints and watchpoints left after its rerun
want=$(sed -n '/^Num /,$p' "$TD_TMP/gdb.out" | sed -n 's/^\([0-9][0-9]*\) .*/\1/p' | tr '\n' ' ')
[ "$want" = "1 4 " ] || { fail "gdb kept '$want', expected '1 4 ': the reference is off"; td_show "$TD_TMP/gdb.out"; }

for cmd in restart run; do
    td_cdbg out run "$exe" --batch -ex 'break bump' -ex continue -ex up -ex 'watch local' -ex 'frame 2' -ex 'watch t' \
        -ex 'watch counter' -ex "$cmd" -ex breakpoints -ex 'delete 1' -ex continue
    expect_status 0 "$cmd with watchpoints on locals"
    got=$(sed -n '/^Killed process/,$p' "$out" | sed -n 's/^\(Breakpoint\|Hardware watchpoint\) \([0-9][0-9]*\)[: ].*, hit 0 times.*/\2/p' |
        tr '\n' ' ')
    [ "$got" = "$want" ] && pass "$cmd keeps $want as gdb" || { fail "$cmd kept '$got', gdb '$want'"; td_show "$out"; }
    expect_no_line '^warning: ' "$out.err"
    expect_empty "$out.err" "$cmd: nothing on stderr"
    # the global's watchpoint works in the new process
    expect_lines "$out" '^Hardware watchpoint 4: counter, thread tid [0-9]+$' '^Old value = 0$' '^New value = 1$'
done
td_finish
