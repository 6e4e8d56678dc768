"""Backtrace parsing for the `cdbg stacks` tests.

  frames.py same STACKS BT SPIN_TID CUT_TID     `cdbg stacks` text against `bt all` text
  frames.py gdb STACKS GDB SPIN_TID CUT_TID     the program's own frames against gdb's
  frames.py groups STACKS_GROUP BT_GROUP [NCUT]  `-group` text against `bt all -group`

`same`: every thread has exactly the frames and trailer `bt all` shows, except SPIN_TID (a running
thread: its frame #0's address may differ, it was stopped at another moment) and CUT_TID (the thread
whose rbp cannot be known from its syscall line: its stack is a prefix of bt all's, ending in the
line that says so; "-" when no thread is cut: read through BPF, rbp is known). `gdb`: per thread, the frames in blocked.c (function and line) equal gdb's;
for SPIN_TID frame #0's line is left out. `groups`: NCUT (default 1) groups are cut for lack of rbp.
Prints what differs; exit status 1 if anything does."""
import re
import sys

THREAD_CDBG = re.compile(r'^Thread \d+ \(tid (\d+), ')
THREAD_GDB = re.compile(r'^Thread \d+ \(Thread 0x[0-9a-f]+ \(LWP (\d+)\)')
FRAME_CDBG = re.compile(r'^#(\d+)\s+(0x[0-9a-f]+|\(inlined\))\s+in (.*?)(?: at (\S+):(\d+)| from \S+)?$')
SUMMARY = re.compile(r'^stopped \d+ of \d+ threads? for ')


def cdbg_threads(path):
    """tid -> list of lines (frames and trailers) of `bt all` / `cdbg stacks` text."""
    out, tid = {}, None
    for line in open(path):
        line = line.rstrip('\n')
        m = THREAD_CDBG.match(line)
        if m:
            tid = m.group(1)
            out[tid] = []
        elif line and tid is not None and not SUMMARY.match(line):
            out[tid].append(line)
    return out


def own_frames_cdbg(lines):
    res = []
    for l in lines:
        m = FRAME_CDBG.match(l)
        if m and m.group(4) and m.group(4).endswith('blocked.c'):
            res.append((m.group(3), m.group(5)))
    return res


def gdb_threads(path):
    out, tid = {}, None
    for line in open(path):
        line = line.rstrip('\n')
        m = THREAD_GDB.match(line)
        if m:
            tid = m.group(1)
            out[tid] = []
            continue
        m = re.match(r'^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*\) at (\S+):(\d+)$', line)
        if m and tid is not None and m.group(2).endswith('blocked.c'):
            out[tid].append((m.group(1), m.group(3)))
    return out


def no_addr(line):
    return re.sub(r'^(#\d+\s+)0x[0-9a-f]+', r'\1ADDR', line)


def spin0(line):
    """A running thread's frame #0: stopped at another moment, at another address and maybe line."""
    return re.sub(r':\d+$', ':N', no_addr(line))


def main():
    kind = sys.argv[1]
    bad = 0
    if kind == 'same':
        st, bt = cdbg_threads(sys.argv[2]), cdbg_threads(sys.argv[3])
        spin, cut = sys.argv[4], sys.argv[5]
        if sorted(st) != sorted(bt):
            print('thread lists differ: stacks %s, bt all %s' % (sorted(st), sorted(bt)))
            return 1
        for tid in st:
            a, b = st[tid], bt[tid]
            if tid == spin:
                a, b = [spin0(l) for l in a[:1]] + a[1:], [spin0(l) for l in b[:1]] + b[1:]
            if tid == cut:
                if not a or not a[-1].startswith('(backtrace stopped: the caller of ') or 'rbp' not in a[-1]:
                    print('thread %s: no line saying its caller needs rbp: %s' % (tid, a[-1:] if a else a))
                    bad += 1
                    continue
                a = a[:-1]
                b = b[:len(a)]
            if a != b:
                print('thread %s differs:\n  stacks: %s\n  bt all: %s' % (tid, '\n          '.join(a), '\n          '.join(b)))
                bad += 1
    elif kind == 'gdb':
        st, gd = cdbg_threads(sys.argv[2]), gdb_threads(sys.argv[3])
        spin, cut = sys.argv[4], sys.argv[5]
        for tid in gd:
            want = gd[tid]
            got = own_frames_cdbg(st.get(tid, []))
            if tid == spin:
                want = [(f, '-') if i == 0 else (f, l) for i, (f, l) in enumerate(want)]
                got = [(f, '-') if i == 0 else (f, l) for i, (f, l) in enumerate(got)]
            if tid == cut:
                want = want[:len(got)]
            if not want or want != got:
                print('thread %s: gdb %s, cdbg stacks %s' % (tid, want, got))
                bad += 1
    elif kind == 'groups':
        def groups(path):
            out, cur = [], None
            for l in open(path):
                l = l.rstrip('\n')
                if SUMMARY.match(l):
                    continue
                if re.match(r'^\d+ threads?: ', l):
                    cur = [l]
                    out.append(cur)
                elif l and cur is not None:
                    l = no_addr(l.strip())
                    cur.append(spin0(l) if re.match(r'^#0 .* in spin at ', l) else l)
            return out
        a, b = groups(sys.argv[2]), groups(sys.argv[3])
        if [g[0] for g in a] != [g[0] for g in b]:
            print('group headers differ: stacks %s, bt all -group %s' % ([g[0] for g in a], [g[0] for g in b]))
            return 1
        ncut = 0
        for ga, gb in zip(a, b):
            # the thread whose caller needs rbp is a group of its own, cut where it says so
            if ga[-1].startswith('(backtrace stopped: the caller of ') and 'rbp' in ga[-1]:
                ncut += 1
                ga = ga[:-1]
                gb = gb[:len(ga)]
            if ga != gb:
                print('group %s differs:\n  stacks: %s\n  bt all: %s' % (ga[0], ga[1:], gb[1:]))
                bad += 1
        want = int(sys.argv[4]) if len(sys.argv) > 4 else 1
        if ncut != want:
            print('%d groups cut short for lack of rbp, expected %d' % (ncut, want))
            bad += 1
    return 1 if bad else 0


sys.exit(main())
