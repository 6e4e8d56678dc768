"""Checks the stops of display.sh's session (text or JSON output of cdbg with the program's own
lines interleaved) against the program's printout. Usage: check_displays.py text|json FILE"""
import json
import re
import sys

mode, path = sys.argv[1], sys.argv[2]
prog_re = re.compile(r'^(step|after) (\d+) total (\d+)$')
events = []  # ("prog", kind, i, total) and ["stop", kind, {num: shown}] in output order
for n, line in enumerate(open(path).read().splitlines(), 1):
    m = prog_re.match(line)
    if m:
        events.append(("prog", m.group(1), int(m.group(2)), int(m.group(3))))
        continue
    stop = disp = None
    if mode == "json":
        if not line.startswith("{"):
            sys.exit("line %d is neither JSON nor the program's: %r" % (n, line))
        o = json.loads(line)
        if o.get("command") == "continue" and o.get("event") == "breakpoint" and o.get("breakpoint") == 1:
            stop = "bp"
        elif o.get("command") == "stepout" and o.get("event") == "returned" and o.get("function") == "step":
            stop = "ret"
        elif "display" in o:
            disp = (o["display"], o)
    else:
        if re.match(r'^Breakpoint 1, hit \d+ times?, thread tid \d+$', line):
            stop = "bp"
        elif line == "Run till exit from #0 step":
            stop = "ret"
        else:
            m = re.match(r'^(\d+): (.*)$', line)
            if m:
                disp = (int(m.group(1)), m.group(2))
    if stop:
        events.append(["stop", stop, {}])
    elif disp and any(e[0] == "stop" for e in events):
        # displays made before the first stop are the `display` commands' own output
        if events[-1][0] != "stop":
            sys.exit("line %d: a display that does not follow a stop: %r" % (n, line))
        if disp[0] in events[-1][2]:
            sys.exit("line %d: display %d shown twice at one stop" % (n, disp[0]))
        events[-1][2][disp[0]] = disp[1]

active = [{1, 2, 3}, {1, 2, 3}, {1, 2, 3}, {2, 3}, {2}, set()]
kinds = ["bp", "bp", "ret", "bp", "bp", "bp"]
stops = [k for k, e in enumerate(events) if e[0] == "stop"]
if [events[k][1] for k in stops] != kinds:
    sys.exit("stops %r, expected %r" % ([events[k][1] for k in stops], kinds))
for s, k in enumerate(stops):
    kind, shown = events[k][1], events[k][2]
    if kind == "bp":  # the program's last line before the stop
        prev = [e for e in events[:k] if e[0] == "prog"]
        assert prev and prev[-1][1] == "step", "stop %d: no 'step' line before it" % (s + 1)
        i, total = prev[-1][2], prev[-1][3]
    else:  # what it prints once it runs on
        nxt = [e for e in events[k:] if e[0] == "prog"]
        assert nxt and nxt[0][1] == "after", "stop %d: no 'after' line after it" % (s + 1)
        i, total = nxt[0][2], nxt[0][3]
    if mode == "json":
        want = {1: {"display": 1, "expr": "i", "type": "int", "value": i},
                2: {"display": 2, "expr": "total", "type": "int", "value": hex(total)},
                3: {"display": 3, "expr": "total", "type": "int", "value": total}}
    else:
        want = {1: "i = %d" % i, 2: "/x total = %s" % hex(total), 3: "total = %d" % total}
    want = {d: v for d, v in want.items() if d in active[s]}
    if shown != want:
        sys.exit("stop %d (%s, i %d, total %d): displays %r, expected %r" % (s + 1, kind, i, total, shown, want))
print("%d stops checked" % len(stops))
