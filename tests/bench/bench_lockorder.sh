#!/bin/bash
# Benchmark: cdbg lockorder against valgrind --tool=helgrind on a lock-heavy loop, in one run:
# testdata/lockorder/lo.c `loop N` (N lock operations, lock and unlock each counting, on two locks
# in two threads). For each: the whole command's wall time, the loop's own wall time (the program
# prints it on stderr) and its slowdown against the untraced loop; the program's stdout must be the
# untraced run's. Usage: tests/bench/bench_lockorder.sh [BUILDDIR] [N]   (default build, 400000)
# Prints one markdown table for docs/benchmarks.md. Not part of `meson test`: timings only. Needs root
# (the uprobes for trylock and condition waits).
set -u
SRCROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRCROOT/build}
N=${2:-400000}
CDBG=$BUILD/cdbg
PROG=$BUILD/testdata/lockorder/lockorder_lo_O2
for f in "$CDBG" "$PROG"; do
    [ -x "$f" ] || { echo "bench_lockorder: $f not built (ninja -C $BUILD)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s%N; }
loop_ns() { awk '$1 == "loop_ns" {print $2}' "$1"; }
best=
for i in 1 2 3; do
    "$PROG" loop "$N" >"$tmp/base.out" 2>"$tmp/base.err"
    l=$(loop_ns "$tmp/base.err")
    [ -z "$best" ] || [ "$l" -lt "$best" ] && best=$l
done
echo "| tool (lo.c loop, $N lock operations, 2 threads, -O2) | whole command | the loop | loop slowdown | stdout as untraced | notes |"
echo "|---|---|---|---|---|---|"
printf '| untraced | | %.1f ms | 1x | | best of 3 |\n' "$(echo "$best / 1000000" | bc -l)"
row() { # row NAME T_NS OUT ERR NOTES
    local l
    l=$(loop_ns "$4")
    local same=no
    cmp -s "$3" "$tmp/base.out" && same=yes
    awk -v n="$1" -v t="$2" -v l="$l" -v b="$best" -v s="$same" -v notes="$5" 'BEGIN {
        printf "| %s | %.2f s | %.1f ms | %.0fx | %s | %s |\n", n, t / 1e9, l / 1e6, l / b, s, notes }'
}
t0=$(now); "$CDBG" lockorder -- "$PROG" loop "$N" >"$tmp/cdbg.all" 2>"$tmp/cdbg.err"; t1=$(now)
grep -v -e '^no lock-order inversion' -e '^potential deadlock' -e '^  ' "$tmp/cdbg.all" >"$tmp/cdbg.out"
acq=$(grep -oE '[0-9]+ acquisitions' "$tmp/cdbg.err")
lost=$(grep -oE '[0-9]+ records were lost' "$tmp/cdbg.err" || echo "0 records lost")
row "cdbg lockorder -- PROG" $((t1 - t0)) "$tmp/cdbg.out" "$tmp/cdbg.err" "$acq recorded, $lost"
if command -v valgrind >/dev/null; then
    t0=$(now); valgrind --tool=helgrind -q "$PROG" loop "$N" >"$tmp/hg.out" 2>"$tmp/hg.err"; t1=$(now)
    row "valgrind --tool=helgrind" $((t1 - t0)) "$tmp/hg.out" "$tmp/hg.err" "$(grep -c 'lock order' "$tmp/hg.err") lock-order reports"
    hl=$(loop_ns "$tmp/hg.err")
    cl=$(loop_ns "$tmp/cdbg.err")
    awk -v h="$hl" -v c="$cl" 'BEGIN { printf "\ncdbg lockorder ran the loop %.0fx faster than helgrind\n", h / c }'
else
    echo "| valgrind --tool=helgrind | not installed | | | | |"
fi
