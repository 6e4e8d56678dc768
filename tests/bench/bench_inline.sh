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
#   cdbg trace      `cdbg trace --backend inline -o FILE` (text output) when the mode exists
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
printf '%-16s %12s %10s %12s %s\n' what hits seconds hits/s notes

out=$("$tmp/hot" "$N" 1 run)
s=$(echo "$out" | loop_s done)
printf '%-16s %12s %10s %12s %s\n' untraced "$N" "$s" "$(rate "$N" "$s")" "calls/s, no tracing"

if command -v uftrace >/dev/null; then
    t0=$(date +%s.%N)
    out=$(cd "$tmp" && uftrace record -d "$tmp/uftrace.data" -P work -A work@arg1 "$tmp/hot" "$N" 1 run 2>&1)
    t1=$(date +%s.%N)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    calls=$(( 2 * N ))
    ls1=$(echo "$out" | loop_s done)
    printf '%-16s %12s %10s %12s %s\n' uftrace "$calls" "$s" "$(rate "$calls" "$s")" "entry+exit; first loop alone ${ls1}s: $(rate "$N" "$ls1")"
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
line=$("$drv" --bench attach "$tmp/hot" 2000000000 "$tmp/cdbg.bin")
rec=$(echo "$line" | awk '{print $2}')
drops=$(echo "$line" | awk '{print $4}')
s=$(echo "$line" | awk '{print $6}')
printf '%-16s %12s %10s %12s %s\n' "cdbg attached" "$rec" "$s" "$(rate "$rec" "$s")" "entry; drops $drops; 1 s traced, then the ring read"

if "$BUILD/cdbg" trace --help 2>&1 | grep -q -- --backend; then
    t0=$(date +%s.%N)
    "$BUILD/cdbg" trace --backend inline -o "$tmp/trace.txt" '^work$' -- "$tmp/hot" "$N" 1 run >/dev/null 2>"$tmp/trace.err" || true
    t1=$(date +%s.%N)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    hits=$(grep -c '^> work' "$tmp/trace.txt" || true)
    printf '%-16s %12s %10s %12s %s\n' "cdbg trace" "$hits" "$s" "$(rate "$hits" "$s")" "text output, whole run; $(tail -1 "$tmp/trace.err")"
fi

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
