#!/bin/bash
# gdb's debug-file-directory at the prompt (issue 13): `set debug-file-directory DIR[:DIR...]`,
# `show debug-file-directory`, `config debug-file-directory`, taking effect for what is loaded
# afterwards: a stripped program (testdata/cxx/vbase.cpp) whose debug file is only in the set
# directory has no DWARF when cdbg opens it, and has it once `run` starts it again. Two ways a
# debug file is found there, each alone: by build-id (DIR/.build-id/xx/rest.debug) and by
# .gnu_debuglink (DIR/<the program's directory>/NAME, the program without a build-id). gdb, with
# the same directory set before it reads the program, is the reference for the answers.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for what the debug file gives"
need_tool objcopy "making stripped programs with separate debug files (binutils)"
unset CDBG_DEBUG_FILE_DIRECTORY CDBG_DEBUGINFO_PATH
export CDBG_CACHE_DIR=off

src=$(td_bin cxx_vbase_gcc_O0) || exit 1
W=$TD_TMP/dd
mkdir -p "$W/bid/bin" "$W/link/bin" "$W/dbg1" "$W/dbg2"
# by build-id: the debug file under DIR/.build-id only
cp "$src" "$W/bid/bin/prog"
objcopy --only-keep-debug "$W/bid/bin/prog" "$W/bid/prog.debug"
objcopy --strip-debug "$W/bid/bin/prog"
bid=$(readelf -n "$W/bid/bin/prog" | awk '/Build ID:/ { print $3 }')
[ -n "$bid" ] || fail "the test program has no build-id"
mkdir -p "$W/dbg1/.build-id/${bid:0:2}"
mv "$W/bid/prog.debug" "$W/dbg1/.build-id/${bid:0:2}/${bid:2}.debug"
# by .gnu_debuglink: no build-id, the debug file at DIR/<the program's directory>/prog.debug
cp "$src" "$W/link/bin/prog"
objcopy --remove-section=.note.gnu.build-id "$W/link/bin/prog"
objcopy --only-keep-debug "$W/link/bin/prog" "$W/link/prog.debug"
objcopy --strip-debug "$W/link/bin/prog"
(cd "$W/link" && objcopy --add-gnu-debuglink=prog.debug bin/prog)
mkdir -p "$W/dbg2/$W/link/bin"
mv "$W/link/prog.debug" "$W/dbg2/$W/link/bin/prog.debug"

stop=(-ex 'break vb_stop' -ex continue -ex bt -ex up -ex 'print d.lx' -ex 'print d' -ex 'print p.serial' -ex 'ptype geo::Left')
gstop=(-ex 'break vb_stop' -ex run -ex bt -ex up -ex 'print d.lx' -ex 'print d' -ex 'print p.serial' -ex 'ptype geo::Left')
values() { grep -E '^(\$[0-9]+ = |type = |  |    |\})' "$1" | sed -E 's/0x[0-9a-f]+/ADDR/g'; }
# where FILE: "function file:line" of each frame line, cdbg's or gdb's
where() {
    sed -nE 's/^#[0-9]+ +(0x[0-9a-f]+ in )?([A-Za-z_:~]+) (\(.*\) )?at ([^ :]*\/)?([^ :\/]+:[0-9]+)$/\2 \5/p' "$1" | grep -E '^(main|vb_stop) '
}

# the lines the frames stop at, from the source
vsrc=$SRCROOT/testdata/cxx/vbase.cpp
main_line=$(grep -n 'int r = vb_stop(' "$vsrc" | cut -d: -f1)
stop_line=$(awk '/int vb_stop\(/ { f = 1 } f && /return v \+ 1;/ { print NR; exit }' "$vsrc")
for kind in bid link; do
    prog=$W/$kind/bin/prog dir=$W/dbg1
    [ "$kind" = link ] && dir=$W/dbg2
    other=$W/dbg2
    [ "$kind" = link ] && other=$W/dbg1
    # opened without it: no DWARF; set (with a directory that lacks it first), then run again
    td_cdbg out run "$prog" --batch -ex "set debug-file-directory /nonexistent:$dir" \
        -ex 'show debug-file-directory' -ex run "${stop[@]}"
    expect_status 0 "$kind: cdbg set debug-file-directory, then run" || td_show "$out.err"
    expect_line '^warning: no debug info for prog' "$out.err"
    expect_line '^Stopped: #0 +0x[0-9a-f]+ in main from prog$' "$out"    # opened: no line info
    expect_line '^Stopped: #0 +0x[0-9a-f]+ in main at vbase.cpp:[0-9]+$' "$out" # after run
    expect_line "^The directory where separate debug symbols are searched for is \"/nonexistent:$dir\".\$" "$out"
    expect_line '^\$1 = 11$' "$out"
    timeout 120 gdb -nx -batch -ex "set debug-file-directory /nonexistent:$dir" -ex "file $prog" "${gstop[@]}" >"$TD_TMP/gdb.$kind" 2>&1
    values "$out" >"$TD_TMP/mine.$kind"
    values "$TD_TMP/gdb.$kind" >"$TD_TMP/theirs.$kind"
    expect_exact "$TD_TMP/mine.$kind" "$TD_TMP/theirs.$kind"
    where "$out" | sort -u >"$TD_TMP/mywhere.$kind"
    where "$TD_TMP/gdb.$kind" | sort -u >"$TD_TMP/gdbwhere.$kind"
    expect_exact_str "$TD_TMP/mywhere.$kind" "main vbase.cpp:$main_line
vb_stop vbase.cpp:$stop_line"
    expect_exact "$TD_TMP/mywhere.$kind" "$TD_TMP/gdbwhere.$kind"
    # the other directory does not have it: no DWARF after run either, as gdb
    td_cdbg out run "$prog" --batch -ex "set debug-file-directory $other" -ex run -ex 'print d.lx'
    [ "$TD_RC" = 1 ] && grep -q 'no debug info for prog' "$out.err" && pass "$kind: not found in $other" ||
        fail "$kind: debug info found without its directory (status $TD_RC)"
    # config's form and JSON
    td_cdbg out run "$prog" --batch --json -ex "config debug-file-directory $dir" -ex 'config debug-file-directory' \
        -ex 'show debug-file-directory' -ex run -ex 'print sizeof(geo::Diamond)'
    expect_status 0 "$kind: config debug-file-directory" || td_show "$out.err"
    n=$(grep -cxF "{\"debug_file_directory\":\"$dir\"}" "$out")
    [ "$n" = 3 ] && pass "$kind: config/show in JSON" || fail "$kind: $n of 3 JSON answers name $dir"
    expect_line '^\{"expr":"sizeof\(geo::Diamond\)","type":"unsigned long","value":64\}$' "$out"
done
# the environment's directory stays the default, and a relative one is refused in one line
CDBG_DEBUG_FILE_DIRECTORY=$W/dbg1 td_cdbg out run "$W/bid/bin/prog" --batch -ex 'show debug-file-directory' -ex 'print d.lx' \
    -ex config -ex 'set debug-file-directory rel/dir'
expect_status 1 "a relative directory is an error"
expect_line "^The directory where separate debug symbols are searched for is \"$W/dbg1\".\$" "$out"
expect_line '^cdbg: set debug-file-directory: .rel/dir. is not an absolute path' "$out.err"
expect_line "^debug-file-directory = $W/dbg1\$" "$out" # config lists it with the other settings
td_finish
