#!/bin/bash
# The modules of a live process (live.c reports them from the file lines of /proc/PID/maps, the vDSO
# put where libdwfl's own report puts it): a process of many threads, whose maps are mostly
# anonymous stacks, still has its executable, libc and the vDSO as modules. Each is checked by
# `info symbol` at an address gdb gives for a function in it; the vDSO, having no file, is the one
# a filter of the lines would lose first.
. "$(dirname "$0")/../lib.sh"
need_tool gdb "finding the functions' addresses"

td_start blocked_O2 40
pid=$TD_PID
grep -q '\[vdso\]' "/proc/$pid/maps" || skip "this kernel maps no vDSO into processes"
gdb -nx -batch -p "$pid" -ex 'p/x &__vdso_clock_gettime' -ex 'p/x &parked_worker' -ex 'p/x &epoll_wait' \
    >"$TD_TMP/gdb" 2>&1 </dev/null
td_asleep "$pid"
mapfile -t addr < <(sed -n 's/^\$[0-9]* = \(0x[0-9a-f]*\)$/\1/p' "$TD_TMP/gdb")
[ "${#addr[@]}" -eq 3 ] || { fail "gdb gave no three addresses: $(head -c 500 "$TD_TMP/gdb")"; td_finish; }

td_cdbg o attach "$pid" --batch -ex "info symbol ${addr[0]}" -ex "info symbol ${addr[1]}" \
    -ex "info symbol ${addr[2]}"
expect_status 0 "info symbol"
check() { # LINE WHAT REGEX
    if sed -n "${1}p" "$o" | grep -Eq -- "$3"; then
        pass "$2"
    else
        fail "$2: line $1 of info symbol is not /$3/: $(cat "$o" "$o.err" | head -c 800)"
    fi
}
check 1 "the vDSO is a module" '^__vdso_clock_gettime in section \.text of \[vdso'
check 2 "the executable is a module" '^parked_worker in section \.text of .*blocked_O2$'
check 3 "libc is a module" '^(__)?epoll_wait in section \.text of .*libc\.so\.6$'
td_stop "$pid"
td_finish
