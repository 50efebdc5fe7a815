#!/usr/bin/env python3
"""A loopback stand-in for the VirusTotal v3 API, for tests/snitch-vt.bats.

Answers GET /api/v3/files/{sha256}, GET /api/v3/files/upload_url,
POST /api/v3/files (and the upload URL it hands out), GET /api/v3/analyses/{id}
the way the real API documents them, checks the x-apikey header, and logs one
line per request ("METHOD PATH key=ok|bad [detail]") to --log.

--known SHA=M,S,U,H      a hash VirusTotal knows, with its verdict counts
--script PREFIX=R,R,...  the next requests whose path (after /api/v3/) starts
                         with PREFIX get these answers, in order, before the
                         normal one: an HTTP status (429, 401, 500...), "garbage"
                         (200 with a non-JSON body), "close" (no answer at all)
                         or "hold" (the normal answer once the --release file exists)
--queued-polls N         analyses report "queued" N times before "completed"
--tls CERT KEY           serve HTTPS with this certificate
Prints "listening PORT" on stdout once it accepts connections.
"""
import argparse
import hashlib
import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIRECT_UPLOAD_MAX = 32 << 20
UPLOADED_STATS = {"malicious": 3, "suspicious": 1, "undetected": 50, "harmless": 0}


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--log", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--known", action="append", default=[])
    p.add_argument("--script", action="append", default=[])
    p.add_argument("--queued-polls", type=int, default=1)
    p.add_argument("--tls", nargs=2)
    p.add_argument("--release", default="")
    return p.parse_args()


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.key = args.key
        self.log = open(args.log, "a", buffering=1)
        self.known = {}
        for k in args.known:
            sha, counts = k.split("=")
            m, s, u, h = (int(x) for x in counts.split(","))
            self.known[sha.lower()] = {"malicious": m, "suspicious": s, "undetected": u, "harmless": h}
        self.scripts = []
        for s in args.script:
            prefix, answers = s.split("=")
            self.scripts.append([prefix, answers.split(",")])
        self.queued_polls = args.queued_polls
        self.release = args.release
        self.analyses = {}  # id -> [sha256, polls so far]

    def scripted(self, path):
        with self.lock:
            for entry in self.scripts:
                if path.startswith(entry[0]) and entry[1]:
                    return entry[1].pop(0)
        return None


def multipart_file(body, content_type):
    boundary = content_type.split("boundary=")[1].strip('"').encode()
    for part in body.split(b"--" + boundary):
        head, sep, data = part.partition(b"\r\n\r\n")
        if sep and b'name="file"' in head:
            return data[:-2] if data.endswith(b"\r\n") else data
    raise ValueError("no file part")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, obj=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, code, message):
        self.reply(status, {"error": {"code": code, "message": message}})

    def note(self, detail=""):
        ok = self.headers.get("x-apikey") == ST.key
        ST.log.write(f"{self.command} {self.path} key={'ok' if ok else 'bad'} {detail}".rstrip() + "\n")
        return ok

    def preamble(self):
        """Logs the request; answers scripted and key errors. True when handled."""
        api = self.path.split("/api/v3/", 1)[-1]
        if not self.note():
            self.error(401, "WrongCredentialsError", "Wrong API key")
            return True
        answer = ST.scripted(api)
        if answer == "hold":
            for _ in range(1200):
                if os.path.exists(ST.release):
                    break
                time.sleep(0.05)
            answer = None
        if answer is None:
            return False
        if answer == "close":
            self.close_connection = True
            self.connection.shutdown(2)
        elif answer == "garbage":
            self.reply(200, raw=b"<html>502 Bad Gateway</html>")
        else:
            self.error(int(answer), "ScriptedError", f"scripted {answer}")
        return True

    def do_GET(self):
        if self.preamble():
            return
        path = self.path
        if path == "/api/v3/files/upload_url":
            host, port = self.server.server_address[:2]
            scheme = "https" if ST.tls else "http"
            self.reply(200, {"data": f"{scheme}://{host}:{port}/upload-big/t0ken"})
        elif path.startswith("/api/v3/files/"):
            sha = path.rsplit("/", 1)[1].lower()
            if sha in ST.known:
                self.reply(200, {"data": {"id": sha, "type": "file", "attributes": {
                    "last_analysis_stats": dict(ST.known[sha], timeout=0, failure=0)}}})
            else:
                self.error(404, "NotFoundError", f'File "{sha}" not found')
        elif path.startswith("/api/v3/analyses/"):
            self.analysis(path.rsplit("/", 1)[1])
        else:
            self.error(404, "NotFoundError", "no such path")

    def analysis(self, aid):
        with ST.lock:
            entry = ST.analyses.get(aid)
            if entry:
                entry[1] += 1
        if not entry:
            return self.error(404, "NotFoundError", "no such analysis")
        if entry[1] <= ST.queued_polls:
            return self.reply(200, {"data": {"id": aid, "type": "analysis", "attributes": {"status": "queued", "stats": {}}}})
        self.reply(200, {"data": {"id": aid, "type": "analysis", "attributes": {
            "status": "completed", "stats": UPLOADED_STATS}}, "meta": {"file_info": {"sha256": entry[0]}}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.preamble():
            return
        if self.path == "/api/v3/files" and length > DIRECT_UPLOAD_MAX:
            return self.error(413, "RequestEntityTooLarge", "use /files/upload_url above 32 MB")
        if self.path not in ("/api/v3/files", "/upload-big/t0ken"):
            return self.error(404, "NotFoundError", "no such path")
        data = multipart_file(body, self.headers["Content-Type"])
        sha = hashlib.sha256(data).hexdigest()
        ST.log.write(f"uploaded {len(data)} {sha}\n")
        aid = "YW5hbHlzaXM6" + sha[:16]
        with ST.lock:
            ST.analyses[aid] = [sha, 0]
            ST.known[sha] = UPLOADED_STATS
        self.reply(200, {"data": {"type": "analysis", "id": aid}})


def main():
    global ST
    args = parse_args()
    ST = State(args)
    ST.tls = bool(args.tls)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
