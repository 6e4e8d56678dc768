#!/bin/bash
# Benchmark: cdbg leaks against valgrind --leak-check=full, bpftrace's uprobe equivalent (malloc's
# entry with its stack, its return, free: what bcc's memleak does) and heaptrack (LD_PRELOAD), on an
# allocation-heavy loop, in one run: testdata/leaks/leaks.c `loop N` (N mallocs of 32..287 bytes,
# each freed at once). Each tool runs RUNS times (default 3), alternated (untraced, cdbg, valgrind,
# bpftrace, heaptrack, untraced, ...: a load that comes and goes on a shared machine hits them
# alike), and its best run counts. For each: the whole command's wall time, the loop's own wall
# time and the process's CPU time over the loop (the program prints both on stderr; uprobes run in
# the kernel, on the program's threads: their cost is in its CPU time), the slowdowns against the
# untraced loop; the program's stdout must be the untraced run's.
# Usage: tests/bench/bench_leaks.sh [BUILDDIR] [N] [RUNS]   (default build, 100000, 3)
# Prints one markdown table for docs/benchmarks.md. Not part of `meson test`: timings only. Needs
# root (uprobes).
set -u
SRCROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRCROOT/build}
N=${2:-100000}
RUNS=${3:-3}
CDBG=$BUILD/cdbg
PROG=$BUILD/testdata/leaks/leaks_O2
for f in "$CDBG" "$PROG"; do
    [ -x "$f" ] || { echo "bench_leaks: $f not built (ninja -C $BUILD)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s%N; }
val() { awk -v k="$2" '$1 == k {print $2}' "$1"; }
once() { # once NAME CMD...: the best run (shortest loop) of NAME kept as NAME.out/.err/.t
    local name=$1 t0 t1 l b=
    shift
    [ -f "$tmp/$name.err" ] && b=$(val "$tmp/$name.err" loop_ns)
    t0=$(now)
    "$@" >"$tmp/run.out" 2>"$tmp/run.err" </dev/null
    t1=$(now)
    l=$(val "$tmp/run.err" loop_ns)
    if [ -n "$l" ] && { [ -z "$b" ] || [ "$l" -lt "$b" ]; }; then
        mv "$tmp/run.out" "$tmp/$name.out"
        mv "$tmp/run.err" "$tmp/$name.err"
        echo $((t1 - t0)) >"$tmp/$name.t"
    fi
}
LIBC=$(ldd "$PROG" | awk '/libc\.so/ {print $3}')
LIBC=$(readlink -f "$LIBC")
cat >"$tmp/memleak.bt" <<BT
uprobe:$LIBC:malloc /pid == cpid/ { @sz[tid] = arg0; @st[tid] = ustack(perf, 16); }
uretprobe:$LIBC:malloc /pid == cpid && @sz[tid]/ { @live[retval] = @sz[tid]; @where[retval] = @st[tid]; delete(@sz[tid]); delete(@st[tid]); }
uprobe:$LIBC:free /pid == cpid/ { delete(@live[arg0]); delete(@where[arg0]); }
BT
have_vg=false have_bt=false have_ht=false
command -v valgrind >/dev/null && have_vg=true
command -v bpftrace >/dev/null && have_bt=true
command -v heaptrack >/dev/null && have_ht=true
echo "uptime before: $(uptime)"
for i in $(seq "$RUNS"); do
    once base "$PROG" loop "$N"
    once cdbg "$CDBG" leaks -- "$PROG" loop "$N"
    $have_vg && once vg valgrind --leak-check=full -q "$PROG" loop "$N"
    $have_bt && once bt bpftrace -c "$PROG loop $N" "$tmp/memleak.bt"
    $have_ht && once ht heaptrack -o "$tmp/ht.$i" "$PROG" loop "$N"
done
echo "uptime after: $(uptime)"
bw=$(val "$tmp/base.err" loop_ns)
bc=$(val "$tmp/base.err" loop_cpu_ns)
echo
echo "| tool (leaks.c loop, $N malloc+free, -O2, best of $RUNS) | whole command | the loop | loop slowdown | loop CPU | CPU slowdown | stdout as untraced | notes |"
echo "|---|---|---|---|---|---|---|---|"
printf '| untraced | | %.1f ms | 1x | %.1f ms | 1x | | |\n' "$(echo "$bw / 1000000" | bc -l)" "$(echo "$bc / 1000000" | bc -l)"
row() { # row NAME RUNNAME OUTFILE NOTES
    [ -f "$tmp/$2.t" ] || { echo "| $1 | failed | | | | | | $(head -c 200 "$tmp/run.err" | tr '\n|' '  ') |"; return; }
    local same=no
    cmp -s "$3" "$tmp/base.out" && same=yes
    awk -v n="$1" -v t="$(cat "$tmp/$2.t")" -v l="$(val "$tmp/$2.err" loop_ns)" -v c="$(val "$tmp/$2.err" loop_cpu_ns)" \
        -v bw="$bw" -v bc="$bc" -v s="$same" -v notes="$4" 'BEGIN {
        printf "| %s | %.2f s | %.1f ms | %.0fx | %.1f ms | %.0fx | %s | %s |\n", n, t / 1e9, l / 1e6, l / bw, c / 1e6, c / bc, s, notes }'
}
grep -v -e 'bytes in [0-9]* allocations\? from:$' -e '^#' -e '^$' -e '^no leak' "$tmp/cdbg.out" >"$tmp/cdbg.prog"
sum=$(grep -oE '[0-9]+ allocations, [0-9]+ frees' "$tmp/cdbg.err")
lost=$(grep -oE '[0-9]+ records lost' "$tmp/cdbg.err")
row "cdbg leaks -- PROG" cdbg "$tmp/cdbg.prog" "$sum, $lost"
$have_vg && row "valgrind --leak-check=full" vg "$tmp/vg.out" "instruments every instruction"
$have_bt && { grep -v -e '^Attaching' -e '^@' -e '^$' "$tmp/bt.out" >"$tmp/bt.prog"; row "bpftrace (malloc entry+stack, return, free)" bt "$tmp/bt.prog" "malloc and free only; stacks as addresses (symbolized when printed)"; }
$have_ht && row "heaptrack" ht "$tmp/ht.out" "LD_PRELOAD, in-process unwinding"
