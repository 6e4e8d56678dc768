#!/bin/bash
# next/step/until/stepi/finish on testdata/exec/steps.c: exact (function, line) sequences at -O0
# (each checked once against gdb 13; the lines come from the source's @markers, so an edit of the
# program moves them with it), properties at -O2 (calls stepped over, recursion told apart by the
# frame), a breakpoint reached during `next`, `finish` after `step` (a value, an inlined call), a
# libc call through the PLT (compared with gdb), counts, and the refusals (a core, an exited
# program).
. "$SRCROOT/tests/integration/lib.sh"

src="$SRCROOT/testdata/exec/steps.c"
L() { grep -n "@$1 \*/" "$src" | cut -d: -f1; }
main_first=$(L main_first) loop=$(L loop) body=$(L loop_body) add_body=$(L add_body) add_ret=$(L add_ret)
add_end=$((add_ret + 1)) d_test=$(L depth_test) d_base=$(L depth_base) d_rec=$(L depth_rec) d_end=$(($(L depth_rec) + 1))
c_depth=$(L call_depth) c_apply=$(L call_apply) c_twice=$(L call_twice) c_libc=$(L call_libc) c_hook=$(L call_hook)
p_line=$(L print) ret=$(L ret) apply_l=$(L apply) twice_l=$(L twice) hook_l=$(L hook)

# seq FILE: "function:line" of every stop a step command reported (JSON), one per line
seq_of() {
    python3 -c '
import json, sys
for l in open(sys.argv[1]):
    try:
        o = json.loads(l)
    except ValueError:
        continue  # the program'"'"'s own output
    if not isinstance(o, dict):
        continue
    if o.get("command") in ("next", "step", "stepi", "nexti", "until", "advance") and "frame" in o:
        f = o["frame"] or {}
        print("%s:%s" % (f.get("function"), f.get("line")))
' "$1"
}
# cmds N CMD: N times -ex CMD
reps() { local i; for ((i = 0; i < $1; i++)); do printf '%s\n' -ex "$2"; done; }

exe=$(td_bin steps_O0)

# `run` stops where gdb's `start` does: main's first body line
td_cdbg out run "$exe" --batch
expect_line "^Stopped: #0 +0x[0-9a-f]{16} in main at steps\.c:$main_first$" "$out"

# next over the loop and every call, to main's end
mapfile -t a < <(reps 15 next)
td_cdbg out --json run "$exe" --batch "${a[@]}"
expect_status 0 "next x15"
seq_of "$out" > "$TD_TMP/got"
printf 'main:%s\n' $loop $body $loop $body $loop $body $loop $c_depth $c_apply $c_twice $c_libc $c_hook $p_line $ret \
    $((ret + 1)) > "$TD_TMP/want"
expect_exact "$TD_TMP/got" "$TD_TMP/want"

# step into add (three times round the loop), then down the recursion and back up it
mapfile -t a < <(reps 30 step)
td_cdbg out --json run "$exe" --batch "${a[@]}"
expect_status 0 "step x30"
seq_of "$out" > "$TD_TMP/got"
{
    printf 'main:%s\n' $loop $body
    for i in 1 2 3; do
        printf 'add:%s\n' $add_body $add_ret $add_end
        printf 'main:%s\n' $loop
        [ $i -lt 3 ] && printf 'main:%s\n' $body
    done
    printf 'main:%s\n' $c_depth
    for i in 1 2 3; do printf 'depth:%s\n' $d_test $d_rec; done
    printf 'depth:%s\n' $d_test $d_base $d_end $d_rec $d_end $d_rec $d_end
} > "$TD_TMP/want"
expect_exact "$TD_TMP/got" "$TD_TMP/want"

# text: the line alone in the same function, the frame first when the step entered or left one
td_cdbg out run "$exe" --batch -ex next -ex next -ex step
expect_lines "$out" "^=> $loop +for " "^=> $body +total \+= add" '^#0 +0x[0-9a-f]{16} in add at steps\.c:'"$add_body"'$' \
    "^=> $add_body +int r = a \+ b;"

# a call through a function pointer, `finish` after `step` (the value; the caller's frame, whose
# pc starts its next line), a return to the middle of a line that starts a row of it (main's line
# again, as gdb), the inlined call: first shown at its call site (main, the next line), the next
# `step` enters it without running (its frame), `finish` out of it (no value), `next` on
td_cdbg out --json run "$exe" --batch -ex "tbreak steps.c:$c_apply" -ex continue -ex step -ex step -ex finish \
    -ex step -ex step -ex 'print $pc' -ex step -ex 'print $pc' -ex bt -ex finish -ex next
expect_status 0 "step through a function pointer and into an inlined call"
seq_of "$out" > "$TD_TMP/got"
printf '%s\n' apply:$apply_l add:$add_body main:$c_apply main:$c_twice twice:$twice_l main:$c_libc > "$TD_TMP/want"
expect_exact "$TD_TMP/got" "$TD_TMP/want"
expect_line '^\{"command":"stepout","event":"returned","function":"add",.*"frame":\{"level":0,[^}]*"function":"apply",[^}]*"line":'"$((apply_l + 1))"',.*"return":\{"type":"int","value":8\}\}$' "$out"
expect_line '"command":"bt".*"frames":\[\{"level":0,[^}]*"function":"twice"[^}]*"inlined":true\},\{"level":1,[^}]*"function":"main"' "$out"
pcs=$(grep '"expr":"\$pc"' "$out" | grep -oE '"value":"[^"]+' | sort -u | wc -l)
[ "$pcs" = 1 ] && pass "step into an inlined call shown at its call site runs nothing" || fail "the pc moved: $(grep '"expr"' "$out")"
expect_line '^\{"command":"stepout","event":"returned","function":"twice",.*"frame":\{"level":0,[^}]*"function":"main",[^}]*"line":'"$c_twice"',[^}]*\},"inlined":true\}$' "$out"
td_cdbg out run "$exe" --batch -ex "tbreak steps.c:$c_apply" -ex continue -ex step -ex step -ex finish -ex step -ex step \
    -ex step -ex finish
expect_line '^Run till exit from #0 add$' "$out"
expect_line '^Value returned: \$1 = 8$' "$out"
expect_line '^Run till exit from #0 twice$' "$out"
expect_line '^\(twice was an inlined call: it has no return value to show\)$' "$out"
expect_no_line '^Breakpoint -' "$out"
# next stops at the inlined call's site, then goes through it as part of that line
td_cdbg out --json run "$exe" --batch -ex "tbreak steps.c:$c_apply" -ex continue -ex next -ex bt -ex next
seq_of "$out" > "$TD_TMP/got"
printf '%s\n' main:$c_twice main:$c_libc > "$TD_TMP/want"
expect_line '"command":"bt".*"frames":\[\{"level":0,[^}]*"function":"main"' "$out"
expect_exact "$TD_TMP/got" "$TD_TMP/want"

# recursion: `next` over depth(n - 1) in the frame of depth(2) comes back to that frame, not to
# the deeper calls' returns to the same address
td_cdbg out run "$exe" --batch -ex 'break depth if n == 2' -ex continue -ex 'clear 1' -ex next -ex next -ex 'print n' \
    -ex next -ex 'print n'
expect_status 0 "next over a recursive call"
expect_lines "$out" "^=> $d_rec +return 1 \+ depth" "^=> $d_end +\}$" '^\$1 = 2$'
expect_lines "$out" '^#0 +0x[0-9a-f]{16} in depth at steps\.c:'"$d_rec"'$' "^=> $d_rec " '^\$2 = 3$'

# a breakpoint reached while `next` runs over a call stops there and is reported
td_cdbg out run "$exe" --batch -ex "tbreak steps.c:$c_hook" -ex continue -ex 'break hook' -ex next -ex next
expect_lines "$out" '^Breakpoint 2, hit 1 time, thread tid [0-9]+$' '^#0 +0x[0-9a-f]{16} in hook \(i=[0-9]+\) at steps\.c:'"$hook_l"'$|^#0 +0x[0-9a-f]{16} in hook at steps\.c:'"$hook_l"'$'
expect_line "^=> $((hook_l + 1)) +\}$" "$out"

# until: out of the loop without going round it again; until/advance LOCATION
td_cdbg out --json run "$exe" --batch -ex "tbreak steps.c:$body" -ex continue -ex until -ex until \
    -ex "until $c_apply" -ex "advance add"
seq_of "$out" > "$TD_TMP/got"
printf '%s\n' main:$loop main:$c_depth main:$c_apply add:$add_body > "$TD_TMP/want"
expect_exact "$TD_TMP/got" "$TD_TMP/want"
expect_line '"command":"until","event":"location"' "$out"

# counts: one report, at the last line; Enter repeats (the REPL reads stdin here: no repeat, so
# the table's flag is what is checked, by `help`)
td_cdbg out --json run "$exe" --batch -ex 'next 3' -ex 'step 2'
seq_of "$out" > "$TD_TMP/got"
printf '%s\n' main:$loop add:$add_body > "$TD_TMP/want"
expect_exact "$TD_TMP/got" "$TD_TMP/want"

# stepi: one instruction (the pc moves to the next instruction's address), shown with its address
td_cdbg out run "$exe" --batch -ex 'x/2i $pc' -ex stepi -ex 'print/x $pc' -ex 'nexti 2'
expect_status 0 "stepi"
next_pc=$(grep -m2 -oE '^ *(=> )?0x[0-9a-f]+' "$out" | tail -1 | grep -oE '0x[0-9a-f]+')
expect_line "^\\\$1 = $next_pc$" "$out"
expect_line '^#0 +0x[0-9a-f]{16} in main at steps\.c:[0-9]+$' "$out"

# a libc call: `next` steps over it; `step` into printf stops where gdb stops (libc6-dbg: in
# __printf), and steps over it when libc has no debug info
td_cdbg out --json run "$exe" --batch -ex "tbreak steps.c:$c_libc" -ex continue -ex step -ex "tbreak steps.c:$p_line" \
    -ex continue -ex next
seq_of "$out" > "$TD_TMP/got"
printf '%s\n' main:$c_hook main:$ret > "$TD_TMP/want"
expect_exact "$TD_TMP/got" "$TD_TMP/want"
CDBG_DEBUGINFO_PATH=/nonexistent td_cdbg out --json run "$exe" --batch -ex "tbreak steps.c:$p_line" -ex continue -ex step
seq_of "$out" > "$TD_TMP/got"
expect_exact_str "$TD_TMP/got" "main:$ret"
need_tool gdb "the reference for stepping into libc"
gdb -nx -q -batch -ex "break steps.c:$p_line" -ex run -ex step "$exe" >"$TD_TMP/gdb" 2>&1
want_fn=$(sed -nE 's/^([A-Za-z_][A-Za-z0-9_]*) \(.*\) at .*/\1/p' "$TD_TMP/gdb" | tail -1)
td_cdbg out --json run "$exe" --batch -ex "tbreak steps.c:$p_line" -ex continue -ex step
got_fn=$(seq_of "$out" | cut -d: -f1)
[ -n "$want_fn" ] && [ "$got_fn" = "$want_fn" ] && pass "step into printf stops in $got_fn, as gdb does" ||
    fail "step into printf: cdbg stopped in '$got_fn', gdb in '$want_fn' ($(tail -2 "$TD_TMP/gdb" | tr '\n' ' '))"

# -O2: calls are run over (main is all `next` reports until it returns), recursion told apart
exe2=$(td_bin steps_O2)
mapfile -t a < <(reps 40 next)
td_cdbg out --json run "$exe2" --batch "${a[@]}"
# main's lines, then (once main returned) its caller in libc, or the exit
seq_of "$out" | cut -d: -f1 | sed '/^__libc_start_call_main$/,$d' | sort -u > "$TD_TMP/got"
expect_exact_str "$TD_TMP/got" main
td_cdbg out --json run "$exe2" --batch -ex 'break depth if n == 1' -ex continue -ex 'clear 1' -ex finish
expect_line '"command":"stepout","event":"returned","function":"depth",.*"function":"depth".*"return":\{"type":"int","value":1\}' "$out"
td_cdbg out --json run "$exe2" --batch -ex 'break apply' -ex continue -ex step
seq_of "$out" | cut -d: -f1 > "$TD_TMP/got"
expect_exact_str "$TD_TMP/got" "add"

# refusals: a core cannot step; a program that ended says how to start it again
require_cores
core=$(make_core crash_O0) || exit 1
for c in next step stepi until finish; do
    td_cdbg out core "$(td_bin crash_O0)" "$core" --batch -ex "$c"
    expect_status 1 "$c on a core"
    want="cdbg: cannot step: the target is a core file"
    [ "$c" = finish ] && want="cdbg: cannot finish: the target is a core file"
    [ "$(cat "$out.err")" = "$want" ] && pass "$c on a core: one line" || fail "$c on a core: $(cat "$out.err")"
done
td_cdbg out run "$exe" --batch -ex continue -ex next
expect_status 1 "next after the exit"
expect_line '^Process [0-9]+ exited with status 0$' "$out"
[ "$(cat "$out.err")" = 'cdbg: next: the program is not running; `restart` starts it again' ] &&
    pass "next after the exit: one line" || fail "next after the exit: $(cat "$out.err")"
td_finish
