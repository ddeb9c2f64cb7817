#!/usr/bin/env python3
"""A syslog collector for the tests: listens on udp (127.0.0.1, a free port), tcp (127.0.0.1, a
free port, RFC 6587 octet-counted frames) or unix (a datagram socket at PATH) and appends each
message it receives, plus a newline, to OUT. For udp and tcp the port is written to OUT.port
once it listens; for unix, OUT.ready. Standard library only. Runs until killed.
Usage: python3 syslog_listener.py udp|tcp|unix OUT [PATH]"""
import os
import socket
import sys


def announce(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def frames(conn):
    """Yields the messages of an octet-counted stream: "LEN SP MSG" repeated."""
    buf = b""
    while True:
        data = conn.recv(65536)
        if not data:
            return
        buf += data
        while b" " in buf:
            count, rest = buf.split(b" ", 1)
            if not count.isdigit():
                yield b"BAD FRAME: " + buf[:80]
                return
            if len(rest) < int(count):
                break
            yield rest[:int(count)]
            buf = rest[int(count):]


def main():
    kind, out = sys.argv[1], sys.argv[2]
    with open(out, "ab", buffering=0) as f:
        if kind == "unix":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(sys.argv[3])
            os.chmod(sys.argv[3], 0o666)  # the daemon runs as nobody when the test is root
            announce(out + ".ready", "1")
        else:
            family = socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM
            s = socket.socket(socket.AF_INET, family)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 0))
            if kind == "tcp":
                s.listen(4)
            announce(out + ".port", str(s.getsockname()[1]))
        if kind == "tcp":
            while True:
                conn, _ = s.accept()
                for msg in frames(conn):
                    f.write(msg + b"\n")
                conn.close()
        while True:
            data = s.recv(65536)
            f.write(data + b"\n")


if __name__ == "__main__":
    main()
