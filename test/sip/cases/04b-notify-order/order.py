#!/usr/bin/env python3
"""NOTIFY order under racing PUBLISHes (Kamailio's #3192).

One UDP socket plays W watchers of one presentity (each its own dialog)
and D devices of it. Once every watcher has its first NOTIFY, the D devices
each PUBLISH their own tuple, all within SPREAD seconds, so the PUBLISHes
land on different workers at once. Every NOTIFY is answered 200 at once.
Waits (bounded) until every watcher has a NOTIFY carrying all D tuples,
then checks each watcher's NOTIFYs in the order they arrived: CSeq rising,
and the set of tuples never shrinking (no NOTIFY older than the one
before), the last one complete. Prints one line per finding; exit 0 when
everything held, 1 otherwise, 2 when the set-up failed.
"""
import re
import select
import socket
import sys
import time

port, W, D, SPREAD = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
SERVER = ("127.0.0.1", port)
PRES = "sip:line@127.0.0.1"
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
sock.bind(("127.0.0.1", 0))
LPORT = sock.getsockname()[1]
TUPLE = re.compile(r'<tuple[^>]*id="(d\d+)"')


def hdr(text, name):
    m = re.search(r"^%s:\s*(.*?)\r$" % name, text, re.M | re.I)
    return m.group(1) if m else ""


def send_sub(i):
    sock.sendto(((
        "SUBSCRIBE %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKs%d\r\n"
        "From: <sip:w%d@127.0.0.1>;tag=wt%d\r\nTo: <%s>\r\nCall-ID: order-w%d\r\n"
        "CSeq: 1 SUBSCRIBE\r\nMax-Forwards: 70\r\nContact: <sip:w%d@127.0.0.1:%d>\r\n"
        "Event: presence\r\nAccept: application/pidf+xml\r\nExpires: 120\r\n"
        "Content-Length: 0\r\n\r\n") % (PRES, LPORT, i, i, i, PRES, i, i, LPORT))
        .encode(), SERVER)


def send_pub(d):
    body = ('<?xml version="1.0" encoding="UTF-8"?>\r\n'
            '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="%s">'
            '<tuple id="d%d"><status><basic>open</basic></status></tuple>'
            '</presence>\r\n') % (PRES, d)
    sock.sendto(((
        "PUBLISH %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKp%d\r\n"
        "From: <%s>;tag=dev%d\r\nTo: <%s>\r\nCall-ID: order-d%d\r\n"
        "CSeq: 1 PUBLISH\r\nMax-Forwards: 70\r\nEvent: presence\r\nExpires: 120\r\n"
        "Content-Type: application/pidf+xml\r\nContent-Length: %d\r\n\r\n%s") % (
        PRES, LPORT, d, PRES, d, PRES, d, len(body), body)).encode(), SERVER)


notifies = {i: [] for i in range(W)}   # arrival order: (cseq, tuples)
seen = {i: set() for i in range(W)}
sub_ok, pub_codes = set(), {}


def handle(data):
    text = data.decode("utf-8", "replace")
    head, _, body = text.partition("\r\n\r\n")
    head += "\r\n"
    first = head.split("\r\n", 1)[0]
    cid = hdr(head, "Call-ID")
    if first.startswith("SIP/2.0"):
        code = int(first.split()[1])
        if cid.startswith("order-w") and code >= 200:
            sub_ok.add(int(cid[7:]))
        elif cid.startswith("order-d") and code >= 200:
            pub_codes[int(cid[7:])] = code
        return
    vias = "".join("Via: %s\r\n" % v for v in re.findall(r"^Via:\s*(.*?)\r$", head, re.M | re.I))
    sock.sendto(("SIP/2.0 200 OK\r\n%sFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n"
                 "Content-Length: 0\r\n\r\n" % (vias, hdr(head, "From"), hdr(head, "To"),
                                                 cid, hdr(head, "CSeq"))).encode(), SERVER)
    if not first.startswith("NOTIFY") or not cid.startswith("order-w"):
        return
    i = int(cid[7:])
    cseq = int(hdr(head, "CSeq").split()[0])
    if cseq in seen[i]:
        return  # a retransmission
    seen[i].add(cseq)
    notifies[i].append((cseq, frozenset(TUPLE.findall(body))))


def pump(until, done):
    while not done():
        left = until - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([sock], [], [], min(left, 0.05))
        while r:
            try:
                handle(sock.recv(65535, socket.MSG_DONTWAIT))
            except BlockingIOError:
                break
    return True


for i in range(W):
    send_sub(i)
if not pump(time.monotonic() + 10, lambda: len(sub_ok) == W and all(notifies[i] for i in range(W))):
    print("set-up: %d/%d subscribed" % (len(sub_ok), W))
    sys.exit(2)
t0 = time.monotonic()
for d in range(D):
    send_pub(d)
    while time.monotonic() < t0 + SPREAD * (d + 1) / D:
        pump(t0 + SPREAD * (d + 1) / D, lambda: False)
full = frozenset("d%d" % d for d in range(D))
pump(time.monotonic() + 20, lambda: len(pub_codes) == D and all(
    notifies[i][-1][1] == full for i in range(W)))
bad = 0
print("publishes: %d sent within %.3f s, replies %s" % (
    D, SPREAD, sorted(set(pub_codes.values()))))
if len(pub_codes) != D or set(pub_codes.values()) != {200}:
    bad += 1
for i in range(W):
    got = notifies[i]
    for (c0, t0_), (c1, t1) in zip(got, got[1:]):
        if c1 <= c0:
            print("watcher %d: CSeq %d arrived after %d" % (i, c1, c0))
            bad += 1
        if not t0_ <= t1:
            print("watcher %d: CSeq %d has %d tuples, older than CSeq %d's %d" % (
                i, c1, len(t1), c0, len(t0_)))
            bad += 1
    if got[-1][1] != full:
        print("watcher %d: last NOTIFY has %d of %d tuples" % (i, len(got[-1][1]), D))
        bad += 1
    print("watcher %d: %d NOTIFYs, CSeq %d..%d" % (i, len(got), got[0][0], got[-1][0]))
sys.exit(1 if bad else 0)
