#!/bin/bash
# Benchmark: cdbg lockorder against valgrind --tool=helgrind on a lock-heavy loop, in one run:
# testdata/lockorder/lo.c `loop N` (N lock operations, lock and unlock each counting, on two locks
# in two threads). Each tool runs RUNS times (default 3) and its best run counts, as for the
# untraced program: on a shared 2-vCPU machine a run of a few milliseconds is often preempted. For
# each: the whole command's wall time, the loop's own wall time and its threads' CPU time (the
# program prints both on stderr; the CPU time leaves out the waits for a CPU that other processes
# cause), the slowdowns against the untraced loop; the program's stdout must be the untraced run's.
# Usage: tests/bench/bench_lockorder.sh [BUILDDIR] [N] [RUNS]   (default build, 400000, 3)
# Prints one markdown table for docs/benchmarks.md. Not part of `meson test`: timings only. Needs root
# (the uprobes for trylock and condition waits).
set -u
SRCROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRCROOT/build}
N=${2:-400000}
RUNS=${3:-3}
CDBG=$BUILD/cdbg
PROG=$BUILD/testdata/lockorder/lockorder_lo_O2
for f in "$CDBG" "$PROG"; do
    [ -x "$f" ] || { echo "bench_lockorder: $f not built (ninja -C $BUILD)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s%N; }
val() { awk -v k="$2" '$1 == k {print $2}' "$1"; }
# best NAME CMD...: runs CMD RUNS times (stdout NAME.out, stderr NAME.err, whole time NAME.t) and
# keeps the run with the shortest loop
best() {
    local name=$1 i t0 t1 l b=
    shift
    for i in $(seq "$RUNS"); do
        t0=$(now)
        "$@" >"$tmp/run.out" 2>"$tmp/run.err"
        t1=$(now)
        l=$(val "$tmp/run.err" loop_ns)
        if [ -n "$l" ] && { [ -z "$b" ] || [ "$l" -lt "$b" ]; }; then
            b=$l
            mv "$tmp/run.out" "$tmp/$name.out"
            mv "$tmp/run.err" "$tmp/$name.err"
            echo $((t1 - t0)) >"$tmp/$name.t"
        fi
    done
}
echo "uptime before: $(uptime)"
best base "$PROG" loop "$N"
bw=$(val "$tmp/base.err" loop_ns)
bc=$(val "$tmp/base.err" loop_cpu_ns)
echo "| tool (lo.c loop, $N lock operations, 2 threads, -O2, best of $RUNS) | whole command | the loop | loop slowdown | loop CPU | CPU slowdown | stdout as untraced | notes |"
echo "|---|---|---|---|---|---|---|---|"
printf '| untraced | | %.1f ms | 1x | %.1f ms | 1x | | |\n' "$(echo "$bw / 1000000" | bc -l)" "$(echo "$bc / 1000000" | bc -l)"
row() { # row NAME RUNNAME OUTFILE NOTES
    local same=no
    cmp -s "$3" "$tmp/base.out" && same=yes
    awk -v n="$1" -v t="$(cat "$tmp/$2.t")" -v l="$(val "$tmp/$2.err" loop_ns)" -v c="$(val "$tmp/$2.err" loop_cpu_ns)" \
        -v bw="$bw" -v bc="$bc" -v s="$same" -v notes="$4" 'BEGIN {
        printf "| %s | %.2f s | %.1f ms | %.0fx | %.1f ms | %.0fx | %s | %s |\n", n, t / 1e9, l / 1e6, l / bw, c / 1e6, c / bc, s, notes }'
}
best cdbg "$CDBG" lockorder -- "$PROG" loop "$N"
grep -v -e '^no lock-order inversion' -e '^potential deadlock' -e '^  ' "$tmp/cdbg.out" >"$tmp/cdbg.prog"
acq=$(grep -oE '[0-9]+ acquisitions' "$tmp/cdbg.err")
lost=$(grep -oE '[0-9]+ records were lost' "$tmp/cdbg.err" || echo "0 records lost")
row "cdbg lockorder -- PROG" cdbg "$tmp/cdbg.prog" "$acq recorded, $lost"
if command -v valgrind >/dev/null; then
    best hg valgrind --tool=helgrind -q "$PROG" loop "$N"
    row "valgrind --tool=helgrind" hg "$tmp/hg.out" "$(grep -c 'lock order' "$tmp/hg.err") lock-order reports"
    awk -v hw="$(val "$tmp/hg.err" loop_ns)" -v cw="$(val "$tmp/cdbg.err" loop_ns)" \
        -v hc="$(val "$tmp/hg.err" loop_cpu_ns)" -v cc="$(val "$tmp/cdbg.err" loop_cpu_ns)" 'BEGIN {
        printf "\ncdbg lockorder ran the loop %.0fx faster than helgrind (wall), %.0fx (the loop threads'"'"' CPU time)\n", hw / cw, hc / cc }'
else
    echo "| valgrind --tool=helgrind | not installed | | | | | | |"
fi
echo "uptime after: $(uptime)"
