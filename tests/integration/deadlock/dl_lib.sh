# Shared by the deadlock integration tests (sourced after ../lib.sh).
#
# dl_case PROG EXPECTED_STATUS [ARGS...]: for PROG_O0 and PROG_O2 (or PROG_V for each V of
# $DL_VARIANTS), checks `cdbg deadlock` live and on
# a core, in text and in JSON: the exit status, then the script's own hooks
#   dl_text FILE MODE VARIANT   (MODE live|core) for the text report
#   dl_json_check FILE MODE VARIANT   for the JSON document
# and, live, that the process runs on untraced afterwards. While the hooks run, DL_PID is the
# process and DL_TASKS its threads ("TID NAME" from /proc, read live or just before the core was
# made): the truth that the thread ids of the report are checked against (dl_thread_re, dl_edge).

need_tool python3 "the JSON checks"

# dl_py FILE EXPR WHAT: EXPR (python, the document is `d`) must be true.
dl_py() {
    local file=$1 expr=$2 what=$3
    if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ('"$expr"') else 1)' "$file" 2>"$file.pyerr"; then
        pass "$what"
    else
        fail "$what: JSON check failed: $expr"
        head -c 2000 "$file" >&2
        cat "$file.pyerr" >&2
    fi
}

# dl_tid NAME: the TID of the thread called NAME (the programs name their threads).
dl_tid() {
    td_tid_named "$DL_TASKS" "$1"
}

# dl_thread_re NAME MODE: how the report must name thread NAME: its true TID and, live, its name
# (a core records only the process's name).
dl_thread_re() {
    local tid
    tid=$(dl_tid "$1") || { echo "no thread named $1"; return 1; }
    if [ "$2" = live ]; then
        echo "thread $tid \"$1\""
    else
        echo "thread $tid \"[^\"]*\""
    fi
}

# dl_edge FILE MODE WAITER LOCK_RE OWNER [TAIL_RE [FRAME_RE]]: the text report has the line
# "  thread W "WAITER" waits for LOCK_RE (0x...), held by thread O "OWNER"TAIL_RE", with the TIDs of
# the threads named WAITER and OWNER (never the waiter itself), and FRAME_RE on the line under it.
dl_edge() {
    local f=$1 m=$2 w o
    w=$(dl_thread_re "$3" "$m") || { fail "$w"; return 1; }
    o=$(dl_thread_re "$5" "$m") || { fail "$o"; return 1; }
    if [ -n "${7:-}" ]; then
        expect_lines "$f" "^  $w waits for $4 \(0x[0-9a-f]+\), held by $o${6:-}\$" "$7"
    else
        expect_line "^  $w waits for $4 \(0x[0-9a-f]+\), held by $o${6:-}\$" "$f"
    fi
}

# dl_json_edge FILE MODE WAITER SYMBOL OWNER: in the JSON report the thread called WAITER (its true
# TID) waits for SYMBOL (- for any) held by the thread called OWNER, in every list it appears in
# ("cycles", "waits"), and appears in the waits; live, its name is WAITER too.
dl_json_edge() {
    local f=$1 m=$2 w o name= sym="t['waits_for']['symbol'] == '$4' and "
    w=$(dl_tid "$3") && o=$(dl_tid "$5") || { fail "no threads $3, $5 in $DL_TASKS"; return 1; }
    [ "$m" = live ] && name=" and t['name'] == '$3'"
    [ "$4" = - ] && sym=
    dl_py "$f" "any(t['tid'] == $w for t in d['waits']) and all($sym t['waits_for']['owner_tid'] == $o$name for t in [t for c in d['cycles'] for t in c['threads']] + d['waits'] if t['tid'] == $w)" \
        "json: $3 ($w) waits for $4 held by $5 ($o) [$m]"
}

# dl_stopped FILE MODE N: live, the report ends with "stopped N threads for X.XX ms ..."; a core stops
# nothing and says nothing about it. X is not checked against 0 here: the text rounds to 0.01 ms and
# a fast machine holds the threads for less than 5 us (stop, copy the registers, release), which is
# correctly "0.00". The exact value (and its unit) is checked in the JSON (dl_json_stopped).
dl_stopped() {
    local f=$1
    if [ "$2" = live ]; then
        expect_line "^stopped $3 threads? for [0-9]+\.[0-9]{2} ms to read their stacks; every other thread ran on\$" "$f"
    else
        expect_no_line '^stopped |^no thread was stopped' "$f"
    fi
}

# dl_json_stopped FILE MODE: live, stopped_ms (exact, not rounded) is at least 0.0005 ms, exactly 0 on a
# core. Stopping a thread, copying its registers and letting it go takes several system calls, never
# less than half a microsecond on any machine; a time computed in the wrong unit (seconds shown as
# ms) is a thousand times too small: below it for any hold under half a millisecond.
dl_json_stopped() {
    if [ "$2" = live ]; then
        dl_py "$1" 'isinstance(d["stopped_ms"], (int, float)) and d["stopped_ms"] >= 0.0005' "stopped_ms >= 0.0005 (live)"
    else
        dl_py "$1" 'd["stopped_ms"] == 0' "stopped_ms == 0 (core)"
    fi
}

dl_one() {
    local mode=$1 v=$2 rc=$3 out js
    shift 3
    if [ "$mode" = live ]; then
        DL_PID=$1
        DL_TASKS=$TD_TMP/tasks.$1
        td_tasks "$1" >"$DL_TASKS"
    else
        DL_PID=$(cat "$(dirname "$2")/pid")
        DL_TASKS=$(dirname "$2")/tasks
    fi
    # a verdict needs the blocked threads asleep (a deadlock is confirmed by their not running)
    [ "$mode" = live ] && [ "$rc" -ne 0 ] && td_asleep "$1"
    td_cdbg out deadlock "$@"
    expect_status "$rc" "deadlock $mode $v (text)"
    [ "$TD_RC" -eq "$rc" ] || td_show "$out"
    dl_text "$out" "$mode" "$v"
    [ "$mode" = live ] && [ "$rc" -ne 0 ] && td_asleep "$1"
    td_cdbg js deadlock "$@" --json
    expect_status "$rc" "deadlock $mode $v (json)"
    # exactly one JSON document on stdout
    dl_py "$js" 'isinstance(d, dict) and "deadlock" in d and "stopped_ms" in d' "one JSON document ($mode $v)"
    dl_json_check "$js" "$mode" "$v"
}

dl_case() {
    local prog=$1 rc=$2 v core
    shift 2
    for v in ${DL_VARIANTS:-O0 O2}; do
        td_start "${prog}_$v" "$@"
        dl_one live "$v" "$rc" "$TD_PID"
        check_untraced "$TD_PID"
        td_stop "$TD_PID"
        core=$(make_core_of "${prog}_$v" "$@") || { fail "no core of ${prog}_$v"; continue; }
        dl_one core "$v" "$rc" "$(td_bin "${prog}_$v")" "$core"
    done
}

# gdb_in_frame PID TID FUNC CMD: gdb's output of CMD run in the frame of FUNC on thread TID of the
# live process PID (gdb attaches, answers and detaches: the process sleeps on as it was).
gdb_in_frame() {
    local py=$TD_TMP/inframe.py
    cat >"$py" <<PYEOF
import gdb
for th in gdb.selected_inferior().threads():
    if th.ptid[1] == $2:
        th.switch()
        f = gdb.newest_frame()
        while f is not None and f.name() != "$3":
            f = f.older()
        if f is not None:
            f.select()
            print("GDBOUT " + gdb.execute(r'''$4''', to_string=True).strip())
PYEOF
    timeout 120 gdb -nx -batch -p "$1" -ex "source $py" 2>/dev/null | sed -n 's/^GDBOUT //p'
}
