#!/bin/bash
# A core of the values program (SIGABRT after "ready", once both threads are in pause()) shows the
# same values as the live process.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/values/values_lib.sh"
T=$SRCROOT/tests/integration/values
require_cores

for v in O0 O2; do
    core=$(values_core_paused "values_$v") || exit 1
    exe=$(td_bin "values_$v")
    run_table "core globals $v" "$T/globals.tsv" core "$exe" "$core"
    run_table "core frames $v" "$T/frames_$v.tsv" core "$exe" "$core"
    expect_cmd_error "set var on core $v" '^cdbg: set var: a core file is read-only' core "$exe" "$core" -ex 'set var g_int = 1'
    # convenience variables need no target memory, so they work on a core
    td_cdbg out core "$exe" "$core" --batch -ex 'set var $k = 6' -ex 'print $k * g_int'
    expect_status 0 "convenience on core $v"
    expect_line '^\$1 = -252$' "$out"
done
td_finish
