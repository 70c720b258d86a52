#!/usr/bin/env python3
"""Start-up probe of the benchmark (bench/workers.sh): when does Kamailio
answer SIP?

Sends an OPTIONS to --server every 20 ms (a new transaction each time) until
a 200 comes back or --timeout seconds pass.  Prints the wall-clock time of
the first 200 in nanoseconds since the epoch (time.time_ns(), comparable
with `date +%s%N` taken before Kamailio was started), or nothing and exit
status 1 on time-out.  A port not yet bound only loses the datagram.
"""
import argparse
import select
import socket
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--server", required=True, help="host:port")
ap.add_argument("--timeout", type=float, default=120.0)
args = ap.parse_args()
host, port = args.server.rsplit(":", 1)
server = (host, int(port))
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
lip, lport = sock.getsockname()
end = time.monotonic() + args.timeout
n = 0
while time.monotonic() < end:
    n += 1
    msg = ("OPTIONS sip:%s:%s SIP/2.0\r\n"
           "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bKready%d\r\n"
           "From: <sip:probe@%s>;tag=probe\r\n"
           "To: <sip:%s:%s>\r\n"
           "Call-ID: ready-%d@%s\r\n"
           "CSeq: %d OPTIONS\r\n"
           "Max-Forwards: 70\r\n"
           "Content-Length: 0\r\n\r\n") % (host, port, lip, lport, n, lip,
                                           host, port, n, lip, n)
    try:
        sock.sendto(msg.encode(), server)
    except OSError:
        pass
    r, _, _ = select.select([sock], [], [], 0.02)
    while r:
        try:
            data = sock.recv(65535, socket.MSG_DONTWAIT)
        except (BlockingIOError, ConnectionRefusedError):
            break
        if data.startswith(b"SIP/2.0 200"):
            print(time.time_ns())
            sys.exit(0)
        r, _, _ = select.select([sock], [], [], 0)
sys.exit(1)
