#!/usr/bin/env python3
"""gdb_frames.py EXE FUNC [ARGS...]: the frames gdb 13's `bt` shows at a breakpoint on malloc called
from FUNC (a breakpoint on FUNC first, then one on malloc), as JSON [[function, line], ...], the
allocator's frames (malloc, operator new) left out, up to main. Exit 2 when gdb did not stop there."""
import json
import re
import subprocess
import sys

exe, func, args = sys.argv[1], sys.argv[2], sys.argv[3:]
cmd = ["gdb", "-nx", "-batch", "-ex", "set debuginfod enabled off", "-ex", "set pagination off",
       "-ex", "break " + func, "-ex", "run", "-ex", "break malloc", "-ex", "continue", "-ex", "bt",
       "-ex", "kill", "--args", exe] + args
out = subprocess.run(cmd, capture_output=True, text=True, timeout=240).stdout
frames = []
for line in out.splitlines():
    m = re.match(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(.+?) \(.*\) (?:at (\S+):(\d+)|from \S+)$", line)
    if m:
        frames.append((int(m.group(1)), m.group(2), int(m.group(4)) if m.group(4) else 0))
# the last bt printed: frame numbers restart at #0
start = max(i for i, f in enumerate(frames) if f[0] == 0) if frames else 0
frames = frames[start:]
if not frames or "malloc" not in frames[0][1]:
    print(out, file=sys.stderr)
    sys.exit(2)
frames = frames[1:]
while frames and frames[0][1].startswith("operator new"):
    frames = frames[1:]
print(json.dumps([[f[1], f[2]] for f in frames]))
