#!/usr/bin/env python3
"""An HTTP proxy for bad-input tests: forwards to a real registry and injects faults.

    fault-proxy.py --upstream 127.0.0.1:PORT [--port-file F] [--fault REGEX ACTION]...

REGEX is searched in "METHOD PATH" (e.g. 'GET /v2/x/manifests/', '/blobs/sha256:ab'); the first
matching fault applies. ACTION is NAME[:ARG][,times=N] (times: only the first N matches):

    status:CODE      answer CODE with a registry-style JSON error, nothing forwarded
    garbage          200 with a body that is not JSON (Content-Length consistent)
    garbage-json     200 with valid JSON that is no manifest
    truncate[:N]     announce the real Content-Length, send N bytes (default: half), close
    bad-length[:N]   announce N more bytes than the body has (default 100), send the body, close
    short-length[:N] announce N fewer bytes than the body has (default 100), close after them
    slow[:BPS]       send the body in small pieces at BPS bytes per second (default 262144)
    stall[:SECONDS]  send the headers and half the body, then hang SECONDS (default 30), close
    abort            close the connection without answering

With --bearer the proxy also plays a token-auth registry (as Docker Hub does): /v2/ requests
without "Authorization: Bearer <token>" get a 401 with a WWW-Authenticate Bearer challenge whose
realm is the proxy's /token endpoint; /token hands out the token, anonymously or, with
--bearer-user USER:PASS, only for those Basic credentials. The registry behind needs no auth.

Python 3 standard library only. Listens on 127.0.0.1 only; logs each request and each injected fault
to stderr.
"""

import argparse
import base64
import http.client
import http.server
import json
import os
import re
import urllib.parse
import socket
import sys
import threading
import time

TOKEN = "cove-test-token"
HOP_HEADERS = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
               "te", "trailer", "content-length"}


class Fault:
    def __init__(self, pattern, spec):
        self.regex = re.compile(pattern)
        self.spec = spec
        parts = spec.split(",")
        self.name, _, self.arg = parts[0].partition(":")
        self.remaining = None
        for extra in parts[1:]:
            key, _, value = extra.partition("=")
            if key != "times":
                raise SystemExit(f"fault-proxy: unknown fault option {extra!r}")
            self.remaining = int(value)
        known = {"status", "garbage", "garbage-json", "truncate", "bad-length", "short-length",
                 "slow", "stall", "abort"}
        if self.name not in known:
            raise SystemExit(f"fault-proxy: unknown fault {self.name!r}")

    def int_arg(self, default):
        return int(self.arg) if self.arg else default


class Faults:
    def __init__(self, faults):
        self.faults = faults
        self.lock = threading.Lock()

    def take(self, method, path):
        """Returns the fault for this request, counting it against its times= budget."""
        with self.lock:
            for fault in self.faults:
                if not fault.regex.search(f"{method} {path}"):
                    continue
                if fault.remaining is not None:
                    if fault.remaining <= 0:
                        continue
                    fault.remaining -= 1
                return fault
        return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("fault-proxy: " + (fmt % args) + "\n")
        sys.stderr.flush()

    def do_GET(self):
        self.forward()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def read_request_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def upstream_request(self, body):
        conn = http.client.HTTPConnection(self.server.upstream, timeout=120)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for key, value in self.headers.items():
            # In --bearer mode the token is ours, not the upstream registry's.
            if key.lower() in HOP_HEADERS or (self.server.bearer and key.lower() == "authorization"):
                continue
            conn.putheader(key, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp, data

    def bearer_gate(self):
        """Answers token requests and challenges; True when the request was handled here."""
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/token":
            want = self.server.bearer_user
            auth = self.headers.get("Authorization", "")
            given = base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else None
            self.log_message("token request %s (basic user %s)", urllib.parse.unquote(url.query),
                             given.partition(":")[0] if given else "-")
            if want and given != want:
                self.send_plain(401, b'{"details":"incorrect username or password"}')
            else:
                body = {"token": TOKEN, "access_token": TOKEN, "expires_in": 300}
                self.send_plain(200, json.dumps(body).encode())
            return True
        if self.headers.get("Authorization") == f"Bearer {TOKEN}":
            return False
        match = re.match(r"/v2/(.+?)/(manifests|blobs|tags)/", url.path)
        challenge = f'Bearer realm="http://{self.headers.get("Host", "")}/token",service="cove-test"'
        if match:
            challenge += f',scope="repository:{match.group(1)}:pull"'
        self.send_response(401)
        self.send_header("WWW-Authenticate", challenge)
        payload = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        return True

    def forward(self):
        body = self.read_request_body()
        if self.server.bearer and self.bearer_gate():
            return
        fault = self.server.faults.take(self.command, self.path)
        if fault:
            self.log_message("%s %s: injecting %s", self.command, self.path, fault.spec)
        if fault and fault.name == "abort":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault and fault.name == "status":
            code = fault.int_arg(500)
            self.send_plain(code, b'{"errors":[{"code":"UNKNOWN","message":"injected fault"}]}')
            return
        resp, data = self.upstream_request(body)
        if fault and resp.status == 200 and self.command == "GET":
            self.send_faulty(fault, resp, data)
        else:
            self.send_upstream(resp, data)

    def copy_headers(self, resp):
        proxy = f"http://{self.headers.get('Host', '')}"
        for key, value in resp.getheaders():
            if key.lower() not in HOP_HEADERS:
                self.send_header(key, value.replace(f"http://{self.server.upstream}", proxy))

    def send_upstream(self, resp, data):
        self.send_response(resp.status, resp.reason)
        self.copy_headers(resp)
        length = resp.getheader("Content-Length") if self.command == "HEAD" else len(data)
        self.send_header("Content-Length", str(length or 0))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_plain(self, code, payload, content_type="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def send_faulty(self, fault, resp, data):
        name = fault.name
        if name == "garbage":
            payload = b"\x00\xffthis is not a manifest {{{ ]]\n" * 4
            return self.send_faulty_body(resp, payload, len(payload))
        if name == "garbage-json":
            payload = b'{"hello": "world", "schemaVersion": "two"}\n'
            return self.send_faulty_body(resp, payload, len(payload))
        if name == "truncate":
            sent = data[: fault.int_arg(len(data) // 2)]
            return self.send_faulty_body(resp, sent, len(data), close=True)
        if name == "bad-length":
            return self.send_faulty_body(resp, data, len(data) + fault.int_arg(100), close=True)
        if name == "short-length":
            announced = max(0, len(data) - fault.int_arg(100))
            return self.send_faulty_body(resp, data[:announced], announced, close=True)
        if name == "slow":
            return self.send_faulty_body(resp, data, len(data), rate=fault.int_arg(262144))
        if name == "stall":
            self.send_faulty_body(resp, data[: len(data) // 2], len(data))
            time.sleep(fault.int_arg(30))
            self.close_connection = True
            return None
        return self.send_upstream(resp, data)

    def send_faulty_body(self, resp, payload, announced, close=False, rate=None):
        self.send_response(resp.status, resp.reason)
        self.copy_headers(resp)
        self.send_header("Content-Length", str(announced))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        if rate:
            piece = max(1, rate // 20)
            for start in range(0, len(payload), piece):
                self.wfile.write(payload[start:start + piece])
                self.wfile.flush()
                time.sleep(len(payload[start:start + piece]) / rate)
        else:
            self.wfile.write(payload)
        self.wfile.flush()
        if close:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the real registry")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--port-file", help="write the chosen port here once listening")
    parser.add_argument("--fault", nargs=2, action="append", default=[],
                        metavar=("REGEX", "ACTION"), help="inject ACTION on matching requests")
    parser.add_argument("--bearer", action="store_true",
                        help="require Bearer tokens, served by this proxy's /token")
    parser.add_argument("--bearer-user", metavar="USER:PASS",
                        help="with --bearer: hand out tokens only for these Basic credentials")
    args = parser.parse_args()

    server = Server(("127.0.0.1", args.port), Handler)
    server.upstream = args.upstream
    server.bearer = args.bearer or bool(args.bearer_user)
    server.bearer_user = args.bearer_user
    server.faults = Faults([Fault(pattern, spec) for pattern, spec in args.fault])
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.rename(args.port_file + ".tmp", args.port_file)
    print(f"fault-proxy: listening on 127.0.0.1:{port} -> {args.upstream}", file=sys.stderr,
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
