# Sourced by the fastbp tests (after lib.sh).
# stub_area PID: the area cdbg maps for stubs (4 KB read-write counters, then 60 KB of code)
stub_area() {
    python3 -c 'import sys
prev = None
for line in open("/proc/%s/maps" % sys.argv[1]):
    f = line.split()
    s, e = (int(x, 16) for x in f[0].split("-"))
    cur = (s, e, f[1], len(f) > 5)
    if prev and prev[1] == s and prev[2] == "rw-p" and prev[1] - prev[0] == 4096 and not prev[3] \
            and f[1] == "r-xp" and e - s == 61440 and not cur[3]:
        sys.exit(0)
    prev = cur
sys.exit(1)' "$1"
}
