#!/bin/bash
# debuginfod: a program whose debug info and source are on no disk here (stripped, its DWARF path
# /cdbg-debuginfod-src/dbgi.c exists nowhere) gets both from a local debuginfod by build-id. Without
# the server: no source lines and `p local` fails cleanly; with it: bt's frames, a local's value and
# `list` equal gdb 13's with the same DEBUGINFOD_URLS; the progress lines go to stderr (JSON objects
# with --json, stdout untouched); DEBUGINFOD_CACHE_PATH is where they land; `set debuginfod enabled
# off` (-ex), --no-debuginfod and CDBG_NO_DEBUGINFOD=1 ask nothing; show debuginfod as gdb.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/debuginfod/setup.sh"
need_tool gdb "the reference for frames, values and list with debuginfod"
td_start "$DBGI_EXE"
pid=$TD_PID
cmds=(-ex bt -ex 'frame 1' -ex 'p local' -ex list)

# bt's frames in the program as "LEVEL PC FUNC FILE:LINE" (gdb's arguments dropped)
frames() { sed -nE 's/^#([0-9]+) +(0x[0-9a-f]+) in (depth|main) (\(.*\) )?at ([^ ]+):([0-9]+)$/\1 \2 \3 \5:\6/p' "$1"; }
# the lines `list` printed (after the `p local` line), as "LINE|TEXT"
listed() { awk 'go && /^[0-9]+\t/ { n = $0; sub(/\t.*/, "", n); t = $0; sub(/^[0-9]+\t/, "", t); print n "|" t }
                go && /^(=> |   )[0-9]/ { n = substr($0, 4, 5); gsub(/ /, "", n); print n "|" substr($0, 10) }
                /^\$1 = / { go = 1 }' "$1"; }

# --- without a server: the program's frames have no source and its locals are unknown
td_cdbg out attach "$pid" --batch "${cmds[@]}"
expect_status 1 "p local fails without debug info"
[ -z "$(frames "$out")" ] && pass "no source lines without the server" || fail "source lines without a server: $(frames "$out")"
expect_line '^#1 +0x[0-9a-f]+ in depth from dbgi$' "$out"
expect_line 'no symbol "local" in the current context' "$out.err"
[ "$(grep -c . "$out.err")" -le 2 ] && pass "the failure is one line" || { fail "more than the note and the error"; td_show "$out.err"; }
expect_no_line 'debuginfod|Downloading' "$out.err"
td_asleep "$pid"
# without DEBUGINFOD_URLS libdebuginfod (and the ~35 libraries behind it) is never loaded
LD_DEBUG=files timeout 120 "$CDBG" attach "$pid" --batch -ex bt >/dev/null 2>"$TD_TMP/ld.err" </dev/null
expect_no_line 'file=libdebuginfod' "$TD_TMP/ld.err"
td_asleep "$pid"

# --- gdb 13 with the server, the reference
export DEBUGINFOD_URLS=$DBGI_URL
DEBUGINFOD_CACHE_PATH=$TD_TMP/gdbcache timeout 120 gdb -nx -batch -iex 'set debuginfod enabled on' -p "$pid" \
    "${cmds[@]}" >"$TD_TMP/gdb.out" 2>&1
td_asleep "$pid"
frames "$TD_TMP/gdb.out" >"$TD_TMP/gdb.frames"
listed "$TD_TMP/gdb.out" >"$TD_TMP/gdb.list"
[ "$(wc -l <"$TD_TMP/gdb.frames")" -ge 4 ] && pass "gdb got the debug info" || { fail "gdb: no frames with lines"; td_show "$TD_TMP/gdb.out"; }
grep -q 'pause();' "$TD_TMP/gdb.list" && pass "gdb got the source" || { fail "gdb: no source listed"; td_show "$TD_TMP/gdb.out"; }

# --- cdbg with the server: the same frames, value and lines
export DEBUGINFOD_CACHE_PATH=$TD_TMP/cache1
td_cdbg out attach "$pid" --batch "${cmds[@]}"
expect_status 0 "bt, frame, p and list with the server"
frames "$out" >"$TD_TMP/cdbg.frames"
expect_exact "$TD_TMP/cdbg.frames" "$TD_TMP/gdb.frames"
grep -m1 '^\$1 = ' "$out" >"$TD_TMP/cdbg.p"
expect_exact_str "$TD_TMP/cdbg.p" "$(grep -m1 '^\$1 = ' "$TD_TMP/gdb.out")"
listed "$out" >"$TD_TMP/cdbg.list"
expect_exact "$TD_TMP/cdbg.list" "$TD_TMP/gdb.list"
size=$(stat -c %s "$DBGI_DEBUG")
kb=$(awk -v s="$size" 'BEGIN { printf "%.2f", s / 1024 }')
expect_line "^Downloading $kb KB separate debug info for $DBGI_EXE\\.\\.\\.$" "$out.err"
expect_line "^Downloading [0-9.]+ KB source file /cdbg-debuginfod-src/dbgi\\.c\\.\\.\\.$" "$out.err"
[ "$(grep -c '^Downloading' "$out.err")" -eq 2 ] && pass "one line per download" || { fail "not two download lines"; td_show "$out.err"; }
expect_no_line 'Downloading|debuginfod' "$out"
[ -s "$TD_TMP/cache1/$DBGI_ID/debuginfo" ] && pass "DEBUGINFOD_CACHE_PATH holds the download" ||
    fail "nothing in DEBUGINFOD_CACHE_PATH ($TD_TMP/cache1)"
cmp -s "$TD_TMP/cache1/$DBGI_ID/debuginfo" "$DBGI_DEBUG" && pass "the debug file served" || fail "the cached file is not the debug file"
td_asleep "$pid"

# (with it, libdebuginfod is loaded: the check above would see it)
LD_DEBUG=files DEBUGINFOD_CACHE_PATH=$TD_TMP/cache.ld timeout 120 "$CDBG" attach "$pid" --batch -ex bt >/dev/null \
    2>"$TD_TMP/ld.err" </dev/null
expect_line 'file=libdebuginfod\.so\.1 ' "$TD_TMP/ld.err"
td_asleep "$pid"

# the cache answers the next run: nothing downloaded, same frames
td_cdbg out attach "$pid" --batch "${cmds[@]}"
expect_status 0 "from the cache"
frames "$out" >"$TD_TMP/cdbg.frames2"
expect_exact "$TD_TMP/cdbg.frames2" "$TD_TMP/gdb.frames"
expect_no_line 'Downloading' "$out.err"
td_asleep "$pid"

# --- --json: stdout is the commands' objects only; stderr has the download events
export DEBUGINFOD_CACHE_PATH=$TD_TMP/cache2
td_cdbg out attach "$pid" --batch --json -ex 'frame 1' -ex list
expect_status 0 "--json"
expect_no_line 'Downloading|"event"' "$out"
python3 - "$out.err" "$DBGI_ID" "$size" "$DBGI_EXE" <<'PY' && pass "JSON download events" || fail "JSON download events: $(cat "$out.err")"
import json, sys
path, bid, size, exe = sys.argv[1:5]
ev = [json.loads(l) for l in open(path) if l.startswith("{")]
dl = [e for e in ev if e.get("event") == "debuginfod" and e.get("what") == "download"]
assert [e["kind"] for e in dl] == ["debuginfo", "source"], dl
assert dl[0]["build_id"] == bid and dl[0]["size"] == int(size) and dl[0]["file"] == exe, dl[0]
assert dl[1]["file"] == "/cdbg-debuginfod-src/dbgi.c" and dl[1]["url"].endswith("/source/cdbg-debuginfod-src/dbgi.c"), dl[1]
PY
expect_line '"command":"list".*pause\(\);' "$out"
td_asleep "$pid"

# --- off: -ex 'set debuginfod enabled off' before the first command that needs the debug info,
# --no-debuginfod, CDBG_NO_DEBUGINFOD=1: nothing asked (a fresh cache stays empty), no lines
n=0
for how in ex opt env; do
    n=$((n + 1))
    export DEBUGINFOD_CACHE_PATH=$TD_TMP/off$n
    case $how in
    ex) td_cdbg out attach "$pid" --batch -ex 'set debuginfod enabled off' -ex 'show debuginfod enabled' "${cmds[@]}" ;;
    opt) td_cdbg out attach "$pid" --batch --no-debuginfod -ex 'show debuginfod enabled' "${cmds[@]}" ;;
    env) CDBG_NO_DEBUGINFOD=1 td_cdbg out attach "$pid" --batch -ex 'show debuginfod enabled' "${cmds[@]}" ;;
    esac
    expect_status 1 "off ($how): p local fails"
    expect_line '^Debuginfod functionality is currently set to "off"\.$' "$out"
    [ -z "$(frames "$out")" ] && pass "off ($how): no source lines" || fail "off ($how): source lines: $(frames "$out")"
    expect_no_line 'Downloading' "$out.err"
    [ ! -e "$TD_TMP/off$n/$DBGI_ID" ] && pass "off ($how): nothing asked" || fail "off ($how): the server was asked"
    td_asleep "$pid"
done

# --- show debuginfod, as gdb 13 says it
td_cdbg out attach "$pid" --batch --no-debuginfod -ex 'show debuginfod enabled' -ex 'show debuginfod urls' \
    -ex 'set debuginfod enabled on' -ex 'show debuginfod enabled'
DEBUGINFOD_CACHE_PATH=$TD_TMP/gdbcache timeout 60 gdb -nx -batch -iex 'set debuginfod enabled off' \
    -ex 'show debuginfod enabled' -ex 'show debuginfod urls' -ex 'set debuginfod enabled on' \
    -ex 'show debuginfod enabled' >"$TD_TMP/gdb.show" 2>&1
expect_exact "$out" "$TD_TMP/gdb.show"
td_asleep "$pid"
td_cdbg out attach "$pid" --batch -ex 'set debuginfod enabled maybe'
expect_status 1 "a bad value"
expect_line "^cdbg: set debuginfod: usage: set debuginfod enabled on\\|off\\|ask \\('maybe' is none of them\\)$" "$out.err"
unset DEBUGINFOD_URLS
td_cdbg out attach "$pid" --batch -ex 'show debuginfod urls'
timeout 60 gdb -nx -batch -ex 'show debuginfod urls' >"$TD_TMP/gdb.nourls" 2>&1
expect_exact "$out" "$TD_TMP/gdb.nourls"
check_untraced "$pid"
td_finish
