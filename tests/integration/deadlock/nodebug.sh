#!/bin/bash
# Locks with no debug info (issue 13): a cycle over two mutexes that only the ELF symbol table
# names (testdata/nodebug: io_threads_mutex[2] built with -g0, in a library and in an object linked
# into the program). Each lock must be named as gdb's `info symbol` names its address (SYM + N ->
# SYM+0xN, the form docs/json.md gives), in the text report and in JSON.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
need_tool gdb "the reference for symbol names"

for v in nodebug_lib nodebug_obj; do
    exe=$(td_bin "$v") || { fail "$v is not built"; continue; }
    lib=$(dirname "$exe")/libdlnodebug.so
    [ "$v" = nodebug_lib ] && where=$lib || where=$exe
    # the locks' unit has no DWARF (the program's own has, in nodebug_obj)
    if readelf --debug-dump=info "$where" 2>/dev/null | grep -q 'nodebug_locks\.c'; then
        fail "$where has DWARF for nodebug_locks.c: the test would prove nothing"
    else
        pass "$v: no DWARF for the locks"
    fi
    td_start "$v"
    td_cdbg out deadlock "$TD_PID"
    expect_status 3 "$v: deadlock found"
    td_cdbg js deadlock --json "$TD_PID"
    addrs=$(sed -nE 's/^  thread .* waits for mutex [^ ]+ \((0x[0-9a-f]+)\), held by .*/\1/p' "$out")
    [ "$(wc -w <<<"$addrs")" -eq 2 ] && pass "$v: two mutexes" || { fail "$v: not two mutex waits"; td_show "$out"; }
    gex=()
    for a in $addrs; do gex+=(-ex "info symbol $a"); done
    timeout 120 gdb -nx -batch -p "$TD_PID" "${gex[@]}" </dev/null >"$TD_TMP/$v.gdb" 2>&1
    i=0
    for a in $addrs; do
        i=$((i + 1))
        g=$(grep ' in section ' "$TD_TMP/$v.gdb" | sed -n "${i}p")
        # "io_threads_mutex + 40 in section .bss of FILE" -> io_threads_mutex+0x28
        name=$(sed -nE 's/^([A-Za-z_][A-Za-z0-9_]*)( \+ ([0-9]+))? in section .*/\1 \3/p' <<<"$g")
        set -- $name
        [ -n "${1:-}" ] || { fail "$v: gdb has no symbol for $a: $g"; td_show "$TD_TMP/$v.gdb"; continue; }
        want=$1
        [ -n "${2:-}" ] && want=$(printf '%s+0x%x' "$1" "$2")
        grep -q " in section \.bss of $where\$" <<<"$g" && pass "$v: $a is in $(basename "$where")" ||
            fail "$v: gdb puts $a elsewhere: $g"
        expect_line "^  thread [0-9]+ \"io_(reader|writer)\" waits for mutex ${want//+/\\+} \\($a\\), held by thread [0-9]+ \"io_(reader|writer)\"\$" "$out"
        dl_py "$js" "[w['waits_for']['symbol'] for w in d['waits'] if w['waits_for']['addr'] == '$a'] == ['$want']" "$v: JSON names $a $want"
    done
    expect_lines "$out" 'waits for mutex io_threads_mutex\+0x28 \(' 'in io_reader at nodebug\.c:[0-9]+$'
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
done
td_finish
