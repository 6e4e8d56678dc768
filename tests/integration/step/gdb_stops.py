# Loaded into gdb by step_diff.py (gdb -x): runs one command and prints where the program stopped as
# one machine-readable line, "@@STOP {json}", so the test never parses gdb's human output.
import json

import gdb

_ev = {}


def _on_stop(ev):
    if isinstance(ev, gdb.SignalEvent):
        _ev["signal"] = ev.stop_signal


def _on_exit(ev):
    _ev["exited"] = ev.exit_code if hasattr(ev, "exit_code") else None


gdb.events.stop.connect(_on_stop)
gdb.events.exited.connect(_on_exit)


def _depth(f):
    # frames from f up to main (gdb's `backtrace past-main` is off: older() ends at main). Not
    # counted: the tail-call frames gdb rebuilds from DW_TAG_call_site (pthread_kill's in libc),
    # which no CFI unwinder sees; they say nothing about where a step stopped.
    n = 0
    while f is not None:
        if f.type() != gdb.TAILCALL_FRAME:
            n += 1
        if f.name() == "main":
            break
        f = f.older()
    return n


def _emit(d):
    gdb.flush()
    print("@@STOP " + json.dumps(d), flush=True)


def stop_cmd(cmd, kind):
    """kind: "motion" (report the stop), "probe" (report an expression's value), "quiet"."""
    _ev.clear()
    if kind == "probe":
        try:
            _emit({"value": str(gdb.parse_and_eval(cmd))})
        except gdb.error as e:
            _emit({"error": str(e)})
        return
    try:
        gdb.execute(cmd)
    except gdb.error as e:
        if kind == "motion":
            _emit({"error": str(e)})
        return
    if kind != "motion":
        return
    if "exited" in _ev or gdb.selected_inferior().pid == 0:
        _emit({"exited": _ev.get("exited", 0)})
        return
    f = gdb.selected_frame()
    sal = f.find_sal()
    d = {"function": f.name(), "file": sal.symtab.filename if sal.symtab else None,
         "line": sal.line or None, "depth": _depth(f)}
    if "signal" in _ev:
        d["signal"] = _ev["signal"]
    _emit(d)
