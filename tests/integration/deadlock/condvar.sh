#!/bin/bash
# A condition variable nobody can ever signal: the consumer keeps config_mu across its wait on q_cv,
# the only producer waits for config_mu, main joins the consumer (exit 3, every thread asleep).
# The look-alike: the producer signals after a timed sleep; an auditor waits for config_mu. Not
# proven (exit 0), with a warning naming the held lock and the thread that can still signal.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/deadlock/dl_lib.sh"
H='\(0x[0-9a-f]+\)'
dl_text() {
    local c p m
    c=$(dl_thread_re consumer "$2") && p=$(dl_thread_re producer "$2") && m=$(dl_thread_re "condvar_$3" "$2") || { fail "threads"; return 1; }
    expect_line '^DEADLOCK in process [0-9]+: 3 threads blocked forever \(of 3\)$' "$1"
    expect_line '^all threads are asleep - deadlock! \(no thread of process [0-9]+ can ever run again\)$' "$1"
    expect_lines "$1" '^condition variable no thread can signal:$' \
        "^  $c waits for condvar q_cv $H, having released mutex q_mu $H\$" \
        '^      in consumer at condvar\.c:[0-9]+$' \
        "^    it holds mutex config_mu $H, which $p waits for\$" \
        '^    no thread can ever signal q_cv: every other thread of the process is blocked forever$'
    dl_edge "$1" "$2" producer 'mutex config_mu' consumer '' '^      in producer at condvar\.c:[0-9]+$'
    expect_lines "$1" "^  $m waits for the exit of $c \\(pthread_join\\)\$" '^      in main at condvar\.c:[0-9]+$' \
        "^    \\(which leads to $c, waiting forever on condvar q_cv\\)\$"
    expect_no_line '^warning:' "$1"
    dl_stopped "$1" "$2" 3
}
dl_json_check() {
    local c p
    c=$(dl_tid consumer) && p=$(dl_tid producer) || { fail "threads"; return 1; }
    dl_py "$1" 'd["deadlock"] is True and d["all_asleep"] is True and d["warnings"] == [] and d["cycles"] == []' "proven, all asleep $2 $3"
    dl_py "$1" "[(f['tid'], f['symbol'], f['wait_kind'], f['released_mutex']['symbol'], [(h['symbol'], h['wanted_by']) for h in f['holds']]) for f in d['findings'] if f['kind'] == 'condvar-forever'] == [($c, 'q_cv', 'condvar', 'q_mu', [('config_mu', $p)])]" "condvar-forever finding $2 $3"
    dl_py "$1" "sorted(f['tid'] for f in d['findings'] if f['kind'] == 'blocked-on-deadlock') == sorted([$p, $(dl_tid "condvar_$3")])" "the chain to it $2 $3"
    dl_json_stopped "$1" "$2"
}
dl_case condvar 3

dl_text() {
    local c p a
    c=$(dl_thread_re consumer "$2") && p=$(dl_thread_re producer "$2") && a=$(dl_thread_re auditor "$2") || { fail "threads"; return 1; }
    expect_line '^no deadlock in process [0-9]+: 4 threads, 2 waiting for a lock or a thread, none blocked forever$' "$1"
    # live, the producer's sleep is named; a core knows it is in another system call
    local doing='in clock_nanosleep, a timed sleep'
    [ "$2" = core ] && doing='[^)]+'
    expect_line "^warning: $c waits on condvar q_cv while it holds mutex config_mu, which $a waits for; not proven a deadlock: $p \\($doing\\) could still signal it\$" "$1"
    expect_no_line '^all threads are asleep' "$1"
}
dl_json_check() {
    dl_py "$1" 'd["deadlock"] is False and d["all_asleep"] is False and d["findings"] == [] and len(d["warnings"]) == 1 and "could still signal" in d["warnings"][0]' "not proven, one warning $2 $3"
}
dl_case condvar 0 timed

# Objects that are not globals, named as the program's code names them: the consumer's local `m`
# (pthread_cond_wait's own parameter is `mutex`: never that), and members of a heap object through
# the consumer's pointer (`q->cv`, `q->mu`). gdb, in the consumer's frame, is the reference.
cvname_expect() {
    case $1 in
    local) CV=q_cv MU=m ;;
    heap) CV='q->cv' MU='q->mu' ;;
    esac
}
dl_text() {
    local c p m cvre mure
    c=$(dl_thread_re consumer "$2") && p=$(dl_thread_re producer "$2") && m=$(dl_thread_re "cvname_$3" "$2") || { fail "threads"; return 1; }
    cvre=${CV//./\\.} mure=${MU//./\\.}
    expect_line '^all threads are asleep - deadlock! \(no thread of process [0-9]+ can ever run again\)$' "$1"
    expect_lines "$1" '^condition variable no thread can signal:$' \
        "^  $c waits for condvar $cvre $H, having released mutex $mure $H\$" \
        '^      in consumer at cvname\.c:[0-9]+$' \
        "^    it holds mutex config_mu $H, which $p waits for\$"
    expect_no_line 'mutex mutex ' "$1"
}
dl_json_check() {
    local c p
    c=$(dl_tid consumer) && p=$(dl_tid producer) || { fail "threads"; return 1; }
    dl_py "$1" "[(f['tid'], f['symbol'], f['released_mutex']['symbol'], [(h['symbol'], h['wanted_by']) for h in f['holds']]) for f in d['findings'] if f['kind'] == 'condvar-forever'] == [($c, '$CV', '$MU', [('config_mu', $p)])]" "condvar-forever names $CV, $MU $2 $3"
    # gdb's answer, in the consumer's frame: the released mutex's and the condvar's addresses
    [ "$2" = live ] || return 0
    local g f
    f=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); f=[f for f in d["findings"] if f["kind"] == "condvar-forever"][0]; print(f["addr"], f["released_mutex"]["addr"])' "$1") || { fail "no finding"; return 1; }
    g=$(gdb_in_frame "$DL_PID" "$c" consumer "printf \"%#lx %#lx\\n\", (unsigned long)&$CV, (unsigned long)&$MU")
    [ "$g" = "$f" ] && pass "gdb: &$CV &$MU are $f ($3)" || fail "gdb says &$CV &$MU are '$g', cdbg '$f' ($3)"
}
need_tool gdb "the reference addresses of the named objects"
need_tool clang "the clang -O2 build of cvname.c"
for mode in local heap; do
    cvname_expect "$mode"
    DL_VARIANTS="O0 O2 clang_O2" dl_case cvname 3 "$mode"
done
td_finish
