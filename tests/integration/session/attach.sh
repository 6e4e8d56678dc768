#!/bin/bash
# After attaching, cdbg says where the selected thread is, as gdb does: the REPL's `attach PID`
# (text and JSON's "frame") and the banner of `cdbg attach PID` at a prompt. The frame is gdb's:
# the same pc, function and file:line as gdb's `frame` right after it attaches.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/session/session_lib.sh"
need_tool gdb "the frame gdb shows after attaching, to compare with"
exe=$(td_bin session_O0)

for prog in session_O0 session_O2; do
    prog_start "$prog" block
    pid=$TD_PID
    # gdb: "#0  0x00007f... in __libc_pause () at ../sysdeps/unix/sysv/linux/pause.c:29"
    g=$(timeout -k 5 120 gdb -nx -batch -p "$pid" -ex frame 2>/dev/null | grep -m1 '^#0 ')
    check_untraced "$pid"
    [[ $g =~ ^#0\ +(0x[0-9a-f]+\ in\ )?([^ ]+)\ \(.*\)\ at\ (.*/)?([^/]+:[0-9]+)$ ]] ||
        { fail "$prog: gdb's frame line not understood: '$g'"; td_stop "$pid"; continue; }
    rawpc=${BASH_REMATCH[1]% in } gpc=${BASH_REMATCH[1]% in } gfunc=${BASH_REMATCH[2]} gwhere=${BASH_REMATCH[4]}
    # cdbg prints the pc in 16 digits; gdb without leading zeros (and not at all at a line's start)
    [ -n "$gpc" ] && gpc=$(printf '0x%016x' "$gpc") || gpc='0x[0-9a-f]{16}'
    nthreads=$(ls /proc/"$pid"/task | wc -l)

    # the REPL's attach, replacing the program `cdbg run` started
    td_cdbg out run "$exe" args --batch -ex "attach $pid"
    expect_status 0 "$prog: attach"
    expect_lines "$out" '^Killed process [0-9]+$' \
        "^Attached to process $pid \\($prog\\), $nthreads threads$" \
        "^#0  $gpc in $gfunc at $gwhere\$"
    expect_empty "$out.err" "$prog: attach's stderr"
    check_untraced "$pid"
    where=$(sed -n '/^Attached to/,$p' "$out" | tail -n +2)

    # JSON: the same frame as an object
    td_cdbg out --json run "$exe" args --batch -ex "attach $pid"
    expect_status 0 "$prog: attach (JSON)"
    json_check "$prog: attach's frame" "$out" '
j = [l for l in L if l.get("command") == "attach"]
assert len(j) == 1, j
j = j[0]
assert j["pid"] == int(A[0]) and j["threads"] == int(A[3]), j
f = j["frame"]
assert f["level"] == 0 and f["function"] == A[1], f
assert "%s:%d" % (f["file"].rsplit("/", 1)[-1], f["line"]) == A[2], f
assert A[4] == "" or int(f["pc"], 16) == int(A[4], 16), (f, A[4])
' "$pid" "$gfunc" "$gwhere" "$nthreads" "$rawpc"
    check_untraced "$pid"

    # cdbg attach's banner (no -ex, -q or --json): the same lines
    printf 'quit\n' >"$TD_TMP/quit"
    "$CDBG" attach "$pid" <"$TD_TMP/quit" >"$TD_TMP/banner" 2>"$TD_TMP/banner.err"
    TD_RC=$?
    expect_status 0 "$prog: cdbg attach"
    expect_exact_str "$TD_TMP/banner" "Attached to process $pid ($prog), $nthreads threads. Type \`help\` for commands.
$where"
    # with commands, their output alone (what scripts read)
    td_cdbg out attach "$pid" --batch -ex 'print 1'
    expect_exact_str "$out" '$1 = 1'
    check_untraced "$pid"
    td_stop "$pid"
done
td_finish
