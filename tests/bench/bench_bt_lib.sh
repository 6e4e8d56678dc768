# Helpers for bench_bt.sh (sourced; needs tests/integration/lib.sh sourced first).

BB_TIMEOUT=${BB_TIMEOUT:-600}
BB_EXPECT=${BB_EXPECT:-wait_on_mutex}

# bb_median_ms LABEL RUNS CMD...: one untimed warm-up run, then RUNS timed runs; prints the median
# wall time in ms (one decimal), or "fail" when every run exited nonzero or printed nothing.
# A median whose runs partly failed is suffixed with "*". A run whose output lacks BB_EXPECT (a user
# function every correct backtrace of threads_O2 contains) counts as failed: it did not do the work.
bb_median_ms() {
    local label=$1 runs=$2
    shift 2
    local out=$TD_TMP/bench.out times=() i t0 t1 rc nbad=0
    timeout -k 5 "$BB_TIMEOUT" "$@" >"$out" 2>&1 </dev/null
    for ((i = 0; i < runs; i++)); do
        t0=$EPOCHREALTIME
        timeout -k 5 "$BB_TIMEOUT" "$@" >"$out" 2>&1 </dev/null
        rc=$?
        t1=$EPOCHREALTIME
        if [ "$rc" -ne 0 ] || ! grep -q -- "$BB_EXPECT" "$out"; then
            nbad=$((nbad + 1))
            echo "bench: $label: run $((i + 1)) exited $rc, ${BB_EXPECT} $(grep -c -- "$BB_EXPECT" "$out") times in: $(head -c 200 "$out" | tr '\n' ' ')" >&2
        fi
        times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')")
    done
    echo "bench: $label: ${times[*]} ms" >&2
    if [ "$nbad" -eq "$runs" ]; then
        echo fail
        return 0
    fi
    local med
    med=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    [ "$nbad" -gt 0 ] && med="$med*"
    echo "$med"
}

# bb_stopped_ms CMD...: runs a cdbg --json command once and prints the last "stopped_ms" it
# reports (summed over objects is not wanted: `bt all` is one stop), or n/a.
bb_stopped_ms() {
    local out=$TD_TMP/bench.json v
    timeout -k 5 "$BB_TIMEOUT" "$@" >"$out" 2>/dev/null </dev/null
    v=$(grep -oE '"stopped_ms"[[:space:]]*:[[:space:]]*[0-9.eE+-]+' "$out" | tail -n 1 | sed -E 's/.*:[[:space:]]*//')
    echo "${v:-n/a}"
}

# bb_ratio A B: A/B with two significant-ish decimals, or n/a when either is not a number.
bb_ratio() {
    local a=${1%\*} b=${2%\*}
    if [[ $a =~ ^[0-9.]+$ && $b =~ ^[0-9.]+$ ]] && awk -v b="$b" 'BEGIN { exit !(b > 0) }'; then
        awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }'
    else
        echo n/a
    fi
}

# A target left stopped by one tool would make the next tools' numbers meaningless: say so.
bb_check_untraced() {
    check_untraced "$1" >/dev/null || echo "bench: WARNING: process $1 was left traced or stopped" >&2
}

# bb_make_core WORKERS: prints the path of a core of threads_O2 WORKERS, made with SIGABRT in a
# scratch dir, or with gcore when the kernel does not write cores to the cwd (or with --gcore).
bb_make_core() {
    local pat
    pat=$(cat /proc/sys/kernel/core_pattern 2>/dev/null)
    if [ -z "${USE_GCORE:-}" ] && [[ $pat != "|"* && $pat != /* ]]; then
        make_core_of threads_O2 "$1"
        return
    fi
    command -v gcore >/dev/null || { echo "bench: no usable core_pattern ('$pat') and no gcore" >&2; return 1; }
    td_start threads_O2 "$1" >&2
    gcore -o "$TD_TMP/gcore" "$TD_PID" >/dev/null 2>&1
    td_stop "$TD_PID"
    [ -f "$TD_TMP/gcore.$TD_PID" ] && echo "$TD_TMP/gcore.$TD_PID"
}

bb_env_line() {
    local cpu gdbv euv cdbgv
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    gdbv=$(gdb --version 2>/dev/null | head -n 1 | grep -oE '[0-9]+\.[0-9.]+' | head -n 1)
    euv=$(eu-stack --version 2>/dev/null | head -n 1 | grep -oE '[0-9]+\.[0-9.]+' | head -n 1)
    cdbgv=$("$CDBG" --version 2>/dev/null | head -n 1)
    echo "Environment: ${cdbgv:-cdbg (version unknown)}; gdb ${gdbv:-n/a}; eu-stack ${euv:-n/a}; kernel $(uname -r); $(nproc) CPU ($cpu)"
}
