#!/bin/bash
# Every thread id cdbg prints is the thread it describes, by the program's own word (gettid) and
# /proc/PID/task: `threads`, `bt all` headers, `bt all -group` and the JSON ids, tids and
# threads_total, live and on a core; and a breakpoint's stop line names the thread that hit it
# (a non-main thread, never the process id), when launched by `run` and when attached.
. "$SRCROOT/tests/integration/lib.sh"
command -v python3 >/dev/null || fail "python3 is required (the checks of this test are written in it)"
CHECK=$SRCROOT/tests/integration/spine/tids_check.py

# check_ties LABEL live|core PID TIDFILE CDBG-TARGET-ARGS...: runs the thread listings text and JSON
# and turns tids_check.py's ok/FAIL lines into checks.
check_ties() {
    local label=$1 mode=$2 pid=$3 file=$4 text json log line
    shift 4
    td_cdbg text "$@" --batch -ex threads -ex 'bt all' -ex 'bt all -group'
    expect_status 0 "$label: threads, bt all, bt all -group"
    # the threads that run released re-enter their system calls before the next look groups them
    [ "$mode" = live ] && td_asleep "$pid"
    td_cdbg json "$@" --batch --json -ex threads -ex 'bt all' -ex 'bt all -group' -ex 'threads -group'
    expect_status 0 "$label: the same in JSON"
    log=$(mktemp "$TD_TMP/check.XXXXXX")
    python3 "$CHECK" "$mode" "$pid" "$file" "$text" "$json" >"$log" 2>&1
    local rc=$?
    while IFS= read -r line; do
        case $line in
        "ok: "*) pass "$label: ${line#ok: }" ;;
        "FAIL: "*) fail "$label: ${line#FAIL: }" ;;
        esac
    done <"$log"
    if [ "$rc" -ne 0 ]; then
        grep -q '^FAIL: ' "$log" || { fail "$label: tids_check.py exited with $rc"; head -n 40 "$log" >&2; }
        td_show "$text"
    fi
}

# tid_of FILE NAME: the tid the program wrote for thread NAME.
tid_of() { awk -v n="$2" '$2 == n { print $1 }' "$1"; }

for v in O0 O2; do
    f=$TD_TMP/tids.$v
    td_start "tids_$v" "$f"
    check_ties "live $v" live "$TD_PID" "$f" attach "$TD_PID"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
done

# A core keeps each thread's tid in its NT_PRSTATUS note; the stacks must still match them.
require_cores
f=$TD_TMP/tids.core
core=$(make_core_of tids_O2 "$f") || exit 1
check_ties "core" core "$(tid_of "$f" tids-main)" "$f" core "$(td_bin tids_O2)" "$core"

# Breakpoints. bp-thread (neither the main thread nor the first one created) calls
# only_in_bp_thread once at start and again for every SIGUSR1.
for v in O0 O2; do
    f=$TD_TMP/bp.$v
    td_cdbg out run "$(td_bin "tids_$v")" "$f" bp --batch -ex 'break only_in_bp_thread' -ex continue -ex thread \
        -ex 'bt 1'
    expect_status 0 "run $v: break in a thread"
    bp=$(tid_of "$f" bp-thread)
    main=$(tid_of "$f" tids-main)
    if [ -n "$bp" ] && [ -n "$main" ] && [ "$bp" != "$main" ]; then
        pass "run $v: the program named bp-thread $bp and main $main"
        expect_line "^Breakpoint 1, hit 1 time, thread tid $bp\$" "$out"
        expect_no_line "thread tid $main\$" "$out"
        # the stop selects that thread, by the name pthread_setname_np gave it after clone
        expect_line "^\\[Current thread is [0-9]+ \\(tid $bp, bp-thread\\)\\]\$" "$out"
        expect_line '^#0 +0x[0-9a-f]{16} in only_in_bp_thread at tids\.c:[0-9]+$' "$out"
    else
        fail "run $v: no tids in $f: $(cat "$f" 2>/dev/null)"
    fi

    f=$TD_TMP/bpj.$v
    td_cdbg out --json run "$(td_bin "tids_$v")" "$f" bp --batch -ex 'break only_in_bp_thread' -ex continue -ex thread
    expect_status 0 "run $v --json: break in a thread"
    bp=$(tid_of "$f" bp-thread)
    python3 - "$out" "$bp" "$(tid_of "$f" tids-main)" <<'PY' && pass "run $v --json: event and thread name bp-thread's tid" || fail "run $v --json: $(cat "$out")"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
objs = [o for o in objs if o.get("event") not in ("thread_created", "thread_exited")]
bp, main = int(sys.argv[2]), int(sys.argv[3])
assert bp != main
run, brk, cont, thr = objs
assert run["pid"] == main, run
assert cont["event"] == "breakpoint" and cont["tid"] == bp and cont["frame"]["function"] == "only_in_bp_thread", cont
assert thr["command"] == "thread" and thr["tid"] == bp and thr["name"] == "bp-thread", thr
PY
done

# Names and states at a breakpoint stop after `run`, text and JSON, against what the kernel says
# while cdbg holds every thread: each thread's comm as pthread_setname_np set it after clone
# (a new thread starts with its creator's), and what it was doing when it stopped: `sleeping in`
# (or, caught on its way out, `stopped in`) the syscall /proc/PID/task/TID/syscall shows, or
# `stopped` outside any; never `running` (held). bp-thread is at the breakpoint, decoy in read().
for mode in text json; do
    f=$TD_TMP/names.$mode
    jopt=()
    [ "$mode" = json ] && jopt=(--json)
    repl_start "${jopt[@]}" run "$(td_bin tids_O2)" "$f" bp
    repl_send 'break only_in_bp_thread' continue
    if [ "$mode" = json ]; then
        repl_wait '"event": *"breakpoint"' "$R_OUT"
    else
        repl_wait '^Breakpoint 1, hit 1 time, thread tid ' "$R_OUT"
    fi
    repl_send thread threads
    if [ "$mode" = json ]; then
        repl_wait '"command": *"threads"' "$R_OUT"
    else
        repl_wait '^[ *] +[0-9]+ +[0-9]+ ' "$R_OUT" 3
    fi
    # the target is still held: read /proc now, before quit lets cdbg kill it
    log=$(mktemp "$TD_TMP/names.XXXXXX")
    python3 - "$mode" "$R_OUT" "$f" >"$log" 2>&1 <<'PY'
import json, os, re, sys
mode, out, tidfile = sys.argv[1:4]
def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
said = {}
for l in open(tidfile):
    t, n = l.split()
    said[n] = int(t)
pid, bp, decoy = said["tids-main"], said["bp-thread"], said["decoy"]
names = {}
for hdr in ("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "/usr/include/asm/unistd_64.h"):
    if os.path.exists(hdr):
        for l in open(hdr):
            m = re.match(r"#define __NR_(\w+) (\d+)$", l.strip())
            if m:
                names[int(m.group(2))] = m.group(1)
        break
check(bool(names), "syscall names from asm/unistd_64.h (install linux-libc-dev)")
kernel = {}  # tid -> (comm, state regex)
for d in sorted(os.listdir("/proc/%d/task" % pid), key=int):
    t, base = int(d), "/proc/%d/task/%s/" % (pid, d)
    comm = open(base + "comm").read().rstrip("\n")
    st = open(base + "stat").read().rsplit(")", 1)[1].split()[0]
    check(st == "t", "tid %d is held (state %s) while its name is read" % (t, st))
    nr = int(open(base + "syscall").read().split()[0])
    state = "stopped" if nr < 0 else "(sleeping|stopped) in %s" % re.escape(names.get(nr, "syscall %d" % nr))
    kernel[t] = (comm, state)
check(set(kernel) == set(said.values()), "/proc/%d/task %s is the program's threads %s" % (pid, sorted(kernel), said))
check(kernel.get(bp, ("",))[0] == "bp-thread" and kernel.get(decoy, ("",))[0] == "decoy",
      "the kernel names bp-thread and decoy as the program did: %r" % kernel)
want = {bp: "stopped", decoy: "sleeping in read"}
cur, rows = None, []
if mode == "text":
    for l in open(out):
        m = re.match(r"^\[Current thread is (\d+) \(tid (\d+), (.*)\)\]$", l)
        if m:
            cur = (int(m.group(2)), m.group(3))
        m = re.match(r"^([ *]) +(\d+) +(\d+) +(\S+) +(\S+(?: \S+)*)  +\S", l)
        if m:
            rows.append((int(m.group(3)), m.group(4), m.group(5), m.group(1) == "*"))
else:
    for l in open(out):
        o = json.loads(l)
        if o.get("command") == "thread":
            cur = (o["tid"], o["name"])
            check(re.fullmatch(kernel.get(o["tid"], ("", "-"))[1], o["state"]) is not None,
                  "thread: tid %d state %r (kernel: %s)" % (o["tid"], o["state"], kernel.get(o["tid"])))
        elif o.get("command") == "threads":
            rows = [(j["tid"], j["name"], j["state"], j["current"]) for j in o["threads"]]
check(cur == (bp, kernel.get(bp, ("?",))[0]), "thread: the current thread is bp-thread %d by its name: %r" % (bp, cur))
check(sorted(r[0] for r in rows) == sorted(kernel), "threads lists every tid once: %r" % rows)
for tid, name, state, current in rows:
    comm, st = kernel.get(tid, ("?", "-"))
    check(name == comm, "threads: tid %d is named %r (kernel: %r)" % (tid, name, comm))
    check(re.fullmatch(st, state) is not None and state == want.get(tid, state),
          "threads: tid %d is %r (kernel: %s%s)" % (tid, state, st, ", program: " + want[tid] if tid in want else ""))
    check(current == (tid == bp), "threads: tid %d current=%s" % (tid, current))
PY
    rc=$?
    while IFS= read -r line; do
        case $line in
        "ok: "*) pass "run $mode: ${line#ok: }" ;;
        "FAIL: "*) fail "run $mode: ${line#FAIL: }" ;;
        esac
    done <"$log"
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL: ' "$log"; then
        fail "run $mode: the check exited with $rc: $(head -c 2000 "$log")"
    fi
    grep -q '^FAIL: ' "$log" && td_show "$R_OUT"
    repl_send quit
    repl_end
    expect_status 0 "run $mode: REPL session"
    [ -s "$R_OUT.err" ] && fail "run $mode: REPL session wrote to stderr: $(head -c 500 "$R_OUT.err")"
done

# Attached, at the REPL: two hits, each caused by a SIGUSR1 sent only once every thread runs again
# (all held threads released: none in a tracing stop, all still traced by cdbg).
# all_running PID TRACER: every thread of PID is traced by TRACER and none is stopped.
all_running() {
    local st
    for st in /proc/"$1"/task/*/status; do
        grep -q "^TracerPid:[[:space:]]*$2\$" "$st" 2>/dev/null || return 1
        grep -q '^State:[[:space:]]*[tT]' "$st" 2>/dev/null && return 1
    done
    return 0
}
wait_running() {
    local deadline=$((SECONDS + 30))
    while ! all_running "$1" "$2"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "process $1 did not run on traced by $2: $(grep -h -E '^(State|TracerPid):' /proc/"$1"/task/*/status | tr '\n' ' ')"
            return 1
        fi
        sleep 0.02
    done
    return 0
}
f=$TD_TMP/bp.attach
td_start tids_O2 "$f" bp
bp=$(tid_of "$f" bp-thread)
repl_start attach "$TD_PID"
repl_send 'break only_in_bp_thread' continue
if wait_running "$TD_PID" "$R_PID"; then
    kill -USR1 "$TD_PID"
    repl_wait '^Breakpoint 1, hit 1 time, thread tid ' "$R_OUT"
    expect_line "^Breakpoint 1, hit 1 time, thread tid $bp\$" "$R_OUT"
    repl_send thread
    repl_wait '^\[Current thread is ' "$R_OUT"
    expect_line "^\\[Current thread is 3 \\(tid $bp, bp-thread\\)\\]\$" "$R_OUT"
    repl_send continue
    wait_running "$TD_PID" "$R_PID" && kill -USR1 "$TD_PID"
    repl_wait '^Breakpoint 1, hit 2 times, thread tid ' "$R_OUT"
    expect_line "^Breakpoint 1, hit 2 times, thread tid $bp\$" "$R_OUT"
fi
repl_send quit
repl_end
expect_status 0 "attached REPL session"
[ -s "$R_OUT.err" ] && fail "attached REPL session wrote to stderr: $(head -c 500 "$R_OUT.err")"
check_untraced "$TD_PID"
td_finish
