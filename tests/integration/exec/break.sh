#!/bin/bash
# Breakpoints: FUNC (past the prologue at -O0, the entry at -O2), FILE:LINE, LINE, *ADDR; `if COND`;
# -hitcount; tbreak; several threads hitting one breakpoint; the listing and JSON; bad input; on an
# attached process, leaving (quit, or SIGTERM at the prompt) takes every int3 out and the target
# runs on untraced; a core refuses.
. "$SRCROOT/tests/integration/lib.sh"
need_tool python3 "comparing the code in a process's memory with its executable"
src=$SRCROOT/testdata/exec/exec.c
tick_line=$(grep -n '@tick' "$src" | cut -d: -f1)

for v in O0 O2; do
    exe=$(td_bin "exec_$v")
    td_cdbg out run "$exe" --batch -ex 'break tick if i == 3' -ex continue -ex 'print i' -ex breakpoints -ex continue \
        -ex breakpoints
    expect_status 0 "break FUNC if COND ($v), then breakpoints after the exit"
    expect_line '^Breakpoint 1 \(tick\), hit 1 time, if i == 3$' "$out"
    expect_line "^Breakpoint 1 at 0x[0-9a-f]+: tick at exec\\.c:[0-9]+ if i == 3\$" "$out"
    expect_line '^Breakpoint 1, hit 1 time, thread tid [0-9]+$' "$out"
    expect_line '^\$1 = 3$' "$out"
    # the condition never holds again: the program runs to its end
    expect_line '^exec done 314 48$' "$out"
    expect_line '^Process [0-9]+ exited with status 0$' "$out"
    # with no process the list is still there, as gdb's (values_bplist.sh)
    sed -n '/^Process [0-9]* exited/,$p' "$out" >"$TD_TMP/after_exit"
    expect_line '^Breakpoint 1 \(tick\), hit 1 time, if i == 3$' "$TD_TMP/after_exit"

    td_cdbg out run "$exe" --batch -ex "break exec.c:$tick_line" -ex 'condition -hitcount 1 % 4' -ex continue \
        -ex 'print i' -ex continue -ex 'print i' -ex breakpoints -ex 'clear 1' -ex continue
    expect_status 0 "FILE:LINE with -hitcount ($v)"
    expect_line '^\$1 = 3$' "$out"
    expect_line '^\$2 = 7$' "$out"
    expect_line '^Breakpoint 1 \(exec\.c:[0-9]+\), hit 8 times, when hits % 4$' "$out"
    expect_line '^Cleared 1 breakpoint$' "$out"
    expect_line '^exec done 314 48$' "$out"

    # two threads hit one breakpoint; tbreak is gone after its stop
    td_cdbg out run "$exe" --batch -ex 'break tick_thread' -ex 'tbreak ret_int' -ex continue -ex breakpoints \
        -ex continue -ex 'print id' -ex continue -ex 'print id' -ex continue
    expect_status 0 "threads and tbreak ($v)"
    expect_line '^Temporary breakpoint 2 at 0x[0-9a-f]+: ret_int at exec\.c:[0-9]+$' "$out"
    expect_no_line '^Breakpoint 2 ' "$out"
    expect_line '^\$1 = 1$' "$out"
    expect_line '^\$2 = 2$' "$out"
    expect_line '^Breakpoint 1, hit 2 times, thread tid [0-9]+$' "$out"
    expect_line '^exec done' "$out"
done

exe=$(td_bin exec_O0)
# -O0: the function's breakpoint is past `push rbp; mov rbp, rsp`, where its arguments are readable
td_cdbg out run "$exe" --batch -ex 'break ret_pair' -ex continue -ex 'print a'
expect_line '^\$1 = 40$' "$out"
# LINE in the selected frame's file; *ADDR exactly there
td_cdbg out run "$exe" --batch -ex "break $tick_line" -ex 'break *ret_neg' -ex continue -ex 'print $rip == ret_neg'
expect_line "^Breakpoint 1 at 0x[0-9a-f]+: tick at exec\\.c:$tick_line\$" "$out"
expect_line '^Breakpoint 2, hit 1 time, thread tid [0-9]+$' "$out"
expect_line '^\$1 = 1$' "$out"

# JSON
td_cdbg out --json run "$exe" --batch -ex 'break tick if i == 2' -ex continue -ex breakpoints
expect_status 0 "break --json"
expect_line '^\{"command":"break","id":1,"locations":\[\{"address":"0x[0-9a-f]+","function":"tick","file":"[^"]*exec\.c","line":[0-9]+\}\],"condition":"i == 2"\}$' "$out"
expect_line '^\{"command":"continue","event":"breakpoint","tid":[0-9]+,"breakpoint":1,"hits":1,"frame":\{"level":0,.*"function":"tick"' "$out"
expect_line '^\{"command":"breakpoints","breakpoints":\[\{"id":1,"spec":"tick","temporary":false,"hits":1,"condition":"i == 2","locations":' "$out"

# a condition that cannot be evaluated stops the program and says why
td_cdbg out run "$exe" --batch -ex 'break tick if nosuch > 1' -ex continue
expect_status 0 "an unevaluable condition"
expect_line '^warning: breakpoint 1: cannot evaluate its condition .nosuch > 1.: no symbol "nosuch" in the current context; stopped here$' "$out.err"
expect_line '^Breakpoint 1, hit 0 times, thread tid [0-9]+$' "$out"

# bad input: one line, exit 1, nothing set
for c in 'break nosuch|break: no function .nosuch. in the program or its loaded libraries; locations are FUNC, FILE:LINE, LINE or \*ADDRESS' \
    'break exec.c:99999|break: no code at or after line 99999 of exec\.c in the program or its libraries' \
    'tbreak main if (|tbreak: condition .\(.: syntax error at column 2' \
    'break main if|break: `if` needs a condition: break LOCATION if EXPR' \
    'clear 7|clear: no breakpoint 7; `breakpoints` lists them' \
    'condition x y|condition: .x. is not a breakpoint number' \
    'condition -hitcount 1 ~ 3|condition -hitcount: expected N OP VALUE'; do
    td_cdbg out run "$exe" --batch -ex 'break tick' -ex "${c%%|*}"
    expect_status 1 "${c%%|*}"
    expect_line "^cdbg: ${c#*|}" "$out.err"
    [ "$(wc -l < "$out.err")" = 1 ] && pass "one line for ${c%%|*}" || fail "more than one line for ${c%%|*}"
done

# attached: breakpoints are taken out when cdbg leaves, by quit and by SIGTERM at the prompt.
# code_intact PID EXE: the executable code of PID, read from /proc/PID/mem, is byte for byte the
# executable's (every loadable segment with execute permission): no int3 left behind.
cat >"$TD_TMP/code_intact.py" <<'PY'
import os, struct, sys
pid, exe = int(sys.argv[1]), sys.argv[2]
data = open(exe, "rb").read()
assert data[:4] == b"\x7fELF" and data[4] == 2, "not a 64-bit ELF file"
e_type, = struct.unpack_from("<H", data, 16)
e_phoff, = struct.unpack_from("<Q", data, 32)
e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
loads = []
for i in range(e_phnum):
    p_type, p_flags, p_offset, p_vaddr, _, p_filesz = struct.unpack_from("<IIQQQQ", data, e_phoff + i * e_phentsize)
    if p_type == 1:
        loads.append((p_flags, p_offset, p_vaddr, p_filesz))
base = 0
if e_type == 3:  # ET_DYN: where the segment at file offset 0 was mapped
    real = os.path.realpath(exe)
    try:
        maps = open("/proc/%d/maps" % pid).read().splitlines()
    except OSError as e:
        sys.exit("cannot read the maps of process %d: %s" % (pid, e.strerror))
    for line in maps:
        f = line.split()
        if len(f) >= 6 and os.path.realpath(f[5]) == real and int(f[2], 16) == 0:
            first = min(v for _, o, v, _ in loads if o == 0)
            base = int(f[0].split("-")[0], 16) - (first & ~0xfff)
            break
    else:
        sys.exit("%s is not mapped in process %d" % (exe, pid))
checked = 0
try:
    mem = os.open("/proc/%d/mem" % pid, os.O_RDONLY)
except OSError as e:
    sys.exit("cannot read the memory of process %d: %s" % (pid, e.strerror))
for flags, off, vaddr, size in loads:
    if not flags & 1:
        continue
    want = data[off:off + size]
    try:
        got = os.pread(mem, size, base + vaddr)
    except OSError as e:
        sys.exit("cannot read process %d at 0x%x: %s" % (pid, base + vaddr, e.strerror))
    if got != want:
        k = next(k for k in range(min(len(got), len(want))) if got[k] != want[k]) if len(got) == len(want) else 0
        sys.exit("code differs at 0x%x: memory %s, file %s" % (base + vaddr + k, got[k:k + 4].hex(), want[k:k + 4].hex()))
    checked += size
if not checked:
    sys.exit("no executable segment in " + exe)
print(checked)
PY
code_intact() {
    local r
    if r=$(python3 "$TD_TMP/code_intact.py" "$1" "$2" 2>&1); then
        pass "$3: the ${r} code bytes in memory are the executable's"
    else
        fail "$3: $r"
    fi
}
# spinner_ran PID TID NS: thread TID of PID is gone, or has run 20 ms of CPU time past NS (its
# /proc schedstat), so it called spin_step many times since.
spinner_ran() {
    local now
    now=$(cut -d' ' -f1 "/proc/$1/task/$2/schedstat" 2>/dev/null) || return 0
    [ "$now" -ge $(($3 + 20000000)) ]
}
spin_exe=$(td_bin spin_O0)
td_start spin_O0
spinner=$(td_tasks "$TD_PID" | awk '$2 == "spinner" {print $1}')
code_intact "$TD_PID" "$spin_exe" "before any breakpoint"
td_cdbg out attach "$TD_PID" --batch -ex 'break spin_step' -ex continue -ex continue
expect_status 0 "break on an attached process"
expect_line "^Breakpoint 1, hit 2 times, thread tid $spinner\$" "$out"
check_untraced "$TD_PID"
code_intact "$TD_PID" "$spin_exe" "after quit"
[ -d "/proc/$TD_PID" ] || { fail "spin_O0 died after cdbg quit; the rest of the attached checks are skipped"; td_finish; }
repl_start attach "$TD_PID"
repl_send 'break spin_step' continue
repl_wait '^Breakpoint 1, hit 1 time' "$R_OUT"
kill -TERM "$R_PID"
repl_end
expect_status 143 "SIGTERM at the prompt"
check_untraced "$TD_PID"
code_intact "$TD_PID" "$spin_exe" "after SIGTERM"
# and the spinner, which calls spin_step all the time, runs on without a trap
ran=$(cut -d' ' -f1 "/proc/$TD_PID/task/$spinner/schedstat")
td_wait_for "the spinner to run on" spinner_ran "$TD_PID" "$spinner" "$ran"
[ "$(awk '{print $3}' "/proc/$TD_PID/stat" 2>/dev/null)" != Z ] && [ -e "/proc/$TD_PID/task/$spinner" ] &&
    pass "target alive after running spin_step" || fail "target died after cdbg left"
td_stop "$TD_PID"

# a core cannot stop at a breakpoint
require_cores
core=$(make_core crash_O0) || exit 1
td_cdbg out core "$(td_bin crash_O0)" "$core" --batch -ex 'break main'
expect_status 1 "break on a core"
[ "$(wc -l < "$out.err")" = 1 ] && pass "one line for break on a core" || fail "more than one line for break on a core"
td_finish
