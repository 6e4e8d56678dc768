#!/bin/bash
# A struct passed by value on the stack is read from the hit's stack copy, which covers the frame
# and the arguments above it: f_big's 708 bytes (more than the 512-byte default copy) show as
# they were at the call, though f_big overwrites them right after (b.last = -1) and then blocks
# until its line is seen. f_huge's 8 KB are beyond the copy's cap (CD_TRACE_MAX_STACK): the
# fields past it are an error, never the process's later bytes. Every backend, -O0 and -O2.
. "$SRCROOT/tests/integration/lib.sh"
seen() { grep -Eq -- "$1" "$2"; }

for v in O0 O2; do
    exe=$(td_bin "trace_bigarg_$v")
    for be in inline uprobe ptrace; do
        fifo=$TD_TMP/hold.$v.$be out=$TD_TMP/out.$v.$be
        mkfifo "$fifo"
        timeout -k 5 "$TD_CDBG_TIMEOUT" "$CDBG" trace --backend "$be" -e b.last -e h.last -e h.tag '^f_(big|huge)$' \
            -- "$exe" "$fifo" >"$out" 2>"$out.err" </dev/null &
        cpid=$!
        # each blocked call is released once its line is out (its argument is overwritten by then)
        td_wait_for "f_big(tag 4)'s line ($v/$be)" seen '^> f_big\(b=\{tag = 4,' "$out" &&
            timeout 60 sh -c 'echo >"$1"' sh "$fifo"
        td_wait_for "f_huge(tag 2)'s line ($v/$be)" seen '^> f_huge\(h=\{tag = 2,' "$out" &&
            timeout 60 sh -c 'echo >"$1"' sh "$fifo"
        wait "$cpid"
        TD_RC=$?
        expect_status 0 "$v/$be"
        expect_line '^s=11026$' "$out"
        for i in 0 1 2 3 4; do
            expect_line "^> f_big\(b=\{tag = $i, pad = '\\\\000' <repeats 699 times>, last = 100$i\}\) bigarg.c:[0-9]+ b.last=100$i h.last=<error: no symbol \"h\" in the current context> h.tag=<error: no symbol \"h\" in the current context> \[tid [0-9]+\]$" "$out" ||
                break
        done
        for i in 0 1 2; do
            expect_line "^> f_huge\(h=\{tag = $i, pad = <error: [^>]*>, last = <error: cannot access memory at 0x[0-9a-f]+>\}\) bigarg.c:[0-9]+ b.last=<error: no symbol \"b\" in the current context> h.last=<error: cannot access memory at 0x[0-9a-f]+> h.tag=$i \[tid [0-9]+\]$" "$out" ||
                break
        done
        expect_no_line '=-1\b' "$out"
    done
done
td_finish
