#!/bin/bash
# `cdbg stacks` on a process stopped by SIGSTOP (issue 14 review): testdata/stacks/stopme's threads
# (one in read, one in pthread_cond_wait, one spinning, main in pthread_join) are all in state T.
# Read through the BPF task iterator (as root, by default) and with --no-bpf, each thread must be
# reported as stopped (JSON "state" "stopped...", "read" "signal-stopped"), none counted as stopped
# by cdbg ("threads_stopped" 0, the text's "stopped 0 of N"), every one counted as found stopped;
# the stacks still name each thread's function. After each look the process is as it was found:
# every thread in state T, untraced. Then SIGCONT and a line on its stdin: it runs to its normal
# end (exit status 0, "done").
. "$(dirname "$0")/../lib.sh"
need_tool python3 "parsing the JSON"
EXE=$(td_bin stopme) || exit 1

# py FILE EXPR WHAT: EXPR (python, the document is `d`) must be true.
py() {
    if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ('"$2"') else 1)' "$1" 2>"$1.pyerr"; then
        pass "$3"
    else
        fail "$3: JSON check failed: $2"
        head -c 3000 "$1" >&2
        cat "$1.pyerr" >&2
    fi
}

# thread_states PID: "TID STATE TRACERPID" of every thread
thread_states() {
    local t
    for t in /proc/"$1"/task/*; do
        echo "${t##*/} $(awk '/^State:/ {print $2} /^TracerPid:/ {print $2}' "$t/status" 2>/dev/null | tr '\n' ' ')"
    done
}
all_stopped() {
    ! thread_states "$1" | awk '$2 != "T" || $3 != "0" {bad = 1} END {exit !bad}'
}
# still_stopped PID WHAT: every thread of PID in state T (stopped by the signal, not traced: t)
still_stopped() {
    local bad
    bad=$(thread_states "$1" | awk '$2 != "T" || $3 != "0"')
    if [ -z "$bad" ] && [ -d "/proc/$1" ]; then
        pass "$2: every thread still stopped (T), untraced"
    else
        fail "$2: threads not left stopped as found: $(echo "$bad" | tr '\n' ';')"
    fi
}

d=$(mktemp -d "$TD_TMP/w.XXXXXX")
mkfifo "$d/in"
exec 7<>"$d/in"
"$EXE" <"$d/in" >"$d/out" 2>&1 &
PID=$!
TD_PIDS+=("$PID")
td_wait_for "stopme to print ready" grep -qsx ready "$d/out" || td_finish
td_wait_main_asleep "$PID" stopme || td_finish
td_tasks "$PID" >"$TD_TMP/tasks"
n=$(wc -l <"$TD_TMP/tasks")
[ "$n" -eq 4 ] && pass "4 threads" || fail "stopme has $n threads, not 4: $(tr '\n' ' ' <"$TD_TMP/tasks")"
spinner=$(td_tid_named "$TD_TMP/tasks" spinner) || fail "no spinner thread"
kill -STOP "$PID"
td_wait_for "every thread of stopme to be stopped (T)" all_stopped "$PID" || td_finish

if [ -z "${CDBG_NO_BPF:-}" ] && [ "$(id -u)" -eq 0 ]; then bpf_source=bpf; else bpf_source=procfs; fi
for path in default --no-bpf; do
    opt=()
    src=$bpf_source
    [ "$path" = --no-bpf ] && opt=(--no-bpf) && src=procfs
    td_cdbg st stacks "$PID" "${opt[@]}"
    expect_status 0 "stacks ($path)"
    tail -n 1 "$st" >"$st.last"
    expect_exact_str "$st.last" \
        "stopped 0 of $n threads to read their stacks; $n were already stopped by a signal (state T), read as they were and left stopped"
    for f in read_line wait_go spin main; do
        grep -q " in $f at stopme\.c:[0-9]*\$" "$st" && pass "$path: a frame in $f" || { fail "$path: no frame in $f"; td_show "$st"; }
    done
    still_stopped "$PID" "text ($path)"
    td_cdbg js stacks "$PID" --json "${opt[@]}"
    expect_status 0 "stacks --json ($path)"
    py "$js" 'd["threads_stopped"] == 0 and d["threads_signal_stopped"] == '"$n"' and len(d["threads"]) == '"$n" "$path: none stopped by cdbg, $n found stopped"
    py "$js" 'all(t["read"] == "signal-stopped" and (t["state"] == "stopped" or t["state"].startswith("stopped in ")) for t in d["threads"])' "$path: every thread's state is stopped"
    py "$js" '[t["state"] for t in d["threads"] if t["tid"] == '"$spinner"'] == ["stopped"]' "$path: the spinner is stopped, in no system call"
    py "$js" 'sorted(t["state"] for t in d["threads"] if t["tid"] != '"$spinner"') == ["stopped in futex", "stopped in futex", "stopped in read"]' "$path: the sleepers were stopped in their system calls"
    py "$js" 'd["source"] == "'"$src"'"' "$path: source $src"
    still_stopped "$PID" "json ($path)"
    td_cdbg gj stacks "$PID" -group --json "${opt[@]}"
    expect_status 0 "stacks -group --json ($path)"
    py "$gj" 'd["threads_stopped"] == 0 and d["threads_signal_stopped"] == '"$n"' and all(r == "signal-stopped" for g in d["groups"] for r in g["read"])' "$path -group: every thread signal-stopped"
    still_stopped "$PID" "-group --json ($path)"
done

# as it was found, it goes on when continued: to its normal end
kill -CONT "$PID"
echo go >&7
wait "$PID"
rc=$?
[ "$rc" -eq 0 ] && pass "stopme ran to its end after SIGCONT" || fail "stopme's exit status $rc after SIGCONT"
grep -qx done "$d/out" && pass "stopme printed done" || fail "stopme's output: $(cat "$d/out")"
exec 7>&-
td_finish
