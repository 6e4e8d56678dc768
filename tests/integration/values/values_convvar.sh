#!/bin/bash
# A never-assigned convenience variable is void, as in gdb: `print` numbers it ($N = void) like any
# other value, whatis/ptype say void, and arithmetic on it is a one-line error.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/values/values_lib.sh"
td_start values_O0
A=(attach "$TD_PID")
cat >"$TD_TMP/convvar.tsv" <<'TSV'
print $undefined	\$1 = void
print $	\$2 = void
print (void)0	\$3 = void
print 7	\$4 = 7
print $undefined	\$5 = void
whatis $undefined	type = void
ptype $undefined	type = void
print $undefined = 3	\$6 = 3
print $other	\$7 = void
TSV
run_table "convvar" "$TD_TMP/convvar.tsv" "${A[@]}"
td_cdbg out "${A[@]}" --json --batch -ex 'print $undefined'
expect_status 0 "json"
expect_line '^\{"expr":"\$undefined","type":"void","value":null\}$' "$out"
expect_cmd_error arith "^cdbg: invalid operands to '\\+' at column 12 \\(void and int\\)$" "${A[@]}" -ex 'print $undefined + 1'
check_untraced "$TD_PID"
td_finish
