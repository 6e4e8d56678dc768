#!/bin/bash
# Leaving with a breakpoint in code that several threads run at a high rate, by the normal paths:
# the end of a --batch script, `detach`, `quit`. Another thread often hits the breakpoint at the
# moment cdbg stops everything (it is at bp+1 with the trap reported, or interrupted with the trap
# still queued): cdbg must rewind it and drop the trap before it detaches, every time.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/safety_lib.sh"

for path in batch detach quit; do
    case $path in
    batch) extra=() ;;
    detach) extra=(-ex detach) ;;
    quit) extra=(-ex quit) ;;
    esac
    for ((i = 1; i <= RUNS; i++)); do
        v=$(hot_variant "$i")
        hot_switch "$v"
        td_cdbg out attach "${HOT_PID[$v]}" --batch -ex 'break tick' -ex continue "${extra[@]}"
        [ "$TD_RC" -eq 0 ] || { fail "$path #$i: cdbg exited with $TD_RC: $(head -c 300 "$out.err")"; continue; }
        grep -q '^Breakpoint 1, hit 1 time, thread tid [0-9]*$' "$out" ||
            { fail "$path #$i: continue did not stop at the breakpoint"; td_show "$out"; }
        [ "$path" = detach ] && ! grep -q "^Detached from process ${HOT_PID[$v]}\$" "$out" &&
            fail "$path #$i: no 'Detached from process' line"
        check_left "$v" "$path #$i"
    done
done
hot_end
td_finish
