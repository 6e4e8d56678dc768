#!/bin/bash
# `breakpoints` (and `info breakpoints`) with no process (issue 13): after `kill` or the program's
# exit, the breakpoints set so far are listed, as gdb lists them then, instead of "no target": the
# numbers, hit counts, conditions, enabled or not, a pending one as pending, a temporary one gone
# once hit. testdata/cxx/vbase.cpp; the list is compared with gdb's `info breakpoints` field by
# field (number, enabled, hits, condition, pending), and `run` sets them again.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for the breakpoint list"
exe=$(td_bin cxx_vbase_gcc_O0) || exit 1
L=$(grep -n 'int r = vb_stop(' "$SRCROOT/testdata/cxx/vbase.cpp" | cut -d: -f1) # main's call of vb_stop

# fields FILE: "N enabled HITS cond COND [pending]" per breakpoint, from cdbg's list or gdb's table
mine() {
    sed -nE '/^Killed process|exited with status/,$p' "$1" | grep -E '^Breakpoint [0-9]+ ' | while read -r line; do
        n=$(sed -E 's/^Breakpoint ([0-9]+).*/\1/' <<<"$line")
        h=$(sed -E 's/.*, hit ([0-9]+) times?.*/\1/' <<<"$line")
        c=$(sed -nE 's/.*, if (.*)$/\1/p' <<<"$line" | sed -E 's/, (disabled|pending)//g')
        e=y p=
        [[ $line == *", disabled"* ]] && e=n
        [[ $line == *", pending" ]] && p=pending
        echo "$n $e $h cond=$c $p"
    done
}
theirs() {
    sed -n '/^Num /,$p' "$1" | awk '
        function out() { if (n != "") print n, e, h, "cond=" c, p }
        /^[0-9]+ / { out(); n = $1; e = $4; h = 0; c = ""; p = ($5 == "<PENDING>") ? "pending" : ""; next }
        /breakpoint already hit/ { h = $4; next }
        /stop only if/ { sub(/^[ \t]*stop only if /, ""); c = $0; next }
        END { out() }' | sed -E 's/ +$//'
}

set_bps=(-ex 'break vb_stop' -ex 'break -pending nosuch' -ex "tbreak vbase.cpp:$L if d.id > 3"
    -ex "break vbase.cpp:$L if d.id < 0" -ex 'disable 2')
gset_bps=(-ex 'set breakpoint pending on' -ex 'break vb_stop' -ex 'break nosuch' -ex "tbreak vbase.cpp:$L if d.id > 3"
    -ex "break vbase.cpp:$L if d.id < 0" -ex 'disable 2')
# after kill
td_cdbg out run "$exe" --batch "${set_bps[@]}" -ex continue -ex continue -ex kill -ex breakpoints -ex 'info breakpoints'
expect_status 0 "breakpoints after kill" || td_show "$out.err"
timeout 120 gdb -nx -batch "${gset_bps[@]}" -ex run -ex continue -ex kill -ex 'info breakpoints' "$exe" >"$TD_TMP/gdb.kill" 2>&1
mine "$out" | sed -E 's/ +$//' | head -n 3 >"$TD_TMP/mine.kill"
theirs "$TD_TMP/gdb.kill" >"$TD_TMP/theirs.kill"
expect_exact_str "$TD_TMP/mine.kill" '1 y 1 cond=
2 n 0 cond= pending
4 y 0 cond=d.id < 0'
expect_exact "$TD_TMP/mine.kill" "$TD_TMP/theirs.kill"
# info breakpoints says the same as breakpoints
sed -nE '/^Killed process/,$p' "$out" | grep -E '^Breakpoint ' >"$TD_TMP/both"
[ "$(wc -l <"$TD_TMP/both")" = 6 ] && [ "$(head -n 3 "$TD_TMP/both")" = "$(tail -n 3 "$TD_TMP/both")" ] &&
    pass "info breakpoints lists what breakpoints does" || fail "info breakpoints differs from breakpoints with no process"
expect_no_line 'no target' "$out.err"

# after the program's exit, then `run` sets them again (and locations come back)
td_cdbg out run "$exe" --batch -ex 'break vb_stop' -ex "break vbase.cpp:$L if d.id < 0" -ex continue -ex continue \
    -ex breakpoints -ex run -ex breakpoints
expect_status 0 "breakpoints after the exit, and after run" || td_show "$out.err"
timeout 120 gdb -nx -batch -ex 'break vb_stop' -ex "break vbase.cpp:$L if d.id < 0" -ex run -ex continue -ex 'info breakpoints' \
    "$exe" >"$TD_TMP/gdb.exit" 2>&1
sed -n '/exited with status/,/^Stopped:/p' "$out" >"$TD_TMP/exit.part"
mine "$TD_TMP/exit.part" | sed -E 's/ +$//' >"$TD_TMP/mine.exit"
theirs "$TD_TMP/gdb.exit" >"$TD_TMP/theirs.exit"
expect_exact_str "$TD_TMP/mine.exit" '1 y 1 cond=
2 y 0 cond=d.id < 0'
expect_exact "$TD_TMP/mine.exit" "$TD_TMP/theirs.exit"
expect_no_line '^    0x' "$TD_TMP/exit.part" # no stale locations of the process that is gone
expect_line '^    0x[0-9a-f]+ in vb_stop at vbase.cpp:[0-9]+$' "$out" # set again by run

# JSON: the same list, no locations
td_cdbg out run "$exe" --batch --json -ex 'break vb_stop' -ex 'break -pending nosuch' -ex kill -ex breakpoints
expect_status 0 "breakpoints --json with no process" || td_show "$out.err"
expect_line '^\{"command":"breakpoints","breakpoints":\[\{"id":1,"spec":"vb_stop","temporary":false,"hits":0,"condition":null,"locations":\[\]\},\{"id":2,"spec":"nosuch",.*"pending":true,"locations":\[\]\}\]\}$' "$out"
td_finish
