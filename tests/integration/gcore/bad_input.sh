#!/bin/bash
# `cdbg gcore` refusing what it must refuse, the target resumed and fine every time: a symlink at
# FILE (never followed), an existing FILE (replaced only with --force), a directory, a gone PID, a
# process that is not ours, a disk that fills up (RLIMIT_FSIZE: the partial file is removed).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"

td_start gcore_prog_O0 2 8
d=$TD_TMP/d
mkdir -p "$d"

# gc_fine: the target runs on, untraced, no child, no SIGCHLD; nothing but EXPECTED in $d
gc_fine() {
    check_untraced "$TD_PID"
    gc_no_children "$TD_PID"
    gc_report
    [ "$GC_SIGCHLD" = 0 ] && pass "no SIGCHLD" || fail "the target saw $GC_SIGCHLD SIGCHLD"
    local left
    left=$(ls -A "$d" | tr '\n' ' ')
    [ "$left" = "$1" ] && pass "directory holds '$1'" || fail "directory holds '$left', expected '$1'"
}

# a symlink at FILE: refused; the file it points to is not created
ln -s "$d/victim" "$d/link"
td_cdbg out gcore -o "$d/link" "$TD_PID"
expect_status 1 "symlink refused"
expect_line "cannot write a core to $d/link: a symbolic link already exists" "$out.err"
[ ! -e "$d/victim" ] && [ -L "$d/link" ] && pass "symlink not followed" || fail "the symlink was followed or replaced"
gc_fine "link "
rm -f "$d/link"

# an existing file: kept without --force, replaced (0600) with it
echo precious >"$d/existing"
chmod 644 "$d/existing"
td_cdbg out gcore -o "$d/existing" "$TD_PID"
expect_status 1 "existing file refused"
expect_line "already exists; remove it, choose another FILE or give --force" "$out.err"
[ "$(cat "$d/existing")" = precious ] && pass "existing file kept" || fail "the existing file was changed"
gc_fine "existing "
td_cdbg out gcore --force -o "$d/existing" "$TD_PID"
expect_status 0 "--force"
expect_exact_str "$out" "$d/existing"
[ "$(head -c 4 "$d/existing" | od -An -c | tr -d ' ')" = '177ELF' ] && pass "replaced by a core" || fail "not replaced"
[ "$(stat -c %a "$d/existing")" = 600 ] && pass "replaced 0600" || fail "mode $(stat -c %a "$d/existing")"
gc_fine "existing "
rm -f "$d/existing"

# a FIFO (as a device node such as /dev/null): never replaced, not even with --force
mkfifo "$d/fifo"
td_cdbg out gcore --force -o "$d/fifo" "$TD_PID"
expect_status 1 "a FIFO refused with --force"
expect_line "cannot write a core to $d/fifo: it is a FIFO, not a regular file" "$out.err"
[ -p "$d/fifo" ] && pass "the FIFO kept" || fail "the FIFO was replaced: $(stat -c %F "$d/fifo")"
gc_fine "fifo "
rm -f "$d/fifo"

# a directory
mkdir "$d/sub"
td_cdbg out gcore -o "$d/sub" "$TD_PID"
expect_status 1 "directory refused"
expect_line "cannot write a core to $d/sub: it is a directory" "$out.err"
gc_fine "sub "
rmdir "$d/sub"

# the default name, in the working directory
(cd "$d" && timeout 120 "$CDBG" gcore "$TD_PID" >"$TD_TMP/def.out" 2>"$TD_TMP/def.err")
[ "$(cat "$TD_TMP/def.out")" = "core.$TD_PID" ] && [ -s "$d/core.$TD_PID" ] && pass "default core.PID" ||
    fail "default name: $(cat "$TD_TMP/def.out" "$TD_TMP/def.err")"
gc_fine "core.$TD_PID "
rm -f "$d/core.$TD_PID"

# a full disk (the file size limit): the partial file is removed, the target resumed and fine
( ulimit -f 1024; exec timeout 120 "$CDBG" gcore -o "$d/big" "$TD_PID" >"$TD_TMP/fs.out" 2>"$TD_TMP/fs.err" )
TD_RC=$?
expect_status 1 "file too large"
expect_line "cannot write the core to $d/big: File too large; the partial file was removed" "$TD_TMP/fs.err"
gc_fine ""
( ulimit -f 1024; exec timeout 120 "$CDBG" gcore --no-snapshot -o "$d/big" "$TD_PID" >"$TD_TMP/fs.out" 2>"$TD_TMP/fs.err" )
TD_RC=$?
expect_status 1 "file too large (held copy)"
gc_fine ""

# a process that is not ours: cdbg run as another user cannot attach (a copy of cdbg, which that
# user can run wherever the build tree is)
if [ "$(id -u)" = 0 ]; then
    need_tool setpriv "running cdbg as another user"
    chmod 711 "$TD_TMP"
    pub=$(mktemp -d "$TD_TMP/pub.XXXXXX") && chmod 755 "$pub" && cp "$CDBG" "$pub/cdbg" && chmod 755 "$pub/cdbg"
    chmod 777 "$d"
    setpriv --reuid=65534 --regid=65534 --clear-groups timeout 120 "$pub/cdbg" gcore -o "$d/x" "$TD_PID" \
        >"$TD_TMP/np.out" 2>"$TD_TMP/np.err" </dev/null
    TD_RC=$?
    expect_status 4 "not ours"
    expect_line "cannot attach|not permitted|permission" "$TD_TMP/np.err"
    gc_fine ""
else
    echo "note: not root: the process-not-ours case needs another user to run cdbg; not checked" >&2
fi

# a PID that is gone
sleep 0.01 & gone=$!
wait "$gone"
td_cdbg out gcore -o "$d/gone" "$gone"
expect_status 4 "gone PID"
expect_line "no process with PID $gone" "$out.err"
td_cdbg out gcore
expect_status 2 "no PID"
td_cdbg out gcore --bogus 1
expect_status 2 "unknown option"
gc_fine ""
td_finish
