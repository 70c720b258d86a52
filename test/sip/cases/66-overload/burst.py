#!/usr/bin/env python3
"""A burst of initial SUBSCRIBEs and PUBLISHes, all sent before Kamailio
can answer the first, then every reply collected.

usage: burst.py PORT N TAG [FLOOD [SECS [PACED [ALIGN]]]]

With FLOOD, first FLOOD OPTIONS are sent back to back, more than the
socket's receive buffer holds, so the kernel drops some of them (an
overflowed queue), then, once they are answered or 0.5 s has passed, the
burst. With SECS, floods like that are repeated for SECS seconds (an
overload that lasts), each followed by one initial PUBLISH of
sip:ovq<TAG>-<k>@127.0.0.1 whose reply is awaited (so that Kamailio's
worker looks at the socket's drop count after every flood; its reply,
200 or 503, is printed as "probe CODE COUNT", not counted with the
burst). With PACED, each flood is followed by PACED more OPTIONS, at most
20 of them unanswered at a time, so that none is dropped: the floods then
lose a small share of what reaches the socket. The OPTIONS' replies are
not counted. With ALIGN 1, each flood starts just after the clock's
second turns (Kamailio measures the loss per second of that clock, and
counts only an interval from one second to the next), after a first probe
late in the second before: with SECS 1, one flood in each of two
consecutive seconds, each followed by its probe in the same second, then
the burst.

One UDP socket sends N initial SUBSCRIBEs (each its own dialog, watchers
w<TAG>-<i> of sip:ov<TAG>@127.0.0.1) and N initial PUBLISHes (presentities
sip:ovp<TAG>-<i>@127.0.0.1) back to back, then reads until every request
has its final reply (at most 10 s), answering every NOTIFY 200. Prints
one line "subscribe CODE COUNT" / "publish CODE COUNT" per reply code,
"retry_after V COUNT" per Retry-After value of a 503, "notifies K" (the
dialogs with a NOTIFY in state "active": one per accepted SUBSCRIBE), "unanswered U".
Exit 0 when every request was answered, 1 otherwise.
"""
import collections
import os
import re
import select
import socket
import sys
import time

port, N, TAG = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
FLOOD = int(sys.argv[4]) if len(sys.argv) > 4 else 0
SECS = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
PACED = int(sys.argv[6]) if len(sys.argv) > 6 else 0
ALIGN = len(sys.argv) > 7 and sys.argv[7] == "1"
SERVER = ("127.0.0.1", port)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
sock.bind(("127.0.0.1", 0))
LPORT = sock.getsockname()[1]


def hdr(text, name):
    m = re.search(r"^%s:\s*(.*?)\r$" % name, text, re.M | re.I)
    return m.group(1) if m else ""


def subscribe(i):
    return ("SUBSCRIBE sip:ov%s@127.0.0.1 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKov%s-s%d\r\n"
            "From: <sip:w%s-%d@127.0.0.1>;tag=wt%d\r\n"
            "To: <sip:ov%s@127.0.0.1>\r\nCall-ID: ov%s-s%d\r\n"
            "CSeq: 1 SUBSCRIBE\r\nMax-Forwards: 70\r\n"
            "Contact: <sip:w%s-%d@127.0.0.1:%d>\r\nEvent: presence\r\n"
            "Accept: application/pidf+xml\r\nExpires: 120\r\n"
            "Content-Length: 0\r\n\r\n") % (
        TAG, LPORT, TAG, i, TAG, i, i, TAG, TAG, i, TAG, i, LPORT)


def publish(i, kind="p"):
    body = ('<?xml version="1.0" encoding="UTF-8"?>\r\n'
            '<presence xmlns="urn:ietf:params:xml:ns:pidf" '
            'entity="sip:ov%s%s-%d@127.0.0.1"><tuple id="t1"><status>'
            '<basic>open</basic></status></tuple></presence>\r\n') % (
        kind, TAG, i)
    return ("PUBLISH sip:ov%s%s-%d@127.0.0.1 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKov%s-%s%d\r\n"
            "From: <sip:ov%s%s-%d@127.0.0.1>;tag=pt%d\r\n"
            "To: <sip:ov%s%s-%d@127.0.0.1>\r\nCall-ID: ov%s-%s%d\r\n"
            "CSeq: 1 PUBLISH\r\nMax-Forwards: 70\r\nEvent: presence\r\n"
            "Expires: 120\r\nContent-Type: application/pidf+xml\r\n"
            "Content-Length: %d\r\n\r\n%s") % (
        kind, TAG, i, LPORT, TAG, kind, i, kind, TAG, i, i, kind, TAG, i,
        TAG, kind, i, len(body.encode()), body)


def options(i, kind="fl"):
    return ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s%s-%d\r\n"
            "From: <sip:flood@127.0.0.1>;tag=fl%d\r\nTo: <sip:127.0.0.1>\r\n"
            "Call-ID: %s%s-%d\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n") % (port, LPORT, kind, TAG, i, i,
                                            kind, TAG, i)


def flood(k):
    """FLOOD OPTIONS back to back (made first: sent as fast as the socket
    takes them; with ALIGN half of them by a second process at the same
    time, so that the loss is heavy whichever cores the senders and
    Kamailio's worker get); their replies (at most 0.5 s)"""
    msgs = [options(k * FLOOD + i).encode() for i in range(FLOOD)]
    child = os.fork() if ALIGN else -1
    if child == 0:
        other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for m in msgs[FLOOD // 2:]:
            other.sendto(m, SERVER)
        os._exit(0)
    for m in msgs[:FLOOD // 2] if child > 0 else msgs:
        sock.sendto(m, SERVER)
    if child > 0:
        os.waitpid(child, 0)
    got, end = 0, time.monotonic() + 0.5
    while got < FLOOD and time.monotonic() < end:
        r, _, _ = select.select([sock], [], [], 0.05)
        if r:
            sock.recvfrom(65535)
            got += 1
    return got


def paced(k):
    """PACED OPTIONS, at most 20 unanswered (at most 5 s); their replies"""
    sent, got, end = 0, 0, time.monotonic() + 5.0
    while got < PACED and time.monotonic() < end:
        while sent < PACED and sent - got < 20:
            sock.sendto(options(k * PACED + sent, "pc").encode(), SERVER)
            sent += 1
        r, _, _ = select.select([sock], [], [], 0.05)
        if r:
            sock.recvfrom(65535)
            got += 1
    return got


def datagrams(secs, step=0.05):
    """(text, addr) of each datagram that comes within secs"""
    end = time.monotonic() + secs
    while time.monotonic() < end:
        r, _, _ = select.select([sock], [], [], step)
        if r:
            data, addr = sock.recvfrom(65535)
            yield data.decode("utf-8", "replace"), addr


def answer_notify(text, addr):
    """200 OK to the NOTIFY text from addr"""
    sock.sendto(("SIP/2.0 200 OK\r\n" + "".join(
        "%s: %s\r\n" % (h, hdr(text, h))
        for h in ("Via", "From", "To", "Call-ID", "CSeq")) +
        "Content-Length: 0\r\n\r\n").encode(), addr)


def await_reply(cid, secs):
    """the final reply of Call-ID cid: (code, text); (0, "") when none
    within secs; NOTIFYs answered 200 meanwhile"""
    for text, addr in datagrams(secs):
        first = text.split("\r\n", 1)[0]
        if first.startswith("NOTIFY "):
            answer_notify(text, addr)
        elif first.startswith("SIP/2.0 ") and hdr(text, "Call-ID") == cid \
                and int(first.split()[1]) >= 200:
            return int(first.split()[1]), text
    return 0, ""


def await_final(cid, secs):
    """the final reply code of Call-ID cid (0: none within secs)"""
    return await_reply(cid, secs)[0]


def probe(k):
    """one initial PUBLISH; its final reply code (0: none within 1 s)"""
    sock.sendto(publish(k, "q").encode(), SERVER)
    return await_final("ov%s-q%d" % (TAG, k), 1.0)


def sleep_until(wall):
    """sleeps until the wall clock (time.time()) reads wall"""
    while time.time() < wall:
        time.sleep(wall - time.time())


# HANDOVER=1 (with ALIGN): an initial PUBLISH accepted before the floods
# (its first reply kept) is sent again as it was after every HSTEP
# requests of the burst, so that some copies find the queue full and new
# state refused: retransmissions of a request tm holds a transaction for
# (its wait timer keeps it 5 s; this one is about 2 s old). Their replies
# are printed as "handover CODE SAME COUNT", SAME 1 when the reply carries
# the first reply's SIP-ETag (tm sent that reply again), not counted with
# the burst; "handover copies K" the copies sent.
HANDOVER = os.environ.get("HANDOVER") == "1" and ALIGN
HCID = "ov%s-h0" % TAG
HSTEP = 20
first_h = (0, "")

if FLOOD:
    probes = collections.Counter()
    if ALIGN:
        sleep_until(int(time.time()) + 1.9)
        if HANDOVER:
            sock.sendto(publish(0, "h").encode(), SERVER)
            first_h = await_reply(HCID, 1.0)
            print("handover first %d" % first_h[0])
        probes[probe(-1)] += 1
        sleep_until(int(time.time()) + 1.02)
    start, k = time.time(), 0
    while True:
        if ALIGN and k:
            sleep_until(int(time.time()) + 1.02)
        got = flood(k)
        if not SECS:
            break
        if PACED:
            paced(k)
        probes[probe(k)] += 1
        k += 1
        if time.time() - start >= SECS:
            break
    print("flood %d x %d answered %d (last)" % (FLOOD, max(k, 1), got))
    for c, n in sorted(probes.items()):
        print("probe %d %d" % (c, n))

msgs = []
for i in range(N):
    msgs.append(subscribe(i).encode())
    msgs.append(publish(i).encode())
copies = 0
if HANDOVER:
    with_copies = []
    for i, m in enumerate(msgs):
        if i % HSTEP == 0:
            with_copies.append(publish(0, "h").encode())
            copies += 1
        with_copies.append(m)
    msgs = with_copies
    print("handover copies %d" % copies)
for m in msgs:
    sock.sendto(m, SERVER)

handover = []              # (code, text) of each reply to a hand-over copy
final = {}                 # Call-ID -> (method, code, retry-after)
notified = set()          # Call-IDs with an "active" NOTIFY
deadline = time.monotonic() + 10
while len(final) < 2 * N and time.monotonic() < deadline:
    r, _, _ = select.select([sock], [], [], 0.2)
    if not r:
        continue
    data, addr = sock.recvfrom(65535)
    text = data.decode("utf-8", "replace")
    first = text.split("\r\n", 1)[0]
    if first.startswith("NOTIFY "):
        if "active" in hdr(text, "Subscription-State"):
            notified.add(hdr(text, "Call-ID"))
        answer_notify(text, addr)
        continue
    if not first.startswith("SIP/2.0 "):
        continue
    code = int(first.split()[1])
    if code < 200:
        continue
    method = hdr(text, "CSeq").split()[-1].lower()
    if method == "options":
        continue
    if hdr(text, "Call-ID") == HCID:
        handover.append((code, text))
        continue
    final[hdr(text, "Call-ID")] = (method, code, hdr(text, "Retry-After"))
if HANDOVER:
    while len(handover) < copies:
        reply = await_reply(HCID, 1.0)
        if not reply[0]:
            break
        handover.append(reply)
    etag = hdr(first_h[1], "SIP-ETag")
    hc = collections.Counter(
        (c, int(bool(etag) and hdr(t, "SIP-ETag") == etag)) for c, t in handover)
    for (c, same), k in sorted(hc.items()):
        print("handover %d %d %d" % (c, same, k))

counts = collections.Counter((m, c) for m, c, _ in final.values())
for (m, c), k in sorted(counts.items()):
    print("%s %d %d" % (m, c, k))
ra = collections.Counter(r for _, c, r in final.values() if c == 503)
for v, k in sorted(ra.items()):
    print("retry_after %s %d" % (v or "-", k))
# NOTIFYs of the accepted subscriptions may still come in: a short wait
for text, addr in datagrams(1.0, 0.1):
    if text.startswith("NOTIFY ") and "active" in hdr(text, "Subscription-State"):
        notified.add(hdr(text, "Call-ID"))
print("notifies %d" % len(notified))
print("unanswered %d" % (2 * N - len(final)))


# RESEND=1: the first refused SUBSCRIBE and PUBLISH sent again as they
# were (a retransmission: same Call-ID, CSeq and branch), then as a new
# transaction (another branch and CSeq 2, as a client retrying after
# Retry-After does); the overload is over by then
if os.environ.get("RESEND") == "1":
    for kind, make in (("subscribe", subscribe), ("publish", publish)):
        refused = sorted(i for i in range(N) if final.get(
            "ov%s-%s%d" % (TAG, kind[0], i), ("", 0))[1] == 503)
        if not refused:
            continue
        i, cid = refused[0], "ov%s-%s%d" % (TAG, kind[0], refused[0])
        msg = make(i)
        sock.sendto(msg.encode(), SERVER)
        print("resent %s %d" % (kind, await_final(cid, 2.0)))
        msg = msg.replace(";branch=z9hG4bK", ";branch=z9hG4bKretry", 1)
        msg = msg.replace("CSeq: 1 ", "CSeq: 2 ", 1)
        sock.sendto(msg.encode(), SERVER)
        print("retried %s %d" % (kind, await_final(cid, 2.0)))
sys.exit(0 if len(final) == 2 * N else 1)
