#!/bin/bash
# `display EXPR` is shown at every stop, `continue`'s and `stepout`'s, with the value at that stop;
# `display -d N` removes display N (and only it). The values are checked against the program's
# own printout: `session steps` prints "step I total T" before each call of step(I) and
# "after I total T" once it returned (check_displays.py says which display each stop must show).
# Text and JSON, at -O0 and -O2.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/session/session_lib.sh"

cmds=(-ex 'break step' -ex 'display i' -ex 'display/x total' -ex 'display total'
    -ex continue -ex continue -ex stepout -ex 'display -d 1' -ex continue -ex 'display -d 3' -ex continue
    -ex 'display -d 2' -ex continue -ex continue)
for v in O0 O2; do
    for mode in text json; do
        if [ $mode = json ]; then
            td_cdbg out --json run "$(td_bin session_$v)" steps --batch "${cmds[@]}"
        else
            td_cdbg out run "$(td_bin session_$v)" steps --batch "${cmds[@]}"
        fi
        expect_status 0 "display session ($v, $mode)"
        if r=$(python3 "$SRCROOT/tests/integration/session/check_displays.py" $mode "$out" 2>&1); then
            pass "displays at every stop ($v, $mode): $r"
        else
            fail "displays ($v, $mode): $r"
            td_show "$out"
        fi
        # the program ran to its end after the last stop
        expect_line '^after 4 total 30$' "$out"
        expect_no_line . "$out.err"
    done
done

# display -d of a display that does not exist: one line, exit 1; one that does: deleted, in JSON
# a confirmation object (every command prints one)
td_cdbg out run "$(td_bin session_O0)" steps --batch -ex 'display total' -ex 'display -d 2'
expect_status 1 "display -d of a missing display"
expect_exact_str "$out.err" "cdbg: display -d: no display number 2"
td_cdbg out --json run "$(td_bin session_O0)" steps --batch -ex 'display total' -ex 'display/x total + 1' -ex display \
    -ex 'display -d 1' -ex display
expect_status 0 "display -d in JSON"
json_check "display, display -d and the list print one object each" "$out" '
d1 = {"display": 1, "expr": "total", "type": "int", "value": 0}
d2 = {"display": 2, "expr": "total + 1", "type": "int", "value": "0x1"}
assert L[1:] == [d1, d2, {"command": "display", "displays": [d1, d2]}, {"command": "display", "deleted": 1},
                 {"command": "display", "displays": [d2]}], L[1:]'
td_finish
