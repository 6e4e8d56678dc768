"""Tail-call frames against gdb (tests/integration/stacks/tailcall.sh).

  tailcall.py CDBG_BT GDB_BT     per thread, every frame in tail.c and every glibc frame of the
                                  pthread_join path: function, pc and line, as gdb shows them
Frames past main (gdb stops there) and frame #0's address are left out. Prints what differs; exit
status 1 if anything does."""
import re
import sys

THREAD_CDBG = re.compile(r'^Thread \d+ \(tid (\d+), ')
THREAD_GDB = re.compile(r'^Thread \d+ \(Thread 0x[0-9a-f]+ \(LWP (\d+)\)|^Thread \d+ \(LWP (\d+)\)')
FRAME_CDBG = re.compile(r'^#(\d+)\s+(0x[0-9a-f]+|\(inlined\))\s+in (\S+)(?: at (\S+):(\d+)| from \S+)?$')
FRAME_GDB = re.compile(r'^#(\d+)\s+(?:(0x[0-9a-f]+) in )?(\S+) \(.*?\)(?: at (\S+):(\d+)| from \S+)?$')
# glibc's names for the same functions differ between gdb (DWARF names with __GI_ aliases) and the
# symbol table: compared without their leading underscores and __GI_ prefixes
def norm(f):
    f = re.sub(r'^(__GI_)+', '', f)
    return f.lstrip('_')


def threads(path, thread_re, frame_re):
    out, tid = {}, None
    for line in open(path):
        line = line.rstrip('\n')
        m = thread_re.match(line)
        if m:
            tid = m.group(1) or m.group(m.lastindex)
            out[tid] = []
            continue
        m = frame_re.match(line)
        if m and tid is not None:
            out[tid].append((norm(m.group(3)), m.group(2) if m.group(2) and m.group(2) != '(inlined)' else None,
                             (m.group(4) or '').rsplit('/', 1)[-1], m.group(5)))
    # up to main: gdb does not go past it
    for tid, fr in out.items():
        k = next((i for i, f in enumerate(fr) if f[0] == 'main'), None)
        if k is not None:
            out[tid] = fr[:k + 1]
    return out


def main():
    a = threads(sys.argv[1], THREAD_CDBG, FRAME_CDBG)
    b = threads(sys.argv[2], THREAD_GDB, FRAME_GDB)
    bad = sorted(a) != sorted(b) or not a
    if bad:
        print('threads differ:', sorted(a), sorted(b))
    for tid in a:
        x, y = a[tid], b.get(tid, [])
        # addresses where gdb shows one: none for frame #0 and for a function with inlined calls
        # at its pc (gdb names the address on the innermost, cdbg on the function itself)
        x = [(f, pc if k < len(y) and y[k][1] else None, fl, ln) for k, (f, pc, fl, ln) in enumerate(x)]
        if x != y:
            print('thread', tid, '\n  cdbg:', x, '\n  gdb: ', y)
            bad = True
    sys.exit(1 if bad else 0)


main()
