#!/bin/bash
# Frames past a record's stack copy (review finding): an inline lock record copies the top 80 bytes
# of the stack; the outer frames are unwound from the thread's stack as it is when the record is
# read, which may be later (a joined thread's stack reused by the next one gave `#2
# advise_stack_range`, code start_thread runs after the routine returns). Such frames are marked
# "(read after the acquisition)" in text and `"late": true` in JSON; the frames the copy holds are
# not. lo.c's deepwait mode takes the edge under a 512-byte frame (deep_mid), so its caller
# deep_outer lies past the copy, and then parks in deep_outer, so that the later read still finds
# it: the frame is right, and marked. The inversion mode's frames all come from the copy.
. "$(dirname "$0")/../lib.sh"
TD_NAME=lockorder_deep
SRC=$SRCROOT/testdata/lockorder/lo.c
DEEP=$(grep -n 'EDGE_DEEP' "$SRC" | cut -d: -f1)
_recording() { grep -q '^cdbg: lockorder: recording the lock operations' "$1" 2>/dev/null; }
_locked() { grep -qx 'deepwait: locked' "$1" 2>/dev/null; }

for v in O0 O2; do
    td_start "lockorder_lo_$v" deepwait
    pid=$TD_PID
    outf=$(readlink "/proc/$pid/fd/1")
    "$CDBG" lockorder -p "$pid" >"$TD_TMP/$v.text" 2>"$TD_TMP/$v.err" &
    c=$!
    TD_PIDS+=("$c")
    td_wait_for "$v: lockorder to record" _recording "$TD_TMP/$v.err"
    kill -USR1 "$pid"
    td_wait_for "$v: the program's locks" _locked "$outf"
    kill -INT "$c"
    wait "$c"
    rc=$?
    [ "$rc" = 3 ] && pass "$v: exit 3 (an inversion)" || fail "$v: lockorder exit status $rc, want 3"
    o=$TD_TMP/$v.text
    expect_line "^      #0 deep_mid at .*lo\.c:$DEEP$" "$o"
    expect_line "^      #1 deep_outer at .*lo\.c:[0-9]+ \(read after the acquisition\)$" "$o"
    expect_line "^      #0 phase2 at .*lo\.c:[0-9]+$" "$o"
    expect_no_line "taken in .*read after" "$o"
    python3 - "$TD_TMP/$v.text" <<'PY' || fail "$v: the text report's frame marks"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
deep = [l for l in lines if re.match(r'^      #\d+ ', l)]
# every frame after one read late is late too (the unwind goes outwards)
seen_late = False
for l in deep:
    if l.startswith('      #0 '):
        seen_late = False
    late = l.endswith('(read after the acquisition)')
    assert not (seen_late and not late), l
    seen_late = seen_late or late
PY
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
done

# JSON: `late` on exactly the frames the text marks (a fresh process, recorded from the start)
td_start lockorder_lo_O0 deepwait
pid=$TD_PID
outf=$(readlink "/proc/$pid/fd/1")
"$CDBG" lockorder --json -p "$pid" >"$TD_TMP/j.out" 2>"$TD_TMP/j.err" &
c=$!
TD_PIDS+=("$c")
td_wait_for "json: lockorder to record" _recording "$TD_TMP/j.err"
kill -USR1 "$pid"
td_wait_for "json: the program's locks" _locked "$outf"
kill -INT "$c"
wait "$c"
python3 - "$TD_TMP/j.out" <<'PY' && pass "json: late frames" || fail "json: late frames ($(head -c 2000 "$TD_TMP/j.out"))"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
edges = [e for o in objs for c in o.get('cycles', []) for e in c['edges']]
deep = [e for e in edges if e['stack'] and e['stack'][0]['function'] == 'deep_mid']
assert deep, objs
st = deep[0]['stack']
assert 'late' not in st[0], st
assert st[1]['function'] == 'deep_outer' and st[1].get('late') is True, st
PY
kill "$pid" 2>/dev/null
td_finish
