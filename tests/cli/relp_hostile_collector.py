#!/usr/bin/env python3
"""A hostile RELP collector for tests/cli/test_daemon_relp.sh (not a test).

Usage: relp_hostile_collector.py PORT CERT KEY CA MODE LOG
Listens on 127.0.0.1:PORT with TLS (client certificate required), answers `open` with 200 and
then every `syslog` frame with: MODE refuse, `500 collector full`; MODE oversize, a frame that
claims 99999999 bytes of data; MODE garbage, bytes that are no frame. Appends one line per
frame received to LOG ("syslog N" or "open"). Serves connections until killed.
"""
import re
import socket
import ssl
import sys

port, cert, key, ca, mode, log = sys.argv[1:7]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.load_verify_locations(ca)
ctx.verify_mode = ssl.CERT_REQUIRED
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(port)))
srv.listen(8)
open(log + ".ready", "w").close()


def frames(conn):
    """(txnr, command) of each frame `TXNR SP COMMAND SP DATALEN [SP DATA] LF` received."""
    buf = b""
    while True:
        m = re.match(rb"(\d+) ([a-z]+) (\d+)[ \n]", buf)
        if m:
            n = int(m.group(3))
            start = m.end() if n else m.end() - 1
            if len(buf) >= start + n + 1:
                yield int(m.group(1)), m.group(2).decode()
                buf = buf[start + n + 1:]
                continue
        data = conn.recv(65536)
        if not data:
            return
        buf += data


while True:
    raw, _ = srv.accept()
    try:
        conn = ctx.wrap_socket(raw, server_side=True)
        for txnr, cmd in frames(conn):
            with open(log, "a") as f:
                f.write(f"{cmd} {txnr}\n")
            if cmd == "open":
                conn.sendall(b"%d rsp 6 200 OK\n" % txnr)
            elif mode == "refuse":
                conn.sendall(b"%d rsp 18 500 collector full\n" % txnr)
            elif mode == "oversize":
                conn.sendall(b"%d rsp 99999999 200 OK\n" % txnr)
            else:
                conn.sendall(b"\x00\xff no frame at all\n")
        conn.close()
    except (OSError, ssl.SSLError, ValueError):
        raw.close()
