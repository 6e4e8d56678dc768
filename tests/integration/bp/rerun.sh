#!/bin/bash
# Breakpoints outlive the process (gdb's rule): after `kill`, and after the program exited, `run`
# sets them again in the new process with the same numbers, the pending one (lib_add, in the library
# testdata/bp/dlmain dlopen()s) resolved again when the library loads, and hit counts that start
# over. The stops and the hit counts after each are compared with gdb's, on the same commands
# (cdbg's `run` stops at main first: one `continue` more there).
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for the breakpoints kept across run"
exe=$(td_bin dlmain)

# gdb: stops as "B<id>", `info breakpoints` as "T <id>:<hits> ..." (a pending one never hit: 0)
timeout 120 gdb -nx -batch -ex 'set breakpoint pending on' -ex 'break lib_add' -ex 'break call_lib' \
    -ex run -ex continue -ex kill -ex run -ex 'info breakpoints' -ex continue -ex 'info breakpoints' \
    -ex continue -ex continue -ex continue -ex run -ex 'info breakpoints' -ex continue -ex 'info breakpoints' \
    "$exe" >"$TD_TMP/gdb.out" 2>&1
gdb_seq() {
    awk '/^Breakpoint [0-9]+, / { sub(/,.*/, "", $2); printf "B%s\n", $2 }
         /^Num +Type/ { if (t != "") print t; t = "T"; next }
         t != "" && /^[0-9]+ +breakpoint/ { t = t " " $1 ":0"; next }
         t != "" && /breakpoint already hit/ { sub(/:0$/, ":" $4, t); next }
         t != "" && !/^[ \t]/ { print t; t = "" }
         END { if (t != "") print t }' "$1"
}
# cdbg: stops as "Breakpoint N, hit K time(s), thread ...", `breakpoints` as "Breakpoint N (spec), hit K times"
cdbg_seq() {
    awk '/^Breakpoint [0-9]+, hit / { sub(/,.*/, "", $2); if (t != "") { print t; t = "" } printf "B%s\n", $2; next }
         /^Breakpoint [0-9]+ \(.*\), hit / { if (t == "") t = "T"; n = $2; sub(/.*\), hit /, ""); sub(/ .*/, "");
                                             t = t " " n ":" $0; next }
         t != "" && !/^    / { print t; t = "" }
         END { if (t != "") print t }' "$1"
}
gdb_seq "$TD_TMP/gdb.out" >"$TD_TMP/want"
# the reference must itself show the case: stops after the kill and after the exit
[ "$(grep -c "^B" "$TD_TMP/want")" = 8 ] && pass "gdb stopped 8 times" ||
    { fail "gdb did not stop 8 times: $(tr '\n' ' ' <"$TD_TMP/want")"; td_show "$TD_TMP/gdb.out"; }

td_cdbg out run "$exe" --batch -ex 'break -pending lib_add' -ex 'break call_lib' \
    -ex continue -ex continue -ex kill -ex run -ex continue -ex breakpoints -ex continue -ex breakpoints \
    -ex continue -ex continue -ex continue -ex run -ex continue -ex breakpoints -ex continue -ex breakpoints
expect_status 0 "kill, run, exit, run"
cdbg_seq "$out" >"$TD_TMP/got"
if cmp -s "$TD_TMP/want" "$TD_TMP/got"; then
    pass "stops and hit counts as gdb's after kill+run and exit+run"
else
    fail "stops and hit counts differ from gdb's (want | got):"
    paste "$TD_TMP/want" "$TD_TMP/got" >&2
    td_show "$out"
fi
expect_line '^Killed process [0-9]+$' "$out"
expect_line '^Process [0-9]+ exited with status 0$' "$out"
# the numbers go on from the kept ones, as gdb's
td_cdbg out run "$exe" --batch -ex 'break call_lib' -ex kill -ex run -ex 'break -pending lib_add' -ex breakpoints
expect_line '^Breakpoint 2 \(lib_add\) pending: ' "$out"
td_finish
