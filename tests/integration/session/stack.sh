#!/bin/bash
# Stack navigation and the JSON fields of frames and thread dumps, against independent sources:
# `list LINE|FILE:LINE|FUNC` against the source file (sed), addr2line and gdb's `info line`; `bt full` against gdb's
# `bt full`; `up N`/`down N` against the frames gdb shows; signal_frame and inlined against gdb's
# backtrace, module against /proc/PID/maps, threads_total and tids against /proc/PID/task (and
# the core's notes), stopped_ms > 0 live and 0 on a core, optimized_out/unavailable against gdb
# and the DWARF location, and the registers of an outer frame: null where the ABI lets a callee
# clobber them, gdb's values elsewhere.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/session/session_lib.sh"
command -v gdb >/dev/null || { fail "gdb is not installed: this test compares with it"; td_finish; }
src=$SRCROOT/testdata/exec/session.c
step_line=$(marker "$src" step_add)

# --- list -------------------------------------------------------------------------------------
# listing FROM TO ARROW: what `list` prints for lines FROM..TO of session.c, "=> " on line ARROW
listing() {
    local n
    for n in $(seq "$1" "$2"); do
        if [ "$n" = "$3" ]; then printf '=> %-5d %s\n' "$n" "$(sed -n "${n}p" "$src")"; else printf '   %-5d %s\n' "$n" "$(sed -n "${n}p" "$src")"; fi
    done
}
# hit's first line, from its address in the symbol table (addr2line reads the line table itself)
for v in O0 O2; do
    exe=$(td_bin session_$v)
    hit_addr=$(nm "$exe" | awk '$3 == "hit" {print $1}')
    hit_line=$(addr2line -e "$exe" "0x$hit_addr" | sed -E 's/.*:([0-9]+).*/\1/')
    [ -n "$hit_line" ] && pass "addr2line: hit at line $hit_line ($v)" || fail "addr2line found no line for hit ($v)"
    td_cdbg out run "$exe" steps --batch -ex 'break step' -ex continue -ex 'list' -ex 'list' -ex 'list 10' -ex 'list' \
        -ex 'list session.c:40' -ex 'list hit' -ex 'list main'
    expect_status 0 "list ($v)"
    # main's line as gdb tells it (`info line *ADDR`: at -O2 several rows share main's entry, and gdb
    # takes the statement row, where addr2line takes another)
    main_line=$(gdb -nx -batch -ex "info line *0x$(nm "$exe" | awk '$3 == "main" {print $1}')" "$exe" 2>/dev/null |
        sed -nE 's/^Line ([0-9]+) of .*/\1/p')
    expect_exact_str <(sed -n '/^=> [0-9]/,$p' "$out" | tail -n +2) "$(
        listing $((step_line - 5)) $((step_line + 4)) "$step_line"
        listing $((step_line + 5)) $((step_line + 14)) "$step_line"
        listing 5 14 "$step_line"
        listing 15 24 "$step_line"
        listing 35 44 "$step_line"
        listing $((hit_line - 5)) $((hit_line + 4)) "$step_line"
        listing $((main_line - 5)) $((main_line + 4)) "$step_line")"
done
td_cdbg out --json run "$(td_bin session_O0)" steps --batch -ex 'break step' -ex continue -ex 'list session.c:70'
json_check "list (JSON)" <(grep '^{' "$out") '
o = L[-1]
src = open(A[0]).read().split("\n")
want = [{"line": n, "text": src[n - 1], "current": n == int(A[1])} for n in range(65, 75)]
assert o == {"command": "list", "file": A[0], "lines": want}, o' "$src" "$step_line"

# --- bt full, against gdb's bt full (the locals of the program's own frames) --------------------
td_start values_O0
pid=$TD_PID
# user_locals: "func: local line" for each local of each frame in values.c
user_locals() { awk '/^#[0-9]/ {f = ""; if ($0 ~ /values\.c:[0-9]+$/) {f = ($3 == "in") ? $4 : $2} next} f != "" && /^        / {sub(/^ +/, ""); print f ": " $0}'; }
gdb -p "$pid" --batch -nx -ex 'thread 1' -ex 'bt full' 2>/dev/null | user_locals >"$TD_TMP/gdb_full"
td_cdbg out attach "$pid" --batch -ex 'thread 1' -ex 'bt full'
expect_status 0 "bt full"
user_locals <"$out" >"$TD_TMP/cdbg_full"
[ "$(wc -l <"$TD_TMP/gdb_full")" -ge 8 ] && pass "gdb listed the locals" || fail "gdb's bt full: $(cat "$TD_TMP/gdb_full")"
expect_exact "$TD_TMP/cdbg_full" "$TD_TMP/gdb_full"
td_stop "$pid"

# --- the JSON of frames and dumps, and up/down, on threads_O2 with two extra workers -------------
prog_start threads_O2 2
pid=$TD_PID
cat >"$TD_TMP/g.py" <<'PY'
import gdb
def sel(name):
    for t in gdb.selected_inferior().threads():
        if t.name == name:
            t.switch()
            return
    raise gdb.GdbError("no thread " + name)
for name in ("sig-handler", "inline-chain"):
    sel(name)
    print("== bt " + name)
    gdb.execute("bt")
gdb.execute("frame 3")
print("== regs")
for r in ("rip", "rsp", "rbx", "rbp", "r12", "r13", "r14", "r15"):
    print(r, hex(int(gdb.parse_and_eval("$" + r)) & (2**64 - 1)))
PY
gdb -p "$pid" --batch -nx -x "$TD_TMP/g.py" >"$TD_TMP/gdb.out" 2>/dev/null
grep -q '^== regs' "$TD_TMP/gdb.out" && pass "gdb ran" || fail "gdb failed: $(tail -n 5 "$TD_TMP/gdb.out")"
# gdb let the threads go: each must sleep in its call again before cdbg groups them by stack
td_asleep "$pid"
td_cdbg out --json attach "$pid" --batch -ex 'thread 7' -ex bt -ex 'thread 6' -ex bt -ex 'frame 3' -ex regs -ex 'bt all -group' \
    -ex 'threads -group' -ex 'bt all' -ex threads
expect_status 0 "JSON dump"
maps=$TD_TMP/maps
cat /proc/"$pid"/maps >"$maps"
# tid -> comm, from /proc
for t in /proc/"$pid"/task/*; do echo "$(basename "$t") $(cat "$t/comm")"; done >"$TD_TMP/comms"
json_check "signal_frame, inlined, module (bt, against gdb and /proc/PID/maps)" "$out" '
import re
gdb = open(A[0]).read()
maps = []
for line in open(A[1]):
    f = line.split()
    lo, hi = (int(x, 16) for x in f[0].split("-"))
    maps.append((lo, hi, f[5].rsplit("/", 1)[-1] if len(f) >= 6 else None))
def module(pc):
    return [m for lo, hi, m in maps if lo <= int(pc, 16) < hi][0]
def gdb_bt(name):
    part = gdb.split("== bt " + name + "\n")[1].split("==")[0]
    out = []
    for l in part.splitlines():
        if l.startswith("#%d " % len(out)):
            out.append(l)
        elif out:
            break  # the backtrace ended (what follows is `frame 3`)
    return out
bts = [o for o in L if o.get("command") == "bt" and "frames" in o]
for o, name in zip(bts, ("sig-handler", "inline-chain")):
    assert o["name"] == name, o["name"]
    g = gdb_bt(name)
    fr = o["frames"]
    assert [f["level"] for f in fr] == list(range(len(g))), (len(fr), g)
    for f in fr:
        k = f["level"]
        # gdb: the signal trampoline is "<signal handler called>"
        if "<signal handler called>" in g[k]:
            assert f.get("signal_frame") is True, f
        else:
            assert "signal_frame" not in f, f
        # gdb prints no address for the frame an inlined call sits in (nor for the trampoline)
        nxt = g[k + 1] if k + 1 < len(g) else "#99  0x0 in "
        caller_of_inline = re.match(r"#\d+ +0x[0-9a-f]+ in ", nxt) is None and "<signal handler called>" not in nxt
        assert f["inlined"] == caller_of_inline, (f, nxt)
        assert f["module"] == module(f["pc"]), (f, module(f["pc"]))
sig = [f for f in bts[0]["frames"] if f.get("signal_frame")]
assert len(sig) == 1 and sig[0]["level"] == 2 and sig[0]["module"] == "libc.so.6", sig
assert [f["inlined"] for f in bts[1]["frames"][:5]] == [False, True, True, False, False], bts[1]["frames"]
' "$TD_TMP/gdb.out" "$maps"
json_check "registers of an outer frame: null when clobberable, gdb's value otherwise" "$out" '
regs = [o for o in L if o.get("command") == "regs"][0]
assert regs["frame"] == 3, regs
r = regs["registers"]
for n in ("rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11"):
    assert n in r and r[n] is None, (n, r.get(n, "missing"))
g = dict(l.split() for l in open(A[0]).read().split("== regs\n")[1].splitlines() if len(l.split()) == 2)
assert sorted(g) == sorted(["rip", "rsp", "rbx", "rbp", "r12", "r13", "r14", "r15"]), g
for n, v in g.items():
    assert r[n] == v, (n, r[n], v)
fr = [o for o in L if o.get("command") == "frame"][0]
assert fr["level"] == 3 and fr["function"] == "inline_outer" and fr["pc"] == r["rip"], fr
' "$TD_TMP/gdb.out"
json_check "threads_total, tids (against /proc/PID/task), stopped_ms > 0" "$out" '
comms = dict(l.split(" ", 1) for l in open(A[0]).read().splitlines())
comms = {int(t): c for t, c in comms.items()}
user = {"mutex-waiter": "wait_on_mutex", "cond-waiter": "wait_on_cond", "sleeper": "sleeper", "reader": "reader",
        "inline-chain": "inline_outer", "sig-handler": "in_handler", "worker": "parked_worker", "threads_O2": "main"}
groups = [o for o in L if "groups" in o]
assert [o["command"] for o in groups] == ["bt", "threads"], groups
for o in groups:
    assert o["threads_total"] == len(comms), (o["threads_total"], comms)
    assert o["stopped_ms"] > 0, o["stopped_ms"]
    tids = [t for g in o["groups"] for t in g["tids"]]
    assert sorted(tids) == sorted(comms), (tids, comms)
    for g in o["groups"]:
        assert g["count"] == len(g["tids"]) == len(g["ids"]), g
        names = {f["function"] for f in g["frames"]}
        for t in g["tids"]:
            assert user[comms[t]] in names, (t, comms[t], names)
    assert [g["count"] for g in o["groups"]][0] == 2, o["groups"][0]
for o in [o for o in L if o.get("command") in ("bt", "threads") and "threads" in o and "groups" not in o]:
    assert o["stopped_ms"] > 0, o
    assert sorted(t["tid"] for t in o["threads"]) == sorted(comms), o
    for t in o["threads"]:
        assert t["name"] == comms[t["tid"]], t
' "$TD_TMP/comms"
# up N / down N walk the frames gdb shows (inline chain: #1 inline_leaf, #2 inline_mid inlined)
td_cdbg out attach "$pid" --batch -ex 'thread 6' -ex 'up 3' -ex 'down 2' -ex up -ex down -ex 'up 4' -ex 'down 4'
expect_status 0 "up/down"
threads_src=$SRCROOT/testdata/spine/threads.c
fl() { printf '%s\n=> %-5d %s' "$1" "$2" "$(sed -n "${2}p" "$threads_src")"; }
pc3=$(sed -nE 's/^rip (0x[0-9a-f]+)$/\1/p' "$TD_TMP/gdb.out")
pc4=$(sed -nE 's/^#4  (0x[0-9a-f]+) in inline_thread .*/\1/p' "$TD_TMP/gdb.out")
expect_exact_str <(sed -n '/^#3 /,$p' "$out") "$(
    fl "$(printf '#3  0x%016x in inline_outer at threads.c:101' "$pc3")" 101
    echo
    fl '#1  (inlined)          in inline_leaf at threads.c:89' 89
    echo
    fl '#2  (inlined)          in inline_mid at threads.c:95' 95
    echo
    fl '#1  (inlined)          in inline_leaf at threads.c:89' 89
    echo
    fl "$(printf '#5  0x%016x in start_thread at pthread_create.c:442' "$(sed -nE 's/^#5  (0x[0-9a-f]+) in start_thread .*/\1/p' "$TD_TMP/gdb.out" | tail -n 1)")" 442 | head -n 1
    # libc's source is not installed: gdb's line for it, with the path gdb's bt shows
    printf '442\t%s: No such file or directory.\n' \
        "$(sed -nE 's/^#5 .* in start_thread .* at ([^ ]+):442$/\1/p' "$TD_TMP/gdb.out" | tail -n 1)"
    fl '#1  (inlined)          in inline_leaf at threads.c:89' 89)"
[ -n "$pc4" ] && pass "gdb shows inline_thread" || fail "gdb has no inline_thread frame"
check_untraced "$pid"
td_stop "$pid"

# --- a core: stopped_ms 0, threads_total and tids from the core's own notes ---------------------
require_cores
core=$(make_core_of threads_O2 2) || exit 1
td_cdbg out --json core "$(td_bin threads_O2)" "$core" --batch -ex 'bt all -group' -ex threads
expect_status 0 "core dump JSON"
json_check "core: stopped_ms 0, threads_total and tids from the PRSTATUS notes" "$out" '
tids = sorted(int(t) for t in A)
g, t = L
assert g["stopped_ms"] == 0 and t["stopped_ms"] == 0, (g["stopped_ms"], t["stopped_ms"])
assert g["threads_total"] == len(tids) == 9, (g["threads_total"], tids)
assert sorted(x for gr in g["groups"] for x in gr["tids"]) == tids, g
assert sorted(x["tid"] for x in t["threads"]) == tids, t
' $(eu-readelf -n "$core" | sed -nE '/PRSTATUS/,/PRPSINFO|SIGINFO/ s/^ +pid: ([0-9]+),.*/\1/p')

# --- optimized out and unavailable (session block, -O2) -----------------------------------------
prog_start session_O2 block
pid=$TD_PID
gdb -p "$pid" --batch -nx -ex 'frame function holder' -ex 'info locals' -ex 'info address keep' 2>/dev/null >"$TD_TMP/gdb_block"
expect_line '^lost = <optimized out>$' "$TD_TMP/gdb_block"
# keep lives in rsi at the call, which the callee may clobber: not recoverable in holder's frame
expect_line '^Symbol "keep" is (multi-location:|a variable in \$rsi)' "$TD_TMP/gdb_block"
expect_line 'in \$rsi' "$TD_TMP/gdb_block"
td_cdbg out --json attach "$pid" --batch -ex 'bt' -ex 'frame 3' -ex locals -ex 'print keep' -ex 'print lost' -ex regs
expect_status 0 "optimized out/unavailable (JSON)"
json_check "optimized_out, unavailable, null rsi" "$out" '
bt, fr, loc, pk, pl, regs = L
assert [f["function"] for f in bt["frames"][:4]] == ["__libc_pause", "parked", "parked_asm", "holder"], bt["frames"]
assert fr["function"] == "holder" and fr["level"] == 3, fr
assert loc == {"frame": 3, "locals": [{"name": "lost", "type": "int", "value": {"optimized_out": True}},
                                      {"name": "keep", "type": "int", "value": {"unavailable": True}}]}, loc
assert pk == {"expr": "keep", "type": "int", "value": {"unavailable": True}}, pk
assert pl == {"expr": "lost", "type": "int", "value": {"optimized_out": True}}, pl
assert regs["registers"]["rsi"] is None and regs["registers"]["rip"] == fr["pc"], regs'
td_cdbg out attach "$pid" --batch -ex 'frame 3' -ex locals
expect_exact_str <(tail -n 2 "$out") 'lost = <optimized out>
keep = <unavailable>'
td_finish
