#!/usr/bin/env python3
"""A tiny read-only XCAP server for SIP case 19: serves the files under ROOT
over HTTP/1.1 on 127.0.0.1 (a port chosen by the kernel, written to
PORTFILE), with a strong ETag per file content and If-None-Match (304).
Every request is logged to LOGFILE as "GET <path as sent> <status>
inm=<If-None-Match or ->", one line, flushed, so the test can count them.

usage: xcap_http.py ROOT PORTFILE LOGFILE
"""
import hashlib
import os
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

ROOT, PORTFILE, LOGFILE = (os.path.realpath(sys.argv[1]), sys.argv[2],
                           sys.argv[3])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def note(self, status):
        inm = self.headers.get("If-None-Match") or "-"
        with open(LOGFILE, "a") as f:
            f.write("GET %s %d inm=%s\n" % (self.path, status, inm))

    def reply(self, status, body=b"", etag=None):
        self.send_response(status)
        if etag:
            self.send_header("ETag", etag)
        if status != 304:
            self.send_header("Content-Type", "application/auth-policy+xml")
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if status != 304:
            self.wfile.write(body)
        self.note(status)

    def do_GET(self):
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
    srv = HTTPServer(("127.0.0.1", 0), Handler)
    tmp = PORTFILE + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, PORTFILE)
    srv.serve_forever()


if __name__ == "__main__":
    main()
