# Helpers for the values tests: a table of "COMMAND<TAB>REGEX" lines is run in ONE cdbg session
# (one -ex per command), and output line i must match REGEX i exactly (grep -Ex).
# Commands that print several lines list one table row per output line with the same command
# text prefixed by "+" for the continuation rows.

# run_table LABEL TABLEFILE CDBG-ARGS...
run_table() {
    local label=$1 table=$2
    shift 2
    local -a ex=() pats=()
    local cmd pat
    while IFS=$'\t' read -r cmd pat; do
        [ -z "$cmd" ] && continue
        case $cmd in '#'*) continue ;; esac
        [ "${cmd:0:1}" != "+" ] && ex+=(-ex "$cmd")
        pats+=("$pat")
    done <"$table"
    td_cdbg out "$@" --batch "${ex[@]}"
    expect_status 0 "$label" || { cat "$out.err" >&2; }
    local i=0 line
    local n
    n=$(wc -l <"$out")
    if [ "$n" -ne "${#pats[@]}" ]; then
        fail "$label: expected ${#pats[@]} output lines, got $n"
        td_show "$out"
    fi
    while IFS= read -r line; do
        [ "$i" -ge "${#pats[@]}" ] && break
        if printf '%s\n' "$line" | grep -Eqx -- "${pats[$i]}"; then
            pass "$label: ${pats[$i]}"
        else
            fail "$label line $((i + 1)): '$line' does not match /${pats[$i]}/"
        fi
        i=$((i + 1))
    done <"$out"
}

# expect_cmd_error LABEL REGEX CDBG-ARGS... : the last -ex fails with exit 1 and a one-line error.
expect_cmd_error() {
    local label=$1 pat=$2
    shift 2
    td_cdbg out "$@" --batch
    expect_status 1 "$label"
    local n
    n=$(grep -c . "$out.err")
    [ "$n" = 1 ] && pass "$label: one line" || fail "$label: expected one error line, got $n: $(cat "$out.err")"
    expect_line "$pat" "$out.err"
}

# The values program's helper thread prints "ready" and only then blocks in pause(): right after
# "ready" it may still be in write(). Checks of the helper's own stack wait for this.
# values_wait_paused PID: waits (up to TD_READY_TIMEOUT s) until every thread of PID is in pause().
values_wait_paused() {
    local pid=$1 deadline=$((SECONDS + TD_READY_TIMEOUT)) f nr all
    while :; do
        all=1
        for f in /proc/"$pid"/task/*/syscall; do
            nr=$(cut -d' ' -f1 "$f" 2>/dev/null)
            # pause, or ppoll where pause is built on it
            [ "$nr" = 34 ] || [ "$nr" = 271 ] || { all=; break; }
        done
        [ -n "$all" ] && return 0
        if [ "$SECONDS" -ge "$deadline" ] || [ ! -d "/proc/$pid" ]; then
            echo "FAIL: process $pid: not every thread blocked in pause() within ${TD_READY_TIMEOUT}s: $(cat /proc/"$pid"/task/*/syscall 2>/dev/null | cut -d' ' -f1 | tr '\n' ' ')" >&2
            return 1
        fi
        sleep 0.01
    done
}

# values_core_paused PROG: lib.sh's make_core_of, but SIGABRT only once every thread is in pause(),
# so the core shows the helper where the live process does. Prints the core's path. Call
# require_cores first (in the script, not in the $(...) subshell).
values_core_paused() {
    local exe dir pid fd line ok=
    exe=$(td_bin "$1") || return 1
    dir=$(mktemp -d "$TD_TMP/core.XXXXXX") || return 1
    mkfifo "$dir/out" || return 1
    exec {fd}<>"$dir/out"
    (
        cd "$dir" || exit 1
        ulimit -c unlimited
        exec "$exe" >"$dir/out" 2>"$dir/stderr"
    ) &
    pid=$!
    local deadline=$((SECONDS + TD_READY_TIMEOUT))
    while [ "$SECONDS" -lt "$deadline" ] && kill -0 "$pid" 2>/dev/null; do
        if read -r -t 0.1 -u "$fd" line && [ "$line" = ready ]; then
            ok=1
            break
        fi
    done
    exec {fd}>&-
    if [ -z "$ok" ] || ! values_wait_paused "$pid"; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        echo "FAIL: $exe did not print 'ready' and block in pause()" >&2
        return 1
    fi
    kill -ABRT "$pid"
    wait "$pid" 2>/dev/null
    if ! td_find_core "$dir" "$pid"; then
        echo "FAIL: $exe (pid $pid) left no core in $dir" >&2
        return 1
    fi
}
