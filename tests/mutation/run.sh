#!/bin/bash
# Mutation check: does the test suite fail when the code is broken on purpose?
#
#   bash tests/mutation/run.sh [--asan] [--keep] [BREAK...]
#
# BREAK is a name from tests/mutation/breaks (with or without .diff) or a path to a break file;
# without any, every tests/mutation/breaks/*.diff. A break file starts with two header lines,
#     Description: ONE LINE
#     Tests: MESON_TEST_NAME [MESON_TEST_NAME...]
# followed by a unified diff as `git diff` prints it (applied with `git apply` at the tree root).
#
# The tree the script belongs to (HEAD plus uncommitted and untracked, non-ignored files) is copied
# once to a temporary directory, configured and built once there (--asan: -Dsanitize=true); the tree
# itself is never written. The tests named by the selected breaks first run once unbroken. Then each
# break is applied, rebuilt incrementally, its tests run, and it is reverted. One line per break:
#     CAUGHT   a named test failed (or timed out) with the break applied
#     MISSED   every named test passed with the break applied
#     INVALID  a named test does not exist, or fails or skips on the unbroken tree (proves nothing)
#     STALE    the diff no longer applies to the tree
#     NOBUILD  the tree does not build with the break applied (the break itself is wrong)
# and last `N caught, M missed` (plus the other outcomes when there are any).
# Exit status: 0 when every break was caught, 1 when any was not, 2 on a usage or setup error.
# --keep leaves the temporary directory (its path is printed) to look at the test logs.
set -uo pipefail

usage() {
    sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

die() {
    echo "mutation: $*" >&2
    exit 2
}

ASAN=
KEEP=
ARGS=()
while [ $# -gt 0 ]; do
    case $1 in
        --asan) ASAN=1 ;;
        --keep) KEEP=1 ;;
        -h|--help) usage; exit 0 ;;
        --) shift; ARGS+=("$@"); break ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) ARGS+=("$1") ;;
    esac
    shift
done

for tool in git meson ninja python3; do
    command -v "$tool" >/dev/null || die "$tool is not installed; it is needed to copy, build and test the tree"
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || die "cannot find the script's directory"
SRC=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null) || die "$HERE is not inside a git checkout"
BREAKS_DIR=$SRC/tests/mutation/breaks

# Resolve the breaks to absolute paths before anything is copied, so a typo fails at once.
BREAK_FILES=()
if [ ${#ARGS[@]} -eq 0 ]; then
    shopt -s nullglob
    BREAK_FILES=("$BREAKS_DIR"/*.diff)
    shopt -u nullglob
    [ ${#BREAK_FILES[@]} -gt 0 ] || die "no breaks in $BREAKS_DIR"
else
    for a in "${ARGS[@]}"; do
        if [ -f "$a" ]; then
            BREAK_FILES+=("$(cd "$(dirname "$a")" && pwd)/$(basename "$a")")
        elif [ -f "$BREAKS_DIR/$a" ]; then
            BREAK_FILES+=("$BREAKS_DIR/$a")
        elif [ -f "$BREAKS_DIR/$a.diff" ]; then
            BREAK_FILES+=("$BREAKS_DIR/$a.diff")
        else
            die "no break $a (neither a file nor $BREAKS_DIR/$a.diff)"
        fi
    done
fi

# break_name FILE, break_header FILE FIELD: the header lines come before the diff starts.
break_name() {
    local b
    b=$(basename "$1")
    echo "${b%.diff}"
}
break_header() {
    sed -n "/^diff --git /q; /^--- /q; s/^$2:[[:space:]]*//p" "$1" | head -n 1
}

declare -A DESC TESTS
ALL_TESTS=()
for f in "${BREAK_FILES[@]}"; do
    n=$(break_name "$f")
    [ -z "${DESC[$n]+x}" ] || die "two breaks are named $n"
    DESC[$n]=$(break_header "$f" Description)
    TESTS[$n]=$(break_header "$f" Tests)
    [ -n "${DESC[$n]}" ] || die "$f: no 'Description: ...' header line before the diff"
    [ -n "${TESTS[$n]// /}" ] || die "$f: no 'Tests: NAME...' header line before the diff"
    for t in ${TESTS[$n]}; do
        case " ${ALL_TESTS[*]} " in *" $t "*) ;; *) ALL_TESTS+=("$t") ;; esac
    done
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cdbg-mutation.XXXXXX") || die "cannot create a temporary directory"
cleanup() {
    if [ -n "$KEEP" ]; then
        echo "mutation: kept $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

TREE=$WORK/src
BUILD=$WORK/build
LOGS=$WORK/logs
mkdir -p "$TREE" "$LOGS"

# The copy: every tracked file as it is in the working tree (so uncommitted changes come along)
# plus untracked files that are not ignored (a new break or test not added yet); build dirs are
# ignored by .gitignore. Tracked files deleted in the working tree stay deleted.
echo "mutation: copying $SRC to $TREE" >&2
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' p; do [ -e "$p" ] || [ -L "$p" ] && printf '%s\0' "$p"; done \
    | tar --null -T - -cf -) | tar -C "$TREE" -xf - || die "copying the tree failed"
# A git repository of its own, so breaks apply at its root and revert to exactly this state.
git -C "$TREE" init -q && git -C "$TREE" add -A &&
    git -C "$TREE" -c user.name=mutation -c user.email=mutation@localhost commit -q -m base \
    || die "cannot make a git repository of the copy"

SETUP_ARGS=(-Dsanitize=false)
TEST_ARGS=()
if [ -n "$ASAN" ]; then
    SETUP_ARGS=(-Dsanitize=true)
    # As .ci/run: ASan is slower.
    TEST_ARGS=(--timeout-multiplier 3)
fi
echo "mutation: configuring and building $BUILD (${SETUP_ARGS[*]})" >&2
nice meson setup "$BUILD" "$TREE" "${SETUP_ARGS[@]}" >"$LOGS/setup.log" 2>&1 \
    || { tail -n 20 "$LOGS/setup.log" >&2; die "meson setup failed on the unbroken tree (log above)"; }
nice ninja -C "$BUILD" >"$LOGS/build-base.log" 2>&1 \
    || { tail -n 30 "$LOGS/build-base.log" >&2; die "the unbroken tree does not build (log above)"; }

# results LOGBASE: "NAME RESULT" per test of a meson test run (meson names them "project:suite / name").
results() {
    python3 - "$BUILD/meson-logs/$1.json" <<'PY'
import json, sys
try:
    f = open(sys.argv[1])
except OSError:
    sys.exit(0)
for line in f:
    line = line.strip()
    if line:
        d = json.loads(line)
        print(d["name"].rsplit(" / ", 1)[-1], d.get("result", "ERROR"))
PY
}

# run_tests LOGBASE TEST...: prints "NAME RESULT" for each test. meson's own exit status is not
# used: which test failed comes from its log.
run_tests() {
    local base=$1
    shift
    rm -f "$BUILD/meson-logs/$base.json"
    nice meson test -C "$BUILD" --no-rebuild --logbase "$base" "${TEST_ARGS[@]}" "$@" \
        >"$LOGS/$base.out" 2>&1
    results "$base"
}

# Tests that exist, so a header naming a missing (or misspelt) test is reported, not run.
declare -A EXISTS BASE
while read -r t; do
    EXISTS[${t##* / }]=1
done < <(meson test -C "$BUILD" --no-rebuild --list 2>/dev/null)

RUN=()
for t in "${ALL_TESTS[@]}"; do
    [ -n "${EXISTS[$t]:-}" ] && RUN+=("$t")
done
if [ ${#RUN[@]} -gt 0 ]; then
    echo "mutation: running ${#RUN[@]} tests on the unbroken tree" >&2
    while read -r t r; do
        BASE[$t]=$r
    done < <(run_tests base "${RUN[@]}")
fi

CAUGHT=0 MISSED=0 INVALID=0 STALE=0 NOBUILD=0
report() {
    printf '%-8s %-28s %s\n' "$1" "$2" "$3"
}

for f in "${BREAK_FILES[@]}"; do
    n=$(break_name "$f")
    why=
    for t in ${TESTS[$n]}; do
        if [ -z "${EXISTS[$t]:-}" ]; then
            why+="${why:+; }no test named $t"
        elif [ "${BASE[$t]:-}" != OK ]; then
            why+="${why:+; }$t is ${BASE[$t]:-not run} without the break"
        fi
    done
    if [ -n "$why" ]; then
        report INVALID "$n" "$why"
        INVALID=$((INVALID + 1))
        continue
    fi
    if ! git -C "$TREE" apply --whitespace=nowarn "$f" 2>"$LOGS/$n.apply"; then
        report STALE "$n" "does not apply: $(head -n 1 "$LOGS/$n.apply")"
        STALE=$((STALE + 1))
        continue
    fi
    if ! nice ninja -C "$BUILD" >"$LOGS/$n.build" 2>&1; then
        report NOBUILD "$n" "$(grep -m 1 'error:' "$LOGS/$n.build" || tail -n 1 "$LOGS/$n.build")"
        NOBUILD=$((NOBUILD + 1))
    else
        failed=
        declare -A GOT=()
        while read -r t r; do
            GOT[$t]=1
            case $r in
                OK|SKIP|EXPECTEDFAIL) ;;
                *) failed+="${failed:+, }$t ($r)" ;;
            esac
        done < <(run_tests "break-$n" ${TESTS[$n]})
        for t in ${TESTS[$n]}; do
            [ -n "${GOT[$t]:-}" ] || { tail -n 20 "$LOGS/break-$n.out" >&2; die "$n: meson test gave no result for $t (log above)"; }
        done
        unset GOT
        if [ -n "$failed" ]; then
            report CAUGHT "$n" "by $failed"
            CAUGHT=$((CAUGHT + 1))
        else
            report MISSED "$n" "${DESC[$n]} -- passed: ${TESTS[$n]}"
            MISSED=$((MISSED + 1))
        fi
    fi
    # Back to the unbroken tree; whatever the tests left in the copy goes too (the build dir is
    # outside it). ninja rebuilds the reverted files with the next break.
    git -C "$TREE" apply -R --whitespace=nowarn "$f" 2>/dev/null || git -C "$TREE" reset -q --hard
    git -C "$TREE" clean -q -fdx
    [ -z "$(git -C "$TREE" status --porcelain)" ] || die "cannot revert $n in $TREE"
done

line="$CAUGHT caught, $MISSED missed"
[ "$INVALID" -eq 0 ] || line+=", $INVALID invalid"
[ "$STALE" -eq 0 ] || line+=", $STALE stale"
[ "$NOBUILD" -eq 0 ] || line+=", $NOBUILD not building"
echo "$line"
[ "$CAUGHT" -eq ${#BREAK_FILES[@]} ] || exit 1
exit 0
