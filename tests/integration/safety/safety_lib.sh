# Shared by the safety tests: hot targets that many cdbg sessions attach to in turn, and the check
# after each session that cdbg left the target as it found it. Source after lib.sh.
#
# A session that leaves a thread at bp+1, or with the SIGTRAP of one of cdbg's int3s still to be
# delivered, kills the target as soon as that thread runs again. So after each session every
# worker thread must get through tick() at least once more (its counter in counts[] advances,
# read from /proc/PID/mem): then a stray trap would already have killed the process. The race
# this catches happens in a few percent of sessions, hence SAFETY_RUNS sessions per path.

for tool in nm readelf dd od; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (binutils/coreutils): cannot read the target's memory or ELF"
done

# Sessions per path. meson sets SAFETY_RUNS (fewer under ASan, never below 20).
RUNS=${SAFETY_RUNS:-50}
[ "$RUNS" -ge 20 ] 2>/dev/null || { echo "FAIL: SAFETY_RUNS=$RUNS: at least 20 sessions per path" >&2; exit 1; }
HOT_THREADS=3

# hot_start VARIANT: starts hot_VARIANT and sets, for it (index by VARIANT):
#   HOT_PID[V], HOT_EXE[V], HOT_COUNTS[V] (address of counts[] in the process),
#   HOT_TICK[V], HOT_TICK_SIZE[V] (tick()'s address in the process and its size in bytes).
declare -A HOT_PID HOT_EXE HOT_COUNTS HOT_TICK HOT_TICK_SIZE
hot_start() {
    local v=$1 exe real lowest start counts tick size
    exe=$(td_bin "hot_$v") || exit 1
    td_start "$exe" "$HOT_THREADS"
    real=$(readlink -f "$exe")
    # load bias = where the first segment is mapped - its link-time address (0 for a PIE)
    lowest=$(readelf -lW "$exe" | awk '$1 == "LOAD" {print $3; exit}')
    start=$(awk -v e="$real" '$6 == e && $3 == "00000000" {split($1, a, "-"); print a[1]; exit}' "/proc/$TD_PID/maps")
    counts=$(nm "$exe" | awk '$3 == "counts" {print $1}')
    read -r tick size < <(nm -S "$exe" | awk '$4 == "tick" {print $1, $2}')
    if [ -z "$lowest" ] || [ -z "$start" ] || [ -z "$counts" ] || [ -z "$tick" ] || [ -z "$size" ]; then
        echo "FAIL: cannot locate counts[] and tick() of $exe in process $TD_PID (nm/readelf/maps)" >&2
        exit 1
    fi
    local bias=$((0x$start - (lowest & ~0xfff)))
    HOT_PID[$v]=$TD_PID
    HOT_EXE[$v]=$real
    HOT_COUNTS[$v]=$((bias + 0x$counts))
    HOT_TICK[$v]=$((bias + 0x$tick))
    HOT_TICK_SIZE[$v]=$((0x$size))
}

# mem_read PID ADDR LEN: LEN bytes of the process's memory as od would print them with "$@" after.
mem_hex() {
    dd if="/proc/$1/mem" bs=4096 iflag=skip_bytes,count_bytes skip="$2" count="$3" 2>/dev/null | od -An -v -tx1 | tr -d ' \n'
}
counters() {
    dd if="/proc/$1/mem" bs=4096 iflag=skip_bytes,count_bytes skip="$2" count=$((8 * HOT_THREADS)) 2>/dev/null |
        od -An -v -tu8 | tr -s ' \n' ' '
}
# file_hex PID FILE ADDR LEN: the bytes FILE holds for ADDR, as mapped in process PID.
file_hex() {
    local pid=$1 file=$2 addr=$3 len=$4 line lo hi off
    while read -r line; do
        set -- $line
        [ "$6" = "$file" ] || continue
        lo=$((0x${1%-*}))
        hi=$((0x${1#*-}))
        off=$((0x$3))
        if [ "$addr" -ge "$lo" ] && [ $((addr + len)) -le "$hi" ]; then
            dd if="$file" bs=4096 iflag=skip_bytes,count_bytes skip=$((addr - lo + off)) count="$len" 2>/dev/null |
                od -An -v -tx1 | tr -d ' \n'
            return 0
        fi
    done <"/proc/$pid/maps"
    return 1
}

# forget_pid PID: PID was reaped: drop it from TD_PIDS, which lib.sh's exit trap kills with
# SIGKILL. Hundreds of sessions recycle PIDs: a stale entry could kill another test's process.
forget_pid() {
    local p keep=()
    for p in "${TD_PIDS[@]}"; do
        [ "$p" = "$1" ] || keep+=("$p")
    done
    TD_PIDS=("${keep[@]}")
}

# hot_dead V WHAT: the target died; says how (it is our child) and starts a fresh one.
hot_dead() {
    local v=$1 pid=${HOT_PID[$1]} st
    wait "$pid" 2>/dev/null
    st=$?
    forget_pid "$pid"
    fail "$2: hot_$v (pid $pid) died after cdbg left it: exit status $st$([ "$st" -gt 128 ] && echo " = signal $((st - 128)) ($(kill -l $((st - 128))))")"
    hot_start "$v"
}

# hot_alive PID: the process exists and is not a zombie (it is our child: dead, it stays one).
hot_alive() {
    local st
    st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# check_left V WHAT: after a cdbg session on hot_V: not traced or stopped, every worker thread
# gets through tick() again, the process is alive, and tick()'s code is the ELF's, byte for byte.
check_left() {
    local v=$1 what=$2 pid=${HOT_PID[$1]}
    if ! hot_alive "$pid"; then
        hot_dead "$v" "$what"
        return 1
    fi
    if ! check_untraced "$pid" >/dev/null; then
        hot_alive "$pid" || hot_dead "$v" "$what"
        return 1
    fi
    local before now deadline=$((SECONDS + 30)) i ok
    read -r -a before <<<"$(counters "$pid" "${HOT_COUNTS[$v]}")"
    while :; do
        read -r -a now <<<"$(counters "$pid" "${HOT_COUNTS[$v]}")"
        if [ "${#now[@]}" -ne "$HOT_THREADS" ]; then
            hot_dead "$v" "$what"
            return 1
        fi
        ok=1
        for ((i = 0; i < HOT_THREADS; i++)); do
            [ "${now[i]}" -gt "${before[i]}" ] || ok=
        done
        [ -n "$ok" ] && break
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "$what: a worker thread of hot_$v made no progress in 30 s (counters ${before[*]} -> ${now[*]})"
            return 1
        fi
        sleep 0.01
    done
    if ! hot_alive "$pid"; then
        hot_dead "$v" "$what"
        return 1
    fi
    local mem elf
    mem=$(mem_hex "$pid" "${HOT_TICK[$v]}" "${HOT_TICK_SIZE[$v]}")
    elf=$(file_hex "$pid" "${HOT_EXE[$v]}" "${HOT_TICK[$v]}" "${HOT_TICK_SIZE[$v]}")
    if [ -z "$mem" ] || [ "$mem" != "$elf" ]; then
        fail "$what: tick() of hot_$v is not the ELF's code: memory $mem, file $elf"
        return 1
    fi
    pass "$what: hot_$v left running, untraced, unpatched"
}

# wait_running V CDBG_PID: returns once cdbg CDBG_PID runs hot_V: the target's main thread was
# seen held by it (state t, TracerPid CDBG_PID: attached, cdbg's signal handlers in place), then
# running free while still traced by it (state S, in pause()), which only `continue` does.
wait_running() {
    local pid=${HOT_PID[$1]} deadline=$((SECONDS + 30)) st tr held=
    while :; do
        st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
        tr=$(awk '$1 == "TracerPid:" {print $2}' "/proc/$pid/status" 2>/dev/null)
        if [ "$tr" = "$2" ]; then
            [ "$st" = t ] && held=1
            [ "$st" = S ] && [ -n "$held" ] && return 0
        fi
        if [ "$SECONDS" -ge "$deadline" ] || repl_exited "$2"; then
            fail "cdbg never ran hot_$1 (main thread state '$st', tracer '$tr'; cdbg $(repl_exited "$2" && echo exited || echo runs))"
            return 1
        fi
    done
}

# wait_exit PID: waits (up to 30 s, else kills it and fails) for a background cdbg; status in TD_RC.
wait_exit() {
    local deadline=$((SECONDS + 30))
    while ! repl_exited "$1"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "cdbg (pid $1) did not exit within 30 s of the signal"
            [ -n "${SAFETY_DEBUG:-}" ] && gdb -batch -p "$1" -ex 'thread apply all bt' >&2 2>&1
            kill -KILL "$1" 2>/dev/null
            break
        fi
        sleep 0.01
    done
    wait "$1"
    TD_RC=$?
    forget_pid "$1"
}

# hot_variant I: the variant session I of a path uses: the first half -O0, the second -O2.
hot_variant() {
    [ "$1" -le $((RUNS / 2)) ] && echo O0 || echo O2
}

# hot_switch V: makes hot_V the one running target (its threads spin: one at a time on 2 CPUs).
hot_switch() {
    local v
    for v in "${!HOT_PID[@]}"; do
        [ "$v" = "$1" ] && continue
        hot_stop "$v"
    done
    [ -n "${HOT_PID[$1]:-}" ] || hot_start "$1"
}

# hot_stop V: kills hot_V; it must still be the process started (no death went unnoticed).
hot_stop() {
    local pid=${HOT_PID[$1]}
    if hot_alive "$pid"; then
        pass "hot_$1 alive at the end"
        td_stop "$pid"
        forget_pid "$pid"
    else
        hot_dead "$1" "at the end"
        td_stop "${HOT_PID[$1]}"
        forget_pid "${HOT_PID[$1]}"
    fi
    unset "HOT_PID[$1]"
}

# hot_end: stops whichever target runs.
hot_end() {
    local v
    for v in "${!HOT_PID[@]}"; do
        hot_stop "$v"
    done
}
