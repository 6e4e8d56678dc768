#!/bin/bash
# Breakpoint management on testdata/exec: enable/disable (none = all), delete/d (none = all,
# ranges), ignore (its count compared with gdb's), `on N CMD` (run in order after the stop report,
# `on N` clears them, commands that run the program refused), the listing and JSON, bad input.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for \`ignore\`"

for v in O0 O2; do
    exe=$(td_bin "exec_$v")

    # ignore: the stop is the one gdb stops at
    td_cdbg out run "$exe" --batch -ex 'break tick' -ex 'ignore 1 3' -ex continue -ex 'print i' -ex breakpoints
    expect_status 0 "ignore ($v)"
    expect_line '^Will ignore next 3 crossings of breakpoint 1\.$' "$out"
    expect_line '^Breakpoint 1, hit 4 times, thread tid [0-9]+$' "$out"
    timeout 120 gdb -nx -batch -ex 'break tick' -ex 'ignore 1 3' -ex run -ex 'print i' "$exe" >"$TD_TMP/gdb.out" 2>&1
    want=$(sed -n 's/^\$1 = //p' "$TD_TMP/gdb.out")
    [ -n "$want" ] || { fail "gdb printed no \$1 ($v)"; td_show "$TD_TMP/gdb.out"; }
    expect_line "^\\\$1 = $want\$" "$out"
    # the count left shows in the listing; 0 and 1 say it as gdb does
    td_cdbg out run "$exe" --batch -ex 'break tick' -ex 'ignore 1 5' -ex breakpoints -ex 'ignore 1 1' \
        -ex 'ignore 1 0' -ex continue -ex 'print i'
    expect_line '^Breakpoint 1 \(tick\), hit 0 times, ignore next 5 hits$' "$out"
    expect_line '^Will ignore next crossing of breakpoint 1\.$' "$out"
    expect_line '^Will stop next time breakpoint 1 is reached\.$' "$out"
    expect_line '^\$1 = 0$' "$out"

    # disable (none = all), enable one: the disabled one is passed, its int3 out
    td_cdbg out run "$exe" --batch -ex 'break fact' -ex 'break tick' -ex disable -ex breakpoints -ex 'enable 2' \
        -ex continue -ex 'print i' -ex 'disable 2' -ex breakpoints -ex continue
    expect_status 0 "disable/enable ($v)"
    expect_line '^Breakpoint 1 \(fact\), hit 0 times, disabled$' "$out"
    expect_line '^Breakpoint 2 \(tick\), hit 0 times, disabled$' "$out"
    expect_line '^Breakpoint 2 \(tick\), hit 1 time, disabled$' "$out"
    expect_line '^\$1 = 0$' "$out"
    expect_no_line '^Breakpoint 1, ' "$out"
    # nothing stops the program after `disable 2`: no int3 is left in tick (a leftover would stop it)
    expect_line '^exec done 314 48$' "$out"
    expect_line '^Process [0-9]+ exited with status 0$' "$out"
    [ "$(grep -c '^Breakpoint [0-9], hit' "$out")" = 1 ] && pass "one stop ($v)" ||
        fail "expected exactly one breakpoint stop ($v)"

    # delete: by number, by range, and none = all (without asking, in batch)
    td_cdbg out run "$exe" --batch -ex 'break fact' -ex 'break tick' -ex 'break ret_neg' -ex 'break ret_int' \
        -ex 'delete 1 3' -ex breakpoints -ex 'd 2-4' -ex breakpoints -ex 'break tick' -ex 'break fact' -ex delete \
        -ex breakpoints -ex continue
    expect_status 0 "delete ($v)"
    expect_lines "$out" '^Deleted 2 breakpoints$' '^Breakpoint 2 \(tick\), hit 0 times$' '^    0x' \
        '^Breakpoint 4 \(ret_int\), hit 0 times$' '^    0x' '^Deleted 2 breakpoints$' '^No breakpoints\.$' \
        '^Breakpoint 5 at ' '^Breakpoint 6 at ' '^Deleted 2 breakpoints$' '^No breakpoints\.$'
    expect_line '^exec done 314 48$' "$out"

    # on: commands run in order after the stop report (and a failing one does not stop the next)
    td_cdbg out run "$exe" --batch -ex 'break tick if i >= 8' -ex 'on 1 print i' -ex 'on 1 print nosuch' \
        -ex 'on 1 print i * 2' -ex breakpoints -ex continue -ex continue -ex 'on 1' -ex breakpoints -ex continue
    expect_status 0 "on ($v)"
    expect_lines "$out" '^Breakpoint 1 \(tick\), hit 0 times, if i >= 8$' '^    0x[0-9a-f]+ in tick at exec\.c:[0-9]+$' \
        '^    on: print i$' '^    on: print nosuch$' '^    on: print i \* 2$'
    expect_lines "$out" '^Breakpoint 1, hit 1 time, thread tid [0-9]+$' '^#0 .* tick ' '^=> ' '^\$1 = 8$' '^\$2 = 16$' \
        '^Breakpoint 1, hit 2 times, thread tid [0-9]+$' '^#0 .* tick ' '^=> ' '^\$3 = 9$' '^\$4 = 18$' \
        '^Breakpoint 1 \(tick\), hit 2 times, if i >= 8$' '^    0x'
    expect_line '^exec done 314 48$' "$out"
    expect_no_line '^\$5 = ' "$out" # `on 1` removed the commands
    expect_line '^cdbg: no symbol "nosuch" in the current context$' "$out.err"
    [ "$(grep -c 'nosuch' "$out.err")" = 2 ] && pass "the failing command ran at both stops ($v)" ||
        fail "expected the failing \`on\` command's error at both stops ($v)"
done

exe=$(td_bin exec_O0)
# on with a display: the displays first, then the commands; a tbreak's commands too
td_cdbg out run "$exe" --batch -ex 'break ret_pair' -ex 'on 1 print a + 1' -ex 'display a' -ex continue
expect_lines "$out" '^Breakpoint 1, hit 1 time' '^#0 ' '^=> ' '^1: a = 40$' '^\$1 = 41$'

# JSON
td_cdbg out --json run "$exe" --batch -ex 'break tick' -ex 'break fact' -ex 'ignore 1 2' -ex 'on 1 print i' \
    -ex 'disable 2' -ex breakpoints -ex continue -ex 'enable' -ex 'delete 2' -ex delete
expect_status 0 "JSON"
expect_line '^\{"command":"ignore","id":1,"ignore":2\}$' "$out"
expect_line '^\{"command":"on","id":1,"commands":\["print i"\]\}$' "$out"
expect_line '^\{"command":"disable","ids":\[2\]\}$' "$out"
expect_line '^\{"command":"breakpoints","breakpoints":\[\{"id":1,"spec":"tick","temporary":false,"hits":0,"condition":null,"ignore":2,"locations":\[\{[^]]*\}\],"commands":\["print i"\]\},\{"id":2,"spec":"fact","temporary":false,"hits":0,"condition":null,"enabled":false,' "$out"
expect_lines "$out" '^\{"command":"continue","event":"breakpoint","tid":[0-9]+,"breakpoint":1,"hits":3,' \
    '^\{"expr":"i","type":"int","value":2\}$'
expect_line '^\{"command":"enable","ids":\[1,2\]\}$' "$out"
expect_line '^\{"command":"delete","deleted":\[2\]\}$' "$out"
expect_line '^\{"command":"delete","deleted":\[1\]\}$' "$out"

# bad input: one line, exit 1
for c in 'ignore 9 1|ignore: no breakpoint 9; `breakpoints` lists them' \
    'ignore x 1|ignore: .x. is not a breakpoint number; `breakpoints` lists them' \
    'ignore 1 x|ignore: COUNT .x. is not a number of hits' \
    'ignore 1 -2|ignore: COUNT .-2. is not a number of hits' \
    'ignore 1|ignore: usage: ignore N COUNT' \
    'enable 7|enable: no breakpoint 7; `breakpoints` lists them' \
    'disable 1 x|disable: .x. is not a breakpoint number or range' \
    'delete 3-2|delete: .3-2. is not a breakpoint number or range' \
    'd 5-9|delete: no breakpoint in 5-9' \
    'on 9 print i|on: no breakpoint 9' \
    'on|on: usage: on N COMMAND' \
    'on 1 nosuch|on: unknown command .nosuch.' \
    'on 1 continue|on: `continue` cannot run at a breakpoint.s stop' \
    'on 1 next|on: `next` cannot run' \
    'on 1 detach|on: `detach` cannot run' \
    'break -pending|break: -pending needs a location'; do
    td_cdbg out run "$exe" --batch -ex 'break tick' -ex "${c%%|*}" -ex breakpoints
    expect_status 1 "${c%%|*}"
    expect_line "^cdbg: ${c#*|}" "$out.err"
    [ "$(wc -l <"$out.err")" = 1 ] && pass "one line for ${c%%|*}" || fail "more than one line for ${c%%|*}"
done
td_finish
