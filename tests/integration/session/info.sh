#!/bin/bash
# gdb's `info` forms answer with the cdbg command `help info` names for each: the same output, text
# and JSON, for the full word and gdb's abbreviations; `libraries` (info sharedlibrary) against
# /proc/PID/maps; and the mistakes (no subcommand, an unknown one).
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/session/session_lib.sh"
exe=$(td_bin session_O0)
at_step=(run "$exe" steps --batch -ex 'break step' -ex continue -ex continue)

# --- the mapping, as `help info` documents it -----------------------------------------------------
td_cdbg help help info
expect_status 0 "help info"
tr '\n' ' ' <"$help" | grep -oE 'info [a-z]+: `[a-z]+`' | sed -E 's/^info ([a-z]+): `([a-z]+)`$/\1 \2/' >"$TD_TMP/map"
[ "$(cut -d' ' -f1 "$TD_TMP/map" | tr '\n' ' ')" = "breakpoints locals args frame threads registers sharedlibrary signals " ] &&
    pass "help info names gdb's forms" || fail "help info names: $(cut -d' ' -f1 "$TD_TMP/map" | tr '\n' ' ')"

# halves FILE: the file is two identical halves (`info X` then the command it maps to)
halves() {
    local n
    n=$(wc -l <"$1")
    if [ "$n" -gt 0 ] && [ $((n % 2)) -eq 0 ] && cmp -s <(head -n $((n / 2)) "$1") <(tail -n $((n / 2)) "$1"); then
        pass "$2"
    else
        fail "$2: the two outputs differ"
        td_show "$1"
    fi
}

while read -r sub cmd; do
    if ! "$CDBG" help "$cmd" >/dev/null 2>&1; then
        # a command this build does not have yet (`handle`): info says so, one line
        td_cdbg out "${at_step[@]}" -ex "info $sub"
        expect_status 1 "info $sub without $cmd"
        expect_exact_str "$out.err" "cdbg: info $sub: this build has no \`$cmd\` command to answer it"
        continue
    fi
    # text: what follows the second stop's source line (the program prints its own lines before)
    td_cdbg out "${at_step[@]}" -ex "info $sub" -ex "$cmd"
    expect_status 0 "info $sub (text)"
    awk 'done; /^=> / && ++n == 2 { done = 1 }' "$out" >"$TD_TMP/text"
    halves "$TD_TMP/text" "info $sub prints what $cmd prints"
done <"$TD_TMP/map"

# JSON: the full words and the abbreviations, each followed by the command it must equal
pairs=('info breakpoints' breakpoints 'info b' breakpoints 'i b' breakpoints 'info br' breakpoints
    'info locals' locals 'info lo' locals 'info args' args 'info ar' args 'info frame' frame 'info f' frame
    'info threads' threads 'info th' threads 'info registers' regs 'info reg' regs 'info r' regs
    'info sharedlibrary' libraries 'info sh' libraries 'i shared' libraries 'info threads -group' 'threads -group')
args=()
for c in "${pairs[@]}"; do args+=(-ex "$c"); done
td_cdbg out --json "${at_step[@]}" "${args[@]}"
expect_status 0 "info forms (JSON)"
grep '^{' "$out" >"$out.json" # without the program's own lines
json_check "info X is X's object" "$out.json" '
L = [l for l in L if l.get("command") not in ("run", "break", "continue")]
L = [{k: v for k, v in l.items() if k != "stopped_ms"} for l in L]
assert len(L) == len(A), "%d objects for %d commands" % (len(L), len(A))
for i in range(0, len(A), 2):
    assert L[i] == L[i + 1], "%r gave %r, %r gave %r" % (A[i], L[i], A[i + 1], L[i + 1])
    assert L[i].get("command", A[i + 1]) == A[i + 1].split()[0], "%r: command %r" % (A[i], L[i]["command"])
' "${pairs[@]}"

# --- libraries: every file mapped with code but the program, from /proc/PID/maps -------------------
prog_start session_O0 spin
pid=$TD_PID
td_cdbg out attach "$pid" --batch -ex libraries
expect_status 0 "libraries"
python3 - "$pid" >"$TD_TMP/libs" <<'EOF'
import os, sys
pid = sys.argv[1]
exe = os.readlink("/proc/%s/exe" % pid)
libs = {}
for line in open("/proc/%s/maps" % pid):
    f = line.split(None, 5)
    if len(f) < 6 or "x" not in f[1] or not f[5].startswith("/") or f[5].strip() == exe:
        continue
    lo, hi = (int(x, 16) for x in f[0].split("-"))
    p = f[5].strip()
    a, b = libs.get(p, (lo, hi))
    libs[p] = (min(a, lo), max(b, hi))
print("%-18s  %-18s  %s" % ("From", "To", "Library"))
for p, (a, b) in sorted(libs.items(), key=lambda kv: kv[1][0]):
    print("0x%016x  0x%016x  %s" % (a, b, p))
EOF
expect_exact "$out" "$TD_TMP/libs"
grep -q 'libc\.so' "$TD_TMP/libs" && pass "libc is listed" || fail "no libc in /proc/$pid/maps' libraries"
check_untraced "$pid"

# --- mistakes -------------------------------------------------------------------------------------
td_cdbg out attach "$pid" --batch -ex info
expect_status 1 "info alone"
expect_exact_str "$out.err" 'cdbg: info: say what: info breakpoints, locals, args, frame, threads, registers, sharedlibrary, signals, line, symbol, address, source, watchpoints, display (`help info`)'
for bad in bogus l s; do
    td_cdbg out attach "$pid" --batch -ex "info $bad"
    expect_status 1 "info $bad"
    expect_exact_str "$out.err" "cdbg: info: unknown subcommand '$bad': \`help info\` lists those cdbg answers"
done
# the arguments go to the command: `regs rip` (its own error for a name it does not know)
td_cdbg out attach "$pid" --batch -ex 'info registers rip'
expect_status 0 "info registers ARG"
expect_line '^rip +0x[0-9a-f]+ +<' "$out"
td_cdbg out attach "$pid" --batch -ex 'info registers nosuch'
expect_status 1 "info registers BADARG"
expect_exact_str "$out.err" "cdbg: regs: no register 'nosuch'; \`regs\` alone lists them (rax..r15, rip, eflags, segments, fs_base)"
# a command that needs a target says so itself, after the program exited
td_cdbg out run "$exe" args --batch -ex continue -ex 'info threads'
expect_status 1 "info threads without a target"
expect_line '^cdbg: threads: no target: ' "$out.err"
check_untraced "$pid"
td_finish
