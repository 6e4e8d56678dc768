#!/bin/bash
# Benchmark: `cdbg deadlock PID` on a 1000-thread process (997 idle in a condvar wait, 3 in a lock
# cycle) against gdb's `thread apply all bt` on the same process, median of N runs each.
# Usage: tests/bench/bench_deadlock.sh [BUILDDIR] [N] [sock]     (default build, 5)
#   sock: the 997 idle threads block in read(2) on a unix socketpair instead (many_O2 sock): every
#   one of them is classified through the socket diagnostics dump
# Prints one table (markdown) for docs/benchmarks.md. Not part of `meson test`: timings only.
set -u
SRCROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRCROOT/build}
N=${2:-5}
MODE=${3:-}
CDBG=$BUILD/cdbg
PROG=$BUILD/testdata/deadlock/many_O2
for f in "$CDBG" "$PROG"; do
    [ -x "$f" ] || { echo "bench_deadlock: $f not built (ninja -C $BUILD)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$tmp"' EXIT
"$PROG" $MODE >"$tmp/out" &
pid=$!
for _ in $(seq 600); do grep -q ready "$tmp/out" && break; sleep 0.05; done
grep -q ready "$tmp/out" || { echo "bench_deadlock: $PROG not ready" >&2; exit 1; }

# ms TIMES_FILE: median in milliseconds
median() { sort -n "$1" | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]}'; }
run() { # run OUTFILE CMD...: one timed run, milliseconds appended to OUTFILE
    local out=$1 t0 t1
    shift
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000)) >>"$out"
}
for _ in $(seq "$N"); do
    run "$tmp/cdbg" "$CDBG" deadlock "$pid"
    "$CDBG" deadlock "$pid" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["stopped_ms"])' >>"$tmp/stopped"
    if command -v gdb >/dev/null; then
        run "$tmp/gdb" gdb -nx -batch -p "$pid" -ex 'thread apply all bt'
    fi
done
threads=$(ls /proc/$pid/task | wc -l)
echo "| command ($threads threads, 3 in a cycle${MODE:+, 997 reading a socketpair}, -O2, median of $N) | time | threads stopped |"
echo "|---|---|---|"
echo "| \`cdbg deadlock PID\` | $(median "$tmp/cdbg") ms | 3, for $(sort -n "$tmp/stopped" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') ms |"
[ -f "$tmp/gdb" ] && echo "| \`gdb -nx -batch -p PID -ex 'thread apply all bt'\` | $(median "$tmp/gdb") ms | all $threads |"
exit 0
