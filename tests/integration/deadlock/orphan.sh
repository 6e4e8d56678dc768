#!/bin/bash
# A mutex owned by a thread that exited: orphaned lock, and a thread blocked behind its victim.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
dl_text() {
    expect_line '^orphaned lock:$' "$1"
    # state_mu's owner (the thread that exited) is none of the threads still there
    expect_lines "$1" "^  $(dl_thread_re victim "$2") waits for mutex state_mu \\(0x[0-9a-f]+\\), held by thread [0-9]+, which has exited\$" '^      in victim at orphan\.c:[0-9]+$'
    local gone
    gone=$(sed -nE 's/.* waits for mutex state_mu \(0x[0-9a-f]+\), held by thread ([0-9]+), which has exited$/\1/p' "$1")
    if [ -n "$gone" ] && ! awk -v t="$gone" '$1 == t { found = 1 } END { exit !found }' "$DL_TASKS"; then
        pass "the exited owner $gone is not a live thread"
    else
        fail "the owner of state_mu ('$gone') is a thread that still exists: $(tr '\n' ' ' <"$DL_TASKS")"
    fi
    expect_line '^blocked on the deadlock:$' "$1"
    dl_edge "$1" "$2" bystander 'mutex queue_mu' victim '' '^      in bystander at orphan\.c:[0-9]+$'
    dl_stopped "$1" "$2" 2
}
dl_json_check() {
    dl_py "$1" 'sorted(f["kind"] for f in d["findings"]) == ["blocked-on-deadlock", "orphaned-lock"]' "findings $2 $3"
    dl_py "$1" '[f for f in d["findings"] if f["kind"] == "orphaned-lock"][0]["symbol"] == "state_mu"' "orphan name $2 $3"
    dl_json_edge "$1" "$2" bystander queue_mu victim
    dl_json_stopped "$1" "$2"
    dl_py "$1" '[(f["tid"], f["owner_tid"] in ['"$(cut -d' ' -f1 "$DL_TASKS" | paste -sd,)"']) for f in d["findings"] if f["kind"] == "orphaned-lock"] == [('"$(dl_tid victim)"', False)]' "orphan finding: victim, an owner that is gone $2 $3"
}
dl_case orphan 3
td_finish
