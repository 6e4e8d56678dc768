#!/bin/bash
# Binaries replaced by a deploy (issue 13): a service keeps running the build it started with after
# a package upgrade renamed a newer build over its executable and its library, or removed them.
# /proc/PID/maps then says "PATH (deleted)" and PATH, if it exists, is another build: cdbg must read
# the running build (through /proc/PID/map_files or /proc/PID/exe, after checking the build-id
# against the one in the process's memory) and never the file now at PATH. testdata/deploy builds
# v1 and v2 of one program and its libdeploy.so; v2 has more code before every function, so a
# frame resolved in the wrong build gets another name. Each case runs a copy of v1 (the library
# from a temporary directory through LD_LIBRARY_PATH), changes the files on disk, and compares
# cdbg's frames and values with gdb's on an untouched copy and with the source's LINE markers:
#   replaced  v2 renamed over the executable and the library;
#   deleted   both removed;
#   stripped  a stripped v1 whose DWARF is found by the build-id in memory in a debug directory
#             (CDBG_DEBUG_FILE_DIRECTORY) that holds v2's too, replaced by a stripped v2;
#   mountns   v1 runs in its own mount namespace from a directory bind-mounted over the one that,
#             in ours, holds v2: maps names PATH, not deleted, and our PATH is the other build
#             (a container's files: /proc/PID/root/PATH is the process's own);
#   nobody    both deleted, the process and cdbg running as an unprivileged user, who may not
#             open /proc/PID/map_files: the executable comes through /proc/PID/exe (frames and
#             lines as gdb's), the library cannot be read, which one warning says.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for frames and values"
need_tool nm "checking that the two builds differ"

D=$TESTDATA/deploy/deploy.d
for f in v1/deploy v2/deploy v1/deploy_stripped v2/deploy_stripped v1/libdeploy.so v2/libdeploy.so; do
    [ -f "$D/$f" ] || { fail "testdata/deploy: $D/$f is not built"; td_finish; }
done

# The two builds differ where it matters, else the cases below would prove nothing.
addr() { nm "$1" | awk -v s="$2" '$3 == s { print $1 }'; }
bid() { readelf -n "$1" | awk '/Build ID:/ { print $3 }'; }
for s in serve main on_event; do
    a1=$(addr "$D/v1/deploy" $s) a2=$(addr "$D/v2/deploy" $s)
    [ -n "$a1" ] && [ "$a1" != "$a2" ] && pass "$s at 0x$a1 in v1, 0x$a2 in v2" || fail "$s: same address in v1 and v2 ($a1)"
done
a1=$(addr "$D/v1/libdeploy.so" lib_wait) a2=$(addr "$D/v2/libdeploy.so" lib_wait)
[ -n "$a1" ] && [ "$a1" != "$a2" ] && pass "lib_wait moved in v2" || fail "lib_wait: same address in v1 and v2 ($a1)"
[ "$(bid "$D/v1/deploy_stripped")" = "$(bid "$D/v1/deploy")" ] && [ "$(bid "$D/v1/deploy")" != "$(bid "$D/v2/deploy")" ] &&
    pass "build-ids: stripped = unstripped, v1 != v2" || fail "build-ids of the deploy builds are not as expected"

line_of() { grep -n "LINE $2 \*/" "$SRCROOT/testdata/deploy/$1" | cut -d: -f1; }
want=$(printf '#1 lib_wait libdeploy.c:%s\n#2 serve deploy.c:%s\n#3 main deploy.c:%s\n' \
    "$(line_of libdeploy.c lib_wait)" "$(line_of deploy.c serve)" "$(line_of deploy.c main)")
CMDS=(-ex bt -ex 'frame 2' -ex 'print backlog' -ex 'print port' -ex 'print handled')
# frames FILE: the program's own frames as "#N FUNC FILE:LINE", then its "$N = VALUE" lines.
frames() {
    sed -nE -e 's/^#([0-9]+) +(0x[0-9a-f]+ in )?([A-Za-z_][A-Za-z0-9_]*) .*at ([^ ]*\/)?((lib)?deploy\.c:[0-9]+)$/#\1 \3 \5/p' \
        -e '/^\$[0-9]+ = /p' "$1"
}

# run_copy EXE_VARIANT: runs a copy of v1's executable (and library) from a new directory; sets
# DIR (the copy's directory) and TD_PID.
run_copy() {
    DIR=$(mktemp -d "$TD_TMP/svc.XXXXXX")
    cp "$D/v1/$1" "$DIR/deploy"
    cp "$D/v1/libdeploy.so" "$DIR/libdeploy.so"
    LD_LIBRARY_PATH=$DIR td_start "$DIR/deploy"
}

# The reference: gdb on an untouched copy (gdb has no answer once the files are replaced).
run_copy deploy
timeout 120 gdb -nx -batch -p "$TD_PID" "${CMDS[@]}" </dev/null >"$TD_TMP/gdb.out" 2>&1
ref=$(frames "$TD_TMP/gdb.out")
[ "$(grep '^#' <<<"$ref" | head -n 3)" = "$want" ] && grep -qx '\$1 = 1010' <<<"$ref" && pass "gdb's frames and values" ||
    { fail "gdb's reference is not the expected one:"; echo "$ref" >&2; td_show "$TD_TMP/gdb.out"; }
td_cdbg out attach "$TD_PID" --batch "${CMDS[@]}"
expect_status 0 "untouched: cdbg"
[ "$(frames "$out")" = "$ref" ] && pass "untouched: cdbg as gdb" || { fail "untouched: cdbg differs from gdb:"; td_show "$out"; }
td_stop "$TD_PID"

# check CASE: cdbg on the changed copy answers as gdb did on the untouched one, with no note.
check() {
    local case=$1
    grep -q ' (deleted)$' <(grep -E '/deploy|/libdeploy\.so' "/proc/$TD_PID/maps") &&
        pass "$case: maps shows the files deleted" || fail "$case: maps does not show the files deleted"
    td_cdbg out attach "$TD_PID" --batch "${CMDS[@]}"
    expect_status 0 "$case: cdbg"
    if [ "$(frames "$out")" = "$ref" ]; then
        pass "$case: frames and values as gdb's on the untouched build"
    else
        fail "$case: cdbg (<) and gdb on the untouched build (>) differ:"
        diff <(frames "$out") <(echo "$ref") >&2
        td_show "$out"
    fi
    expect_no_line '\?\?' "$out"
    expect_empty "$out.err"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
}

run_copy deploy
cp "$D/v2/deploy" "$DIR/deploy.new" && mv "$DIR/deploy.new" "$DIR/deploy"
cp "$D/v2/libdeploy.so" "$DIR/libdeploy.so.new" && mv "$DIR/libdeploy.so.new" "$DIR/libdeploy.so"
check replaced

run_copy deploy
rm "$DIR/deploy" "$DIR/libdeploy.so"
check deleted

export CDBG_DEBUG_FILE_DIRECTORY=$D/debug
run_copy deploy_stripped
cp "$D/v2/deploy_stripped" "$DIR/deploy.new" && mv "$DIR/deploy.new" "$DIR/deploy"
cp "$D/v2/libdeploy.so" "$DIR/libdeploy.so.new" && mv "$DIR/libdeploy.so.new" "$DIR/libdeploy.so"
check stripped
unset CDBG_DEBUG_FILE_DIRECTORY

if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
    DIR=$(mktemp -d "$TD_TMP/svc.XXXXXX") V1=$(mktemp -d "$TD_TMP/v1.XXXXXX")
    cp "$D/v2/deploy" "$D/v2/libdeploy.so" "$DIR/"
    cp "$D/v1/deploy" "$D/v1/libdeploy.so" "$V1/"
    LD_LIBRARY_PATH=$DIR td_start "$(command -v unshare)" --mount --propagation private \
        sh -c 'mount --bind "$1" "$2" && exec "$2/deploy"' sh "$V1" "$DIR"
    [ "$(readlink "/proc/$TD_PID/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] &&
        grep -q " $DIR/deploy\$" "/proc/$TD_PID/maps" && pass "mountns: runs $DIR/deploy in its own mount namespace" ||
        fail "mountns: not running $DIR/deploy in another mount namespace"
    td_cdbg out attach "$TD_PID" --batch "${CMDS[@]}"
    expect_status 0 "mountns: cdbg"
    [ "$(frames "$out")" = "$ref" ] && pass "mountns: frames and values as gdb's on the untouched build" ||
        { fail "mountns: cdbg (<) and gdb (>) differ:"; diff <(frames "$out") <(echo "$ref") >&2; td_show "$out"; }
    expect_empty "$out.err"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
elif [ "${CI:-}" = true ]; then
    fail "mountns: needs root and unshare (CI has both)"
fi

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    as_nobody=("$(command -v setpriv)" --reuid=65534 --regid=65534 --clear-groups)
    chmod o+x "$TD_TMP"
    DIR=$(mktemp -d "$TD_TMP/svc.XXXXXX")
    chmod 755 "$DIR"
    cp "$D/v1/deploy" "$D/v1/libdeploy.so" "$DIR/"
    LD_LIBRARY_PATH=$DIR td_start "${as_nobody[0]}" "${as_nobody[@]:1}" "$DIR/deploy"
    rm "$DIR/deploy" "$DIR/libdeploy.so"
    printf '#!/bin/sh\nexec %s "$@"\n' "${as_nobody[*]} $CDBG" >"$TD_TMP/cdbg_nobody"
    chmod 755 "$TD_TMP/cdbg_nobody"
    CDBG=$TD_TMP/cdbg_nobody td_cdbg out attach "$TD_PID" --batch "${CMDS[@]}"
    expect_status 0 "nobody: cdbg"
    [ "$(stat -c %U "/proc/$TD_PID")" = nobody ] && pass "nobody: the process runs as nobody" || fail "nobody: the process is not nobody's"
    # the executable's frames and values as gdb's; the library's frame without a line
    [ "$(frames "$out" | grep -v '^#1 ')" = "$(grep -v '^#1 ' <<<"$ref")" ] && pass "nobody: the executable's frames and values" ||
        { fail "nobody: cdbg (<) and gdb (>) differ beyond the library's frame:"; diff <(frames "$out") <(echo "$ref") >&2; td_show "$out"; }
    expect_line '^#1 +0x[0-9a-f]+ in .* from libdeploy\.so \(deleted\)$' "$out"
    expect_exact_str "$out.err" "warning: libdeploy.so was deleted since process $TD_PID started, and the file it runs cannot be opened: names from its loaded image only (no line numbers); run cdbg as root to read it through /proc/$TD_PID/map_files"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
elif [ "${CI:-}" = true ]; then
    fail "nobody: needs root (to become nobody) and setpriv (CI has both)"
fi

td_finish
