#!/bin/bash
# `cdbg gcore PID` of a live multi-threaded program: the core read back by `cdbg core` and by gdb
# has every thread, every thread's stack and a local's value as the live process shows them; the
# file is 0600; the process runs on, untraced, with no zombie and no SIGCHLD, and its pause (seen
# by its own heartbeat thread) was shorter than the whole dump. Then the same with --no-snapshot.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
need_tool gdb "reading the core back as gdb does"

# 32 MB of heap: a dump long enough that a copy made while the threads were held would show in the
# heartbeat's gap
td_start gcore_prog_O0 4 32
ntask=$(ls "/proc/$TD_PID/task" | wc -l)
td_cdbg live attach "$TD_PID" --batch -ex 'bt all'
expect_status 0 "live bt all"
# every worker's `secret`, live
sel=()
for k in 2 3 4 5; do sel+=(-ex "thread $k" -ex 'frame 2' -ex 'print secret'); done
td_cdbg livevals attach "$TD_PID" --batch "${sel[@]}"
expect_status 0 "live values"
grep -E '^\$[0-9]+ = ' "$livevals" | sed -E 's/^\$[0-9]+ = //' | sort >"$TD_TMP/live.vals"
[ "$(wc -l <"$TD_TMP/live.vals")" -eq 4 ] && pass "four live values" || { fail "live values"; td_show "$livevals"; }

gc_report # the gap so far is not the dump's
core=$TD_TMP/dir/core.x
mkdir -p "$TD_TMP/dir"
td_cdbg out gcore -o "$core" --json "$TD_PID"
expect_status 0 "gcore"
expect_line '"path":"'"$core"'"' "$out"
expect_line '"snapshot":true' "$out"
expect_line "^gcore: process $TD_PID paused [0-9.]+ ms" "$out.err"
[ "$(stat -c %a "$core")" = 600 ] && pass "mode 0600" || fail "core mode $(stat -c %a "$core"), expected 600"
[ "$(ls -A "$TD_TMP/dir")" = core.x ] && pass "no temporary file left" || fail "left in the directory: $(ls -A "$TD_TMP/dir")"
threads=$(sed -nE 's/.*"threads":([0-9]+).*/\1/p' "$out")
[ "$threads" = "$ntask" ] && pass "threads $threads" || fail "gcore says $threads threads, the process has $ntask"

# the process runs on: untraced, no zombie, no SIGCHLD, and it was paused for less than the dump took
check_untraced "$TD_PID"
gc_no_children "$TD_PID"
gc_report
[ "$GC_SIGCHLD" = 0 ] && pass "no SIGCHLD" || fail "the target saw $GC_SIGCHLD SIGCHLD"
total_us=$(sed -nE 's/.*"total_ms":([0-9.]+).*/\1/p' "$out" | awk '{ printf "%d", $1 * 1000 }')
stopped_us=$(sed -nE 's/.*"stopped_ms":([0-9.]+).*/\1/p' "$out" | awk '{ printf "%d", $1 * 1000 }')
[ "$stopped_us" -lt "$total_us" ] && pass "stopped < total" || fail "stopped ${stopped_us}us, total ${total_us}us"

# cdbg core: the same stacks as live (the heartbeat thread aside: it runs), no crash reported
td_cdbg cstk core "$GC_EXE" "$core" --batch -ex 'bt all'
expect_status 0 "core bt all"
gc_blocks "$live" >"$TD_TMP/live.blocks"
gc_blocks "$cstk" >"$TD_TMP/core.blocks"
[ "$(grep -c '^Thread ' "$TD_TMP/live.blocks")" -eq $((ntask - 1)) ] && pass "live blocks" || fail "live blocks"
expect_exact "$TD_TMP/core.blocks" "$TD_TMP/live.blocks"
expect_line '^#[0-9]+ +0x[0-9a-f]+ in heartbeat at .*gcore_prog\.c:[0-9]+$' "$cstk"
[ "$(grep -c '^Thread ' "$cstk")" -eq "$ntask" ] && pass "core threads" || fail "core threads: $(grep -c '^Thread ' "$cstk"), expected $ntask"
cdbg_core_banner() { "$CDBG" core "$GC_EXE" "$core" </dev/null 2>&1; }
cdbg_core_banner >"$TD_TMP/banner"
expect_line "^Core of process $TD_PID " "$TD_TMP/banner"
expect_no_line 'signal|terminated|killed|fault' "$TD_TMP/banner"
td_cdbg cvals core "$GC_EXE" "$core" --batch "${sel[@]}"
grep -E '^\$[0-9]+ = ' "$cvals" | sed -E 's/^\$[0-9]+ = //' | sort >"$TD_TMP/core.vals"
expect_exact "$TD_TMP/core.vals" "$TD_TMP/live.vals"

# gdb: the same threads, stacks (by pc) and values
timeout 120 gdb -nx -batch -q -ex 'set print frame-info location-and-address' -ex 'set backtrace past-main on' \
    -ex 'thread apply all bt full' \
    "$GC_EXE" "$core" >"$TD_TMP/gdb" 2>&1
[ "$(grep -cE '^Thread [0-9]+ \(Thread ' "$TD_TMP/gdb")" -eq "$ntask" ] && pass "gdb threads" ||
    { fail "gdb sees $(grep -cE '^Thread [0-9]+ \(Thread ' "$TD_TMP/gdb") threads, expected $ntask"; td_show "$TD_TMP/gdb"; }
gc_pcs_cdbg "$live" >"$TD_TMP/live.pcs"
gc_pcs_gdb "$TD_TMP/gdb" >"$TD_TMP/gdb.pcs"
# the heartbeat thread's stack moves: its tid is the one whose live stack holds heartbeat()
hb=$(awk '/^Thread [0-9]+ \(tid /{ tid = $4; sub(/,/, "", tid) } / in heartbeat at /{ print tid }' "$live")
grep -v "^$hb " "$TD_TMP/live.pcs" >"$TD_TMP/live.pcs2"
grep -v "^$hb " "$TD_TMP/gdb.pcs" >"$TD_TMP/gdb.pcs2"
[ -n "$hb" ] && [ "$(wc -l <"$TD_TMP/live.pcs2")" -eq $((ntask - 1)) ] && pass "pcs" || fail "live pcs ($hb)"
expect_exact "$TD_TMP/gdb.pcs2" "$TD_TMP/live.pcs2"
grep -E '^ +secret = ' "$TD_TMP/gdb" | sed -E 's/^ +secret = //' | sort >"$TD_TMP/gdb.vals"
expect_exact "$TD_TMP/gdb.vals" "$TD_TMP/live.vals"

# eu-stack: every thread, and the workers' stacks through worker_wait
need_tool eu-stack "reading the core back as elfutils does"
timeout 120 eu-stack --core "$core" -e "$GC_EXE" >"$TD_TMP/eu" 2>&1
[ "$(grep -c '^TID ' "$TD_TMP/eu")" -eq "$ntask" ] && pass "eu-stack threads" ||
    { fail "eu-stack sees $(grep -c '^TID ' "$TD_TMP/eu") threads, expected $ntask"; td_show "$TD_TMP/eu"; }
[ "$(grep -c ' worker_wait$' "$TD_TMP/eu")" -eq 4 ] && pass "eu-stack workers" || { fail "eu-stack workers"; td_show "$TD_TMP/eu"; }

# --no-snapshot: memory copied while held; the same stacks
core2=$TD_TMP/dir/core.held
td_cdbg out2 gcore --no-snapshot -o "$core2" "$TD_PID"
expect_status 0 "gcore --no-snapshot"
expect_exact_str "$out2" "$core2"
check_untraced "$TD_PID"
td_cdbg cstk2 core "$GC_EXE" "$core2" --batch -ex 'bt all'
gc_blocks "$cstk2" >"$TD_TMP/core2.blocks"
expect_exact "$TD_TMP/core2.blocks" "$TD_TMP/live.blocks"
gc_no_children "$TD_PID"
gc_report
[ "$GC_SIGCHLD" = 0 ] && pass "no SIGCHLD" || fail "the target saw $GC_SIGCHLD SIGCHLD"

# The snapshot lets the process run while its memory is copied; the held copy (--no-snapshot) holds
# it. Seen as states, not times (no test may depend on the machine's speed; the pause lengths are
# measured in tests/bench/bench_gcore.sh): cdbg waits inside the copy (CDBG_TEST_GCORE_WAIT), and
# meanwhile the process answers a report (it runs) and no thread is in a tracing stop, or, held,
# every thread is.
_announced() { grep -q "^gcore: test: waiting at $2\$" "$1" 2>/dev/null; }
_traced_stops() { grep -l '^State:.*t (tracing stop)' /proc/"$1"/task/*/status 2>/dev/null | wc -l; }
for mode in snapshot held; do
    phase=copying opt=
    [ "$mode" = held ] && phase=copying-held opt=--no-snapshot
    err=$TD_TMP/inside.$mode.err
    CDBG_TEST_GCORE_WAIT=$phase "$CDBG" gcore $opt -o "$TD_TMP/dir/inside.$mode" "$TD_PID" >/dev/null 2>"$err" &
    c=$!
    TD_PIDS+=("$c")
    td_wait_for "cdbg to wait inside the copy ($mode)" _announced "$err" "$phase" || exit 1
    n=$(_traced_stops "$TD_PID")
    if [ "$mode" = snapshot ]; then
        [ "$n" = 0 ] && pass "snapshot: no thread held while memory is copied" ||
            fail "snapshot: $n threads in a tracing stop while memory is copied"
        gc_report && pass "snapshot: the process runs while its memory is copied" ||
            fail "snapshot: the process did not answer while its memory was copied"
    else
        [ "$n" = "$ntask" ] && pass "held copy: every thread held while memory is copied" ||
            fail "held copy: $n of $ntask threads in a tracing stop while memory is copied"
    fi
    kill -TERM "$c"
    wait "$c"
    rm -f "$TD_TMP/dir/inside.$mode"
done
gc_no_children "$TD_PID"
check_untraced "$TD_PID"
td_finish
