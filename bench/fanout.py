#!/usr/bin/env python3
"""NOTIFY fan-out benchmark: N watchers of one presentity, then one PUBLISH.

One UDP socket plays every watcher (each its own dialog, From tag, Call-ID
and Contact user).  Every datagram is timed by the kernel as it is queued
on the socket (SO_TIMESTAMPNS, CLOCK_REALTIME; the PUBLISH's send time is
taken with the same clock), so the tool's own work is not inside the
figures.  While the PUBLISH's fan-out runs the tool does as little as it
can: it reads (and times) every datagram waiting, then answers each NOTIFY
with a 200 OK made from the raw bytes (well within T1, so tm does not
retransmit), and parses and books them only after the fan-out.  Datagrams
the kernel dropped for a full receive buffer are counted (SO_RXQ_OVFL).

  1. subscribe: N SUBSCRIBEs (Expires 600) at most WINDOW outstanding,
     each retried up to RETRIES times on a non-2xx reply or after a 4 s
     silence; waits until every subscribed dialog got its first NOTIFY.
  2. publish: one initial PUBLISH for the presentity (its PIDF note is a
     fresh marker); the clock runs from just before its sendto() until the
     NOTIFY carrying the marker has arrived in every subscribed dialog.
  3. unsubscribe: Expires 0 in every dialog, answering the final NOTIFYs.

Every phase is bounded in time.  Prints one JSON object (the figures) on
stdout; progress goes to stderr.
"""
import argparse
import json
import os
import select
import socket
import struct
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--server", required=True, help="host:port of Kamailio")
ap.add_argument("--watchers", type=int, default=1000)
ap.add_argument("--presentity", default="sip:fanout@127.0.0.1")
ap.add_argument("--window", type=int, default=100)
ap.add_argument("--retries", type=int, default=3)
ap.add_argument("--phase-timeout", type=float, default=30.0)
ap.add_argument("--tag", default="fan")
ap.add_argument("--publish-server", default=None,
                help="host:port to send the PUBLISH to (default --server: "
                "another DMQ node, whose publication reaches the watchers' "
                "node by replication)")
ap.add_argument("--times", default=None,
                help="write each dialog's ms from the PUBLISH to its NOTIFY "
                "with the new state to this file, one per line, sorted")
ap.add_argument("--pause", type=float, default=0.0,
                help="seconds to wait between the subscribe phase and the "
                "PUBLISH (time for a profiler to attach, or to run "
                "refreshWatchers); NOTIFYs that arrive meanwhile are "
                "answered")
args = ap.parse_args()

host, port = args.server.rsplit(":", 1)
SERVER = (host, int(port))
if args.publish_server:
    phost, pport = args.publish_server.rsplit(":", 1)
    PUB_SERVER = (phost, int(pport))
else:
    PUB_SERVER = SERVER
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for opt, force in ((socket.SO_RCVBUF, 33), (socket.SO_SNDBUF, 32)):
    try:    # SO_RCVBUFFORCE / SO_SNDBUFFORCE: past rmem_max when allowed
        sock.setsockopt(socket.SOL_SOCKET, force, 16 << 20)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, opt, 16 << 20)
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
SO_RXQ_OVFL = 40
sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
try:
    sock.setsockopt(socket.SOL_SOCKET, SO_RXQ_OVFL, 1)
except OSError:
    pass
sock.bind(("127.0.0.1", 0))
LIP, LPORT = sock.getsockname()
PRES = args.presentity
TAG = "%s%d" % (args.tag, os.getpid())
now = time.monotonic     # phase time-outs, SUBSCRIBE retries
wall = time.time         # the clock of the kernel's receive time stamps
drops = [0]              # the socket's kernel drop counter (last seen)


def recv_ts():
    """one datagram -> (data, kernel receive time), or None (none waiting)"""
    try:
        data, anc, _, _ = sock.recvmsg(65535, 256, socket.MSG_DONTWAIT)
    except BlockingIOError:
        return None
    t = None
    for lvl, typ, cd in anc:
        if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
            sec, nsec = struct.unpack("qq", cd[:16])
            t = sec + nsec * 1e-9
        elif lvl == socket.SOL_SOCKET and typ == SO_RXQ_OVFL:
            drops[0] = struct.unpack("I", cd[:4])[0]
    return data, (t if t is not None else wall())


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def parse(data):
    """-> (first line, {lower-case name: [values]}, body)"""
    text = data.decode("utf-8", "replace")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    hdrs = {}
    compact = {"v": "via", "f": "from", "t": "to", "i": "call-id",
               "m": "contact", "l": "content-length", "c": "content-type",
               "o": "event"}
    for ln in lines[1:]:
        if ":" not in ln:
            continue
        n, v = ln.split(":", 1)
        n = n.strip().lower()
        n = compact.get(n, n)
        hdrs.setdefault(n, []).append(v.strip())
    return lines[0], hdrs, body


def tag_of(v):
    for p in v.split(";")[1:]:
        p = p.strip()
        if p.lower().startswith("tag="):
            return p[4:].strip().rstrip(">")
    return ""


class Dialog:
    __slots__ = ("i", "callid", "ftag", "totag", "cseq", "state", "tries",
                 "sent_at", "notifies", "seen", "t_marker", "final")

    def __init__(self, i):
        self.i = i
        self.callid = "%s-%d@%s" % (TAG, i, LIP)
        self.ftag = "%sw%d" % (TAG, i)
        self.totag = ""
        self.cseq = 0
        self.state = "new"      # new, pending, ok, failed, unsub, done
        self.tries = 0
        self.sent_at = 0.0
        self.notifies = 0
        self.seen = set()
        self.t_marker = None
        self.final = False


dialogs = [Dialog(i) for i in range(1, args.watchers + 1)]
by_callid = {d.callid: d for d in dialogs}
codes = {}          # reply code of SUBSCRIBE attempts -> count
unsub_codes = {}
branch_n = [0]
publish = {"callid": "%s-publish@%s" % (TAG, LIP), "code": None,
           "t_reply": None}
MARKER = "fanout-%s-%d" % (TAG, int(time.time()))
t_pub = [None]
dup_notifies = [0]
stray = [0]


def send_subscribe(d, expires):
    d.cseq += 1
    branch_n[0] += 1
    user = "w%s-%d" % (TAG, d.i)
    to = "<%s>" % PRES + (";tag=%s" % d.totag if d.totag else "")
    msg = ("SUBSCRIBE %s SIP/2.0\r\n"
           "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s%d\r\n"
           "From: <sip:%s@127.0.0.1>;tag=%s\r\n"
           "To: %s\r\n"
           "Call-ID: %s\r\n"
           "CSeq: %d SUBSCRIBE\r\n"
           "Max-Forwards: 70\r\n"
           "Contact: <sip:%s@%s:%d>\r\n"
           "Event: presence\r\n"
           "Accept: application/pidf+xml\r\n"
           "Expires: %d\r\n"
           "Content-Length: 0\r\n\r\n") % (
        PRES, LIP, LPORT, TAG, branch_n[0], user, d.ftag, to, d.callid,
        d.cseq, user, LIP, LPORT, expires)
    sock.sendto(msg.encode(), SERVER)
    d.sent_at = now()


def send_publish():
    body = ('<?xml version="1.0" encoding="UTF-8"?>\r\n'
            '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="%s">\r\n'
            '<tuple id="t1"><status><basic>open</basic></status>'
            '<note>%s</note></tuple>\r\n</presence>\r\n') % (PRES, MARKER)
    msg = ("PUBLISH %s SIP/2.0\r\n"
           "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%spub\r\n"
           "From: <%s>;tag=%spub\r\n"
           "To: <%s>\r\n"
           "Call-ID: %s\r\n"
           "CSeq: 1 PUBLISH\r\n"
           "Max-Forwards: 70\r\n"
           "Event: presence\r\n"
           "Expires: 600\r\n"
           "Content-Type: application/pidf+xml\r\n"
           "Content-Length: %d\r\n\r\n%s") % (
        PRES, LIP, LPORT, TAG, PRES, TAG, PRES, publish["callid"],
        len(body.encode()), body)
    msg = msg.encode()
    t_pub[0] = wall()
    sock.sendto(msg, PUB_SERVER)


def answer(hdrs):
    out = ["SIP/2.0 200 OK"]
    for v in hdrs.get("via", []):
        out.append("Via: " + v)
    for n, name in (("from", "From"), ("to", "To"), ("call-id", "Call-ID"),
                    ("cseq", "CSeq")):
        if n in hdrs:
            out.append("%s: %s" % (name, hdrs[n][0]))
    out.append("Content-Length: 0")
    sock.sendto(("\r\n".join(out) + "\r\n\r\n").encode(), SERVER)


def handle(data, t, reply=True):
    first, hdrs, body = parse(data)
    callid = hdrs.get("call-id", [""])[0]
    if first.startswith("SIP/2.0"):
        code = int(first.split()[1])
        if code < 200:
            return
        if callid == publish["callid"]:
            if publish["code"] is None:
                publish["code"] = code
                publish["t_reply"] = t
            return
        d = by_callid.get(callid)
        if d is None:
            stray[0] += 1
            return
        if d.state == "pending":
            codes[code] = codes.get(code, 0) + 1
            if 200 <= code < 300:
                d.totag = tag_of(hdrs.get("to", [""])[0])
                d.state = "ok"
            else:
                d.state = "retry"
        elif d.state == "unsub":
            unsub_codes[code] = unsub_codes.get(code, 0) + 1
            d.state = "done" if 200 <= code < 300 else "unsub-failed"
        return
    # a request: NOTIFY (anything else gets a 200 too, and is counted)
    if reply:
        answer(hdrs)
    d = by_callid.get(callid)
    if d is None or not first.startswith("NOTIFY"):
        stray[0] += 1
        return
    cseq = hdrs.get("cseq", [""])[0]
    if cseq in d.seen:
        dup_notifies[0] += 1
        return
    d.seen.add(cseq)
    d.notifies += 1
    if not d.totag:   # NOTIFY before the 2xx: its From tag is our To tag
        d.totag = tag_of(hdrs.get("from", [""])[0])
    if t_pub[0] is not None and d.t_marker is None and MARKER in body:
        d.t_marker = t
    ss = hdrs.get("subscription-state", [""])[0].lower()
    if ss.startswith("terminated"):
        d.final = True


def pump(until, done):
    """receive and handle until done() or the monotonic time until."""
    while not done():
        left = until - now()
        if left <= 0:
            return False
        r, _, _ = select.select([sock], [], [], min(left, 0.05))
        if not r:
            if tick is not None:
                tick()
            continue
        while True:
            r = recv_ts()
            if r is None:
                break
            handle(*r)
        if tick is not None:
            tick()
    return True


tick = None
res = {"watchers": args.watchers, "server": args.server}

# ---- phase 1: subscribe
t1 = now()
queue = list(dialogs)
pending = set()


def sub_tick():
    t = now()
    for d in list(pending):
        if d.state == "pending" and t - d.sent_at > 4.0:
            d.state = "retry"
            codes["timeout"] = codes.get("timeout", 0) + 1
        if d.state != "pending":
            pending.discard(d)
            if d.state == "retry":
                if d.tries < 1 + args.retries:
                    queue.append(d)
                else:
                    d.state = "failed"
    while queue and len(pending) < args.window:
        d = queue.pop(0)
        d.tries += 1
        d.state = "pending"
        send_subscribe(d, 600)
        pending.add(d)


tick = sub_tick
tick()
end = t1 + args.phase_timeout
pump(end, lambda: not queue and not pending)
ok = [d for d in dialogs if d.state == "ok"]
pump(end, lambda: all(d.notifies >= 1 for d in ok))
res["subscribe_s"] = round(now() - t1, 3)
res["subscribed"] = len(ok)
res["subscribe_replies"] = {str(k): v for k, v in sorted(codes.items(),
                                                          key=str)}
res["subscribe_attempts"] = sum(d.tries for d in dialogs)
res["initial_notifies"] = sum(1 for d in ok if d.notifies >= 1)
log("fanout: %d/%d subscribed in %.2fs, replies %s" % (
    len(ok), args.watchers, res["subscribe_s"], res["subscribe_replies"]))
if args.pause > 0:  # NOTIFYs meanwhile (refreshWatchers ...) answered
    tick = None
    pump(now() + args.pause, lambda: False)

# ---- phase 2: one PUBLISH, time until every subscribed dialog has the
# NOTIFY carrying the new document
tick = None
MARK_B = MARKER.encode()
PUB_CID = publish["callid"].encode()
ANSWER_HDRS = (b"via", b"v", b"from", b"f", b"to", b"t", b"call-id", b"i",
               b"cseq")
kept = []           # (data, time) read during the fan-out, booked after it
marked = set()      # Call-IDs of the NOTIFYs carrying the marker
publish_seen = [False]
bursts = [0]
most_read = [0]


def quick_answer(data):
    """200 OK to a request from its raw bytes -> its Call-ID (bytes), or
    None for a reply (nothing sent)."""
    if data.startswith(b"SIP/2.0"):
        return None
    head = data[:data.find(b"\r\n\r\n")].split(b"\r\n")
    out = [b"SIP/2.0 200 OK"]
    cid = b""
    for ln in head[1:]:
        c = ln.find(b":")
        n = ln[:c].strip().lower()
        if n in ANSWER_HDRS:
            out.append(ln)
            if n == b"call-id" or n == b"i":
                cid = ln[c + 1:].strip()
    out.append(b"Content-Length: 0\r\n\r\n")
    sock.sendto(b"\r\n".join(out), SERVER)
    return cid


drops0 = drops[0]
cpu0 = time.process_time()
send_publish()
end = now() + args.phase_timeout
while now() < end and not (len(marked) >= len(ok) and publish_seen[0]):
    r, _, _ = select.select([sock], [], [], 0.01)
    if not r:
        continue
    burst = []
    while True:     # first read (and so time) everything waiting
        x = recv_ts()
        if x is None:
            break
        burst.append(x)
    bursts[0] += 1
    most_read[0] = max(most_read[0], len(burst))
    for data, t in burst:   # then answer it
        cid = quick_answer(data)
        if cid is None:
            publish_seen[0] = publish_seen[0] or PUB_CID in data
        elif MARK_B in data:
            marked.add(cid)
    kept.extend(burst)
res["tool_cpu_ms_during_fanout"] = round(
    (time.process_time() - cpu0) * 1000, 1)
for data, t in kept:    # the bookkeeping, after the fan-out
    handle(data, t, False)
res["rx_bursts"] = bursts[0]
res["rx_largest_burst"] = most_read[0]
res["kernel_drops_during_fanout"] = drops[0] - drops0
res["rcvbuf"] = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
res["clock"] = "kernel SO_TIMESTAMPNS (CLOCK_REALTIME)"
got = sorted(d.t_marker - t_pub[0] for d in ok if d.t_marker is not None)
if args.times:
    with open(args.times, "w") as f:
        f.writelines("%.3f\n" % (g * 1000) for g in got)
res["publish_code"] = publish["code"]
res["publish_reply_ms"] = (round((publish["t_reply"] - t_pub[0]) * 1000, 2)
                           if publish["t_reply"] else None)
res["notifies_with_new_state"] = len(got)
res["first_notify_ms"] = round(got[0] * 1000, 2) if got else None
res["last_notify_ms"] = round(got[-1] * 1000, 2) if got else None
res["complete"] = len(got) == len(ok) == args.watchers
for q in (50, 90, 99):
    res["p%d_ms" % q] = (round(got[min(len(got) - 1, len(got) * q // 100)]
                         * 1000, 2) if got else None)
log("fanout: PUBLISH -> %s in %s ms; %d NOTIFYs with the new state, "
    "last after %s ms" % (publish["code"], res["publish_reply_ms"],
                          len(got), res["last_notify_ms"]))

# let the retransmissions of NOTIFYs whose 200 Kamailio lost come in (until
# 300 ms pass without a message, at most 3 s) before tearing down
last_rx = [wall()]
_handle = handle


def handle(data, t):
    last_rx[0] = t
    _handle(data, t)


tq = now()
pump(tq + 3.0, lambda: wall() - last_rx[0] > 0.3)
res["notify_retransmissions_after_publish"] = dup_notifies[0]

# ---- phase 3: unsubscribe every dialog (windowed like phase 1, a lost
# reply retried after 4 s), answer the final NOTIFYs
t3 = now()
uqueue = list(ok)
upending = set()


def unsub_tick():
    t = now()
    for d in list(upending):
        if d.state == "unsub" and t - d.sent_at > 4.0:
            unsub_codes["timeout"] = unsub_codes.get("timeout", 0) + 1
            if d.tries < 1 + args.retries:
                d.tries += 1
                send_subscribe(d, 0)
            else:
                d.state = "unsub-failed"
        if d.state != "unsub":
            upending.discard(d)
    while uqueue and len(upending) < args.window:
        d = uqueue.pop(0)
        d.state = "unsub"
        d.tries = 1
        send_subscribe(d, 0)
        upending.add(d)


tick = unsub_tick
tick()
end = t3 + args.phase_timeout
pump(end, lambda: not uqueue and not upending and all(d.final for d in ok))
res["unsubscribe_replies"] = {str(k): v for k, v in sorted(
    unsub_codes.items(), key=str)}
res["final_notifies"] = sum(1 for d in ok if d.final)
res["unsubscribe_s"] = round(now() - t3, 3)
res["duplicate_notifies_total"] = dup_notifies[0]
res["stray_messages"] = stray[0]
res["kernel_drops_total"] = drops[0]
log("fanout: unsubscribed, %d final NOTIFYs, replies %s" % (
    res["final_notifies"], res["unsubscribe_replies"]))
print(json.dumps(res))
