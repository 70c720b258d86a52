#!/usr/bin/env python3
"""Send one SIP request (a file, LF or CRLF lines) over UDP to 127.0.0.1:PORT
from an ephemeral port and print the first reply (5 s bound). Used where
SIPp cannot: a request inside a dialog SIPp does not own (another Call-ID),
as an attacker replaying a captured request would send it."""
import socket
import sys

port, path = int(sys.argv[1]), sys.argv[2]
with open(path, "rb") as f:
    lines = f.read().replace(b"\r\n", b"\n").split(b"\n")
msg = b"\r\n".join(lines)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(5)
lport = s.getsockname()[1]
s.sendto(msg.replace(b"LPORT", str(lport).encode()), ("127.0.0.1", port))
try:
    data, _ = s.recvfrom(65535)
except socket.timeout:
    sys.exit("no reply within 5 s")
sys.stdout.write(data.decode("utf-8", "replace").replace("\r\n", "\n"))
