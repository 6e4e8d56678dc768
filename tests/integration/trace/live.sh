#!/bin/bash
# The trace's output is live: what a user watching it sees while the program runs.
#
# trace_gate (testdata/trace/gate.c) moves on only when this test writes a byte to its FIFO, and
# the test writes it only after the lines it waits for are in the output, so nothing here depends
# on how fast anything runs:
#   1. five calls, then the program blocks: the five lines must come out while it is blocked (an
#      idle trace: every poll comes back empty).
#   2. one shown call (the marker), then hidden calls (--if show) as fast as the program can make
#      them, until the next byte: every poll finds records, so only the flush by time (~100 ms after
#      a line entered the buffer) writes the marker out; a flush on empty polls alone, or when the
#      1 MB buffer fills, never does while the program runs (checked with the inline backend: see
#      gate()). What the hidden calls leave in the ring is drained, each evaluated for --if, before
#      cdbg ends; the rest are drops.
# Then trace_pace: a line every 20 ms, each ~1,150 bytes (four -e s), stopping as soon as the -o file
# is not empty.
. "$SRCROOT/tests/integration/lib.sh"

gate=$(td_bin trace_gate)

# wait_out WHAT PID COMMAND...: waits until COMMAND succeeds while cdbg (PID) runs; a failure when cdbg
# ends first or after TD_WAIT_TIMEOUT s (the output never came while the program ran).
wait_out() {
    local what=$1 pid=$2 deadline=$((SECONDS + TD_WAIT_TIMEOUT))
    shift 2
    until "$@"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            fail "$what: cdbg ended before it was in the output"
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "$what: not in the output after ${TD_WAIT_TIMEOUT}s while the program ran"
            return 1
        fi
        sleep 0.02
    done
    pass "$what"
}

# shown FILE N: FILE holds exactly the lines of tick(0..N-1, show=1), in order (text or --json)
shown() {
    local want="" i
    for ((i = 0; i < $2; i++)); do
        if [ "$mode" = json ]; then
            want+="tick {\"i\":$i,\"show\":1}"$'\n'
        else
            want+="> tick(i=$i, show=1)"$'\n'
        fi
    done
    [ "$(ev_lines "$1")" = "${want%$'\n'}" ]
}

ev_lines() {
    if [ "$mode" = json ]; then
        python3 -c '
import json, sys
for l in open(sys.argv[1]):
    if not l.endswith("\n"):
        break  # a line being written
    o = json.loads(l)
    if o.get("event") == "entry":
        print(o["function"], json.dumps(o["args"], separators=(",", ":")))
' "$1" 2>/dev/null
    else
        sed -n 's/^\(> tick(i=[0-9]*, show=[0-9]*)\) .*/\1/p' "$1" 2>/dev/null
    fi
}

# gate BACKEND MODE: MODE file (-o FILE), stdout (a file as cdbg's stdout), json (--json on stdout)
gate() {
    local be=$1 mode=$2 d out fd cpid rc calls
    d=$(mktemp -d "$TD_TMP/gate.XXXXXX")
    mkfifo "$d/fifo"
    exec {fd}<>"$d/fifo" # read-write: opening it does not wait for the program
    out=$d/out
    # Only the inline backend keeps every poll busy (its hits are the fastest; uprobe's and ptrace's
    # leave a poll empty at times, and an empty poll writes the output too): that run has a ring
    # big enough never to run dry; the others a small one, quick to drain at the end.
    local bs=1M
    [ "$be $mode" = "inline file" ] && bs=16M
    case $mode in
    file) "$CDBG" trace --backend "$be" --buffer-size "$bs" --if show -o "$out" '^tick$' -- "$gate" "$d/fifo" >"$d/stdout" 2>"$out.err" & ;;
    stdout) "$CDBG" trace --backend "$be" --buffer-size "$bs" --if show '^tick$' -- "$gate" "$d/fifo" >"$out" 2>"$out.err" & ;;
    json) "$CDBG" trace --backend "$be" --buffer-size "$bs" --json --if show '^tick$' -- "$gate" "$d/fifo" >"$out" 2>"$out.err" & ;;
    esac
    cpid=$!
    TD_PIDS+=("$cpid")
    local ok=true
    wait_out "$be $mode: the 5 calls made before the program blocked" "$cpid" shown "$out" 5 || ok=false
    if $ok; then
        printf x >&"$fd"
        wait_out "$be $mode: the shown call among hidden ones that never stop" "$cpid" shown "$out" 6 || ok=false
    fi
    # released in every case (a failed first wait: both bytes): the program ends and so does cdbg
    if $ok; then printf x >&"$fd"; else printf xx >&"$fd"; fi
    timeout -k 5 "$TD_CDBG_TIMEOUT" tail --pid="$cpid" -f /dev/null
    wait "$cpid"
    rc=$?
    exec {fd}>&-
    [ "$rc" = 0 ] && pass "$be $mode: exit status 0" || fail "$be $mode: exit status $rc"
    shown "$out" 6 && pass "$be $mode: 6 lines in the end" || { fail "$be $mode: not the 6 lines"; td_show "$out"; }
    calls=$(sed -n 's/^gate: \([0-9]*\) calls$/\1/p' "$out.err")
    expect_line "^cdbg: trace: tick \\($be\\): ${calls:-x} hits, 6 shown \\(--if\\), [0-9]+ dropped$" "$out.err"
    $ok
}

# one failure is enough: each waits TD_WAIT_TIMEOUT for output that does not come
for run in "inline file" "inline stdout" "uprobe file" "uprobe stdout" "ptrace file" "ptrace stdout" "inline json"; do
    set -- $run
    mode=$2
    gate "$1" "$2" || break
done

exe=$(td_bin trace_pace)
for be in inline uprobe ptrace; do
    f=$TD_TMP/live.$be
    td_cdbg out trace --backend "$be" -o "$f" -e s -e s -e s -e s '^tick$' -- "$exe" "$f"
    expect_status 0 "$be: the program saw the output before its 400th call"
    expect_line '^output after [0-9]+ calls$' "$out"
    # every call it made is in the file, in order
    n=$(sed -n 's/^output after \([0-9]*\) calls$/\1/p' "$out")
    [ -n "$n" ] && [ "$(grep -c '^> tick(i=' "$f")" = "$n" ] && pass "$be: $n calls, $n lines" ||
        fail "$be: $(grep -c '^> tick(i=' "$f") lines for ${n:-?} calls"
    expect_line "^cdbg: trace: tick \\($be\\): ${n:-x} hits, 0 dropped$" "$out.err"
done
td_finish
