#!/usr/bin/env python3
"""Compares a `cdbg trace --ret` text output with gdb's values at the same places
(tests/integration/trace/floats.sh).

  floats.py GDB_OUT CDBG_OUT BINARY BACKEND FUNC...

GDB_OUT holds, per function, gdb's `Breakpoint N, FUNC (...)` stop at the tracepoint's address,
its `info args` and its `finish` ("Value returned is $N = V"). For each FUNC traced, CDBG_OUT must
hold one entry and one return line, and each argument and the returned value must be gdb's (numbers
compared as the numbers they denote: cdbg writes the shortest text that reads back as the same
double, gdb 17 digits), or an error this backend is allowed:
  - every backend: a long double returned in st0 (no record holds x87 registers); a struct returned
    in memory when the return's record holds no stack copy (inline, uprobe); at -O0, loopy's
    arguments at its FILE:LINE probe past a loop (their slots are in the red zone, below the
    record's stack copy, and only a straight-line prologue's stores are replayed); at -O0, after's
    d (the register its prologue stored is written again before the probe);
  - uprobe: a value in (or spilled from) an xmm register, which perf cannot sample for a uprobe.
KNOWN lists the gaps this test knows of, where cdbg prints <optimized out> and gdb a value: they
print "ok: KNOWN GAP" so that they are seen; a value equal to gdb's passes as any other. gcc -O2
describes after's dead arguments as DW_OP_entry_value(DW_OP_regval_type xmm0), the call site's value
as DW_OP_fbreg, DW_OP_deref_type: read through the caller (the record's stack unwound one frame), as
gdb does, except by the uprobe backend with --ret, whose uretprobe has replaced the return address
the caller is found by (the kernel keeps the real one).
Prints "ok: ..." or "FAIL: ..." per check."""
import re
import struct
import sys

ALLOWED = [  # function, value, binaries, the error
    ("ldret", "return", "", r"it is returned in st0, which was not recorded by the \w+ backend$"),
    ("bigret", "return", "", r"^the returned struct big is in memory at 0x[0-9a-f]+, outside the 0 stack bytes the (inline|uprobe) backend recorded at the return$"),
    ("loopy", "x", "_O0$", r"^cannot access memory at 0x[0-9a-f]+$"),
    ("loopy", "n", "_O0$", r"^cannot access memory at 0x[0-9a-f]+$"),
    # the prologue's store of xmm0 is not replayed: xmm0 is loaded again before the probe
    ("after", "d", "_O0$", r"^cannot access memory at 0x[0-9a-f]+$"),
]
KNOWN = [("after", "d", "^gcc_O2$", "^uprobe$"), ("after", "e", "^gcc_O2$", "^uprobe$")]
UPROBE_XMM = r"(is in xmm\d, which the uprobe backend does not record|was stored from xmm\d below the stack pointer, and the uprobe backend does not record xmm registers|it is returned in xmm\d, which was not recorded by the uprobe backend)$"

NUM = re.compile(r"-?(?:\d+\.?\d*(?:e[-+]?\d+)?|inf|nan)")


def same(a, b):
    """a and b say the same: equal text, numbers equal as doubles or, failing that, as floats."""
    if a == b:
        return True
    ta, tb = NUM.split(a), NUM.split(b)
    na, nb = NUM.findall(a), NUM.findall(b)
    if ta != tb or len(na) != len(nb):
        return False
    for x, y in zip(na, nb):
        fx, fy = float(x), float(y)
        if fx == fy:
            continue
        if struct.pack("f", fx) != struct.pack("f", fy):
            return False
    return True


def parse_gdb(path):
    out, cur = {}, None
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        m = re.match(r"^Breakpoint \d+, (?:0x[0-9a-f]+ in )?(\w+) \(", line)
        if m:
            cur = {"args": [], "return": None}
            out[m.group(1)] = cur
            continue
        if cur is None:
            continue
        m = re.match(r"^Value returned is \$\d+ = (.*)$", line)
        if m:
            cur["return"] = m.group(1)
            cur = None
            continue
        m = re.match(r"^(\w+) = (.*)$", line)
        if m:
            cur["args"].append((m.group(1), m.group(2)))
    return out


def parse_cdbg(path, gdb):
    out = {}
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        m = re.match(r"^> (\w+)\((.*)\) \S+:\d+ \[tid \d+\]$", line)
        if m:
            f, s = m.group(1), m.group(2)
            names = [n for n, _ in gdb.get(f, {"args": []})["args"]]
            vals = []
            for i, n in enumerate(names):
                if not s.startswith(n + "="):
                    vals = None
                    break
                s = s[len(n) + 1:]
                end = s.find(", " + names[i + 1] + "=") if i + 1 < len(names) else len(s)
                if end < 0:
                    vals = None
                    break
                vals.append((n, s[:end]))
                s = s[end + 2:]
            out.setdefault(f, {}).setdefault("entries", []).append(vals if vals is not None else line)
            continue
        m = re.match(r"^< (\w+) = (.*) \([^()]*\) \[tid \d+\]$", line)
        if m:
            out.setdefault(m.group(1), {}).setdefault("returns", []).append(m.group(2))
    return out


def main():
    global binary
    gdbp, cdbgp, binary, backend, funcs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
    gdb = parse_gdb(gdbp)
    got = parse_cdbg(cdbgp, gdb)
    for f in funcs:
        if f not in gdb or gdb[f]["return"] is None:
            print("FAIL: %s: gdb did not stop there and finish (see %s)" % (f, gdbp))
            continue
        g = got.get(f, {})
        ents, rets = g.get("entries", []), g.get("returns", [])
        if len(ents) != 1 or len(rets) != 1:
            print("FAIL: %s (%s): %d entries and %d returns, not one of each" % (f, backend, len(ents), len(rets)))
            continue
        if not isinstance(ents[0], list):
            print("FAIL: %s (%s): entry line not understood (gdb's arguments: %s): %s"
                  % (f, backend, [n for n, _ in gdb[f]["args"]], ents[0]))
            continue
        for (n, want), (_, have) in zip(gdb[f]["args"], ents[0]):
            check(f, n, want, have, backend)
        check(f, "return", gdb[f]["return"], rets[0], backend)


def check(f, what, want, have, backend):
    where = "%s %s (%s)" % (f, what, backend)
    m = re.match(r"^<error: (.*)>$", have)
    if m:
        why = m.group(1)
        ok = any(f == af and what == aw and re.search(ab, binary) and re.search(rx, why) for af, aw, ab, rx in ALLOWED)
        ok = ok or (backend == "uprobe" and re.search(UPROBE_XMM, why) and why.startswith(
            "the returned " if what == "return" else what + " "))
        print(("ok: %s: an allowed error (gdb: %s): %s" if ok else "FAIL: %s: an error where gdb prints %s: %s")
              % (where, want, why))
        return
    if same(want, have):
        print("ok: %s = %s, as gdb" % (where, have))
    elif have == "<optimized out>" and any(f == kf and what == kw and re.search(kb, binary) and re.search(kk, backend)
                                           for kf, kw, kb, kk in KNOWN):
        print("ok: KNOWN GAP: %s: cdbg %s, gdb %s" % (where, have, want))
    else:
        print("FAIL: %s: cdbg %s, gdb %s" % (where, have, want))


main()
