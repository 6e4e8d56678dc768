#!/bin/bash
# Fuzzes the expression parser/evaluator with libFuzzer for SECONDS (default 60); exits non-zero on
# a crash, a sanitizer report or a leak. Needs clang (apt-get install clang).
set -u
SRCROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${1:-60}
OUT=${TMPDIR:-/tmp}/cdbg-fuzz-expr
mkdir -p "$OUT/corpus"
srcs=$(ls "$SRCROOT"/src/expr/*.c "$SRCROOT"/src/util/util.c "$SRCROOT"/src/output/output.c)
# The fuzzer needs only the target-less part of the library: stub the few session/symbol
# functions the expression layer references.
cat >"$OUT/stubs.c" <<'C'
#include "commands/commands.h"
void cd_session_init(cd_session *s, bool json) { memset(s, 0, sizeof *s); s->out.json = json; }
void cd_session_fini(cd_session *s) { (void)s; }
cd_thread *cd_session_thread(cd_session *s) { (void)s; return NULL; }
const cd_stack *cd_session_stack(cd_session *s, cd_err *e) { (void)s; (void)e; return NULL; }
Dwfl *cd_symtab_dwfl(cd_symtab *s) { (void)s; return NULL; }
bool cd_symtab_addr_symbol(cd_symtab *s, uint64_t a, const char **n, uint64_t *o) { (void)s; (void)a; (void)n; (void)o; return false; }
int cd_target_read_full(cd_target *t, uint64_t a, void *b, size_t n) { (void)t; (void)a; (void)b; (void)n; return -1; }
C
for w in '1+2*3' '(unsigned long)-1 >> 3' 'sizeof(int[3][4])' '"ab\x41" "c"[1]' '$1 + $$2' \
         "'\\n' ? 1.5e3f : ~0u" '(struct s *)0->a[2].b' '(int (*)(int))0' 'x += y <<= 2, z'; do
    printf '%s' "$w" >"$OUT/corpus/$(printf '%s' "$w" | md5sum | cut -c1-8)"
done
sed -i '1i #include <string.h>' "$OUT/stubs.c"
clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$SRCROOT/src" -I/usr/include/json-c "$SRCROOT/tests/fuzz_expr.c" "$OUT/stubs.c" $srcs \
    "$SRCROOT/src/commands/cmd_values.c" -ldw -lelf -ljson-c -lcapstone -o "$OUT/fuzz_expr" || exit 1
"$OUT/fuzz_expr" -max_total_time="$SECS" -max_len=256 -timeout=10 "$OUT/corpus" 2>"$OUT/log"
rc=$?
tail -n 5 "$OUT/log"
[ $rc -eq 0 ] && echo "fuzz_expr: ${SECS}s, no crashes" || echo "fuzz_expr: FAILED (see $OUT/log)"
exit $rc
