#!/bin/bash
# Re-locking a non-recursive mutex inside a global struct array: a self-deadlock.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
dl_text() {
    expect_line '^self-deadlock:$' "$1"
    expect_line "^  $(dl_thread_re relocker "$2") waits for mutex table\\.buckets\\[7\\]\\.mu \\(0x[0-9a-f]+\\), which it already holds\$" "$1"
    expect_line '^      in bump at self.c:[0-9]+$' "$1"
    expect_no_line '^cycle' "$1"
    dl_stopped "$1" "$2" 1
}
dl_json_check() {
    dl_py "$1" 'd["deadlock"] and d["cycles"] == [] and len(d["findings"]) == 1' "one finding $2 $3"
    dl_py "$1" '(lambda f: f["kind"] == "self-deadlock" and f["symbol"] == "table.buckets[7].mu" and f["owner_tid"] == f["tid"] == '"$(dl_tid relocker)"')(d["findings"][0])' "self finding $2 $3"
    dl_json_stopped "$1" "$2"
}
dl_case self 3
td_finish
