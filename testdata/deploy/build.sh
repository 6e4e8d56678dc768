#!/bin/bash
# build.sh OUTDIR CC SRCDIR: the two builds of testdata/deploy, each an executable linked against
# libdeploy.so (no rpath: the test runs it with LD_LIBRARY_PATH) and the library itself, plus
# stripped copies of the executables whose DWARF is in OUTDIR/debug/.build-id/ (a debug directory
# as Debian's -dbgsym packages fill /usr/lib/debug).
set -euo pipefail
out=$1 cc=$2 src=$3
for v in v1 v2; do
    def=()
    [ $v = v2 ] && def=(-DDEPLOY_V2)
    mkdir -p "$out/$v"
    "$cc" -g -O0 -Wall -Wextra -Werror -fno-sanitize=all -fPIC -shared -Wl,-soname,libdeploy.so "${def[@]}" \
        -o "$out/$v/libdeploy.so" "$src/libdeploy.c"
    "$cc" -g -O0 -Wall -Wextra -Werror -fno-sanitize=all "${def[@]}" -o "$out/$v/deploy" "$src/deploy.c" \
        -L"$out/$v" -ldeploy
    objcopy --only-keep-debug "$out/$v/deploy" "$out/$v/deploy.debug"
    objcopy --strip-all "$out/$v/deploy" "$out/$v/deploy_stripped"
    id=$(readelf -n "$out/$v/deploy" | awk '/Build ID:/ {print $3}')
    mkdir -p "$out/debug/.build-id/${id:0:2}"
    mv "$out/$v/deploy.debug" "$out/debug/.build-id/${id:0:2}/${id:2}.debug"
done
