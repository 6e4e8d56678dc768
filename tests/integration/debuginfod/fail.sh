#!/bin/bash
# debuginfod when things go wrong, and in the one-shot modes: a server that is down (one warning
# naming it, then on without: one connection however many modules lack debug info), one that hangs
# (DEBUGINFOD_TIMEOUT), one that serves garbage over HTTP or answers no HTTP at all, a cache
# directory that cannot be made, a server that has nothing (a final note); `cdbg stacks` never asks a
# server (a hung one gets no connection) but reads debuginfod's cache, and asks with --debuginfod.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/debuginfod/setup.sh"
td_start "$TD_TMP/build/dbgi_lib"
lpid=$TD_PID
td_start "$DBGI_EXE"
pid=$TD_PID
src_frames() { grep -cE '^#[0-9]+ .* in (depth|main|lib_call) .*at .*:[0-9]+$' "$1"; }

# --- a server that is down: one warning naming it, the frames without source
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DEBUGINFOD_URLS=http://127.0.0.1:$dead DEBUGINFOD_CACHE_PATH=$TD_TMP/c.dead
td_cdbg out attach "$lpid" --batch -ex bt -ex 'frame 1' -ex list
expect_status 1 "list fails without the source"
expect_line "^warning: debuginfod: cannot get the debug info of $TD_TMP/build/dbgi_lib from http://127.0.0.1:$dead: Connection refused; going on without debuginfod$" "$out.err"
[ "$(grep -c debuginfod "$out.err")" -eq 1 ] && pass "one line for the dead server" || { fail "not one line"; td_show "$out.err"; }
expect_line '^#1 +0x[0-9a-f]+ in depth from dbgi_lib$' "$out"
expect_line '^#4 +0x[0-9a-f]+ in lib_call from libdbgi\.so$' "$out"
td_asleep "$lpid"

# --- a hung server: DEBUGINFOD_TIMEOUT ends the one query; the second module is not asked
# (DEBUGINFOD_RETRY_LIMIT=0: libdebuginfod would otherwise try each query three times)
dbgi_fake blackhole
export DEBUGINFOD_URLS=$FAKE_URL DEBUGINFOD_CACHE_PATH=$TD_TMP/c.hung
DEBUGINFOD_TIMEOUT=1 DEBUGINFOD_RETRY_LIMIT=0 td_cdbg out attach "$lpid" --batch -ex bt
expect_status 0 "bt past a hung server"
expect_line "^warning: debuginfod: cannot get the debug info of $TD_TMP/build/dbgi_lib from $FAKE_URL: .*; going on without debuginfod$" "$out.err"
[ "$(grep -c debuginfod "$out.err")" -eq 1 ] && pass "one line for the hung server" || { fail "not one line"; td_show "$out.err"; }
[ "$(grep -c . "$FAKE_LOG")" -eq 1 ] && pass "one connection for two modules" ||
    fail "$(grep -c . "$FAKE_LOG") connections to the hung server (one expected: no more asking after a failure)"
expect_line '^#4 +0x[0-9a-f]+ in lib_call from libdbgi\.so$' "$out"
td_asleep "$lpid"

# --- `cdbg stacks` with the hung server: no connection at all, a note that only the cache is read
: >"$FAKE_LOG"
td_cdbg out stacks "$lpid"
expect_status 0 "stacks with a hung server"
[ ! -s "$FAKE_LOG" ] && pass "stacks did not ask the server" || fail "stacks connected $(grep -c . "$FAKE_LOG") times"
expect_line "^note: debuginfod: no debug info for $TD_TMP/build/dbgi_lib, $TD_TMP/build/libdbgi\\.so in debuginfod's cache; the one-shot modes do not ask the servers \\($FAKE_URL\\): --debuginfod does$" "$out.err"
td_asleep "$lpid"
# nor does it load libdebuginfod (the ~35 libraries behind it cost more than the dump)
LD_DEBUG=files timeout 120 "$CDBG" stacks "$lpid" >/dev/null 2>"$TD_TMP/ld.err" </dev/null
expect_no_line 'file=libdebuginfod' "$TD_TMP/ld.err"
td_asleep "$lpid"
# ... but reads the cache: fill it from the real server, then stacks with the hung one shows lines
export DEBUGINFOD_CACHE_PATH=$TD_TMP/c.real
DEBUGINFOD_URLS=$DBGI_URL td_cdbg out attach "$pid" --batch -ex bt
expect_line '^Downloading .* separate debug info for ' "$out.err"
td_asleep "$pid"
td_cdbg out stacks "$pid"
expect_status 0 "stacks from the cache"
[ "$(src_frames "$out")" -eq 4 ] && pass "stacks: the frames' lines from the cache" || { fail "stacks: no lines from the cache"; td_show "$out"; }
[ ! -s "$FAKE_LOG" ] && pass "stacks read the cache only" || fail "stacks connected $(grep -c . "$FAKE_LOG") times"
expect_no_line 'debuginfod|Downloading' "$out.err"
td_asleep "$pid"
# --debuginfod: stacks asks the server
export DEBUGINFOD_URLS=$DBGI_URL DEBUGINFOD_CACHE_PATH=$TD_TMP/c.stacks
td_cdbg out stacks --debuginfod "$pid"
expect_status 0 "stacks --debuginfod"
expect_line "^Downloading [0-9.]+ KB separate debug info for $DBGI_EXE\\.\\.\\.$" "$out.err"
[ "$(src_frames "$out")" -eq 4 ] && pass "stacks --debuginfod: the frames' lines" || { fail "stacks --debuginfod: no lines"; td_show "$out"; }
td_asleep "$pid"

# --- a server with nothing for the two modules: a final note naming them
export DEBUGINFOD_URLS=$DBGI_URL DEBUGINFOD_CACHE_PATH=$TD_TMP/c.none
td_cdbg out attach "$lpid" --batch -ex bt
expect_status 0 "bt with a server that has nothing"
expect_line "^note: debuginfod: the servers \\($DBGI_URL\\) have no debug info for $TD_TMP/build/dbgi_lib, $TD_TMP/build/libdbgi\\.so$" "$out.err"
expect_no_line '^warning: debuginfod' "$out.err"
td_asleep "$lpid"

# --- garbage: 200 with no ELF file (the file is checked, said once, dropped from the cache), and
# no HTTP at all (libdebuginfod's answer, one line: it reports any transfer failure it has no errno
# for as "not found")
dbgi_fake garbage-http
export DEBUGINFOD_URLS=$FAKE_URL DEBUGINFOD_CACHE_PATH=$TD_TMP/c.garbage
td_cdbg out attach "$pid" --batch -ex bt
expect_status 0 "bt past a server serving garbage"
expect_line "^warning: debuginfod: what $FAKE_URL served for $DBGI_EXE is not its debug file \\(not ELF, or another build-id\\); ignored, and removed from the cache$" "$out.err"
[ "$(grep -c debuginfod "$out.err")" -eq 1 ] && pass "one line for the garbage" || { fail "not one line"; td_show "$out.err"; }
[ ! -s "$TD_TMP/c.garbage/$DBGI_ID/debuginfo" ] && pass "the garbage left the cache" || fail "the garbage stayed in the cache"
expect_line '^#1 +0x[0-9a-f]+ in depth from dbgi$' "$out"
td_asleep "$pid"
dbgi_fake garbage-raw
export DEBUGINFOD_URLS=$FAKE_URL DEBUGINFOD_CACHE_PATH=$TD_TMP/c.raw
td_cdbg out attach "$pid" --batch -ex bt
expect_status 0 "bt past a server answering no HTTP"
expect_line "^note: debuginfod: the servers \\($FAKE_URL\\) have no debug info for $DBGI_EXE$" "$out.err"
[ "$(grep -c debuginfod "$out.err")" -eq 1 ] && pass "one line for no HTTP" || { fail "not one line"; td_show "$out.err"; }
td_asleep "$pid"

# --- a cache directory that cannot be made: said once, the server is not asked
: >"$TD_TMP/afile"
export DEBUGINFOD_URLS=$DBGI_URL DEBUGINFOD_CACHE_PATH=$TD_TMP/afile/cache
td_cdbg out attach "$pid" --batch -ex bt
expect_status 0 "bt with an unusable cache"
expect_line "^warning: debuginfod: cannot use the cache directory $TD_TMP/afile/cache \\(DEBUGINFOD_CACHE_PATH\\): Not a directory; not asking the servers \\(set DEBUGINFOD_CACHE_PATH to a writable directory\\)$" "$out.err"
[ "$(grep -c debuginfod "$out.err")" -eq 1 ] && pass "one line for the cache" || { fail "not one line"; td_show "$out.err"; }
expect_no_line 'Downloading' "$out.err"
td_asleep "$pid"
check_untraced "$pid"
check_untraced "$lpid"
td_finish
