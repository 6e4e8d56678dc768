#!/bin/bash
# build.sh OUT POST CC [FLAGS...] -- SOURCES...: builds one toolchain variant of toolchain.c. CC
# may be a comma-separated list: the Nth source is compiled by the Nth compiler (the last one for
# the rest, and for linking), e.g. gcc,clang for a program whose second CU has no .debug_aranges.
# Every object is compiled in OUT.d/ (its working directory), so split DWARF's .dwo files land
# beside the objects, where DW_AT_comp_dir/DW_AT_dwo_name say they are. POST is what happens after
# linking: none; noaranges (objcopy removes .debug_aranges, as a stripped-down gcc build would
# have it); dwp (the .dwo files are packed into OUT.dwp by binutils' dwp and removed); buildid
# (the DWARF moved to OUT.debugdir/.build-id/xx/rest.debug, a debug directory as a -dbgsym package
# fills /usr/lib/debug, and OUT stripped of everything, .symtab included).
set -euo pipefail
out=$(realpath -m "$1") post=$2 cc=$3
shift 3
flags=()
while [ "$1" != -- ]; do flags+=("$1"); shift; done
shift
dir=$out.d
rm -rf "$dir" "$out.dwp" "$out.debugdir"
mkdir -p "$dir"
IFS=, read -r -a ccs <<<"$cc"
objs=()
i=0
for src in "$@"; do
    src=$(realpath "$src")
    obj=$(basename "$src" .c).o
    c=${ccs[$((i < ${#ccs[@]} ? i : ${#ccs[@]} - 1))]}
    (cd "$dir" && "$c" "${flags[@]}" -Wall -Wextra -Werror -c "$src" -o "$obj")
    objs+=("$dir/$obj")
    i=$((i + 1))
done
"${ccs[-1]}" "${flags[@]}" "${objs[@]}" -o "$out"
case $post in
none) ;;
noaranges) objcopy --remove-section=.debug_aranges "$out" ;;
dwp)
    (cd "$dir" && dwp -e "$out" -o "$out.dwp") # it opens the DW_AT_dwo_name files from its cwd
    rm -f "$dir"/*.dwo
    ;;
buildid)
    id=$(readelf -n "$out" | awk '/Build ID:/ { print $3 }')
    [ -n "$id" ] || { echo "build.sh: $out has no build-id" >&2; exit 2; }
    mkdir -p "$out.debugdir/.build-id/${id:0:2}"
    objcopy --only-keep-debug "$out" "$out.debugdir/.build-id/${id:0:2}/${id:2}.debug"
    objcopy --strip-all "$out"
    ;;
*) echo "build.sh: unknown POST '$post'" >&2; exit 2 ;;
esac
