#!/bin/bash
# A watchpoint on a local goes with its frame: when the frame returns (a continue, a next off the
# end of the function, a finish) the watchpoint is deleted, with gdb's message, and the program
# stops there in the caller; a deeper call of the same function returning does not count. Listed
# with the function and thread it belongs to; JSON: "scope", "left_scope".
. "$SRCROOT/tests/integration/lib.sh"
# Thread creation and exit notes ("[New thread tid N]") come whenever the kernel reports them, also
# between the lines of a stop: they are not what this test is about
# (the process's own exit is a line of its own, kept).
cdbg_quiet() {
    td_cdbg "$@"
    sed -i -E '/^\[(New thread|Thread) tid [0-9]+( exited)?\]$/d' "${!1}"
}
src=$SRCROOT/testdata/watch/watch.c
line() { grep -n "@$1 " "$src" | head -1 | cut -d: -f1; }
msg='^Watchpoint 2 deleted because the program has left the block in which its expression is valid\.$'

for v in O0 O2; do
    exe=$(td_bin "watch_$v")
    cdbg_quiet out run "$exe" --batch -ex 'tbreak bump' -ex continue -ex up -ex 'watch local' -ex breakpoints \
        -ex continue -ex continue -ex continue -ex continue -ex breakpoints -ex continue
    expect_status 0 "watch local, continue ($v)"
    expect_lines "$out" '^Hardware watchpoint 2: local, hit 0 times$' \
        '^    4 bytes at 0x[0-9a-f]{16} \(debug register 0\), a local of scoped in thread tid [0-9]+$'
    expect_lines "$out" '^Hardware watchpoint 2: local, thread tid [0-9]+$' '^Old value = 10$' '^New value = 15$' \
        "^#0  0x[0-9a-f]+ in bump at watch\\.c:$(($(line bump) + 1))\$"
    expect_lines "$out" "$msg" "^#0  0x[0-9a-f]+ in main at watch\\.c:$(($(line call_scoped) + $([ $v = O0 ] && echo 0 || echo 1)))\$"
    # gone from the list, and its debug register free again
    expect_lines "$out" "$msg" '.*' '.*' '^No breakpoints\.$'
    expect_line '^watch done 10 4 109 63$' "$out"
done

exe=$(td_bin watch_O0)
# next off the end of the function, and finish
cdbg_quiet out run "$exe" --batch -ex "break watch.c:$(line scoped_ret)" -ex continue -ex 'watch local' -ex next -ex next \
    -ex 'watch counter' -ex breakpoints
expect_status 0 "watch local, next"
expect_lines "$out" "^=> $(($(line scoped_ret) + 1)) " "$msg" "^#0  0x[0-9a-f]+ in main at watch\\.c:$(line call_scoped)\$"
expect_line '^Hardware watchpoint 3: counter$' "$out"
expect_line '^    4 bytes at 0x[0-9a-f]{16} \(debug register 0\)$' "$out"
cdbg_quiet out run "$exe" --batch -ex "break watch.c:$(line scoped_ret)" -ex continue -ex 'watch local' -ex finish
expect_status 0 "watch local, finish"
expect_lines "$out" '^Run till exit from #0 scoped$' "$msg" "^#0  0x[0-9a-f]+ in main at watch\\.c:$(line call_scoped)\$"
expect_line '^Value returned: \$1 = 15$' "$out"
expect_no_line '^Breakpoint -' "$out"

# JSON
cdbg_quiet out --json run "$exe" --batch -ex 'tbreak bump' -ex continue -ex up -ex 'watch local' \
    -ex continue -ex continue -ex continue -ex continue
expect_line '^\{"command":"watch","id":2,"kind":"write","expr":"local","address":"0x[0-9a-f]+","size":4,"debug_registers":\[0\],"scope":\{"function":"scoped","tid":[0-9]+\},"condition":null\}$' "$out"
expect_line '^\{"command":"continue","event":"watchpoint","tid":[0-9]+,"watchpoints":\[\{"id":2,"kind":"write","expr":"local","left_scope":true\}\],"frame":\{"level":0,.*"function":"main"' "$out"
cdbg_quiet out --json run "$exe" --batch -ex "break watch.c:$(line scoped_ret)" -ex continue -ex 'watch local' -ex finish
expect_line '^\{"command":"stepout","event":"returned","function":"scoped",.*"watchpoints":\[\{"id":2,"kind":"write","expr":"local","left_scope":true\}\],"return":\{"type":"int","value":15\}\}$' "$out"

# recursion: rec(0) returning to the address where the watched rec(1) returns to rec(2) is a
# deeper frame (a lower stack pointer): the watchpoint stays until rec(1) itself returns
for v in O0 O2; do
    cdbg_quiet out run "$(td_bin "watch_$v")" --batch -ex 'break rec if n == 1' -ex continue -ex 'watch mine' -ex 'delete 1' \
        -ex continue -ex continue -ex continue -ex continue
    expect_status 0 "a local of a recursive function ($v)"
    expect_lines "$out" '^Hardware watchpoint 2: mine, thread tid [0-9]+$' '^Old value = 10$' '^New value = 11$' \
        "^#0  0x[0-9a-f]+ in rec at watch\\.c:$(line rec_ret)\$"
    expect_lines "$out" "$msg" "^#0  0x[0-9a-f]+ in rec at watch\\.c:$(line rec_add)\$"
    expect_line '^watch done 10 4 109 63$' "$out"
done
td_finish
