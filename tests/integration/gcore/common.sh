# Helpers shared by the gcore tests (sourced after lib.sh).
GC_EXE=$(td_bin gcore_prog_O0) || exit 1

# gc_report: asks the running gcore_prog (TD_PID) for a report and waits for it; sets GC_GAP_US
# (its longest scheduling gap since the previous report), GC_SIGCHLD and GC_SUM (its memory's checksum).
_gc_nreports() { [ "$(grep -c '^report ' "$1")" -ge "$2" ]; }
gc_report() {
    local outf n line
    outf=$(readlink "/proc/$TD_PID/fd/1")
    n=$(grep -c '^report ' "$outf")
    kill -USR1 "$TD_PID"
    td_wait_for "report $((n + 1)) of pid $TD_PID" _gc_nreports "$outf" $((n + 1)) || return 1
    line=$(grep '^report ' "$outf" | tail -1)
    GC_GAP_US=$(sed -E 's/.*maxgap_us=([0-9]+).*/\1/' <<<"$line")
    GC_SIGCHLD=$(sed -E 's/.*sigchld=([0-9]+).*/\1/' <<<"$line")
    GC_SUM=$(sed -E 's/.*sum=([0-9a-f]+).*/\1/' <<<"$line")
}

# gc_no_children PID: PID has no child process (the snapshot was reaped, no zombie left).
gc_no_children() {
    local kids
    kids=$(awk -v p="$1" '{ sub(/.*\) /, ""); if ($2 == p) print FILENAME }' /proc/[0-9]*/stat 2>/dev/null)
    [ -z "$kids" ] && pass "no child of $1" || fail "process $1 has children: $kids"
}

# gc_blocks FILE: `bt all` output without the heartbeat thread's block (the one thread that runs,
# whose innermost frames move between two looks).
gc_blocks() {
    awk '/^Thread [0-9]+ /{ if (blk != "" && blk !~ / in heartbeat at /) printf "%s", blk; blk = "" }
         { blk = blk $0 "\n" }
         END { if (blk != "" && blk !~ / in heartbeat at /) printf "%s", blk }' "$1"
}

# gc_pcs_cdbg FILE: "TID pc pc pc..." per thread of a cdbg `bt all` (frames with an address).
gc_pcs_cdbg() {
    awk '/^Thread [0-9]+ \(tid /{ if (tid) print tid pcs; tid = $4; sub(/,/, "", tid); pcs = "" }
         /^#[0-9]+ +0x/{ pcs = pcs " " $2 }
         END { if (tid) print tid pcs }' "$1" | sort
}
# gc_pcs_gdb FILE: the same from gdb's `thread apply all bt` with frame-info location-and-address,
# consecutive equal pcs (gdb's inline frames) once.
gc_pcs_gdb() {
    awk '/^Thread [0-9]+ \(Thread .*\(LWP [0-9]+\)\)/{ if (tid) print tid pcs; tid = $0; sub(/.*LWP /, "", tid); sub(/\).*/, "", tid); pcs = ""; last = "" }
         /^#[0-9]+ +0x/{ if ($2 != last) pcs = pcs " " $2; last = $2 }
         END { if (tid) print tid pcs }' "$1" | sort
}
