#!/bin/bash
# -e expressions that read memory, copied at the hit by the inline backend's trampoline (issue
# 12), on testdata/trace/ederef.c built here with gcc and clang at -O0 and -O2. f_node overwrites
# everything its argument reaches right after the hit, so a value read after the hit shows -1,
# -2 or "gone":
# - every hit of N: r->x, r->next->x (a two-level chain), r->name (a char array) and r->label (a
#   char pointer: the pointer and its string) hold the call's index, in order, never a later value;
# - the same values as gdb's `print` at a breakpoint there (the first hits), and the same text
#   and JSON as the ptrace backend (which reads with the thread stopped at the hit);
# - a NULL r->next and an unmapped r give the error for that value and the program runs on;
# - a forked child's hit shows the child's own memory (1000), not its parent's (-7);
# - a process under a seccomp filter that kills at process_vm_readv: no copy, the start-up note
#   says why and that the values are read after the hit, and the process lives on.
. "$SRCROOT/tests/integration/lib.sh"
TD_NAME=trace_ederef
need_tool gcc "building the test program"
need_tool clang "building the test program"
need_tool gdb "the reference values"
N=300
EX=(-e 'r->x' -e 'r->next->x' -e 'r->name' -e 'r->label' -e 'GP->x')

# hit_values FILE: "x nx name label" per entry line of the main thread (the first line's tid)
hit_values() {
    local tid
    tid=$(grep -m1 -Eo '\[tid [0-9]+\]' "$1")
    grep -F -- "$tid" "$1" | sed -nE 's/.* r->x=(-?[0-9]+) r->next->x=(-?[0-9]+|<[^>]*>) r->name="([^"\\]*)[^ ]*.* r->label=0x[0-9a-f]+ "([^"]*)".*/\1 \2 \3 \4/p'
}
# norm FILE: addresses, thread IDs and times out
norm() {
    sed -E 's/0x[0-9a-f]+/0xADDR/g; s/\[tid [0-9]+\]/[tid T]/; s/"(ts_ns|tid)":[0-9]+/"\1":0/g' "$1" | grep -E '^[>{]'
}

for cc in gcc clang; do
    for v in O0 O2; do
        exe=$TD_TMP/ederef_${cc}_$v
        "$cc" -g -"$v" -o "$exe" "$SRCROOT/testdata/trace/ederef.c" || { fail "$cc -$v build"; continue; }
        td_cdbg out trace --backend inline "${EX[@]}" '^f_node$' -- "$exe" $N
        expect_status 0 "$cc -$v inline"
        expect_line '^sum ' "$out"
        expect_no_line 'read after the hit' "$out.err"
        expect_no_line '^child failed' "$out"
        hit_values "$out" >"$out.vals"
        bad=$(awk -v n=$N 'NR <= n && ($1 != NR - 1 || $2 != 2 * (NR - 1) || $3 != "n" (NR - 1) || $4 != "L" (NR - 1)) { print; exit }' "$out.vals")
        lines=$(wc -l <"$out.vals")
        [ "$lines" = $((N + 1)) ] && [ -z "$bad" ] && pass "$cc -$v $N hits, each value at its hit" \
            || { fail "$cc -$v: $lines hit lines of the main thread (want $((N + 1))), first wrong: '$bad'"; td_show "$out"; }
        # a chain from a global: the same as r->x at each hit (the child's GP is its own A)
        bad=$(grep -E '^> f_node' "$out" | sed -nE 's/.* r->x=(-?[0-9]+) .* GP->x=(-?[0-9]+|<[^>]*>) .*/\1 \2/p' | awk '$1 != $2 { print; exit } { n++ } END { if (n != '$((N + 2))') print "count " n }')
        [ -z "$bad" ] && pass "$cc -$v GP->x at the hit" || { fail "$cc -$v GP->x: '$bad'"; td_show "$out"; }
        # the NULL r->next: an error for that value, never a number; r->x of the same hit read
        expect_line '^> f_node.* r->x=5 r->next->x=<error: cannot access memory at 0x0> r->name="n5' "$out"
        # the forked child: its own node
        main_tid=$(grep -m1 -Eo '\[tid [0-9]+\]' "$out")
        child=$(grep -F 'r->x=1000 ' "$out" | grep -vF -- "$main_tid")
        case $child in
        *'r->next->x=2000 r->name="n1000'*'"L1000"'*) pass "$cc -$v fork child reads its own memory" ;;
        *) fail "$cc -$v fork child: '$child'"; grep -E 'r->x=(-7|1000) ' "$out" >&2 ;;
        esac
        expect_no_line 'r->x=-7 ' "$out"

        # --if and arithmetic over copied values: at the hit too (r->x is -1 after it)
        td_cdbg iout trace --backend inline --if 'r->x > 1' -e 'r->x + r->next->x' '^f_node$' -- "$exe" $N
        expect_no_line 'read after the hit' "$iout.err"
        itid=$(grep -m1 -Eo '\[tid [0-9]+\]' "$iout")
        got=$(grep -F -- "$itid" "$iout" | sed -nE 's/.* r->x \+ r->next->x=(-?[0-9]+) .*/\1/p' | awk '{ n++; s += $1 } END { print n + 0, s + 0 }')
        want="$((N - 2)) $((3 * ((N - 1) * N / 2 - 1)))"
        [ "$got" = "$want" ] && pass "$cc -$v --if and r->x + r->next->x at the hit" \
            || { fail "$cc -$v --if: hits and sum '$got', want '$want'"; td_show "$iout"; }

        # the ptrace backend reads at the hit with the thread stopped: the same text and JSON
        # (the main thread's hits; the child's may be missing there)
        td_cdbg pout trace --backend ptrace "${EX[@]}" '^f_node$' -- "$exe" $N
        mt=$(grep -m1 -Eo '\[tid [0-9]+\]' "$pout")
        pt=$(grep -m1 -Eo '\[tid [0-9]+\]' "$out")
        grep -F -- "$pt" "$out" | norm /dev/stdin >"$out.n"
        grep -F -- "$mt" "$pout" | norm /dev/stdin >"$pout.n"
        if [ "$(wc -l <"$out.n")" = $((N + 1)) ] && diff "$out.n" "$pout.n" >"$out.diff"; then
            pass "$cc -$v text as the ptrace backend's"
        else
            fail "$cc -$v text differs from the ptrace backend's"; head -5 "$out.diff" >&2
        fi
        td_cdbg jout trace --json --backend inline "${EX[@]}" '^f_node$' -- "$exe" 20
        td_cdbg jpout trace --json --backend ptrace "${EX[@]}" '^f_node$' -- "$exe" 20
        norm "$jout" | head -21 >"$jout.n"
        norm "$jpout" | head -21 >"$jpout.n"
        if [ "$(wc -l <"$jout.n")" = 21 ] && diff "$jout.n" "$jpout.n" >"$jout.diff"; then
            pass "$cc -$v JSON as the ptrace backend's"
        else
            fail "$cc -$v JSON differs from the ptrace backend's"; head -5 "$jout.diff" >&2
        fi
        expect_line '"r->next->x":\{"error":"cannot access memory at 0x0"\}' "$jout"

        # gdb's print at a breakpoint there, for the first hits
        printf 'set pagination off\nbreak f_node\ncommands\nsilent\nprint r->x\nprint r->next->x\nprint r->name\ncontinue\nend\nrun 4\n' >"$TD_TMP/g.gdb"
        timeout 60 gdb -q -batch -x "$TD_TMP/g.gdb" "$exe" 2>/dev/null | sed -nE 's/^\$[0-9]+ = //p' | head -12 >"$TD_TMP/gdb.vals"
        td_cdbg out trace --backend inline "${EX[@]}" '^f_node$' -- "$exe" 4
        grep -E '^> f_node' "$out" | head -4 |
            sed -E 's/.* r->x=(.*) r->next->x=(.*) r->name=(.*) r->label=.*/\1\n\2\n\3/' >"$TD_TMP/cdbg.vals"
        if [ "$(wc -l <"$TD_TMP/gdb.vals")" = 12 ] && cmp -s "$TD_TMP/gdb.vals" "$TD_TMP/cdbg.vals"; then
            pass "$cc -$v values as gdb prints them"
        else
            fail "$cc -$v values differ from gdb's"; diff "$TD_TMP/gdb.vals" "$TD_TMP/cdbg.vals" | head -6 >&2
        fi

        # an unmapped address: the error, and the program goes on to its end
        td_cdbg out trace --backend inline -e 'r->x' -e 'ok' '^f_maybe$' -- "$exe" 3
        expect_status 0 "$cc -$v f_maybe"
        expect_line '^> f_maybe\(r=\(struct node \*\) (0x[0-9a-f]+), ok=0\) .* r->x=<error: cannot access memory at 0x[0-9a-f]+> ok=0' "$out"
        a=$(sed -nE 's/^> f_maybe\(r=\(struct node \*\) (0x[0-9a-f]+).*/\1/p' "$out")
        expect_line "r->x=<error: cannot access memory at $a>" "$out"
        expect_line '^sum ' "$out"
    done
done

# what is not copied says why: a value larger than 256 bytes, an index that is not a constant;
# the rest of the -e of the same probe are still copied
exe=$TD_TMP/ederef_gcc_O0
if [ -x "$exe" ]; then
    td_cdbg out trace --backend inline -e '*b' -e 'b->b[1]' '^f_big$' -- "$exe" 3
    expect_status 0 "f_big"
    expect_line "-e '\\*b': read after the hit \\(inline backend\\): its 300 bytes at f_big are more than the 256 copied at the hit" "$out.err"
    expect_no_line "-e 'b->b\\[1\\]': read after" "$out.err"
    td_cdbg out trace --backend inline -e 'r->name[r->x]' -e 'r->x' '^f_node$' -- "$exe" 3
    expect_line "-e 'r->name\\[r->x\\]': read after the hit \\(inline backend\\): at f_node, not of a form copied" "$out.err"
    expect_no_line "-e 'r->x': read after" "$out.err"
    expect_line '^> f_node.* r->x=2 ' "$out"
    # strings of 209 bytes (the pointer and 201 of its bytes): the fifth, GP->label with GP's
    # load, is past the 1024 bytes a record copies; its string is not printed from a later instant
    td_cdbg out trace --backend inline -e 'r->label' -e '(*r).label' -e 'r[0].label' -e 'r->label' -e 'GP->label' '^f_node$' -- "$exe" 3
    expect_line "-e 'GP->label': read after the hit \\(inline backend\\): the -e before it fill the 1024 bytes a record copies at f_node" "$out.err"
    [ "$(grep -c 'read after the hit' "$out.err")" = 1 ] && pass "one -e over the record's copy" || { fail "not one note"; td_show "$out.err"; }
    expect_line '^> f_node.* r->label=0x[0-9a-f]+ "L2" \(\*r\)\.label=0x[0-9a-f]+ "L2" r\[0\]\.label=0x[0-9a-f]+ "L2" ' "$out"
    # GP->label, not copied, is read when the record is handled: marked so, whatever it reads then
    expect_line '^> f_node.* GP->label=.* \(read after the hit\) \[tid ' "$out"
    expect_no_line ' r->label=[^ ]+ [^ ]+ \(read after' "$out"
fi

# seccomp: a filter that kills the process at a process_vm_readv. The trampoline must not make it.
exe=$TD_TMP/ederef_gcc_O2
if [ -x "$exe" ]; then
    td_start "$exe" seccomp
    grep -q "Seccomp:.*2" /proc/$TD_PID/status && pass "seccomp: the filter is on" || fail "seccomp: no filter"
    td_cdbg out trace -p "$TD_PID" --backend inline --max-hits 20 -e 'r->x' '^f_node$'
    expect_status 0 "seccomp: trace -p"
    expect_line "-e 'r->x': read after the hit \\(inline backend\\): thread [0-9]+ runs under seccomp" "$out.err"
    [ "$(grep -c '^> f_node' "$out")" = 20 ] && pass "seccomp: 20 hits" || { fail "seccomp: not 20 hits"; td_show "$out"; td_show "$out.err"; }
    if _td_running "$TD_PID"; then pass "seccomp: the process runs on"; else fail "seccomp: the process died"; fi
    # and it keeps running after cdbg left: a second look at its calls
    td_cdbg out trace -p "$TD_PID" --backend inline --max-hits 3 -e 'r->x' '^f_node$'
    expect_status 0 "seccomp: a second trace"
    if _td_running "$TD_PID"; then pass "seccomp: still running"; else fail "seccomp: died at the second trace"; fi
fi
td_finish
