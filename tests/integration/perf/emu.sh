#!/bin/bash
# Stepping over breakpoints by emulating the instruction under them (src/target/live.c
# step_emulated, src/arch cd_x86_emulable) must leave the program exactly as single-stepping does.
# emu.c is built here at -O0 with endbr64 (-fcf-protection) and at -O2 (pushes of r12-r14, sub
# rsp); a breakpoint goes on each of the first instructions of mix() and leaf() (endbr64, pushes,
# mov rbp/rsp, add/sub rsp, -O0 stores and loads of locals, a call), every one passed thousands of
# times through `ignore`. The program's own checksum must equal the undebugged run's, and the hit
# counts must be exact: mix's entry stops at its last call (hit N), when every other breakpoint
# shows the hits of the calls before it. The same with a watchpoint set, which forces the
# single-step path (the debug registers must see every access), checks that path gives the same.
. "$SRCROOT/tests/integration/lib.sh"
need_tool cc "building the test program"
need_tool objdump "finding the first instructions of the functions"

N=1000
for opt in O0 O2; do
    exe=$TD_TMP/emu_$opt
    flags=(-g "-$opt")
    [ "$opt" = O0 ] && flags+=(-fcf-protection=full)
    cc "${flags[@]}" -o "$exe" "$SRCROOT/tests/integration/perf/emu.c" || { fail "cannot build emu.c -$opt"; continue; }
    want=$("$exe" "$N")
    [[ "$want" == "checksum "*" calls $N" ]] && pass "undebugged run ($opt)" || fail "undebugged run ($opt): $want"

    # the first 10 instructions of a function, up to its ret: "OFFSET MNEMONIC" lines
    insns() {
        local base='' a m n=0
        while read -r a m; do
            [ -z "$base" ] && base=$((0x$a))
            echo "$((0x$a - base)) $m"
            n=$((n + 1))
            [ $n = 10 ] || [ "$m" = ret ] && break
        done < <(objdump -d --no-show-raw-insn "$exe" | sed -n "/<$1>:\$/,/^\$/p" | sed -n 's/^ *\([0-9a-f]*\):\t\([a-z0-9]*\).*/\1 \2/p')
    }
    mix=$(insns mix) leaf=$(insns leaf)
    # the test is about these: they must be there
    for m in push mov; do
        grep -q " $m" <<<"$mix" && pass "mix has $m ($opt)" || fail "no $m in mix's first instructions ($opt): $mix"
    done
    grep -Eq ' (sub|add)' <<<"$mix" && pass "mix adjusts rsp ($opt)" || fail "no sub/add in mix ($opt): $mix"
    if [ "$opt" = O0 ]; then
        grep -q '^0 endbr64' <<<"$mix" && pass "endbr64 ($opt)" || fail "mix does not start with endbr64: $mix"
    else
        grep -Eq 'push +%r1[2-5]' < <(objdump -d --no-show-raw-insn "$exe" | awk '/<mix>:/,/^$/') &&
            pass "push r12-r15 ($opt)" || fail "mix pushes no r12-r15 ($opt)"
    fi

    # breakpoint 1: mix's entry, stops at the Nth call; then mix+OFF and leaf+OFF, never stopping
    cmds=(-ex 'break *mix' -ex "ignore 1 $((N - 1))")
    nb=1 expect=()
    while read -r off m; do
        [ "$off" = 0 ] && continue
        nb=$((nb + 1))
        cmds+=(-ex "break *mix+$off" -ex "ignore $nb 1000000")
        expect+=("$nb $((N - 1))")
    done <<<"$mix"
    while read -r off m; do
        nb=$((nb + 1))
        cmds+=(-ex "break *leaf+$off" -ex "ignore $nb 1000000")
        expect+=("$nb $((3 * (N - 1)))")
    done <<<"$leaf"

    for mode in emulated watch; do
        extra=()
        [ "$mode" = watch ] && extra=(-ex 'watch g_watched')
        td_cdbg out run "$exe" "$N" --batch "${cmds[@]}" "${extra[@]}" -ex continue -ex breakpoints -ex continue
        expect_status 0 "$opt $mode"
        [ "$mode" = watch ] && expect_line '^Hardware watchpoint [0-9]+: g_watched$' "$out"
        expect_line "^Breakpoint 1, hit $N times, thread tid [0-9]+\$" "$out"
        for e in "${expect[@]}"; do
            set -- $e
            grep -Eq "^(Breakpoint|Watchpoint) $1 \(.*\), hit $2 times?(, |\$)" "$out" &&
                pass "breakpoint $1 hit $2 times ($opt $mode)" ||
                { fail "breakpoint $1: expected $2 hits ($opt $mode): $(grep -E "^Breakpoint $1 " "$out")"; td_show "$out"; }
        done
        expect_line "^$want\$" "$out"
        expect_line '^Process [0-9]+ exited with status 0$' "$out"
        expect_no_line '^Watchpoint .*Old value' "$out"
    done
done
td_finish
