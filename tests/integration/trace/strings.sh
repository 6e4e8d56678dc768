#!/bin/bash
# Strings a trace prints (issue 12): a char pointer's text must be the hit's, never bytes read later
# (testdata/trace/strings.c, built here: a literal, a heap string freed and reused right after the
# call, a 300-byte string).
# - inline (and auto, which takes it): the trampoline copies the string of every char pointer
#   argument and `-e s` at the hit; the text, `-e '*s'` and --json equal the ptrace backend's (which
#   reads while the thread is stopped at the hit) and gdb's `print s` / `print *s` at `break show`;
#   the 300-byte string is cut at print's 200 bytes with "...";
# - uprobe: what it reads from the process after the hit is marked "(read after the hit)" in text
#   and named in the event's "late" in JSON, never a silent later value;
# - --ret on the inline backend: calls still running when the trace ends (two threads in nap()
#   at SIGTERM) are said apart, never counted as lost returns.
. "$SRCROOT/tests/integration/lib.sh"
TD_NAME=trace_strings
need_tool gcc "building strings.c"
need_tool gdb "the reference values"
norm() { sed -E 's/0x[0-9a-f]+/0x?/g; s/ \[tid [0-9]+\]//; s/ \([0-9.]+ [mµn]?s\)//' "$1" | grep '^[<>]'; }
uprobe_ok() { ! { grep -q 'uprobe PMU\|perf_event_paranoid\|not supported' "$1.err" && [ "$TD_RC" != 0 ]; }; }
for v in O0 O2; do
    exe=$TD_TMP/strings_$v
    gcc -g -"$v" -pthread -o "$exe" "$SRCROOT/testdata/trace/strings.c" || { fail "gcc -$v strings.c"; continue; }
    td_cdbg ref trace --backend ptrace --ret -e s -e '*s' '^(show|pick)$' -- "$exe"
    expect_status 0 "ptrace ($v)"
    expect_line '^> show\(s=0x[0-9a-f]+ "heap-string", n=2\) .* s=0x[0-9a-f]+ "heap-string" \*s=104 .h. ' "$ref"
    expect_line '^< pick = 0x[0-9a-f]+ "efghijklmn" ' "$ref"
    # gdb at the same calls
    gdb -batch -ex 'break show' -ex run -ex 'print s' -ex 'print *s' -ex c -ex 'print s' -ex 'print *s' \
        -ex c -ex 'print s' -ex 'print *s' -ex kill "$exe" 2>/dev/null | sed -nE 's/^\$[0-9]+ = (0x[0-9a-f]+ )?//p' >"$TD_TMP/gdb_$v"
    [ "$(wc -l <"$TD_TMP/gdb_$v")" = 6 ] && pass "gdb printed 6 values ($v)" || { fail "gdb ($v)"; td_show "$TD_TMP/gdb_$v"; }
    for b in inline auto; do
        td_cdbg out trace --backend $b --ret -e s -e '*s' '^(show|pick)$' -- "$exe"
        expect_status 0 "$b ($v)"
        expect_line "^cdbg: trace: 2 tracepoints in process [0-9]+: pick \\(inline\\) show \\(inline\\)" "$out.err"
        if [ "$(norm "$out")" = "$(norm "$ref")" ]; then pass "$b = ptrace ($v)"; else
            fail "$b differs from ptrace ($v)"; diff <(norm "$ref") <(norm "$out") >&2; fi
        # the argument, then -e '*s', per call, against gdb's
        sed -nE 's/^> show\(s=0x[0-9a-f]+ (.*), n=[0-9]\) .* \*s=(.*) \[tid.*/\1\n\2/p' "$out" >"$TD_TMP/ours"
        if cmp -s "$TD_TMP/ours" "$TD_TMP/gdb_$v"; then pass "$b = gdb's print s, print *s ($v)"; else
            fail "$b differs from gdb ($v)"; diff "$TD_TMP/gdb_$v" "$TD_TMP/ours" >&2; fi
        expect_no_line '^[<>].*(OVERWRITTEN|read after the hit|not copied)' "$out"
        expect_line '^> show\(s=0x[0-9a-f]+ "(abcdefghijklmnopqrstuvwxyz){7}abcdefghijklmnopqr"\.\.\., n=3\)' "$out"
        expect_no_line 'read after the hit' "$out.err"
    done
    # the arguments alone (no -e s whose copy they could share)
    td_cdbg out trace --backend inline '^show$' -- "$exe"
    sed -nE 's/^> show\(s=0x[0-9a-f]+ (.*), n=[0-9]\) .*/\1/p' "$out" >"$TD_TMP/ours"
    if cmp -s "$TD_TMP/ours" <(sed -n '1p;3p;5p' "$TD_TMP/gdb_$v"); then pass "inline arguments = gdb's print s ($v)"; else
        fail "inline arguments differ from gdb ($v)"; diff <(sed -n '1p;3p;5p' "$TD_TMP/gdb_$v") "$TD_TMP/ours" >&2; fi
    # JSON: the inline backend's values are all the hit's; uprobe names what it read later
    td_cdbg out trace --backend inline --json -e s -e '*s' '^show$' -- "$exe"
    expect_line '"exprs":\{"s":"0x[0-9a-f]+","\*s":104\}\}$' "$out"
    expect_no_line '"late"' "$out"
    td_cdbg out trace --backend uprobe --ret -e s -e '*s' '^(show|pick)$' -- "$exe"
    if uprobe_ok "$out"; then
        expect_status 0 "uprobe ($v)"
        expect_line '^< pick = 0x[0-9a-f]+ .* \(read after the hit\) \(' "$out"
        # every string and `*s` is marked, whatever it reads (the program may have ended)
        vals=$(grep -oE '(s=0x[0-9a-f]+ |\*s=)("[^"]*"(\.\.\.)?|<[^>]*>|-?[0-9]+ '"'[^']*'"')( \(read after the hit\))?' "$out")
        n=$(printf '%s\n' "$vals" | grep -c .)
        m=$(printf '%s\n' "$vals" | grep -c '(read after the hit)$')
        [ "$n" = 12 ] && [ "$m" = 12 ] && pass "uprobe: 12 of 12 values marked ($v)" ||
            { fail "uprobe: $m of $n values marked, want 12 of 12 ($v)"; td_show "$out"; }
        expect_line '^> show\(s=.*, n=1\) ' "$out"
        td_cdbg out trace --backend uprobe --json -e s -e '*s' '^show$' -- "$exe"
        # (a char pointer's JSON is its address, the hit's: only `*s` reads memory)
        n=$(grep -c '"late":\["\*s"\]}$' "$out")
        [ "$n" = 3 ] && pass "uprobe JSON: late at each call ($v)" || { fail "uprobe JSON: $n calls with late"; td_show "$out"; }
    fi
done

# --ret: two calls of nap running when the trace ends are not lost returns
exe=$TD_TMP/strings_O0
flag=$TD_TMP/wake
tout=$TD_TMP/nap.out
"$CDBG" trace --backend inline --ret -o "$tout" '^nap$' -- "$exe" wait "$flag" >"$TD_TMP/nap.stdout" 2>"$TD_TMP/nap.err" </dev/null &
cpid=$!
TD_PIDS+=("$cpid")
two_naps() { [ "$(grep -c '^> nap(' "$tout" 2>/dev/null)" = 2 ]; }
if td_wait_for "two calls of nap" two_naps; then
    prog=$(sed -nE 's/^cdbg: trace: 1 tracepoint in process ([0-9]+):.*/\1/p' "$TD_TMP/nap.err")
    kill -TERM "$cpid"
    wait "$cpid"
    rc=$?
    [ "$rc" = 143 ] && pass "SIGTERM: 143" || fail "cdbg after SIGTERM: $rc, want 143"
    expect_line '^cdbg: trace: 2 calls of nap were still running when the trace ended \(not lost' "$TD_TMP/nap.err"
    expect_no_line 'returns? lost' "$TD_TMP/nap.err"
    expect_no_line 'returns? lost' "$tout"
    touch "$flag"
    ended() { [ -n "$prog" ] && ! [ -e "/proc/$prog" ] || grep -q ' Z ' "/proc/$prog/stat" 2>/dev/null; }
    td_wait_for "the program's end after the trace" ended
fi
td_finish
