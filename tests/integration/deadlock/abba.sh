#!/bin/bash
# ABBA: one cycle of two threads, both locks named, frames in user code.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
dl_text() {
    expect_line '^DEADLOCK in process [0-9]+: 1 cycle, 2 threads blocked forever' "$1"
    expect_line '^cycle 1: 2 threads wait for each other$' "$1"
    expect_line '^  thread [0-9]+ .*waits for mutex lock_b \(0x[0-9a-f]+\), held by thread [0-9]+' "$1"
    expect_line '^  thread [0-9]+ .*waits for mutex lock_a \(0x[0-9a-f]+\), held by thread [0-9]+' "$1"
    expect_line '^      in worker_a at abba.c:[0-9]+$' "$1"
    expect_line '^      in worker_b at abba.c:[0-9]+$' "$1"
    if [ "$2" = live ]; then
        expect_line 'waits for mutex lock_b .*held by thread [0-9]+ "worker_b"' "$1"
        expect_line '^stopped 2 threads for ' "$1"
    fi
}
dl_json_check() {
    dl_py "$1" 'd["deadlock"] is True and len(d["cycles"]) == 1 and d["findings"] == [] and len(d["waits"]) == 2' "abba shape $2 $3"
    dl_py "$1" 'sorted(t["waits_for"]["symbol"] for t in d["cycles"][0]["threads"]) == ["lock_a", "lock_b"]' "abba names $2 $3"
    dl_py "$1" 'all(t["waits_for"]["kind"] == "mutex" and t["waits_for"]["addr"].startswith("0x") for t in d["waits"])' "abba kinds $2 $3"
    # each waits for the other: owner of one is the tid of the other
    dl_py "$1" '(lambda a, b: a["waits_for"]["owner_tid"] == b["tid"] and b["waits_for"]["owner_tid"] == a["tid"])(*d["cycles"][0]["threads"])' "abba edges $2 $3"
    dl_py "$1" 'all(t["frame"] and t["frame"].split(" at ")[1].startswith("abba.c:") for t in d["waits"])' "abba frames $2 $3"
    dl_py "$1" 'isinstance(d["stopped_ms"], (int, float)) and d["stopped_ms"] < 1000' "abba stopped_ms $2 $3"
}
dl_case abba 3
td_finish
