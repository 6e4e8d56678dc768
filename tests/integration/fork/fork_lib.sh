# Shared by the fork suite's scripts: normalising what cdbg and gdb print, and the program's report.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

FORKS=$(td_bin forks_O0) || exit 1
NEWPROG=$(td_bin newprog_O0) || exit 1

# norm FILE PID=NAME...: FILE with addresses as ADDR, each PID as its NAME, testdata paths as
# TESTDATA/..., the rows of `inferiors` with single spaces (its columns' width follows the pids'),
# and the program's own stdout lines ("ready") left out.
norm() {
    local f=$1 sedargs=() kv
    shift
    for kv in "$@"; do
        sedargs+=(-e "s/\\b${kv%%=*}\\b/${kv#*=}/g")
    done
    sed -E -e 's/0x[0-9a-f]{6,16}/ADDR/g' -e "s|$(dirname "$FORKS")/|TESTDATA/|g" "${sedargs[@]}" \
        -e '/^[* ] [0-9]+ /s/ +/ /g' -e '/^  Num /s/ +/ /g' "$f" | grep -vx ready
}

# wait_report FILE: the program's report (written whole, by rename) is there.
wait_report() {
    td_wait_for "the program's report $1" test -s "$1"
}

# report_pids FILE: sets PARENT and CHILD from "parent P: child C ...".
report_pids() {
    PARENT=$(sed -nE 's/^parent ([0-9]+): child ([0-9]+) .*/\1/p' "$1")
    CHILD=$(sed -nE 's/^parent ([0-9]+): child ([0-9]+) .*/\2/p' "$1")
    [ -n "$PARENT" ] && [ -n "$CHILD" ] || fail "no pids in the report $1: $(cat "$1" 2>/dev/null)"
}

# tracer PID: the TracerPid of PID (empty when it is gone).
tracer() {
    sed -nE 's/^TracerPid:[[:space:]]*([0-9]+)$/\1/p' "/proc/$1/status" 2>/dev/null
}
