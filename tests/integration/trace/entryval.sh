#!/bin/bash
# Entry values at -O2 (issue 12). entryval.c's work(x, y) needs x for its first line only: at the next
# line (ENTRYVAL_LINE) gcc and clang describe x as DW_OP_entry_value(rdi), whose value only main's
# call site tells (gcc: `rsi * 3 + 7`, rsi being call-clobbered but left alone by work; clang: r12).
#  - the premise, from gdb: x's location there is an entry value;
#  - a session stopped there and at work's first instruction shows gdb's values (`args`);
#  - a FILE:LINE tracepoint there, with each backend: every one of N calls logged once, in order,
#    with x = 3i + 7 and y = i (the count, each value and the sums), in text, with -e x, with --ret
#    (and its return value), in --json.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference values"
need_tool clang "the clang build of entryval.c"
need_tool python3 "reading --json"
line=$(grep -n 'ENTRYVAL_LINE' "$SRCROOT/testdata/trace/entryval.c" | cut -d: -f1)
n=2000

# calls FILE [json]: "count bad sumx sumy" over the calls logged in FILE; bad counts the calls whose
# x or y is not the loop's (call i: x = 3i + 7, y = i) and the lines that are no such call
calls() {
    if [ "${2:-}" = json ]; then
        python3 -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o.get("event") == "entry":
        a = o["args"]
        print("> work(x=%s, y=%s) %s:%s x=%s" % (a["x"], a["y"], o["file"].rsplit("/", 1)[-1], o["line"],
                                               o.get("exprs", {}).get("x", a["x"])))
' "$1"
    else
        cat "$1"
    fi | awk -v line="$line" '
        /^< work = / { # --ret: call i returns ((x + y) & 7) + (y & 7)
            i = c - 1; if ($4 != (4 * i + 7) % 8 + i % 8) bad++; next }
        { if (match($0, /^> work\(x=(-?[0-9]+), y=(-?[0-9]+)\) entryval\.c:[0-9]+/)) {
              split(substr($0, 10), f, /[=,)]/)
              x = f[1]; y = f[3]
              if (x != 3 * c + 7 || y != c || $0 !~ ("entryval\\.c:" line " ")) bad++
              if (index($0, " x=") && $0 !~ (" x=" x "( |$)")) bad++
              sx += x; sy += y; c++
          } else bad++ }
        END { printf "%d %d %d %d\n", c, bad, sx, sy }'
}
want="$n 0 $((3 * n * (n - 1) / 2 + 7 * n)) $((n * (n - 1) / 2))"

for v in gcc_O2 clang_O2; do
    exe=$(td_bin trace_entryval_$v) || { fail "no trace_entryval_$v"; continue; }
    g=$TD_TMP/gdb.$v
    timeout -k 5 "$TD_CDBG_TIMEOUT" gdb -nx -q -batch -ex "break entryval.c:$line" -ex 'break *work' -ex run \
        -ex 'info args' -ex 'print x' -ex c -ex 'info args' -ex 'print x' -ex 'info address x' -ex c -ex 'info args' \
        -ex 'print x' -ex c -ex 'info args' -ex 'print x' --args "$exe" 3 >"$g" 2>&1
    # the premise: at that line x is an entry value (and gdb knows it: x@entry)
    expect_line 'DW_OP_entry_value' "$g"
    expect_line "^Breakpoint 1, work \\(x=x@entry=7, y=y@entry=0\\) at .*entryval.c:$line" "$g"
    td_cdbg out run --batch -ex "break entryval.c:$line" -ex 'break *work' -ex continue -ex 'info args' \
        -ex 'print x' -ex continue -ex 'info args' -ex 'print x' -ex continue -ex 'info args' -ex 'print x' \
        -ex continue -ex 'info args' -ex 'print x' -- "$exe" 3
    expect_status 0 "$v session"
    have=$(grep -E '^([xy]|\$[0-9]+) = ' "$out" | tr '\n' ' ') want_s=$(grep -E '^([xy]|\$[0-9]+) = ' "$g" | tr '\n' ' ')
    [ -n "$want_s" ] && [ "$have" = "$want_s" ] && pass "$v session: $have as gdb" ||
        fail "$v session: cdbg '$have', gdb '$want_s'"
    for be in inline uprobe ptrace; do
        f=$TD_TMP/trace.$v.$be
        # -e x reads x the same way; with --ret (ptrace: the inline backend refuses --ret at a line
        # past a call), the return address the caller is found by is ptrace's breakpoint's. (The
        # uprobe backend's uretprobe hides it in the kernel: x is <optimized out>, docs/tracing.md.)
        extra=()
        [ "$be" = uprobe ] && extra=(-e x)
        [ "$be" = ptrace ] && extra=(--ret)
        td_cdbg out trace --backend "$be" -o "$f" "${extra[@]}" "entryval.c:$line" -- "$exe" "$n"
        expect_status 0 "$v $be"
        got=$(calls "$f")
        [ "$got" = "$want" ] && pass "$v $be: $got" || { fail "$v $be: calls, bad, sums: $got, want $want"; td_show "$f"; }
        expect_line "^cdbg: trace: work \\($be\\): $n hits, 0 dropped$" "$out.err"
    done
    f=$TD_TMP/trace.$v.json
    td_cdbg out trace --json -o "$f" -e x "entryval.c:$line" -- "$exe" "$n"
    expect_status 0 "$v --json"
    got=$(calls "$f" json)
    [ "$got" = "$want" ] && pass "$v --json: $got" || fail "$v --json: calls, bad, sums: $got, want $want"
done
td_finish
