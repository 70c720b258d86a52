#!/usr/bin/env python3
"""An XCAP server for SIP cases 63 and 64 that can be made to hang: serves
the files under ROOT over HTTP/1.1 on 127.0.0.1 (a port chosen by the
kernel, written to PORTFILE), with a strong ETag per file content and
If-None-Match (304), like case 19's. While the file MODEFILE says "silent"
it accepts each connection, reads the request and answers nothing (it
holds the connection until the mode changes or MAX_HOLD seconds passed,
then closes it): an XCAP server that is up but never answers. Each
connection is logged to LOGFILE as "ACCEPT", each request as "GET <path>
<status> inm=<If-None-Match or ->" (status "silent" when not answered),
one line, flushed, so the test can count them. Stopped by the test, by PID.

usage: xcap_server.py ROOT PORTFILE LOGFILE MODEFILE
"""
import hashlib
import os
import socketserver
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT, PORTFILE, LOGFILE, MODEFILE = (os.path.realpath(sys.argv[1]),
                                     sys.argv[2], sys.argv[3], sys.argv[4])
MAX_HOLD = 20


def log(line):
    with open(LOGFILE, "a") as f:
        f.write(line + "\n")


def silent():
    try:
        with open(MODEFILE) as f:
            return f.read().strip() == "silent"
    except OSError:
        return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        log("ACCEPT")
        super().setup()

    def log_message(self, fmt, *args):
        pass

    def note(self, status):
        inm = self.headers.get("If-None-Match") or "-"
        log("GET %s %s inm=%s" % (self.path, status, inm))

    def reply(self, status, body=b"", etag=None):
        self.send_response(status)
        if etag:
            self.send_header("ETag", etag)
        if status != 304:
            self.send_header("Content-Type", "application/auth-policy+xml")
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)
        self.note(status)

    def do_GET(self):
        if silent():
            self.note("silent")
            end = time.monotonic() + MAX_HOLD
            while silent() and time.monotonic() < end:
                time.sleep(0.05)
            self.close_connection = True
            return
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        fs = os.path.realpath(os.path.join(ROOT, path.lstrip("/")))
        if not fs.startswith(ROOT + os.sep) or not os.path.isfile(fs):
            return self.reply(404, b"not found")
        with open(fs, "rb") as f:
            body = f.read()
        etag = '"%s"' % hashlib.sha1(body).hexdigest()[:16]
        if self.headers.get("If-None-Match") == etag:
            return self.reply(304, etag=etag)
        return self.reply(200, body, etag)


def main():
    socketserver.TCPServer.allow_reuse_address = True
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    tmp = PORTFILE + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, PORTFILE)
    srv.serve_forever()


if __name__ == "__main__":
    main()
