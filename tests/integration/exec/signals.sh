#!/bin/bash
# The signal policy's defaults, as gdb's: SIGALRM is passed to the program without a stop (its
# handler runs), SIGUSR1 stops it and is delivered at the next continue, SIGINT stops it and is
# never delivered (the program, which has no handler for it, lives on). Text and JSON.
. "$SRCROOT/tests/integration/lib.sh"

exe=$(td_bin sigs_O0)
td_cdbg out run "$exe" --batch -ex continue -ex continue -ex continue
expect_status 0 "three continues"
grep -E '^(Thread tid [0-9]+ received signal|Process [0-9]+|signals )' "$out" | sed -E 's/tid [0-9]+/tid T/; s/Process [0-9]+/Process P/' > "$TD_TMP/got"
expect_exact_str "$TD_TMP/got" 'Thread tid T received signal SIGUSR1, User defined signal 1.
Thread tid T received signal SIGINT, Interrupt.
signals alarm=1 usr1=1
Process P exited with status 0'
td_cdbg out --json run "$exe" --batch -ex continue -ex continue
expect_line '^\{"command":"continue","event":"signal","tid":[0-9]+,"signal":"USR1","siginfo":\{"number":10,"name":"SIGUSR1",.*\},"frame":' "$out"
expect_line '^\{"command":"continue","event":"signal","tid":[0-9]+,"signal":"INT","siginfo":\{"number":2,"name":"SIGINT",.*\},"frame":' "$out"
td_finish
