#!/bin/bash
# gcore benchmark: `cdbg gcore` against gdb's `gcore` on the same 1000-thread process, in one run.
#
#   bash tests/bench/bench_gcore.sh [BUILD_DIR] [--threads N] [--heap MB] [--runs N]
#
# Starts testdata/gcore/gcore_prog_O0 with N threads blocked in read() (default 1000) and MB of
# touched heap (default 256), and a heartbeat thread that measures the longest gap in its own
# scheduling: the pause the process saw, from inside. For each tool, RUNS times (default 3):
#   gdb    gdb -nx -batch -p PID -ex 'gcore FILE'      (attach, dump, detach)
#   cdbg   cdbg gcore -o FILE PID                       (snapshot; its stopped_ms too)
#   cdbg*  cdbg gcore --no-snapshot -o FILE PID        (memory copied while held)
# and prints a markdown table of the medians: wall time, the longest gap the process saw, cdbg's
# own stopped_ms, the core's size. Targets (issue 14): cdbg's wall time at most half gdb's and its
# pause at most a tenth of gdb's. Cores go to a temporary directory, removed at exit. Never run by
# meson test.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BUILD=./build
NTHREADS=1000
HEAP=256
RUNS=3
while [ $# -gt 0 ]; do
    case $1 in
    --threads) NTHREADS=$2; shift 2 ;;
    --heap) HEAP=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench_gcore.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) BUILD=$1; shift ;;
    esac
done
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "bench_gcore.sh: build dir not found" >&2; exit 2; }
export TESTDATA=$BUILD/testdata CDBG=$BUILD/cdbg
export SRCROOT=${SRCROOT:-$(cd "$here/../.." && pwd)}
export TD_READY_TIMEOUT=300 TD_WAIT_TIMEOUT=300
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/gcore/common.sh"
command -v gdb >/dev/null || { echo "bench_gcore.sh: gdb is not installed" >&2; exit 2; }

echo "starting gcore_prog_O0 with $NTHREADS threads and $HEAP MB of heap..." >&2
td_start gcore_prog_O0 "$NTHREADS" "$HEAP"
now_ms() { date +%s%N | awk '{ printf "%.1f", $1 / 1e6 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A wall gap stopped size
run_tool() { # NAME CMD...
    local name=$1 i t0 t1 f
    shift
    for i in $(seq "$RUNS"); do
        f=$TD_TMP/core.$name.$i
        gc_report # start the gap measurement anew
        t0=$(now_ms)
        "$@" "$f" >"$TD_TMP/$name.out" 2>"$TD_TMP/$name.err" || { echo "$name failed: $(tail -2 "$TD_TMP/$name.err")" >&2; continue; }
        t1=$(now_ms)
        gc_report
        wall[$name]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') "
        gap[$name]+="$(awk -v g="$GC_GAP_US" 'BEGIN { printf "%.1f", g / 1000 }') "
        stopped[$name]+="$(sed -nE 's/^gcore: process [0-9]+ paused ([0-9.]+) ms.*/\1/p' "$TD_TMP/$name.err") "
        size[$name]=$(stat -c %s "$f" 2>/dev/null)
        rm -f "$f"
        echo "  $name run $i: $(echo ${wall[$name]} | awk '{ print $NF }') ms, gap $(echo ${gap[$name]} | awk '{ print $NF }') ms" >&2
    done
}
gdb_gcore() { gdb -nx -batch -p "$TD_PID" -ex "gcore $1"; }
cdbg_gcore() { "$CDBG" gcore -o "$1" "$TD_PID"; }
cdbg_held() { "$CDBG" gcore --no-snapshot -o "$1" "$TD_PID"; }
run_tool gdb gdb_gcore
run_tool cdbg cdbg_gcore
run_tool cdbg_held cdbg_held

m() { echo ${1:-} | tr ' ' '\n' | grep -v '^$' | median; }
echo
echo "gcore of a $NTHREADS-thread process with $HEAP MB of heap, median of $RUNS runs ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)):"
echo
echo "| tool | wall ms | longest pause seen by the process, ms | stopped_ms (cdbg's report) | core MB |"
echo "|---|---:|---:|---:|---:|"
for n in gdb cdbg cdbg_held; do
    label=$n; [ $n = cdbg ] && label="cdbg gcore"; [ $n = cdbg_held ] && label="cdbg gcore --no-snapshot"; [ $n = gdb ] && label="gdb gcore"
    st=$(m "${stopped[$n]:-}"); [ $n = gdb ] && st="-"
    echo "| $label | $(m "${wall[$n]:-}") | $(m "${gap[$n]:-}") | $st | $(awk -v s="${size[$n]:-0}" 'BEGIN { printf "%.0f", s / 1048576 }') |"
done
gw=$(m "${wall[gdb]:-}") cw=$(m "${wall[cdbg]:-}") gg=$(m "${gap[gdb]:-}") cg=$(m "${gap[cdbg]:-}")
echo
awk -v gw="$gw" -v cw="$cw" -v gg="$gg" -v cg="$cg" 'BEGIN {
    printf "wall: cdbg / gdb = %.3f (target <= 0.5: %s)\n", cw / gw, cw / gw <= 0.5 ? "met" : "NOT met"
    printf "pause: cdbg / gdb = %.4f (target <= 0.1: %s)\n", cg / gg, cg / gg <= 0.1 ? "met" : "NOT met" }'
