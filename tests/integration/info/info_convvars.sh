#!/bin/bash
# gdb's convenience variables users type first, and wide strings, compared with gdb 13: $_siginfo
# (the selected thread's stop: a breakpoint's SIGTRAP, a SIGSEGV with its fault address, a core's
# NT_SIGINFO), $_exitcode and $_exitsignal when the program ends, $_siginfo without a process;
# wchar_t arrays and pointers as L"..." with repeats and escapes, and their JSON.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/info/info_lib.sh"
need_tool gdb "the reference for values"
need_tool setarch "running the program at gdb's addresses"

for v in O0 O2; do
    exe=$(td_bin "info_$v") || fail "info_$v is not built"
    # at a breakpoint: SIGTRAP, SI_KERNEL
    info_both "bp_$v" "$exe" main -- 'p $_siginfo' 'p $_siginfo.si_signo' 'p/x $_siginfo.si_code' 'whatis $_siginfo' \
        'p sizeof($_siginfo)' 'whatis $_siginfo._sifields._sigfault'
    expect_line '^\$1 = \{si_signo = 5, si_errno = 0, si_code = 128, _sifields = \{_pad = \{0 <repeats 28 times>\}, _kill = \{si_pid = 0, si_uid = 0\}' "$TD_TMP/bp_$v.mine"
    # a fault: SIGSEGV, SEGV_MAPERR, the address written (4: strlen("segv"))
    info_both "segv_$v" "$exe" - segv -- 'p $_siginfo' 'p $_siginfo._sifields._sigfault.si_addr' 'p $_siginfo.si_code'
    expect_line '^\$2 = \(void \*\) 0x4$' "$TD_TMP/segv_$v.mine"
    expect_line '^\$3 = 1$' "$TD_TMP/segv_$v.mine"
    # the end: $_exitcode, then $_exitsignal after a fatal signal; $_siginfo is void without a process
    info_both "exit_$v" "$exe" - 3 -- 'p $_exitcode' 'p $_exitsignal' 'p $_siginfo'
    expect_exact_str "$TD_TMP/exit_$v.mine" '$1 = 3
$2 = void
$3 = void'
    info_both "killed_$v" "$exe" - segv -- continue 'p $_exitsignal' 'p $_exitcode'
    expect_exact_str "$TD_TMP/killed_$v.mine" '$1 = 11
$2 = void'
done

# a core: the kernel's NT_SIGINFO of the thread that took the signal
require_cores
exe=$(td_bin info_O0)
core=$(make_core info_O0 segv) || fail "no core of info_O0 segv"
if [ -n "$core" ]; then
    c=(-ex 'p $_siginfo' -ex 'p $_siginfo._sifields._sigfault.si_addr' -ex 'p $_siginfo.si_signo')
    td_cdbg out core "$exe" "$core" --batch "${c[@]}"
    expect_status 0 "cdbg on the core"
    timeout -k 5 120 gdb -nx -batch "${c[@]}" "$exe" "$core" >"$TD_TMP/core.gdbout" 2>&1 </dev/null
    grep -E '^\$[0-9]+ = ' "$out" >"$TD_TMP/core.mine"
    grep -E '^\$[0-9]+ = ' "$TD_TMP/core.gdbout" >"$TD_TMP/core.gdb"
    expect_exact "$TD_TMP/core.mine" "$TD_TMP/core.gdb"
    expect_line '^\$2 = \(void \*\) 0x4$' "$TD_TMP/core.mine"
    td_cdbg out core "$exe" "$core" --json --batch -ex 'p $_siginfo._sifields._sigfault'
    expect_line '^\{"expr":"\$_siginfo\._sifields\._sigfault","type":"struct \{\.\.\.\}","value":\{"si_addr":"0x4","_addr_lsb":0,"_addr_bnd":\{"_lower":"0x0","_upper":"0x0"\}\}\}$' "$out"
fi

# wide strings: arrays (repeats, escapes, NULs, an empty one) and a pointer
exe=$(td_bin info_O0)
info_both wide "$exe" main -- 'p w_plain' 'p w_rep' 'p w_esc' 'p w_empty' 'p w_nul' 'p w_ptr' 'p/x w_plain' \
    'p *w_ptr@3' 'p/d w_nul' 'p u_16' 'p u_32'
expect_line "^\\\$2 = L\"x\", 'a' <repeats 22 times>, \"b(\\\\000){7}\"$" "$TD_TMP/wide.mine"
expect_line '^\$3 = L"tab\\there\\n\\"q\\"\\\\ é中"$' "$TD_TMP/wide.mine"
td_cdbg out run "$exe" --json --batch -ex 'p w_esc' -ex 'p w_empty' -ex 'p/x w_plain'
expect_line '^\{"expr":"w_esc","type":"wchar_t \[17\]","value":"tab\\there\\n\\"q\\"\\\\ é中"\}$' "$out"
expect_line '^\{"expr":"w_empty","type":"wchar_t \[4\]","value":""\}$' "$out"
expect_line '^\{"expr":"w_plain","type":"wchar_t \[6\]","value":\["0x68",' "$out"
td_finish
