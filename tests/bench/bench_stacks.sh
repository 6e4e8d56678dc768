#!/bin/bash
# Thread-dump benchmark for `cdbg stacks` (issue 14): against gdb and eu-stack, on the same
# 1000-thread process, in one run.
#
#   bash tests/bench/bench_stacks.sh [BUILD_DIR] [--runs N] [--threads N]
#
# Starts testdata blocked_O2 with N threads in total (default 1000: main, 8 fixed threads of which
# one spins in user space, and parked workers asleep in pthread_cond_wait) and times, against it:
#   cdbg stacks   cdbg stacks PID (as root: the BPF task iterator; the JSON's "source" is shown)
#   --no-bpf      cdbg stacks --no-bpf PID (every thread's /proc files, as without BPF)
#   gdb           gdb -nx -batch -p PID -ex 'thread apply all bt'
#   eu-stack      eu-stack -p PID
# Each cell is the median wall time of N runs (default 5) after one untimed warm-up run. It also
# checks the promise: across every `cdbg stacks` run (warm-up included) no thread but the spinner
# changed its voluntary_ctxt_switches (/proc/PID/task/TID/status: a thread woken from its sleep
# counts one), and `--json` reports exactly one thread stopped. A second table gives the CPU time
# (user + system, of the tool and its children, median of N runs) of cdbg and gdb: on a loaded
# machine wall time is mostly waiting for a CPU, CPU time is the work. Prints markdown on stdout;
# progress goes to stderr. Never run by meson test.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BUILD=./build
RUNS=5
THREADS=1000
while [ $# -gt 0 ]; do
    case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench_stacks.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) BUILD=$1; shift ;;
    esac
done
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "bench_stacks.sh: build dir not found; run meson setup build && ninja -C build first" >&2; exit 2; }

export TESTDATA=$BUILD/testdata
export CDBG=$BUILD/cdbg
export SRCROOT=${SRCROOT:-$(cd "$here/../.." && pwd)}
export TD_READY_TIMEOUT=300
. "$SRCROOT/tests/integration/lib.sh"
BB_EXPECT=parked_worker # every correct dump of the process shows the workers' function
. "$here/bench_bt_lib.sh"

[ -x "$TESTDATA/stacks/blocked_O2" ] || { echo "bench_stacks.sh: blocked_O2 missing; run ninja -C $BUILD first" >&2; exit 2; }
FIXED=9 # main + the 8 named threads of blocked.c
workers=$((THREADS - FIXED))
[ "$workers" -lt 0 ] && workers=0

have() { command -v "$1" >/dev/null 2>&1; }

echo "bench: starting blocked_O2 with $((workers + FIXED)) threads" >&2
td_start blocked_O2 "$workers"
pid=$TD_PID
n=$(ls "/proc/$pid/task" | wc -l)
spin=$(td_tasks "$pid" | awk '$2 == "spinner" {print $1}')

switches() {
    local t
    for t in /proc/"$pid"/task/*; do
        [ "${t##*/}" = "$spin" ] && continue
        echo "${t##*/} $(awk '/^voluntary_ctxt_switches:/ {print $2}' "$t/status" 2>/dev/null)"
    done
}

# cpu_ms RUNS CMD...: median CPU time (user + sys of CMD and its children, from bash's `times`) in ms
cpu_ms() {
    local runs=$1 i t=()
    shift
    for ((i = 0; i < runs; i++)); do
        t+=("$( ("$@" >/dev/null 2>&1 </dev/null; times) | tail -n 1 |
            awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } printf "%.1f", s * 1000 }')")
    done
    echo "bench: CPU of $1: ${t[*]} ms" >&2
    printf '%s\n' "${t[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

switches >"$TD_TMP/sw.before"
c=$(bb_median_ms "cdbg stacks" "$RUNS" "$CDBG" stacks "$pid")
s=$(bb_stopped_ms "$CDBG" stacks "$pid" --json)
cc=$(cpu_ms "$RUNS" "$CDBG" stacks "$pid")
cp=$(bb_median_ms "cdbg stacks --no-bpf" "$RUNS" "$CDBG" stacks --no-bpf "$pid")
ccp=$(cpu_ms "$RUNS" "$CDBG" stacks --no-bpf "$pid")
"$CDBG" stacks "$pid" --json >"$TD_TMP/stacks.json" 2>/dev/null
nstopped=$(grep -oE '"threads_stopped"[[:space:]]*:[[:space:]]*[0-9]+' "$TD_TMP/stacks.json" | grep -oE '[0-9]+$')
source=$(grep -oE '"source"[[:space:]]*:[[:space:]]*"[a-z]+"' "$TD_TMP/stacks.json" | grep -oE '[a-z]+"$' | tr -d '"')
switches >"$TD_TMP/sw.after"
woken=$(diff "$TD_TMP/sw.before" "$TD_TMP/sw.after" | grep -c '^>')
bb_check_untraced "$pid"

g=n/a
e=n/a
gc=n/a
have gdb && g=$(bb_median_ms gdb "$RUNS" gdb -nx -batch -p "$pid" -ex 'thread apply all bt')
td_asleep "$pid" >&2
have gdb && gc=$(cpu_ms "$RUNS" gdb -nx -batch -p "$pid" -ex 'thread apply all bt')
td_asleep "$pid" >&2
have eu-stack && e=$(bb_median_ms eu-stack "$RUNS" eu-stack -p "$pid")
td_asleep "$pid" >&2
bb_check_untraced "$pid"
td_stop "$pid"

echo "### cdbg stacks vs gdb vs eu-stack on one $n-thread process (median of $RUNS runs, wall ms)"
echo
echo "| threads | cdbg stacks ($source) | cdbg --no-bpf | gdb | eu-stack | gdb/cdbg | gdb/cdbg --no-bpf | eu-stack/cdbg | threads stopped | stopped ms | sleeping threads woken by cdbg |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
echo "| $n | $c | $cp | $g | $e | $(bb_ratio "$g" "$c") | $(bb_ratio "$g" "$cp") | $(bb_ratio "$e" "$c") | ${nstopped:-n/a} | $s | $woken of $((n - 1)) |"
echo
echo "| CPU ms (user + sys) | cdbg stacks ($source) | cdbg --no-bpf | gdb | gdb/cdbg | gdb/cdbg --no-bpf |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| median of $RUNS | $cc | $ccp | $gc | $(bb_ratio "$gc" "$cc") | $(bb_ratio "$gc" "$ccp") |"
echo
echo "$(bb_env_line); load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$woken" -eq 0 ] && [ "${nstopped:-x}" = 1 ] && exit 0
echo "bench: FAILED: cdbg stacks woke $woken sleeping threads / stopped ${nstopped:-?} threads (want 0 / 1)" >&2
exit 1
