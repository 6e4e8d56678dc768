#!/usr/bin/env python3
"""The layer rule: every `#include "..."` in src/ and cmd/ names a header of the file's own layer or
of a layer below it. Fails naming FILE:LINE for each include that goes up or sideways, for a header
that is not in the tree, and when docs/design.md lists the layers in another order.

usage: check_includes.py SRCROOT
"""
import os
import re
import sys

# Bottom up, as in docs/design.md "Layers". A layer may include the layers before it, except where
# ONLY narrows it: src/arch sits beside the others and includes only src/util (and capstone).
LAYERS = [
    "src/util",
    "src/output",
    "src/arch",
    "src/target",
    "src/symbols",
    "src/unwind",
    "src/expr",
    "src/deadlock",
    "src/control",
    "src/trace",
    "src/commands",
    "src/dap",
    "cmd",
]
ONLY = {"src/arch": {"src/util", "src/arch"}}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def layer_of(path):
    """The layer of a path relative to the source root, or None."""
    for layer in LAYERS:
        if path == layer or path.startswith(layer + "/"):
            return layer
    return None


def allowed(frm, to):
    if frm in ONLY:
        return to in ONLY[frm]
    return LAYERS.index(to) <= LAYERS.index(frm)


def design_order(root):
    """The layer directories of docs/design.md's Layers block, bottom up."""
    path = os.path.join(root, "docs", "design.md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^## Layers\s*\n+```\n(.*?)\n```", text, re.S | re.M)
    if not m:
        return None
    dirs = []
    for line in m.group(1).splitlines():
        if not line or line[0].isspace():
            continue  # a description's continuation
        word = line.split()[0].rstrip("/")
        if word.startswith("cmd"):
            word = "cmd"
        dirs.append(word)
    return list(reversed(dirs))


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    root = sys.argv[1]
    errors = []

    order = design_order(root)
    if order != LAYERS:
        errors.append("docs/design.md: the Layers block lists %s (bottom up), this script %s: make them agree"
                      % (order, LAYERS))

    nfiles = nincludes = 0
    for top in ("src", "cmd"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith((".c", ".h")):
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)
                frm = layer_of(rel)
                nfiles += 1
                if frm is None:
                    errors.append("%s:1: not in any layer of the table (add the directory to "
                                  "tests/check_includes.py and docs/design.md)" % rel)
                    continue
                with open(full, encoding="utf-8", errors="replace") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        nincludes += 1
                        inc = m.group(1)
                        # the build's include path is src/; a bare name is the file's own directory
                        cands = [os.path.join("src", inc), os.path.join(os.path.dirname(rel), inc)]
                        target = next((c for c in cands if os.path.isfile(os.path.join(root, c))), None)
                        if target is None:
                            errors.append('%s:%d: #include "%s": no such header in src/ or beside the file'
                                          % (rel, lineno, inc))
                            continue
                        to = layer_of(os.path.normpath(target))
                        if to is None:
                            errors.append('%s:%d: #include "%s": %s is in no layer' % (rel, lineno, inc, target))
                        elif not allowed(frm, to):
                            errors.append('%s:%d: #include "%s": %s may not include %s (a layer includes only '
                                          'itself and the layers below it; see docs/design.md, Layers)'
                                          % (rel, lineno, inc, frm, to))
    if nfiles == 0 or nincludes == 0:
        errors.append("%s: found %d files and %d includes in src/ and cmd/: wrong SRCROOT?" % (root, nfiles, nincludes))
    for e in errors:
        print("FAIL: " + e, file=sys.stderr)
    print("check_includes: %d files, %d includes, %d violations" % (nfiles, nincludes, len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
