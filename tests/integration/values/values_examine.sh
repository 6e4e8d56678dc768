#!/bin/bash
# x as gdb does it: a bare `x` (and Enter at the prompt) reuses the last count, format and size and
# continues after the last unit shown; x/t zero-pads to the unit; x/s reads bytes (unit 1 in JSON,
# and the unit the next x uses); $_ is the last unit's address.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/values/values_lib.sh"
need_tool python3 "driving cdbg's prompt on a pty (Enter repeats x)"
td_start values_O0
A=(attach "$TD_PID")
H='0x[0-9a-f]+'
T=$'\t'
cat >"$TD_TMP/examine.tsv" <<TSV
x/2xw g_arr	$H <g_arr>:${T}0x00000001${T}0x00000002
x	$H <g_arr\+8>:${T}0x00000003${T}0x00000004
x/d	$H <g_arr\+16>:${T}5
x/3dw g_arr	$H <g_arr>:${T}1${T}2${T}3
print \$_	\\\$1 = \(int32_t \*\) $H <g_arr\+8>
x/2 &g_arr[3]	$H <g_arr\+12>:${T}4${T}5
x/d g_arr	$H <g_arr>:${T}1
x/4xb g_long_str	$H <g_long_str>:${T}0x78${T}0x78${T}0x78${T}0x78
x	$H <g_long_str\+4>:${T}0x78${T}0x78${T}0x78${T}0x78
x/2i outer_fn	$H <outer_fn>:${T}.*
+	$H <outer_fn\+[0-9]+>:${T}.*
x	$H <outer_fn\+[0-9]+>:${T}.*
+	$H <outer_fn\+[0-9]+>:${T}.*
x/3tb g_bytes	$H <g_bytes>:${T}11111111${T}10000000${T}01000001
x/2th g_arr	$H <g_arr>:${T}0000000000000001${T}0000000000000000
x/tw g_bytes	$H <g_bytes>:${T}00000000010000011000000011111111
x/tg g_arr	$H <g_arr>:${T}0000000000000000000000000000001000000000000000000000000000000001
x/2ob g_bytes	$H <g_bytes>:${T}0377${T}0200
x/xg g_arr	$H <g_arr>:${T}0x0000000200000001
x/s g_str	$H:${T}"hello\\\\n\\\\"world\\\\""
x/x g_bytes	$H <g_bytes>:${T}0xff
x/a g_arr	$H <g_arr>:${T}0x200000001
x/x g_arr	$H <g_arr>:${T}0x0000000200000001
x/2c g_buf	$H <g_buf>:${T}104 'h'${T}105 'i'
x/x g_arr	$H <g_arr>:${T}0x01
TSV
run_table "examine" "$TD_TMP/examine.tsv" "${A[@]}"

# JSON: x/s reports unit 1 whatever the previous x read.
td_cdbg out "${A[@]}" --json --batch -ex 'x/2xg g_arr' -ex 'x/s g_str' -ex 'x/x g_arr' -ex 'x'
expect_status 0 "json x"
expect_line '^\{"address":"0x[0-9a-f]+","format":"x","unit":8,"values":\[8589934593,17179869187\]\}$' "$out"
expect_line '^\{"address":"0x[0-9a-f]+","format":"s","unit":1,"values":\[\{"address":"0x[0-9a-f]+","value":"hello\\n\\"world\\""\}\]\}$' "$out"
expect_line '^\{"address":"0x[0-9a-f]+","format":"x","unit":1,"values":\[1\]\}$' "$out"
expect_line '^\{"address":"0x[0-9a-f]+","format":"x","unit":1,"values":\[0\]\}$' "$out"
expect_cmd_error xsw '^cdbg: x/s: only byte strings are supported; use x/s or x/sb$' "${A[@]}" -ex 'x/sw g_str'

# Enter at the interactive prompt repeats a bare `x`: it continues, with the same count.
cat >"$TD_TMP/enter.py" <<'PY'
import os, pty, re, select, sys, termios, time
cdbg, pid = sys.argv[1], sys.argv[2]
child, fd = pty.fork()
if child == 0:
    os.execve(cdbg, [cdbg, "attach", pid], dict(os.environ, HOME=os.environ["TD_TMP"], TERM="xterm"))
buf = ""
def until_prompt(n):
    global buf
    end = time.time() + 30
    while buf.count("(cdbg) ") < n and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                d = os.read(fd, 65536)
            except OSError:
                break
            if not d:
                break
            buf += re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]", "", d.decode("utf-8", "replace")).replace("\r", "")
until_prompt(1)
def wait_raw():
    # libedit prints the prompt a moment before it puts the terminal in its own (non-canonical)
    # mode; keys typed in between would be read in cooked mode
    end = time.time() + 30
    while time.time() < end and termios.tcgetattr(fd)[3] & termios.ICANON:
        time.sleep(0.005)
for i, keys in enumerate([b"x/2xb g_long_str\r", b"\r", b"\r"]):
    wait_raw()
    os.write(fd, keys)
    until_prompt(i + 2)
os.write(fd, b"quit\r")
until_prompt(99)
os.waitpid(child, 0)
sys.stdout.write(buf)
PY
TD_TMP=$TD_TMP timeout -k 5 60 python3 "$TD_TMP/enter.py" "$CDBG" "$TD_PID" >"$TD_TMP/enter.out" 2>&1
expect_line "^$H <g_long_str>:${T}0x78${T}0x78\$" "$TD_TMP/enter.out"
expect_line "^$H <g_long_str\\+2>:${T}0x78${T}0x78\$" "$TD_TMP/enter.out"
expect_line "^$H <g_long_str\\+4>:${T}0x78${T}0x78\$" "$TD_TMP/enter.out"
check_untraced "$TD_PID"
td_finish
