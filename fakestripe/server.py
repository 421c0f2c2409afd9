"""HTTP/1.1 keep-alive transport and top-level dispatch.

A lean threaded server (one thread per connection, persistent connections): the request
line and headers are parsed by hand, so a call costs the same whatever the store holds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import socketserver
import threading
from http import HTTPStatus
from pathlib import Path

from .app import App, DropConnection

log = logging.getLogger("fakestripe")
STATIC = Path(__file__).parent / "static"
MAX_BODY = 10 * 1024 * 1024
CORS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"),
    (
        "Access-Control-Allow-Headers",
        "Authorization, Content-Type, Stripe-Account, Stripe-Version, Idempotency-Key",
    ),
    ("Access-Control-Max-Age", "600"),
]
CONTENT_TYPES = {
    ".js": "application/javascript",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css",
}
REASONS = {s.value: s.phrase for s in HTTPStatus}


def json_response(status: int, data, headers=None):
    return (
        status,
        [("Content-Type", "application/json"), *(headers or [])],
        json.dumps(data).encode(),
    )


def html_response(status: int, html: str, headers=None):
    return status, [("Content-Type", "text/html; charset=utf-8"), *(headers or [])], html.encode()


def redirect(location: str, status: int = 302):
    return status, [("Location", location), ("Content-Type", "text/plain")], b""


def static_file(name: str):
    path = (STATIC / name).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file():
        return json_response(
            404, {"error": {"type": "invalid_request_error", "message": "Not found"}}
        )
    headers = [
        ("Content-Type", CONTENT_TYPES.get(path.suffix, "application/octet-stream")),
        ("Cache-Control", "no-cache"),
        ("Access-Control-Allow-Origin", "*"),
    ]
    return 200, headers, path.read_bytes()


class Handler(socketserver.StreamRequestHandler):
    rbufsize = 65536
    server: ThreadedServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        rfile = self.rfile
        sock = self.connection
        dispatch = self.server.dispatch
        client = self.client_address[0]
        while True:
            try:
                line = rfile.readline(65537)
            except OSError:
                return
            if not line:
                return
            if line in (b"\r\n", b"\n"):
                continue
            try:
                method, target, version = line.decode("latin-1").split()
            except ValueError:
                self._send(sock, 400, [], b"bad request line", False)
                return
            headers: dict[str, str] = {}
            while True:
                raw = rfile.readline(65537)
                if raw in (b"\r\n", b"\n", b""):
                    break
                key, _, value = raw.decode("latin-1").partition(":")
                headers[key.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            if length > MAX_BODY:
                self._send(sock, 413, [], b"body too large", False)
                return
            body = rfile.read(length) if length else b""
            keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
            path, _, query = target.partition("?")
            try:
                status, hdrs, payload = dispatch(method, path, query, headers, body, client)
            except DropConnection:
                # An injected dropped connection: close without a response.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                return
            except Exception:
                log.exception("fakestripe: transport error")
                status, hdrs, payload = json_response(
                    500, {"error": {"type": "api_error", "message": "An unknown error occurred"}}
                )
            if not self._send(sock, status, hdrs, payload, keep, method == "HEAD") or not keep:
                return

    @staticmethod
    def _send(sock, status, hdrs, payload, keep, head=False) -> bool:
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}"]
        has_type = False
        for key, value in hdrs:
            lines.append(f"{key}: {value}")
            has_type = has_type or key == "Content-Type"
        if not has_type:
            lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(payload)}")
        lines.append("Connection: keep-alive" if keep else "Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            sock.sendall(data if head else data + payload)
            return True
        except OSError:
            return False


class ThreadedServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, app: App) -> None:
        super().__init__(address, Handler)
        self.app = app
        from . import controls, hosted

        self.controls = controls
        self.hosted = hosted

    def dispatch(self, method, path, query, headers, body, client):
        if path.startswith("/v1/"):
            if method == "OPTIONS":
                return 204, CORS, b""
            return self.app.handle_api(method, path, query, headers, body)
        if path.startswith("/_fake/"):
            if client not in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
                return json_response(403, {"error": "test controls are loopback-only"})
            return self.controls.handle(self.app, method, path, query, body)
        if path.rstrip("/") == "/js/v3":
            return static_file("stripe.js")
        if path.startswith("/static/"):
            return static_file(path[len("/static/") :])
        return self.hosted.handle(self.app, method, path, query, headers, body)


class FakeStripe:
    """A running server: `FakeStripe(port=0).start()` serves in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 12111, app: App | None = None):
        self.app = app or App()
        self.httpd = ThreadedServer((host, port), self.app)
        address = self.httpd.server_address
        self.host, self.port = str(address[0]), int(address[1])
        self.url = f"http://{self.host}:{self.port}"
        self.app.base_url = self.url
        self.thread: threading.Thread | None = None

    def start(self) -> FakeStripe:
        self.thread = threading.Thread(target=self.serve_forever, name="fakestripe", daemon=True)
        self.thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
