#!/bin/bash
# cdbg core says why the process died, as gdb does: the signal line (the same words as gdb's), the
# fault address from NT_SIGINFO (the address the program printed before writing to it), or the
# process that sent the signal; the crashing thread selected (its TID, printed by the program)
# with its frame and source line, and listed as crashed, not sleeping. Text and JSON.
. "$SRCROOT/tests/integration/lib.sh"
require_cores
need_tool gdb "comparing the opening lines of a core with gdb's"
need_tool python3 "checking the JSON"

src_line() { # MARKER: the line of testdata/spine/segv.c holding "@MARKER"
    grep -n -- "/\* @$1 \*/" "$SRCROOT/testdata/spine/segv.c" | cut -d: -f1
}
write_line=$(src_line segv_write)
[ -n "$write_line" ] || { fail "no @segv_write marker in segv.c"; td_finish; }

# gdb's "Program terminated with signal ..." line for EXE CORE, and "FUNC LINE" of its frame #0.
gdb_view() {
    gdb -nx -batch -ex 'print $_siginfo._sifields._sigfault.si_addr' "$1" "$2" >"$TD_TMP/gdb.out" 2>&1
    gdb_sig=$(grep -m1 '^Program terminated with signal ' "$TD_TMP/gdb.out")
    gdb_frame=$(sed -nE 's/^#0  (0x[0-9a-f]+ in )?([A-Za-z_][A-Za-z0-9_]*) .* at [^ ]*:([0-9]+)$/\2 \3/p' "$TD_TMP/gdb.out" | head -1)
    gdb_addr=$(sed -nE 's/^\$1 = \(void \*\) (0x[0-9a-f]+)$/\1/p' "$TD_TMP/gdb.out")
    [ -n "$gdb_sig" ] || { fail "gdb printed no signal line for $2"; td_show "$TD_TMP/gdb.out"; }
}

for v in O0 O2; do
    exe=$(td_bin "segv_$v")
    for mode in null unmapped readonly; do
        what="segv_$v $mode"
        core=$(make_core "segv_$v" "$mode") || { fail "$what: no core"; continue; }
        read -r _ tid _ addr < <(grep -m1 '^tid ' "$(dirname "$core")/stderr")
        [[ $tid =~ ^[0-9]+$ && $addr =~ ^0x[0-9a-f]+$ ]] || { fail "$what: the program printed no tid/addr"; continue; }
        [ "$mode" = null ] && [ "$addr" != 0x0 ] && fail "$what: printed address $addr, not 0x0"
        code="SEGV_MAPERR: address not mapped to object"
        [ "$mode" = readonly ] && code="SEGV_ACCERR: invalid permissions for mapped object"

        gdb_view "$exe" "$core"
        # without commands, cdbg prints only why it died, as gdb -batch does
        td_cdbg out core "$exe" "$core" --batch
        expect_status 0 "$what: status"
        expect_empty "$out.err" "$what: stderr"
        # the opening lines, in gdb's order: signal, fault, selected thread, frame, source line
        expect_lines "$out" \
            "^$(sed 's/[.]/[.]/g' <<<"$gdb_sig")\$" \
            "^Fault address $addr \\($code\\)\\.\$" \
            "^\\[Current thread is [0-9]+ \\(tid $tid, segv_$v\\)\\]\$" \
            "^#0  0x[0-9a-f]{16} in segv_write at segv\\.c:$write_line\$" \
            "^=> $write_line +\\*p = v; /\\* @segv_write \\*/\$"
        [ "$(head -1 "$out")" = "$gdb_sig" ] && pass "$what: first line is gdb's" ||
            fail "$what: first line '$(head -1 "$out")', gdb's '$gdb_sig'"
        [ "$gdb_frame" = "segv_write $write_line" ] && pass "$what: gdb's frame" ||
            fail "$what: gdb's frame #0 is '$gdb_frame', cdbg's is segv_write at line $write_line"
        [ "$gdb_addr" = "$addr" ] && pass "$what: gdb's si_addr" || fail "$what: gdb's si_addr '$gdb_addr', the program's $addr"
        # the REPL's `core` says the same; the crashing thread is selected, crashed (not sleeping),
        # named after the process (comm)
        td_cdbg out core "$exe" "$core" --batch -ex threads -ex "core $exe $core" -ex threads
        expect_status 0 "$what: status with commands"
        [ "$(grep -c '^Program terminated' "$out")" = 1 ] && pass "$what: said once, by the core command" ||
            fail "$what: 'Program terminated' not printed exactly once (by the core command)"
        expect_lines "$out" "^Core of process [0-9]+ \\(segv_$v\\), 2 threads\$" "^$(sed 's/[.]/[.]/g' <<<"$gdb_sig")\$" \
            "^Fault address $addr \\($code\\)\\.\$" "^\\[Current thread is [0-9]+ \\(tid $tid, segv_$v\\)\\]\$"
        n=$(grep -cE "^\\* +[0-9]+ +$tid +segv_$v +crashed \\(SIGSEGV\\) +segv_write at segv\\.c:$write_line\$" "$out")
        [ "$n" = 2 ] && pass "$what: crashing thread selected and crashed, at open and after core" ||
            { fail "$what: crashing thread $tid selected+crashed in $n of 2 thread lists"; td_show "$out"; }
        expect_no_line "^. +[0-9]+ +$tid .*sleeping" "$out"
        expect_no_line " $mode " "$out" # a name cut from the command line ("segv_O0 null")

        td_cdbg js --json core "$exe" "$core" --batch -ex "core $exe $core" -ex threads
        expect_status 0 "$what: JSON status"
        if python3 - "$js" "$tid" "$addr" "${code%%:*}" "$write_line" <<'PY'; then pass "$what: JSON"; else fail "$what: JSON"; td_show "$js"; fi
import json, sys
path, tid, addr, code, line = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
objs = [json.loads(l) for l in open(path)]
core = next(o for o in objs if o.get("command") == "core")
s = core["signal"]
want = {"number": 11, "name": "SIGSEGV", "description": "Segmentation fault", "tid": tid,
        "code_name": code, "fault_address": addr}
bad = {k: s.get(k) for k in want if s.get(k) != want[k]}
assert not bad, bad
assert "sender_pid" not in s, s
assert s["frame"]["function"] == "segv_write" and s["frame"]["line"] == line, s["frame"]
ths = next(o for o in objs if o.get("command") == "threads")["threads"]
me = [t for t in ths if t["tid"] == tid]
assert len(me) == 1 and me[0]["state"] == "crashed (SIGSEGV)" and me[0]["current"], me
assert all(t["state"] != "crashed (SIGSEGV)" for t in ths if t["tid"] != tid), ths
PY
    done
done

# abort(): the process signalled itself.
core=$(make_core crash_O2) || exit 1
exe=$(td_bin crash_O2)
gdb_view "$exe" "$core"
td_cdbg out core "$exe" "$core" --batch
expect_status 0 "crash_O2: status"
[ "$(head -1 "$out")" = "$gdb_sig" ] && pass "crash_O2: first line is gdb's" ||
    fail "crash_O2: first line '$(head -1 "$out")', gdb's '$gdb_sig'"
expect_line '^Sent by the process itself with tgkill\(\) \(abort, raise or pthread_kill\)\.$' "$out"

# SIGABRT sent by another process (this shell, with kill): who sent it. make_core_of runs in this
# shell, not in $(...), so the sender's PID is $$.
make_core_of threads_O2 3 >"$TD_TMP/core_path" || exit 1
core=$(cat "$TD_TMP/core_path")
exe=$(td_bin threads_O2)
gdb_view "$exe" "$core"
td_cdbg out core "$exe" "$core" --batch
expect_status 0 "threads_O2 kill: status"
[ "$(head -1 "$out")" = "$gdb_sig" ] && pass "threads_O2 kill: first line is gdb's" ||
    fail "threads_O2 kill: first line '$(head -1 "$out")', gdb's '$gdb_sig'"
expect_lines "$out" '^Program terminated with signal SIGABRT, Aborted\.$' \
    "^Sent by process $$ \\(uid $(id -u)\\) with kill\\(\\)\\.\$"
td_cdbg js --json core "$exe" "$core" --batch -ex "core $exe $core"
python3 - "$js" "$$" "$(id -u)" <<'PY' && pass "threads_O2 kill: JSON" || { fail "threads_O2 kill: JSON"; td_show "$js"; }
import json, sys
core = next(json.loads(l) for l in open(sys.argv[1]) if json.loads(l).get("command") == "core")
s = core["signal"]
assert (s["name"], s["code_name"], s["sender_pid"], s["sender_uid"]) == ("SIGABRT", "SI_USER", int(sys.argv[2]), int(sys.argv[3])), s
assert "fault_address" not in s, s
PY
td_finish
