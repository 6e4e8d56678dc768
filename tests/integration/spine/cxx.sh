#!/bin/bash
# C++ names: every frame of testdata/cxx/shop in the program's own code and the C++ runtime is named
# as gdb names it (qualified from DWARF: shop::core::Consumer::run, shop::core::tally<int>, a lambda's
# operator(); demangled from the symbol table without DWARF: std::thread::join(),
# shop::core::Consumer::run()). Compared with gdb's `thread apply all bt` on the same process.
. "$(dirname "$0")/../lib.sh"
need_tool gdb "comparing C++ frame names with gdb's"
need_tool python3 "parsing backtraces"

# names.py gdb|cdbg|threads FILE: "TID NAME" per frame, innermost first, for the frames in C++ code
# of the program or the runtime (shop::, std::, operator(), main); for `threads`, the frame after
# "<-". Left out: frames whose template arguments gdb rebuilds from DWARF in its own spelling
# (<lambda()>, struct {...}, 0ul): cdbg shows the compiler's DW_AT_name there.
cat >"$TD_TMP/names.py" <<'PY'
import re, sys
kind, path = sys.argv[1], sys.argv[2]
tid = None
def keep(n):
    return ((n == 'main' or 'shop::' in n or n.startswith(('std::', 'operator()'))) and '<lambda' not in n
            and '{...}' not in n and not re.search(r'[<, ]\d+u?l*[,>]', n))
for line in open(path):
    line = line.rstrip('\n')
    if kind == 'gdb':
        m = re.match(r'^Thread \d+ \(Thread 0x[0-9a-f]+ \(LWP (\d+)\)', line)
        if m:
            tid = m.group(1); continue
        m = re.match(r'^#\d+\s+(?:0x[0-9a-f]+ in )?(.*)$', line)
        if not m or tid is None:
            continue
        rest = re.sub(r' (at \S+:\d+|from \S+)$', '', m.group(1))
        # the name ends where the argument list, the last balanced (...), begins
        depth = 0
        for i in range(len(rest) - 1, -1, -1):
            if rest[i] == ')': depth += 1
            elif rest[i] == '(':
                depth -= 1
                if depth == 0: break
        name = rest[:i].rstrip()
    elif kind == 'threads':
        m = re.match(r'^\*?\s+\d+\s+(\d+)\s.* <- (.*?)(?: at \S+:\d+| from \S+)?$', line)
        if not m:
            continue
        tid, name = m.group(1), m.group(2)
    else:
        m = re.match(r'^Thread \d+ \(tid (\d+)', line)
        if m:
            tid = m.group(1); continue
        m = re.match(r'^#\d+\s+.*? in (.*?)(?: at \S+:\d+| from \S+)?$', line)
        if not m or tid is None:
            continue
        name = m.group(1)
    if keep(name):
        print(tid, name)
PY

for prog in shop_O0 shop_O2 shop_nodebug; do
    td_start "$prog"
    pid=$TD_PID
    # main prints "ready" just before joining: wait until it sleeps in that join.
    td_wait_for "main of $prog to block in join" bash -c "[ \"\$(cut -d' ' -f1 /proc/$pid/syscall)\" = 202 ]" ||
        fail "$prog: main never blocked"
    td_cdbg bt attach "$pid" --batch -ex 'bt all'
    expect_status 0 "$prog bt all"
    td_asleep "$pid"
    td_cdbg th attach "$pid" --batch -ex 'threads'
    expect_status 0 "$prog threads"
    td_asleep "$pid"
    gdbout=$TD_TMP/gdb.$prog
    timeout -k 5 120 gdb -nx -batch -p "$pid" -ex 'thread apply all bt' >"$gdbout" 2>&1 </dev/null
    python3 "$TD_TMP/names.py" gdb "$gdbout" | sort -s -k1,1n >"$TD_TMP/want.$prog"
    python3 "$TD_TMP/names.py" cdbg "$bt" | sort -s -k1,1n >"$TD_TMP/got.$prog"
    # Each thread's own frames are expected: the comparison is only as good as its coverage.
    for want in 'shop::core::Consumer::run' 'shop::core::tally<int>' 'std::thread::join()' 'main'; do
        case $prog/$want in
        shop_nodebug/shop::core::Consumer::run) want="$want()" ;;
        shop_nodebug/shop::core::tally*) want="int $want(int)" ;;
        esac
        if grep -qxF "${want/#/* }" <(sed 's/^[0-9]* /* /' "$TD_TMP/want.$prog"); then pass "$prog: gdb names $want"
        else fail "$prog: gdb's backtrace has no frame '$want' (test program or parser broken)"; td_show "$gdbout"; fi
    done
    if diff -u "$TD_TMP/want.$prog" "$TD_TMP/got.$prog" >"$TD_TMP/diff.$prog"; then
        pass "$prog: bt all names as gdb's"
    else
        fail "$prog: bt all names differ from gdb's (- gdb, + cdbg):"
        cat "$TD_TMP/diff.$prog" >&2
    fi
    # `threads` names a thread's first frame in the program as gdb does.
    python3 "$TD_TMP/names.py" threads "$th" >"$TD_TMP/th.$prog"
    if [ ! -s "$TD_TMP/th.$prog" ]; then
        fail "$prog: threads shows no C++ frame to compare"; td_show "$th"
    elif extra=$(grep -vxFf "$TD_TMP/want.$prog" "$TD_TMP/th.$prog"); then
        fail "$prog: threads names frames gdb does not: $extra"; td_show "$th"
    else
        pass "$prog: threads names as gdb's"
    fi
    expect_no_line '_Z[A-Z]' "$th"
    expect_no_line '_Z[A-Z]' "$bt"
    check_untraced "$pid"
    td_stop "$pid"
done
td_finish
