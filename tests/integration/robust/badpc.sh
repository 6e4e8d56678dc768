#!/bin/bash
# A frame whose pc is in no module (a smashed return address) is shown as such: "in ?? (not a
# canonical address)" or "(not in any mapping)", never attributed to a module ("?? from
# ld-linux-x86-64.so.2"); JSON gives it no function and no module. Live and on a core.
. "$SRCROOT/tests/integration/lib.sh"

# check_bt WHAT FILE PC NOTE: smash's caller is the frame with the smashed pc (the thread may still
# be returning from writing "ready" when it is looked at: frames are found by content, not number)
check_bt() {
    local caller
    caller=$(grep -A1 -E '^#[0-9]+ +0x[0-9a-f]+ in smash at badpc\.c:[0-9]+$' "$2" | sed -n 2p)
    if [[ $caller =~ ^\#[0-9]+\ +$3\ in\ \?\?\ \($4\)$ ]]; then
        pass "$1: smashed frame"
    else
        fail "$1: the frame after smash is '$caller', want '... $3 in ?? ($4)'"
        td_show "$2"
    fi
    expect_no_line "$3 .* from " "$2"
}

# 0x4141...: not canonical; 0x7ffffffff800: canonical, but in the top page, which Linux never maps
for pc in 0x4141414141414141 0x7ffffffff800; do
    note="not a canonical address"
    [ "$pc" = 0x7ffffffff800 ] && note="not in any mapping"
    td_start badpc "$pc"
    td_cdbg out attach "$TD_PID" --batch -ex bt
    expect_status 0 "bt $pc"
    check_bt "live $pc" "$out" "$(printf '0x%016x' "$pc")" "$note"
    td_cdbg out attach "$TD_PID" --batch --json -ex bt
    expect_status 0 "bt --json $pc"
    expect_line "\\{\"level\":[0-9]+,\"pc\":\"$pc\",\"function\":null,\"file\":null,\"line\":null,\"module\":null," "$out"
    check_untraced "$TD_PID"
    td_stop "$TD_PID"
done

require_cores
core=$(make_core_of badpc) || exit 1
td_cdbg out core "$(td_bin badpc)" "$core" --batch -ex bt
expect_status 0 "core bt"
check_bt "core" "$out" 0x4141414141414141 "not a canonical address"
td_finish
