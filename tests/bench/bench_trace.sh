#!/bin/bash
# Benchmark: tracepoint throughput, one int argument logged to a file at every call of a 4-instruction
# function (testdata/trace/hot.c's work), in one run beside gdb's dprintf, bpftrace and uftrace on the
# same program: calls per second while traced, and the program's slowdown against its untraced run.
# cdbg runs launched (-- PROG) and attached (-p, the program waiting for a file before its loop).
# Usage: tests/bench/bench_trace.sh [BUILDDIR] [CALLS] [GDB_CALLS]   (default build, 200000, 3000)
# Prints one markdown table for docs/benchmarks.md. Not part of `meson test`: timings only. Needs root
# (uprobes). A tool that is not installed is a row saying so.
set -u
SRCROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRCROOT/build}
N=${2:-200000}
NG=${3:-3000}
CDBG=$BUILD/cdbg
PROG=$BUILD/testdata/trace/trace_hot_O2
for f in "$CDBG" "$PROG"; do
    [ -x "$f" ] || { echo "bench_trace: $f not built (ninja -C $BUILD)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s%N; }
# row NAME CALLS T_NS BASE_NS LINES: one table row
row() {
    awk -v name="$1" -v n="$2" -v t="$3" -v b="$4" -v lines="$5" 'BEGIN {
        printf "| %s | %d | %d | %.2f s | %.0f | %.1fx |\n", name, n, lines, t / 1e9, n / (t / 1e9), t / b }'
}
base() { # untraced time of N calls, best of 3
    local best= t0 t1 i
    for i in 1 2 3; do
        t0=$(now); "$PROG" "$1" >/dev/null; t1=$(now)
        [ -z "$best" ] || [ $((t1 - t0)) -lt "$best" ] && best=$((t1 - t0))
    done
    echo "$best"
}
bn=$(base "$N")
bg=$(base "$NG")
echo "| tool (hot.c work(x), -O2, one int logged to a file) | calls | lines logged | time | calls/s | slowdown |"
echo "|---|---|---|---|---|---|"

t0=$(now); "$CDBG" trace --backend uprobe '^work$' -o "$tmp/cdbg.out" -- "$PROG" "$N" >/dev/null 2>"$tmp/cdbg.err"; t1=$(now)
row "cdbg trace -- PROG (uprobe, launched; whole command)" "$N" $((t1 - t0)) "$bn" "$(grep -c '^>' "$tmp/cdbg.out")"

# attached: the program waits for a file, the tracer attaches, then the loop runs; the time is the
# program's, from the file to its exit; its CPU time (user+sys, kernel probes included) beside it
attached() { # attached NAME LINES_FILE LINE_REGEX CMD... (CMD gets the PID as its last argument)
    local name=$1 lines=$2 rx=$3
    shift 3
    rm -f "$tmp/go" "$tmp/rusage"
    /usr/bin/time -o "$tmp/rusage" -f '%U %S' "$PROG" "$N" 0 "$tmp/go" >"$tmp/prog.out" &
    local wpid=$! pid=
    for _ in $(seq 600); do grep -q ready "$tmp/prog.out" && break; sleep 0.05; done
    pid=$(pgrep -P "$wpid")
    "$@" "$pid" >/dev/null 2>"$tmp/tracer.err" &
    local tpid=$!
    sleep "${SETTLE:-3}" # the tracer's start (bpftrace compiles its program): not part of the run
    local t0 t1
    t0=$(now)
    touch "$tmp/go"
    wait "$wpid"
    t1=$(now)
    sleep 1
    kill -INT "$tpid" 2>/dev/null
    wait "$tpid" 2>/dev/null
    local cpu
    cpu=$(awk '{printf "%d", ($1 + $2) * 1e9}' "$tmp/rusage")
    row "$name (attached; wall from the start of the loop)" "$N" $((t1 - t0)) "$bn" "$(grep -cE "$rx" "$lines")"
    awk -v name="$name" -v n="$N" -v c="$cpu" 'BEGIN {
        printf "| %s: the program'"'"'s CPU time (user+sys, the kernel'"'"'s probe work included) | %d | | %.2f s | %.0f per CPU-second | |\n", name, n, c / 1e9, n / (c / 1e9) }'
}
cdbg_p() { "$CDBG" trace --backend uprobe '^work$' -o "$tmp/cdbga.out" -p "$1"; }
attached "cdbg trace -p (uprobe)" "$tmp/cdbga.out" '^>' cdbg_p
# the default backend (auto: inline where it can), for scale
cdbg_auto() { "$CDBG" trace '^work$' -o "$tmp/cdbga.out" -p "$1"; }
attached "cdbg trace -p (auto)" "$tmp/cdbga.out" '^>' cdbg_auto
echo "| (auto took: $(sed -n 's/.*tracepoint in process [0-9]*: //p' "$tmp/tracer.err" | head -1)) | | | | | |"
if command -v bpftrace >/dev/null; then
    bpf_p() { bpftrace -q -o "$tmp/bpf.out" -e "uprobe:$PROG:work { printf(\"%d\\n\", arg0); }" -p "$1"; }
    attached "bpftrace (kernel uprobe)" "$tmp/bpf.out" '^[0-9]' bpf_p
else
    echo "| bpftrace | not installed | | | | |"
fi
if command -v uftrace >/dev/null; then
    t0=$(now)
    (cd "$tmp" && uftrace record -P '^work$' -A 'work@arg1' -d "$tmp/uft" "$PROG" "$N" >/dev/null 2>&1)
    uftrace replay -d "$tmp/uft" >"$tmp/uft.out" 2>/dev/null
    t1=$(now)
    got=$(grep -c 'work(' "$tmp/uft.out")
    row "uftrace -P (dynamic patching), record + replay" "$N" $((t1 - t0)) "$bn" "$got"
    [ "$got" = 0 ] && echo "| (uftrace $(uftrace --version 2>/dev/null | head -1 | awk '{print $2}') could not patch work: its -P needs a binary built for it, -pg or -fpatchable-function-entry, without capstone) | | | | | |"
else
    echo "| uftrace | not installed | | | | |"
fi
if command -v gdb >/dev/null; then
    t0=$(now)
    gdb -nx -batch -ex 'dprintf work,"%d\n",x' -ex run --args "$PROG" "$NG" >"$tmp/gdb.out" 2>&1
    t1=$(now)
    row "gdb dprintf" "$NG" $((t1 - t0)) "$bg" "$(grep -c '^[0-9]' "$tmp/gdb.out")"
else
    echo "| gdb | not installed | | | | |"
fi
echo
echo "Load during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs."
