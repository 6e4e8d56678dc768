#!/usr/bin/env python3
"""A misbehaving debuginfod for the tests: fakesrv.py MODE PORTFILE LOGFILE.

Listens on a free loopback port (written to PORTFILE once listening) and appends one line to
LOGFILE per connection accepted. MODE: blackhole (accepts and never answers: a hung server),
garbage-http (answers every request 200 with bytes that are no ELF file), garbage-raw (answers
bytes that are no HTTP at all, then closes)."""
import socket
import sys
import threading

mode, portfile, logfile = sys.argv[1:4]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(64)
held = []


def serve(c):
    try:
        c.settimeout(30)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
        if mode == "garbage-http":
            body = b"this is not an ELF file\n" * 40
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        else:
            c.sendall(b"\x00\x01garbage that is not HTTP\r\n\r\n")
    except OSError:
        pass
    finally:
        c.close()


with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % srv.getsockname()[1])
import os
os.rename(portfile + ".tmp", portfile)
while True:
    c, _ = srv.accept()
    with open(logfile, "a") as f:
        f.write("connection\n")
    if mode == "blackhole":
        held.append(c)  # never answered, never closed
    else:
        threading.Thread(target=serve, args=(c,), daemon=True).start()
