# Shared by the deadlock integration tests (sourced after ../lib.sh).
#
# dl_case PROG EXPECTED_STATUS [ARGS...]: for PROG_O0 and PROG_O2, checks `cdbg deadlock` live and on
# a core, in text and in JSON: the exit status, then the script's own hooks
#   dl_text FILE MODE VARIANT   (MODE live|core) for the text report
#   dl_json_check FILE MODE VARIANT   for the JSON document
# and, live, that the process runs on untraced afterwards.

# dl_py FILE EXPR WHAT: EXPR (python, the document is `d`) must be true.
dl_py() {
    local file=$1 expr=$2 what=$3
    if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ('"$expr"') else 1)' "$file" 2>"$file.pyerr"; then
        pass "$what"
    else
        fail "$what: JSON check failed: $expr"
        head -c 2000 "$file" >&2
        cat "$file.pyerr" >&2
    fi
}

dl_one() {
    local mode=$1 v=$2 rc=$3 out js
    shift 3
    td_cdbg out deadlock "$@"
    expect_status "$rc" "deadlock $mode $v (text)"
    [ "$TD_RC" -eq "$rc" ] || td_show "$out"
    dl_text "$out" "$mode" "$v"
    td_cdbg js deadlock "$@" --json
    expect_status "$rc" "deadlock $mode $v (json)"
    # exactly one JSON document on stdout
    dl_py "$js" 'isinstance(d, dict) and "deadlock" in d and "stopped_ms" in d' "one JSON document ($mode $v)"
    dl_json_check "$js" "$mode" "$v"
}

dl_case() {
    local prog=$1 rc=$2 v core
    shift 2
    for v in O0 O2; do
        td_start "${prog}_$v" "$@"
        dl_one live "$v" "$rc" "$TD_PID"
        check_untraced "$TD_PID"
        td_stop "$TD_PID"
        core=$(make_core_of "${prog}_$v" "$@") || { fail "no core of ${prog}_$v"; continue; }
        dl_one core "$v" "$rc" "$(td_bin "${prog}_$v")" "$core"
    done
}
