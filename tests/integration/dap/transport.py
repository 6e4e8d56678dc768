"""cdbg dap transports and framing: --listen on loopback (port 0 picks one and is printed), a
non-loopback address refused with one line; --unix: the socket is mode 0600, removed at exit, an
existing path that is not a socket (a file, a symlink) refused and left alone; garbage on the wire
(bad headers, bad JSON, random bytes) gets error responses, never a crash."""
import os
import random
import re
import socket
import stat
import subprocess
import tempfile
from dapclient import *


def refused(args, what):
    r = subprocess.run([CDBG, "dap", *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=HANG)
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 2 and len(lines) == 1 and what in lines[0], "cdbg dap %s: %d %r" % (args, r.returncode, r.stderr))


def serve(args):
    p = subprocess.Popen([CDBG, "dap", *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    check(line.startswith("listening on "), "no listening line: %r %r" % (line, p.stderr.read() if p.poll() is not None else ""))
    return p, line[len("listening on "):].strip()


def talk(sock, p):
    c = Client(sock=sock)
    caps = c.request("initialize", clientID="t", adapterID="cdbg")["body"]
    check(caps["supportsConfigurationDoneRequest"], "capabilities %r" % caps)
    c.request("disconnect")
    c.close()
    check(p.wait(timeout=HANG) == 0, "the server exited %r: %s" % (p.returncode, p.stderr.read()))


def frame(body):
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def main():
    for a in ("0.0.0.0:0", "192.168.1.1:4711", "[::]:0", "example.com:1", "4711"):
        refused(["--listen", a], "--listen")
    refused(["--listen", "0.0.0.0:0"], "loopback")

    p, addr = serve(["--listen", "127.0.0.1:0"])
    m = re.fullmatch(r"127\.0\.0\.1:(\d+)", addr)
    check(m and int(m.group(1)) > 0, "port 0 gave %r" % addr)
    s = socket.create_connection(("127.0.0.1", int(m.group(1))))
    talk(s, p)

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "dap.sock")
        p, shown = serve(["--unix", path])
        st = os.lstat(path)
        check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600,
              "socket mode %o" % st.st_mode)
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        talk(s, p)
        check(not os.path.exists(path), "the socket was left at %s" % path)

        f = os.path.join(d, "file")
        with open(f, "w") as fp:
            fp.write("keep")
        refused(["--unix", f], "not a socket")
        check(open(f).read() == "keep", "the file was touched")
        ln = os.path.join(d, "link")
        target = os.path.join(d, "target")
        os.symlink(target, ln)
        refused(["--unix", ln], "not a socket")
        check(not os.path.exists(target) and os.path.islink(ln), "the symlink was followed")

    # garbage over stdio: each bad frame gets an error response (request_seq 0 when it had none)
    c = Client()
    bad = [b"hello\r\n\r\n",                                     # no Content-Length
           b"Content-Length: abc\r\n\r\n",                       # not a number
           b"Content-Length: 99999999999999999999\r\n\r\n",      # too big
           b"Content-Length: 9\r\n\r\n{not json",                # bad JSON
           b"Content-Length: 5\r\n\r\n[1,2]",                    # not an object
           frame(b'{"type":"event"}'),                           # not a request
           frame(b'{"type":"request"} x'),                       # trailing bytes
           frame(b'{"type":"request"}'),                         # no command
           frame(b'{"seq":7,"type":"request","command":"x"}')]  # unknown command
    for i, b in enumerate(bad):
        c.write(b)
        r = c.next_msg(lambda m: m.get("type") == "response", "an error response to bad frame %d" % i)
        check(r["success"] is False and r["message"], "bad frame %d answered %r" % (i, r))
        if i == len(bad) - 1:
            check(r["request_seq"] == 7 and "unsupported" in r["message"], "unknown command: %r" % r)
    rnd = random.Random(1234)
    for i in range(300):
        n = rnd.randrange(0, 200)
        body = bytes(rnd.randrange(256) for _ in range(n))
        c.write(b"Content-Length: %d\r\n\r\n" % n + body if rnd.random() < 0.7 else body)
    c.write(b"\r\n\r\n")  # ends whatever header the random bytes left open
    caps = c.request("initialize", clientID="t", adapterID="cdbg")
    check(caps["success"], "initialize after garbage: %r" % caps)
    c.request("disconnect")
    rc, err = c.close()
    check(rc == 0 and "Segmentation" not in err and "AddressSanitizer" not in err, "after garbage: %d %s" % (rc, err[-2000:]))


run(main)
