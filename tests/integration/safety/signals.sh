#!/bin/bash
# SIGTERM, SIGHUP and SIGINT to a --batch cdbg while `continue` runs, with a breakpoint in code
# that several threads run at a high rate: `break tick if 0` (hit and resumed all the time, so the
# signal lands in any phase: threads running, being stopped, a condition being evaluated) and a
# plain `break tick` with one `continue` after another. SIGTERM and SIGHUP end cdbg through its
# async-signal-safe emergency path, SIGINT ends the script through the normal one; either way the
# target is left running, untraced and unpatched, every time.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/safety_lib.sh"
trap '' PIPE

conts=$TD_TMP/continues
# More than cdbg can run before the signal, however fast it is: the program runs free only for a
# moment in each `continue` (its threads hit tick at once), and wait_running must see that moment.
for ((k = 0; k < 50000; k++)); do echo continue; done >"$conts"

for sig in TERM HUP INT; do
    num=$(kill -l "$sig")
    for ((i = 1; i <= RUNS; i++)); do
        v=$(hot_variant "$i")
        hot_switch "$v"
        if [ $((i % 4)) -lt 2 ]; then
            how='break tick if 0'
            args=(-ex 'break tick if 0' -ex continue)
        else
            how='break tick, continue...'
            args=(-ex 'break tick' -x "$conts")
        fi
        out=$(mktemp "$TD_TMP/out.XXXXXX")
        "$CDBG" attach "${HOT_PID[$v]}" --batch "${args[@]}" >"$out" 2>"$out.err" </dev/null &
        c=$!
        TD_PIDS+=("$c")
        wait_running "$v" "$c" || { kill -KILL "$c"; wait "$c"; forget_pid "$c"; check_left "$v" "SIG$sig #$i (cdbg never ran it)"; continue; }
        kill -"$sig" "$c"
        wait_exit "$c"
        what="SIG$sig #$i ($how)"
        [ "$TD_RC" -eq $((128 + num)) ] ||
            fail "$what: cdbg exited with $TD_RC, not $((128 + num)): $(head -c 300 "$out.err")"
        if [ "$sig" = INT ]; then
            grep -q '^cdbg: interrupted: the rest of the script is not run' "$out.err" ||
                fail "$what: no 'interrupted' line: $(head -c 300 "$out.err")"
        else
            grep -q '^cdbg: terminated by a signal; the target was released' "$out.err" ||
                fail "$what: no 'terminated by a signal' line: $(head -c 300 "$out.err")"
        fi
        check_left "$v" "$what"
    done
done
hot_end
td_finish
