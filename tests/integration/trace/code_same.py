#!/usr/bin/env python3
"""code_same.py PID ELF SYMBOL [N]: whether the first N (default 8) bytes of SYMBOL's code in process
PID are the ELF file's own (no probe, patch or int3 left in). The symbol's address comes from
`nm` (-D as a fallback), the load base from /proc/PID/maps, the file's bytes through the PT_LOAD
segment that holds the address. Prints both; exit 0 same, 1 different, 2 could not tell."""
import os
import struct
import subprocess
import sys


def sym_addr(elf, name):
    for args in (["nm", elf], ["nm", "-D", elf]):
        out = subprocess.run(args, capture_output=True, text=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) == 3 and f[2].split("@")[0] == name and f[1] in "tTiW":
                return int(f[0], 16)
    return None


def main():
    pid, elf, name = sys.argv[1], sys.argv[2], sys.argv[3]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    addr = sym_addr(elf, name)
    if addr is None:
        print("no symbol %s in %s" % (name, elf))
        return 2
    with open(elf, "rb") as f:
        data = f.read()
    e_type = struct.unpack_from("<H", data, 16)[0]
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    off = None
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if p_type == 1 and p_vaddr <= addr < p_vaddr + p_filesz:
            off = addr - p_vaddr + p_offset
    if off is None:
        print("%s: 0x%x is in no PT_LOAD segment" % (elf, addr))
        return 2
    real = os.path.realpath(elf)
    base = None
    with open("/proc/%s/maps" % pid) as m:
        for line in m:
            f = line.split()
            if len(f) >= 6 and os.path.realpath(f[5]) == real and int(f[2], 16) == 0:
                base = int(f[0].split("-")[0], 16)
                break
    if base is None:
        print("%s is not mapped in process %s" % (elf, pid))
        return 2
    if e_type == 2:  # ET_EXEC: linked at its addresses
        base = 0
    with open("/proc/%s/mem" % pid, "rb") as mem:
        mem.seek(base + addr)
        live = mem.read(n)
    want = data[off:off + n]
    print("%s in process %s: %s; in %s: %s" % (name, pid, live.hex(), elf, want.hex()))
    return 0 if live == want else 1


sys.exit(main())
