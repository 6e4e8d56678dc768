#!/bin/bash
# Large-DWARF bench (issue 5): ~3000 functions and ~1000 struct types, compiled -g. Compares time
# and peak memory (RSS) from start to the first stop at main plus `print` of a global, cdbg vs gdb,
# median of RUNS (default 5). Also fuzzes the expression parser for a minute (FUZZ=0 to skip).
# Usage: tests/bench/bench_values.sh [CDBG]   (default build/cdbg)
set -u
SRCROOT=$(cd "$(dirname "$0")/../.." && pwd)
CDBG=${1:-$SRCROOT/build/cdbg}
RUNS=${RUNS:-5}
W=${TMPDIR:-/tmp}/cdbg-bench-values
rm -rf "$W"
mkdir -p "$W"
python3 "$SRCROOT/tests/bench/gen_big_dwarf.py" "$W/src" || exit 1
(cd "$W/src" && gcc -g -O0 -o "$W/big" ./*.c) || exit 1
dinfo=$(readelf -S --wide "$W/big" | awk '$2 == ".debug_info" {print $6}')
echo "big: $(stat -c %s "$W/big") bytes, $((16#${dinfo:-0})) bytes of .debug_info"
# cdbg's own baseline (stop at main, no print) separates value printing from the rest of startup.
read -r bt bm < <(/usr/bin/time -f "%e %M" "$CDBG" run "$W/big" --batch 2>&1 >/dev/null | tail -n 1)
echo "cdbg baseline (stop at main, no print): $bt s, $bm KB"

measure() { # prints "seconds maxrss_kb" for one run of "$@"
    /usr/bin/time -f "%e %M" -o "$W/time" "$@" >"$W/out" 2>"$W/err"
    cat "$W/time"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

run_tool() { # name cmd...
    local name=$1 i
    shift
    : >"$W/$name.t"
    : >"$W/$name.m"
    for i in $(seq "$RUNS"); do
        read -r t m < <(measure "$@")
        echo "$t" >>"$W/$name.t"
        echo "$m" >>"$W/$name.m"
    done
    grep -q 's500 = ' "$W/out" || grep -q 'id = 500' "$W/out" || { echo "$name: unexpected output:"; cat "$W/out" "$W/err"; }
    echo "$name: $(median <"$W/$name.t") s, $(median <"$W/$name.m") KB peak RSS"
}

run_tool cdbg "$CDBG" run "$W/big" --batch -ex 'print g_s500'
run_tool gdb gdb -nx -batch -ex 'break main' -ex run -ex 'print g_s500' "$W/big"
ct=$(median <"$W/cdbg.t"); gt=$(median <"$W/gdb.t"); cm=$(median <"$W/cdbg.m"); gm=$(median <"$W/gdb.m")
awk -v ct="$ct" -v gt="$gt" -v cm="$cm" -v gm="$gm" 'BEGIN {
    printf "speed: cdbg is %.1fx faster than gdb (target >= 5x)\n", gt / (ct > 0 ? ct : 0.001)
    printf "memory: cdbg uses %.2f of gdb peak RSS (target <= 0.33)\n", cm / gm }'
if [ "${FUZZ:-1}" != 0 ]; then
    bash "$SRCROOT/tests/bench/fuzz_expr.sh" 60
fi
