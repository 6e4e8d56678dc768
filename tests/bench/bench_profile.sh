#!/bin/bash
# The profiler's overhead (issue 14): testdata/profile/split's throughput alone, under
# `cdbg profile` at 99 Hz and under `perf record -F 99 -g`, in one run, interleaved.
#
#   bash tests/bench/bench_profile.sh [UNITS] [ROUNDS]     (defaults 60 and 5)
#
# split does UNITS fixed units of work in one thread and prints the work's wall time (work_us)
# and its CPU time (cpu_ms); throughput = units per second of the work's wall time, so the
# profiler's start-up (attach, symbols) is not counted, only what sampling costs the target. Each
# round runs the three cases one after the other; the medians are compared. Target: under 1%.
# The target's CPU time for the same work is the other measure: the kernel takes each sample (and
# copies its stack) in the target's context, so that is where sampling costs the target; unlike
# the wall time it does not move with the machine's other load.
# Run it on an idle machine: other load moves the numbers more than the profilers do.
set -u
SRCROOT=$(cd "$(dirname "$0")/../.." && pwd)
CDBG=${CDBG:-$SRCROOT/build/cdbg}
SPLIT=${SPLIT:-$SRCROOT/build/testdata/profile/split}
UNITS=${1:-60}
ROUNDS=${2:-5}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
[ -x "$SPLIT" ] || { echo "build first: $SPLIT is missing" >&2; exit 1; }
command -v perf >/dev/null || echo "note: perf is not installed: its column stays empty" >&2

run() { # CASE: prints "work_us cpu_ms"
    case $1 in
    alone) "$SPLIT" "$UNITS" >"$TMP/out" 2>/dev/null ;;
    cdbg) "$CDBG" profile -o "$TMP/p.folded" -- "$SPLIT" "$UNITS" >"$TMP/out" 2>"$TMP/cdbg.err" ;;
    perf) perf record -q -F 99 -g -o "$TMP/perf.data" -- "$SPLIT" "$UNITS" >"$TMP/out" 2>/dev/null ;;
    esac
    echo "$(awk '/^work_us/ {print $2}' "$TMP/out") $(awk '/^cpu_ms/ {print $2}' "$TMP/out")"
}

cases="alone cdbg"
command -v perf >/dev/null && cases="$cases perf"
for r in $(seq "$ROUNDS"); do
    for c in $cases; do
        run "$c" >>"$TMP/$c.txt"
    done
done
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
base=$(cut -d' ' -f1 "$TMP/alone.txt" | median)
basecpu=$(cut -d' ' -f2 "$TMP/alone.txt" | median)
echo "split $UNITS units, $ROUNDS rounds, medians ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)):"
echo
echo "| case | work wall ms | units/s | throughput vs alone | target CPU ms | target CPU vs alone |"
echo "|---|---:|---:|---:|---:|---:|"
for c in $cases; do
    w=$(cut -d' ' -f1 "$TMP/$c.txt" | median)
    cpu=$(cut -d' ' -f2 "$TMP/$c.txt" | median)
    awk -v c="$c" -v w="$w" -v b="$base" -v u="$UNITS" -v cpu="$cpu" -v bc="$basecpu" 'BEGIN {
        printf "| %s | %.1f | %.2f | %+.2f%% | %d | %+.2f%% |\n", c, w / 1000, u / (w / 1e6), (b / w - 1) * 100, cpu,
            (cpu / bc - 1) * 100 }'
done
echo
grep -E 'samples|top' "$TMP/cdbg.err" | head -2
