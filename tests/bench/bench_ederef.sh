#!/bin/bash
# Benchmark: what an `-e` that reads memory costs the traced program per hit with the inline
# backend, now that the trampoline copies it at the hit (one process_vm_readv per read step).
# tests/bench/ederef_bench.c (built here, gcc -O2): N calls of work(r), attached with -p, the
# program's CPU time (user+sys) against its untraced run; CDBG_TRACE_PLAN=off for the first
# traced rows so that every row writes the same full record and differs only in the reads.
# Usage: tests/bench/bench_ederef.sh [BUILDDIR] [CALLS]   (default build, 200000; a 1 GB ring holds
# about a million full records: more calls than that drop records, and a dropped hit does no reads)
# Prints one markdown table for docs/benchmarks.md. Not part of `meson test`: timings only.
set -u
SRCROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRCROOT/build}
N=${2:-200000}
CDBG=$BUILD/cdbg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PROG=$tmp/ederef_bench
gcc -g -O2 -o "$PROG" "$SRCROOT/tests/bench/ederef_bench.c" || exit 1
# run NAME PLAN ARGS...: the program's CPU ns for N calls, attached (PLAN -: untraced)
run() {
    local name=$1 plan=$2
    shift 2
    rm -f "$tmp/go" "$tmp/rusage" "$tmp/out"
    /usr/bin/time -o "$tmp/rusage" -f '%U %S' "$PROG" "$N" "$tmp/go" >"$tmp/prog.out" &
    local wpid=$! pid= tpid=
    for _ in $(seq 600); do grep -q ready "$tmp/prog.out" && break; sleep 0.05; done
    pid=$(pgrep -P "$wpid")
    if [ "$plan" != - ]; then
        CDBG_TRACE_PLAN=$plan "$CDBG" trace --backend inline --buffer-size 1G "$@" '^work$' -o "$tmp/out" -p "$pid" 2>"$tmp/err" &
        tpid=$!
        for _ in $(seq 600); do grep -q 'tracepoint in process' "$tmp/err" && break; sleep 0.05; done
    fi
    touch "$tmp/go"
    wait "$wpid"
    if [ -n "$tpid" ]; then
        # every record drained (the general path renders slower than the program records)
        for _ in $(seq 1200); do [ "$(grep -c '^>' "$tmp/out")" -ge "$N" ] && break; sleep 0.1; done
        kill -INT "$tpid" 2>/dev/null
        wait "$tpid" 2>/dev/null
    fi
    local cpu lines=- notes
    cpu=$(awk '{printf "%d", ($1 + $2) * 1e9}' "$tmp/rusage")
    [ -n "$tpid" ] && lines="$(grep -c '^>' "$tmp/out"), $(sed -n 's/.* \([0-9]*\) dropped$/\1/p' "$tmp/err" | tail -1) dropped"
    notes=$( [ -n "$tpid" ] && grep -c 'read after the hit' "$tmp/err")
    echo "$name|$cpu|$lines|${notes:-}"
}
rows=()
rows+=("$(run "untraced" -)")
rows+=("$(run "inline, full record, no -e (CDBG_TRACE_PLAN=off)" off)")
rows+=("$(run "inline, full record, -e 'r->id' (1 read)" off -e 'r->id')")
rows+=("$(run "inline, full record, -e 'r->next->id' (2 reads)" off -e 'r->next->id')")
rows+=("$(run "inline, full record, -e 'r->id' -e 'r->next->id' (3 reads)" off -e 'r->id' -e 'r->next->id')")
rows+=("$(run "inline, default (compact record, the argument only)" on -e r)")
base=$(echo "${rows[0]}" | cut -d'|' -f2)
full=$(echo "${rows[1]}" | cut -d'|' -f2)
echo "| $N calls of work(r), attached | program CPU | ns/call | ns/hit over untraced | ns/hit over the full record without -e | lines logged, dropped | 'read after the hit' notes |"
echo "|---|---|---|---|---|---|---|"
for r in "${rows[@]}"; do
    IFS='|' read -r name cpu lines notes <<<"$r"
    awk -v name="$name" -v n="$N" -v c="$cpu" -v b="$base" -v f="$full" -v l="$lines" -v no="$notes" 'BEGIN {
        printf "| %s | %.3f s | %.0f | %.0f | %s | %s | %s |\n", name, c / 1e9, c / n, (c - b) / n,
            (name ~ /full record, -e/) ? sprintf("%.0f", (c - f) / n) : "", l, no }'
done
echo
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
