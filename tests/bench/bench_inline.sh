#!/bin/bash
# The inline tracepoint backend against uftrace, in one run, on one program: testdata/inline/hot.c
# built with -pg -mfentry -mnop-mcount (the build uftrace's dynamic patching needs: Debian's
# uftrace has no capstone, so it patches the 5-byte nop that -mnop-mcount leaves at each entry;
# cdbg relocates whatever the function starts with, here that nop). One int argument logged at
# every call of work(), written to a file.
#   untraced        the program alone: its loop's calls/s
#   uftrace         `uftrace record -P work -A work@arg1` (entry AND exit, with the argument):
#                   calls / wall seconds of the whole record (launch, both loops, flush)
#   cdbg launched   the backend armed before the loop (tests/unit/test_inline.c --bench launch),
#                   records written to a file in binary: records / seconds from the first call to
#                   the last record written; with drops, if any
#   cdbg attached   armed while a long loop already runs (--bench attach), traced for one
#                   second, unpatched: records / seconds from arm to the last record written
#   trace text/json `cdbg trace --backend inline -o FILE` (text, --json): the compiled plan
#   trace ... gen   the same with CDBG_TRACE_PLAN=off: the general path for every hit
#   --ret           entry and return: uftrace, cdbg inline --ret, cdbg uprobe --ret (below)
# Not a test: numbers depend on the machine and its load (run it on a quiet machine).
# usage: bash tests/bench/bench_inline.sh [CALLS]     (default 5,000,000 per loop; the program
#        runs two loops)
set -euo pipefail
SRCROOT=${SRCROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$SRCROOT/build}
N=${1:-5000000}
drv=$BUILD/tests/unit/unit_test_inline
[ -x "$drv" ] || { echo "bench_inline: $drv is missing: build first (meson compile -C build)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" # a -pg program writes gmon.out where it runs
cc -O2 -g -pg -mfentry -mnop-mcount -fno-pie -no-pie -D_GNU_SOURCE -o "$tmp/hot" "$SRCROOT/testdata/inline/hot.c" -lpthread

loop_s() { sed -n "s/^$1 .*ns=\([0-9]*\).*/\1/p" | awk '{printf "%.3f", $1 / 1e9}'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.2f M", n / s / 1e6; else print "-" }'; }

# End to end, the default ring, ROUNDS rounds (default 3) of the same three runs one after the other
# (the load moves between rounds; each round's three runs see about the same): uftrace launching
# the program; `cdbg trace` launching it; `cdbg trace -p` attached to it while it waits before its
# loops (timed from the byte that starts them to cdbg's exit: every record written). 2 x N calls,
# one int argument logged at every call, to a new file each time (an overwritten one costs the
# filesystem's truncation too). hits/s = calls logged / wall seconds; "cdbg CPU" is cdbg's own.
e2e() {
ROUNDS=${ROUNDS:-3}
if command -v uftrace >/dev/null && [ "$ROUNDS" -gt 0 ]; then
    echo
    echo "end to end, default ring: $((2 * N)) calls of work, one int argument logged to a file"
    printf '%-5s %-22s %10s %9s %9s %8s %s\n' round what logged dropped seconds hits/s "cdbg CPU ns/hit; CPU of every process ns/call"
    calls=$((2 * N))
    for r in $(seq 1 "$ROUNDS"); do
        rm -rf "$tmp/uf.data"
        t0=$(date +%s.%N)
        (cd "$tmp" && /usr/bin/time -o "$tmp/time" -f '%U %S' uftrace record -d "$tmp/uf.data" -P work -A work@arg1 "$tmp/hot" "$N" 1 run >/dev/null 2>&1) || true
        t1=$(date +%s.%N)
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        all=$(awk -v n="$calls" '{ printf "%.0f", ($1 + $2) * 1e9 / n }' "$tmp/time")
        printf '%-5s %-22s %10s %9s %9s %8s %s\n' "$r" "uftrace record" "$calls" 0 "$s" "$(rate "$calls" "$s")" "-; $all (binary; replay not included)"
        # launched
        rm -f "$tmp/e2e.txt" "$tmp/stat"
        pre=()
        command -v perf >/dev/null && pre=(perf stat --no-inherit -x, -e task-clock -o "$tmp/stat")
        t0=$(date +%s.%N)
        /usr/bin/time -o "$tmp/time" -f '%U %S' "${pre[@]}" "$BUILD/cdbg" trace -o "$tmp/e2e.txt" '^work$' -- "$tmp/hot" "$N" 1 run >/dev/null 2>"$tmp/e2e.err" || true
        t1=$(date +%s.%N)
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        hits=$(grep -c '^> work' "$tmp/e2e.txt" || true)
        drops=$(sed -n 's/^cdbg: trace: [0-9]* hits, [0-9]* shown, \([0-9]*\) dropped.*/\1/p' "$tmp/e2e.err" | tail -1)
        cpu=$([ -s "$tmp/stat" ] && awk -F, -v n="$hits" '/task-clock/ { if (n > 0) printf "%.0f", $1 * 1e6 / n }' "$tmp/stat")
        all=$(awk -v n="$calls" '{ printf "%.0f", ($1 + $2) * 1e9 / n }' "$tmp/time")
        printf '%-5s %-22s %10s %9s %9s %8s %s\n' "$r" "cdbg trace -- PROG" "$hits" "${drops:-?}" "$s" "$(rate "$hits" "$s")" "${cpu:--}; $all"
        # attached: the program waits on a FIFO before each loop
        rm -f "$tmp/e2e.txt" "$tmp/stat" "$tmp/fifo"
        mkfifo "$tmp/fifo"
        "$tmp/hot" "$N" 1 <"$tmp/fifo" >"$tmp/hot.out" 2>&1 &
        hp=$!
        exec 7>"$tmp/fifo"
        until grep -q ready "$tmp/hot.out" 2>/dev/null; do sleep 0.05; done
        "${pre[@]}" "$BUILD/cdbg" trace -p "$hp" -o "$tmp/e2e.txt" '^work$' >/dev/null 2>"$tmp/e2e.err" &
        cp=$!
        until grep -q 'tracepoint.* in process' "$tmp/e2e.err" 2>/dev/null; do sleep 0.05; done
        t0=$(date +%s.%N)
        printf 'ab' >&7
        exec 7>&-
        wait "$cp" || true
        t1=$(date +%s.%N)
        wait "$hp" || true
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        hits=$(grep -c '^> work' "$tmp/e2e.txt" || true)
        drops=$(sed -n 's/^cdbg: trace: [0-9]* hits, [0-9]* shown, \([0-9]*\) dropped.*/\1/p' "$tmp/e2e.err" | tail -1)
        cpu=$([ -s "$tmp/stat" ] && awk -F, -v n="$hits" '/task-clock/ { if (n > 0) printf "%.0f", $1 * 1e6 / n }' "$tmp/stat")
        printf '%-5s %-22s %10s %9s %9s %8s %s\n' "$r" "cdbg trace -p (attached)" "$hits" "${drops:-?}" "$s" "$(rate "$hits" "$s")" "${cpu:--}"
        echo "      load: $(cut -d' ' -f1-3 /proc/loadavg)"
    done
fi
}
# E2E_ONLY=1: only this part
if [ -n "${E2E_ONLY:-}" ]; then e2e; exit 0; fi

printf '%-16s %12s %10s %12s %s\n' what hits seconds hits/s notes

out=$("$tmp/hot" "$N" 1 run)
s=$(echo "$out" | loop_s done)
printf '%-16s %12s %10s %12s %s\n' untraced "$N" "$s" "$(rate "$N" "$s")" "calls/s, no tracing"

if command -v uftrace >/dev/null; then
    t0=$(date +%s.%N)
    out=$(cd "$tmp" && /usr/bin/time -f 'cpu %U %S' uftrace record -d "$tmp/uftrace.data" -P work -A work@arg1 "$tmp/hot" "$N" 1 run 2>&1)
    t1=$(date +%s.%N)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    calls=$(( 2 * N ))
    ls1=$(echo "$out" | loop_s done)
    cpu=$(echo "$out" | awk -v n="$calls" '/^cpu / { printf "%.0f", ($2 + $3) * 1e9 / n }')
    printf '%-16s %12s %10s %12s %s\n' uftrace "$calls" "$s" "$(rate "$calls" "$s")" "entry+exit; first loop alone ${ls1}s: $(rate "$N" "$ls1"); CPU of every process ${cpu} ns/call"
else
    echo "uftrace: not installed (apt-get install uftrace)"
fi

line=$("$drv" --bench launch "$tmp/hot" "$N" "$tmp/cdbg.bin")
rec=$(echo "$line" | awk '{print $2}')
drops=$(echo "$line" | awk '{print $4}')
s=$(echo "$line" | awk '{print $6}')
ls1=$(echo "$line" | awk '{print $10}')
printf '%-16s %12s %10s %12s %s\n' "cdbg launched" "$rec" "$s" "$(rate "$rec" "$s")" "entry; drops $drops; loop ${ls1}s: $(rate "$N" "$ls1")"
# attached to a loop of 2,000,000,000 calls already running: one second traced
if line=$("$drv" --bench attach "$tmp/hot" 2000000000 "$tmp/cdbg.bin" 2>"$tmp/attach.err"); then
    rec=$(echo "$line" | awk '{print $2}')
    drops=$(echo "$line" | awk '{print $4}')
    s=$(echo "$line" | awk '{print $6}')
    printf '%-16s %12s %10s %12s %s\n' "cdbg attached" "$rec" "$s" "$(rate "$rec" "$s")" "entry; drops $drops; 1 s traced, then the ring read"
else
    printf '%-16s %s\n' "cdbg attached" "failed: $(tail -1 "$tmp/attach.err")"
fi

# `cdbg trace` end to end (the trace core: values, formatting, the file), text and --json, with the
# compiled plan (the default) and with the general path (CDBG_TRACE_PLAN=off: a snapshot target and
# the DWARF evaluator per hit, as every hit was handled before the plan): hits logged / wall seconds
# of the whole command, the drops it reported, and cdbg's own CPU time per hit logged (perf stat
# --no-inherit: the traced program's time left out), when perf is there.
# EXTRA (environment): more options for these runs, e.g. EXTRA='--buffer-size 6G'; BIG: the
# --buffer-size of the last row (default 4G, empty: no such row).
if "$BUILD/cdbg" trace --help 2>&1 | grep -q -- --backend; then
    trace_row() { # trace_row LABEL PLANMODE JSONFLAG
        local label=$1 mode=$2 json=$3 t0 t1 s hits drops cpu=""
        local pre=()
        command -v perf >/dev/null && pre=(perf stat --no-inherit -x, -e task-clock -o "$tmp/stat")
        rm -f "$tmp/stat"
        t0=$(date +%s.%N)
        CDBG_TRACE_PLAN=$mode "${pre[@]}" "$BUILD/cdbg" trace $json ${EXTRA:-} --backend inline -o "$tmp/trace.txt" '^work$' \
            -- "$tmp/hot" "$N" 1 run >/dev/null 2>"$tmp/trace.err" || true
        t1=$(date +%s.%N)
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        if [ -n "$json" ]; then hits=$(grep -c '"event":"entry"' "$tmp/trace.txt" || true); else hits=$(grep -c '^> work' "$tmp/trace.txt" || true); fi
        drops=$(sed -n 's/.* \([0-9]*\) dropped.*/\1/p' "$tmp/trace.err" | tail -1)
        [ -s "$tmp/stat" ] && cpu=$(awk -F, -v n="$hits" '/task-clock/ { if (n > 0) printf "; cdbg CPU %.0f ns/hit", $1 * 1e6 / n }' "$tmp/stat")
        printf '%-16s %12s %10s %12s %s\n' "$label" "$hits" "$s" "$(rate "$hits" "$s")" "dropped ${drops:-?}$cpu"
    }
    trace_row "trace text" on ""
    trace_row "trace json" on --json
    trace_row "trace text gen" off ""
    trace_row "trace json gen" off --json
    # a ring that holds the whole run (--buffer-size): nothing dropped, so the CPU of every process
    # (cdbg and the program, user+sys) per call compares with uftrace's above whatever the load;
    # the wall time is then the CPU share this machine gives the reader
    if [ -n "${BIG-4G}" ]; then
        t0=$(date +%s.%N)
        /usr/bin/time -o "$tmp/time" -f '%U %S' "$BUILD/cdbg" trace --buffer-size "${BIG-4G}" --backend inline \
            -o "$tmp/trace.txt" '^work$' -- "$tmp/hot" "$N" 1 run >/dev/null 2>"$tmp/trace.err" || true
        t1=$(date +%s.%N)
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        hits=$(grep -c '^> work' "$tmp/trace.txt" || true)
        drops=$(sed -n 's/.* \([0-9]*\) dropped.*/\1/p' "$tmp/trace.err" | tail -1)
        cpu=$(awk -v n="$hits" '{ if (n > 0) printf "%.0f", ($1 + $2) * 1e9 / n }' "$tmp/time")
        printf '%-16s %12s %10s %12s %s\n' "trace text big" "$hits" "$s" "$(rate "$hits" "$s")" "--buffer-size ${BIG-4G}: dropped ${drops:-?}; CPU of every process ${cpu} ns/hit"
    fi
fi
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

e2e

# --ret: entry AND return of every call (the return value and duration), one run, the same program
# and call count for each: uftrace (it records returns by default: its mcount return trampoline),
# `cdbg trace --ret` with the inline backend (a return trampoline and a per-thread shadow stack in
# the process) and with the uprobe backend (uretprobes: a kernel trap per entry and per return).
# Text output to a file. Per tool: the whole run's wall seconds, the records it wrote, and the
# traced program's own first loop (its calls/s under the probes: the cost in the program).
# RET_CALLS calls per loop (default 500,000; the program runs two loops); RET_BUF, when set, is
# cdbg's --buffer-size (a ring that holds the whole run: nothing dropped however slow the text).
RN=${RET_CALLS:-500000}
calls=$((2 * RN))
echo
echo "--ret: $calls calls of work (two loops of $RN), entry + return each"
printf '%-22s %10s %9s %12s %s\n' what records seconds loop-calls/s notes
if command -v uftrace >/dev/null; then
    t0=$(date +%s.%N)
    out=$(cd "$tmp" && uftrace record -d "$tmp/uftrace2.data" -P work -A work@arg1 "$tmp/hot" "$RN" 1 run 2>&1)
    t1=$(date +%s.%N)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    ls1=$(echo "$out" | loop_s done)
    printf '%-22s %10s %9s %12s %s\n' uftrace "$((2 * calls))" "$s" "$(rate "$RN" "$ls1")" "binary; none lost"
fi
for be in inline uprobe; do
    t0=$(date +%s.%N)
    "$BUILD/cdbg" trace --backend $be ${RET_BUF:+--buffer-size $RET_BUF} --ret -o "$tmp/ret_$be.txt" '^work$' -- "$tmp/hot" "$RN" 1 run >"$tmp/ret_$be.out" 2>"$tmp/ret_$be.err" || true
    t1=$(date +%s.%N)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    recs=$(grep -c '^[<>] work' "$tmp/ret_$be.txt" || true)
    ls1=$(loop_s done <"$tmp/ret_$be.out")
    printf '%-22s %10s %9s %12s %s\n' "cdbg --ret $be" "$recs" "$s" "$(rate "$RN" "$ls1")" "text; $(tail -1 "$tmp/ret_$be.err")"
done
