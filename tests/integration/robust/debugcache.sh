#!/bin/bash
# A corrupt entry in the debug-info cache is detected when used, removed and rebuilt, never trusted:
# libc's frames keep their names and lines, and the entry is intact again afterwards. Poisons: cut
# to half, cut by 100 bytes, emptied, zeroed (same size), replaced by another module's entry (a
# different build-id), and replaced by a FIFO (which must not block the open either).
. "$SRCROOT/tests/integration/lib.sh"
TD_CDBG_TIMEOUT=30
export CDBG_CACHE_DIR=$TD_TMP/cache

td_start threads_O0
libc=$(awk '$6 ~ /\/libc\.so\.6$/ {print $6; exit}' "/proc/$TD_PID/maps")
[ -n "$libc" ] || { fail "no libc.so.6 in /proc/$TD_PID/maps"; td_finish; }
id=$(readelf -n "$libc" 2>/dev/null | awk '/Build ID:/ {print $3; exit}')
[ -n "$id" ] || skip "cannot read the build-id of $libc (readelf)"
entry=$CDBG_CACHE_DIR/$id.debug

# bt_named WHAT: a `bt` whose libc frames have names and lines (libc6-dbg), nothing unknown
bt_named() {
    td_cdbg out attach "$TD_PID" --batch -ex bt
    expect_status 0 "$1: bt"
    expect_line '^#[0-9]+ +0x[0-9a-f]+ in __pthread_clockjoin_ex at pthread_join_common\.c:[0-9]+$' "$out"
    expect_line '^#[0-9]+ +0x[0-9a-f]+ in main at threads\.c:[0-9]+$' "$out"
    expect_no_line 'in \?\?|from libc\.so\.6' "$out"
    expect_no_line 'libc\.so\.6' "$out.err"
    check_untraced "$TD_PID"
}

bt_named "first run"
[ -f "$entry" ] || skip "no cache entry for libc ($entry): its debug file is not compressed here (libc6-dbg ships compressed DWARF on Debian)"
good=$TD_TMP/good.debug
cp "$entry" "$good" || exit 1
other=$(ls "$CDBG_CACHE_DIR"/*.debug | grep -v "/$id\.debug$" | head -n 1)
[ -n "$other" ] || fail "only libc's entry is in the cache; need another module's to swap in"

size=$(stat -c %s "$good")
poisons=(
    "half:truncate -s $((size / 2)) '$entry'"
    "short:truncate -s $((size - 100)) '$entry'"
    "empty:: >'$entry'"
    "zeroed:head -c $size /dev/zero >'$entry'"
    "swapped:cp '$other' '$entry'"
    "fifo:rm -f '$entry' && mkfifo '$entry'"
)
for p in "${poisons[@]}"; do
    name=${p%%:*}
    cp "$good" "$entry" || exit 1
    eval "${p#*:}" || { fail "$name: could not poison the entry"; continue; }
    [ -f "$entry" ] && cmp -s "$entry" "$good" && fail "$name: the entry is unchanged"
    bt_named "$name"
    # rebuilt: a regular file again, byte for byte what the first run wrote
    if [ -f "$entry" ] && cmp -s "$entry" "$good"; then
        pass "$name: entry rebuilt"
    else
        fail "$name: entry not rebuilt ($(ls -l "$entry" 2>&1))"
    fi
    # and used as it is from then on
    bt_named "$name, next run"
done
td_finish
