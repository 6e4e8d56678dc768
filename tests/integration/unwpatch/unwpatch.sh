#!/bin/bash
# Backtraces through cdbg's own patched code (src/unwind/patched.c, src/target/patchmap.h): the
# unwinder maps a pc in a fast breakpoint's stub or an inline tracepoint's trampoline back to the
# program's instruction (the frame marked [in cdbg's trampoline], "cdbg_patch": "trampoline") and
# replaces a return address --ret hijacked by the real one from the thread's shadow stack, so the
# frames are gdb's for the unpatched program. testdata/unwpatch, -O0 and -O2:
# - a fast breakpoint's stub faults at its counter (stubfault fastbp): `bt` in the session that
#   patched = gdb's bt at that breakpoint's next hit, the program's frames one by one, and the
#   variables of tick's frame and its caller's are read there;
# - a thread that faulted in the inline record routine and sleeps in its SIGSEGV handler
#   (stubfault inline, `cdbg trace` running): `cdbg stacks` from a second cdbg shows the handler,
#   the signal frame, then the traced function and its callers as gdb shows them at its
#   breakpoint (the probe's address); a gcore of it read by `cdbg core` the same;
# - two threads asleep inside a call whose return --ret hijacked (blockret): `cdbg stacks` from a
#   second cdbg = gdb's `thread apply all bt` on the same program untraced in the same state, frame
#   for frame; JSON marks the restored frame; a gcore of the traced process read by `cdbg core`
#   the same; the process then runs on and returns through the trampoline correctly.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for the frames"

# progframes FILE SRC: the frames in the program's source SRC, as "FUNC SRC:LINE", from cdbg's
# (`#N 0x... in FUNC at SRC:LINE`) or gdb's (`#N [0x... in] FUNC (ARGS) at .../SRC:LINE`) lines;
# a "Thread" line starts a new block ("--")
progframes() {
    sed -nE -e 's/^Thread .*/--/p' \
        -e "s/^#[0-9]+ +(0x[0-9a-f]+ in |\\(inlined\\) +in )?([A-Za-z_][A-Za-z0-9_]*) (\\(.*\\) )?at (.*\\/)?($2:[0-9]+).*/\\2 \\5/p" "$1"
}
# start_fifo PROG ARGS...: PROG with its stdin on a FIFO the test writes with feed; sets P_PID, P_OUT
start_fifo() {
    local dir
    dir=$(mktemp -d "$TD_TMP/p.XXXXXX") || exit 1
    mkfifo "$dir/in" || exit 1
    P_OUT=$dir/out
    "$@" <"$dir/in" >"$P_OUT" 2>"$dir/err" &
    P_PID=$!
    TD_PIDS+=("$P_PID")
    exec {P_FD}>"$dir/in"
    td_wait_for "$1 to print ready" grep -qx ready "$P_OUT" || exit 1
}
feed() { printf '%s' "$1" >&"$P_FD"; }
two_threads() { [ "$(ls "/proc/$1/task" 2>/dev/null | wc -l)" = 2 ]; }
# syscall_is PID TID NR ARG0 ARG2: the thread sleeps in syscall NR with those arguments
syscall_is() {
    local s
    s=$(cat "/proc/$1/task/$2/syscall" 2>/dev/null) || return 1
    set -- $s "$3" "$4" "$5"
    [ "$1" = "$((${10}))" ] && [ "$(($2))" = "$((${11}))" ] && [ "$(($4))" = "$((${12}))" ]
}
# trace_start PID ARGS...: `cdbg trace --backend inline ARGS -p PID` in the background, until it
# says its tracepoints are in; sets T_PID, T_ERR
trace_start() {
    local pid=$1
    shift
    T_ERR=$(mktemp "$TD_TMP/trace.XXXXXX")
    "$CDBG" trace --backend inline "$@" -p "$pid" -o "$T_ERR.rec" 2>"$T_ERR" &
    T_PID=$!
    TD_PIDS+=("$T_PID")
    td_wait_for "cdbg trace to arm" grep -q "tracepoints\? in process $pid" "$T_ERR" || td_show "$T_ERR"
}
trace_stop() {
    kill -INT "$T_PID" 2>/dev/null
    wait "$T_PID" 2>/dev/null
}
# same_frames WHAT WANT GOT: the two progframes lists are equal and not empty
same_frames() {
    if [ -s "$2" ] && cmp -s "$2" "$3"; then pass "$1"
    else fail "$1: frames differ (want, got):"; diff "$2" "$3" >&2; fi
}

for v in O0 O2; do
    sf=$(td_bin "stubfault_$v") || exit 1
    br=$(td_bin "blockret_$v") || exit 1

    # --- a fast breakpoint's stub, in the session that patched it
    td_cdbg out run "$sf" fastbp --batch -ex 'break tick' -ex 'ignore 1 100' -ex continue -ex bt -ex 'print i' \
        -ex up -ex 'print i'
    expect_line '^Thread tid [0-9]+ received signal SIGSEGV' "$out"
    expect_lines "$out" '^\$1 = 1$' '^#1 .* in outer at stubfault\.c:[0-9]+$' '^=> ' '^\$2 = 1$' # tick(1), outer(1)
    expect_line "^#0  0x[0-9a-f]+ in tick at stubfault\\.c:[0-9]+ \\[in cdbg's trampoline\\]\$" "$out"
    timeout 120 gdb -nx -batch -ex 'break tick' -ex run -ex continue -ex bt --args "$sf" fastbp >"$TD_TMP/g.out" 2>&1
    # gdb's bt at the second stop
    grep -A20 '^#0 ' "$TD_TMP/g.out" | progframes /dev/stdin stubfault.c >"$TD_TMP/want"
    sed -n '/^#0 /,$p' "$out" | progframes /dev/stdin stubfault.c | awk '!seen[$0]++' >"$TD_TMP/got"
    same_frames "fast breakpoint stub: bt = gdb's at the breakpoint ($v)" "$TD_TMP/want" "$TD_TMP/got"
    td_cdbg js --json run "$sf" fastbp --batch -ex 'break tick' -ex 'ignore 1 100' -ex continue -ex bt
    grep '"command":"bt"' "$js" | python3 -c 'import json, sys
f = json.loads(sys.stdin.read())["frames"]
assert f[0]["function"] == "tick" and f[0].get("cdbg_patch") == "trampoline", f[0]
assert all("cdbg_patch" not in x for x in f[1:]), f
assert [x["function"] for x in f[1:3]] == ["outer", "main"], f' &&
        pass "fast breakpoint stub: JSON frames ($v)" || { fail "fast breakpoint stub: JSON ($v)"; td_show "$js"; }

    # --- the inline record routine, from another cdbg and in a core
    start_fifo "$sf" inline
    trace_start "$P_PID" '^tick$'
    feed g
    td_wait_for "the SIGSEGV handler" grep -qx 'in the handler' "$P_OUT"
    td_wait_for "the handler to sleep" syscall_is "$P_PID" "$P_PID" 0 3 1
    td_cdbg out stacks "$P_PID"
    expect_status 0 "stacks, inline routine ($v)"
    expect_lines "$out" '^#[0-9]+ +0x[0-9a-f]+ in on_segv at stubfault\.c:[0-9]+$' \
        '<signal handler called>$' "^#[0-9]+ +0x[0-9a-f]+ in tick at stubfault\\.c:[0-9]+ \\[in cdbg's trampoline\\]\$"
    printf g >"$TD_TMP/g1"
    timeout 120 gdb -nx -batch -ex 'break tick' -ex "run inline <$TD_TMP/g1" -ex bt "$sf" >"$TD_TMP/g.out" 2>&1
    grep -A20 '^#0 ' "$TD_TMP/g.out" | progframes /dev/stdin stubfault.c >"$TD_TMP/want"
    sed -n '/in tick at/,$p' "$out" | progframes /dev/stdin stubfault.c >"$TD_TMP/got"
    same_frames "inline record routine: cdbg stacks = gdb's at break tick ($v)" "$TD_TMP/want" "$TD_TMP/got"
    td_cdbg c gcore -o "$TD_TMP/core_sf_$v" "$P_PID"
    expect_status 0 "gcore, inline routine ($v)"
    td_cdbg cb core "$sf" "$TD_TMP/core_sf_$v" -q -ex bt
    progframes "$cb" stubfault.c >"$TD_TMP/gotc"
    sed -n '/^Thread/,$p' "$out" | progframes /dev/stdin stubfault.c | grep -v '^--' >"$TD_TMP/got"
    same_frames "inline record routine: the core's bt = cdbg stacks ($v)" "$TD_TMP/got" "$TD_TMP/gotc"
    trace_stop
    td_stop "$P_PID"
    exec {P_FD}>&-

    # --- --ret: two threads asleep in a hijacked call
    start_fifo "$br"
    ref_pid=$P_PID ref_fd=$P_FD ref_out=$P_OUT
    feed g
    start_fifo "$br"
    trace_start "$P_PID" --ret '^leaf$'
    feed g
    for p in "$ref_pid" "$P_PID"; do
        td_wait_for "two threads" two_threads "$p"
        for t in $(ls /proc/"$p"/task); do
            if [ "$t" = "$p" ]; then td_wait_for "main in leaf's read" syscall_is "$p" "$t" 0 0 2
            else td_wait_for "the thread in leaf's read" syscall_is "$p" "$t" 0 3 2; fi
        done
    done
    timeout 120 gdb -nx -batch -p "$ref_pid" -ex 'thread apply all bt' >"$TD_TMP/g.out" 2>&1
    # gdb lists the threads newest first; cdbg in creation order
    progframes "$TD_TMP/g.out" blockret.c | awk '/^--/ {n++} {b[n] = b[n] $0 "\n"} END {for (i = n; i >= 1; i--) printf "%s", b[i]}' >"$TD_TMP/want"
    td_cdbg out stacks "$P_PID"
    expect_status 0 "stacks, --ret ($v)"
    progframes "$out" blockret.c >"$TD_TMP/got"
    same_frames "--ret: cdbg stacks = gdb's on the untraced program ($v)" "$TD_TMP/want" "$TD_TMP/got"
    expect_no_line 'mapping of no module|trampoline' "$out"
    td_cdbg js stacks "$P_PID" --json
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for th in d["threads"]:
    f = th["frames"]
    r = [x["function"] for x in f if x.get("cdbg_patch") == "return"]
    assert r == ["middle"], (r, f)
    assert [x["function"] for x in f if x.get("cdbg_patch")] == ["middle"], f' "$js" &&
        pass "--ret: JSON marks middle's frame (its return address restored) ($v)" ||
        { fail "--ret: JSON ($v)"; td_show "$js"; }
    td_cdbg c gcore -o "$TD_TMP/core_br_$v" "$P_PID"
    expect_status 0 "gcore, --ret ($v)"
    td_cdbg cb core "$br" "$TD_TMP/core_br_$v" -q -ex 'bt all'
    progframes "$cb" blockret.c >"$TD_TMP/gotc"
    same_frames "--ret: the core's bt all = gdb's on the untraced program ($v)" "$TD_TMP/want" "$TD_TMP/gotc"
    # the process returns through the trampoline as if nothing had looked
    feed x
    td_wait_for "the traced program's end" grep -qx 'leaf gave 121' "$P_OUT" || td_show "$P_OUT"
    trace_stop
    td_stop "$P_PID"
    exec {P_FD}>&-
    td_stop "$ref_pid"
    exec {ref_fd}>&-
done
td_finish
