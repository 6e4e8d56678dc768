# Sourced by the debuginfod tests after lib.sh: builds testdata/debuginfod/dbgi.c with its DWARF
# under /cdbg-debuginfod-src (a path no machine has: the source is "moved away" from it), splits the
# debug info off (objcopy --only-keep-debug, strip, .gnu_debuglink, build-id), and serves the debug
# file and the source from Debian's debuginfod on a free loopback port, scanning a tar that holds
# both (-Z .tar: a source is served from an archive member named by its DWARF path). Waits for the
# scan to finish by asking for the source until it is served. Sets:
#   DBGI_EXE (the stripped program), DBGI_ID (its build-id), DBGI_DEBUG (the debug file, kept for
#   its size), DBGI_URL (the server), dbgi_start_server DIR (another server over DIR, e.g. empty).
need_tool debuginfod "the debuginfod server the tests fetch from (Debian package debuginfod)"
need_tool gcc "building the test program with its DWARF under a path no machine has"
need_tool objcopy "splitting the debug info off"
need_tool python3 "polling the server and the misbehaving servers"

DBGI_SRC=/cdbg-debuginfod-src
[ -e "$DBGI_SRC" ] && skip "$DBGI_SRC exists on this machine: the test needs a DWARF path that does not"
_dbgi_build() { # NAME [CFLAGS...]
    local name=$1
    shift
    mkdir -p "$TD_TMP/build" && cp "$SRCROOT/testdata/debuginfod/dbgi.c" "$TD_TMP/build/" || exit 1
    (cd "$TD_TMP/build" && gcc -g -O0 -Wl,--build-id -fdebug-prefix-map="$TD_TMP/build=$DBGI_SRC" -o "$name" dbgi.c "$@" &&
        objcopy --only-keep-debug "$name" "$name.debug" && strip -g "$name" &&
        objcopy --add-gnu-debuglink="$name.debug" "$name") || { echo "FAIL: cannot build $name" >&2; exit 1; }
}
_dbgi_build dbgi
_dbgi_build dbgi_other -DOTHER
# dbgi_lib: the program through a shared library of its own, neither of them known to the server
cp "$SRCROOT/testdata/debuginfod/dbgi_lib.c" "$TD_TMP/build/" &&
    (cd "$TD_TMP/build" && gcc -g -O0 -shared -fPIC -Wl,--build-id -fdebug-prefix-map="$TD_TMP/build=$DBGI_SRC" \
        -o libdbgi.so dbgi_lib.c && strip -g libdbgi.so) || { echo "FAIL: cannot build libdbgi.so" >&2; exit 1; }
_dbgi_build dbgi_lib -DLIB -L"$TD_TMP/build" -ldbgi -Wl,-rpath,"$TD_TMP/build"
rm -f "$TD_TMP/build/dbgi_lib.c"
DBGI_EXE=$TD_TMP/build/dbgi
DBGI_ID=$(readelf -n "$DBGI_EXE" | awk '/Build ID/ {print $3}')
[ -n "$DBGI_ID" ] || { echo "FAIL: no build-id in $DBGI_EXE" >&2; exit 1; }
# what the server holds; the program's directory keeps neither its debug file nor its source
mkdir -p "$TD_TMP/tarroot$DBGI_SRC" "$TD_TMP/srv" "$TD_TMP/empty" || exit 1
mv "$TD_TMP/build/dbgi.debug" "$TD_TMP/tarroot/" && mv "$TD_TMP/build/dbgi.c" "$TD_TMP/tarroot$DBGI_SRC/" &&
    rm -f "$TD_TMP/build/dbgi_other.debug" "$TD_TMP/build/dbgi_lib.debug" || exit 1
DBGI_DEBUG=$TD_TMP/tarroot/dbgi.debug
tar -C "$TD_TMP/tarroot" -cf "$TD_TMP/srv/dbgi.tar" . || exit 1

# _dbgi_get URL: the HTTP status of a GET (000 when nothing answers).
_dbgi_get() {
    python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=10).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
PY
}

# dbgi_start_server DIR: starts debuginfod over DIR on a free port; sets DBGI_SRV_URL and
# DBGI_SRV_PID. A port taken between the choice and the bind makes the server exit: another is tried.
dbgi_start_server() {
    local dir=$1 try port
    for try in 1 2 3 4 5; do
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        debuginfod -p "$port" -d "$TD_TMP/db.$try.$RANDOM.sqlite" -Z .tar -t 0 -g 0 "$dir" \
            >"$TD_TMP/debuginfod.$port.log" 2>&1 &
        DBGI_SRV_PID=$!
        TD_PIDS+=("$DBGI_SRV_PID")
        DBGI_SRV_URL=http://127.0.0.1:$port
        _dbgi_srv_up() { ! _td_running "$DBGI_SRV_PID" || [ "$(_dbgi_get "$DBGI_SRV_URL/metrics")" = 200 ]; }
        td_wait_for "debuginfod to listen on port $port" _dbgi_srv_up || exit 1
        _td_running "$DBGI_SRV_PID" && return 0
    done
    echo "FAIL: debuginfod did not start: $(tail -3 "$TD_TMP/debuginfod.$port.log")" >&2
    exit 1
}
dbgi_start_server "$TD_TMP/srv"
DBGI_URL=$DBGI_SRV_URL
_dbgi_scanned() { [ "$(_dbgi_get "$DBGI_URL/buildid/$DBGI_ID/source$DBGI_SRC/dbgi.c")" = 200 ]; }
td_wait_for "debuginfod to scan $TD_TMP/srv" _dbgi_scanned || exit 1

# dbgi_fake MODE: a misbehaving server (fakesrv.py); sets FAKE_URL and FAKE_LOG (one line per
# connection it accepted).
dbgi_fake() {
    local pf=$TD_TMP/fake.$1.port
    FAKE_LOG=$TD_TMP/fake.$1.log
    : >"$FAKE_LOG"
    python3 "$SRCROOT/tests/integration/debuginfod/fakesrv.py" "$1" "$pf" "$FAKE_LOG" &
    TD_PIDS+=("$!")
    td_wait_for "the fake server ($1) to listen" test -s "$pf" || exit 1
    FAKE_URL=http://127.0.0.1:$(cat "$pf")
}

# dbgi_env CACHE: the environment every run gets, a fresh cache directory each time unless reused
unset DEBUGINFOD_URLS DEBUGINFOD_PROGRESS DEBUGINFOD_VERBOSE CDBG_NO_DEBUGINFOD
export DEBUGINFOD_TIMEOUT=30
