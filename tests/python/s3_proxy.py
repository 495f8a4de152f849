"""An HTTP proxy in front of an S3 API server that injects faults: 500 and 503 answers, connections
dropped before an answer, bodies cut off halfway, ranges answered short, transfers that stall, a bucket of
another region. It forwards requests unchanged (Host header included,
so signatures still verify) and records what it saw."""
import hashlib
import http.client
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ERROR = ("<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message>"
         "<RequestId>fault-{n}</RequestId></Error>")


def flaky():
    """Every fourth request fails, by turns: 503 SlowDown, 500, a dropped connection, a cut body (a
    cut waits for the next GET). No method and path fails twice, so a retry always gets through,
    whatever the interleaving of parallel requests."""
    kinds = ["503", "500", "drop", "cut"]
    failed = set()
    state = {"fresh": 0, "next": 0}

    def fault(n, method, path):
        if (method, path) in failed:
            return None
        state["fresh"] += 1
        if state["fresh"] % 4:
            return None
        kind = kinds[state["next"] % len(kinds)]
        if kind == "cut" and method != "GET":
            state["fresh"] -= 1  # try again with the next request
            return None
        state["next"] += 1
        failed.add((method, path))
        return kind
    return fault


def down(n, method, path):
    return "503"


class S3Proxy:
    def __init__(self, upstream, faults=None, delay=0.0, stall_seconds=4.0):
        self.upstream = urlsplit(upstream)
        self.faults = faults or (lambda n, method, path: None)
        self.delay = delay
        self.stall_seconds = stall_seconds
        self.lock = threading.Lock()
        self.requests = []  # (method, path, range header)
        self.headers = []  # each request's headers, as a dict
        self.injected = {}
        self.in_flight = 0
        self.max_in_flight_gets = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in separate writes: no 40 ms stalls

            def log_message(self, *args):
                pass

            def do_GET(self):
                proxy.handle(self)

            do_PUT = do_HEAD = do_DELETE = do_POST = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def count(self, kind):
        return self.injected.get(kind, 0)

    def handle(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        with self.lock:
            n = len(self.requests)
            self.requests.append((h.command, h.path, h.headers.get("Range")))
            self.headers.append(dict(h.headers.items(), body_sha256=hashlib.sha256(body).hexdigest()))
            kind = self.faults(n, h.command, h.path)
            if kind in ("cut", "stall", "short") and h.command != "GET":
                kind = None
            if kind:
                self.injected[kind] = self.injected.get(kind, 0) + 1
            gets = h.command == "GET"
            if gets:
                self.in_flight += 1
                self.max_in_flight_gets = max(self.max_in_flight_gets, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            if kind == "drop":
                h.close_connection = True
                h.connection.shutdown(socket.SHUT_RDWR)
                return
            errors = {  # kind: status, S3 error code, message, extra header
                "redirect": (301, "PermanentRedirect", "The bucket you are attempting to access must be "
                             "addressed using the specified endpoint.", ("x-amz-bucket-region", "eu-west-1")),
                "503": (503, "SlowDown", "Please reduce your request rate.", None),
                "500": (500, "InternalError", "We encountered an internal error. Please try again.", None),
                # S3 may answer a multipart completion with 200 and an error in the body.
                "200-internal": (200, "InternalError", "We encountered an internal error. Please try again.", None),
                "200-invalid": (200, "InvalidPart", "One or more of the specified parts could not be found.",
                                None),
            }
            if kind in errors:
                status, code, message, header = errors[kind]
                data = ERROR.format(code=code, message=message, n=n).encode()
                h.send_response(status)
                if header:
                    h.send_header(*header)
                h.send_header("Content-Type", "application/xml")
                h.send_header("Content-Length", str(len(data)))
                h.end_headers()
                if h.command != "HEAD":
                    h.wfile.write(data)
                return
            conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
            conn.putrequest(h.command, h.path, skip_host=True, skip_accept_encoding=True)
            for k, v in h.headers.items():
                conn.putheader(k, v)
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
            if kind in ("cut", "stall", "short") and len(data) < 2:
                kind = None
            if kind == "short":  # a well-formed answer that holds half of the range
                data = data[:len(data) // 2]
            h.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                    h.send_header(k, v)
            h.send_header("Content-Length", (resp.getheader("Content-Length") or "0") if h.command == "HEAD" else str(len(data)))
            h.end_headers()
            if h.command == "HEAD":
                return
            if kind == "stall":  # the headers, then silence on an open connection
                h.wfile.flush()
                time.sleep(self.stall_seconds)
                h.close_connection = True
                return
            if kind == "cut":  # the promised length, then half of it, then the connection goes
                h.wfile.write(data[:len(data) // 2])
                h.wfile.flush()
                h.close_connection = True
                h.connection.shutdown(socket.SHUT_RDWR)
                return
            h.wfile.write(data)
        finally:
            if gets:
                with self.lock:
                    self.in_flight -= 1
