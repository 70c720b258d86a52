#!/usr/bin/env python3
"""A fan-out through the NOTIFY senders, raced by refresh SUBSCRIBEs.

One UDP socket plays W watchers of one presentity (each its own dialog).
Once every watcher has its first NOTIFY, one PUBLISH changes the state
(its note is a fresh marker); as soon as its 200 arrives (the reply leaves
before the fan-out is queued) every watcher sends an in-dialog refresh
SUBSCRIBE, so the refreshes' NOTIFYs are made on other workers while the
fan-out's NOTIFYs of the same dialogs are still queued. Every NOTIFY is
answered 200 at once. Waits (bounded) until every watcher has had its
refresh answered and holds both later NOTIFYs, then checks each watcher's
NOTIFYs in the order they arrived: CSeq rising, every one after the first
carries the marker (none older than the PUBLISH), and the fan-out reached
every watcher. Prints one line per finding; exit 0 when everything held,
1 otherwise, 2 when the set-up failed.
"""
import re
import select
import socket
import sys
import time

port, W = int(sys.argv[1]), int(sys.argv[2])
SERVER = ("127.0.0.1", port)
PRES = "sip:fan@127.0.0.1"
MARK = "mark-%d" % int(time.time() * 1000)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
sock.bind(("127.0.0.1", 0))
LPORT = sock.getsockname()[1]


def hdr(text, name):
    m = re.search(r"^%s:\s*(.*?)\r$" % name, text, re.M | re.I)
    return m.group(1) if m else ""


totag = {}


def send_sub(i, cseq):
    to = "<%s>" % PRES + (";tag=%s" % totag[i] if cseq > 1 else "")
    sock.sendto(((
        "SUBSCRIBE %s SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKs%d-%d\r\n"
        "From: <sip:w%d@127.0.0.1>;tag=wt%d\r\nTo: %s\r\nCall-ID: snd-w%d\r\n"
        "CSeq: %d SUBSCRIBE\r\nMax-Forwards: 70\r\n"
        "Contact: <sip:w%d@127.0.0.1:%d>\r\nEvent: presence\r\n"
        "Accept: application/pidf+xml\r\nExpires: 120\r\n"
        "Content-Length: 0\r\n\r\n") % (PRES, LPORT, i, cseq, i, i, to, i,
                                         cseq, i, LPORT)).encode(), SERVER)


def send_pub():
    body = ('<?xml version="1.0" encoding="UTF-8"?>\r\n'
            '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="%s">'
            '<tuple id="t1"><status><basic>open</basic></status>'
            '<note>%s</note></tuple></presence>\r\n') % (PRES, MARK)
    sock.sendto(((
        "PUBLISH %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKp1\r\n"
        "From: <%s>;tag=dev1\r\nTo: <%s>\r\nCall-ID: snd-pub\r\n"
        "CSeq: 1 PUBLISH\r\nMax-Forwards: 70\r\nEvent: presence\r\n"
        "Expires: 120\r\nContent-Type: application/pidf+xml\r\n"
        "Content-Length: %d\r\n\r\n%s") % (
        PRES, LPORT, PRES, PRES, len(body), body)).encode(), SERVER)


notifies = {i: [] for i in range(W)}   # arrival order: (cseq, has marker)
seen = {i: set() for i in range(W)}
sub_codes = {1: {}, 2: {}}              # CSeq -> {watcher: code}
pub_code = []


def handle(data):
    text = data.decode("utf-8", "replace")
    head, _, body = text.partition("\r\n\r\n")
    head += "\r\n"
    first = head.split("\r\n", 1)[0]
    cid = hdr(head, "Call-ID")
    if first.startswith("SIP/2.0"):
        code = int(first.split()[1])
        if code < 200:
            return
        if cid == "snd-pub":
            pub_code.append(code)
        elif cid.startswith("snd-w"):
            i = int(cid[5:])
            n = int(hdr(head, "CSeq").split()[0])
            sub_codes[n][i] = code
            m = re.search(r";\s*tag=([^;>\s]+)", hdr(head, "To"))
            if m and i not in totag:
                totag[i] = m.group(1)
        return
    vias = "".join("Via: %s\r\n" % v for v in
                   re.findall(r"^Via:\s*(.*?)\r$", head, re.M | re.I))
    sock.sendto(("SIP/2.0 200 OK\r\n%sFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
                 "CSeq: %s\r\nContent-Length: 0\r\n\r\n" % (
                     vias, hdr(head, "From"), hdr(head, "To"), cid,
                     hdr(head, "CSeq"))).encode(), SERVER)
    if not first.startswith("NOTIFY") or not cid.startswith("snd-w"):
        return
    i = int(cid[5:])
    if i not in totag:  # the NOTIFY before the 2xx: its From tag
        m = re.search(r";\s*tag=([^;>\s]+)", hdr(head, "From"))
        if m:
            totag[i] = m.group(1)
    cseq = int(hdr(head, "CSeq").split()[0])
    if cseq in seen[i]:
        return  # a retransmission
    seen[i].add(cseq)
    notifies[i].append((cseq, MARK in body))


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
    send_sub(i, 1)
if not pump(time.monotonic() + 15, lambda: len(sub_codes[1]) == W
            and all(notifies[i] for i in range(W))):
    print("set-up: %d/%d subscribed" % (len(sub_codes[1]), W))
    sys.exit(2)
if set(sub_codes[1].values()) != {200} or len(totag) != W:
    print("set-up: SUBSCRIBE replies %s" % sorted(set(sub_codes[1].values())))
    sys.exit(2)
send_pub()
pump(time.monotonic() + 5, lambda: pub_code)
for i in range(W):
    send_sub(i, 2)
ok = pump(time.monotonic() + 20, lambda: len(sub_codes[2]) == W and all(
    sum(1 for _, m in notifies[i] if m) >= 2 for i in range(W)))
bad = 0
print("PUBLISH -> %s; refreshes answered %s" % (
    pub_code, sorted(set(sub_codes[2].values()))))
if pub_code != [200] or set(sub_codes[2].values()) != {200} \
        or len(sub_codes[2]) != W:
    bad += 1
late = 0
for i in range(W):
    got = notifies[i]
    for (c0, _), (c1, m1) in zip(got, got[1:]):
        if c1 <= c0:
            print("watcher %d: CSeq %d arrived after %d" % (i, c1, c0))
            bad += 1
        if not m1:
            print("watcher %d: CSeq %d carries the state before the PUBLISH"
                  " after CSeq %d" % (i, c1, c0))
            bad += 1
    marked = sum(1 for _, m in got if m)
    if marked < 2:
        print("watcher %d: %d NOTIFYs with the new state (want the"
              " fan-out's and the refresh's)" % (i, marked))
        bad += 1
print("%d watchers: %d NOTIFYs in all, all in CSeq order and never older"
      " state: %s" % (W, sum(len(v) for v in notifies.values()),
                      "yes" if bad == 0 else "no"))
sys.exit(1 if bad else 0)
