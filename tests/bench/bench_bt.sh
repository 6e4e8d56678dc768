#!/bin/bash
# Backtrace-all benchmark: cdbg vs gdb vs eu-stack, on the same processes, in one run.
#
#   bash tests/bench/bench_bt.sh [BUILD_DIR] [--runs N] [--sizes "8 100 1000"] [--gcore] [--no-core]
#
# For each size, starts testdata threads_O2 with that many threads in total (main + 6 fixed threads
# + parked workers) and times, against the same live process:
#   cdbg      cdbg attach PID --batch -ex 'bt all'
#   gdb       gdb -nx -batch -p PID -ex 'thread apply all bt'
#   eu-stack  eu-stack -p PID
# Then it dumps a core of the largest process (SIGABRT with `ulimit -c unlimited`, or gcore when
# cores do not land in the cwd or --gcore is given) and times
#   cdbg core EXE CORE --batch -ex 'bt all' / gdb -nx -batch EXE CORE -ex 'thread apply all bt' /
#   eu-stack --core CORE -e EXE.
# Each cell is the median wall time of N runs (default 5) after one untimed warm-up run. The
# "stopped" column is the time cdbg reports the target was held stopped ("stopped_ms" in its --json
# output), when it reports one. A tool that is missing or fails shows "n/a"/"fail" and the rest goes
# on. Prints a markdown table on stdout; progress goes to stderr. Never run by meson test.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BUILD=./build
RUNS=5
SIZES="8 100 1000"
USE_GCORE=
DO_CORE=1
while [ $# -gt 0 ]; do
    case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --gcore) USE_GCORE=1; shift ;;
    --no-core) DO_CORE=; shift ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench_bt.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) BUILD=$1; shift ;;
    esac
done
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "bench_bt.sh: build dir not found; run meson setup build && ninja -C build first" >&2; exit 2; }

export TESTDATA=$BUILD/testdata
export CDBG=$BUILD/cdbg
export SRCROOT=${SRCROOT:-$(cd "$here/../.." && pwd)}
export TD_READY_TIMEOUT=120
# Reuse the integration helpers: start-and-wait-for-ready, cleanup on exit, core making.
. "$SRCROOT/tests/integration/lib.sh"
. "$here/bench_bt_lib.sh"

EXE=$TESTDATA/spine/threads_O2
[ -x "$EXE" ] || { echo "bench_bt.sh: $EXE missing; run ninja -C $BUILD first" >&2; exit 2; }
FIXED_THREADS=7 # main + the 6 named threads of threads.c

have() { command -v "$1" >/dev/null 2>&1; }
have_cdbg=; [ -x "$CDBG" ] && have_cdbg=1
have_gdb=; have gdb && have_gdb=1
have_eu=; have eu-stack && have_eu=1

rows=()
add_row() { rows+=("$1"); }

# bench_target LABEL NTHREADS KIND(live|core) ARGS...: times the three tools on one target.
# live: ARGS = PID; core: ARGS = CORE.
bench_target() {
    local label=$1 n=$2 kind=$3 what=$4
    local c g e s cmd_c cmd_g cmd_e
    if [ "$kind" = live ]; then
        cmd_c=("$CDBG" attach "$what" --batch -ex 'bt all')
        cmd_g=(gdb -nx -batch -p "$what" -ex 'thread apply all bt')
        cmd_e=(eu-stack -p "$what")
    else
        cmd_c=("$CDBG" core "$EXE" "$what" --batch -ex 'bt all')
        cmd_g=(gdb -nx -batch "$EXE" "$what" -ex 'thread apply all bt')
        cmd_e=(eu-stack --core "$what" -e "$EXE")
    fi
    c=n/a; g=n/a; e=n/a; s=n/a
    [ -n "$have_cdbg" ] && c=$(bb_median_ms "cdbg $label" "$RUNS" "${cmd_c[@]}")
    [ -n "$have_gdb" ] && g=$(bb_median_ms "gdb $label" "$RUNS" "${cmd_g[@]}")
    [ -n "$have_eu" ] && e=$(bb_median_ms "eu-stack $label" "$RUNS" "${cmd_e[@]}")
    if [ -n "$have_cdbg" ]; then
        local json=("${cmd_c[@]:0:3}" --json "${cmd_c[@]:3}")
        [ "$kind" = core ] && json=("${cmd_c[@]:0:4}" --json "${cmd_c[@]:4}")
        s=$(bb_stopped_ms "${json[@]}")
    fi
    [ "$kind" = live ] && bb_check_untraced "$what"
    add_row "| $label | $n | $c | $g | $e | $(bb_ratio "$g" "$c") | $(bb_ratio "$e" "$c") | $s |"
}

largest=0
for n in $SIZES; do
    [ "$n" -gt "$largest" ] && largest=$n
    workers=$((n - FIXED_THREADS))
    [ "$workers" -lt 0 ] && workers=0
    echo "bench: starting threads_O2 with $((workers + FIXED_THREADS)) threads" >&2
    td_start threads_O2 "$workers"
    bench_target "live" "$(ls "/proc/$TD_PID/task" | wc -l)" live "$TD_PID"
    td_stop "$TD_PID"
done

core_note=
if [ -n "$DO_CORE" ] && [ "$largest" -gt 0 ]; then
    workers=$((largest - FIXED_THREADS))
    [ "$workers" -lt 0 ] && workers=0
    echo "bench: dumping a core of threads_O2 with $((workers + FIXED_THREADS)) threads" >&2
    core=$(bb_make_core "$workers")
    if [ -n "$core" ] && [ -f "$core" ]; then
        bench_target "core" "$((workers + FIXED_THREADS))" core "$core"
        core_note="core: $(du -m "$core" | cut -f1) MB"
    else
        core_note="core: could not be made (see stderr)"
    fi
fi

echo "### bt all: cdbg vs gdb vs eu-stack (median of $RUNS runs, wall ms)"
echo
echo "| target | threads | cdbg | gdb | eu-stack | gdb/cdbg | eu-stack/cdbg | cdbg stopped ms |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "$(bb_env_line)${core_note:+; $core_note}"
exit 0
