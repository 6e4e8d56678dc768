#!/bin/bash
# Checks run.sh itself: every outcome it can report, on the self-test breaks in selftest/.
#
#   bash tests/mutation/selftest.sh
#
# It copies this tree (with its uncommitted changes) into a git repository of its own, makes
# spine_demo fail there without committing it (so run.sh must copy uncommitted changes to see it),
# and runs that copy's run.sh on the self-test breaks in an order where a bad revert shows: a break
# that does not build, one caught, then a no-op that must be MISSED (it would be CAUGHT if the
# previous break stayed applied). It then checks each line, the summary, the exit status, that
# run.sh left no temporary directory behind and that neither tree was changed. Exit 0 when run.sh
# behaved; one build and a few quick tests.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(git -C "$HERE" rev-parse --show-toplevel) || exit 2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cdbg-mutation-selftest.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

FAILS=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

state() { git -C "$1" status --porcelain; git -C "$1" diff HEAD | md5sum; }
src_before=$(state "$SRC")

COPY=$WORK/tree
mkdir -p "$COPY" "$WORK/tmp"
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' p; do [ -e "$p" ] || [ -L "$p" ] && printf '%s\0' "$p"; done \
    | tar --null -T - -cf -) | tar -C "$COPY" -xf - || exit 2
git -C "$COPY" init -q && git -C "$COPY" add -A &&
    git -C "$COPY" -c user.name=selftest -c user.email=selftest@localhost commit -q -m base || exit 2
sed -i '2i echo "failing on purpose (mutation self-test)" >&2; exit 1' "$COPY/tests/integration/spine/demo.sh"
copy_before=$(state "$COPY")

S=$COPY/tests/mutation/selftest
TMPDIR=$WORK/tmp bash "$COPY/tests/mutation/run.sh" "$S/nobuild.diff" "$S/caught.diff" "$S/noop.diff" \
    "$S/stale.diff" "$S/notest.diff" "$S/fails-unbroken.diff" >"$WORK/out" 2>"$WORK/err"
rc=$?
cat "$WORK/out"

[ "$rc" = 1 ] && ok "exit status 1" || bad "exit status $rc, expected 1 (stderr: $(tail -n 3 "$WORK/err"))"
expect() {
    grep -qE "$1" "$WORK/out" && ok "$2" || bad "$2: no line matching /$1/"
}
expect '^NOBUILD +nobuild +.*error:' "a break that does not compile is NOBUILD"
expect '^CAUGHT +caught +by spine_docs \(FAIL\)$' "a break its test sees is CAUGHT"
expect '^MISSED +noop ' "a no-op break is MISSED (so the previous break was reverted and rebuilt)"
expect '^STALE +stale +does not apply' "a break that does not apply is STALE"
expect '^INVALID +notest +no test named no_such_test$' "a break naming a missing test is INVALID"
expect '^INVALID +fails-unbroken +spine_demo is FAIL without the break$' \
    "a break whose test fails unbroken is INVALID (uncommitted changes were copied)"
expect '^1 caught, 1 missed, 2 invalid, 1 stale, 1 not building$' "the summary"
[ "$(grep -cE '^(CAUGHT|MISSED|INVALID|STALE|NOBUILD) ' "$WORK/out")" = 6 ] && ok "one line per break" \
    || bad "not one line per break"
[ -z "$(ls -A "$WORK/tmp")" ] && ok "no temporary directory left" || bad "left behind: $(ls "$WORK/tmp")"
[ "$(state "$COPY")" = "$copy_before" ] && ok "the tree run.sh ran from is unchanged" || bad "run.sh changed $COPY"
[ "$(state "$SRC")" = "$src_before" ] && ok "$SRC is unchanged" || bad "$SRC changed while the self-test ran"

# A usage error: an unknown break fails at once, before anything is copied or built.
TMPDIR=$WORK/tmp bash "$COPY/tests/mutation/run.sh" no-such-break >/dev/null 2>"$WORK/err"
rc=$?
[ "$rc" = 2 ] && grep -q 'no break no-such-break' "$WORK/err" && ok "an unknown break is a usage error" \
    || bad "unknown break: exit $rc, $(cat "$WORK/err")"

if [ "$FAILS" -eq 0 ]; then
    echo "selftest: run.sh behaves"
else
    echo "selftest: $FAILS checks failed"
    exit 1
fi
