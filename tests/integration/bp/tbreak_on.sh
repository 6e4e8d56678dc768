#!/bin/bash
# `on N CMD` on a temporary breakpoint: gdb runs a tbreak's commands at the stop that deletes it
# (after the stop report), and never again. The values the commands print are compared with gdb's.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for a temporary breakpoint's commands"

for v in O0 O2; do
    exe=$(td_bin "exec_$v")
    printf 'tbreak tick if i == 3\ncommands 1\nprint i\nprint i * 7\nend\nrun\ninfo breakpoints\ncontinue\n' \
        >"$TD_TMP/g.gdb"
    timeout 120 gdb -nx -batch -x "$TD_TMP/g.gdb" "$exe" >"$TD_TMP/gdb.out" 2>&1
    w1=$(sed -n 's/^\$1 = //p' "$TD_TMP/gdb.out")
    w2=$(sed -n 's/^\$2 = //p' "$TD_TMP/gdb.out")
    [ -n "$w1" ] && [ -n "$w2" ] || { fail "gdb printed no \$1/\$2 ($v)"; td_show "$TD_TMP/gdb.out"; }
    grep -q '^\$3 = ' "$TD_TMP/gdb.out" && fail "gdb ran the commands twice ($v): the reference is off"

    td_cdbg out run "$exe" --batch -ex 'tbreak tick if i == 3' -ex 'on 1 print i' -ex 'on 1 print i * 7' \
        -ex continue -ex breakpoints -ex continue
    expect_status 0 "tbreak with commands ($v)"
    # the stop report, then the commands in order, then the breakpoint is gone and never stops again
    expect_lines "$out" '^Temporary breakpoint 1 at ' '^Breakpoint 1, hit 1 time, thread tid [0-9]+$' '^#0 .* tick ' '^=> ' \
        "^\\\$1 = $w1\$" "^\\\$2 = $w2\$" '^No breakpoints\.$'
    expect_line '^exec done 314 48$' "$out"
    expect_no_line '^\$3 = ' "$out"
    expect_empty "$out.err" "no error ($v)"

    # JSON: the commands' results follow the stop object
    td_cdbg out --json run "$exe" --batch -ex 'tbreak tick if i == 3' -ex 'on 1 print i' -ex continue
    expect_status 0 "tbreak with commands, JSON ($v)"
    expect_lines "$out" '"event":"breakpoint","tid":[0-9]+,"breakpoint":1,' "^\\{\"expr\":\"i\",\"type\":\"int\",\"value\":$w1\\}\$"
done
td_finish
