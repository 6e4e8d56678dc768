#!/bin/bash
# --json: one object per command, exact 64-bit integers, strings, enums, pointers as hex.
. "$SRCROOT/tests/integration/lib.sh"
td_start values_O0
td_cdbg out --json attach "$TD_PID" --batch -ex 'print g_int' -ex 'print g_ulong' -ex 'print g_llong' \
    -ex 'print g_char' -ex 'print g_bool' -ex 'print g_double' -ex 'print g_i128' -ex 'print g_null' \
    -ex 'print g_buf' -ex 'print g_latin' -ex 'print g_matrix' -ex 'print g_anon' -ex 'print g_color' \
    -ex 'print g_flags' -ex 'print g_badcolor' -ex 'print g_ptr' -ex 'print g_bits' -ex 'frame 2' -ex 'args' \
    -ex 'whatis g_pts' -ex 'x/3dw g_arr'
expect_status 0 "json"
expect_line '^\{"expr":"g_int","type":"int","value":-42\}$' "$out"
expect_line '^\{"expr":"g_ulong","type":"long unsigned int","value":18446744073709551615\}$' "$out"
expect_line '^\{"expr":"g_llong","type":"long long int","value":-9223372036854775808\}$' "$out"
expect_line '^\{"expr":"g_char","type":"char","value":65\}$' "$out"
expect_line '^\{"expr":"g_bool","type":"_Bool","value":true\}$' "$out"
expect_line '^\{"expr":"g_double","type":"double","value":3.14\}$' "$out"
expect_line '^\{"expr":"g_i128","type":"__int128","value":"1267650600228229401496703205383"\}$' "$out"
expect_line '^\{"expr":"g_null","type":"int \*","value":"0x0"\}$' "$out"
expect_line '^\{"expr":"g_buf","type":"char \[16\]","value":"hi"\}$' "$out"
expect_line '^\{"expr":"g_latin","type":"char \[4\]","value":"aéz"\}$' "$out"
expect_line '^\{"expr":"g_matrix","type":"int \[2\]\[3\]","value":\[\[1,2,3\],\[4,5,6\]\]\}$' "$out"
expect_line '^\{"expr":"g_anon","type":"struct anon","value":\{"tag":1,"ival":77,"fval":1.08e-43,"lo":-2,"hi":9\}\}$' "$out"
expect_line '^\{"expr":"g_color","type":"enum color","value":"GREEN"\}$' "$out"
expect_line '^\{"expr":"g_flags","type":"enum flags","value":5\}$' "$out"
expect_line '^\{"expr":"g_badcolor","type":"enum color","value":17\}$' "$out"
expect_line '^\{"expr":"g_ptr","type":"int \*","value":"0x[0-9a-f]+"\}$' "$out"
expect_line '^\{"expr":"g_bits","type":"struct bits","value":\{"u3":5,"s4":-3,"b":true,"rest":1000\}\}$' "$out"
expect_line '^\{"frame":2,"args":\[\{"name":"a","type":"int","value":2\},\{"name":"d","type":"double","value":2.75\},\{"name":"p","type":"struct point","value":\{"x":10,"y":20\}\}\]\}$' "$out"
expect_line '^\{"expr":"g_pts","type":"struct point \[3\]"\}$' "$out"
expect_line '^\{"address":"0x[0-9a-f]+","format":"d","unit":4,"values":\[1,2,3\]\}$' "$out"
# every stdout line is one JSON object
if python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$out"; then pass "valid JSON"; else fail "invalid JSON"; fi
# print/x of a 128-bit integer is its whole value, not the low 64 bits
td_cdbg out --json attach "$TD_PID" --batch -ex 'print/x g_i128' -ex 'print/x g_int' -ex 'print 1.5e3'
expect_status 0 "json /x"
expect_line '^\{"expr":"g_i128","type":"__int128","value":"0x10000000000000000000000007"\}$' "$out"
expect_line '^\{"expr":"g_int","type":"int","value":"0xffffffd6"\}$' "$out"
expect_line '^\{"expr":"1.5e3","type":"double","value":1500\}$' "$out"
# errors: {"expr": E, "error": MSG}
td_cdbg out --json attach "$TD_PID" --batch -ex 'print g_pt.nope'
expect_status 1 "json error"
expect_line '^\{"expr":"g_pt.nope","error":"no member named nope in struct point"\}$' "$out"
td_finish
