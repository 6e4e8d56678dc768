#!/bin/bash
# A FIFO, socket, device or directory given where cdbg expects a file (the executable or core of
# `cdbg core`, `cdbg deadlock EXE CORE`, the REPL's `core`, the program of `cdbg run`) is refused at
# once as "not a regular file", exit 4 like every other open failure; cdbg never blocks in open(2)
# waiting for a writer (each run has a timeout: a hang fails as status 124).
. "$SRCROOT/tests/integration/lib.sh"
TD_CDBG_TIMEOUT=30

fifo=$TD_TMP/fifo
mkfifo "$fifo" || { fail "mkfifo"; td_finish; }
sock=$TD_TMP/sock
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sock" ||
    fail "could not create a unix socket"
[ -S "$sock" ] || fail "$sock is not a socket"
exe=$(td_bin threads_O0) || exit 1

# not_regular WHAT PATH-IN-MESSAGE KIND ARGS...: exit 4 and the one-line error
not_regular() {
    local what=$1 path=$2 kind=$3
    shift 3
    td_cdbg out "$@"
    expect_status 4 "$what"
    expect_exact_str "$out.err" "cdbg: cannot open $kind $path: not a regular file (usage: cdbg core EXE CORE)"
}
for p in "$fifo" "$sock" /dev/null "$TD_TMP"; do
    not_regular "core file $p" "$p" "core file" core "$exe" "$p"
    not_regular "executable $p" "$p" executable core "$p" "$exe"
    not_regular "deadlock core file $p" "$p" "core file" deadlock "$exe" "$p"
done
td_cdbg out deadlock "$exe" "$fifo" --json
expect_status 4 "deadlock --json"
expect_exact_str "$out" "{\"command\":\"deadlock\",\"error\":\"cannot open core file $fifo: not a regular file (usage: cdbg core EXE CORE)\"}"

# `run` of a FIFO or a directory
for p in "$fifo" "$TD_TMP"; do
    td_cdbg out run "$p" --batch
    expect_status 4 "run $p"
    expect_exact_str "$out.err" "cdbg: cannot run '$p': not a regular file; give a compiled program"
done

# the REPL's `core` command, from a session on a live process: the script stops with the open
# failure's status and the process is left as it was
td_start threads_O0
td_cdbg out attach "$TD_PID" --batch -ex "core $exe $fifo"
expect_status 4 "REPL core FIFO"
expect_line "^cdbg: cannot open core file $fifo: not a regular file" "$out.err"
check_untraced "$TD_PID"
td_finish
