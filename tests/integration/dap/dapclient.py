"""A minimal Debug Adapter Protocol client for the `cdbg dap` tests: frames, requests, events.

No timing decides a result: every wait is for a message the server must send (a response, an
event); the only timeout is a generous one that turns a hang into a failure."""
import json
import os
import select
import socket
import subprocess
import sys

CDBG = os.environ.get("CDBG", os.path.join(os.environ.get("SRCROOT", "."), "build", "cdbg"))
TESTDATA = os.environ.get("TESTDATA", os.path.join(os.environ.get("SRCROOT", "."), "build", "testdata"))
HANG = int(os.environ.get("DAP_HANG", "120"))  # seconds before a missing message is a failure (a loaded machine is slow, never this slow)


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


CLIENTS = []


class Client:
    def __init__(self, args=(), sock=None):
        CLIENTS.append(self)
        self.seq = 0
        self.buf = b""
        self.pending = []  # messages read but not yet asked for
        self.proc = None
        self.sock = sock
        if sock is None:
            self.proc = subprocess.Popen([CDBG, "dap", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE)
            self.rfd = self.proc.stdout.fileno()
        else:
            self.rfd = sock.fileno()

    def write(self, data):
        if self.sock is not None:
            self.sock.sendall(data)
        else:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def send_raw(self, body):
        if isinstance(body, str):
            body = body.encode()
        self.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send(self, command, **args):
        self.seq += 1
        msg = {"seq": self.seq, "type": "request", "command": command}
        if args:
            msg["arguments"] = args
        if os.environ.get("DAP_TRACE"):
            sys.stderr.write("-> %s\n" % json.dumps(msg)[:300])
        self.send_raw(json.dumps(msg))
        return self.seq

    def _read_one(self):
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                hdr = self.buf[:end].decode()
                n = None
                for line in hdr.split("\r\n"):
                    k, _, v = line.partition(":")
                    if k.strip().lower() == "content-length":
                        n = int(v)
                check(n is not None, "a frame without Content-Length: %r" % hdr)
                if len(self.buf) >= end + 4 + n:
                    body = self.buf[end + 4:end + 4 + n]
                    self.buf = self.buf[end + 4 + n:]
                    if os.environ.get("DAP_TRACE"):
                        sys.stderr.write("<- %s\n" % body.decode(errors="replace")[:300])
                    return json.loads(body)
            r, _, _ = select.select([self.rfd], [], [], HANG)
            check(r, "no message from the server in %d s" % HANG)
            chunk = os.read(self.rfd, 65536)
            if not chunk:
                return None
            self.buf += chunk

    def next_msg(self, pred, what):
        for i, m in enumerate(self.pending):
            if pred(m):
                return self.pending.pop(i)
        while True:
            m = self._read_one()
            check(m is not None, "the server closed the connection while waiting for " + what)
            if pred(m):
                return m
            self.pending.append(m)

    def response(self, seq):
        return self.next_msg(lambda m: m.get("type") == "response" and m.get("request_seq") == seq,
                             "the response to request %d" % seq)

    def request(self, command, ok=True, **args):
        r = self.response(self.send(command, **args))
        if ok:
            check(r["success"], "%s failed: %s" % (command, r.get("message")))
        return r

    def event(self, name, pred=lambda m: True):
        return self.next_msg(lambda m: m.get("type") == "event" and m.get("event") == name and pred(m),
                             "the %s event" % name)

    def output_text(self, category):
        """What output events of CATEGORY said so far (those read)."""
        return "".join(m["body"]["output"] for m in self.pending
                       if m.get("event") == "output" and m["body"].get("category") == category)

    def close(self):
        if self.proc:
            try:
                self.proc.stdin.close()
            except Exception:
                pass
            rc = self.proc.wait(timeout=HANG)
            err = self.proc.stderr.read().decode()
            # an ASan+UBSan build's report fails every test, whatever it checks next
            for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                check(bad not in err, "cdbg dap: %s" % err[-3000:])
            return rc, err
        self.sock.close()
        return 0, ""


def start(program, args=(), stop_on_entry=False, **extra):
    """initialize + launch; returns the client, stopped before configurationDone."""
    c = Client()
    caps = c.request("initialize", clientID="test", adapterID="cdbg", linesStartAt1=True, columnsStartAt1=True)
    c.caps = caps["body"]
    c.request("launch", program=program, args=list(args), stopOnEntry=stop_on_entry, **extra)
    c.pid = c.event("process")["body"]["systemProcessId"]
    c.event("initialized")
    return c


def stopped(c, reason=None):
    ev = c.event("stopped")
    if reason is not None:
        check(ev["body"]["reason"] == reason, "stopped for %r, expected %r: %r" % (ev["body"]["reason"], reason, ev))
    return ev["body"]


def frames(c, tid, **kw):
    return c.request("stackTrace", threadId=tid, **kw)["body"]


def scope_vars(c, frame_id, scope):
    scopes = c.request("scopes", frameId=frame_id)["body"]["scopes"]
    ref = [s for s in scopes if s["name"] == scope][0]["variablesReference"]
    return c.request("variables", variablesReference=ref)["body"]["variables"]


def gdb(program, cmds, args=(), pid=None, core=None):
    """gdb 13's answers to CMDS (batch), one output string."""
    argv = ["gdb", "-nx", "-batch", "-q", "-ex", "set pagination off", "-ex", "set confirm off"]
    for cmd in cmds:
        argv += ["-ex", cmd]
    if core:
        argv += [program, core]
    elif pid:
        argv += ["-p", str(pid), program]
    else:
        argv += ["--args", program, *args]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    return r.stdout


def marker_line(src, marker):
    with open(src) as f:
        for i, line in enumerate(f, 1):
            if "@" + marker + " " in line or line.rstrip().endswith("@" + marker + " */") or ("@" + marker + "*/") in line:
                return i
    raise Fail("no marker @%s in %s" % (marker, src))


def run(main):
    try:
        main()
    except Fail as e:
        print("FAIL:", e)
        # a server left behind would hold its program: SIGTERM makes cdbg release it (a launched
        # program killed, an attached one detached) before it dies
        for c in CLIENTS:
            if c.proc and c.proc.poll() is None:
                c.proc.terminate()
                try:
                    c.proc.wait(timeout=HANG)
                except subprocess.TimeoutExpired:
                    c.proc.kill()
        sys.exit(1)
    print("PASS")
