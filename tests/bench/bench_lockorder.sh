#!/bin/bash
# Benchmark: cdbg lockorder against valgrind --tool=helgrind on a lock-heavy loop, in one run:
# testdata/lockorder/lo.c `loop N` (N lock operations, lock and unlock each counting, on two locks
# in two threads). Each tool runs RUNS times (default 3) and its best run counts, as for the
# untraced program: on a shared 2-vCPU machine a run of a few milliseconds is often preempted. For
# each: the whole command's wall time, the loop's own wall time and its threads' CPU time (the
# program prints both on stderr; the CPU time leaves out the waits for a CPU that other processes
# cause), the slowdowns against the untraced loop; the program's stdout must be the untraced run's.
# The tools' runs are alternated (untraced, cdbg, helgrind, untraced, ...: a load that comes and
# goes on a shared machine hits them alike); the medians of the loop's wall and CPU times over the
# runs are printed after the table.
# Usage: tests/bench/bench_lockorder.sh [BUILDDIR] [N] [RUNS]   (default build, 400000, 3)
# The table's rows are each tool's best run (the shortest loop).
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
# once NAME CMD...: runs CMD once (stdout NAME.out, stderr NAME.err, whole time NAME.t, kept when
# its loop is the shortest of NAME's runs so far); its loop's wall and CPU times go to NAME.all
once() {
    local name=$1 t0 t1 l b=
    shift
    [ -f "$tmp/$name.err" ] && b=$(val "$tmp/$name.err" loop_ns)
    t0=$(now)
    "$@" >"$tmp/run.out" 2>"$tmp/run.err"
    t1=$(now)
    l=$(val "$tmp/run.err" loop_ns)
    [ -n "$l" ] && echo "$l $(val "$tmp/run.err" loop_cpu_ns)" >>"$tmp/$name.all"
    if [ -n "$l" ] && { [ -z "$b" ] || [ "$l" -lt "$b" ]; }; then
        mv "$tmp/run.out" "$tmp/$name.out"
        mv "$tmp/run.err" "$tmp/$name.err"
        echo $((t1 - t0)) >"$tmp/$name.t"
    fi
}
# med NAME COLUMN: the median over NAME's runs, in ms
med() { sort -n -k"$2" "$tmp/$1.all" | awk -v c="$2" '{a[NR] = $c} END {printf "%.1f", a[int((NR + 1) / 2)] / 1e6}'; }
echo "uptime before: $(uptime)"
have_hg=false
command -v valgrind >/dev/null && have_hg=true
for i in $(seq "$RUNS"); do
    once base "$PROG" loop "$N"
    once cdbg "$CDBG" lockorder -- "$PROG" loop "$N"
    $have_hg && once hg valgrind --tool=helgrind -q "$PROG" loop "$N"
done
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
grep -v -e '^no lock-order inversion' -e '^potential deadlock' -e '^  ' "$tmp/cdbg.out" >"$tmp/cdbg.prog"
acq=$(grep -oE '[0-9]+ acquisitions' "$tmp/cdbg.err")
lost=$(grep -oE '[0-9]+ records were lost' "$tmp/cdbg.err" || echo "0 records lost")
row "cdbg lockorder -- PROG" cdbg "$tmp/cdbg.prog" "$acq recorded, $lost"
if $have_hg; then
    row "valgrind --tool=helgrind" hg "$tmp/hg.out" "$(grep -c 'lock order' "$tmp/hg.err") lock-order reports"
    awk -v hw="$(val "$tmp/hg.err" loop_ns)" -v cw="$(val "$tmp/cdbg.err" loop_ns)" \
        -v hc="$(val "$tmp/hg.err" loop_cpu_ns)" -v cc="$(val "$tmp/cdbg.err" loop_cpu_ns)" 'BEGIN {
        printf "\ncdbg lockorder ran the loop %.0fx faster than helgrind (wall), %.0fx (the loop threads'"'"' CPU time)\n", hw / cw, hc / cc }'
    printf 'medians over %s alternated runs: untraced loop %s ms (CPU %s), cdbg %s ms (CPU %s), helgrind %s ms (CPU %s): %.0fx faster (CPU %.0fx)\n' \
        "$RUNS" "$(med base 1)" "$(med base 2)" "$(med cdbg 1)" "$(med cdbg 2)" "$(med hg 1)" "$(med hg 2)" \
        "$(echo "$(med hg 1) / $(med cdbg 1)" | bc -l)" "$(echo "$(med hg 2) / $(med cdbg 2)" | bc -l)"
else
    echo "| valgrind --tool=helgrind | not installed | | | | | | |"
fi
echo "uptime after: $(uptime)"
